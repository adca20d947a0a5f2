/*
 * convert.c: elements from one dtype to another, as libtorch converts them on x86-64
 * (dtype_convert, internal.h). torch_to_dtype, copy_, fill_ of an int64 or bool tensor and
 * as_array all convert here, so they agree on every value:
 *     float -> int64   truncation toward zero; NaN, infinities and values outside int64's
 *                      range give INT64_MIN (x86-64's conversion instruction)
 *     float -> bool    true unless the value is 0 or -0 (NaN is true)
 *     int64 -> float   rounded to the nearest float (beyond 2^24 not every integer is one)
 *     int64 -> bool    true unless 0
 *     bool  -> float or int64: 1 or 0
 */
#include "internal.h"

#include <string.h>

/* The float -> int64 rule. C leaves the conversion of NaN, infinities and out-of-range values
 * undefined (a compiler may assume they never happen), so those are caught first. */
static int64_t float_to_i64(float x) {
    if (!(x >= -0x1p63f && x < 0x1p63f)) return INT64_MIN;
    return (int64_t)x;
}

void dtype_convert(void *dst, Dtype dst_dtype, int64_t ds, const void *src, Dtype src_dtype,
                   int64_t ss, int64_t n) {
    if (dst_dtype == src_dtype && ds == 1 && ss == 1) { /* a plain copy of a block */
        memcpy(dst, src, (size_t)n * dtype_size(dst_dtype));
        return;
    }
    switch (dst_dtype) {
    case TORCH_FLOAT32: {
        float *d = dst;
        if (src_dtype == TORCH_FLOAT32) {
            const float *s = src;
            for (int64_t i = 0; i < n; i++) d[i * ds] = s[i * ss];
        } else if (src_dtype == TORCH_INT64) {
            const int64_t *s = src;
            for (int64_t i = 0; i < n; i++) d[i * ds] = (float)s[i * ss];
        } else {
            const bool *s = src;
            for (int64_t i = 0; i < n; i++) d[i * ds] = s[i * ss] ? 1.0f : 0.0f;
        }
        break;
    }
    case TORCH_INT64: {
        int64_t *d = dst;
        if (src_dtype == TORCH_FLOAT32) {
            const float *s = src;
            for (int64_t i = 0; i < n; i++) d[i * ds] = float_to_i64(s[i * ss]);
        } else if (src_dtype == TORCH_INT64) {
            const int64_t *s = src;
            for (int64_t i = 0; i < n; i++) d[i * ds] = s[i * ss];
        } else {
            const bool *s = src;
            for (int64_t i = 0; i < n; i++) d[i * ds] = s[i * ss];
        }
        break;
    }
    case TORCH_BOOL: {
        bool *d = dst;
        if (src_dtype == TORCH_FLOAT32) {
            const float *s = src;
            for (int64_t i = 0; i < n; i++) d[i * ds] = s[i * ss] != 0.0f;
        } else if (src_dtype == TORCH_INT64) {
            const int64_t *s = src;
            for (int64_t i = 0; i < n; i++) d[i * ds] = s[i * ss] != 0;
        } else {
            const bool *s = src;
            for (int64_t i = 0; i < n; i++) d[i * ds] = s[i * ss];
        }
        break;
    }
    }
}

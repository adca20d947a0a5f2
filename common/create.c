/* create.c: tensors from nothing (zeros, ones, full, arange, eye) and from C arrays. */
#include "internal.h"

#include <math.h>
#include <string.h>

Tensor *torch_empty(Shape shape) { return tensor_alloc(shape, TORCH_FLOAT32); }

Tensor *torch_empty_dtype(Shape shape, Dtype dtype) { return tensor_alloc(shape, dtype); }

/* A float32 tensor of `shape` with every element `value`; errors are raised under `op`. */
static Tensor *filled(const char *op, Shape shape, float value) {
    check_new_shape(op, shape, TORCH_FLOAT32);
    Tensor *t = tensor_alloc(shape, TORCH_FLOAT32);
    float *d = tensor_f32(t);
    for (int64_t i = 0, n = shape_numel(shape); i < n; i++) d[i] = value;
    return t;
}

Tensor *torch_full(Shape shape, float value) { return filled("torch_full", shape, value); }

Tensor *torch_zeros(Shape shape) { return filled("torch_zeros", shape, 0.0f); }

Tensor *torch_ones(Shape shape) { return filled("torch_ones", shape, 1.0f); }

Tensor *torch_scalar(float value) { return filled("torch_scalar", SHAPE_SCALAR, value); }

static Tensor *from_array(const char *op, Shape shape, Dtype dtype, const void *values) {
    check_new_shape(op, shape, dtype);
    if (values == NULL && shape_numel(shape) > 0) torch_error(op, "values is NULL");
    Tensor *t = tensor_alloc(shape, dtype);
    if (shape_numel(shape) > 0)
        memcpy(t->storage->data, values, (size_t)shape_numel(shape) * dtype_size(dtype));
    return t;
}

Tensor *torch_tensor(Shape shape, const float *values) {
    return from_array("torch_tensor", shape, TORCH_FLOAT32, values);
}

Tensor *torch_tensor_i64(Shape shape, const int64_t *values) {
    return from_array("torch_tensor_i64", shape, TORCH_INT64, values);
}

Tensor *torch_tensor_bool(Shape shape, const bool *values) {
    return from_array("torch_tensor_bool", shape, TORCH_BOOL, values);
}

Tensor *torch_zeros_like(const Tensor *t) {
    tensor_check("torch_zeros_like", t);
    return filled("torch_zeros_like", t->shape, 0.0f);
}

Tensor *torch_ones_like(const Tensor *t) {
    tensor_check("torch_ones_like", t);
    return filled("torch_ones_like", t->shape, 1.0f);
}

/* R's torch_arange includes `end`; libtorch computes element i as start + i * step in double. */
Tensor *torch_arange(double start, double end, double step) {
    if (step == 0) torch_error("torch_arange", "step must be nonzero");
    if (!isfinite(start) || !isfinite(end))
        torch_error("torch_arange", "unsupported range: %g -> %g", start, end);
    if ((step > 0 && end < start) || (step < 0 && end > start))
        torch_error("torch_arange", "upper bound and larger bound inconsistent with step sign");
    double count = floor((end - start) / step) + 1;
    if (!(count < 0x1p63)) /* converting a larger double to int64 would be undefined */
        torch_error("torch_arange", "invalid size, possible overflow?");
    int64_t n = (int64_t)count;
    check_new_shape("torch_arange", SHAPE(n), TORCH_FLOAT32);
    Tensor *t = tensor_alloc(SHAPE(n), TORCH_FLOAT32);
    float *d = tensor_f32(t);
    for (int64_t i = 0; i < n; i++) d[i] = (float)(start + (double)i * step);
    return t;
}

Tensor *torch_eye(int64_t n) {
    if (n < 0) torch_error("torch_eye", "n must be greater or equal to 0, got %lld", (long long)n);
    check_new_shape("torch_eye", SHAPE(n, n), TORCH_FLOAT32);
    Tensor *t = torch_zeros(SHAPE(n, n));
    float *d = tensor_f32(t);
    for (int64_t i = 0; i < n; i++) d[i * n + i] = 1.0f;
    return t;
}

/* access.c: reading values back into C (R's as_array and $item()). */
#include "internal.h"
#include "walk.h"

#include <inttypes.h>

/* Writes t's elements into out, in row-major order, converted to `dtype` (dtype_convert):
 * a walk over t's positions (walk.h), a row at a time. */
static void copy_out(const Tensor *t, void *out, Dtype dtype) {
    int64_t n = shape_numel_p(&t->shape);
    if (n == 0) return;
    StridedWalk w;
    walk_start(&w, &t->shape, 1, (const Tensor *[]){t});
    char *o = out;
    const char *data = tensor_data(t);
    size_t o_size = dtype_size(dtype), t_size = dtype_size(t->dtype);
    int64_t len = walk_row_length(&w), stride = walk_row_stride(&w, 0);
    for (int64_t done = 0; done < n; done += len, walk_next_row(&w))
        dtype_convert(o + (size_t)done * o_size, dtype, 1, data + (size_t)w.offset[0] * t_size,
                      t->dtype, stride, len);
}

/* R: as_array(x). Writes numel floats in row-major order (bool and int64 are converted). */
void torch_to_array(Tensor *t, float *out) {
    tensor_check("torch_to_array", t);
    copy_out(t, out, TORCH_FLOAT32);
}

/* The same as int64 (a float converts as torch_to_dtype converts it: truncated, and INT64_MIN
 * for NaN, infinities and values out of range). */
void torch_to_array_i64(Tensor *t, int64_t *out) {
    tensor_check("torch_to_array_i64", t);
    copy_out(t, out, TORCH_INT64);
}

static void check_one_element(const char *op, const Tensor *t) {
    tensor_check(op, t);
    int64_t n = shape_numel(t->shape);
    if (n != 1)
        torch_error(op, "a Tensor with %" PRId64 " elements cannot be converted to Scalar", n);
}

/* R: x$item(). */
float torch_item(Tensor *t) {
    check_one_element("torch_item", t);
    float v;
    torch_to_array(t, &v);
    return v;
}

int64_t torch_item_i64(Tensor *t) {
    check_one_element("torch_item_i64", t);
    int64_t v;
    torch_to_array_i64(t, &v);
    return v;
}

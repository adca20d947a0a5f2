/* access.c: reading values back into C (R's as_array and $item()). */
#include "internal.h"

#include <inttypes.h>

/* R: as_array(x). Writes numel floats in row-major order (bool and int64 are converted). */
void torch_to_array(Tensor *t, float *out) {
    tensor_check("torch_to_array", t);
    int64_t n = shape_numel(t->shape);
    for (int64_t i = 0; i < n; i++) {
        int64_t off = strided_offset(t, i);
        switch (t->dtype) {
        case TORCH_FLOAT32: out[i] = tensor_f32(t)[off]; break;
        case TORCH_INT64: out[i] = (float)tensor_i64(t)[off]; break;
        case TORCH_BOOL: out[i] = tensor_bool(t)[off] ? 1.0f : 0.0f; break;
        }
    }
}

void torch_to_array_i64(Tensor *t, int64_t *out) {
    tensor_check("torch_to_array_i64", t);
    int64_t n = shape_numel(t->shape);
    for (int64_t i = 0; i < n; i++) {
        int64_t off = strided_offset(t, i);
        switch (t->dtype) {
        case TORCH_FLOAT32: out[i] = (int64_t)tensor_f32(t)[off]; break;
        case TORCH_INT64: out[i] = tensor_i64(t)[off]; break;
        case TORCH_BOOL: out[i] = tensor_bool(t)[off]; break;
        }
    }
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

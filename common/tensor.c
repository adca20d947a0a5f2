/* tensor.c: shapes, accessors, input checks and the autograd seam's plumbing. */
#include "internal.h"

#include <inttypes.h>

/* ---- shapes ---------------------------------------------------------------------------- */

int64_t shape_numel(Shape s) { return shape_numel_p(&s); }

bool shape_equal(Shape a, Shape b) { return shape_equal_p(&a, &b); }

/* "100x3": how libtorch writes matrix shapes in mm's error. */
char *shape_str_x(Shape s, char *buf, size_t len) {
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < s.ndim && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, i ? "x%" PRId64 : "%" PRId64, s.size[i]);
    return buf;
}

/* "[100, 3]": how libtorch writes shapes elsewhere. */
char *shape_str(Shape s, char *buf, size_t len) {
    size_t n = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < s.ndim && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, i ? ", %" PRId64 : "%" PRId64, s.size[i]);
    if (n < len) snprintf(buf + n, len - n, "]");
    return buf;
}

void contiguous_strides(Shape shape, int64_t *stride) { contiguous_strides_p(&shape, stride); }

/* ---- accessors --------------------------------------------------------------------------- */

int64_t torch_numel(const Tensor *t) {
    tensor_check("torch_numel", t);
    return shape_numel_p(&t->shape);
}

int torch_dim(const Tensor *t) {
    tensor_check("torch_dim", t);
    return t->shape.ndim;
}

int64_t torch_size(const Tensor *t, int dim) {
    tensor_check("torch_size", t);
    return t->shape.size[dim_wrap("torch_size", dim, t->shape.ndim)];
}

int64_t torch_stride(const Tensor *t, int dim) {
    tensor_check("torch_stride", t);
    return t->stride[dim_wrap("torch_stride", dim, t->shape.ndim)];
}

int64_t torch_storage_offset(const Tensor *t) {
    tensor_check("torch_storage_offset", t);
    return t->offset;
}

const void *torch_data_ptr(const Tensor *t) {
    tensor_check("torch_data_ptr", t);
    return t->storage->data;
}

Shape torch_shape(const Tensor *t) {
    tensor_check("torch_shape", t);
    return t->shape;
}

Dtype torch_dtype(const Tensor *t) {
    tensor_check("torch_dtype", t);
    return t->dtype;
}

/* torch_is_contiguous, for a checked t. */
static inline bool is_contiguous(const Tensor *t) {
    if (shape_numel_p(&t->shape) == 0) return true; /* no element to misplace, as in libtorch */
    int64_t expected = 1;
    for (int i = t->shape.ndim - 1; i >= 0; i--) {
        if (t->shape.size[i] == 1) continue; /* a size-1 dim's stride never matters */
        if (t->stride[i] != expected) return false;
        expected *= t->shape.size[i];
    }
    return true;
}

bool torch_is_contiguous(const Tensor *t) {
    tensor_check("torch_is_contiguous", t);
    return is_contiguous(t);
}

const char *dtype_name(Dtype dtype) {
    switch (dtype) {
    case TORCH_FLOAT32: return "Float";
    case TORCH_INT64: return "Long";
    case TORCH_BOOL: return "Bool";
    }
    return "?";
}

int64_t strided_offset(const Tensor *t, int64_t linear) {
    int64_t off = 0;
    for (int i = t->shape.ndim - 1; i >= 0; i--) {
        int64_t n = t->shape.size[i];
        off += (linear % n) * t->stride[i];
        linear /= n;
    }
    return off;
}

Tensor *tensor_contiguous_raw(Tensor *t) {
    tensor_check("torch_is_contiguous", t); /* torch_is_contiguous(t), inline */
    if (is_contiguous(t)) return t;
    Tensor *out = tensor_alloc(t->shape, t->dtype);
    tensor_copy_elements(out, t);
    return out;
}

/* ---- checks ------------------------------------------------------------------------------ */

void tensor_check_failed(const char *op, const Tensor *t) {
    if (t == NULL) torch_error(op, "expected a Tensor but got NULL");
    if (t->magic == TENSOR_DEAD)
        torch_error(op, "a tensor was used after it was released (its scope ended or it was "
                        "freed); keep it with torch_keep() to use it longer");
    if (t->magic != TENSOR_ALIVE) torch_error(op, "expected a Tensor but got an invalid pointer");
}

_Noreturn void tensor_check_dtype_failed(const char *op, const Tensor *t, Dtype dtype) {
    torch_error(op, "expected scalar type %s but found %s", dtype_name(dtype),
                dtype_name(t->dtype));
}

bool tensor_has_internal_overlap(const Tensor *t) {
    for (int d = 0; d < t->shape.ndim; d++)
        if (t->stride[d] == 0 && t->shape.size[d] > 1) return true;
    return false;
}

void check_no_internal_overlap(const char *op, const Tensor *t) {
    if (tensor_has_internal_overlap(t))
        torch_error(op, "unsupported operation: more than one element of the written-to tensor "
                        "refers to a single memory location. Please clone() the tensor before "
                        "performing the operation.");
}

int dim_wrap(const char *op, int dim, int ndim) {
    int n = ndim > 0 ? ndim : 1; /* a 0-dim tensor accepts -1 and 0 */
    if (dim < -n || dim >= n)
        torch_error(op, "Dimension out of range (expected to be in range of [%d, %d], but got %d)",
                    -n, n - 1, dim);
    return dim < 0 ? dim + n : dim;
}

Shape broadcast_shapes(const char *op, Shape a, Shape b) {
    /* BEGIN EXERCISE 1.3: broadcasting two shapes */
    Shape out = {a.ndim > b.ndim ? a.ndim : b.ndim, {0}};
    for (int i = 0; i < out.ndim; i++) {
        /* align from the right: dim i of out is dim (i - (out.ndim - x.ndim)) of x */
        int ia = i - (out.ndim - a.ndim), ib = i - (out.ndim - b.ndim);
        int64_t sa = ia >= 0 ? a.size[ia] : 1, sb = ib >= 0 ? b.size[ib] : 1;
        if (sa != sb && sa != 1 && sb != 1)
            torch_error(op,
                        "The size of tensor a (%" PRId64 ") must match the size of tensor b "
                        "(%" PRId64 ") at non-singleton dimension %d",
                        sa, sb, i);
        out.size[i] = sa == 1 ? sb : sa;
    }
    return out;
    /* END EXERCISE 1.3 */
}

/* ---- the autograd seam ------------------------------------------------------------------- */

const TorchAutogradHooks *torch_autograd_hooks;

void torch_install_autograd_hooks(const TorchAutogradHooks *hooks) { torch_autograd_hooks = hooks; }

void torch_before_inplace_from(const char *op_name, Tensor *t, const Tensor *source) {
    if (torch_autograd_hooks && torch_autograd_hooks->before_inplace)
        torch_autograd_hooks->before_inplace(op_name, t, source);
    t->storage->version++;
}

void torch_before_inplace(const char *op_name, Tensor *t) {
    torch_before_inplace_from(op_name, t, NULL);
}

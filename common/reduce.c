/*
 * reduce.c: sum, mean, max and min, over every element or along one dimension.
 *
 * Numerics, a contract the rest of the course relies on (cross-stage bit-exactness):
 *   Every sum, including the sum inside a mean, accumulates in double, visiting the reduced
 *   elements in row-major order, and rounds to float once at the end; a mean is
 *   (float)(sum / count). So summing the same elements in the same order gives the same bits
 *   whichever function does it: torch_sum of a (100, 1) tensor equals torch_sum_dim(.., 0) of
 *   it, and a loss summed by hand equals the same loss summed inside a loss function.
 *   libtorch sums float32 in float, in a cascade (pairwise) order, so our sums and means agree
 *   with torch's to about 1e-7 relative, not bit for bit.
 *
 *   max and min only compare, so they are libtorch's bit for bit: along a dim the first
 *   maximum (minimum) wins a tie and its index is returned, and a NaN counts as larger (and
 *   smaller) than everything, so the first NaN wins.
 *
 * Every reduction reads its input as a contiguous float32 buffer (a copy is made for a strided
 * view) and sees it as outer x n x inner around the reduced dim (Lanes, reduce_kernels.h).
 *
 * The file reads top down: the public functions, how they share their work, then the kernels:
 * sum_lanes (exercise 1.5) and the search for extremes. The fast backend's sums
 * (common/fast/sum.c: lanes side by side in vector registers, threads) give the same bits;
 * sum_kernel is the one place that chooses (common/backend.h).
 */
#include "backend.h"
#include "internal.h"
#include "reduce_kernels.h"

#include <math.h>

/* defined below */
static Tensor *sum_all(const char *name, TorchOpKind kind, Tensor *a, bool mean);
static Tensor *sum_dim(const char *name, TorchOpKind kind, Tensor *a, int dim, bool keepdim,
                       bool mean);
static Tensor *extreme_all(const char *name, const char *fn, TorchOpKind kind, Tensor *a,
                           bool want_max);
static int check_extreme_dim(const char *name, const char *fn, const Tensor *a, int dim);
static Tensor *extreme_dim(const char *name, const char *fn, TorchOpKind kind, Tensor *a,
                           int dim, bool keepdim, Tensor **indices, bool want_max);
static void sum_kernel(Tensor *a, Lanes l, Tensor *out, bool mean);
static void extreme_kernel(Tensor *a, Lanes l, bool want_max, Tensor *values, Tensor *indices);
static Lanes lanes_along(Shape s, int dim);
static void reduced_shape(const Shape *s, int dim, bool keepdim, Shape *out);

/* ---- the public functions ---------------------------------------------------------------- */

/* R: x$sum(). A 0-dim tensor. */
Tensor *torch_sum(Tensor *a) { return sum_all("torch_sum", TORCH_OP_SUM, a, false); }

/* R: x$sum(dim = dim + 1), e.g. grad_h$sum(dim = 1) is torch_sum_dim(grad_h, 0, false). */
Tensor *torch_sum_dim(Tensor *a, int dim, bool keepdim) {
    return sum_dim("torch_sum_dim", TORCH_OP_SUM_DIM, a, dim, keepdim, false);
}

/* R: x$mean(). */
Tensor *torch_mean(Tensor *a) { return sum_all("torch_mean", TORCH_OP_MEAN, a, true); }

/* R: x$mean(dim = dim + 1). */
Tensor *torch_mean_dim(Tensor *a, int dim, bool keepdim) {
    return sum_dim("torch_mean_dim", TORCH_OP_MEAN_DIM, a, dim, keepdim, true);
}

/* R: x$max(). A 0-dim tensor. */
Tensor *torch_max(Tensor *a) { return extreme_all("torch_max", "max", TORCH_OP_MAX, a, true); }
Tensor *torch_min(Tensor *a) { return extreme_all("torch_min", "min", TORCH_OP_MIN, a, false); }

/* R: x$max(dim = dim + 1) returns values and indices (R's are 1-based; ours 0-based). */
Tensor *torch_max_dim(Tensor *a, int dim, bool keepdim, Tensor **indices) {
    return extreme_dim("torch_max_dim", "max", TORCH_OP_MAX_DIM, a, dim, keepdim, indices, true);
}

Tensor *torch_min_dim(Tensor *a, int dim, bool keepdim, Tensor **indices) {
    return extreme_dim("torch_min_dim", "min", TORCH_OP_MIN_DIM, a, dim, keepdim, indices, false);
}

/* R: x$argmax(dim = dim + 1): int64 positions of the first maxima along dim (0-based). Not
 * differentiable: nothing recorded. */
Tensor *torch_argmax(Tensor *a, int dim, bool keepdim) {
    int d = check_extreme_dim("torch_argmax", "argmax", a, dim);
    Shape shape;
    reduced_shape(&a->shape, d, keepdim, &shape);
    Tensor *idx = tensor_alloc_p(&shape, TORCH_INT64);
    extreme_kernel(a, lanes_along(a->shape, d), true, NULL, idx);
    return idx;
}

/* ---- how they share their work -------------------------------------------------------------- */

/* The lanes of a reduction along dim, or of one over every element (Lanes, reduce_kernels.h). */
static Lanes lanes_along(Shape s, int dim) {
    Lanes l = {1, 1, 1};
    for (int d = 0; d < s.ndim; d++) {
        if (d < dim) l.outer *= s.size[d];
        else if (d == dim) l.n = s.size[d];
        else l.inner *= s.size[d];
    }
    return l;
}

static Lanes lanes_all(Shape s) { return (Lanes){1, shape_numel(s), 1}; }

/* *out = the shape left after reducing dim: dim removed, or kept with size 1. A 0-dim tensor
 * stays 0-dim, as in libtorch. Written through a pointer, not returned: a returned Shape is
 * copied in 16-byte pieces right after being written a size at a time (shape_copy,
 * internal.h, says why that stalls). */
static void reduced_shape(const Shape *s, int dim, bool keepdim, Shape *out) {
    out->ndim = 0;
    for (int d = 0; d < s->ndim; d++) {
        if (d != dim) out->size[out->ndim++] = s->size[d];
        else if (keepdim) out->size[out->ndim++] = 1;
    }
}

/* a (*) -> out () the sum or mean of every element, recorded as `kind`. */
static Tensor *sum_all(const char *name, TorchOpKind kind, Tensor *a, bool mean) {
    tensor_check_dtype(name, a, TORCH_FLOAT32);
    Tensor *out = tensor_alloc(SHAPE_SCALAR, TORCH_FLOAT32);
    sum_kernel(a, lanes_all(a->shape), out, mean);
    torch_record(&(TorchOp){.kind = kind, .out = out, .n_in = 1, .in = {a}});
    return out;
}

/* a (..., n, ...) -> out (..., [1,] ...) the sum or mean along dim, recorded as `kind`. */
static Tensor *sum_dim(const char *name, TorchOpKind kind, Tensor *a, int dim, bool keepdim,
                       bool mean) {
    tensor_check_dtype(name, a, TORCH_FLOAT32);
    int d = dim_wrap(name, dim, a->shape.ndim);
    Shape shape;
    reduced_shape(&a->shape, d, keepdim, &shape);
    Tensor *out = tensor_alloc_p(&shape, TORCH_FLOAT32);
    sum_kernel(a, lanes_along(a->shape, d), out, mean);
    torch_record(&(TorchOp){.kind = kind, .out = out, .n_in = 1, .in = {a}, .dim = d,
                            .keepdim = keepdim});
    return out;
}

/* a (*), not empty -> out () its largest (or smallest) element. `fn` is libtorch's name of the
 * reduction, for its error message. */
static Tensor *extreme_all(const char *name, const char *fn, TorchOpKind kind, Tensor *a,
                           bool want_max) {
    tensor_check_dtype(name, a, TORCH_FLOAT32);
    if (shape_numel(a->shape) == 0)
        torch_error(name, "%s(): Expected reduction dim to be specified for input.numel() == 0. "
                          "Specify the reduction dim with the 'dim' argument.", fn);
    Tensor *out = tensor_alloc(SHAPE_SCALAR, TORCH_FLOAT32);
    extreme_kernel(a, lanes_all(a->shape), want_max, out, NULL);
    torch_record(&(TorchOp){.kind = kind, .out = out, .n_in = 1, .in = {a}});
    return out;
}

/* Checks a reduction along dim and returns it wrapped; dim must not be empty. */
static int check_extreme_dim(const char *name, const char *fn, const Tensor *a, int dim) {
    tensor_check_dtype(name, a, TORCH_FLOAT32);
    int d = dim_wrap(name, dim, a->shape.ndim);
    if (a->shape.ndim > 0 && a->shape.size[d] == 0)
        torch_error(name, "%s(): Expected reduction dim %d to have non-zero size.", fn, d);
    return d;
}

/* a (..., n, ...) -> values (..., [1,] ...), and int64 indices of the same shape in *indices
 * when it is not NULL. The indices are made in any case: autograd's backward needs them. */
static Tensor *extreme_dim(const char *name, const char *fn, TorchOpKind kind, Tensor *a,
                           int dim, bool keepdim, Tensor **indices, bool want_max) {
    int d = check_extreme_dim(name, fn, a, dim);
    Shape shape;
    reduced_shape(&a->shape, d, keepdim, &shape);
    Tensor *values = tensor_alloc_p(&shape, TORCH_FLOAT32);
    Tensor *idx = tensor_alloc_p(&shape, TORCH_INT64);
    extreme_kernel(a, lanes_along(a->shape, d), want_max, values, idx);
    torch_record(&(TorchOp){.kind = kind, .out = values, .n_in = 1, .in = {a}, .extra = idx,
                            .dim = d, .keepdim = keepdim});
    if (indices) *indices = idx;
    /* Unwanted indices made outside any scope would live forever; unless autograd recorded
     * this op (values then has autograd state, and its node holds them), nobody else can
     * hold them, so release them now. (Inside a scope they go with it.) */
    else if (idx->scope == 0 && values->autograd == NULL)
        torch_free(idx);
    return values;
}

/* ---- the kernels ----------------------------------------------------------------------------- */

/* src (outer, n, inner) -> dst (outer, inner): the sum over n, accumulated in double in
 * index order and rounded once; with `mean`, the double sum is divided by n before rounding
 * (0 / 0 = NaN for an empty lane, as torch's mean). One lane after the other: the definition,
 * which the fast backend's sums match bit for bit. */
static void sum_lanes(const float *src, Lanes l, float *dst, bool mean) {
    /* BEGIN EXERCISE 1.5: sums along a dimension */
    for (int64_t o = 0; o < l.outer; o++) {
        for (int64_t i = 0; i < l.inner; i++) {
            double acc = 0.0;
            for (int64_t k = 0; k < l.n; k++) acc += src[(o * l.n + k) * l.inner + i];
            dst[o * l.inner + i] = mean ? (float)(acc / (double)l.n) : (float)acc;
        }
    }
    /* END EXERCISE 1.5 */
}

void sum_reference(const float *src, int64_t outer, int64_t n, int64_t inner, float *dst,
                   bool mean) {
    sum_lanes(src, (Lanes){outer, n, inner}, dst, mean);
}

/* The seam (common/backend.h): a (float32, any strides) -> out, the sums (or means) of a's
 * lanes, by sum_lanes or by the fast backend's sums, with the same bits. */
static void sum_kernel(Tensor *a, Lanes l, Tensor *out, bool mean) {
    Tensor *c = tensor_contiguous_raw(a);
#if CTORCH_FAST
    fast_sum(tensor_f32(c), l.outer, l.n, l.inner, tensor_f32(out), mean);
#else
    sum_lanes(tensor_f32(c), l, tensor_f32(out), mean);
#endif
    if (c != a) torch_free(c);
}

/* src (outer, n, inner), n >= 1 -> values, indices (outer, inner): the first maximum (or
 * minimum) of each lane and its position k. "Not <=" (not ">=") rather than ">" (or "<"), so
 * that a NaN always replaces the best so far, and the search stops at the first NaN: a NaN
 * wins, as in libtorch. Either output may be NULL. */
static void extreme_lanes(const float *src, Lanes l, bool want_max, float *values,
                          int64_t *indices) {
    for (int64_t o = 0; o < l.outer; o++) {
        for (int64_t i = 0; i < l.inner; i++) {
            const float *lane = src + o * l.n * l.inner + i;
            float best = lane[0];
            int64_t arg = 0;
            for (int64_t k = 0; k < l.n; k++) {
                float v = lane[k * l.inner];
                bool better = want_max ? !(v <= best) : !(v >= best);
                if (!better) continue;
                best = v;
                arg = k;
                if (isnan(v)) break;
            }
            if (values) values[o * l.inner + i] = best;
            if (indices) indices[o * l.inner + i] = arg;
        }
    }
}

/* a (float32, any strides) -> values and/or indices: the extremes of a's lanes. */
static void extreme_kernel(Tensor *a, Lanes l, bool want_max, Tensor *values, Tensor *indices) {
    Tensor *c = tensor_contiguous_raw(a);
    extreme_lanes(tensor_f32(c), l, want_max, values ? tensor_f32(values) : NULL,
                  indices ? tensor_i64(indices) : NULL);
    if (c != a) torch_free(c);
}

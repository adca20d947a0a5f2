/*
 * views.c: indexing, views and reshaping, and copies.
 *
 * A view is a new tensor header over the same storage with other sizes, strides and offset
 * (tensor_view_of): no element moves, and a write through the view is seen by the base.
 * Element (i, j) of a 2-d view lives at data[offset + i * stride[0] + j * stride[1]], so
 *   - select drops a dim and moves the offset:       x[2, ]    offset += 2 * stride[0]
 *   - slice keeps the dim, moves the offset, and multiplies the stride by the step;
 *   - transpose swaps two sizes and their strides;
 *   - expand repeats elements with stride 0;
 *   - view regroups dims, which needs strides that can be regrouped (view_strides below).
 * Only clone, contiguous (of a non-contiguous tensor), reshape (when no view is possible),
 * copy_ and to_dtype move data, all through tensor_copy_elements.
 *
 * Every function checks its arguments first and raises libtorch's error (under its own C name),
 * then builds the result, then describes itself to autograd with torch_record.
 */
#include "internal.h"
#include "linalg_kernels.h"
#include "walk.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

/* ---- small helpers ----------------------------------------------------------------------- */

/* A shape argument must have 0 to TORCH_MAX_DIMS dims. */
static void check_shape_arg(const char *op, Shape shape) {
    if (shape.ndim < 0 || shape.ndim > TORCH_MAX_DIMS)
        torch_error(op, "a tensor has at most %d dimensions, got %d", TORCH_MAX_DIMS, shape.ndim);
}

/* A view's element count must fit in an int64 (libtorch's "numel: integer multiplication
 * overflow"); the sizes are multiplied one at a time, skipping `skip` (a -1 to infer, or -1
 * for none). */
static void check_view_numel(const char *op, Shape shape, int skip) {
    char s[160];
    int64_t numel = 1;
    for (int i = 0; i < shape.ndim; i++) {
        if (i == skip) continue;
        if (shape.size[i] != 0 && numel > INT64_MAX / shape.size[i])
            torch_error(op, "numel: integer multiplication overflow (sizes=%s)",
                        shape_str(shape, s, sizeof s));
        numel *= shape.size[i];
    }
}

/* Records a one-input op (the common case for views). By pointer: copying a TorchOp that
 * was just written field by field would stall on the fields' stores (shape_copy in
 * internal.h says why). */
static Tensor *record1(TorchOp *op, Tensor *in) {
    op->n_in = 1;
    op->in[0] = in;
    torch_record(op);
    return op->out;
}

/* A view of t with dim d removed (its size and stride dropped) and the offset moved. */
static Tensor *view_without_dim(Tensor *t, int d, int64_t offset) {
    /* BEGIN EXERCISE 1.2: select and narrow as new strides (dropping a dim) */
    Shape shape = {t->shape.ndim - 1, {0}};
    int64_t stride[TORCH_MAX_DIMS];
    for (int i = 0, j = 0; i < t->shape.ndim; i++) {
        if (i == d) continue;
        shape.size[j] = t->shape.size[i];
        stride[j++] = t->stride[i];
    }
    return tensor_view_of(t, shape, stride, offset);
    /* END EXERCISE 1.2 */
}

/* ---- select, narrow, slice --------------------------------------------------------------- */

/* R: x[i, ] is torch_select(x, 0, i - 1). Drops dim `dim`; a negative index counts from the end. */
Tensor *torch_select(Tensor *t, int dim, int64_t index) {
    const char *op = "torch_select";
    tensor_check(op, t);
    if (t->shape.ndim == 0) torch_error(op, "select() cannot be applied to a 0-dim tensor.");
    int d = dim_wrap(op, dim, t->shape.ndim);
    int64_t size = t->shape.size[d];
    if (index < -size || index >= size) {
        char s[160];
        torch_error(op,
                    "select(): index %" PRId64 " out of range for tensor of size %s at "
                    "dimension %d",
                    index, shape_str(t->shape, s, sizeof s), d);
    }
    /* BEGIN EXERCISE 1.2: select and narrow as new strides (select's offset) */
    if (index < 0) index += size;
    Tensor *out = view_without_dim(t, d, t->offset + index * t->stride[d]);
    /* END EXERCISE 1.2 */
    return record1(&(TorchOp){.kind = TORCH_OP_SELECT, .out = out, .dim = d, .start = index}, t);
}

/* The slice view along (already wrapped) dim d: `length` elements from `start`, every `step`. */
static Tensor *slice_view(Tensor *t, int d, int64_t start, int64_t length, int64_t step) {
    /* BEGIN EXERCISE 1.2: select and narrow as new strides (narrow and slice) */
    Shape shape = t->shape;
    int64_t stride[TORCH_MAX_DIMS];
    memcpy(stride, t->stride, sizeof stride);
    shape.size[d] = length;
    stride[d] *= step;
    Tensor *out = tensor_view_of(t, shape, stride, t->offset + start * t->stride[d]);
    /* END EXERCISE 1.2 */
    return record1(&(TorchOp){.kind = TORCH_OP_SLICE, .out = out, .dim = d, .start = start,
                             .length = length, .step = step},
                   t);
}

/* R: x[, 1, drop = FALSE] is torch_narrow(x, 1, 0, 1). A negative start counts from the end;
 * start == size is allowed (with length 0), as in libtorch. */
Tensor *torch_narrow(Tensor *t, int dim, int64_t start, int64_t length) {
    const char *op = "torch_narrow";
    tensor_check(op, t);
    if (t->shape.ndim == 0) torch_error(op, "narrow() cannot be applied to a 0-dim tensor.");
    int d = dim_wrap(op, dim, t->shape.ndim);
    int64_t size = t->shape.size[d];
    if (start != size) {
        /* libtorch wraps start like a dimension index, hence the "Dimension" wording */
        int64_t n = size > 0 ? size : 1;
        if (start < -n || start >= n)
            torch_error(op,
                        "Dimension out of range (expected to be in range of [%" PRId64
                        ", %" PRId64 "], but got %" PRId64 ")",
                        -n, n - 1, start);
        if (start < 0) start += n;
    }
    if (length < 0 || start > size - length)
        torch_error(op,
                    "start (%" PRId64 ") + length (%" PRId64 ") exceeds dimension size (%" PRId64
                    ").",
                    start, length, size);
    return slice_view(t, d, start, length, 1);
}

/* Python's x[start:end:step] along dim: negative bounds count from the end, then both are
 * clamped into [0, size], and an end before the start gives an empty slice. */
Tensor *torch_slice(Tensor *t, int dim, int64_t start, int64_t end, int64_t step) {
    const char *op = "torch_slice";
    tensor_check(op, t);
    if (t->shape.ndim == 0) torch_error(op, "slice() cannot be applied to a 0-dim tensor.");
    int d = dim_wrap(op, dim, t->shape.ndim);
    if (step <= 0) torch_error(op, "slice step must be positive");
    int64_t size = t->shape.size[d];
    if (start < 0) start += size;
    if (end < 0) end += size;
    if (start < 0) start = 0;
    if (start > size) start = size;
    if (end < start) end = start;
    if (end > size) end = size;
    /* every step-th element of [start, end), rounded up: 1:5:3 takes 1 and 4 (written so a
     * huge step cannot overflow) */
    int64_t length = end == start ? 0 : (end - start - 1) / step + 1;
    return slice_view(t, d, start, length, step);
}

/* ---- view and reshape -------------------------------------------------------------------- */

/* libtorch's infer_size: checks `shape` against numel and fills in its one -1. */
static Shape infer_view_shape(const char *op, Shape shape, int64_t numel) {
    char s[160];
    int infer = -1;
    for (int i = 0; i < shape.ndim; i++) {
        if (shape.size[i] == -1) {
            if (infer >= 0) torch_error(op, "only one dimension can be inferred");
            infer = i;
        } else if (shape.size[i] < 0) {
            torch_error(op, "invalid shape dimension %" PRId64, shape.size[i]);
        }
    }
    check_view_numel(op, shape, infer);
    int64_t known = 1; /* product of the given sizes (it fits: checked above) */
    for (int i = 0; i < shape.ndim; i++)
        if (i != infer) known *= shape.size[i];
    bool fits = numel == known || (infer >= 0 && known > 0 && numel % known == 0);
    if (!fits)
        torch_error(op, "shape '%s' is invalid for input of size %" PRId64,
                    shape_str(shape, s, sizeof s), numel);
    if (infer >= 0) {
        /* with 0 elements, -1 could be anything: libtorch refuses to guess */
        if (known == 0)
            torch_error(op,
                        "cannot reshape tensor of 0 elements into shape %s because the "
                        "unspecified dimension size -1 can be any value and is ambiguous",
                        shape_str(shape, s, sizeof s));
        shape.size[infer] = numel / known;
    }
    return shape;
}

/*
 * The strides that let t be viewed as `shape` without moving data (libtorch's computeStride),
 * or false if there are none.
 *
 * Why it can fail: t's dims fall into "chunks", runs of neighbouring dims that are contiguous
 * with each other (stride[d - 1] == size[d] * stride[d]; size-1 dims never break a run). Inside
 * a chunk the elements are evenly spaced, so the chunk can be regrouped freely. A new dim may
 * not span two chunks, so the new shape must split into groups with the same element counts as
 * the chunks, walking both shapes from the right. A transposed matrix is two chunks of one dim
 * each: it can be split further, (6, 4) -> (3, 2, 4), but not flattened.
 */
static bool view_strides(const Tensor *t, Shape shape, int64_t *stride) {
    const Shape *old = &t->shape;
    if (old->ndim == 0) { /* a 0-dim tensor has one element: any strides will do */
        for (int i = 0; i < shape.ndim; i++) stride[i] = 1;
        return true;
    }
    if (shape_numel(*old) == 0) { /* nothing to address: keep or make contiguous strides */
        if (shape_equal(*old, shape)) memcpy(stride, t->stride, sizeof(int64_t) * (size_t)old->ndim);
        else contiguous_strides(shape, stride);
        return true;
    }
    int v = shape.ndim - 1;                     /* next new dim to place, from the right */
    int64_t base = t->stride[old->ndim - 1];    /* stride of one step inside this chunk */
    int64_t chunk_numel = 1, view_numel = 1;
    for (int d = old->ndim - 1; d >= 0; d--) {
        chunk_numel *= old->size[d];
        bool chunk_ends = d == 0 || (old->size[d - 1] != 1 &&
                                     t->stride[d - 1] != chunk_numel * base);
        if (!chunk_ends) continue;
        /* give this chunk the new dims (from the right) until their sizes multiply to its count;
         * size-1 new dims on its left edge join it too */
        while (v >= 0 && (view_numel < chunk_numel || shape.size[v] == 1)) {
            stride[v] = view_numel * base;
            view_numel *= shape.size[v];
            v--;
        }
        if (view_numel != chunk_numel) return false; /* a new dim would span two chunks */
        if (d > 0) {
            base = t->stride[d - 1];
            chunk_numel = view_numel = 1;
        }
    }
    return v == -1;
}

/* R: x$view(c(2, 6)). One size may be -1 (inferred); no data moves, so t's strides must allow it. */
Tensor *torch_view(Tensor *t, Shape shape) {
    const char *op = "torch_view";
    tensor_check(op, t);
    check_shape_arg(op, shape);
    shape = infer_view_shape(op, shape, shape_numel(t->shape));
    int64_t stride[TORCH_MAX_DIMS];
    if (!view_strides(t, shape, stride))
        torch_error(op, "view size is not compatible with input tensor's size and stride (at "
                        "least one dimension spans across two contiguous subspaces). Use "
                        ".reshape(...) instead.");
    Tensor *out = tensor_view_of(t, shape, stride, t->offset);
    return record1(&(TorchOp){.kind = TORCH_OP_VIEW, .out = out}, t);
}

/* A contiguous copy, recorded as a clone (shared by clone, contiguous and reshape). */
static Tensor *clone_recorded(Tensor *t) {
    Tensor *out = tensor_alloc(t->shape, t->dtype);
    tensor_copy_elements(out, t);
    return record1(&(TorchOp){.kind = TORCH_OP_CLONE, .out = out}, t);
}

/* R: x$reshape(c(2, 6)). A view when the strides allow one (as view); otherwise the data is
 * first copied to a contiguous tensor, which is then viewed. */
Tensor *torch_reshape(Tensor *t, Shape shape) {
    const char *op = "torch_reshape";
    tensor_check(op, t);
    check_shape_arg(op, shape);
    shape = infer_view_shape(op, shape, shape_numel(t->shape));
    int64_t stride[TORCH_MAX_DIMS];
    Tensor *src = t;
    if (!view_strides(t, shape, stride)) {
        src = clone_recorded(t); /* contiguous, so the view below always exists */
        contiguous_strides(shape, stride);
    }
    Tensor *out = tensor_view_of(src, shape, stride, src->offset);
    TorchOpKind kind = src == t ? TORCH_OP_RESHAPE : TORCH_OP_UNSAFE_VIEW;
    record1(&(TorchOp){.kind = kind, .out = out}, src);
    /* Outside any scope nothing would ever release the copy's header (out keeps its data):
     * release it now, unless autograd recorded out and its node holds the copy. */
    if (src != t && src->scope == 0 && out->autograd == NULL) torch_free(src);
    return out;
}

/* ---- squeeze, unsqueeze ------------------------------------------------------------------- */

/* R: x$squeeze(). Drops every size-1 dim. */
Tensor *torch_squeeze(Tensor *t) {
    const char *op = "torch_squeeze";
    tensor_check(op, t);
    Shape shape = {0, {0}};
    int64_t stride[TORCH_MAX_DIMS];
    for (int i = 0; i < t->shape.ndim; i++) {
        if (t->shape.size[i] == 1) continue;
        shape.size[shape.ndim] = t->shape.size[i];
        stride[shape.ndim++] = t->stride[i];
    }
    Tensor *out = tensor_view_of(t, shape, stride, t->offset);
    return record1(&(TorchOp){.kind = TORCH_OP_SQUEEZE, .out = out}, t);
}

/* R: x$squeeze(dim + 1). Drops dim if its size is 1; otherwise the view has t's shape. */
Tensor *torch_squeeze_dim(Tensor *t, int dim) {
    const char *op = "torch_squeeze_dim";
    tensor_check(op, t);
    int d = dim_wrap(op, dim, t->shape.ndim);
    Tensor *out = t->shape.ndim > 0 && t->shape.size[d] == 1
                      ? view_without_dim(t, d, t->offset)
                      : tensor_view_of(t, t->shape, t->stride, t->offset);
    return record1(&(TorchOp){.kind = TORCH_OP_SQUEEZE_DIM, .out = out, .dim = d}, t);
}

/* R: x$unsqueeze(dim + 1). Inserts a size-1 dim before `dim`; dim ranges over [-ndim-1, ndim]. */
Tensor *torch_unsqueeze(Tensor *t, int dim) {
    const char *op = "torch_unsqueeze";
    tensor_check(op, t);
    int nd = t->shape.ndim;
    int d = dim_wrap(op, dim, nd + 1);
    if (nd == TORCH_MAX_DIMS)
        torch_error(op, "a tensor has at most %d dimensions, got %d", TORCH_MAX_DIMS, nd + 1);
    Shape shape = {nd + 1, {0}};
    int64_t stride[TORCH_MAX_DIMS];
    for (int i = 0, j = 0; i <= nd; i++) {
        if (i == d) {
            /* any stride works for a size-1 dim; libtorch picks the one that keeps a contiguous
             * tensor contiguous */
            shape.size[i] = 1;
            stride[i] = d < nd ? t->shape.size[d] * t->stride[d] : 1;
        } else {
            shape.size[i] = t->shape.size[j];
            stride[i] = t->stride[j++];
        }
    }
    Tensor *out = tensor_view_of(t, shape, stride, t->offset);
    return record1(&(TorchOp){.kind = TORCH_OP_UNSQUEEZE, .out = out, .dim = d}, t);
}

/* ---- transpose, t ------------------------------------------------------------------------- */

/* The view of t (ndim >= 1) with dims d0 and d1 (wrapped) swapped: (.., n, .., m, ..) with
 * strides (.., s, .., r, ..) -> (.., m, .., n, ..) with strides (.., r, .., s, ..), over the
 * same storage from the same offset. No element moves. */
static Tensor *transposed_view(Tensor *t, int d0, int d1) {
    /* BEGIN EXERCISE 1.1: transpose as new strides over the same storage */
    Shape shape = t->shape;
    int64_t stride[TORCH_MAX_DIMS];
    memcpy(stride, t->stride, sizeof stride);
    shape.size[d0] = t->shape.size[d1];
    shape.size[d1] = t->shape.size[d0];
    stride[d0] = t->stride[d1];
    stride[d1] = t->stride[d0];
    return tensor_view_of(t, shape, stride, t->offset);
    /* END EXERCISE 1.1 */
}

/* R: x$transpose(dim0 + 1, dim1 + 1). Swaps two dims (sizes and strides). */
Tensor *torch_transpose(Tensor *t, int dim0, int dim1) {
    const char *op = "torch_transpose";
    tensor_check(op, t);
    int d0 = dim_wrap(op, dim0, t->shape.ndim), d1 = dim_wrap(op, dim1, t->shape.ndim);
    Tensor *out = t->shape.ndim > 0 ? transposed_view(t, d0, d1)
                                    : tensor_view_of(t, t->shape, t->stride, t->offset);
    return record1(&(TorchOp){.kind = TORCH_OP_TRANSPOSE, .out = out, .dim = d0, .dim2 = d1}, t);
}

/* R: x$t(). A 2-d transpose; 0-d and 1-d tensors come back as an identical view. */
Tensor *torch_t(Tensor *t) {
    const char *op = "torch_t";
    tensor_check(op, t);
    if (t->shape.ndim > 2)
        torch_error(op, "t() expects a tensor with <= 2 dimensions, but self is %dD",
                    t->shape.ndim);
    Tensor *out = t->shape.ndim == 2 ? transposed_view(t, 0, 1)
                                     : tensor_view_of(t, t->shape, t->stride, t->offset);
    return record1(&(TorchOp){.kind = TORCH_OP_T, .out = out}, t);
}

/* ---- expand ------------------------------------------------------------------------------- */

/* libtorch's expand geometry (declared in linalg_kernels.h, torch_addmm uses it for the bias).
 * Sizes are matched from the right; a missing leading dim counts as size 1. */
void expand_geometry(const char *op, const Tensor *t, const Shape *shape, Shape *out_shape,
                     int64_t *out_stride) {
    char s1[160], s2[160];
    int nd = shape->ndim, tnd = t->shape.ndim;
    if (nd < tnd)
        torch_error(op,
                    "expand(CPU%sType{%s}, size=%s): the number of sizes provided (%d) must be "
                    "greater or equal to the number of dimensions in the tensor (%d)",
                    dtype_name(t->dtype), shape_str(t->shape, s1, sizeof s1),
                    shape_str(*shape, s2, sizeof s2), nd, tnd);
    shape_copy(out_shape, shape);
    for (int i = nd - 1; i >= 0; i--) {
        int d = tnd - nd + i; /* the matching dim of t, < 0 for a new leading dim */
        int64_t size = d >= 0 ? t->shape.size[d] : 1;
        /* a new leading dim that stays size 1 gets the stride that would make it contiguous
         * (libtorch gives every dim of an expanded 0-dim tensor stride 0) */
        int64_t stride = d >= 0     ? t->stride[d]
                         : tnd == 0 ? 0
                                    : out_shape->size[i + 1] * out_stride[i + 1];
        int64_t target = shape->size[i];
        if (target == -1) {
            if (d < 0)
                torch_error(op,
                            "The expanded size of the tensor (-1) isn't allowed in a leading, "
                            "non-existing dimension %d",
                            i);
            target = size;
        }
        if (target != size) {
            if (size != 1)
                torch_error(op,
                            "The expanded size of the tensor (%" PRId64 ") must match the "
                            "existing size (%" PRId64 ") at non-singleton dimension %d.  Target "
                            "sizes: %s.  Tensor sizes: %s",
                            target, size, i, shape_str(*shape, s1, sizeof s1),
                            shape_str(t->shape, s2, sizeof s2));
            if (target < 0) /* libtorch only fails later, with an overflow; say why now */
                torch_error(op, "Trying to create tensor with negative dimension %" PRId64 ": %s",
                            target, shape_str(*shape, s1, sizeof s1));
            size = target;
            stride = 0; /* every index along this dim reads the same element */
        }
        out_shape->size[i] = size;
        out_stride[i] = stride;
    }
    check_view_numel(op, *out_shape, -1);
}

/* R: x$expand(c(2, 3)). A broadcast view: stretched dims repeat the data with stride 0. */
Tensor *torch_expand(Tensor *t, Shape shape) {
    const char *op = "torch_expand";
    tensor_check(op, t);
    check_shape_arg(op, shape);
    Shape out_shape;
    int64_t stride[TORCH_MAX_DIMS];
    expand_geometry(op, t, &shape, &out_shape, stride);
    Tensor *out = tensor_view_of(t, out_shape, stride, t->offset);
    return record1(&(TorchOp){.kind = TORCH_OP_EXPAND, .out = out}, t);
}

/* ---- copies ------------------------------------------------------------------------------ */

/* The copy machinery under clone, contiguous, reshape, copy_ and to_dtype: a walk over dst's
 * positions (walk.h), a row at a time, each row converted by dtype_convert. A contiguous
 * tensor is one row, copied as one block. */
void tensor_copy_elements(Tensor *dst, const Tensor *src) {
    if (shape_numel_p(&dst->shape) == 0) return;
    StridedWalk w;
    walk_start(&w, &dst->shape, 2, (const Tensor *[]){dst, src});
    char *d = tensor_data(dst);
    const char *s = tensor_data(src);
    size_t d_size = dtype_size(dst->dtype), s_size = dtype_size(src->dtype);
    int64_t len = walk_row_length(&w), ds = walk_row_stride(&w, 0), ss = walk_row_stride(&w, 1);
    do {
        dtype_convert(d + (size_t)w.offset[0] * d_size, dst->dtype, ds,
                      s + (size_t)w.offset[1] * s_size, src->dtype, ss, len);
    } while (walk_next_row(&w));
}

/* libtorch's is_non_overlapping_and_dense: the elements fill one block of memory, each address
 * once, with the dims in some order (contiguous, transposed, permuted...). */
static bool dense_non_overlapping(const Tensor *t) {
    int order[TORCH_MAX_DIMS], n = 0;
    for (int i = 0; i < t->shape.ndim; i++) {
        if (t->shape.size[i] == 1) continue; /* a size-1 dim's stride never matters */
        int j = n++;                         /* insertion sort by stride */
        while (j > 0 && t->stride[order[j - 1]] > t->stride[i]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    int64_t expected = 1;
    for (int k = 0; k < n; k++) {
        if (t->stride[order[k]] != expected) return false;
        expected *= t->shape.size[order[k]];
    }
    return true;
}

/* libtorch's overlap test for copy_: do dst and src share memory in a way that makes the
 * result depend on the copy order? Only decided for dense tensors, like libtorch. */
static bool partial_overlap(const Tensor *a, const Tensor *b) {
    if (a->storage != b->storage || shape_numel(a->shape) == 0 || shape_numel(b->shape) == 0)
        return false;
    if (!dense_non_overlapping(a) || !dense_non_overlapping(b)) return false; /* too hard */
    int64_t a0 = a->offset, a1 = a->offset + shape_numel(a->shape);
    int64_t b0 = b->offset, b1 = b->offset + shape_numel(b->shape);
    if (a0 == b0 && a1 == b1) {
        bool same_strides = a->shape.ndim == b->shape.ndim &&
                            memcmp(a->stride, b->stride,
                                   sizeof(int64_t) * (size_t)a->shape.ndim) == 0;
        return !same_strides; /* same block, other order: e.g. x.copy_(x.t()) */
    }
    return a0 < b1 && b0 < a1;
}

/* R: x$copy_(src). Writes src into dst: src broadcasts to dst's shape, the dtype converts. */
Tensor *torch_copy_(Tensor *dst, Tensor *src) {
    const char *op = "torch_copy_";
    char s1[160], s2[160];
    tensor_check(op, dst);
    tensor_check(op, src);
    Shape b = broadcast_shapes(op, dst->shape, src->shape);
    if (!shape_equal(b, dst->shape))
        torch_error(op, "output with shape %s doesn't match the broadcast shape %s",
                    shape_str(dst->shape, s1, sizeof s1), shape_str(b, s2, sizeof s2));
    bool same_data = dst->storage == src->storage && dst->offset == src->offset &&
                     dst->dtype == src->dtype && shape_equal(dst->shape, src->shape) &&
                     memcmp(dst->stride, src->stride,
                            sizeof(int64_t) * (size_t)dst->shape.ndim) == 0;
    check_no_internal_overlap(op, dst);
    if (!same_data && partial_overlap(dst, src))
        torch_error(op, "unsupported operation: some elements of the input tensor and the "
                        "written-to tensor refer to a single memory location. Please clone() "
                        "the tensor before performing the operation.");
    torch_before_inplace_from(op, dst, src);
    if (same_data) return dst; /* copying x onto itself changes nothing */
    /* Overlaps libtorch cannot judge (non-dense views of one storage) read a snapshot of src,
     * so the result never depends on the copy order. */
    Tensor *from = src;
    if (src->storage == dst->storage) {
        from = tensor_alloc(src->shape, src->dtype);
        tensor_copy_elements(from, src);
    }
    tensor_copy_elements(dst, from); /* from broadcasts to dst's shape */
    if (from != src) torch_free(from);
    return dst;
}

/* R: x$to(dtype = torch_long()). Always a new contiguous tensor (libtorch returns x itself
 * when the dtype already matches; the values are the same), its elements converted as
 * dtype_convert says. Only float -> float is recorded for autograd: no gradient flows
 * through bool or int64. */
Tensor *torch_to_dtype(Tensor *t, Dtype dtype) {
    const char *op = "torch_to_dtype";
    tensor_check(op, t);
    if (dtype != TORCH_FLOAT32 && dtype != TORCH_INT64 && dtype != TORCH_BOOL)
        torch_error(op, "unknown dtype %d", (int)dtype);
    Tensor *out = tensor_alloc(t->shape, dtype);
    tensor_copy_elements(out, t);
    if (t->dtype == TORCH_FLOAT32 && dtype == TORCH_FLOAT32)
        record1(&(TorchOp){.kind = TORCH_OP_TO_FLOAT, .out = out}, t);
    return out;
}

/* R: x$clone(). A contiguous copy with its own storage. */
Tensor *torch_clone(Tensor *t) {
    tensor_check("torch_clone", t);
    return clone_recorded(t);
}

/* R: x$contiguous(). t itself when already contiguous, otherwise a contiguous copy. */
Tensor *torch_contiguous(Tensor *t) {
    tensor_check("torch_contiguous", t);
    if (torch_is_contiguous(t)) return t;
    return clone_recorded(t);
}

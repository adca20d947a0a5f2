/* walk.c: the strided walk (walk.h). */
#include "walk.h"

/* Fills stride[] with the strides that read t as a tensor of `shape`, to which t's shape
 * broadcasts: dims are aligned from the right, and a dim that t lacks or has with size 1 gets
 * stride 0, so moving along it keeps reading the same element. */
static void broadcast_strides(const Tensor *t, const Shape *shape, int64_t *stride) {
    int lead = shape->ndim - t->shape.ndim;
    for (int d = 0; d < shape->ndim; d++) {
        int td = d - lead; /* t's own dim, or negative when t lacks this one */
        stride[d] = (td < 0 || t->shape.size[td] == 1) ? 0 : t->stride[td];
    }
}

/* Whether dims d - 1 and d can be walked as one dim of size[d - 1] * size[d]: for every
 * operand, a step along d - 1 is size[d] steps along d (true of contiguous data, and of a
 * broadcast operand that repeats along both). */
static bool walk_can_merge(const StridedWalk *w, int d) {
    for (int k = 0; k < w->n_ops; k++)
        if (w->stride[k][d - 1] != w->stride[k][d] * w->shape.size[d]) return false;
    return true;
}

void walk_start(StridedWalk *w, const Shape *shape, int n_ops, const Tensor *const *ops) {
    w->n_ops = n_ops;
    for (int k = 0; k < WALK_MAX_OPERANDS; k++) w->offset[k] = 0;
    if (walk_is_flat(shape, n_ops, ops)) { /* the common case, in short: one row */
        w->shape = (Shape){1, {shape_numel(*shape)}};
        w->index[0] = 0;
        for (int k = 0; k < n_ops; k++) w->stride[k][0] = 1;
        return;
    }
    int64_t full[WALK_MAX_OPERANDS][TORCH_MAX_DIMS];
    for (int k = 0; k < n_ops; k++) broadcast_strides(ops[k], shape, full[k]);
    w->shape.ndim = 0;
    for (int d = 0; d < shape->ndim; d++) {
        if (shape->size[d] == 1) continue;
        int e = w->shape.ndim++;
        w->shape.size[e] = shape->size[d];
        for (int k = 0; k < n_ops; k++) w->stride[k][e] = full[k][d];
        if (e > 0 && walk_can_merge(w, e)) { /* fold dim e into dim e - 1 */
            w->shape.size[e - 1] *= shape->size[d];
            for (int k = 0; k < n_ops; k++) w->stride[k][e - 1] = full[k][d];
            w->shape.ndim--;
        }
    }
    for (int d = 0; d < w->shape.ndim; d++) w->index[d] = 0;
}

/* One step along dim d, carried into the dims before it as an odometer carries: a dim that
 * reaches its size rolls back to 0 and the dim before it steps. False when dim 0 rolls over
 * (every position of dims 0..d has been visited). */
static bool walk_step(StridedWalk *w, int d) {
    for (; d >= 0; d--) {
        for (int k = 0; k < w->n_ops; k++) w->offset[k] += w->stride[k][d];
        if (++w->index[d] < w->shape.size[d]) return true;
        for (int k = 0; k < w->n_ops; k++) w->offset[k] -= w->stride[k][d] * w->shape.size[d];
        w->index[d] = 0;
    }
    return false;
}

bool walk_next(StridedWalk *w) { return walk_step(w, w->shape.ndim - 1); }

bool walk_next_row(StridedWalk *w) { return walk_step(w, w->shape.ndim - 2); }

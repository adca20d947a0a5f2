/*
 * walk.h: the strided walk, the library's one way through a tensor's positions (walk.c).
 *
 * The element at position (i0, i1, ...) of a tensor lives at i0 * stride[0] + i1 * stride[1]
 * + ... elements from its element 0. A StridedWalk visits every position of a shape in
 * row-major order (the last dim moves fastest) and keeps, for each of its operands, the
 * offset of the current position: a step adds one stride per operand, like an odometer.
 * An operand may have a smaller shape that broadcasts to the walked one: it gets stride 0
 * along the dims it stretches, so it keeps reading the same element there.
 *
 * Its users: the elementwise ops (common/elementwise.c goes one position at a time;
 * common/fast/elementwise.c a row at a time), the copies and dtype conversions (views.c),
 * and reading values back (access.c).
 *
 * Not part of the public API (not installed).
 */
#ifndef CTORCH_WALK_H
#define CTORCH_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "tensor.h"

enum { WALK_MAX_OPERANDS = 4 }; /* torch_where has the most: out, condition, a, b */

typedef struct StridedWalk {
    Shape shape;                                       /* the dims walked (merged: see below) */
    int n_ops;                                         /* operands walked together */
    int64_t stride[WALK_MAX_OPERANDS][TORCH_MAX_DIMS]; /* per operand, 0 along broadcast dims */
    int64_t index[TORCH_MAX_DIMS];                     /* the current position */
    int64_t offset[WALK_MAX_OPERANDS]; /* its offset in each operand, from element 0 */
} StridedWalk;

/* Starts a walk over `shape` at position 0. Each of ops[0..n_ops) has a shape that
 * broadcasts to it (torch's rule: dims aligned from the right, a size-1 dim stretches).
 * The walk drops size-1 dims and merges neighbouring dims that every operand steps through
 * as one (a contiguous (100, 32) is one dim of 3,200): the same positions in the same order,
 * in fewer, longer rows. n_ops <= WALK_MAX_OPERANDS. */
void walk_start(StridedWalk *w, const Shape *shape, int n_ops, const Tensor *const *ops);

/* Whether every operand is contiguous with exactly `shape` (then the walk is one row).
 * Inline: every elementwise op asks first. */
static inline bool walk_is_flat(const Shape *shape, int n_ops, const Tensor *const *ops) {
    for (int k = 0; k < n_ops; k++) {
        const Tensor *t = ops[k];
        if (t->shape.ndim != shape->ndim) return false;
        int64_t expected = 1;
        for (int d = shape->ndim - 1; d >= 0; d--) {
            if (t->shape.size[d] != shape->size[d]) return false;
            if (shape->size[d] != 1 && t->stride[d] != expected) return false;
            expected *= shape->size[d];
        }
    }
    return true;
}

/* Moves to the next position in row-major order; false after the last one (the walk is then
 * back at position 0). */
bool walk_next(StridedWalk *w);

/* The rows of a walk: runs of walk_row_length(w) positions along its last dim, where operand
 * k moves by walk_row_stride(w, k). A 0-dim shape is one row of one position. */
static inline int64_t walk_row_length(const StridedWalk *w) {
    return w->shape.ndim ? w->shape.size[w->shape.ndim - 1] : 1;
}
static inline int64_t walk_row_stride(const StridedWalk *w, int k) {
    return w->shape.ndim ? w->stride[k][w->shape.ndim - 1] : 0;
}

/* Moves to the start of the next row; false after the last row. */
bool walk_next_row(StridedWalk *w);

#endif

/*
 * linalg_kernels.h: what common/linalg.c shares with the rest of the kernel and the tests
 * (not part of the public API).
 */
#ifndef CTORCH_LINALG_KERNELS_H
#define CTORCH_LINALG_KERNELS_H

#include "tensor.h"

/* The matrix product by definition (exercise 1.4): a (n, k), b (k, m), float32 with any
 * strides (views, transposes, slices, stride-0 expansions) -> out, a contiguous float32
 * (n, m). Every output element is
 *     c[i][j] = (((0.0f + a[i][0]*b[0][j]) + a[i][1]*b[1][j]) + ...) + a[i][k-1]*b[k-1][j]
 * in float, each product and each sum rounded. The fast backend's fast_mm gives the same bits
 * for any strides and thread count; the tests check that. */
void mm_reference(const Tensor *a, const Tensor *b, Tensor *out);

/* Defined in views.c, shared with torch_addmm: the sizes and strides of t expanded to
 * `shape` as libtorch's expand computes them (-1 keeps a size; a stretched dim gets stride 0),
 * or libtorch's expand error reported under `op`. Writes *out_shape and out_stride. The shape
 * by pointer, as every hot path takes one (shape_copy, internal.h, says why). */
void expand_geometry(const char *op, const Tensor *t, const Shape *shape, Shape *out_shape,
                     int64_t *out_stride);

#endif

/*
 * linalg_kernels.h: the matrix-product kernels behind torch_mm, torch_matmul and torch_addmm,
 * exposed for the tests (not part of the public API).
 *
 * The numbers are defined once, by mm_reference: every output element is
 *     c[i][j] = (((0.0f + a[i][0]*b[0][j]) + a[i][1]*b[1][j]) + ...) + a[i][k-1]*b[k-1][j]
 * in float, each product and each sum rounded (the build has -ffp-contract=off, so no fused
 * multiply-add). mm_kernel is the fast kernel and must give the same bits for any strides,
 * any blocking and any number of threads; the tests check that.
 */
#ifndef CTORCH_LINALG_KERNELS_H
#define CTORCH_LINALG_KERNELS_H

#include "tensor.h"

/* a (n, k), b (k, m) -> out (n, m). a and b float32 with any strides (views, transposes,
 * slices, stride-0 expansions); out a contiguous float32 (n, m). The naive triple loop. */
void mm_reference(const Tensor *a, const Tensor *b, Tensor *out);

/* Same contract and the same bits as mm_reference, packed, blocked and threaded. */
void mm_kernel(const Tensor *a, const Tensor *b, Tensor *out);

/* mm_kernel, then out[i][j] = out[i][j] + bias[i * bias_rs + j * bias_cs] for every element
 * (torch_addmm: each element's product first, then its bias, in one rounded float add: the
 * bits of torch_add(torch_mm(a, b), bias)), done as each part of out is finished. bias NULL:
 * mm_kernel. */
void mm_kernel_bias(const Tensor *a, const Tensor *b, const float *bias, int64_t bias_rs,
                    int64_t bias_cs, Tensor *out);

/* The instruction set mm_kernel uses: "avx512", "avx2" or "portable" (the best this CPU
 * has, chosen at the first product), or "blas" when built with -Dblas=true (cblas_sgemm,
 * which sums in its own order: not mm_reference's bits). */
const char *mm_isa_name(void);
/* For tests and benchmarks: makes mm_kernel use the named instruction set from now on.
 * Returns false (and changes nothing) if this CPU cannot run it. */
bool mm_isa_use(const char *name);

/* Defined in views.c, shared with torch_addmm: the sizes and strides of t expanded to
 * `shape` as libtorch's expand computes them (-1 keeps a size; a stretched dim gets stride 0),
 * or libtorch's expand error reported under `op`. Writes *out_shape and out_stride. */
void expand_geometry(const char *op, const Tensor *t, Shape shape, Shape *out_shape,
                     int64_t *out_stride);

#endif

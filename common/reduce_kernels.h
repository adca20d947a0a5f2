/*
 * reduce_kernels.h: the two sum kernels behind torch_sum, torch_sum_dim, torch_mean and
 * torch_mean_dim, exposed for the tests and benchmarks (not part of the public API).
 *
 * Both read a contiguous float buffer src seen as (outer, n, inner) around the reduced dim:
 * element (o, k, i) at (o * n + k) * inner + i (see Lanes in reduce.c). They write
 * dst[o * inner + i] = the sum over k of lane (o, i), accumulated in double in increasing k and
 * rounded to float once; with `mean`, (float)(sum / n) (NaN for n = 0).
 * sum_reference is the definition (sum_lanes, exercise 1.3); sum_fast must give the same bits
 * for any shape and any number of threads, which the tests check.
 */
#ifndef CTORCH_REDUCE_KERNELS_H
#define CTORCH_REDUCE_KERNELS_H

#include <stdbool.h>
#include <stdint.h>

/* One lane after the other, in plain loops: exercise 1.3's sum_lanes. */
void sum_reference(const float *src, int64_t outer, int64_t n, int64_t inner, float *dst,
                   bool mean);

/* Same contract and the same bits, many lanes side by side in vector registers; a large sum
 * is split over threads by ranges of lanes. */
void sum_fast(const float *src, int64_t outer, int64_t n, int64_t inner, float *dst, bool mean);

/* The instruction set sum_fast uses: "avx2" or "portable" (the best this CPU has, chosen at
 * the first sum). */
const char *sum_isa_name(void);
/* For tests and benchmarks: makes sum_fast use the named instruction set from now on. Returns
 * false (and changes nothing) if this CPU cannot run it. */
bool sum_isa_use(const char *name);

#endif

/*
 * reduce_kernels.h: what common/reduce.c shares with the fast backend and the tests (not part
 * of the public API).
 */
#ifndef CTORCH_REDUCE_KERNELS_H
#define CTORCH_REDUCE_KERNELS_H

#include <stdbool.h>
#include <stdint.h>

/* A reduction along dim sees the contiguous input as outer x n x inner: outer is the product
 * of the sizes before dim, n the size of dim, inner the product of the sizes after it.
 * Element (o, k, i) sits at (o * n + k) * inner + i, and reducing over k leaves outer x inner
 * results, in row-major order of the output. A reduction over everything is 1 x numel x 1. */
typedef struct Lanes {
    int64_t outer, n, inner;
} Lanes;

/* The sums by definition (exercise 1.5's sum_lanes): src (outer, n, inner) contiguous ->
 * dst (outer, inner), each lane's n elements accumulated in double in increasing k and
 * rounded to float once; with `mean`, (float)(sum / n) (NaN for n = 0). The fast backend's
 * fast_sum gives the same bits for any shape and thread count; the tests check that. */
void sum_reference(const float *src, int64_t outer, int64_t n, int64_t inner, float *dst,
                   bool mean);

#endif

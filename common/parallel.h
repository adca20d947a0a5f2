/*
 * parallel.h: splitting a loop over threads (R: torch_set_num_threads).
 * Only large kernels use it; small ones run on the calling thread, because starting
 * threads costs more than a 100 x 32 matrix product.
 */
#ifndef CTORCH_PARALLEL_H
#define CTORCH_PARALLEL_H

#include <stdint.h>

/* Calls fn(begin, end, ctx) on disjoint chunks covering [0, n). Runs on one thread when n is
 * below `grain` or one thread is set. Chunks are fixed by n and the thread count, so a result
 * never depends on which thread ran which chunk. */
void parallel_for(int64_t n, int64_t grain, void (*fn)(int64_t begin, int64_t end, void *ctx),
                  void *ctx);

#endif

/*
 * parallel.h: splitting a loop over threads, for the fast kernels only (backend.h).
 * Small kernels run on the calling thread: starting threads costs more than a 100 x 32
 * matrix product.
 */
#ifndef CTORCH_PARALLEL_H
#define CTORCH_PARALLEL_H

#include <stdint.h>

/* The most threads a kernel uses, whatever torch_set_num_threads says: the size of the
 * per-thread arrays (the matrix product's packing buffers, parallel_for's chunks). */
enum { PARALLEL_MAX_THREADS = 64 };

/* Calls fn(begin, end, ctx) on disjoint chunks covering [0, n), one chunk per thread (at most
 * torch_get_num_threads() and PARALLEL_MAX_THREADS, and at most n / grain). Runs on the
 * calling thread when that leaves one chunk. Chunks are fixed by n and the thread count, so a
 * result never depends on which thread ran which chunk. With n = threads and grain 1, chunk i
 * is [i, i + 1): fn learns its worker's index (the matrix product picks its buffers by it).
 * An error in fn (torch_error) on any thread is raised again on the calling thread, with the
 * same message, once every chunk has finished (the first chunk's error, if several fail). */
void parallel_for(int64_t n, int64_t grain, void (*fn)(int64_t begin, int64_t end, void *ctx),
                  void *ctx);

#endif

/* parallel.c: a plain pthreads parallel-for (parallel.h). */
#include "parallel.h"
#include "../backend.h"

#include <pthread.h>

typedef struct Chunk {
    void (*fn)(int64_t, int64_t, void *);
    void *ctx;
    int64_t begin, end;
} Chunk;

static void *run_chunk(void *arg) {
    Chunk *c = arg;
    c->fn(c->begin, c->end, c->ctx);
    return NULL;
}

void parallel_for(int64_t n, int64_t grain, void (*fn)(int64_t, int64_t, void *), void *ctx) {
    int threads = torch_get_num_threads();
    if (threads > PARALLEL_MAX_THREADS) threads = PARALLEL_MAX_THREADS;
    if (grain < 1) grain = 1;
    if (n / grain < threads) threads = (int)(n / grain);
    if (threads <= 1) {
        if (n > 0) fn(0, n, ctx);
        return;
    }
    fast_isa(); /* the instruction set is settled before any worker can ask for it */
    Chunk chunks[PARALLEL_MAX_THREADS];
    pthread_t ids[PARALLEL_MAX_THREADS];
    for (int i = 0; i < threads; i++)
        chunks[i] = (Chunk){fn, ctx, n * i / threads, n * (i + 1) / threads};
    int started = 1; /* chunk 0 runs here */
    for (int i = 1; i < threads; i++, started++)
        if (pthread_create(&ids[i], NULL, run_chunk, &chunks[i]) != 0) break;
    for (int i = started; i < threads; i++) run_chunk(&chunks[i]); /* could not start: run here */
    run_chunk(&chunks[0]);
    for (int i = 1; i < started; i++) pthread_join(ids[i], NULL);
}

/* parallel.c: a plain pthreads parallel-for. */
#include "parallel.h"
#include "tensor.h"

#include <pthread.h>
#include <unistd.h>

static int num_threads; /* 0 = not set yet: every core */

/* Asked once: sysconf reads the system's files, which would cost more than a small op. */
static int cores(void) {
    static int count;
    if (count == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        count = n > 0 ? (int)n : 1;
    }
    return count;
}

void torch_set_num_threads(int n) { num_threads = n > 0 ? n : cores(); }

int torch_get_num_threads(void) { return num_threads > 0 ? num_threads : cores(); }

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
    if (threads > 64) threads = 64;
    if (grain < 1) grain = 1;
    if (n / grain < threads) threads = (int)(n / grain);
    if (threads <= 1) {
        if (n > 0) fn(0, n, ctx);
        return;
    }
    Chunk chunks[64];
    pthread_t ids[64];
    for (int i = 0; i < threads; i++)
        chunks[i] = (Chunk){fn, ctx, n * i / threads, n * (i + 1) / threads};
    int started = 1; /* chunk 0 runs here */
    for (int i = 1; i < threads; i++, started++)
        if (pthread_create(&ids[i], NULL, run_chunk, &chunks[i]) != 0) break;
    for (int i = started; i < threads; i++) run_chunk(&chunks[i]); /* could not start: run here */
    run_chunk(&chunks[0]);
    for (int i = 1; i < started; i++) pthread_join(ids[i], NULL);
}

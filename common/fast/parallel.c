/* parallel.c: a plain pthreads parallel-for (parallel.h).
 *
 * No error crosses threads: each chunk runs under a catch of its own, so that an error found
 * on a worker (torch_error) ends that chunk only, and once every thread has finished, the
 * calling thread raises it again, with the same message, where the program's catch is. */
#include "parallel.h"
#include "../backend.h"
#include "../internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Chunk {
    void (*fn)(int64_t, int64_t, void *);
    void *ctx;
    int64_t begin, end;
    char *error; /* the chunk's error message (malloc'ed), or NULL */
} Chunk;

static void *run_chunk(void *arg) {
    Chunk *c = arg;
    jmp_buf on_error;
    jmp_buf *outer = torch_catch_worker_errors(&on_error);
    if (setjmp(on_error) == 0) {
        c->fn(c->begin, c->end, c->ctx);
    } else {
        c->error = strdup(torch_last_error());
        if (!c->error) c->error = strdup("parallel_for: out of memory");
    }
    torch_catch_worker_errors(outer);
    return NULL;
}

/* After every chunk has run: the first chunk's error, if any, raised on this thread. */
static void raise_chunk_error(Chunk *chunks, int threads) {
    char message[1024] = "";
    for (int i = threads - 1; i >= 0; i--)
        if (chunks[i].error) {
            snprintf(message, sizeof message, "%s", chunks[i].error);
            free(chunks[i].error);
        }
    if (message[0]) torch_error_again(message);
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
        chunks[i] = (Chunk){fn, ctx, n * i / threads, n * (i + 1) / threads, NULL};
    int started = 1; /* chunk 0 runs here */
    for (int i = 1; i < threads; i++, started++)
        if (pthread_create(&ids[i], NULL, run_chunk, &chunks[i]) != 0) break;
    for (int i = started; i < threads; i++) run_chunk(&chunks[i]); /* could not start: run here */
    run_chunk(&chunks[0]);
    for (int i = 1; i < started; i++) pthread_join(ids[i], NULL);
    raise_chunk_error(chunks, threads);
}

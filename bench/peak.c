/*
 * peak.c: the machine's peak rate of float32 multiply-adds, measured: the limit that
 * docs/performance.md sets the scaled epoch against.
 *
 * Each thread runs ACCUMULATORS independent chains of fused multiply-adds on full vector
 * registers (acc = acc * m + c): enough chains in flight to cover the FMA units' latency, and
 * nothing else in the loop, so the loop runs at the units' throughput. The widest instruction
 * set the CPU has is used (AVX-512, else AVX2 with FMA, else plain C that the compiler may
 * or may not vectorize), with intrinsics: the project compiles with -ffp-contract=off, so a
 * written a * b + c would not become one instruction.
 */
#include "peak.h"

#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define PEAK_X86 1
#else
#define PEAK_X86 0
#endif

enum { ACCUMULATORS = 12 };

static double peak_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

#if PEAK_X86
/* 12 x 16 lanes, `iters` times: returns a lane sum so the work cannot be optimized away. */
__attribute__((target("avx512f"))) static float fma_avx512(long iters) {
    __m512 acc[ACCUMULATORS];
    const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < ACCUMULATORS; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long it = 0; it < iters; it++)
        for (int i = 0; i < ACCUMULATORS; i++) acc[i] = _mm512_fmadd_ps(acc[i], m, c);
    __m512 s = acc[0];
    for (int i = 1; i < ACCUMULATORS; i++) s = _mm512_add_ps(s, acc[i]);
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) static float fma_avx2(long iters) {
    __m256 acc[ACCUMULATORS];
    const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < ACCUMULATORS; i++) acc[i] = _mm256_set1_ps((float)i);
    for (long it = 0; it < iters; it++)
        for (int i = 0; i < ACCUMULATORS; i++) acc[i] = _mm256_fmadd_ps(acc[i], m, c);
    float lanes[8], sum = 0;
    for (int i = 1; i < ACCUMULATORS; i++) acc[0] = _mm256_add_ps(acc[0], acc[i]);
    _mm256_storeu_ps(lanes, acc[0]);
    for (int i = 0; i < 8; i++) sum += lanes[i];
    return sum;
}
#endif

static float fma_portable(long iters) {
    float acc[ACCUMULATORS][8];
    for (int i = 0; i < ACCUMULATORS; i++)
        for (int l = 0; l < 8; l++) acc[i][l] = (float)(i + l);
    for (long it = 0; it < iters; it++)
        for (int i = 0; i < ACCUMULATORS; i++)
            for (int l = 0; l < 8; l++) acc[i][l] = fmaf(acc[i][l], 0.999999f, 1e-7f);
    float sum = 0;
    for (int i = 0; i < ACCUMULATORS; i++)
        for (int l = 0; l < 8; l++) sum += acc[i][l];
    return sum;
}

/* The widest FMA this CPU runs: its name and its float lanes per instruction. */
static const char *peak_isa(int *lanes) {
#if PEAK_X86
    if (__builtin_cpu_supports("avx512f")) return *lanes = 16, "avx512";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return *lanes = 8, "avx2";
#endif
    return *lanes = 8, "portable";
}

static float run_fma(const char *isa, long iters) {
#if PEAK_X86
    if (strcmp(isa, "avx512") == 0) return fma_avx512(iters);
    if (strcmp(isa, "avx2") == 0) return fma_avx2(iters);
#endif
    return fma_portable(iters);
}

typedef struct {
    const char *isa;
    long iters;
    double seconds;
    volatile float sink;
} PeakJob;

static void *peak_worker(void *arg) {
    PeakJob *job = arg;
    double t = peak_now();
    job->sink = run_fma(job->isa, job->iters);
    job->seconds = peak_now() - t;
    return NULL;
}

PeakResult peak_fma(int threads) {
    if (threads < 1) threads = 1;
    if (threads > PEAK_MAX_THREADS) threads = PEAK_MAX_THREADS;
    PeakResult r = {0};
    r.isa = peak_isa(&r.lanes);
    r.threads = threads;
    /* 3 GFLOP per thread a run (about 30 ms at 100 GFLOPS); the best of 5 runs */
    const long iters = (long)(3e9 / (2.0 * ACCUMULATORS * r.lanes));
    for (int run = 0; run < 5; run++) {
        PeakJob jobs[PEAK_MAX_THREADS] = {{0}};
        pthread_t tid[PEAK_MAX_THREADS];
        for (int t = 0; t < threads; t++) jobs[t] = (PeakJob){.isa = r.isa, .iters = iters};
        int started = 1; /* jobs[0] runs here; a thread that cannot start lowers the count */
        while (started < threads &&
               pthread_create(&tid[started], NULL, peak_worker, &jobs[started]) == 0)
            started++;
        peak_worker(&jobs[0]);
        double slowest = jobs[0].seconds;
        for (int t = 1; t < started; t++) {
            pthread_join(tid[t], NULL);
            if (jobs[t].seconds > slowest) slowest = jobs[t].seconds;
        }
        /* every thread did iters x ACCUMULATORS FMAs of `lanes` floats, 2 flops each */
        double gflops = 2.0 * (double)iters * ACCUMULATORS * r.lanes * started / slowest / 1e9;
        r.threads = started;
        if (gflops > r.gflops) r.gflops = gflops;
    }
    return r;
}

/*
 * peak.h: the machine's peak float32 multiply-add rate, measured (bench/peak.c).
 */
#ifndef CTORCH_BENCH_PEAK_H
#define CTORCH_BENCH_PEAK_H

enum { PEAK_MAX_THREADS = 64 };

typedef struct {
    const char *isa; /* "avx512", "avx2" or "portable" */
    int lanes;       /* floats per FMA instruction */
    int threads;
    double gflops; /* 2 flops per multiply-add, all threads together; best of 5 runs */
} PeakResult;

/* Runs chains of fused multiply-adds on `threads` threads at once. */
PeakResult peak_fma(int threads);

#endif

/*
 * sum.c: the fast backend's sums and means (backend.h's fast_sum), with the bits of sum_lanes in
 * common/reduce.c: each lane adds its elements in increasing k, in double, and rounds once.
 *
 * Summed one after the other, the 32 lanes of a (100, 32) gradient are 32 chains of 100 adds,
 * each add waiting for the one before. fast_sum sums up to 32 neighbouring lanes side by side,
 * reading each row of the chunk in memory order, with their running sums in vector registers:
 * the adds of different lanes are independent, so they overlap, four to a vector instruction.
 * A large block is read a few rows at a time instead (sum_block says why); lanes of one
 * element per block (inner 1: a sum over everything, or over the last dim) are chains of
 * contiguous floats, summed four blocks side by side (sum_chains). Whatever the path, each lane
 * adds its own elements in increasing k, in double, and rounds once: sum_lanes's bits. The
 * order of the lanes, their grouping in vectors and the thread that sums them change nothing.
 *
 * vd4 is GCC's vector extension (also Clang's): four doubles, one lane's sum in each element;
 * adding two vd4 is four separate double adds, each rounded as a scalar add would be. An AVX2
 * register holds one vd4, a baseline (SSE2) register half of one.
 */
#include "../internal.h"
#include "../backend.h"
#include "../reduce_kernels.h"
#include "parallel.h"

#include <string.h>

typedef double vd4 __attribute__((vector_size(4 * sizeof(double))));
typedef double vd8 __attribute__((vector_size(8 * sizeof(double)))); /* AVX-512: 8 lanes */
typedef float vf4 __attribute__((vector_size(4 * sizeof(float)))); /* four results */

/* Unrolled completely, the loops over a chunk's vectors name each accumulator at compile time,
 * which lets the compiler keep all of them in registers instead of in an array in memory. */
#define SUM_UNROLL _Pragma("GCC unroll 8")

enum {
    SUM_MAX_NV = 8,        /* vectors in the widest chunk: 32 lanes */
    SUM_RANGE = 1024,      /* lanes whose partial sums a pass keeps (8 KB of doubles) */
    SUM_CACHED = 1 << 16,  /* a block of at most this many floats (256 KB) is read in one go */
    SUM_ROWS = 8,          /* rows per step of a larger block */
};

/* The sum (or mean) of n elements, rounded to float. */
ALWAYS_INLINE float sum_result(double acc, int64_t n, bool mean) {
    return mean ? (float)(acc / (double)n) : (float)acc;
}

/* out[j] = sum_result(partial[j], n, mean) for j < w, four lanes per vector. */
ALWAYS_INLINE void sum_results(const double *partial, int64_t w, int64_t n, bool mean,
                            float *out) {
    double count = (double)n;
    int64_t j = 0;
    for (; j + 4 <= w; j += 4) {
        vd4 acc;
        memcpy(&acc, partial + j, sizeof acc);
        vf4 rounded = __builtin_convertvector(mean ? acc / (vd4){count, count, count, count} : acc,
                                              vf4);
        memcpy(out + j, &rounded, sizeof rounded);
    }
    for (; j < w; j++) out[j] = sum_result(partial[j], n, mean);
}

/* 4 * nv neighbouring lanes, lane j at col[k * inner + j] for k < rows, added in increasing k
 * to the partial sums partial[j]. nv is a constant (8, 4, 2 or 1) in each call, so the nv
 * accumulators are registers while the rows are read. */
ALWAYS_INLINE void sum_chunk(const float *col, int64_t rows, int64_t inner, int nv,
                          double *partial) {
    vd4 acc[SUM_MAX_NV];
    SUM_UNROLL for (int v = 0; v < nv; v++) memcpy(&acc[v], partial + 4 * v, sizeof acc[v]);
    _Pragma("GCC unroll 2") for (int64_t k = 0; k < rows; k++) { /* half the loop's own work */
        const float *row = col + k * inner;
        SUM_UNROLL for (int v = 0; v < nv; v++) {
            const float *p = row + 4 * v;
            acc[v] += (vd4){p[0], p[1], p[2], p[3]}; /* four floats made doubles: exact */
        }
    }
    SUM_UNROLL for (int v = 0; v < nv; v++) memcpy(partial + 4 * v, &acc[v], sizeof acc[v]);
}

/* The same for 8 * nv lanes, eight to a vector: the AVX-512 copy's chunks. */
ALWAYS_INLINE void sum_chunk8(const float *col, int64_t rows, int64_t inner, int nv,
                              double *partial) {
    vd8 acc[SUM_MAX_NV];
    SUM_UNROLL for (int v = 0; v < nv; v++) memcpy(&acc[v], partial + 8 * v, sizeof acc[v]);
    _Pragma("GCC unroll 2") for (int64_t k = 0; k < rows; k++) {
        const float *row = col + k * inner;
        SUM_UNROLL for (int v = 0; v < nv; v++) {
            const float *p = row + 8 * v;
            acc[v] += (vd8){p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]};
        }
    }
    SUM_UNROLL for (int v = 0; v < nv; v++) memcpy(partial + 8 * v, &acc[v], sizeof acc[v]);
}

/* One lane, col[k * stride] for k < n, added in increasing k to acc. Each add needs the one
 * before, so nothing can overlap them; four adds per step keep the loop's own work small. */
ALWAYS_INLINE double sum_chain(const float *col, int64_t n, int64_t stride, double acc) {
    int64_t k = 0;
    for (; k + 4 <= n; k += 4) {
        const float *p = col + k * stride;
        acc += p[0];
        acc += p[stride];
        acc += p[2 * stride];
        acc += p[3 * stride];
    }
    for (; k < n; k++) acc += col[k * stride];
    return acc;
}

/* w neighbouring lanes (lane j at col[k * inner + j]), rows 0 .. rows - 1, added to
 * partial[j]: with 8-double vectors (wide8), chunks of 64, 16 and 8 lanes first; then chunks
 * of 4 * max_nv lanes, then of 16, 8 and 4 as they fit, then single lanes. max_nv is the
 * widest chunk of 4-double vectors whose accumulators fit in the instruction set's registers. */
ALWAYS_INLINE void sum_lanes_step(const float *col, int64_t rows, int64_t inner, int64_t w,
                               double *partial, int max_nv, bool wide8) {
    int64_t j = 0;
    if (wide8) {
        for (; w - j >= 64; j += 64) sum_chunk8(col + j, rows, inner, 8, partial + j);
        if (w - j >= 32) { /* a hidden layer's 32 lanes: all their chains side by side */
            sum_chunk8(col + j, rows, inner, 4, partial + j);
            j += 32;
        }
        if (w - j >= 16) {
            sum_chunk8(col + j, rows, inner, 2, partial + j);
            j += 16;
        }
        if (w - j >= 8) {
            sum_chunk8(col + j, rows, inner, 1, partial + j);
            j += 8;
        }
    }
    for (; w - j >= 4 * max_nv; j += 4 * max_nv)
        sum_chunk(col + j, rows, inner, max_nv, partial + j);
    if (max_nv > 4 && w - j >= 16) {
        sum_chunk(col + j, rows, inner, 4, partial + j);
        j += 16;
    }
    if (max_nv > 2 && w - j >= 8) {
        sum_chunk(col + j, rows, inner, 2, partial + j);
        j += 8;
    }
    if (w - j >= 4) {
        sum_chunk(col + j, rows, inner, 1, partial + j);
        j += 4;
    }
    for (; j < w; j++) partial[j] = sum_chain(col + j, rows, inner, partial[j]);
}

/* Lanes i0 .. i1 - 1 of one block (n, inner) -> out[i0 .. i1 - 1], SUM_RANGE lanes per pass.
 * A block that fits in the cache is read in one go: each chunk's sums stay in registers over
 * all n rows. A larger one would then be read 128 bytes from each row at a time, rows far
 * apart in memory, which the CPU cannot prefetch: so it is read SUM_ROWS rows at a time, all
 * the pass's lanes of those rows before the next rows (a few streams in memory order), the
 * partial sums going to memory and back in between. Either way each lane adds in k order. */
ALWAYS_INLINE void sum_block(const float *block, int64_t n, int64_t inner, int64_t i0, int64_t i1,
                          float *out, bool mean, int max_nv, bool wide8) {
    double partial[SUM_RANGE];
    int64_t step = n * inner <= SUM_CACHED ? n : SUM_ROWS; /* rows at a time */
    for (int64_t r0 = i0; r0 < i1; r0 += SUM_RANGE) {
        int64_t w = i1 - r0 < SUM_RANGE ? i1 - r0 : SUM_RANGE;
        memset(partial, 0, sizeof(double) * (size_t)w);
        for (int64_t k0 = 0; k0 < n; k0 += step) {
            int64_t rows = n - k0 < step ? n - k0 : step;
            sum_lanes_step(block + k0 * inner + r0, rows, inner, w, partial, max_nv, wide8);
        }
        sum_results(partial, w, n, mean, out + r0);
    }
}

/*
 * Whether adding col[0 .. n-1] in double is exact in every order, so that any order gives the
 * chain's bits. Each float is a whole multiple of its ulp, 2^(E - 150) for biased exponent E
 * (2^-149 for a subnormal, as if E were 1), so every partial sum is a multiple of the smallest
 * such ulp, 2^(Emin - 150); and less than n * 2^(Emax - 126) in size. A double holds every
 * multiple of 2^e up to 2^(e + 53) exactly, so when Emax - Emin + ceil(log2 n) <= 29 no add
 * ever rounds. (Zeros do not count; an infinity or a NaN makes it false.) Gradients and losses
 * usually pass: their elements span less than 2^22 (n = 100) of each other.
 */
ALWAYS_INLINE bool sum_is_exact(const float *col, int64_t n) {
    uint32_t emax = 0, emin = 255; /* biased exponents of the nonzero elements */
    for (int64_t k = 0; k < n; k++) { /* no branch: the compiler vectorizes the loop */
        uint32_t bits;
        memcpy(&bits, col + k, sizeof bits);
        uint32_t magnitude = bits & 0x7FFFFFFF, e = magnitude >> 23; /* a zero's e is 0 */
        uint32_t e_min = magnitude == 0 ? 255 : e == 0 ? 1 : e;
        emax = e > emax ? e : emax;
        emin = e_min < emin ? e_min : emin;
    }
    if (emax == 0) return true; /* every element is zero */
    int log2n = 0;
    while (log2n < 63 && ((int64_t)1 << log2n) < n) log2n++;
    return emax < 255 && (int64_t)emax - (int64_t)emin + log2n <= 29;
}

/* One lane of n contiguous floats, summed from 0.0: when sum_is_exact, in four interleaved
 * chains (a quarter of the waiting), else in order. Either way sum_lanes's bits. */
ALWAYS_INLINE double sum_contiguous(const float *col, int64_t n) {
    if (n < 16 || !sum_is_exact(col, n)) return sum_chain(col, n, 1, 0.0);
    vd4 acc = {0.0, 0.0, 0.0, 0.0};
    int64_t k = 0;
    for (; k + 4 <= n; k += 4) acc += (vd4){col[k], col[k + 1], col[k + 2], col[k + 3]};
    double sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (; k < n; k++) sum += col[k];
    return sum;
}

/* src (outer, n, 1) -> dst (outer): blocks of one lane, each a chain of n contiguous floats.
 * Four blocks side by side make four chains whose adds overlap. */
ALWAYS_INLINE void sum_chains(const float *src, int64_t outer, int64_t n, float *dst, bool mean) {
    int64_t o = 0;
    for (; o + 4 <= outer; o += 4) {
        const float *r = src + o * n;
        vd4 acc = {0.0, 0.0, 0.0, 0.0};
        for (int64_t k = 0; k < n; k++) acc += (vd4){r[k], r[n + k], r[2 * n + k], r[3 * n + k]};
        double partial[4];
        memcpy(partial, &acc, sizeof partial);
        sum_results(partial, 4, n, mean, dst + o);
    }
    for (; o < outer; o++) dst[o] = sum_result(sum_contiguous(src + o * n, n), n, mean);
}

/* src (outer, n, inner) -> dst (outer, inner), lanes i0 .. i1 - 1 of every block only. */
ALWAYS_INLINE void sum_lanes_fast(const float *src, Lanes l, int64_t i0, int64_t i1, float *dst,
                               bool mean, int max_nv, bool wide8) {
    if (l.inner == 1) { /* contiguous chains: the tightest loops */
        if (i0 < i1) sum_chains(src, l.outer, l.n, dst, mean);
        return;
    }
    for (int64_t o = 0; o < l.outer; o++)
        sum_block(src + o * l.n * l.inner, l.n, l.inner, i0, i1, dst + o * l.inner, mean, max_nv,
                  wide8);
}

/* sum_lanes_fast compiled for the baseline instruction set (16 registers of 2 doubles: chunks
 * of 4 vd4, 8 registers), for AVX2 (16 registers of 4 doubles: chunks of 8 vd4) and for
 * AVX-512 (32 registers of 8 doubles: chunks of up to 8 vd8, half as many instructions per
 * float as AVX2's), the one the CPU has chosen at run time. Same adds, same bits. */
typedef void SumLanesFn(const float *src, const Lanes *l, int64_t i0, int64_t i1, float *dst,
                        bool mean);
/* The lanes by pointer, read a field at a time (shape_copy, internal.h, says why): the caller
 * has just written them. */
#define SUM_LANES(l) ((Lanes){(l)->outer, (l)->n, (l)->inner})

static void sum_lanes_portable(const float *src, const Lanes *l, int64_t i0, int64_t i1,
                               float *dst, bool mean) {
    sum_lanes_fast(src, SUM_LANES(l), i0, i1, dst, mean, 4, false);
}

#if defined(__x86_64__) || defined(__i386__)
#define SUM_X86 1
__attribute__((target("avx2"))) static void sum_lanes_avx2(const float *src, const Lanes *l,
                                                           int64_t i0, int64_t i1, float *dst,
                                                           bool mean) {
    sum_lanes_fast(src, SUM_LANES(l), i0, i1, dst, mean, SUM_MAX_NV, false);
}
__attribute__((target("avx512f,avx512vl"))) static void
sum_lanes_avx512(const float *src, const Lanes *l, int64_t i0, int64_t i1, float *dst,
                 bool mean) {
    sum_lanes_fast(src, SUM_LANES(l), i0, i1, dst, mean, SUM_MAX_NV, true);
}
#endif

/* The copy for the instruction set every fast kernel uses (cpu.c). */
static SumLanesFn *sum_lanes_best(void) {
#ifdef SUM_X86
    if (fast_isa() >= FAST_AVX512) return sum_lanes_avx512;
    if (fast_isa() >= FAST_AVX2) return sum_lanes_avx2;
#endif
    return sum_lanes_portable;
}

/* ---- threads ------------------------------------------------------------------------------- */

/* A large sum is split over threads in units of up to SUM_UNIT_LANES neighbouring lanes of one
 * block: unit u is lanes (u % groups) * SUM_UNIT_LANES onwards of block u / groups, where
 * groups = ceil(inner / SUM_UNIT_LANES). So a sum over dim 0 (one block: the bias gradient
 * of a (4096, 2048) output) splits by ranges of columns, and a sum over the last dim (inner
 * 1) by rows. Each lane is summed whole, in index order, by one thread: the thread count
 * changes no bit. A unit is a multiple of every chunk. */
enum { SUM_UNIT_LANES = 64, SUM_GRAIN = 1 << 16 /* elements per thread, at least */ };

typedef struct SumJob {
    const float *src;
    Lanes l;
    int64_t groups; /* units per block */
    float *dst;
    bool mean;
} SumJob;

/* Units [begin, end) of the job in ctx: one thread's share. Whole blocks go to the kernel
 * together; a block the range starts or ends inside, as a range of its lanes. */
static void sum_range(int64_t begin, int64_t end, void *ctx) {
    const SumJob *job = ctx;
    SumLanesFn *fn = sum_lanes_best();
    int64_t n = job->l.n, inner = job->l.inner, groups = job->groups;
    for (int64_t u = begin; u < end;) {
        int64_t o = u / groups, first = u % groups;
        const float *src = job->src + o * n * inner;
        float *dst = job->dst + o * inner;
        if (first == 0 && end - u >= groups) { /* whole blocks */
            int64_t blocks = (end - u) / groups;
            fn(src, &(Lanes){blocks, n, inner}, 0, inner, dst, job->mean);
            u += blocks * groups;
        } else { /* units first .. stop - 1 of block o */
            int64_t stop = end - o * groups < groups ? end - o * groups : groups;
            int64_t i1 = stop * SUM_UNIT_LANES < inner ? stop * SUM_UNIT_LANES : inner;
            fn(src, &(Lanes){1, n, inner}, first * SUM_UNIT_LANES, i1, dst, job->mean);
            u = o * groups + stop;
        }
    }
}

void fast_sum(const float *src, int64_t outer, int64_t n, int64_t inner, float *dst, bool mean) {
    Lanes l = {outer, n, inner};
    int64_t groups = (inner + SUM_UNIT_LANES - 1) / SUM_UNIT_LANES;
    if (outer * n * inner < 2 * SUM_GRAIN || outer * groups < 2) { /* no job to set up */
        sum_lanes_best()(src, &l, 0, inner, dst, mean);
        return;
    }
    int64_t unit = n * (inner < SUM_UNIT_LANES ? inner : SUM_UNIT_LANES); /* elements */
    SumJob job = {src, l, groups, dst, mean};
    parallel_for(outer * groups, (SUM_GRAIN + unit - 1) / unit, sum_range, &job);
}

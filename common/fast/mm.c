/*
 * mm.c: the fast backend's matrix product (backend.h's fast_mm), with the bits of
 * mm_reference in common/linalg.c: every element (i, j) sums a[i][p] * b[p][j] in one float,
 * from 0.0f, in ascending p, each product and sum rounded (no fused multiply-add).
 *
 * docs/performance.md tells the story of each step. In short, a product of size n x k x m
 * does n*k*m multiply-adds on n*k + k*m inputs, so each input is used many times; the fast
 * kernel arranges the work so that those uses find the input in a register or a nearby cache:
 *   - register tile: an MR x NR corner of c is summed in vector registers while p runs
 *     (mm_tile.h), so each loaded b vector serves MR rows and each a value NR columns;
 *   - packing: before the tiles run, a block of b (KC x NC) is copied into NR-wide column
 *     panels and a block of a (MC x KC) into MR-tall row panels, in exactly the order the tile
 *     reads them, whatever the operands' strides (a transposed view costs nothing more);
 *   - blocking: the sizes are picked so that one b panel (KC x NR) stays in the L1 cache while
 *     the tile runs down the a block (MC x KC, in L2), and the b block sits in L3;
 *   - prefetching: while a tile runs, the next tile's corner of c is asked for, so that its
 *     partial sums (from the pass before) are in the cache when that tile starts;
 *   - threads: large products split c into column (or row) ranges, which the threads take in
 *     turn, each with its own packing buffers;
 *   - instruction sets: the tile is compiled for AVX-512, AVX2 and plain C and the CPU picks.
 * A pass over p covers KC steps; the next pass starts from the partial sums the last one left
 * in c, so every element still adds its products in ascending p, from 0.0f: mm_reference's
 * numbers, bit for bit.
 */
#include "../internal.h"
#include "../backend.h"
#include "parallel.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static int64_t min64(int64_t x, int64_t y) { return x < y ? x : y; }

/* A matrix seen through its strides: element (i, j) is p[i * rs + j * cs]. Swapping rs and
 * cs is a transpose, for free. */
typedef struct MmMat {
    float *p;
    int64_t rs, cs;
} MmMat;

static MmMat mm_mat(const Tensor *t) {
    return (MmMat){tensor_f32(t), t->stride[0], t->stride[1]};
}

static MmMat mm_transposed(MmMat x) { return (MmMat){x.p, x.cs, x.rs}; }
/* The kernels behind a function pointer (MmIsa) take their matrices by pointer and read them a
 * field at a time: a struct passed by value is copied to the stack in 16-byte pieces right
 * after the caller wrote it a field at a time, and each piece then waits for those stores
 * (a store-forwarding stall, shape_copy in internal.h says more). For a small product that
 * measured as much as a fifth of its time. */
#define MM_MAT(m) ((MmMat){(m)->p, (m)->rs, (m)->cs})

/* Products with at most this many columns (or rows, seen transposed, unless small) take the
 * narrow kernel. */
#define MM_NARROW 4

/* The tile, compiled three times (see mm_tile.h). The sizes fit each register file: the
 * accumulators (MR x NV vectors) plus NV b vectors and a broadcast a value must fit in 32
 * registers with AVX-512 and in 16 with AVX2 or SSE. */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define MM_X86 1
#define TILE_ISA avx512
#define TILE_TARGET __attribute__((target("avx512f,avx512vl")))
#define TILE_TVW 16
#define TILE_VW 8
#define TILE_MR 12
#define TILE_NV 2
#define TILE_SMALL_MR 8
#define TILE_SMALL_NV 2
#define TILE_NARROW_RV34 4
#include "mm_tile.h"
#undef TILE_ISA
#undef TILE_TARGET
#undef TILE_VW
#undef TILE_TVW
#undef TILE_MR
#undef TILE_NV
#undef TILE_SMALL_MR
#undef TILE_SMALL_NV
#undef TILE_NARROW_RV34
#define TILE_ISA avx2
#define TILE_TARGET __attribute__((target("avx2")))
#define TILE_TVW 8
#define TILE_VW 8
#define TILE_MR 6
#define TILE_NV 2
#define TILE_SMALL_MR 2
#define TILE_SMALL_NV 4
#define TILE_NARROW_RV34 2
#include "mm_tile.h"
#undef TILE_ISA
#undef TILE_TARGET
#undef TILE_VW
#undef TILE_TVW
#undef TILE_MR
#undef TILE_NV
#undef TILE_SMALL_MR
#undef TILE_SMALL_NV
#undef TILE_NARROW_RV34
#endif
#define TILE_ISA portable
#define TILE_TARGET
#define TILE_TVW 4
#define TILE_VW 4
#define TILE_MR 4
#define TILE_NV 2
#define TILE_SMALL_MR 2
#define TILE_SMALL_NV 4
#define TILE_NARROW_RV34 2
#include "mm_tile.h"
#undef TILE_ISA
#undef TILE_TARGET
#undef TILE_VW
#undef TILE_TVW
#undef TILE_MR
#undef TILE_NV
#undef TILE_SMALL_MR
#undef TILE_SMALL_NV
#undef TILE_NARROW_RV34

/* One instruction set's kernels and the shape of its tile. */
typedef struct MmIsa {
    const char *name;
    int mr, nr;
    void (*tile)(int64_t kc, const float *ap, const float *bp, float *c, int64_t ldc, bool first);
    void (*narrow)(const MmMat *a, const MmMat *b, const MmMat *c, const MmMat *bias, int64_t i0,
                   int64_t i1, int64_t k, int64_t m);
    void (*small)(const MmMat *a, const float *bp, int64_t ldb, const MmMat *c,
                  const MmMat *bias, int64_t n, int64_t k, int64_t m);
    int narrow_rows; /* rows the narrow kernel sums side by side, at most */
    int small_nr;    /* columns of the small kernel's tile */
} MmIsa;

/* Indexed by the instruction set every fast kernel uses (fast_isa(), cpu.c). */
static const MmIsa mm_isas[] = {
    [FAST_PORTABLE] = {"portable", 4, 8, tile_portable, narrow_portable, small_portable, 16, 16},
#ifdef MM_X86
    [FAST_AVX2] = {"avx2", 6, 16, tile_avx2, narrow_avx2, small_avx2, 32, 32},
    [FAST_AVX512] = {"avx512", 12, 32, tile_avx512, narrow_avx512, small_avx512, 32, 32},
#endif
};

static const MmIsa *mm_isa(void) { return &mm_isas[fast_isa()]; }

const char *fast_mm_name(void) {
#ifdef CTORCH_BLAS
    return "blas";
#else
    return mm_isa()->name;
#endif
}

/* Block sizes (in floats): KC steps of p per pass, MC rows of a and NC columns of b packed at
 * once. A b panel is KC x NR x 4 = 32 KB with AVX-512's NR of 32 (16 KB with AVX2; L1 holds
 * 32 to 48 KB), the a block MC x KC x 4 = 144 KB (L2: 512 KB or more), the b block KC x NC x 4
 * = 4 MB (L3). MC is a multiple of every MR, NC of every NR. */
enum { KC = 256, MC = 144, NC = 4096 };

/* Each worker thread's packing buffers. They grow to the largest size asked for and are kept, so
 * products after the first allocate nothing. */
typedef struct PackBuffers {
    float *a, *b;
    size_t a_floats, b_floats;
} PackBuffers;
static PackBuffers pack_buffers[PARALLEL_MAX_THREADS];

static float *buffer_at_least(float **buf, size_t *have, size_t floats) {
    if (*have < floats) {
        free(*buf);
        *have = 0;
        *buf = aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64);
        if (!*buf) torch_error("torch_mm", "out of memory: could not allocate a packing buffer");
        *have = floats;
    }
    return *buf;
}

/* Grows buf to what the blocked kernel can ask for in any part of an (n, k) x (k, m) product
 * (mm_blocked: at most MC rows of a and NC columns of b by KC steps). */
static void buffers_reserve(PackBuffers *buf, const MmIsa *isa, int64_t n, int64_t k,
                            int64_t m) {
    int64_t kc = min64(KC, k);
    buffer_at_least(&buf->a, &buf->a_floats,
                    (size_t)(min64(MC, (n + isa->mr - 1) / isa->mr * isa->mr) * kc));
    buffer_at_least(&buf->b, &buf->b_floats,
                    (size_t)(kc * min64(NC, (m + isa->nr - 1) / isa->nr * isa->nr)));
}

/* b rows p0 .. p0 + kc - 1, columns j0 .. j0 + nc - 1 -> bp: panels of nr columns, panel q at
 * bp + q * kc * nr holding bp[p * nr + jj] = b[p0 + p][j0 + q * nr + jj] (zeros past nc), the
 * order in which the tile reads it. */
static void pack_b(MmMat b, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr, float *bp) {
    for (int64_t q = 0; q < nc; q += nr, bp += kc * nr) {
        int64_t cols = min64(nr, nc - q);
        const float *src = b.p + p0 * b.rs + (j0 + q) * b.cs;
        if (cols < nr) memset(bp, 0, sizeof(float) * (size_t)(kc * nr)); /* the edge panel */
        if (b.cs == 1) { /* rows of b are contiguous: copy a row piece per step */
            for (int64_t p = 0; p < kc; p++)
                for (int64_t jj = 0; jj < cols; jj++) bp[p * nr + jj] = src[p * b.rs + jj];
        } else { /* any strides: read down each column (contiguous for a transposed b) */
            for (int64_t jj = 0; jj < cols; jj++)
                for (int64_t p = 0; p < kc; p++) bp[p * nr + jj] = src[p * b.rs + jj * b.cs];
        }
    }
}

/* a rows i0 .. i0 + mc - 1, depths p0 .. p0 + kc - 1 -> ap: panels of mr rows, panel at
 * ap + (r0 / mr) * kc * mr holding ap[p * mr + r] = a[i0 + r0 + r][p0 + p] (zeros past mc). */
static void pack_a(MmMat a, int64_t i0, int64_t mc, int64_t p0, int64_t kc, int mr, float *ap) {
    for (int64_t r0 = 0; r0 < mc; r0 += mr, ap += kc * mr) {
        int64_t rows = min64(mr, mc - r0);
        const float *src = a.p + (i0 + r0) * a.rs + p0 * a.cs;
        if (rows < mr) memset(ap, 0, sizeof(float) * (size_t)(kc * mr)); /* the edge panel */
        if (a.rs == 1) { /* columns of a are contiguous (a transposed matrix) */
            for (int64_t p = 0; p < kc; p++)
                for (int64_t r = 0; r < rows; r++) ap[p * mr + r] = src[p * a.cs + r];
        } else { /* read along each row of a */
            for (int64_t r = 0; r < rows; r++)
                for (int64_t p = 0; p < kc; p++) ap[p * mr + r] = src[r * a.rs + p * a.cs];
        }
    }
}

/* One tile at c (row stride ldc), of which only rows x cols are inside c: a full tile runs in
 * place; an edge tile runs on a copy and only its inside goes back. */
static void run_tile(const MmIsa *isa, int64_t kc, const float *ap, const float *bp, float *c,
                     int64_t ldc, int64_t rows, int64_t cols, bool first) {
    if (rows == isa->mr && cols == isa->nr) {
        isa->tile(kc, ap, bp, c, ldc, first);
        return;
    }
    float edge[16 * 64]; /* MR x NR of any instruction set fits */
    int nr = isa->nr;
    if (!first)
        for (int64_t r = 0; r < rows; r++)
            for (int64_t jj = 0; jj < cols; jj++) edge[r * nr + jj] = c[r * ldc + jj];
    isa->tile(kc, ap, bp, edge, nr, first);
    for (int64_t r = 0; r < rows; r++)
        for (int64_t jj = 0; jj < cols; jj++) c[r * ldc + jj] = edge[r * nr + jj];
}

/* Asks the cache for a rows x cols corner of c (row stride ldc) ahead of its tile: a tile
 * starts by loading its corner (the partial sums of the pass before), and c, too big for the
 * caches, would otherwise hold the tile up for a trip to memory per row. */
static void prefetch_tile(const float *c, int64_t ldc, int64_t rows, int64_t cols) {
    for (int64_t r = 0; r < rows; r++) {
        const float *row = c + r * ldc; /* a cache line holds 16 floats */
        for (int64_t jj = 0; jj < cols; jj += 16) __builtin_prefetch(row + jj, 1);
        __builtin_prefetch(row + cols - 1, 1); /* the last line, where the row is not aligned */
    }
}

/* The epilogue of torch_addmm: c[i][j] = c[i][j] + bias[i][j] for a finished rows x cols
 * corner of c at row i, column j, while it is still in the L1 cache; the same rounded add
 * that torch_add(torch_mm(a, b), bias) would make, one pass over c fewer. */
static void add_bias(float *c, int64_t ldc, MmMat bias, int64_t i, int64_t j, int64_t rows,
                     int64_t cols) {
    for (int64_t r = 0; r < rows; r++) {
        float *restrict cr = c + r * ldc; /* out is new: the bias is never part of it */
        const float *restrict br = bias.p + (i + r) * bias.rs + j * bias.cs;
        if (bias.cs == 1)
            for (int64_t jj = 0; jj < cols; jj++) cr[jj] = cr[jj] + br[jj];
        else
            for (int64_t jj = 0; jj < cols; jj++) cr[jj] = cr[jj] + br[jj * bias.cs];
    }
}

/* The blocked product for rows i0 .. i1 - 1 and columns j0 .. j1 - 1 of c (contiguous, row
 * stride ldc), with the packing buffers of one thread. Loops from the outside in: column
 * blocks of NC, passes of KC over p (ascending), row blocks of MC, then the tiles. A bias
 * (bias.p not NULL) is added to each tile after its last pass. */
static void mm_blocked(const MmIsa *isa, MmMat a, MmMat b, MmMat bias, float *c, int64_t ldc,
                       int64_t k, int64_t i0, int64_t i1, int64_t j0, int64_t j1,
                       PackBuffers *buf) {
    int mr = isa->mr, nr = isa->nr;
    int64_t kc_max = min64(KC, k);
    int64_t mc_max = min64(MC, (i1 - i0 + mr - 1) / mr * mr);
    int64_t nc_max = min64(NC, (j1 - j0 + nr - 1) / nr * nr);
    float *ap = buffer_at_least(&buf->a, &buf->a_floats, (size_t)(mc_max * kc_max));
    float *bp = buffer_at_least(&buf->b, &buf->b_floats, (size_t)(kc_max * nc_max));
    for (int64_t jc = j0; jc < j1; jc += NC) {
        int64_t nc = min64(NC, j1 - jc);
        for (int64_t pc = 0; pc < k; pc += KC) {
            int64_t kc = min64(KC, k - pc);
            pack_b(b, pc, kc, jc, nc, nr, bp);
            for (int64_t ic = i0; ic < i1; ic += MC) {
                int64_t mc = min64(MC, i1 - ic);
                pack_a(a, ic, mc, pc, kc, mr, ap);
                for (int64_t jr = 0; jr < nc; jr += nr)
                    for (int64_t ir = 0; ir < mc; ir += mr) {
                        float *ct = c + (ic + ir) * ldc + jc + jr;
                        int64_t rows = min64(mr, mc - ir), cols = min64(nr, nc - jr);
                        if (ir + mr < mc) /* the next tile's corner of c, while this one runs */
                            prefetch_tile(ct + mr * ldc, ldc, min64(mr, mc - ir - mr), cols);
                        else if (jr + nr < nc)
                            prefetch_tile(c + ic * ldc + jc + jr + nr, ldc, min64(mr, mc),
                                          min64(nr, nc - jr - nr));
                        run_tile(isa, kc, ap + ir * kc, bp + jr * kc, ct, ldc, rows, cols, pc == 0);
                        if (bias.p && pc + kc == k) /* the last pass: the tile is done */
                            add_bias(ct, ldc, bias, ic + ir, jc + jr, rows, cols);
                    }
            }
        }
    }
}

/* Products of at most this many multiply-adds take the small kernel: their operands fit in
 * the L1 cache, where packing a would cost more than it saves. */
#define MM_SMALL 65536.0

/* The small kernel reads b's rows as whole vectors, small_nr columns at a time: b itself when
 * its rows are contiguous and m is a multiple of small_nr, else a copy with contiguous rows
 * and zeros past m (in the calling thread's packing buffer: small products never run on other
 * threads). */
static void mm_small(const MmIsa *isa, MmMat a, MmMat b, MmMat c, MmMat bias, int64_t n,
                     int64_t k, int64_t m) {
    const float *bp = b.p;
    int64_t ldb = b.rs;
    if (b.cs != 1 || m % isa->small_nr != 0) {
        ldb = (m + isa->small_nr - 1) / isa->small_nr * isa->small_nr;
        PackBuffers *buf = &pack_buffers[0];
        float *copy = buffer_at_least(&buf->b, &buf->b_floats, (size_t)(k * ldb));
        for (int64_t p = 0; p < k; p++) {
            for (int64_t j = 0; j < m; j++) copy[p * ldb + j] = b.p[p * b.rs + j * b.cs];
            for (int64_t j = m; j < ldb; j++) copy[p * ldb + j] = 0.0f;
        }
        bp = copy;
    }
    isa->small(&a, bp, ldb, &c, &bias, n, k, m);
}

/* How a product is split over threads: `parts` ranges of rows (or columns), in units of
 * `unit` rows (columns). The threads take the parts in turn, each the next one not yet taken
 * (next_part), so that a thread slowed down (by another program on its core, say) takes
 * fewer, and none waits idle for the slowest. */
typedef struct MmJob {
    const MmIsa *isa;
    MmMat a, b, c;
    MmMat bias;       /* added to c at the end (torch_addmm); bias.p NULL: none */
    int64_t n, k, m;
    bool narrow;      /* the narrow kernel, split by rows */
    bool split_rows;  /* the blocked kernel, split by rows (else by columns) */
    int64_t units, unit;
    int parts;
    atomic_int next_part;
} MmJob;

/* One thread's work: parts of the job until none is left. parallel_for hands each thread its
 * own index `worker`, which picks its packing buffers. Every element of c is summed by one
 * part, in full, so neither the split nor which thread ran a part changes a bit. */
static void mm_worker(int64_t worker, int64_t worker_end, void *ctx) {
    MmJob *job = ctx;
    (void)worker_end;
    for (;;) {
        int part = atomic_fetch_add(&job->next_part, 1);
        if (part >= job->parts) break;
        int64_t begin = job->units * part / job->parts * job->unit;
        int64_t end = min64(job->units * (part + 1) / job->parts * job->unit,
                            job->narrow || job->split_rows ? job->n : job->m);
        if (job->narrow)
            job->isa->narrow(&job->a, &job->b, &job->c, &job->bias, begin, end, job->k, job->m);
        else if (job->split_rows)
            mm_blocked(job->isa, job->a, job->b, job->bias, job->c.p, job->c.rs, job->k, begin,
                       end, 0, job->m, &pack_buffers[worker]);
        else
            mm_blocked(job->isa, job->a, job->b, job->bias, job->c.p, job->c.rs, job->k, 0,
                       job->n, begin, end, &pack_buffers[worker]);
    }
}

/* Products with more multiply-adds than this are split over threads: below it, starting the
 * threads would cost more than they save. */
#define MM_PARALLEL_MIN 4000000.0

#ifdef CTORCH_BLAS
#include <cblas.h>

/* -Dblas=true: the system's cblas_sgemm instead (for comparison; it sums in its own order). */
static void mm_blas(const Tensor *a, const Tensor *b, Tensor *out) {
    int64_t n = a->shape.size[0], k = a->shape.size[1], m = b->shape.size[1];
    Tensor *ac = tensor_contiguous_raw((Tensor *)a), *bc = tensor_contiguous_raw((Tensor *)b);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)m, (int)k, 1.0f,
                tensor_f32(ac), (int)(k > 0 ? k : 1), tensor_f32(bc), (int)(m > 0 ? m : 1),
                0.0f, tensor_f32(out), (int)(m > 0 ? m : 1));
    if (ac != a) torch_free(ac);
    if (bc != b) torch_free(bc);
}
#endif

void fast_mm(const Tensor *a, const Tensor *b, const float *bias, int64_t bias_rs,
             int64_t bias_cs, Tensor *out) {
    /* a (n, k), b (k, m), bias (n, m) seen through its strides -> out (n, m), contiguous */
    int64_t n = a->shape.size[0], k = a->shape.size[1], m = b->shape.size[1];
    float *c = tensor_f32(out);
    MmMat bias_mat = {(float *)bias, bias_rs, bias_cs};
    if (n == 0 || m == 0) return;
    if (k == 0) { /* an empty sum */
        memset(c, 0, sizeof(float) * (size_t)(n * m));
        if (bias) add_bias(c, m, bias_mat, 0, 0, n, m);
        return;
    }
#ifdef CTORCH_BLAS
    mm_blas(a, b, out);
    if (bias) add_bias(c, m, bias_mat, 0, 0, n, m);
    return;
#endif
    const MmIsa *isa = mm_isa();
    double madds = (double)n * (double)k * (double)m;
    bool small = madds <= MM_SMALL;
    if (small && m > MM_NARROW) { /* a small product, on this thread: no job to set up */
        mm_small(isa, mm_mat(a), mm_mat(b), (MmMat){c, m, 1}, bias_mat, n, k, m);
        return;
    }
    if (m <= MM_NARROW && madds <= MM_PARALLEL_MIN) { /* the same for a narrow one */
        MmMat am = mm_mat(a), bm = mm_mat(b), cm = {c, m, 1};
        isa->narrow(&am, &bm, &cm, &bias_mat, 0, n, k, m);
        return;
    }
    MmJob job = {.isa = isa, .a = mm_mat(a), .b = mm_mat(b), .c = {c, m, 1},
                 .bias = bias_mat, .n = n, .k = k, .m = m};
    if (m > MM_NARROW && n <= MM_NARROW) { /* few rows: narrow, on c^T = b^T a^T */
        job.a = mm_transposed(mm_mat(b));
        job.b = mm_transposed(mm_mat(a));
        job.c = (MmMat){c, 1, m};
        job.bias = mm_transposed(bias_mat);
        job.n = m;
        job.m = n;
    }
    job.narrow = job.m <= MM_NARROW;
    if (job.narrow) {
        job.unit = job.isa->narrow_rows;
        job.units = (job.n + job.unit - 1) / job.unit;
    } else {
        /* copying the smaller operand once per thread costs least: split the other one */
        job.split_rows = (double)n * (double)k > (double)k * (double)m;
        job.unit = job.split_rows ? MC : job.isa->nr;
        job.units = job.split_rows ? (n + MC - 1) / MC : (m + job.isa->nr - 1) / job.isa->nr;
    }
    int threads = torch_get_num_threads();
    if (threads > PARALLEL_MAX_THREADS) threads = PARALLEL_MAX_THREADS;
    if (madds <= MM_PARALLEL_MIN) threads = 1;
    /* Up to 4 parts per thread, so that the work can even out, but each part packs the
     * whole of one operand (the one not split), and that copy costs more than its size says
     * (it comes from main memory): only as many parts as keep it below about 1/4096 of the
     * multiply-adds. */
    double copied = job.narrow ? 0 : job.split_rows ? (double)k * (double)m : (double)n * (double)k;
    double per_thread = copied > 0 ? madds / (copied * 4096) : 4;
    int parts_per_thread = per_thread >= 4 ? 4 : per_thread >= 1 ? (int)per_thread : 1;
    job.parts = (int)min64(threads > 1 ? parts_per_thread * threads : 1, job.units);
    if (threads > job.parts) threads = job.parts;
    atomic_init(&job.next_part, 0);
    /* Every buffer a worker can need is allocated here, on the calling thread, so that an
     * error (out of memory) is raised where the caller can catch it, never on a worker. */
    if (!job.narrow)
        for (int w = 0; w < threads; w++) buffers_reserve(&pack_buffers[w], isa, n, k, m);
    parallel_for(threads, 1, mm_worker, &job); /* worker i: [i, i + 1) */
}


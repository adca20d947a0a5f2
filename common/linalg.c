/*
 * linalg.c: matrix products (torch_mm, torch_matmul, torch_addmm).
 *
 * What the numbers are (the course relies on it for bit-exact stage-to-stage comparisons):
 * element (i, j) of a (n, k) times b (k, m) is accumulated in one float, starting at 0.0f,
 * adding a[i][p] * b[p][j] for p = 0, 1, ..., k - 1 in that order, each product and each sum
 * rounded to float (no fused multiply-add: the build uses -ffp-contract=off). So the result
 * depends only on the values, never on strides, blocking, or threads.
 * libtorch calls a BLAS that sums in another order, so torch's results agree to about 1e-6
 * relative, not bit for bit.
 *
 * Two kernels compute it (declared in linalg_kernels.h for the tests):
 *   mm_reference  the definition, a naive triple loop;
 *   mm_kernel     the fast one. Small products run a plain i-p-j loop (mm_small). Larger ones
 *                 pack b into column panels and a into row panels, and a small register tile
 *                 of c accumulates over p, in passes of KC that continue from the partial sums;
 *                 big ones split the rows over threads. Every loop that vectorizes runs across
 *                 j (the columns), never across p, so each element still sums in ascending p.
 * The tests check that both give the same bits on odd shapes, views and thread counts.
 */
#include "internal.h"
#include "linalg_kernels.h"
#include "parallel.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int64_t min64(int64_t x, int64_t y) { return x < y ? x : y; }

/* ---- the definition ------------------------------------------------------------------------- */

void mm_reference(const Tensor *a, const Tensor *b, Tensor *out) {
    /* a (n, k), b (k, m) -> out (n, m), out contiguous */
    int64_t n = a->shape.size[0], k = a->shape.size[1], m = b->shape.size[1];
    const float *pa = tensor_f32(a), *pb = tensor_f32(b);
    float *c = tensor_f32(out);
    for (int64_t i = 0; i < n; i++) {
        for (int64_t j = 0; j < m; j++) {
            float acc = 0.0f;
            for (int64_t p = 0; p < k; p++)
                acc = acc + pa[i * a->stride[0] + p * a->stride[1]] *
                                pb[p * b->stride[0] + j * b->stride[1]];
            c[i * m + j] = acc;
        }
    }
}

/* ---- the fast kernel ------------------------------------------------------------------------ */

enum {
    MR = 4,   /* rows of the register tile */
    NR = 8,   /* columns of the register tile: two 4-float SSE vectors per row */
    KC = 256, /* depth of one pass: the a panel (MR x KC) and b panel (KC x NR) fit in L1 */
    MC = 64,  /* rows of a packed at once: MC x KC floats = 64 KB, fits in L2 */
};

/* Products up to this many multiply-adds skip the packing (it would cost more than it saves)
 * and larger ones than MM_PARALLEL_MIN are split over threads. */
#define MM_SMALL 32768
#define MM_PARALLEL_MIN 1000000

/* Small products: the plain i-p-j loop. Row i of c starts at 0.0f and gains a[i][p] * b[p][.]
 * for p = 0, 1, ...; the inner j loop runs along a row of b and of c, which the compiler
 * vectorizes across j. A narrow c (a column, say) has too short a j loop for that, so it
 * takes the definition's i-j-p loop, which keeps each sum in a register. */
static void mm_small(const Tensor *a, const Tensor *b, Tensor *out) {
    /* a (n, k), b (k, m) -> out (n, m) contiguous */
    int64_t n = a->shape.size[0], k = a->shape.size[1], m = b->shape.size[1];
    if (m < NR) {
        mm_reference(a, b, out);
        return;
    }
    const float *pa = tensor_f32(a), *pb = tensor_f32(b);
    float *c = tensor_f32(out);
    int64_t bs = b->stride[1];
    for (int64_t i = 0; i < n; i++) {
        float *ci = c + i * m;
        for (int64_t j = 0; j < m; j++) ci[j] = 0.0f;
        for (int64_t p = 0; p < k; p++) {
            float av = pa[i * a->stride[0] + p * a->stride[1]];
            const float *bp = pb + p * b->stride[0];
            if (bs == 1)
                for (int64_t j = 0; j < m; j++) ci[j] = ci[j] + av * bp[j];
            else
                for (int64_t j = 0; j < m; j++) ci[j] = ci[j] + av * bp[j * bs];
        }
    }
}

/* b (k, m), any strides -> bp: ceil(m / NR) panels, panel q a (k, NR) row-major block holding
 * columns q*NR .. q*NR + NR - 1 (zeros past column m), so the tile loop reads it in order. */
static void pack_b(const Tensor *b, float *bp) {
    int64_t k = b->shape.size[0], m = b->shape.size[1];
    const float *pb = tensor_f32(b);
    for (int64_t q = 0; q * NR < m; q++)
        for (int64_t p = 0; p < k; p++)
            for (int64_t jj = 0; jj < NR; jj++) {
                int64_t j = q * NR + jj;
                bp[(q * k + p) * NR + jj] = j < m ? pb[p * b->stride[0] + j * b->stride[1]] : 0.0f;
            }
}

/* a rows i0 .. i0 + rows - 1, depths p0 .. p0 + kc - 1 -> ap (kc, MR) row-major: ap[p * MR + r]
 * (zeros past `rows`), so the tile loop reads one small group of a values per step p. */
static void pack_a(const Tensor *a, int64_t i0, int64_t rows, int64_t p0, int64_t kc, float *ap) {
    const float *pa = tensor_f32(a);
    for (int64_t p = 0; p < kc; p++)
        for (int64_t r = 0; r < MR; r++)
            ap[p * MR + r] = r < rows ? pa[(i0 + r) * a->stride[0] + (p0 + p) * a->stride[1]] : 0.0f;
}

/*
 * The register tile: ap (kc, MR), bp (kc, NR) -> the (rows, cols) corner of c (row stride ldc).
 * On the first pass (first == true) acc starts at 0.0f; on later passes it starts from the
 * partial sums the previous pass stored in c. Either way each element adds its products in
 * ascending p, exactly as mm_reference does.
 */
static void tile_kernel(int64_t kc, const float *ap, const float *bp, float *c, int64_t ldc,
                        int64_t rows, int64_t cols, bool first) {
    float acc[MR][NR];
    for (int r = 0; r < MR; r++)
        for (int jj = 0; jj < NR; jj++)
            acc[r][jj] = !first && r < rows && jj < cols ? c[r * ldc + jj] : 0.0f;
    for (int64_t p = 0; p < kc; p++) {
        const float *bv = bp + p * NR;
        for (int r = 0; r < MR; r++) {
            float av = ap[p * MR + r];
            for (int jj = 0; jj < NR; jj++) acc[r][jj] = acc[r][jj] + av * bv[jj];
        }
    }
    for (int64_t r = 0; r < rows; r++)
        for (int64_t jj = 0; jj < cols; jj++) c[r * ldc + jj] = acc[r][jj];
}

typedef struct MmJob {
    const Tensor *a; /* (n, k), any strides */
    const float *bp; /* b (k, m) packed by pack_b */
    float *c;        /* out (n, m), contiguous */
    int64_t n, k, m;
} MmJob;

/* One thread's share: rows begin*MR .. end*MR - 1 of c (clipped to n). Threads write disjoint
 * rows, and every element is summed by one thread, so the thread count never shows. */
static void mm_rows(int64_t begin, int64_t end, void *ctx) {
    const MmJob *job = ctx;
    float ap[MC * KC]; /* this thread's packed block of a: MC / MR panels of (kc, MR) */
    int64_t i_end = min64(end * MR, job->n);
    for (int64_t i0 = begin * MR; i0 < i_end; i0 += MC) {
        int64_t mc = min64(MC, i_end - i0);
        for (int64_t p0 = 0; p0 < job->k; p0 += KC) { /* passes over p in ascending order */
            int64_t kc = min64(KC, job->k - p0);
            for (int64_t ir = 0; ir < mc; ir += MR)
                pack_a(job->a, i0 + ir, min64(MR, mc - ir), p0, kc, ap + ir * kc);
            for (int64_t q = 0; q * NR < job->m; q++) {
                const float *bq = job->bp + (q * job->k + p0) * NR;
                for (int64_t ir = 0; ir < mc; ir += MR)
                    tile_kernel(kc, ap + ir * kc, bq, job->c + (i0 + ir) * job->m + q * NR,
                                job->m, min64(MR, mc - ir), min64(NR, job->m - q * NR), p0 == 0);
            }
        }
    }
}

void mm_kernel(const Tensor *a, const Tensor *b, Tensor *out) {
    /* a (n, k), b (k, m) -> out (n, m), out contiguous */
    int64_t n = a->shape.size[0], k = a->shape.size[1], m = b->shape.size[1];
    float *c = tensor_f32(out);
    if (n == 0 || m == 0) return;
    if ((double)n * (double)k * (double)m <= MM_SMALL) { /* also k == 0: all zeros */
        mm_small(a, b, out);
        return;
    }
    int64_t panels = (m + NR - 1) / NR;
    float *bp = malloc(sizeof(float) * (size_t)(panels * NR * k));
    if (!bp) torch_error("torch_mm", "out of memory: could not pack a %" PRId64 "x%" PRId64
                                     " matrix", k, m);
    pack_b(b, bp);
    MmJob job = {a, bp, c, n, k, m};
    int64_t units = (n + MR - 1) / MR; /* parallel work comes in groups of MR rows */
    int64_t per_unit = MR * k * m;     /* multiply-adds in one group */
    int64_t grain = (double)n * (double)k * (double)m > MM_PARALLEL_MIN
                        ? (MM_PARALLEL_MIN / 4 + per_unit - 1) / per_unit /* >= 250k per chunk */
                        : units;                                          /* one thread */
    parallel_for(units, grain, mm_rows, &job);
    free(bp);
}

/* ---- checks shared by the products ------------------------------------------------------- */

/* libtorch names the first operand's dtype as expected; ctorch computes in float32 only. */
static void check_float_pair(const char *op, const Tensor *a, const Tensor *b) {
    if (a->dtype != b->dtype)
        torch_error(op, "expected scalar type %s but found %s", dtype_name(a->dtype),
                    dtype_name(b->dtype));
    if (a->dtype != TORCH_FLOAT32)
        torch_error(op, "expected scalar type Float but found %s", dtype_name(a->dtype));
}

/* The inner sizes of two matrices must agree: (n, k) x (k, m). */
static void check_inner(const char *op, Shape a, Shape b) {
    char sa[64], sb[64];
    if (a.size[1] != b.size[0])
        torch_error(op, "mat1 and mat2 shapes cannot be multiplied (%s and %s)",
                    shape_str_x(a, sa, sizeof sa), shape_str_x(b, sb, sizeof sb));
}

/* A header-only matrix view of t (no allocation, not recorded), for handing to mm_kernel. */
static Tensor as_matrix(const Tensor *t, int64_t rows, int64_t cols, int64_t row_stride,
                        int64_t col_stride) {
    Tensor v = *t;
    v.shape = SHAPE(rows, cols);
    v.stride[0] = row_stride;
    v.stride[1] = col_stride;
    return v;
}

/* ---- the public products -------------------------------------------------------------------- */

/* R: x$mm(w). a (n, k), b (k, m) -> (n, m). */
Tensor *torch_mm(Tensor *a, Tensor *b) {
    const char *op = "torch_mm";
    tensor_check(op, a);
    tensor_check(op, b);
    if (a->shape.ndim != 2) torch_error(op, "self must be a matrix");
    if (b->shape.ndim != 2) torch_error(op, "mat2 must be a matrix");
    check_inner(op, a->shape, b->shape);
    check_float_pair(op, a, b);
    Tensor *out = tensor_alloc(SHAPE(a->shape.size[0], b->shape.size[1]), TORCH_FLOAT32);
    mm_kernel(a, b, out);
    torch_record(&(TorchOp){.kind = TORCH_OP_MM, .out = out, .n_in = 2, .in = {a, b}});
    return out;
}

/* R: torch_matmul(a, b) for 1-d and 2-d operands. A 1-d a acts as a row (1, k) and a 1-d b
 * as a column (k, 1), and those dims are dropped from the result:
 *   (k) . (k) -> ()   dot      (n, k) . (k) -> (n)      (k) . (k, m) -> (m)   (n, k) . (k, m) -> (n, m)
 * Errors are those of the libtorch function each case calls (dot, mv, mm). */
Tensor *torch_matmul(Tensor *a, Tensor *b) {
    const char *op = "torch_matmul";
    tensor_check(op, a);
    tensor_check(op, b);
    int da = a->shape.ndim, db = b->shape.ndim;
    if (da == 0 || db == 0)
        torch_error(op, "both arguments to matmul need to be at least 1D, but they are %dD and %dD",
                    da, db);
    if (da > 2 || db > 2)
        torch_error(op, "ctorch's matmul takes 1-d and 2-d operands, but they are %dD and %dD",
                    da, db);
    int64_t n = da == 2 ? a->shape.size[0] : 1, k = a->shape.size[da - 1];
    int64_t kb = b->shape.size[0], m = db == 2 ? b->shape.size[1] : 1;
    if (da == 1 && db == 1) { /* libtorch's dot */
        if (a->dtype != b->dtype)
            torch_error(op, "dot : expected both vectors to have same dtype, but found %s and %s",
                        dtype_name(a->dtype), dtype_name(b->dtype));
        if (k != kb)
            torch_error(op,
                        "inconsistent tensor size, expected tensor [%" PRId64 "] and src [%" PRId64
                        "] to have the same number of elements, but got %" PRId64 " and %" PRId64
                        " elements respectively",
                        k, kb, k, kb);
    } else if (da == 2 && db == 1) { /* libtorch's mv */
        if (k != kb)
            torch_error(op, "size mismatch, got %" PRId64 ", %" PRId64 "x%" PRId64 ",%" PRId64, n, n,
                        k, kb);
    } else { /* libtorch's mm, a 1-d a as a (1, k) row */
        check_inner(op, SHAPE(n, k), b->shape);
    }
    check_float_pair(op, a, b);

    Shape shape = SHAPE_SCALAR; /* the result keeps the dims that came from 2-d operands */
    if (da == 2) shape.size[shape.ndim++] = n;
    if (db == 2) shape.size[shape.ndim++] = m;
    Tensor *out = tensor_alloc(shape, TORCH_FLOAT32);
    /* a 1-d operand's missing dim has size 1, so its stride is never used */
    Tensor am = da == 2 ? as_matrix(a, n, k, a->stride[0], a->stride[1])
                        : as_matrix(a, 1, k, 0, a->stride[0]);
    Tensor bm = db == 2 ? as_matrix(b, k, m, b->stride[0], b->stride[1])
                        : as_matrix(b, k, 1, b->stride[0], 0);
    Tensor om = as_matrix(out, n, m, m, 1);
    mm_kernel(&am, &bm, &om);
    torch_record(&(TorchOp){.kind = TORCH_OP_MATMUL, .out = out, .n_in = 2, .in = {a, b}});
    return out;
}

/* R: torch_addmm(bias, a, b), what nn_linear computes: a.mm(b) first, then bias added to each
 * element (bias broadcasts to (n, m): (m), (1, m), (n, 1) or (n, m)). The same bits as
 * torch_add(torch_mm(a, b), bias). */
Tensor *torch_addmm(Tensor *bias, Tensor *a, Tensor *b) {
    const char *op = "torch_addmm";
    tensor_check(op, bias);
    tensor_check(op, a);
    tensor_check(op, b);
    /* libtorch's order of checks: dtypes, dims, inner sizes, then the bias shape */
    if (bias->dtype != b->dtype) torch_error(op, "self and mat2 must have the same dtype");
    if (a->dtype != b->dtype) torch_error(op, "mat1 and mat2 must have the same dtype");
    if (a->shape.ndim != 2) torch_error(op, "mat1 must be a matrix, got %d-D tensor", a->shape.ndim);
    if (b->shape.ndim != 2) torch_error(op, "mat2 must be a matrix, got %d-D tensor", b->shape.ndim);
    check_inner(op, a->shape, b->shape);
    check_float_pair(op, a, b);
    int64_t n = a->shape.size[0], m = b->shape.size[1];
    Shape bias_shape;
    int64_t bs[TORCH_MAX_DIMS]; /* bias strides seen as (n, m): 0 along broadcast dims */
    expand_geometry(op, bias, SHAPE(n, m), &bias_shape, bs);

    Tensor *out = tensor_alloc(SHAPE(n, m), TORCH_FLOAT32);
    mm_kernel(a, b, out);
    float *c = tensor_f32(out);
    const float *pbias = tensor_f32(bias);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < m; j++) c[i * m + j] = c[i * m + j] + pbias[i * bs[0] + j * bs[1]];
    torch_record(&(TorchOp){.kind = TORCH_OP_ADDMM, .out = out, .n_in = 3, .in = {bias, a, b}});
    return out;
}

/*
 * linalg.c: matrix products (torch_mm, torch_matmul, torch_addmm).
 *
 * What the numbers are (the course relies on it for bit-exact stage-to-stage comparisons):
 * element (i, j) of a (n, k) times b (k, m) is accumulated in one float, starting at 0.0f,
 * adding a[i][p] * b[p][j] for p = 0, 1, ..., k - 1 in that order, each product and each sum
 * rounded to float (no fused multiply-add: the build uses -ffp-contract=off). So the result
 * depends only on the values, never on strides or on how the work is split.
 * libtorch calls a BLAS that sums in another order, so torch's results agree to about 1e-6
 * relative, not bit for bit.
 *
 * The file reads top down: the three public products, the checks they share, then mm, the
 * definition above written as a triple loop (exercise 1.4). The fast backend's product
 * (common/fast/mm.c: packed panels, register tiles, threads) gives the same bits; mm_kernel
 * at the end is the one place that chooses between them (common/backend.h).
 */
#include "backend.h"
#include "internal.h"
#include "linalg_kernels.h"

#include <inttypes.h>
#include <string.h>

/* defined below */
static void check_float_pair(const char *op, const Tensor *a, const Tensor *b);
static void check_inner(const char *op, const Shape *a, const Shape *b);
static Tensor as_matrix(const Tensor *t, int64_t rows, int64_t cols, int64_t row_stride,
                        int64_t col_stride);
static void mm_kernel(const Tensor *a, const Tensor *b, const float *bias, int64_t bias_rs,
                      int64_t bias_cs, Tensor *out);

/* R: x$mm(w). a (n, k), b (k, m) -> (n, m). */
Tensor *torch_mm(Tensor *a, Tensor *b) {
    const char *op = "torch_mm";
    tensor_check(op, a);
    tensor_check(op, b);
    /* libtorch says only "self must be a matrix"; the dims are added as addmm's message has */
    if (a->shape.ndim != 2) torch_error(op, "self must be a matrix, got %d-D tensor", a->shape.ndim);
    if (b->shape.ndim != 2) torch_error(op, "mat2 must be a matrix, got %d-D tensor", b->shape.ndim);
    check_inner(op, &a->shape, &b->shape);
    check_float_pair(op, a, b);
    Tensor *out = tensor_alloc(SHAPE(a->shape.size[0], b->shape.size[1]), TORCH_FLOAT32);
    mm_kernel(a, b, NULL, 0, 0, out);
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
        check_inner(op, &SHAPE(n, k), &b->shape);
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
    mm_kernel(&am, &bm, NULL, 0, 0, &om);
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
    check_inner(op, &a->shape, &b->shape);
    check_float_pair(op, a, b);
    Shape shape = SHAPE(a->shape.size[0], b->shape.size[1]), bias_shape;
    int64_t bs[TORCH_MAX_DIMS]; /* bias strides seen as (n, m): 0 along broadcast dims */
    expand_geometry(op, bias, &shape, &bias_shape, bs);

    Tensor *out = tensor_alloc_p(&shape, TORCH_FLOAT32);
    mm_kernel(a, b, tensor_f32(bias), bs[0], bs[1], out); /* the product, then the bias */
    torch_record(&(TorchOp){.kind = TORCH_OP_ADDMM, .out = out, .n_in = 3, .in = {bias, a, b}});
    return out;
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
static void check_inner(const char *op, const Shape *a, const Shape *b) {
    char sa[64], sb[64];
    if (a->size[1] != b->size[0])
        torch_error(op, "mat1 and mat2 shapes cannot be multiplied (%s and %s)",
                    shape_str_x(*a, sa, sizeof sa), shape_str_x(*b, sb, sizeof sb));
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

/* ---- the product, by definition ------------------------------------------------------------ */

void mm_reference(const Tensor *a, const Tensor *b, Tensor *out) {
    /* a (n, k), b (k, m) -> out (n, m), out contiguous; a and b through their strides */
    /* BEGIN EXERCISE 1.4: the matrix product, by definition */
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
    /* END EXERCISE 1.4 */
}

#if !CTORCH_FAST /* the fast backend adds the bias inside its product */
/* out (n, m) += bias, bias seen as (n, m) through (bias_rs, bias_cs): stride 0 along a dim it
 * broadcasts over. One rounded add per element, as torch_add(torch_mm(a, b), bias). */
static void add_bias(Tensor *out, const float *bias, int64_t bias_rs, int64_t bias_cs) {
    int64_t n = out->shape.size[0], m = out->shape.size[1];
    float *c = tensor_f32(out);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < m; j++) c[i * m + j] = c[i * m + j] + bias[i * bias_rs + j * bias_cs];
}
#endif

/* The seam (common/backend.h): a (n, k) @ b (k, m) [+ bias] -> out (n, m), computed by mm, or by
 * the fast backend's product with the same bits. */
static void mm_kernel(const Tensor *a, const Tensor *b, const float *bias, int64_t bias_rs,
                      int64_t bias_cs, Tensor *out) {
#if CTORCH_FAST
    fast_mm(a, b, bias, bias_rs, bias_cs, out);
#else
    mm_reference(a, b, out);
    if (bias) add_bias(out, bias, bias_rs, bias_cs);
#endif
}

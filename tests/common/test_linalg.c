/*
 * test_linalg.c: common/linalg.c (torch_mm, torch_matmul, torch_addmm and their kernels).
 *
 * Two kinds of expected values, both from tools/gen_linalg_fixtures.py (linalg.txt):
 *   .def    ctorch's definition of a matrix product (float sums in ascending p, each step
 *           rounded), computed by torch's float32 elementwise ops: compared bit for bit;
 *   .torch  torch's own result (OpenBLAS sums in another order): compared with rtol 1e-5 and
 *           an atol scaled by the sizes of the products.
 * Then, in a fast build (-Dkernels=fast), the two backends: fast_mm against mm_reference, bit
 * for bit, on odd shapes, transposed and strided views, and several thread counts, with every
 * instruction set this CPU runs (AVX-512, AVX2, portable C); in either build, torch_addmm's
 * bias against the product followed by an add, and torch_mm at several thread counts;
 * libtorch's error messages; the autograd records.
 * Built with -Dblas=true, torch_mm sums in the BLAS's order, so this suite is skipped.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ct_test.h"
#include "internal.h"
#include "backend.h"
#include "linalg_kernels.h"

static Fixtures *fixtures(void) {
    static Fixtures *fx;
    if (!fx) fx = fixtures_load("linalg.txt");
    return fx;
}

/* ---- helpers ----------------------------------------------------------------------------- */

static bool has_case(const char *op, int i) {
    char name[64];
    snprintf(name, sizeof name, "%s.%d.def", op, i);
    return fixture_has(fixtures(), name);
}

static Tensor *case_tensor(const char *op, int i, const char *field) {
    char name[64];
    snprintf(name, sizeof name, "%s.%d.%s", op, i, field);
    return fixture_tensor(fixtures(), name);
}

static double case_scalar(const char *op, int i, const char *field) {
    char name[64];
    snprintf(name, sizeof name, "%s.%d.%s", op, i, field);
    return fixture_scalar(fixtures(), name);
}

/* An operand as the generator's how() makes it: plain, t (transposed), or every2 (every
 * other element of the last dim: a strided view). */
static Tensor *operand(const char *op, int i, const char *which) {
    char name[64];
    snprintf(name, sizeof name, "%s.%d.%s_how", op, i, which);
    const char *how = fixture_text(fixtures(), name);
    Tensor *t = case_tensor(op, i, which);
    if (strcmp(how, "t") == 0) return torch_t(t);
    if (strcmp(how, "every2") == 0) return torch_slice(t, -1, 0, INT64_MAX, 2);
    ck_assert_str_eq(how, "plain");
    return t;
}

/* "op: <libtorch's message from the fixture>". */
static const char *torch_message(const char *op, const char *fixture_name) {
    static char buf[512];
    char name[64];
    snprintf(name, sizeof name, "err.%s", fixture_name);
    snprintf(buf, sizeof buf, "%s: %s", op, fixture_text(fixtures(), name));
    return buf;
}

static void check_against_fixture(Tensor *out, const char *op, int i) {
    char what[64];
    snprintf(what, sizeof what, "%s case %d", op, i);
    ct_assert_bits_eq(out, case_tensor(op, i, "def"), what, __FILE__, __LINE__);
    ct_assert_close(out, case_tensor(op, i, "torch"), 1e-5, case_scalar(op, i, "atol"), what,
                    __FILE__, __LINE__);
}

/* ---- against torch -------------------------------------------------------------------------- */

START_TEST(test_mm_cases) {
    int i = 0;
    for (; has_case("mm", i); i++) {
        Tensor *a = operand("mm", i, "a"), *b = operand("mm", i, "b");
        Tensor *out = torch_mm(a, b);
        ck_assert(torch_is_contiguous(out));
        ck_assert(out->storage != a->storage && out->storage != b->storage);
        check_against_fixture(out, "mm", i);
        /* the reference kernel is the definition too */
        Tensor *ref = torch_empty(out->shape);
        mm_reference(a, b, ref);
        CT_ASSERT_BITS_EQ(ref, case_tensor("mm", i, "def"));
    }
    ck_assert_int_eq(i, 13);
}
END_TEST

START_TEST(test_matmul_cases) {
    int i = 0;
    for (; has_case("matmul", i); i++)
        check_against_fixture(torch_matmul(operand("matmul", i, "a"), operand("matmul", i, "b")),
                              "matmul", i);
    ck_assert_int_eq(i, 6);
}
END_TEST

START_TEST(test_addmm_cases) {
    int i = 0;
    for (; has_case("addmm", i); i++) {
        Tensor *bias = case_tensor("addmm", i, "bias");
        Tensor *a = operand("addmm", i, "a"), *b = operand("addmm", i, "b");
        check_against_fixture(torch_addmm(bias, a, b), "addmm", i);
    }
    ck_assert_int_eq(i, 7);
}
END_TEST

/* The cross-stage contract: nn_linear's addmm (stage 3) and mm + add (stage 2) agree bit for
 * bit, and so do a 2-d matmul and mm. */
START_TEST(test_addmm_equals_mm_plus_bias) {
    for (int i = 0; has_case("addmm", i); i++) {
        Tensor *bias = case_tensor("addmm", i, "bias");
        Tensor *a = operand("addmm", i, "a"), *b = operand("addmm", i, "b");
        CT_ASSERT_BITS_EQ(torch_addmm(bias, a, b), torch_add(torch_mm(a, b), bias));
        CT_ASSERT_BITS_EQ(torch_matmul(a, b), torch_mm(a, b));
    }
}
END_TEST

/* ---- the fast kernel against the definition ------------------------------------------------ */

/* Deterministic test values in [-2, 2) with a few exact zeros, no randomness needed. */
static Tensor *filled(Shape shape, uint32_t seed) {
    Tensor *t = torch_empty(shape);
    float *d = tensor_f32(t);
    uint32_t s = seed * 2654435761u + 1u;
    for (int64_t i = 0; i < torch_numel(t); i++) {
        s = s * 1664525u + 1013904223u;
        d[i] = (s >> 29) == 0 ? 0.0f : (float)(s >> 8) / 4194304.0f - 2.0f;
    }
    return t;
}

#if CTORCH_FAST
/* The two backends, fast_mm and mm_reference, agree bit for bit on a (n, k) . b (k, m). */
static void assert_kernels_agree(Tensor *a, Tensor *b, const char *what) {
    Shape s = SHAPE(a->shape.size[0], b->shape.size[1]);
    Tensor *ref = torch_empty(s), *fast = torch_empty(s);
    mm_reference(a, b, ref);
    fast_mm(a, b, NULL, 0, 0, fast);
    ct_assert_bits_eq(fast, ref, what, __FILE__, __LINE__);
}

/* The shapes of the brief, and the kernel's edges: the narrow kernel (rows in groups of 16,
 * steps in groups of 8 and 64), the small one (at most 65536 multiply-adds: 40 x 40 x 40 is,
 * 40 x 41 x 40 is not; panels of 16 columns), the blocked one (passes of 256 over p) and the
 * threaded one. */
static const int64_t kernel_shapes[][3] = {
    {1, 1, 1},    {7, 13, 5},   {33, 17, 65},  {100, 3, 32},  {129, 257, 31}, {100, 32, 1},
    {3, 100, 32}, {64, 512, 8}, {65, 257, 9},  {260, 300, 70}, {4, 9000, 1},  {1, 5, 700},
    {50, 0, 7},   {37, 13, 3},  {50, 70, 2},   {20, 9, 40},   {13, 200, 20}, {40, 40, 40},
    {40, 41, 40}, {31, 7, 25},
};

START_TEST(test_kernel_contiguous) {
    for (size_t c = 0; c < sizeof kernel_shapes / sizeof *kernel_shapes; c++) {
        const int64_t *s = kernel_shapes[c];
        char what[64];
        snprintf(what, sizeof what, "%ldx%ldx%ld", (long)s[0], (long)s[1], (long)s[2]);
        assert_kernels_agree(filled(SHAPE(s[0], s[1]), 1), filled(SHAPE(s[1], s[2]), 2), what);
    }
}
END_TEST

/* Transposed, sliced and expanded operands: the kernels read any strides. */
START_TEST(test_kernel_views) {
    for (size_t c = 0; c < sizeof kernel_shapes / sizeof *kernel_shapes; c++) {
        const int64_t *s = kernel_shapes[c];
        int64_t n = s[0], k = s[1], m = s[2];
        char what[96];
        Tensor *at = torch_t(filled(SHAPE(k, n), 3)), *bt = torch_t(filled(SHAPE(m, k), 4));
        snprintf(what, sizeof what, "%ldx%ldx%ld transposed", (long)n, (long)k, (long)m);
        assert_kernels_agree(at, bt, what);
        /* every other row of a, every third column of b, from a larger matrix */
        Tensor *as = torch_slice(filled(SHAPE(2 * n, k + 1), 5), 0, 0, INT64_MAX, 2);
        Tensor *bs = torch_slice(filled(SHAPE(k, 3 * m), 6), 1, 1, INT64_MAX, 3);
        as = torch_narrow(as, 1, 1, k);
        snprintf(what, sizeof what, "%ldx%ldx%ld sliced", (long)n, (long)k, (long)m);
        assert_kernels_agree(as, bs, what);
        /* b with every row the same (stride 0) */
        Tensor *be = torch_expand(filled(SHAPE(1, m), 7), SHAPE(k, m));
        snprintf(what, sizeof what, "%ldx%ldx%ld expanded", (long)n, (long)k, (long)m);
        assert_kernels_agree(at, be, what);
    }
}
END_TEST

/* Shapes at the edges of every instruction set's blocks: tiles of 12 x 32, 6 x 16 and 4 x 8,
 * passes of 256 over p, row blocks of 144, column blocks of 4096; the small kernel's rows
 * (8 or 2 at a time, and each count of rows left over); the narrow kernel (at most 4
 * columns, or 4 rows seen transposed) with its groups of 8 to 32 rows; and sizes large enough
 * to be split over threads (more than 4 million multiply-adds). */
static const int64_t isa_shapes[][3] = {
    {13, 257, 17}, {145, 300, 33}, {12, 256, 16}, {6, 513, 48},  {150, 40, 7},
    {2, 3, 4100},  {1000, 7, 4},   {5, 33, 1000}, {4, 1200, 50}, {17, 64, 1},
    {100, 32, 1},  {32, 100, 1},   {3, 100, 32},  {100, 3, 32},  {100, 1, 32},
    {200, 600, 40}, {40, 600, 200}, {37, 13, 3},  {50, 70, 2},   {20, 9, 40},  {13, 200, 20},
    {40, 40, 40},   {40, 41, 40},   {31, 7, 25},  {12, 256, 32}, {25, 257, 33}, {15, 9, 40},
    {9, 3, 32},     {14, 5, 64},    {33, 100, 3}, {31, 50, 4},   {65, 20, 4},
    /* few steps (k <= 4: b in registers), whole and partial panels; narrow products whose
     * last rows are fewer than a block, or fewer than a vector */
    {7, 2, 33},     {50, 4, 64},    {1, 4, 16},   {70, 1, 5},    {41, 16, 2},  {7, 40, 1},
    {105, 9, 1},    {3, 100, 32},   {5, 60, 40},
    /* a read in place (transposed) in AVX-512's wide blocks of 32 or 64 rows: whole blocks
     * only, and split over threads in parts of 32 rows (an odd number of them, and a last
     * part of 4 rows, left to the 8-float blocks) */
    {96, 17, 3},    {64, 33, 1},    {2, 2100, 1700},
};

/* fast_mm with every instruction set this CPU has, at 1 and 3 threads, against one
 * mm_reference result. */
static void assert_every_isa_agrees(Tensor *a, Tensor *b, const char *what) {
    const char *isas[] = {"avx512", "avx2", "portable"};
    const char *was = fast_isa_name();
    Shape s = SHAPE(a->shape.size[0], b->shape.size[1]);
    Tensor *ref = torch_empty(s);
    mm_reference(a, b, ref);
    for (int i = 0; i < 3; i++) {
        if (!fast_isa_use(isas[i])) continue; /* this CPU cannot run it */
        ck_assert_str_eq(fast_isa_name(), isas[i]);
        for (int threads = 1; threads <= 3; threads += 2) {
            torch_set_num_threads(threads);
            Tensor *fast = torch_empty(s);
            fast_mm(a, b, NULL, 0, 0, fast);
            char full[160];
            snprintf(full, sizeof full, "%s, %s, %d threads", what, isas[i], threads);
            ct_assert_bits_eq(fast, ref, full, __FILE__, __LINE__);
        }
    }
    torch_set_num_threads(0);
    ck_assert(fast_isa_use(was));
}

/* Every instruction set, thread counts, contiguous and through views: mm_reference's bits. */
START_TEST(test_kernel_every_isa) {
    const char *best = fast_isa_name();
    ck_assert(fast_isa_use("portable")); /* runs everywhere */
    ck_assert(!fast_isa_use("no-such-isa"));
    ck_assert_str_eq(fast_isa_name(), "portable");
    ck_assert(fast_isa_use(best));
    for (size_t c = 0; c < sizeof isa_shapes / sizeof *isa_shapes; c++) {
        int64_t n = isa_shapes[c][0], k = isa_shapes[c][1], m = isa_shapes[c][2];
        char what[96];
        snprintf(what, sizeof what, "%ldx%ldx%ld", (long)n, (long)k, (long)m);
        assert_every_isa_agrees(filled(SHAPE(n, k), 21), filled(SHAPE(k, m), 22), what);
        snprintf(what, sizeof what, "%ldx%ldx%ld transposed", (long)n, (long)k, (long)m);
        assert_every_isa_agrees(torch_t(filled(SHAPE(k, n), 23)), torch_t(filled(SHAPE(m, k), 24)),
                                what);
        snprintf(what, sizeof what, "%ldx%ldx%ld sliced", (long)n, (long)k, (long)m);
        assert_every_isa_agrees(torch_slice(filled(SHAPE(n, 2 * k), 25), 1, 1, INT64_MAX, 2),
                                torch_slice(filled(SHAPE(2 * k, m), 26), 0, 0, INT64_MAX, 2), what);
    }
}
END_TEST

#endif

/* torch_addmm's bias, added as each tile (or narrow group) finishes, gives the bits of the
 * product followed by a separate add, for every bias shape nn_linear and users pass. */
START_TEST(test_kernel_bias_epilogue) {
    const int64_t shapes[][3] = {{100, 3, 32},  {100, 32, 1}, {3, 100, 32}, {145, 300, 33},
                                 {2, 3, 4100},  {1000, 7, 4}, {200, 600, 40}, {31, 7, 25},
                                 {37, 13, 3},   {64, 2, 40},  {5, 4, 32},   {105, 9, 1}};
    for (size_t c = 0; c < sizeof shapes / sizeof *shapes; c++) {
        int64_t n = shapes[c][0], k = shapes[c][1], m = shapes[c][2];
        Tensor *a = filled(SHAPE(n, k), 31), *b = filled(SHAPE(k, m), 32);
        Tensor *biases[] = {filled(SHAPE(m), 33), filled(SHAPE(1, m), 34), filled(SHAPE(n, 1), 35),
                            filled(SHAPE(n, m), 36), filled(SHAPE_SCALAR, 37),
                            torch_t(filled(SHAPE(m, n), 38))};
        for (size_t j = 0; j < sizeof biases / sizeof *biases; j++) {
            char what[96];
            snprintf(what, sizeof what, "%ldx%ldx%ld, bias %zu", (long)n, (long)k, (long)m, j);
            Tensor *ref = torch_empty(SHAPE(n, m));
            mm_reference(a, b, ref);
            Tensor *want = torch_add(ref, biases[j]);
            ct_assert_bits_eq(torch_addmm(biases[j], a, b), want, what, __FILE__, __LINE__);
            ct_assert_bits_eq(torch_addmm(biases[j], torch_t(torch_contiguous(torch_t(a))), b),
                              want, what, __FILE__, __LINE__);
        }
    }
}
END_TEST

/* The thread count never changes a bit: each element is summed by one thread, in order. */
START_TEST(test_kernel_threads) {
    Tensor *a = filled(SHAPE(260, 300), 8), *b = torch_t(filled(SHAPE(70, 300), 9));
    torch_set_num_threads(1);
    Tensor *one = torch_mm(a, b);
    int counts[] = {2, 3, 7};
    for (int i = 0; i < 3; i++) {
        torch_set_num_threads(counts[i]);
        char what[32];
        snprintf(what, sizeof what, "%d threads", counts[i]);
        ct_assert_bits_eq(torch_mm(a, b), one, what, __FILE__, __LINE__);
    }
    torch_set_num_threads(0);
#if CTORCH_FAST
    assert_kernels_agree(a, b, "default threads");
#endif
}
END_TEST

#if CTORCH_FAST
/* Infinities, NaN and signed zeros go through both kernels the same way. */
START_TEST(test_kernel_special_values) {
    for (int big = 0; big < 2; big++) { /* the small path and the packed path */
        int64_t n = big ? 40 : 5, k = big ? 40 : 6, m = big ? 40 : 9;
        Tensor *a = filled(SHAPE(n, k), 10), *b = filled(SHAPE(k, m), 11);
        tensor_f32(a)[0] = INFINITY;
        tensor_f32(a)[k + 1] = -0.0f;
        tensor_f32(b)[m + 2] = NAN;
        tensor_f32(b)[2 * m] = -INFINITY;
        for (int64_t p = 0; p < k; p++) tensor_f32(a)[2 * k + p] = -0.0f; /* row 2: only -0 */
        Tensor *ref = torch_empty(SHAPE(n, m)), *fast = torch_empty(SHAPE(n, m));
        mm_reference(a, b, ref);
        fast_mm(a, b, NULL, 0, 0, fast);
        CT_ASSERT_CLOSE(fast, ref, 0.0, 0.0); /* exact, NaN matching NaN */
        /* a sum that starts at +0 stays +0 when every product is -0 or +0 */
        ck_assert(!signbit(tensor_f32(fast)[2 * m + 1]));
        ck_assert(isnan(tensor_f32(fast)[2])); /* inf * 0 or NaN reached column 2 of row 0 */
    }
}
END_TEST
#endif

/* ---- errors ------------------------------------------------------------------------------------ */

static Tensor *longs(Shape s) { return torch_empty_dtype(s, TORCH_INT64); }

START_TEST(test_errors_mm) {
    CT_EXPECT_ERROR("torch_mm: mat1 and mat2 shapes cannot be multiplied (100x3 and 32x1)",
                    torch_mm(torch_zeros(SHAPE(100, 3)), torch_zeros(SHAPE(32, 1))));
    CT_EXPECT_ERROR(torch_message("torch_mm", "mm_shapes"),
                    torch_mm(torch_zeros(SHAPE(100, 3)), torch_zeros(SHAPE(32, 1))));
    /* libtorch's "self must be a matrix" (fixture mm_self), with the dims as addmm says them */
    CT_EXPECT_ERROR("torch_mm: self must be a matrix, got 1-D tensor",
                    torch_mm(torch_zeros(SHAPE(3)), torch_zeros(SHAPE(3, 1))));
    CT_EXPECT_ERROR("torch_mm: mat2 must be a matrix, got 1-D tensor",
                    torch_mm(torch_zeros(SHAPE(3, 3)), torch_zeros(SHAPE(3))));
    CT_EXPECT_ERROR(torch_message("torch_mm", "mm_dtype_self"),
                    torch_mm(longs(SHAPE(1, 3)), torch_zeros(SHAPE(3, 1))));
    CT_EXPECT_ERROR(torch_message("torch_mm", "mm_dtype_mat2"),
                    torch_mm(torch_zeros(SHAPE(1, 3)), longs(SHAPE(3, 1))));
    /* libtorch multiplies Long matrices; ctorch computes in float32 only */
    CT_EXPECT_ERROR("torch_mm: expected scalar type Float but found Long",
                    torch_mm(longs(SHAPE(1, 3)), longs(SHAPE(3, 1))));
    Tensor *x = torch_zeros(SHAPE(2, 2));
    torch_free(x);
    CT_EXPECT_ERROR("torch_mm: a tensor was used after it was released (its scope ended or it "
                    "was freed); keep it with torch_keep() to use it longer",
                    torch_mm(torch_zeros(SHAPE(2, 2)), x));
}
END_TEST

START_TEST(test_errors_matmul) {
    Tensor *z3 = torch_zeros(SHAPE(3));
    CT_EXPECT_ERROR(torch_message("torch_matmul", "matmul_0d"),
                    torch_matmul(torch_scalar(1.0f), z3));
    CT_EXPECT_ERROR(torch_message("torch_matmul", "matmul_0d_right"),
                    torch_matmul(z3, torch_scalar(1.0f)));
    CT_EXPECT_ERROR(torch_message("torch_matmul", "dot_size"),
                    torch_matmul(z3, torch_zeros(SHAPE(4))));
    CT_EXPECT_ERROR("torch_matmul: inconsistent tensor size, expected tensor [3] and src [4] to "
                    "have the same number of elements, but got 3 and 4 elements respectively",
                    torch_matmul(z3, torch_zeros(SHAPE(4))));
    CT_EXPECT_ERROR(torch_message("torch_matmul", "dot_dtype"), torch_matmul(longs(SHAPE(3)), z3));
    CT_EXPECT_ERROR(torch_message("torch_matmul", "mv_size"),
                    torch_matmul(torch_zeros(SHAPE(2, 3)), torch_zeros(SHAPE(4))));
    CT_EXPECT_ERROR(torch_message("torch_matmul", "mv_dtype"),
                    torch_matmul(torch_zeros(SHAPE(2, 3)), longs(SHAPE(3))));
    CT_EXPECT_ERROR(torch_message("torch_matmul", "vm_size"),
                    torch_matmul(z3, torch_zeros(SHAPE(4, 2))));
    CT_EXPECT_ERROR(torch_message("torch_matmul", "matmul_shapes"),
                    torch_matmul(torch_zeros(SHAPE(2, 3)), torch_zeros(SHAPE(4, 2))));
    /* ctorch's own limits: float32, and no batched (3-d and up) products */
    CT_EXPECT_ERROR("torch_matmul: expected scalar type Float but found Long",
                    torch_matmul(longs(SHAPE(3)), longs(SHAPE(3))));
    CT_EXPECT_ERROR("torch_matmul: ctorch's matmul takes 1-d and 2-d operands, but they are 3D "
                    "and 1D",
                    torch_matmul(torch_zeros(SHAPE(2, 3, 4)), torch_zeros(SHAPE(4))));
}
END_TEST

START_TEST(test_errors_addmm) {
    Tensor *a = torch_zeros(SHAPE(2, 3)), *b = torch_zeros(SHAPE(3, 4));
    CT_EXPECT_ERROR(torch_message("torch_addmm", "addmm_self_dtype"),
                    torch_addmm(longs(SHAPE(4)), a, b));
    CT_EXPECT_ERROR(torch_message("torch_addmm", "addmm_mat1_dtype"),
                    torch_addmm(torch_zeros(SHAPE(4)), longs(SHAPE(2, 3)), b));
    CT_EXPECT_ERROR(torch_message("torch_addmm", "addmm_mat1"),
                    torch_addmm(torch_zeros(SHAPE(4)), torch_zeros(SHAPE(3)), b));
    CT_EXPECT_ERROR(torch_message("torch_addmm", "addmm_mat2"),
                    torch_addmm(torch_zeros(SHAPE(4)), a, torch_zeros(SHAPE(3))));
    CT_EXPECT_ERROR(torch_message("torch_addmm", "addmm_shapes"),
                    torch_addmm(torch_zeros(SHAPE(5)), a, torch_zeros(SHAPE(2, 4))));
    CT_EXPECT_ERROR(torch_message("torch_addmm", "addmm_bias"),
                    torch_addmm(torch_zeros(SHAPE(5)), a, b));
    CT_EXPECT_ERROR("torch_addmm: The expanded size of the tensor (4) must match the existing "
                    "size (5) at non-singleton dimension 1.  Target sizes: [2, 4].  Tensor sizes: "
                    "[5]",
                    torch_addmm(torch_zeros(SHAPE(5)), a, b));
    CT_EXPECT_ERROR(torch_message("torch_addmm", "addmm_bias_rows"),
                    torch_addmm(torch_zeros(SHAPE(5, 3)), a, b));
    CT_EXPECT_ERROR(torch_message("torch_addmm", "addmm_bias_dims"),
                    torch_addmm(torch_zeros(SHAPE(3, 2, 4)), a, b));
    CT_EXPECT_ERROR("torch_addmm: expected scalar type Float but found Long",
                    torch_addmm(longs(SHAPE(4)), longs(SHAPE(2, 3)), longs(SHAPE(3, 4))));
}
END_TEST

/* ---- what the products tell autograd ------------------------------------------------------ */

static TorchOp recorded[4];
static int n_recorded;
static void record_hook(const TorchOp *op) {
    if (n_recorded < 4) recorded[n_recorded] = *op;
    n_recorded++;
}
static const TorchAutogradHooks hooks = {.record = record_hook};

START_TEST(test_records_for_autograd) {
    Tensor *a = filled(SHAPE(4, 3), 1), *b = filled(SHAPE(3, 2), 2), *bias = filled(SHAPE(2), 3);
    Tensor *v = filled(SHAPE(3), 4);
    torch_install_autograd_hooks(&hooks);
    n_recorded = 0;
    Tensor *o = torch_mm(a, b);
    ck_assert_int_eq(n_recorded, 1);
    ck_assert(recorded[0].kind == TORCH_OP_MM && recorded[0].out == o && recorded[0].n_in == 2 &&
              recorded[0].in[0] == a && recorded[0].in[1] == b);
    n_recorded = 0;
    o = torch_matmul(a, v);
    ck_assert_int_eq(n_recorded, 1);
    ck_assert(recorded[0].kind == TORCH_OP_MATMUL && recorded[0].out == o &&
              recorded[0].in[0] == a && recorded[0].in[1] == v);
    ck_assert(shape_equal(o->shape, SHAPE(4)));
    n_recorded = 0;
    o = torch_addmm(bias, a, b);
    ck_assert_int_eq(n_recorded, 1); /* one node, not an mm and an add */
    ck_assert(recorded[0].kind == TORCH_OP_ADDMM && recorded[0].out == o &&
              recorded[0].n_in == 3 && recorded[0].in[0] == bias && recorded[0].in[1] == a &&
              recorded[0].in[2] == b);
    torch_install_autograd_hooks(NULL);
}
END_TEST

/* matmul's result shapes: the dims of 1-d operands are dropped. */
START_TEST(test_matmul_shapes) {
    Tensor *v = filled(SHAPE(3), 1), *m = filled(SHAPE(3, 3), 2);
    ck_assert_int_eq(torch_matmul(v, v)->shape.ndim, 0);
    ck_assert(shape_equal(torch_matmul(m, v)->shape, SHAPE(3)));
    ck_assert(shape_equal(torch_matmul(v, m)->shape, SHAPE(3)));
    ck_assert(shape_equal(torch_matmul(m, m)->shape, SHAPE(3, 3)));
    ck_assert(shape_equal(torch_mm(torch_zeros(SHAPE(0, 3)), m)->shape, SHAPE(0, 3)));
    /* a (1, k) . (k, 1) mm and a dot give the same number */
    ck_assert(torch_item(torch_matmul(v, v)) ==
              torch_item(torch_mm(torch_unsqueeze(v, 0), torch_unsqueeze(v, 1))));
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("linalg");
    TCase *tc = ct_tcase("against_torch");
    tcase_add_test(tc, test_mm_cases);
    tcase_add_test(tc, test_matmul_cases);
    tcase_add_test(tc, test_addmm_cases);
    tcase_add_test(tc, test_addmm_equals_mm_plus_bias);
    tcase_add_test(tc, test_matmul_shapes);
    suite_add_tcase(s, tc);

    tc = ct_tcase("kernels");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_kernel_threads);
    tcase_add_test(tc, test_kernel_bias_epilogue);
#if CTORCH_FAST /* the two backends on the same inputs */
    tcase_add_test(tc, test_kernel_contiguous);
    tcase_add_test(tc, test_kernel_views);
    tcase_add_test(tc, test_kernel_special_values);
    tcase_add_test(tc, test_kernel_every_isa);
#endif
    suite_add_tcase(s, tc);

    tc = ct_tcase("errors");
    tcase_add_test(tc, test_errors_mm);
    tcase_add_test(tc, test_errors_matmul);
    tcase_add_test(tc, test_errors_addmm);
    tcase_add_test(tc, test_records_for_autograd);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    /* -Dblas=true: the BLAS sums in its own order, so mm_reference's bits (this suite's
     * subject) are not the contract there. */
#if CTORCH_FAST
    if (strcmp(fast_mm_name(), "blas") == 0) {
        printf("1..0 # SKIP built with -Dblas=true: torch_mm sums in the BLAS's order\n");
        return 0;
    }
#endif
    return ct_run(suite());
}

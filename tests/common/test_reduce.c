/*
 * test_reduce.c: common/reduce.c against PyTorch 1.13, and its numerics contract.
 *
 * tests/fixtures/reduce.txt (tools/gen_reduce_fixtures.py) holds inputs, expected outputs and
 * a list of cases, one a line:
 *     <exact|close> <op> <expected> <input> [<dim> <keepdim>]
 * Sums and means are "close" (1e-6 relative: libtorch adds float32 in a cascade order, we add
 * in double in row-major order); max, min and argmax are "exact" (bits and indices). An input
 * "name@T" is the transpose of a stored matrix, a strided view built with tensor_view_of.
 * The hand-written tests pin down the contract other stages rely on: one rounding at the end
 * of a double sum, the same bits for the same elements whichever function sums them; and, in a
 * fast build, the two backends: fast_sum gives the definition's bits (sum_reference, exercise
 * 1.3's sum_lanes: common/reduce_kernels.h) on odd shapes, views, every instruction set and 1
 * or 2 threads.
 */
#include "ct_test.h"
#include "backend.h"
#include "internal.h"
#include "reduce_kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURE "reduce.txt"
#define COUNT(a) (int)(sizeof(a) / sizeof((a)[0]))

static Tensor *transposed(Tensor *t) {
    int64_t stride[2] = {t->stride[1], t->stride[0]};
    return tensor_view_of(t, SHAPE(t->shape.size[1], t->shape.size[0]), stride, t->offset);
}

/* The fixture tensor named by ref ("r234", or "m43@T" for the transpose of m43). */
static Tensor *input(Fixtures *fx, const char *ref) {
    char name[128];
    snprintf(name, sizeof name, "%s", ref);
    char *at = strchr(name, '@');
    if (!at) return fixture_tensor(fx, name);
    ck_assert_str_eq(at, "@T");
    *at = '\0';
    return transposed(fixture_tensor(fx, name));
}

/* ---- the fixture cases --------------------------------------------------------------------- */

typedef struct Case {
    char text[160];
    char check[8], op[16], out[48], in[48];
    int dim, keepdim, n_fields;
} Case;

/* Runs one case; *indices receives max_dim's and min_dim's indices. */
static Tensor *run_case(Fixtures *fx, const Case *c, Tensor **indices) {
    Tensor *a = input(fx, c->in);
    bool keep = c->keepdim != 0;
    *indices = NULL;
    if (strcmp(c->op, "sum") == 0) return torch_sum(a);
    if (strcmp(c->op, "mean") == 0) return torch_mean(a);
    if (strcmp(c->op, "max") == 0) return torch_max(a);
    if (strcmp(c->op, "min") == 0) return torch_min(a);
    ck_assert_msg(c->n_fields == 6, "%s: dim and keepdim expected", c->text);
    if (strcmp(c->op, "sum_dim") == 0) return torch_sum_dim(a, c->dim, keep);
    if (strcmp(c->op, "mean_dim") == 0) return torch_mean_dim(a, c->dim, keep);
    if (strcmp(c->op, "max_dim") == 0) return torch_max_dim(a, c->dim, keep, indices);
    if (strcmp(c->op, "min_dim") == 0) return torch_min_dim(a, c->dim, keep, indices);
    if (strcmp(c->op, "argmax") == 0) return torch_argmax(a, c->dim, keep);
    ck_abort_msg("unknown op in case: %s", c->text);
    return NULL;
}

/* Runs and checks every case whose op is one of `ops`; returns how many ran. */
static int run_cases(const char *const *ops, int n_ops) {
    Fixtures *fx = fixtures_load(FIXTURE);
    const char *text = fixture_text(fx, "cases");
    int ran = 0;
    while (*text) {
        const char *end = strchr(text, '\n');
        size_t len = end ? (size_t)(end - text) : strlen(text);
        Case c;
        memset(&c, 0, sizeof c);
        ck_assert_uint_lt(len, sizeof c.text);
        memcpy(c.text, text, len);
        text += len + (end ? 1 : 0);
        c.n_fields = sscanf(c.text, "%7s %15s %47s %47s %d %d", c.check, c.op, c.out, c.in,
                            &c.dim, &c.keepdim);
        ck_assert_msg(c.n_fields == 4 || c.n_fields == 6, "bad case: %s", c.text);
        bool wanted = false;
        for (int i = 0; i < n_ops; i++) wanted = wanted || strcmp(c.op, ops[i]) == 0;
        if (!wanted) continue;

        Tensor *indices;
        Tensor *result = run_case(fx, &c, &indices);
        Tensor *expected = fixture_tensor(fx, c.out);
        if (strcmp(c.check, "exact") == 0) {
            ct_assert_bits_eq(result, expected, c.text, __FILE__, __LINE__);
        } else {
            ck_assert_str_eq(c.check, "close");
            ct_assert_close(result, expected, 1e-6, 1e-6, c.text, __FILE__, __LINE__);
        }
        char idx_name[64];
        snprintf(idx_name, sizeof idx_name, "%s.idx", c.out);
        if (fixture_has(fx, idx_name)) {
            ck_assert_ptr_nonnull(indices);
            ct_assert_bits_eq(indices, fixture_tensor(fx, idx_name), c.text, __FILE__, __LINE__);
        }
        ran++;
    }
    fixtures_free(fx);
    return ran;
}

#define RUN_CASES(...)                                                                         \
    do {                                                                                       \
        static const char *const ops_[] = {__VA_ARGS__};                                       \
        ck_assert_int_gt(run_cases(ops_, COUNT(ops_)), 0);                                     \
    } while (0)

START_TEST(test_fixture_sum_mean_all) { RUN_CASES("sum", "mean"); }
END_TEST

START_TEST(test_fixture_sum_mean_dim) { RUN_CASES("sum_dim", "mean_dim"); }
END_TEST

START_TEST(test_fixture_max_min_all) { RUN_CASES("max", "min"); }
END_TEST

START_TEST(test_fixture_max_min_dim) { RUN_CASES("max_dim", "min_dim"); }
END_TEST

START_TEST(test_fixture_argmax) { RUN_CASES("argmax"); }
END_TEST

START_TEST(test_fixture_every_case_is_run) {
    Fixtures *fx = fixtures_load(FIXTURE);
    static const char *known[] = {"sum", "mean", "max", "min", "sum_dim", "mean_dim",
                                  "max_dim", "min_dim", "argmax"};
    int lines = 0;
    for (const char *p = fixture_text(fx, "cases"); *p; lines++) {
        char check[8], op[16];
        ck_assert_int_eq(sscanf(p, "%7s %15s", check, op), 2);
        bool found = false;
        for (int i = 0; i < COUNT(known); i++) found = found || strcmp(op, known[i]) == 0;
        ck_assert_msg(found, "case with an untested op: %s", op);
        p = strchr(p, '\n');
        ck_assert_ptr_nonnull(p);
        p++;
    }
    ck_assert_int_gt(lines, 150);
    fixtures_free(fx);
}
END_TEST

/* ---- the numerics contract ------------------------------------------------------------------ */

static bool same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

/* One rounding, at the end of a double sum: float accumulation would lose these. */
START_TEST(test_sum_accumulates_in_double) {
    Tensor *a = torch_tensor(SHAPE(3), (float[]){1e8f, 1.0f, -1e8f});
    ck_assert_float_eq(torch_item(torch_sum(a)), 1.0f); /* float: (1e8 + 1) - 1e8 = 0 */
    Tensor *b = torch_tensor(SHAPE(3), (float[]){16777216.0f, 1.0f, 1.0f});
    ck_assert_float_eq(torch_item(torch_sum(b)), 16777218.0f); /* float: 16777216 */
    ck_assert_float_eq(torch_item(torch_mean(b)), 16777218.0f / 3.0f);
    Tensor *col = torch_tensor(SHAPE(3, 1), (float[]){1e8f, 1.0f, -1e8f});
    ck_assert_float_eq(torch_item(torch_sum_dim(col, 0, false)), 1.0f);
}
END_TEST

/* The same elements in the same order give the same bits, whichever function sums them. */
START_TEST(test_same_elements_same_bits) {
    Fixtures *fx = fixtures_load(FIXTURE);
    Tensor *y = fixture_tensor(fx, "y100"); /* (100, 1) */
    float whole = torch_item(torch_sum(y));
    ck_assert(same_bits(whole, torch_item(torch_sum_dim(y, 0, false))));
    ck_assert(same_bits(whole, torch_item(torch_sum_dim(y, -2, true))));
    Tensor *row = transposed(y); /* (1, 100): the same elements in the same order */
    ck_assert(same_bits(whole, torch_item(torch_sum(row))));
    ck_assert(same_bits(whole, torch_item(torch_sum_dim(row, 1, false))));
    float mean = torch_item(torch_mean(y));
    ck_assert(same_bits(mean, torch_item(torch_mean_dim(y, 0, false))));
    ck_assert(same_bits(mean, torch_item(torch_mean_dim(row, 1, true))));

    /* by hand: a double sum in row-major order, rounded once; the mean divides it first */
    Tensor *g = fixture_tensor(fx, "g100_32");
    const float *d = tensor_f32(g);
    double total = 0;
    for (int i = 0; i < 3200; i++) total += d[i];
    ck_assert(same_bits(torch_item(torch_sum(g)), (float)total));
    ck_assert(same_bits(torch_item(torch_mean(g)), (float)(total / 3200)));
    Tensor *cols = torch_sum_dim(g, 0, false); /* grad_b1 */
    for (int j = 0; j < 32; j++) {
        double s = 0;
        for (int i = 0; i < 100; i++) s += d[i * 32 + j];
        ck_assert(same_bits(tensor_f32(cols)[j], (float)s));
    }
    /* a strided view sums like its contiguous copy */
    Tensor *gt = transposed(g);
    CT_ASSERT_BITS_EQ(torch_sum_dim(gt, 1, false), cols);
    Tensor *copy = tensor_contiguous_raw(gt);
    ck_assert(same_bits(torch_item(torch_sum(gt)), torch_item(torch_sum(copy))));
    CT_ASSERT_BITS_EQ(torch_sum_dim(gt, 0, true), torch_sum_dim(copy, 0, true));
    fixtures_free(fx);
}
END_TEST

/* Result shapes: keepdim keeps a size-1 dim; a 0-dim input stays 0-dim. */
START_TEST(test_result_shapes) {
    Tensor *a = torch_zeros(SHAPE(2, 3, 4));
    Shape s = torch_sum_dim(a, 1, false)->shape;
    ck_assert(shape_equal(s, SHAPE(2, 4)));
    s = torch_mean_dim(a, -1, true)->shape;
    ck_assert(shape_equal(s, SHAPE(2, 3, 1)));
    Tensor *idx;
    s = torch_max_dim(a, 0, true, &idx)->shape;
    ck_assert(shape_equal(s, SHAPE(1, 3, 4)));
    ck_assert(shape_equal(idx->shape, SHAPE(1, 3, 4)));
    ck_assert_int_eq(idx->dtype, TORCH_INT64);
    ck_assert_int_eq(torch_argmax(a, 2, false)->dtype, TORCH_INT64);
    ck_assert_int_eq(torch_sum(a)->shape.ndim, 0);
    ck_assert_int_eq(torch_max(a)->shape.ndim, 0);
    ck_assert_int_eq(torch_sum_dim(torch_scalar(2), 0, true)->shape.ndim, 0);
}
END_TEST

/* Indices are optional; max_dim's values do not depend on asking for them. */
START_TEST(test_max_dim_indices_optional) {
    Fixtures *fx = fixtures_load(FIXTURE);
    Tensor *a = fixture_tensor(fx, "r234");
    Tensor *idx;
    CT_ASSERT_BITS_EQ(torch_max_dim(a, 1, false, NULL), torch_max_dim(a, 1, false, &idx));
    CT_ASSERT_BITS_EQ(torch_min_dim(a, 2, true, NULL), torch_min_dim(a, 2, true, &idx));
    torch_max_dim(a, 2, true, &idx);
    CT_ASSERT_BITS_EQ(torch_argmax(a, 2, true), idx);
    fixtures_free(fx);

    /* outside any scope, unwanted indices are released at once (nobody can free them) */
    torch_scope_end(); /* leave the test's own scope for a moment */
    Tensor *b = torch_ones(SHAPE(3, 4));
    int64_t before = torch_memory_stats().live_tensors;
    Tensor *v = torch_max_dim(b, 0, false, NULL);
    ck_assert_int_eq(torch_memory_stats().live_tensors, before + 1);
    Tensor *w = torch_max_dim(b, 0, false, &idx);
    ck_assert_int_eq(torch_memory_stats().live_tensors, before + 3);
    Tensor *t = transposed(b); /* a strided input: its contiguous copy is released too */
    Tensor *s = torch_sum_dim(t, 0, false);
    ck_assert_int_eq(torch_memory_stats().live_tensors, before + 5);
    torch_free(s);
    torch_free(t);
    torch_free(w);
    torch_free(idx);
    torch_free(v);
    torch_free(b);
    torch_scope_begin();
}
END_TEST

/* ---- what autograd is told ------------------------------------------------------------------- */

static TorchOp records[16];
static int n_records;

static void record_hook(const TorchOp *op) {
    ck_assert_int_lt(n_records, 16);
    records[n_records++] = *op;
}

static const TorchAutogradHooks test_hooks = {.record = record_hook};

static TorchOp *last_record(int expected_count) {
    ck_assert_int_eq(n_records, expected_count);
    return &records[n_records - 1];
}

START_TEST(test_records_for_autograd) {
    Tensor *a = torch_ones(SHAPE(2, 3, 4));
    n_records = 0;
    torch_install_autograd_hooks(&test_hooks);

    Tensor *out = torch_sum(a);
    TorchOp *op = last_record(1);
    ck_assert_int_eq(op->kind, TORCH_OP_SUM);
    ck_assert_ptr_eq(op->out, out);
    ck_assert_int_eq(op->n_in, 1);
    ck_assert_ptr_eq(op->in[0], a);

    out = torch_sum_dim(a, -2, true); /* the wrapped dim is recorded */
    op = last_record(2);
    ck_assert_int_eq(op->kind, TORCH_OP_SUM_DIM);
    ck_assert_ptr_eq(op->out, out);
    ck_assert_int_eq(op->dim, 1);
    ck_assert(op->keepdim);

    torch_mean(a);
    ck_assert_int_eq(last_record(3)->kind, TORCH_OP_MEAN);
    torch_mean_dim(a, 2, false);
    op = last_record(4);
    ck_assert_int_eq(op->kind, TORCH_OP_MEAN_DIM);
    ck_assert_int_eq(op->dim, 2);
    ck_assert(!op->keepdim);

    torch_max(a);
    ck_assert_int_eq(last_record(5)->kind, TORCH_OP_MAX);
    torch_min(a);
    ck_assert_int_eq(last_record(6)->kind, TORCH_OP_MIN);

    Tensor *idx;
    out = torch_max_dim(a, 0, false, &idx);
    op = last_record(7);
    ck_assert_int_eq(op->kind, TORCH_OP_MAX_DIM);
    ck_assert_ptr_eq(op->out, out);
    ck_assert_ptr_eq(op->extra, idx);
    ck_assert_int_eq(op->dim, 0);

    /* the indices exist for backward even when the caller did not ask for them */
    torch_min_dim(a, -1, true, NULL);
    op = last_record(8);
    ck_assert_int_eq(op->kind, TORCH_OP_MIN_DIM);
    ck_assert_ptr_nonnull(op->extra);
    ck_assert_int_eq(op->extra->magic, TENSOR_ALIVE);
    ck_assert_int_eq(op->extra->dtype, TORCH_INT64);
    ck_assert(shape_equal(op->extra->shape, SHAPE(2, 3, 1)));
    ck_assert_int_eq(op->dim, 2);
    ck_assert(op->keepdim);

    torch_argmax(a, 0, false); /* not differentiable */
    ck_assert_int_eq(n_records, 8);
    torch_install_autograd_hooks(NULL);
}
END_TEST

/* ---- errors -------------------------------------------------------------------------------- */

START_TEST(test_errors_dims) {
    Tensor *a = torch_zeros(SHAPE(2, 3));
    Tensor *idx = NULL;
    CT_EXPECT_ERROR("torch_sum_dim: Dimension out of range (expected to be in range of [-2, 1], "
                    "but got 5)",
                    torch_sum_dim(a, 5, false));
    CT_EXPECT_ERROR("torch_mean_dim: Dimension out of range (expected to be in range of [-2, 1], "
                    "but got -3)",
                    torch_mean_dim(a, -3, true));
    CT_EXPECT_ERROR("torch_max_dim: Dimension out of range (expected to be in range of [-2, 1], "
                    "but got 2)",
                    torch_max_dim(a, 2, false, &idx));
    ck_assert_ptr_null(idx);
    CT_EXPECT_ERROR("torch_min_dim: Dimension out of range (expected to be in range of [-2, 1], "
                    "but got -3)",
                    torch_min_dim(a, -3, false, NULL));
    CT_EXPECT_ERROR("torch_argmax: Dimension out of range (expected to be in range of [-2, 1], "
                    "but got 2)",
                    torch_argmax(a, 2, false));
    CT_EXPECT_ERROR("torch_sum_dim: Dimension out of range (expected to be in range of [-1, 0], "
                    "but got 1)",
                    torch_sum_dim(torch_scalar(1), 1, false));
}
END_TEST

START_TEST(test_errors_empty) {
    Tensor *e = torch_zeros(SHAPE(0, 3));
    CT_EXPECT_ERROR("torch_max: max(): Expected reduction dim to be specified for input.numel() "
                    "== 0. Specify the reduction dim with the 'dim' argument.",
                    torch_max(e));
    CT_EXPECT_ERROR("torch_min: min(): Expected reduction dim to be specified for input.numel() "
                    "== 0. Specify the reduction dim with the 'dim' argument.",
                    torch_min(torch_zeros(SHAPE(0))));
    CT_EXPECT_ERROR("torch_max_dim: max(): Expected reduction dim 0 to have non-zero size.",
                    torch_max_dim(e, 0, false, NULL));
    CT_EXPECT_ERROR("torch_max_dim: max(): Expected reduction dim 0 to have non-zero size.",
                    torch_max_dim(e, -2, true, NULL));
    CT_EXPECT_ERROR("torch_min_dim: min(): Expected reduction dim 1 to have non-zero size.",
                    torch_min_dim(torch_zeros(SHAPE(3, 0)), -1, false, NULL));
    CT_EXPECT_ERROR("torch_argmax: argmax(): Expected reduction dim 0 to have non-zero size.",
                    torch_argmax(e, 0, false));
}
END_TEST

START_TEST(test_errors_dtype_and_null) {
    Tensor *l = torch_tensor_i64(SHAPE(2), (int64_t[]){1, 2});
    Tensor *b = torch_tensor_bool(SHAPE(2), (bool[]){true, false});
    CT_EXPECT_ERROR("torch_sum: expected scalar type Float but found Bool", torch_sum(b));
    CT_EXPECT_ERROR("torch_sum_dim: expected scalar type Float but found Long",
                    torch_sum_dim(l, 0, false));
    CT_EXPECT_ERROR("torch_mean: expected scalar type Float but found Long", torch_mean(l));
    CT_EXPECT_ERROR("torch_max: expected scalar type Float but found Long", torch_max(l));
    CT_EXPECT_ERROR("torch_max_dim: expected scalar type Float but found Bool",
                    torch_max_dim(b, 0, false, NULL));
    CT_EXPECT_ERROR("torch_argmax: expected scalar type Float but found Long",
                    torch_argmax(l, 0, false));
    CT_EXPECT_ERROR("torch_sum: expected a Tensor but got NULL", torch_sum(NULL));
    CT_EXPECT_ERROR("torch_min_dim: expected a Tensor but got NULL",
                    torch_min_dim(NULL, 0, false, NULL));
    Tensor *gone = torch_ones(SHAPE(2));
    torch_free(gone);
    CT_EXPECT_ERROR("torch_mean: a tensor was used after it was released (its scope ended or it "
                    "was freed); keep it with torch_keep() to use it longer",
                    torch_mean(gone));
}
END_TEST

/* The fast backend adds many neighbouring lanes side by side (fast_sum): each lane is still its
 * own double sum in index order, rounded once. Wider lanes than one chunk, a chunk and a bit,
 * and every dim, against that loop written out here. */
START_TEST(test_sums_of_many_lanes) {
    const Shape shapes[] = {SHAPE(7, 130), SHAPE(3, 5, 150), SHAPE(2, 64, 65), SHAPE(300, 3),
                            SHAPE(1000)};
    for (int c = 0; c < COUNT(shapes); c++) {
        Shape s = shapes[c];
        Tensor *x = torch_empty(s);
        float *v = tensor_f32(x);
        for (int64_t i = 0; i < shape_numel(s); i++) /* values whose float sums would round */
            v[i] = (float)((i * 7919) % 1000) * 0.001f + (i % 3 == 0 ? 1e7f : -1e7f);
        for (int dim = 0; dim < s.ndim; dim++) {
            int64_t outer = 1, n = s.size[dim], inner = 1;
            for (int d = 0; d < dim; d++) outer *= s.size[d];
            for (int d = dim + 1; d < s.ndim; d++) inner *= s.size[d];
            Tensor *sum = torch_sum_dim(x, dim, false), *mean = torch_mean_dim(x, dim, false);
            for (int64_t o = 0; o < outer; o++)
                for (int64_t i = 0; i < inner; i++) {
                    double acc = 0.0;
                    for (int64_t k = 0; k < n; k++) acc += v[(o * n + k) * inner + i];
                    ck_assert_float_eq(tensor_f32(sum)[o * inner + i], (float)acc);
                    ck_assert_float_eq(tensor_f32(mean)[o * inner + i], (float)(acc / (double)n));
                }
        }
    }
}
END_TEST

/* ---- the fast kernel against the definition ---------------------------------------------- */

/* A value from a hash of (seed, a, b, c): a float in [1, 2) with 23 random bits, and a sign. */
static float hashed(uint64_t seed, int64_t a, int64_t b, int64_t c) {
    uint64_t h = seed * 0x9E3779B97F4A7C15u ^ (uint64_t)a * 0xBF58476D1CE4E5B9u ^
                 (uint64_t)b * 0x94D049BB133111EBu ^ (uint64_t)c * 0xD6E8FEB86659FD93u;
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9u;
    h ^= h >> 29;
    float m = 1.0f + (float)(h >> 41) / 8388608.0f;
    return (h & 1) ? -m : m;
}

/* src (outer, n, inner) with lanes whose double sums round, and whose float results show it:
 * along k, a large value (about 2^40), a small one (about 1), the large one negated, another
 * small one, and again. The small values lose bits when added to the large one and these do
 * not come back when it is taken away: adding a lane's elements in any other order (almost
 * always) gives other bits. */
static void fill_lanes(float *src, int64_t outer, int64_t n, int64_t inner, uint64_t seed) {
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < n; k++)
            for (int64_t i = 0; i < inner; i++) {
                float large = ldexpf(hashed(seed, o, k / 4, i), 40);
                float value = k % 4 == 0 ? large : k % 4 == 2 ? -large : hashed(seed, o, k, i);
                src[(o * n + k) * inner + i] = value;
            }
}

/* Values of every size from 2^-20 to 2^20, for views whose lanes change with the dim. */
static void fill_rounding(float *v, int64_t count, uint64_t seed) {
    for (int64_t i = 0; i < count; i++) v[i] = ldexpf(hashed(seed, i, 0, 0), (int)(i % 41) - 20);
}

/* sum_reference's sums and means of src (outer, n, inner), to compare with. */
static float *reference_sums(const float *src, int64_t outer, int64_t n, int64_t inner) {
    int64_t count = outer * inner;
    float *want = malloc(sizeof(float) * (size_t)(2 * count > 0 ? 2 * count : 1));
    ck_assert_ptr_nonnull(want);
    sum_reference(src, outer, n, inner, want, false);
    sum_reference(src, outer, n, inner, want + count, true);
    return want;
}

#if CTORCH_FAST /* the two backends on the same inputs */
/* fast_sum against sum_reference on src seen as (outer, n, inner), sum and mean, with the
 * instruction set and thread count in use. `want` holds sum_reference's sums, then its means
 * (outer * inner each). */
static void assert_fast_matches(const float *src, int64_t outer, int64_t n, int64_t inner,
                                const float *want, const char *what) {
    int64_t count = outer * inner;
    float *got = malloc(sizeof(float) * (size_t)(count > 0 ? count : 1));
    ck_assert_ptr_nonnull(got);
    for (int mean = 0; mean < 2; mean++) {
        memset(got, 0xff, sizeof(float) * (size_t)count); /* every lane must be written */
        fast_sum(src, outer, n, inner, got, mean);
        int64_t j = 0; /* the first lane that differs (a check per lane would be slow) */
        while (j < count && same_bits(got[j], want[mean * count + j])) j++;
        if (j < count)
            ck_abort_msg("%s (%ld, %ld, %ld) %s, %s, %d threads: lane %ld is %a, not %a", what,
                         (long)outer, (long)n, (long)inner, mean ? "mean" : "sum",
                         fast_isa_name(), torch_get_num_threads(), (long)j, (double)got[j],
                         (double)want[mean * count + j]);
    }
    free(got);
}

/* fast_sum with every instruction set this CPU has, at 1 and 2 threads. */
static void assert_fast_everywhere(const float *src, int64_t outer, int64_t n, int64_t inner,
                                   const char *what) {
    static const char *const isas[] = {"avx512", "avx2", "portable"};
    const char *was = fast_isa_name();
    int threads_were = torch_get_num_threads();
    float *want = reference_sums(src, outer, n, inner);
    for (int i = 0; i < COUNT(isas); i++) {
        if (!fast_isa_use(isas[i])) continue; /* this CPU cannot run it */
        for (int threads = 1; threads <= 2; threads++) {
            torch_set_num_threads(threads);
            assert_fast_matches(src, outer, n, inner, want, what);
        }
    }
    torch_set_num_threads(threads_were);
    ck_assert(fast_isa_use(was));
    free(want);
}

START_TEST(test_fast_isa_choice) {
    const char *best = fast_isa_name();
    ck_assert(fast_isa_use("portable")); /* runs everywhere */
    ck_assert_str_eq(fast_isa_name(), "portable");
    ck_assert(!fast_isa_use("no-such-isa"));
    ck_assert_str_eq(fast_isa_name(), "portable");
    ck_assert(fast_isa_use(best));
}
END_TEST

/* Every (outer, n, inner) from odd sizes (not multiples of a chunk or of a vector, a chunk and
 * a bit, n = 0; 24 and 88 take AVX-512's chunks of 16 and 8 lanes) up to 300,000 elements: the
 * larger ones are split over the threads. */
START_TEST(test_fast_odd_shapes) {
    static const int64_t sizes[] = {1, 2, 3, 7, 24, 31, 32, 33, 65, 88, 100, 1000};
    static const int64_t ns[] = {0, 1, 2, 3, 7, 31, 32, 33, 65, 100, 1000};
    float *src = malloc(sizeof(float) * 300000);
    ck_assert_ptr_nonnull(src);
    int shapes = 0;
    for (int a = 0; a < COUNT(sizes); a++)
        for (int b = 0; b < COUNT(ns); b++)
            for (int c = 0; c < COUNT(sizes); c++) {
                if (sizes[a] * ns[b] * sizes[c] > 300000) continue;
                fill_lanes(src, sizes[a], ns[b], sizes[c], (uint64_t)shapes);
                assert_fast_everywhere(src, sizes[a], ns[b], sizes[c], "odd shape");
                shapes++;
            }
    ck_assert_int_gt(shapes, 900);
    free(src);
}
END_TEST

/* A chain whose elements span few binades is summed in interleaved order (every add exact,
 * fast/sum.c's sum_is_exact); any other goes in order. Both must give sum_lanes's bits: chains
 * of gradients (values of one size), of zeros, -0 and subnormals, with an infinity or a NaN,
 * and the hardest case for the exactness bound: half the elements 2^s times larger than the
 * others, a quarter added before the small ones and the same values taken away after them, so
 * that the sum grows as large as it can and the result shows any small bits it lost, for
 * spreads s around the bound 29 - ceil(log2 n). */
START_TEST(test_fast_exact_chains) {
    static const int64_t ns[] = {16, 17, 100, 1000, 4099};
    float *src = malloc(sizeof(float) * 4099);
    ck_assert_ptr_nonnull(src);
    for (int c = 0; c < COUNT(ns); c++) {
        int64_t n = ns[c];
        int bound = 29;
        while (((int64_t)1 << (29 - bound)) < n) bound--;
        for (int64_t k = 0; k < n; k++) src[k] = ldexpf(hashed(1, c, k, 0), (int)(k % 7) - 3);
        assert_fast_everywhere(src, 1, n, 1, "gradient-like chain");
        for (int64_t k = 0; k < n; k++)
            src[k] = k % 3 == 0 ? 0.0f : k % 3 == 1 ? -0.0f : ldexpf(hashed(2, c, k, 0), -140);
        assert_fast_everywhere(src, 1, n, 1, "zeros and subnormals");
        for (int64_t k = 0; k < n; k++) src[k] = k % 3 == 0 ? -0.0f : 0.0f;
        assert_fast_everywhere(src, 1, n, 1, "signed zeros");
        for (int special = 0; special < 2; special++) {
            for (int64_t k = 0; k < n; k++) src[k] = hashed(3, c, k, 0);
            src[n / 2] = special ? NAN : INFINITY;
            assert_fast_everywhere(src, 1, n, 1, "infinity or NaN");
        }
        for (int spread = bound - 3; spread <= bound + 6; spread++) {
            int64_t half = n / 2;
            for (int64_t k = 0; k < n; k++) { /* L1, L2, ..., small ones, ..., -L2, -L1 */
                int64_t mirror = k < n - 1 - k ? k : n - 1 - k;
                float large = ldexpf(fabsf(hashed(4, c, mirror, spread)), spread);
                src[k] = k < half / 2 ? large : k >= n - half / 2 ? -large : hashed(5, c, k, 0);
            }
            assert_fast_everywhere(src, 1, n, 1, "spread around the exactness bound");
        }
    }
    free(src);
}
END_TEST

/* Sums that split at 2 threads (outer * n * inner >= 2 x 65,536 and at least 2 units of 64
 * lanes): over dim 0 by ranges of lanes (1 x 300 x 1000; 1 x 257 x 1031, whose second range
 * ends in a tail of 7 lanes), by blocks (2 x 1000 x 100), by rows (5000 x 33 x 1), and by units
 * where a range ends inside a block (3 x 700 x 65: two units a block, three a thread). A sum
 * over everything (1 x 200,000 x 1) is one chain and stays whole. */
START_TEST(test_fast_threads) {
    static const int64_t shapes[][3] = {{1, 300, 1000}, {1, 257, 1031}, {2, 1000, 100},
                                        {5000, 33, 1},  {3, 700, 65},   {1, 200000, 1}};
    float *src = malloc(sizeof(float) * 300000);
    ck_assert_ptr_nonnull(src);
    for (int c = 0; c < COUNT(shapes); c++) {
        fill_lanes(src, shapes[c][0], shapes[c][1], shapes[c][2], 100 + (uint64_t)c);
        assert_fast_everywhere(src, shapes[c][0], shapes[c][1], shapes[c][2], "threads");
    }
    free(src);
}
END_TEST

#endif

/* The bias gradient's sum over dim 0 of a large matrix, through torch_sum_dim and
 * torch_mean_dim, at 1 and 2 threads: sum_reference's bits. */
START_TEST(test_public_sums_threads) {
    int threads_were = torch_get_num_threads();
    Tensor *g = torch_empty(SHAPE(300, 2048));
    fill_lanes(tensor_f32(g), 1, 300, 2048, 3);
    float *want = reference_sums(tensor_f32(g), 1, 300, 2048);
    Tensor *want_sum = torch_tensor(SHAPE(2048), want);
    Tensor *want_mean = torch_tensor(SHAPE(1, 2048), want + 2048);
    for (int threads = 1; threads <= 2; threads++) {
        torch_set_num_threads(threads);
        CT_ASSERT_BITS_EQ(torch_sum_dim(g, 0, false), want_sum);
        CT_ASSERT_BITS_EQ(torch_mean_dim(g, -2, true), want_mean);
    }
    torch_set_num_threads(threads_were);
    free(want);
}
END_TEST

/* The lanes of a reduction along dim of a tensor of shape s (as reduce.c sees them). */
static void lanes_of(Shape s, int dim, int64_t *outer, int64_t *n, int64_t *inner) {
    *outer = *inner = 1;
    *n = s.ndim > 0 ? s.size[dim] : 1;
    for (int d = 0; d < s.ndim; d++) {
        if (d < dim) *outer *= s.size[d];
        if (d > dim) *inner *= s.size[d];
    }
}

/* Strided views (a permutation, a slice with an offset, a stretched dim), every dim and over
 * everything, sums and means: sum_reference's bits on the view's contiguous copy. */
START_TEST(test_public_sums_of_views) {
    Tensor *base = torch_empty(SHAPE(9, 35, 67));
    fill_rounding(tensor_f32(base), 9 * 35 * 67, 4);
    const int64_t *st = base->stride;
    Tensor *views[] = {
        /* (67, 9, 35): dims permuted */
        tensor_view_of(base, SHAPE(67, 9, 35), (int64_t[]){st[2], st[0], st[1]}, 0),
        /* (7, 33, 65): base[1:8, 1:34, 1:66] */
        tensor_view_of(base, SHAPE(7, 33, 65), st, st[0] + st[1] + st[2]),
        /* (31, 3, 33): base[2, 0:31, 0:33] stretched along a new middle dim */
        tensor_view_of(base, SHAPE(31, 3, 33), (int64_t[]){st[1], 0, 1}, 2 * st[0]),
    };
    for (int v = 0; v < COUNT(views); v++) {
        Tensor *x = views[v], *copy = tensor_contiguous_raw(x);
        ck_assert_ptr_ne(copy, x);
        for (int dim = -1; dim < x->shape.ndim; dim++) { /* -1: over everything */
            int64_t outer = 1, n = shape_numel(x->shape), inner = 1;
            if (dim >= 0) lanes_of(x->shape, dim, &outer, &n, &inner);
            float *want = reference_sums(tensor_f32(copy), outer, n, inner);
            Tensor *sum = dim < 0 ? torch_sum(x) : torch_sum_dim(x, dim, false);
            Tensor *mean = dim < 0 ? torch_mean(x) : torch_mean_dim(x, dim, true);
            size_t bytes = sizeof(float) * (size_t)(outer * inner);
            ck_assert_msg(memcmp(tensor_f32(sum), want, bytes) == 0, "view %d, dim %d", v, dim);
            ck_assert_msg(memcmp(tensor_f32(mean), want + outer * inner, bytes) == 0,
                          "view %d, dim %d, mean", v, dim);
            free(want);
        }
    }
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("reduce");
    TCase *fx = ct_tcase("fixtures");
    tcase_add_test(fx, test_fixture_sum_mean_all);
    tcase_add_test(fx, test_fixture_sum_mean_dim);
    tcase_add_test(fx, test_fixture_max_min_all);
    tcase_add_test(fx, test_fixture_max_min_dim);
    tcase_add_test(fx, test_fixture_argmax);
    tcase_add_test(fx, test_fixture_every_case_is_run);
    suite_add_tcase(s, fx);

    TCase *num = ct_tcase("numerics");
    tcase_add_test(num, test_sum_accumulates_in_double);
    tcase_add_test(num, test_same_elements_same_bits);
    tcase_add_test(num, test_sums_of_many_lanes);
#if CTORCH_FAST
    tcase_add_test(num, test_fast_isa_choice);
    tcase_add_test(num, test_fast_odd_shapes);
    tcase_add_test(num, test_fast_threads);
    tcase_add_test(num, test_fast_exact_chains);
#endif
    tcase_add_test(num, test_public_sums_threads);
    tcase_add_test(num, test_public_sums_of_views);
    tcase_add_test(num, test_result_shapes);
    tcase_add_test(num, test_max_dim_indices_optional);
    tcase_add_test(num, test_records_for_autograd);
    suite_add_tcase(s, num);

    TCase *err = ct_tcase("errors");
    tcase_add_test(err, test_errors_dims);
    tcase_add_test(err, test_errors_empty);
    tcase_add_test(err, test_errors_dtype_and_null);
    suite_add_tcase(s, err);
    return s;
}

int main(void) { return ct_run(suite()); }

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
 * of a double sum, the same bits for the same elements whichever function sums them.
 */
#include "ct_test.h"
#include "internal.h"

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

/* sum_lanes adds up to 64 neighbouring lanes side by side (and in AVX2 vectors when the CPU
 * has them): each lane is still its own double sum in index order, rounded once. Wider lanes
 * than one block, a block and a bit, and every dim, against that loop written out here. */
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

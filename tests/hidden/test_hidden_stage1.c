/*
 * test_hidden_stage1.c: the hidden tests of chapter 1's exercises (instructors only: left out
 * of the student copy). One Check test case per exercise, named as the visible ones.
 *
 *   ex1_1  a 4-d tensor, a non-contiguous input, a dim swapped with itself
 *   ex1_2  negative dims, indices and starts, an empty narrow, selects down to 0-dim
 *   ex1_3  empty dims, eight dims, 0-dim operands, which dim an error names
 *   ex1_4  strided and transposed operands, k = 0, empty results, stride-0 rows
 *   ex1_5  a middle dim, a negative dim, a transposed input, cancellation, empty lanes
 *   ex1_6  chapter 1's program with other sizes and another seed, against PyTorch
 *
 * Golden values: tests/hidden/hidden.txt (tools/gen_grading_fixtures.py).
 */
#include "graded.h"
#include "linalg_kernels.h"

#ifndef STAGE1_TRAIN
#error "STAGE1_TRAIN must be defined by the build"
#endif

#define HIDDEN_FIXTURES "../hidden/hidden.txt"

/* ---- 1.1 ---------------------------------------------------------------------------------- */

START_TEST(test_transpose_more_views) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *x = fixture_tensor(fx, "ex1_1_x"); /* (2, 3, 1, 4) */
    graded_check_view(torch_transpose(x, 1, 3), x, fx, "ex1_1_x_t13", "x.transpose(1, 3)");
    graded_check_view(torch_transpose(x, 2, 2), x, fx, "ex1_1_x_t22", "x.transpose(2, 2)");
    Tensor *n = fixture_tensor(fx, "ex1_1_x"); /* a strided input: a narrow's strides, by hand */
    Tensor *part = tensor_view_of(n, SHAPE(2, 3, 1, 2), n->stride, n->offset + 1);
    graded_check_view(torch_transpose(part, 0, -1), n, fx, "ex1_1_x_n_t03",
                      "x.narrow(3, 1, 2).transpose(0, -1)");
    fixtures_free(fx);
}
END_TEST

/* ---- 1.2 ---------------------------------------------------------------------------------- */

START_TEST(test_select_narrow_more_views) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *x = fixture_tensor(fx, "ex1_2_x"); /* (3, 4, 5) */
    graded_check_view(torch_select(x, -1, -2), x, fx, "ex1_2_select_m1_m2", "x.select(-1, -2)");
    graded_check_view(torch_narrow(x, -2, -3, 2), x, fx, "ex1_2_narrow_m2_m3_2",
                      "x.narrow(-2, -3, 2)");
    graded_check_view(torch_narrow(x, 0, 3, 0), x, fx, "ex1_2_narrow_0_3_0", "x.narrow(0, 3, 0)");
    graded_check_view(torch_select(torch_select(torch_select(x, 2, 4), 0, 1), 0, 3), x, fx,
                      "ex1_2_select_chain", "x.select(2, 4).select(0, 1).select(0, 3)");
    graded_check_view(torch_select(torch_transpose(x, 0, 2), 1, 3), x, fx, "ex1_2_t_select",
                      "x.transpose(0, 2).select(1, 3)");
    fixtures_free(fx);
}
END_TEST

/* ---- 1.3 ---------------------------------------------------------------------------------- */

START_TEST(test_broadcast_edge_shapes) {
    struct {
        Shape a, b, out;
    } cases[] = {
        {SHAPE(0), SHAPE(1), SHAPE(0)},             /* 1 stretches to 0 */
        {SHAPE(2, 0), SHAPE(2, 1), SHAPE(2, 0)},
        {SHAPE(1), SHAPE(0, 1), SHAPE(0, 1)},
        {SHAPE_SCALAR, SHAPE_SCALAR, SHAPE_SCALAR},
        {SHAPE(1), SHAPE_SCALAR, SHAPE(1)},
        {SHAPE(1, 1), SHAPE(1), SHAPE(1, 1)},
        {SHAPE(2, 1, 1, 1, 1, 1, 1, 3), SHAPE(4, 1), SHAPE(2, 1, 1, 1, 1, 1, 4, 3)},
        {SHAPE(7, 1, 1), SHAPE(1, 6, 1), SHAPE(7, 6, 1)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char a[96], b[96];
        GRADED_ASSERT_SHAPE(broadcast_shapes("test", cases[i].a, cases[i].b), cases[i].out,
                            "broadcast_shapes(%s, %s)", shape_str(cases[i].a, a, sizeof a),
                            shape_str(cases[i].b, b, sizeof b));
    }
}
END_TEST

START_TEST(test_broadcast_edge_errors) {
    /* the dim is counted in the result, after aligning on the right */
    CT_EXPECT_ERROR("op: The size of tensor a (3) must match the size of tensor b (4) at "
                    "non-singleton dimension 2",
                    broadcast_shapes("op", SHAPE(2, 3), SHAPE(5, 1, 4)));
    CT_EXPECT_ERROR("op: The size of tensor a (0) must match the size of tensor b (2) at "
                    "non-singleton dimension 0",
                    broadcast_shapes("op", SHAPE(0), SHAPE(2)));
    CT_EXPECT_ERROR("torch_mul: The size of tensor a (2) must match the size of tensor b (3) at "
                    "non-singleton dimension 0",
                    torch_mul(torch_ones(SHAPE(2, 1)), torch_ones(SHAPE(3, 5))));
}
END_TEST

START_TEST(test_broadcast_scalar_values) {
    float v[] = {1, 2, 3, 4, 5, 6};
    Tensor *x = torch_tensor(SHAPE(2, 3), v);
    Tensor *sum = torch_add(torch_scalar(0.5f), x);
    float want[] = {1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f};
    CT_ASSERT_BITS_EQ(sum, torch_tensor(SHAPE(2, 3), want));
    Tensor *col = torch_tensor(SHAPE(2, 1), (float[]){10, 20});
    float want2[] = {11, 12, 13, 24, 25, 26};
    CT_ASSERT_BITS_EQ(torch_add(x, col), torch_tensor(SHAPE(2, 3), want2));
}
END_TEST

/* ---- 1.4 ---------------------------------------------------------------------------------- */

START_TEST(test_mm_strided) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *at = fixture_tensor(fx, "ex1_4_at"), *b = fixture_tensor(fx, "ex1_4_b");
    Tensor *out = torch_full(SHAPE(6, 2), NAN);
    mm_reference(torch_t(at), b, out); /* a transposed view: strides (1, 6) */
    CT_ASSERT_BITS_EQ(out, fixture_tensor(fx, "ex1_4_atb"));
    Tensor *x = fixture_tensor(fx, "ex1_4_x");
    Tensor *xxt = torch_full(SHAPE(7, 7), NAN);
    mm_reference(x, torch_t(x), xxt);
    CT_ASSERT_BITS_EQ(xxt, fixture_tensor(fx, "ex1_4_xxt"));
    fixtures_free(fx);
}
END_TEST

START_TEST(test_mm_empty) {
    /* k = 0: every element is the empty sum, 0 */
    Tensor *out = torch_full(SHAPE(3, 2), NAN);
    mm_reference(torch_zeros(SHAPE(3, 0)), torch_zeros(SHAPE(0, 2)), out);
    CT_ASSERT_BITS_EQ(out, torch_zeros(SHAPE(3, 2)));
    /* nothing to write, nothing read out of bounds */
    Tensor *none = torch_zeros(SHAPE(0, 2));
    mm_reference(torch_ones(SHAPE(0, 3)), torch_ones(SHAPE(3, 2)), none);
    ck_assert_int_eq(torch_numel(none), 0);
}
END_TEST

START_TEST(test_mm_stride0_rows) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *b = fixture_tensor(fx, "ex1_4_b");                  /* (4, 2) */
    Tensor *row = torch_narrow(fixture_tensor(fx, "ex1_4_at"), 1, 0, 4); /* (4, 4) */
    row = torch_narrow(row, 0, 1, 1);                             /* (1, 4), a view */
    Tensor *once = torch_full(SHAPE(1, 2), NAN), *thrice = torch_full(SHAPE(3, 2), NAN);
    mm_reference(torch_clone(row), b, once);
    mm_reference(torch_expand(row, SHAPE(3, 4)), b, thrice); /* row stride 0 */
    for (int i = 0; i < 3; i++) CT_ASSERT_BITS_EQ(torch_narrow(thrice, 0, i, 1), once);
    fixtures_free(fx);
}
END_TEST

/* ---- 1.5 ---------------------------------------------------------------------------------- */

START_TEST(test_sum_dims) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *x = fixture_tensor(fx, "ex1_5_x"); /* (2, 3, 4) */
    CT_ASSERT_BITS_EQ(torch_sum_dim(x, 1, false), fixture_tensor(fx, "ex1_5_sum_dim1"));
    CT_ASSERT_BITS_EQ(torch_mean_dim(x, -1, false), fixture_tensor(fx, "ex1_5_mean_dim_neg1"));
    Tensor *y = fixture_tensor(fx, "ex1_5_y"); /* (5, 3); its transpose is a strided view */
    CT_ASSERT_BITS_EQ(torch_sum_dim(torch_t(y), 1, false), fixture_tensor(fx, "ex1_5_yt_sum_dim1"));
    graded_check_sum_lanes(x, 1, false, fixture_tensor(fx, "ex1_5_sum_dim1"));
    graded_check_sum_lanes(x, 2, true, fixture_tensor(fx, "ex1_5_mean_dim_neg1"));
    graded_check_sum_lanes(torch_contiguous(torch_t(y)), 1, false,
                           fixture_tensor(fx, "ex1_5_yt_sum_dim1"));
    fixtures_free(fx);
}
END_TEST

/* In float, 1e8 + 1 is 1e8 again; the double accumulator keeps both ones. */
START_TEST(test_sum_in_double) {
    float v[] = {1e8f, 1.0f, -1e8f, 1.0f};
    Tensor *x = torch_tensor(SHAPE(4), v);
    CT_ASSERT_BITS_EQ(torch_sum(x), torch_scalar(2.0f));
    CT_ASSERT_BITS_EQ(torch_sum_dim(torch_view(x, SHAPE(2, 2)), 0, false),
                      torch_tensor(SHAPE(2), (float[]){0.0f, 2.0f}));
    CT_ASSERT_BITS_EQ(torch_mean(x), torch_scalar(0.5f));
    graded_check_sum_lanes(x, -1, false, torch_scalar(2.0f));
    graded_check_sum_lanes(torch_view(x, SHAPE(2, 2)), 0, false,
                           torch_tensor(SHAPE(2), (float[]){0.0f, 2.0f}));
}
END_TEST

START_TEST(test_sum_empty) {
    CT_ASSERT_BITS_EQ(torch_sum_dim(torch_ones(SHAPE(3, 0)), 1, false), torch_zeros(SHAPE(3)));
    CT_ASSERT_BITS_EQ(torch_sum(torch_ones(SHAPE(0))), torch_scalar(0.0f));
    Tensor *mean = torch_mean_dim(torch_ones(SHAPE(2, 0)), 1, true); /* 0 / 0 */
    ck_assert(shape_equal(mean->shape, SHAPE(2, 1)));
    float m[2];
    torch_to_array(mean, m);
    ck_assert(isnan(m[0]) && isnan(m[1]));
    graded_check_sum_lanes(torch_ones(SHAPE(3, 0)), 1, false, torch_zeros(SHAPE(3)));
    float lanes[2] = {0.0f, 0.0f}; /* sum_lanes itself: 0 / 0, a NaN of either sign */
    sum_reference(tensor_f32(torch_ones(SHAPE(2, 0))), 2, 0, 1, lanes, true);
    ck_assert(isnan(lanes[0]) && isnan(lanes[1]));
}
END_TEST

/* ---- 1.6 ---------------------------------------------------------------------------------- */

START_TEST(test_stage1_other_sizes) {
    const char *csv = "hidden_stage1_seed7.csv";
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "%s --seed 7 --n 20 --d-in 4 --hidden 5 --epochs 50 --every 0 --csv %s",
             STAGE1_TRAIN, csv);
    ck_assert_msg(ct_system(cmd, NULL) == 0, "stage1_tensors/train stopped with an error");
    double loss[50];
    ck_assert_int_eq(ct_read_loss_csv(csv, loss, 50), 50);
    remove(csv);
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    float want[50];
    torch_to_array(fixture_tensor(fx, "ex1_6_seed7_loss"), want);
    for (int t = 0; t < 50; t++)
        ck_assert_msg(fabs(loss[t] - want[t]) <= 1e-5 * fabs(want[t]),
                      "epoch %d: loss %.9g, PyTorch's %.9g", t + 1, loss[t], want[t]);
    fixtures_free(fx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("hidden_stage1");
    TCase *tc = graded_tcase("ex1_1");
    tcase_add_test(tc, test_transpose_more_views);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex1_2");
    tcase_add_test(tc, test_select_narrow_more_views);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex1_3");
    tcase_add_test(tc, test_broadcast_edge_shapes);
    tcase_add_test(tc, test_broadcast_edge_errors);
    tcase_add_test(tc, test_broadcast_scalar_values);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex1_4");
    tcase_add_test(tc, test_mm_strided);
    tcase_add_test(tc, test_mm_empty);
    tcase_add_test(tc, test_mm_stride0_rows);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex1_5");
    tcase_add_test(tc, test_sum_dims);
    tcase_add_test(tc, test_sum_in_double);
    tcase_add_test(tc, test_sum_empty);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex1_6");
    tcase_add_test(tc, test_stage1_other_sizes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

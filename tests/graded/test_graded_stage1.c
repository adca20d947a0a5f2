/*
 * test_graded_stage1.c: the tests you can run for chapter 1's exercises (docs/exercises.md).
 *
 *   ex1_1  transpose and t: torch's shapes, strides and offsets, values read through the view
 *   ex1_2  select and narrow: the same, on a tensor and on views of it; writes through them
 *   ex1_3  broadcast_shapes: result shapes, torch_add's values, the error message
 *   ex1_4  mm_reference: the definition's bits; a narrow product through torch_mm
 *   ex1_5  sum_lanes: itself, and torch_sum, torch_sum_dim and torch_mean, bit for bit
 *   ex1_6  the hand-written gradients: chapter 1's program follows PyTorch's losses
 *
 * Golden values: tests/fixtures/grading.txt and train.txt, from PyTorch.
 */
#include "graded.h"
#include "linalg_kernels.h"

#ifndef STAGE1_TRAIN
#error "STAGE1_TRAIN must be defined by the build"
#endif

/* ---- 1.1 transpose as new strides over the same storage ----------------------------------- */

START_TEST(test_transpose_views) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *x = fixture_tensor(fx, "ex1_1_x"); /* (2, 3, 4), strides (12, 4, 1) */
    graded_check_view(torch_transpose(x, 0, 2), x, fx, "ex1_1_x_t02", "x.transpose(0, 2)");
    graded_check_view(torch_transpose(x, -1, 1), x, fx, "ex1_1_x_tm11", "x.transpose(-1, 1)");
    graded_check_view(torch_transpose(torch_transpose(x, 0, 2), 0, 1), x, fx, "ex1_1_x_t02_t01",
                      "x.transpose(0, 2).transpose(0, 1)");
    Tensor *m = fixture_tensor(fx, "ex1_1_m"); /* (3, 5) */
    graded_check_view(torch_t(m), m, fx, "ex1_1_m_t", "m.t()");
    fixtures_free(fx);
}
END_TEST

/* ---- 1.2 select and narrow as new strides ------------------------------------------------- */

START_TEST(test_select_views) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *x = fixture_tensor(fx, "ex1_2_x"); /* (4, 5, 3) */
    graded_check_view(torch_select(x, 1, 2), x, fx, "ex1_2_select_1_2", "x.select(1, 2)");
    graded_check_view(torch_select(x, 0, -1), x, fx, "ex1_2_select_0_m1", "x.select(0, -1)");
    graded_check_view(torch_select(x, 2, 0), x, fx, "ex1_2_select_2_0", "x.select(2, 0)");
    fixtures_free(fx);
}
END_TEST

START_TEST(test_narrow_views) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *x = fixture_tensor(fx, "ex1_2_x");
    graded_check_view(torch_narrow(x, 1, 1, 3), x, fx, "ex1_2_narrow_1_1_3", "x.narrow(1, 1, 3)");
    graded_check_view(torch_narrow(x, 2, 2, 1), x, fx, "ex1_2_narrow_2_2_1", "x.narrow(2, 2, 1)");
    /* views of views: the offset and strides they start from are not 0 and (15, 3, 1) */
    graded_check_view(torch_select(torch_narrow(x, 0, 1, 2), 2, 1), x, fx, "ex1_2_narrow_select",
                      "x.narrow(0, 1, 2).select(2, 1)");
    graded_check_view(torch_narrow(torch_transpose(x, 0, 1), 1, 2, 2), x, fx, "ex1_2_t_narrow",
                      "x.transpose(0, 1).narrow(1, 2, 2)");
    fixtures_free(fx);
}
END_TEST

/* R's x[, 1, drop = FALSE] as chapter 1 writes it: a write through it lands in column 0. */
START_TEST(test_narrow_writes_through) {
    Tensor *x = torch_zeros(SHAPE(3, 2));
    torch_fill_(torch_narrow(x, 1, 0, 1), 5);
    float want[] = {5, 0, 5, 0, 5, 0};
    CT_ASSERT_BITS_EQ(x, torch_tensor(SHAPE(3, 2), want));
}
END_TEST

/* ---- 1.3 broadcasting two shapes --------------------------------------------------------- */

START_TEST(test_broadcast_shapes) {
    struct {
        Shape a, b, out;
    } cases[] = {
        {SHAPE(3, 1), SHAPE(1, 4), SHAPE(3, 4)},       /* both stretch */
        {SHAPE(100, 32), SHAPE(1, 32), SHAPE(100, 32)}, /* the chapter's bias */
        {SHAPE(1, 32), SHAPE(100, 32), SHAPE(100, 32)},
        {SHAPE(5), SHAPE(2, 1, 5), SHAPE(2, 1, 5)},    /* fewer dims: aligned on the right */
        {SHAPE(2, 1, 5), SHAPE(3, 1), SHAPE(2, 3, 5)},
        {SHAPE(4, 3), SHAPE(4, 3), SHAPE(4, 3)},       /* nothing to do */
        {SHAPE_SCALAR, SHAPE(2, 3), SHAPE(2, 3)},      /* a 0-dim tensor goes with anything */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char a[64], b[64];
        Shape got = broadcast_shapes("test", cases[i].a, cases[i].b);
        GRADED_ASSERT_SHAPE(got, cases[i].out, "broadcast_shapes(%s, %s)",
                            shape_str(cases[i].a, a, sizeof a), shape_str(cases[i].b, b, sizeof b));
    }
}
END_TEST

START_TEST(test_broadcast_add_values) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *a = fixture_tensor(fx, "ex1_3_a"), *b = fixture_tensor(fx, "ex1_3_b");
    CT_ASSERT_BITS_EQ(torch_add(a, b), fixture_tensor(fx, "ex1_3_sum"));
    fixtures_free(fx);
}
END_TEST

START_TEST(test_broadcast_error) {
    CT_EXPECT_ERROR("torch_add: The size of tensor a (3) must match the size of tensor b (4) at "
                    "non-singleton dimension 1",
                    torch_add(torch_zeros(SHAPE(2, 3)), torch_zeros(SHAPE(4))));
    CT_EXPECT_ERROR("my_op: The size of tensor a (100) must match the size of tensor b (32) at "
                    "non-singleton dimension 0",
                    broadcast_shapes("my_op", SHAPE(100, 1), SHAPE(32, 1)));
}
END_TEST

/* ---- 1.4 the matrix product, by definition ------------------------------------------------ */

START_TEST(test_mm_reference_bits) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *a = fixture_tensor(fx, "ex1_4_a"), *b = fixture_tensor(fx, "ex1_4_b");
    Tensor *out = torch_full(SHAPE(5, 3), NAN); /* every element must be written */
    mm_reference(a, b, out);
    CT_ASSERT_BITS_EQ(out, fixture_tensor(fx, "ex1_4_ab"));
    /* and PyTorch's, which sums in another order, to rounding */
    CT_ASSERT_CLOSE(out, fixture_tensor(fx, "ex1_4_torch_ab"), 1e-5, 1e-6);
    fixtures_free(fx);
}
END_TEST

/* A narrow product, as the chapter's h_relu.mm(w2). A student copy builds the reference
 * kernels, so torch_mm multiplies with mm_reference (common/backend.h). */
START_TEST(test_torch_mm_narrow) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *x = fixture_tensor(fx, "ex1_4_x"), *w = fixture_tensor(fx, "ex1_4_w");
    CT_ASSERT_BITS_EQ(torch_mm(x, w), fixture_tensor(fx, "ex1_4_xw"));
    Tensor *out = torch_full(SHAPE(6, 1), NAN);
    mm_reference(x, w, out);
    CT_ASSERT_BITS_EQ(out, fixture_tensor(fx, "ex1_4_xw"));
    fixtures_free(fx);
}
END_TEST

/* ---- 1.5 sums along a dimension ---------------------------------------------------------- */

START_TEST(test_sums) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *x = fixture_tensor(fx, "ex1_5_x"); /* (4, 5, 3) */
    CT_ASSERT_BITS_EQ(torch_sum(x), fixture_tensor(fx, "ex1_5_sum"));
    CT_ASSERT_BITS_EQ(torch_sum_dim(x, 0, false), fixture_tensor(fx, "ex1_5_sum_dim0"));
    CT_ASSERT_BITS_EQ(torch_sum_dim(x, 1, true), fixture_tensor(fx, "ex1_5_sum_dim1_keepdim"));
    CT_ASSERT_BITS_EQ(torch_sum_dim(x, 2, false), fixture_tensor(fx, "ex1_5_sum_dim2"));
    /* every dim again, counted from the end, and keepdim on the first */
    CT_ASSERT_BITS_EQ(torch_sum_dim(x, -1, false), fixture_tensor(fx, "ex1_5_sum_dim2"));
    CT_ASSERT_BITS_EQ(torch_sum_dim(x, -2, true), fixture_tensor(fx, "ex1_5_sum_dim1_keepdim"));
    CT_ASSERT_BITS_EQ(torch_sum_dim(x, -3, true),
                      torch_view(fixture_tensor(fx, "ex1_5_sum_dim0"), SHAPE(1, 5, 3)));
    CT_ASSERT_CLOSE(torch_sum_dim(x, 0, false), fixture_tensor(fx, "ex1_5_torch_sum_dim0"), 1e-6,
                    1e-6);
    graded_check_sum_lanes(x, -1, false, fixture_tensor(fx, "ex1_5_sum"));
    graded_check_sum_lanes(x, 0, false, fixture_tensor(fx, "ex1_5_sum_dim0"));
    graded_check_sum_lanes(x, 1, false, fixture_tensor(fx, "ex1_5_sum_dim1_keepdim"));
    graded_check_sum_lanes(x, 2, false, fixture_tensor(fx, "ex1_5_sum_dim2"));
    fixtures_free(fx);
}
END_TEST

START_TEST(test_means) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *x = fixture_tensor(fx, "ex1_5_x");
    CT_ASSERT_BITS_EQ(torch_mean(x), fixture_tensor(fx, "ex1_5_mean"));
    CT_ASSERT_BITS_EQ(torch_mean_dim(x, 1, false), fixture_tensor(fx, "ex1_5_mean_dim1"));
    graded_check_sum_lanes(x, -1, true, fixture_tensor(fx, "ex1_5_mean"));
    graded_check_sum_lanes(x, 1, true, fixture_tensor(fx, "ex1_5_mean_dim1"));
    fixtures_free(fx);
}
END_TEST

/* ---- 1.6 the gradients, by hand ---------------------------------------------------------- */

START_TEST(test_stage1_follows_pytorch) {
    const char *csv = "graded_stage1_seed1.csv";
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s --seed 1 --every 0 --csv %s", STAGE1_TRAIN, csv);
    ck_assert_msg(ct_system(cmd, NULL) == 0, "stage1_tensors/train stopped with an error");
    double loss[200];
    ck_assert_int_eq(ct_read_loss_csv(csv, loss, 200), 200);
    remove(csv);
    Fixtures *fx = fixtures_load("train.txt");
    float want[200];
    torch_to_array(fixture_tensor(fx, "stage1_seed1_loss"), want);
    for (int t = 0; t < 200; t++)
        ck_assert_msg(fabs(loss[t] - want[t]) <= 1e-5 * fabs(want[t]),
                      "epoch %d: loss %.9g, PyTorch's %.9g", t + 1, loss[t], want[t]);
    fixtures_free(fx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("graded_stage1");
    TCase *tc = graded_tcase("ex1_1");
    tcase_add_test(tc, test_transpose_views);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex1_2");
    tcase_add_test(tc, test_select_views);
    tcase_add_test(tc, test_narrow_views);
    tcase_add_test(tc, test_narrow_writes_through);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex1_3");
    tcase_add_test(tc, test_broadcast_shapes);
    tcase_add_test(tc, test_broadcast_add_values);
    tcase_add_test(tc, test_broadcast_error);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex1_4");
    tcase_add_test(tc, test_mm_reference_bits);
    tcase_add_test(tc, test_torch_mm_narrow);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex1_5");
    tcase_add_test(tc, test_sums);
    tcase_add_test(tc, test_means);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex1_6");
    tcase_add_test(tc, test_stage1_follows_pytorch);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

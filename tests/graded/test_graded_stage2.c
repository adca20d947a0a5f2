/*
 * test_graded_stage2.c: the tests you can run for chapter 2's exercises (docs/exercises.md).
 *
 *   ex2_5  the backward walk: a graph with shared nodes, gradients that accumulate
 *   ex2_1  mul's backward, against PyTorch
 *   ex2_3  mm's backward, against PyTorch
 *   ex2_2  clamp's backward (clamp(min = 0)), zeros and a NaN included
 *   ex2_4  a broadcast gradient summed back to its operand's shape
 *
 * Golden values: tests/fixtures/grading.txt, from PyTorch.
 */
#include "autograd.h"
#include "graded.h"

static Tensor *leaf(Fixtures *fx, const char *name) {
    return torch_requires_grad_(fixture_tensor(fx, name), true);
}

/* ---- 2.5 the backward walk --------------------------------------------------------------- */

/* a = exp(x) feeds two paths: c = a * 3 + a, loss = sum(c^2) + sum(a). */
START_TEST(test_shared_nodes) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *x = leaf(fx, "ex2_5_x");
    Tensor *a = torch_exp(x);
    Tensor *c = torch_add(torch_mul_scalar(a, 3), a);
    Tensor *loss = torch_add(torch_sum(torch_pow(c, 2)), torch_sum(a));
    torch_backward(loss);
    ck_assert_msg(torch_grad(x) != NULL, "x has no gradient after backward");
    CT_ASSERT_CLOSE(torch_grad(x), fixture_tensor(fx, "ex2_5_grad"), 1e-5, 1e-6);
    fixtures_free(fx);
}
END_TEST

/* Each backward adds to x's grad: twice the same loss, twice the gradient. */
START_TEST(test_gradients_accumulate) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *x = leaf(fx, "ex2_5_acc_x");
    torch_backward(torch_sum(torch_mul_scalar(x, 2)));
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_full(SHAPE(3), 2));
    torch_backward(torch_sum(torch_mul_scalar(x, 2)));
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_full(SHAPE(3), 4));
    fixtures_free(fx);
}
END_TEST

/* x used twice in one graph: both paths add up in x's grad. */
START_TEST(test_input_used_twice) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *x = leaf(fx, "ex2_5_acc_x");
    torch_backward(torch_sum(torch_add(x, torch_mul_scalar(x, 5))));
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_full(SHAPE(3), 6));
    fixtures_free(fx);
}
END_TEST

/* Only leaves that require grad get one. */
START_TEST(test_only_requires_grad) {
    Tensor *a = torch_requires_grad_(torch_ones(SHAPE(2, 2)), true);
    Tensor *b = torch_ones(SHAPE(2, 2));
    torch_backward(torch_sum(torch_add(torch_exp(a), b)));
    ck_assert_msg(torch_grad(b) == NULL, "b does not require grad but got a gradient");
    CT_ASSERT_CLOSE(torch_grad(a), torch_exp(torch_ones(SHAPE(2, 2))), 0, 0);
}
END_TEST

/* ---- 2.1 .. 2.4: one op's backward, with a given gradient r of its output ---------------- */

START_TEST(test_mul_backward) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *a = leaf(fx, "ex2_1_a"), *b = leaf(fx, "ex2_1_b");
    torch_backward_with(torch_mul(a, b), fixture_tensor(fx, "ex2_1_r"), false);
    CT_ASSERT_BITS_EQ(torch_grad(a), fixture_tensor(fx, "ex2_1_grad_a"));
    CT_ASSERT_BITS_EQ(torch_grad(b), fixture_tensor(fx, "ex2_1_grad_b"));
    fixtures_free(fx);
}
END_TEST

START_TEST(test_mm_backward) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *a = leaf(fx, "ex2_3_a"), *b = leaf(fx, "ex2_3_b"); /* (5, 3), (3, 4) */
    torch_backward_with(torch_mm(a, b), fixture_tensor(fx, "ex2_3_r"), false);
    CT_ASSERT_CLOSE(torch_grad(a), fixture_tensor(fx, "ex2_3_grad_a"), 1e-5, 1e-6);
    CT_ASSERT_CLOSE(torch_grad(b), fixture_tensor(fx, "ex2_3_grad_b"), 1e-5, 1e-6);
    fixtures_free(fx);
}
END_TEST

START_TEST(test_clamp_min_backward) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *x = leaf(fx, "ex2_2_x"); /* negative values, zeros, positive values, a NaN */
    torch_backward_with(torch_clamp_min(x, 0), fixture_tensor(fx, "ex2_2_r"), false);
    CT_ASSERT_BITS_EQ(torch_grad(x), fixture_tensor(fx, "ex2_2_grad"));
    fixtures_free(fx);
}
END_TEST

START_TEST(test_broadcast_backward) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *a = leaf(fx, "ex2_4_a"), *b = leaf(fx, "ex2_4_b"), *c = leaf(fx, "ex2_4_c");
    Tensor *r = fixture_tensor(fx, "ex2_4_r");
    torch_backward_with(torch_add(a, b), r, false); /* (3, 4) + (1, 4) */
    CT_ASSERT_CLOSE(torch_grad(b), fixture_tensor(fx, "ex2_4_grad_b"), 1e-6, 1e-6);
    CT_ASSERT_BITS_EQ(torch_grad(a), r);
    torch_backward_with(torch_add(a, c), r, false); /* (3, 4) + (4) */
    CT_ASSERT_CLOSE(torch_grad(c), fixture_tensor(fx, "ex2_4_grad_c"), 1e-6, 1e-6);
    fixtures_free(fx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("graded_stage2");
    TCase *tc = graded_tcase("ex2_5");
    tcase_add_test(tc, test_shared_nodes);
    tcase_add_test(tc, test_gradients_accumulate);
    tcase_add_test(tc, test_input_used_twice);
    tcase_add_test(tc, test_only_requires_grad);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex2_1");
    tcase_add_test(tc, test_mul_backward);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex2_3");
    tcase_add_test(tc, test_mm_backward);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex2_2");
    tcase_add_test(tc, test_clamp_min_backward);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex2_4");
    tcase_add_test(tc, test_broadcast_backward);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

/*
 * test_graded_stage2.c: the tests you can run for chapter 2's exercises (docs/exercises.md).
 *
 *   ex2_1  mul's backward, against PyTorch, with an incoming gradient r
 *   ex2_2  clamp's backward, min only and both bounds: on and past each bound, zeros, a NaN
 *   ex2_3  mm's backward, against PyTorch, with an incoming gradient r
 *   ex2_4  a broadcast gradient summed back to its operand's shape
 *   ex2_5  the backward walk: shared nodes run once (a graph of 2^40 paths), a gradient two
 *          tensors receive is not changed in place, gradients that accumulate
 *   ex2_6  backward with a given gradient: a non-scalar root, a leaf root, the shape error
 *   ex2_7  torch_sigmoid, a custom function: values, its node, its gradient, gradcheck
 *   ex2_8  chapter 2's program follows PyTorch's losses
 *
 * 2.1 .. 2.4 run one node's backward alone (graded_node_backward): they need no walk.
 * Golden values: tests/fixtures/grading.txt and train.txt, from PyTorch.
 */
#include "graph.h"
#include "graded.h"
#include "ct_functions.h"

#ifndef STAGE2_TRAIN
#error "STAGE2_TRAIN must be defined by the build"
#endif

static Tensor *leaf(Fixtures *fx, const char *name) {
    return torch_requires_grad_(fixture_tensor(fx, name), true);
}

/* ---- 2.1 .. 2.4: one op's backward, with a given gradient r of its output ---------------- */

START_TEST(test_mul_backward) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *a = leaf(fx, "ex2_1_a"), *b = leaf(fx, "ex2_1_b"), *grads[3];
    graded_node_backward(torch_mul(a, b), fixture_tensor(fx, "ex2_1_r"), grads);
    ck_assert_msg(grads[0] && grads[1], "mul's backward left a gradient NULL");
    GRADED_ASSERT_CLOSE(grads[0], fixture_tensor(fx, "ex2_1_grad_a"));
    GRADED_ASSERT_CLOSE(grads[1], fixture_tensor(fx, "ex2_1_grad_b"));
    fixtures_free(fx);
}
END_TEST

/* clamp(min = 0), chapter 1's ReLU: g passes where x >= 0 (at 0 too), not at x < 0 or NaN */
START_TEST(test_clamp_min_backward) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *x = leaf(fx, "ex2_2_x"), *grads[3];
    graded_node_backward(torch_clamp_min(x, 0), fixture_tensor(fx, "ex2_2_r"), grads);
    CT_ASSERT_BITS_EQ(grads[0], fixture_tensor(fx, "ex2_2_grad"));
    fixtures_free(fx);
}
END_TEST

/* clamp(-1, 1): g passes where -1 <= x <= 1, on the bounds too; not past them, not at NaN */
START_TEST(test_clamp_both_backward) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *x = leaf(fx, "ex2_2_x2"), *grads[3];
    graded_node_backward(torch_clamp(x, -1, 1), fixture_tensor(fx, "ex2_2_r2"), grads);
    CT_ASSERT_BITS_EQ(grads[0], fixture_tensor(fx, "ex2_2_grad_both"));
    fixtures_free(fx);
}
END_TEST

START_TEST(test_mm_backward) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *a = leaf(fx, "ex2_3_a"), *b = leaf(fx, "ex2_3_b"), *grads[3]; /* (5, 3), (3, 4) */
    graded_node_backward(torch_mm(a, b), fixture_tensor(fx, "ex2_3_r"), grads);
    ck_assert_msg(grads[0] && grads[1], "mm's backward left a gradient NULL");
    GRADED_ASSERT_CLOSE(grads[0], fixture_tensor(fx, "ex2_3_grad_a"));
    GRADED_ASSERT_CLOSE(grads[1], fixture_tensor(fx, "ex2_3_grad_b"));
    fixtures_free(fx);
}
END_TEST

START_TEST(test_broadcast_backward) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *a = leaf(fx, "ex2_4_a"), *b = leaf(fx, "ex2_4_b"), *c = leaf(fx, "ex2_4_c");
    Tensor *r = fixture_tensor(fx, "ex2_4_r"), *grads[3];
    graded_node_backward(torch_add(a, b), r, grads); /* (3, 4) + (1, 4) */
    CT_ASSERT_BITS_EQ(grads[0], r);
    GRADED_ASSERT_CLOSE(grads[1], fixture_tensor(fx, "ex2_4_grad_b"));
    graded_node_backward(torch_add(a, c), r, grads); /* (3, 4) + (4) */
    GRADED_ASSERT_CLOSE(grads[1], fixture_tensor(fx, "ex2_4_grad_c"));
    fixtures_free(fx);
}
END_TEST

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
    GRADED_ASSERT_CLOSE(torch_grad(x), fixture_tensor(fx, "ex2_5_grad"));
    fixtures_free(fx);
}
END_TEST


/* f = ident(x) has two consumers; its backward must run once, with both paths' sum. */
START_TEST(test_node_runs_once) {
    float v[] = {0.5f, -1, 2};
    Tensor *x = torch_requires_grad_(torch_tensor(SHAPE(3), v), true);
    Tensor *f = autograd_function_apply(&counting, (Tensor *[]){x}, 1, NULL);
    Tensor *loss = torch_sum(torch_add(torch_exp(f), torch_neg(torch_mul_scalar(f, 2))));
    backward_calls = 0;
    torch_backward(loss);
    ck_assert_msg(backward_calls == 1, "the shared node's backward ran %d times, expected once",
                  backward_calls);
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_sub(torch_exp(torch_tensor(SHAPE(3), v)),
                                               torch_full(SHAPE(3), 2)));
}
END_TEST

/* a = a + a, 40 times: 2^40 paths from the loss to x through 41 nodes. A walk that follows
 * every path never ends (the test's time limit stops it); one that visits each node once
 * takes microseconds. */
START_TEST(test_ladder_of_shared_nodes) {
    Tensor *x = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    Tensor *a = x;
    for (int i = 0; i < 40; i++) a = torch_add(a, a);
    torch_backward(torch_sum(a));
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_full(SHAPE(2), ldexpf(1.0f, 40)));
}
END_TEST

/* s = u + v hands u and v the same gradient tensor; u and v each have another consumer too.
 * Adding that one into the shared tensor in place would change the other's gradient. The
 * loss's order makes the walk reach s first. */
START_TEST(test_shared_gradient_not_changed_in_place) {
    float rv[] = {0.5f, -1.25f, 3};
    Tensor *x = torch_requires_grad_(torch_tensor(SHAPE(3), (float[]){1, 2, 3}), true);
    Tensor *r = torch_tensor(SHAPE(3), rv);
    Tensor *u = torch_mul_scalar(x, 2), *v = torch_mul_scalar(x, 3);
    Tensor *loss = torch_add(torch_add(torch_sum(torch_mul_scalar(u, 5)),
                                       torch_sum(torch_mul_scalar(v, 7))),
                             torch_sum(torch_mul(torch_add(u, v), r)));
    torch_backward(loss);
    /* d loss / dx = 2 (5 + r) + 3 (7 + r) */
    Tensor *want = torch_add(torch_mul_scalar(torch_add_scalar(r, 5), 2),
                             torch_mul_scalar(torch_add_scalar(r, 7), 3));
    CT_ASSERT_BITS_EQ(torch_grad(x), want);
}
END_TEST

/* The same for two leaves: x + y sends both the same tensor; each grad must be a copy of its
 * own, or adding x's second gradient in place changes y's grad too (the walk reaches x + y
 * first). */
START_TEST(test_leaf_grads_are_their_own) {
    float rv[] = {0.5f, -1.25f, 3};
    Tensor *x = torch_requires_grad_(torch_zeros(SHAPE(3)), true);
    Tensor *y = torch_requires_grad_(torch_zeros(SHAPE(3)), true);
    Tensor *r = torch_tensor(SHAPE(3), rv);
    torch_backward(torch_add(torch_sum(torch_mul_scalar(x, 2)),
                             torch_sum(torch_mul(torch_add(x, y), r))));
    CT_ASSERT_BITS_EQ(torch_grad(y), r);
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_add_scalar(r, 2));
    ck_assert_msg(torch_grad(x) != torch_grad(y), "x and y share one grad tensor");
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

/* Only leaves that require grad get one. */
START_TEST(test_only_requires_grad) {
    Tensor *a = torch_requires_grad_(torch_ones(SHAPE(2, 2)), true);
    Tensor *b = torch_ones(SHAPE(2, 2));
    torch_backward(torch_sum(torch_add(torch_exp(a), b)));
    ck_assert_msg(torch_grad(b) == NULL, "b does not require grad but got a gradient");
    CT_ASSERT_BITS_EQ(torch_grad(a), torch_exp(torch_ones(SHAPE(2, 2))));
}
END_TEST

/* ---- 2.6 backward with a given gradient -------------------------------------------------- */

/* out = a.mm(b) * c is (3, 2): out.backward(v) gives a and b the gradients of sum(v * out) */
START_TEST(test_backward_with_gradient) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *a = leaf(fx, "ex2_6_a"), *b = leaf(fx, "ex2_6_b");
    Tensor *out = torch_mul(torch_mm(a, b), fixture_tensor(fx, "ex2_6_c"));
    torch_backward_with(out, fixture_tensor(fx, "ex2_6_v"), false);
    GRADED_ASSERT_CLOSE(torch_grad(a), fixture_tensor(fx, "ex2_6_grad_a"));
    GRADED_ASSERT_CLOSE(torch_grad(b), fixture_tensor(fx, "ex2_6_grad_b"));
    fixtures_free(fx);
}
END_TEST

/* A one-element root with a gradient other than 1, and a leaf as the root. */
START_TEST(test_backward_with_scalar_and_leaf) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *a = leaf(fx, "ex2_6_a");
    torch_backward_with(torch_sum(torch_mul(a, a)), torch_scalar(2.5f), false);
    GRADED_ASSERT_CLOSE(torch_grad(a), fixture_tensor(fx, "ex2_6_grad_sum"));
    Tensor *w = torch_requires_grad_(torch_zeros(SHAPE(3, 2)), true);
    Tensor *v = fixture_tensor(fx, "ex2_6_v");
    torch_backward_with(w, v, false); /* w's gradient is v itself, kept as w's own copy */
    CT_ASSERT_BITS_EQ(torch_grad(w), v);
    ck_assert_msg(torch_grad(w) != v, "w's grad is the given tensor itself, not a copy");
    /* a gradient of another dtype is taken as float32, as libtorch casts it */
    Tensor *z = torch_requires_grad_(torch_zeros(SHAPE(2)), true);
    Tensor *gi = torch_to_dtype(torch_tensor(SHAPE(2), (float[]){1, -2}), TORCH_INT64);
    torch_backward_with(torch_mul_scalar(z, 3), gi, false);
    CT_ASSERT_BITS_EQ(torch_grad(z), torch_tensor(SHAPE(2), (float[]){3, -6}));
    fixtures_free(fx);
}
END_TEST

START_TEST(test_backward_with_wrong_shape) {
    Tensor *x = torch_requires_grad_(torch_ones(SHAPE(2, 3)), true);
    CT_EXPECT_ERROR("torch_backward: Mismatch in shape: grad_output[0] has a shape of [3, 2] and "
                    "output[0] has a shape of [2, 3].",
                    torch_backward_with(torch_mul_scalar(x, 2), torch_ones(SHAPE(3, 2)), false));
    ck_assert_msg(torch_grad(x) == NULL, "the failed backward wrote a gradient");
}
END_TEST

/* ---- 2.7 a custom autograd function: torch_sigmoid ---------------------------------------- */

START_TEST(test_sigmoid_values) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *x = leaf(fx, "ex2_7_x");
    Tensor *y = torch_sigmoid(x);
    GRADED_ASSERT_CLOSE(y, fixture_tensor(fx, "ex2_7_y"));
    ck_assert_str_eq(grad_fn_name(torch_grad_fn(y)), "SigmoidBackward0");
    torch_backward_with(y, fixture_tensor(fx, "ex2_7_r"), false);
    GRADED_ASSERT_CLOSE(torch_grad(x), fixture_tensor(fx, "ex2_7_grad"));
    fixtures_free(fx);
}
END_TEST

static Tensor *sigmoid_fn(Tensor **in, int n, void *ctx) {
    (void)n;
    (void)ctx;
    return torch_sigmoid(in[0]);
}

/* Finite differences agree with the backward (torch_gradcheck, stage2_autograd/gradcheck.c). */
START_TEST(test_sigmoid_gradcheck) {
    torch_manual_seed(7);
    Tensor *x = torch_requires_grad_(torch_mul_scalar(torch_randn(SHAPE(4, 3)), 2), true);
    char report[512] = "";
    ck_assert_msg(torch_gradcheck(sigmoid_fn, &x, 1, NULL, 1e-2, 1e-3, 1e-2, report, sizeof report),
                  "finite differences disagree: %s", report);
}
END_TEST

/* ---- 2.8 the training loop of stage 2 ---------------------------------------------------- */

START_TEST(test_stage2_follows_pytorch) {
    const char *csv = "graded_stage2_seed1.csv";
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s --seed 1 --every 0 --csv %s", STAGE2_TRAIN, csv);
    ck_assert_msg(ct_system(cmd, NULL) == 0, "stage2_autograd/train stopped with an error");
    double loss[200];
    ck_assert_int_eq(ct_read_loss_csv(csv, loss, 200), 200);
    remove(csv);
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    float want[200];
    torch_to_array(fixture_tensor(fx, "ex2_8_seed1_loss"), want);
    for (int t = 0; t < 200; t++)
        ck_assert_msg(fabs(loss[t] - want[t]) <= 1e-5 * fabs(want[t]),
                      "epoch %d: loss %.9g, PyTorch's %.9g (within 1e-5, relative)", t + 1,
                      loss[t], want[t]);
    fixtures_free(fx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("graded_stage2");
    TCase *tc = graded_tcase("ex2_1");
    tcase_add_test(tc, test_mul_backward);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex2_2");
    tcase_add_test(tc, test_clamp_min_backward);
    tcase_add_test(tc, test_clamp_both_backward);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex2_3");
    tcase_add_test(tc, test_mm_backward);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex2_4");
    tcase_add_test(tc, test_broadcast_backward);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex2_5");
    tcase_add_test(tc, test_shared_nodes);
    tcase_add_test(tc, test_node_runs_once);
    tcase_add_test(tc, test_ladder_of_shared_nodes);
    tcase_add_test(tc, test_shared_gradient_not_changed_in_place);
    tcase_add_test(tc, test_leaf_grads_are_their_own);
    tcase_add_test(tc, test_gradients_accumulate);
    tcase_add_test(tc, test_only_requires_grad);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex2_6");
    tcase_add_test(tc, test_backward_with_gradient);
    tcase_add_test(tc, test_backward_with_scalar_and_leaf);
    tcase_add_test(tc, test_backward_with_wrong_shape);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex2_7");
    tcase_add_test(tc, test_sigmoid_values);
    tcase_add_test(tc, test_sigmoid_gradcheck);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex2_8");
    tcase_add_test(tc, test_stage2_follows_pytorch);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

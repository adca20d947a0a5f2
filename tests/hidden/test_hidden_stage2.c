/*
 * test_hidden_stage2.c: the hidden tests of chapter 2's exercises (instructors only).
 *
 *   ex2_5  each node runs once, after every consumer (a counting custom function); a ladder
 *          of 40 shared additions (2^40 paths: only a walk that visits each node once ends);
 *          a leaf's grad outlives the scope of its backward
 *   ex2_1  a * a, one operand without grad, finite differences
 *   ex2_3  a transposed operand, x.mm(t(x)), finite differences
 *   ex2_2  clamp with both bounds, values on and past each bound, a NaN
 *   ex2_4  both operands stretched, a 0-dim operand, an added leading dim
 *
 * Golden values: tests/hidden/hidden.txt (tools/gen_grading_fixtures.py).
 */
#include "autograd.h"
#include "graded.h"

#define HIDDEN_FIXTURES "../hidden/hidden.txt"

static Tensor *leaf(Fixtures *fx, const char *name) {
    return torch_requires_grad_(fixture_tensor(fx, name), true);
}

/* ---- 2.5 ----------------------------------------------------------------------------------- */

/* The identity, counting how often its backward runs. */
static int backward_calls;
static Tensor *ident_forward(AutogradContext *ctx, Tensor **in, int n) {
    (void)ctx;
    (void)n;
    return torch_clone(in[0]);
}
static void ident_backward(AutogradContext *ctx, Tensor *g, Tensor **grad_inputs) {
    (void)ctx;
    backward_calls++;
    grad_inputs[0] = g;
}
static const AutogradFunction counting = {
    .name = "CountingBackward", .forward = ident_forward, .backward = ident_backward};

/* f = ident(x) has two consumers; its backward must run once, with both paths' sum. */
START_TEST(test_node_runs_once_after_consumers) {
    Tensor *x = torch_requires_grad_(torch_tensor(SHAPE(3), (float[]){0.5f, -1, 2}), true);
    Tensor *f = autograd_function_apply(&counting, (Tensor *[]){x}, 1, NULL);
    Tensor *loss = torch_sum(torch_add(torch_exp(f), torch_neg(torch_mul_scalar(f, 2))));
    backward_calls = 0;
    torch_backward(loss);
    ck_assert_msg(backward_calls == 1, "the shared node's backward ran %d times, expected once",
                  backward_calls);
    Tensor *want = torch_sub(torch_exp(torch_tensor(SHAPE(3), (float[]){0.5f, -1, 2})),
                             torch_full(SHAPE(3), 2));
    CT_ASSERT_BITS_EQ(torch_grad(x), want);
}
END_TEST

/* a = a + a, 40 times: 2^40 paths from the loss to x, 41 nodes. */
START_TEST(test_ladder_of_shared_nodes) {
    Tensor *x = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    Tensor *a = x;
    for (int i = 0; i < 40; i++) a = torch_add(a, a);
    torch_backward(torch_sum(a));
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_full(SHAPE(2), ldexpf(1.0f, 40)));
}
END_TEST

/* The walk's temporaries go with its scope; a leaf's grad must not. */
START_TEST(test_grad_outlives_scope) {
    Tensor *x = torch_keep(torch_requires_grad_(torch_ones(SHAPE(2, 3)), true));
    torch_scope_begin();
    torch_backward(torch_sum(torch_mul_scalar(x, 3)));
    torch_scope_end();
    torch_scope_begin();
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_full(SHAPE(2, 3), 3));
    torch_backward(torch_sum(torch_mul_scalar(x, 3)));
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_full(SHAPE(2, 3), 6));
    torch_scope_end();
    torch_free(x);
}
END_TEST

/* ---- 2.1 ----------------------------------------------------------------------------------- */

START_TEST(test_mul_same_tensor) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *a = leaf(fx, "ex2_1_a");
    torch_backward_with(torch_mul(a, a), fixture_tensor(fx, "ex2_1_r"), false);
    CT_ASSERT_CLOSE(torch_grad(a), fixture_tensor(fx, "ex2_1_grad_a"), 1e-6, 1e-7);
    fixtures_free(fx);
}
END_TEST

START_TEST(test_mul_one_operand) {
    Tensor *a = torch_tensor(SHAPE(3), (float[]){1, 2, 3});
    Tensor *b = torch_requires_grad_(torch_tensor(SHAPE(3), (float[]){4, 5, 6}), true);
    torch_backward_with(torch_mul(a, b), torch_tensor(SHAPE(3), (float[]){1, 10, 100}), false);
    ck_assert(torch_grad(a) == NULL);
    CT_ASSERT_BITS_EQ(torch_grad(b), torch_tensor(SHAPE(3), (float[]){1, 20, 300}));
}
END_TEST

static Tensor *mul_fn(Tensor **in, int n, void *ctx) {
    (void)n;
    (void)ctx;
    return torch_mul(in[0], in[1]);
}

static Tensor *mm_fn(Tensor **in, int n, void *ctx) {
    (void)n;
    (void)ctx;
    return torch_mm(in[0], in[1]);
}

static void gradcheck(GradcheckFn f, Shape sa, Shape sb) {
    torch_manual_seed(11);
    Tensor *in[2] = {torch_requires_grad_(torch_randn(sa), true),
                     torch_requires_grad_(torch_randn(sb), true)};
    char report[512] = "";
    ck_assert_msg(torch_gradcheck(f, in, 2, NULL, 1e-2, 1e-2, 1e-2, report, sizeof report),
                  "finite differences disagree: %s", report);
}

START_TEST(test_mul_gradcheck) { gradcheck(mul_fn, SHAPE(2, 3), SHAPE(2, 3)); }
END_TEST

/* ---- 2.3 ----------------------------------------------------------------------------------- */

START_TEST(test_mm_transposed_operand) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *xt = fixture_tensor(fx, "ex2_3_xt"); /* (3, 5), used as its transpose */
    Tensor *b = leaf(fx, "ex2_3_b");
    torch_backward_with(torch_mm(torch_t(xt), b), fixture_tensor(fx, "ex2_3_r"), false);
    CT_ASSERT_CLOSE(torch_grad(b), fixture_tensor(fx, "ex2_3_grad_b"), 1e-5, 1e-6);
    Tensor *x = leaf(fx, "ex2_3_x"); /* x.mm(t(x)): x reaches mm twice */
    torch_backward_with(torch_mm(x, torch_t(x)), fixture_tensor(fx, "ex2_3_r2"), false);
    CT_ASSERT_CLOSE(torch_grad(x), fixture_tensor(fx, "ex2_3_grad_x"), 1e-5, 1e-6);
    fixtures_free(fx);
}
END_TEST

START_TEST(test_mm_gradcheck) { gradcheck(mm_fn, SHAPE(3, 4), SHAPE(4, 2)); }
END_TEST

/* ---- 2.2 ----------------------------------------------------------------------------------- */

START_TEST(test_clamp_both_bounds) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *x = leaf(fx, "ex2_2_x"), *r = fixture_tensor(fx, "ex2_2_r");
    torch_backward_with(torch_clamp(x, -0.5f, 0.5f), r, false);
    CT_ASSERT_BITS_EQ(torch_grad(x), fixture_tensor(fx, "ex2_2_grad"));
    Tensor *y = leaf(fx, "ex2_2_x");
    torch_backward_with(torch_clamp_min(y, -0.5f), r, false);
    CT_ASSERT_BITS_EQ(torch_grad(y), fixture_tensor(fx, "ex2_2_grad_min"));
    fixtures_free(fx);
}
END_TEST

/* ---- 2.4 ----------------------------------------------------------------------------------- */

START_TEST(test_broadcast_both_stretched) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *a = leaf(fx, "ex2_4_a"), *b = leaf(fx, "ex2_4_b"); /* (3, 1) + (1, 4) */
    torch_backward_with(torch_add(a, b), fixture_tensor(fx, "ex2_4_r"), false);
    CT_ASSERT_CLOSE(torch_grad(a), fixture_tensor(fx, "ex2_4_grad_a"), 1e-6, 1e-6);
    CT_ASSERT_CLOSE(torch_grad(b), fixture_tensor(fx, "ex2_4_grad_b"), 1e-6, 1e-6);
    fixtures_free(fx);
}
END_TEST

START_TEST(test_broadcast_scalar_operand) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *s = leaf(fx, "ex2_4_s"), *m = fixture_tensor(fx, "ex2_4_m"); /* () + (2, 3) */
    torch_backward_with(torch_add(s, m), fixture_tensor(fx, "ex2_4_r2"), false);
    CT_ASSERT_CLOSE(torch_grad(s), fixture_tensor(fx, "ex2_4_grad_s"), 1e-6, 1e-6);
    fixtures_free(fx);
}
END_TEST

START_TEST(test_broadcast_leading_dim) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *u = leaf(fx, "ex2_4_u"), *v = leaf(fx, "ex2_4_v"); /* (2, 1, 4) - (3, 1) */
    torch_backward_with(torch_sub(u, v), fixture_tensor(fx, "ex2_4_r3"), false);
    CT_ASSERT_CLOSE(torch_grad(u), fixture_tensor(fx, "ex2_4_grad_u"), 1e-6, 1e-6);
    CT_ASSERT_CLOSE(torch_grad(v), fixture_tensor(fx, "ex2_4_grad_v"), 1e-6, 1e-6);
    fixtures_free(fx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("hidden_stage2");
    TCase *tc = graded_tcase("ex2_5");
    /* a walk that revisits shared nodes never ends the ladder: graded_tcase's limit stops it */
    tcase_add_test(tc, test_node_runs_once_after_consumers);
    tcase_add_test(tc, test_ladder_of_shared_nodes);
    tcase_add_test(tc, test_grad_outlives_scope);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex2_1");
    tcase_add_test(tc, test_mul_same_tensor);
    tcase_add_test(tc, test_mul_one_operand);
    tcase_add_test(tc, test_mul_gradcheck);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex2_3");
    tcase_add_test(tc, test_mm_transposed_operand);
    tcase_add_test(tc, test_mm_gradcheck);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex2_2");
    tcase_add_test(tc, test_clamp_both_bounds);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex2_4");
    tcase_add_test(tc, test_broadcast_both_stretched);
    tcase_add_test(tc, test_broadcast_scalar_operand);
    tcase_add_test(tc, test_broadcast_leading_dim);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

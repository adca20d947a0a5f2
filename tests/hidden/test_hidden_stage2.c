/*
 * test_hidden_stage2.c: the hidden tests of chapter 2's exercises (instructors only).
 *
 *   ex2_1  a * a, one operand a constant, finite differences
 *   ex2_2  clamp with other bounds, a value one bit past a bound, a NaN
 *   ex2_3  a transposed operand, x.mm(t(x)), finite differences
 *   ex2_4  both operands stretched, a 0-dim operand, an added leading dim
 *   ex2_5  a node with three consumers, counted; a longer ladder of shared multiplications;
 *          a leaf's grad outlives the scope of its backward
 *   ex2_6  a broadcast graph with a given gradient; a 0-dim root given a (1)-shaped gradient
 *   ex2_7  sigmoid far in the tails (no NaN), of a 0-dim input, twice in a row; gradcheck
 *   ex2_8  chapter 2's program with other sizes and seed; the same losses as chapter 1's
 *
 * 2.1 .. 2.4 run one node's backward alone (graded_node_backward), as the visible tests do.
 * Golden values: tests/hidden/hidden.txt (tools/gen_grading_fixtures.py).
 */
#include "graph.h"
#include "graded.h"
#include "ct_functions.h"

#include <stdlib.h>

#ifndef STAGE1_TRAIN
#error "STAGE1_TRAIN and STAGE2_TRAIN must be defined by the build"
#endif

#define HIDDEN_FIXTURES "../hidden/hidden.txt"

static Tensor *leaf(Fixtures *fx, const char *name) {
    return torch_requires_grad_(fixture_tensor(fx, name), true);
}

/* sum(r * f(a, b)) in double, from f's float output, without recording. */
static double weighted_sum(Tensor *(*f)(Tensor *, Tensor *), Tensor *a, Tensor *b, Tensor *r) {
    torch_no_grad_begin();
    Tensor *out = f(a, b);
    torch_no_grad_end();
    int64_t n = torch_numel(out);
    float *o = malloc(sizeof(float) * (size_t)n), *w = malloc(sizeof(float) * (size_t)n);
    torch_to_array(out, o);
    torch_to_array(r, w);
    double acc = 0;
    for (int64_t i = 0; i < n; i++) acc += (double)o[i] * w[i];
    free(o);
    free(w);
    return acc;
}

/* The node of f(a, b) given r, against central finite differences of sum(r * f(a, b)) for
 * every element of a and b (contiguous leaves): one node's backward, no walk needed. */
static void node_gradcheck(Tensor *(*f)(Tensor *, Tensor *), Tensor *a, Tensor *b, Tensor *r) {
    Tensor *grads[3], *in[2] = {a, b};
    graded_node_backward(f(a, b), r, grads);
    const double eps = 1e-2;
    for (int k = 0; k < 2; k++) {
        float *x = tensor_f32(in[k]), *g = malloc(sizeof(float) * (size_t)torch_numel(in[k]));
        torch_to_array(grads[k], g);
        for (int64_t i = 0; i < torch_numel(in[k]); i++) {
            float keep = x[i];
            x[i] = (float)(keep + eps);
            double up = weighted_sum(f, a, b, r);
            x[i] = (float)(keep - eps);
            double down = weighted_sum(f, a, b, r);
            x[i] = keep;
            double numeric = (up - down) / (2 * eps);
            ck_assert_msg(fabs(g[i] - numeric) <= 1e-2 + 1e-2 * fabs(numeric),
                          "input %d, element %lld: backward gives %.6g, finite differences %.6g",
                          k, (long long)i, g[i], numeric);
        }
        free(g);
    }
}

/* ---- 2.1 ----------------------------------------------------------------------------------- */

START_TEST(test_mul_same_tensor) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *a = leaf(fx, "ex2_1_a"), *grads[3];
    graded_node_backward(torch_mul(a, a), fixture_tensor(fx, "ex2_1_r"), grads);
    /* the walk adds the two: g * a + g * a */
    GRADED_ASSERT_CLOSE(torch_add(grads[0], grads[1]), fixture_tensor(fx, "ex2_1_grad_a"));
    fixtures_free(fx);
}
END_TEST

START_TEST(test_mul_one_operand) {
    Tensor *a = torch_tensor(SHAPE(3), (float[]){1, 2, 3});
    Tensor *b = torch_requires_grad_(torch_tensor(SHAPE(3), (float[]){4, 5, 6}), true), *grads[3];
    graded_node_backward(torch_mul(a, b), torch_tensor(SHAPE(3), (float[]){1, 10, 100}), grads);
    CT_ASSERT_BITS_EQ(grads[1], torch_tensor(SHAPE(3), (float[]){1, 20, 300}));
}
END_TEST

START_TEST(test_mul_finite_differences) {
    torch_manual_seed(11);
    node_gradcheck(torch_mul, torch_requires_grad_(torch_randn(SHAPE(2, 3)), true),
                   torch_requires_grad_(torch_randn(SHAPE(2, 3)), true), torch_randn(SHAPE(2, 3)));
}
END_TEST

/* ---- 2.2 ----------------------------------------------------------------------------------- */

START_TEST(test_clamp_other_bounds) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *x = leaf(fx, "ex2_2_x"), *r = fixture_tensor(fx, "ex2_2_r"), *grads[3];
    graded_node_backward(torch_clamp(x, -0.5f, 0.5f), r, grads);
    CT_ASSERT_BITS_EQ(grads[0], fixture_tensor(fx, "ex2_2_grad"));
    graded_node_backward(torch_clamp_min(x, -0.5f), r, grads);
    CT_ASSERT_BITS_EQ(grads[0], fixture_tensor(fx, "ex2_2_grad_min"));
    fixtures_free(fx);
}
END_TEST

/* ---- 2.3 ----------------------------------------------------------------------------------- */

START_TEST(test_mm_transposed_operand) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *xt = fixture_tensor(fx, "ex2_3_xt"); /* (3, 5), used as its transpose */
    Tensor *b = leaf(fx, "ex2_3_b"), *grads[3];
    graded_node_backward(torch_mm(torch_t(xt), b), fixture_tensor(fx, "ex2_3_r"), grads);
    GRADED_ASSERT_CLOSE(grads[1], fixture_tensor(fx, "ex2_3_grad_b"));
    Tensor *x = leaf(fx, "ex2_3_x"); /* x.mm(t(x)): x reaches mm twice, once through t */
    graded_node_backward(torch_mm(x, torch_t(x)), fixture_tensor(fx, "ex2_3_r2"), grads);
    GRADED_ASSERT_CLOSE(torch_add(grads[0], torch_t(grads[1])), fixture_tensor(fx, "ex2_3_grad_x"));
    fixtures_free(fx);
}
END_TEST

START_TEST(test_mm_finite_differences) {
    torch_manual_seed(11);
    node_gradcheck(torch_mm, torch_requires_grad_(torch_randn(SHAPE(3, 4)), true),
                   torch_requires_grad_(torch_randn(SHAPE(4, 2)), true), torch_randn(SHAPE(3, 2)));
}
END_TEST

/* ---- 2.4 ----------------------------------------------------------------------------------- */

START_TEST(test_broadcast_both_stretched) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *a = leaf(fx, "ex2_4_a"), *b = leaf(fx, "ex2_4_b"), *grads[3]; /* (3, 1) + (1, 4) */
    graded_node_backward(torch_add(a, b), fixture_tensor(fx, "ex2_4_r"), grads);
    GRADED_ASSERT_CLOSE(grads[0], fixture_tensor(fx, "ex2_4_grad_a"));
    GRADED_ASSERT_CLOSE(grads[1], fixture_tensor(fx, "ex2_4_grad_b"));
    fixtures_free(fx);
}
END_TEST

START_TEST(test_broadcast_scalar_operand) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    /* () + (2, 3) */
    Tensor *s = leaf(fx, "ex2_4_s"), *m = fixture_tensor(fx, "ex2_4_m"), *grads[3];
    graded_node_backward(torch_add(s, m), fixture_tensor(fx, "ex2_4_r2"), grads);
    GRADED_ASSERT_CLOSE(grads[0], fixture_tensor(fx, "ex2_4_grad_s"));
    fixtures_free(fx);
}
END_TEST

START_TEST(test_broadcast_leading_dim) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *u = leaf(fx, "ex2_4_u"), *v = leaf(fx, "ex2_4_v"), *grads[3]; /* (2, 1, 4) - (3, 1) */
    graded_node_backward(torch_sub(u, v), fixture_tensor(fx, "ex2_4_r3"), grads);
    GRADED_ASSERT_CLOSE(grads[0], fixture_tensor(fx, "ex2_4_grad_u"));
    GRADED_ASSERT_CLOSE(grads[1], fixture_tensor(fx, "ex2_4_grad_v"));
    fixtures_free(fx);
}
END_TEST

/* ---- 2.5 ----------------------------------------------------------------------------------- */


/* f = ident(x) has three consumers at different depths; its backward runs once, last. */
START_TEST(test_node_with_three_consumers) {
    float v[] = {0.5f, -1, 2, 0.25f};
    Tensor *x = torch_requires_grad_(torch_tensor(SHAPE(4), v), true);
    Tensor *f = autograd_function_apply(&counting, (Tensor *[]){x}, 1, NULL);
    Tensor *deep = torch_mul_scalar(torch_exp(torch_mul_scalar(f, 2)), 0.5f);
    Tensor *loss = torch_sum(torch_add(torch_add(deep, torch_mul_scalar(f, 3)), f));
    backward_calls = 0;
    torch_backward(loss);
    ck_assert_msg(backward_calls == 1, "the shared node's backward ran %d times, expected once",
                  backward_calls);
    /* d/dx: exp(2x) + 3 + 1 */
    Tensor *want = torch_add_scalar(torch_exp(torch_mul_scalar(torch_tensor(SHAPE(4), v), 2)), 4);
    GRADED_ASSERT_CLOSE(torch_grad(x), want);
}
END_TEST

/* a = a * 1 + a, 48 times: 2^48 paths, each node reached by two. */
START_TEST(test_longer_ladder) {
    Tensor *x = torch_requires_grad_(torch_ones(SHAPE(3)), true);
    Tensor *a = x;
    for (int i = 0; i < 48; i++) a = torch_add(torch_mul_scalar(a, 1), a);
    torch_backward(torch_sum(a));
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_full(SHAPE(3), ldexpf(1.0f, 48)));
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

/* ---- 2.6 ----------------------------------------------------------------------------------- */

START_TEST(test_backward_with_broadcast) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *a = leaf(fx, "ex2_6_a"), *b = leaf(fx, "ex2_6_b"); /* (2, 1, 3) * (4, 1) */
    Tensor *out = torch_clamp_min(torch_mul(a, b), -0.5f);
    torch_backward_with(out, fixture_tensor(fx, "ex2_6_v"), false);
    GRADED_ASSERT_CLOSE(torch_grad(a), fixture_tensor(fx, "ex2_6_grad_a"));
    GRADED_ASSERT_CLOSE(torch_grad(b), fixture_tensor(fx, "ex2_6_grad_b"));
    fixtures_free(fx);
}
END_TEST

START_TEST(test_backward_with_other_shapes) {
    Tensor *x = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    CT_EXPECT_ERROR("torch_backward: Mismatch in shape: grad_output[0] has a shape of [1] and "
                    "output[0] has a shape of [].",
                    torch_backward_with(torch_sum(x), torch_ones(SHAPE(1)), false));
    CT_EXPECT_ERROR("torch_backward: Mismatch in shape: grad_output[0] has a shape of [2, 1] and "
                    "output[0] has a shape of [2].",
                    torch_backward_with(x, torch_ones(SHAPE(2, 1)), false));
    ck_assert_msg(torch_grad(x) == NULL, "a failed backward wrote a gradient");
}
END_TEST

/* ---- 2.7 ----------------------------------------------------------------------------------- */

START_TEST(test_sigmoid_tails) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *x = leaf(fx, "ex2_7_x"); /* -100 .. 100: exp overflows on one side */
    Tensor *y = torch_sigmoid(x);
    GRADED_ASSERT_CLOSE(y, fixture_tensor(fx, "ex2_7_y"));
    torch_backward_with(y, fixture_tensor(fx, "ex2_7_r"), false);
    GRADED_ASSERT_CLOSE(torch_grad(x), fixture_tensor(fx, "ex2_7_grad"));
    fixtures_free(fx);
}
END_TEST

START_TEST(test_sigmoid_twice) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *s = leaf(fx, "ex2_7_s"); /* 0-dim */
    Tensor *y = torch_sigmoid(torch_sigmoid(s));
    ck_assert_int_eq(y->shape.ndim, 0);
    torch_backward(y);
    GRADED_ASSERT_CLOSE(torch_grad(s), fixture_tensor(fx, "ex2_7_grad_twice"));
    fixtures_free(fx);
}
END_TEST

static Tensor *sigmoid_fn(Tensor **in, int n, void *ctx) {
    (void)n;
    (void)ctx;
    return torch_sigmoid(torch_mul(in[0], in[1]));
}

START_TEST(test_sigmoid_gradcheck_two_inputs) {
    torch_manual_seed(13);
    Tensor *in[2] = {torch_requires_grad_(torch_randn(SHAPE(2, 5)), true),
                     torch_requires_grad_(torch_randn(SHAPE(5)), true)};
    char report[512] = "";
    ck_assert_msg(torch_gradcheck(sigmoid_fn, in, 2, NULL, 1e-2, 1e-3, 1e-2, report, sizeof report),
                  "finite differences disagree: %s", report);
}
END_TEST

/* ---- 2.8 ----------------------------------------------------------------------------------- */

/* The loss file of a stage program run with these flags, read into loss (n epochs). */
static void run_program(const char *program, const char *flags, const char *csv, double *loss,
                        int n) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s --every 0 --csv %s", program, flags, csv);
    ck_assert_msg(ct_system(cmd, NULL) == 0, "%s stopped with an error", program);
    ck_assert_int_eq(ct_read_loss_csv(csv, loss, n), n);
    remove(csv);
}

START_TEST(test_stage2_other_sizes) {
    const char *flags = "--seed 5 --n 30 --d-in 3 --hidden 6 --epochs 40";
    double loss[40], chapter1[40];
    run_program(STAGE2_TRAIN, flags, "hidden_stage2_seed5.csv", loss, 40);
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    float want[40];
    torch_to_array(fixture_tensor(fx, "ex2_8_seed5_loss"), want);
    for (int t = 0; t < 40; t++)
        ck_assert_msg(fabs(loss[t] - want[t]) <= 1e-5 * fabs(want[t]),
                      "epoch %d: loss %.9g, PyTorch's %.9g (within 1e-5, relative)", t + 1,
                      loss[t], want[t]);
    fixtures_free(fx);
    /* the cross-stage contract: autograd's gradients are chapter 1's, bit for bit */
    run_program(STAGE1_TRAIN, flags, "hidden_stage1_seed5.csv", chapter1, 40);
    for (int t = 0; t < 40; t++)
        ck_assert_msg(loss[t] == chapter1[t], "epoch %d: loss %.9g, chapter 1's %.9g", t + 1,
                      loss[t], chapter1[t]);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("hidden_stage2");
    TCase *tc = graded_tcase("ex2_1");
    tcase_add_test(tc, test_mul_same_tensor);
    tcase_add_test(tc, test_mul_one_operand);
    tcase_add_test(tc, test_mul_finite_differences);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex2_2");
    tcase_add_test(tc, test_clamp_other_bounds);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex2_3");
    tcase_add_test(tc, test_mm_transposed_operand);
    tcase_add_test(tc, test_mm_finite_differences);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex2_4");
    tcase_add_test(tc, test_broadcast_both_stretched);
    tcase_add_test(tc, test_broadcast_scalar_operand);
    tcase_add_test(tc, test_broadcast_leading_dim);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex2_5");
    /* a walk that revisits shared nodes never ends the ladder: graded_tcase's limit stops it */
    tcase_add_test(tc, test_node_with_three_consumers);
    tcase_add_test(tc, test_longer_ladder);
    tcase_add_test(tc, test_grad_outlives_scope);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex2_6");
    tcase_add_test(tc, test_backward_with_broadcast);
    tcase_add_test(tc, test_backward_with_other_shapes);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex2_7");
    tcase_add_test(tc, test_sigmoid_tails);
    tcase_add_test(tc, test_sigmoid_twice);
    tcase_add_test(tc, test_sigmoid_gradcheck_two_inputs);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex2_8");
    tcase_add_test(tc, test_stage2_other_sizes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

/*
 * test_hidden_stage3.c: the hidden tests of chapter 3's exercises (instructors only).
 *
 *   ex3_5  other sizes, and the random stream afterwards (the draws must be libtorch's)
 *   ex3_1  gradients through the layer (weight, bias and input) against PyTorch; one row
 *   ex3_2  a nested nn_sequential of linear layers against PyTorch
 *   ex3_3  a deeper tree; grads zeroed in place; parameters without a grad keep none
 *
 * Golden values: tests/hidden/hidden.txt (tools/gen_grading_fixtures.py).
 */
#include <stdlib.h>

#include "autograd.h"
#include "graded.h"
#include "nn.h"

#define HIDDEN_FIXTURES "../hidden/hidden.txt"

static void set_parameter(Module *m, const char *name, Tensor *values) {
    torch_no_grad_begin();
    torch_copy_(nn_get_parameter(m, name), values);
    torch_no_grad_end();
}

static Module *linear_with(Fixtures *fx, int64_t in, int64_t out, const char *w, const char *b) {
    Module *l = nn_linear(in, out);
    set_parameter(l, "weight", fixture_tensor(fx, w));
    set_parameter(l, "bias", fixture_tensor(fx, b));
    return l;
}

/* ---- 3.5 ----------------------------------------------------------------------------------- */

START_TEST(test_init_other_sizes) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    torch_manual_seed(5);
    Module *l11 = nn_linear(1, 1), *l75 = nn_linear(7, 5);
    Tensor *after = torch_randn(SHAPE(3));
    CT_ASSERT_BITS_EQ(nn_get_parameter(l11, "weight"), fixture_tensor(fx, "ex3_5_w11"));
    CT_ASSERT_BITS_EQ(nn_get_parameter(l11, "bias"), fixture_tensor(fx, "ex3_5_b11"));
    CT_ASSERT_BITS_EQ(nn_get_parameter(l75, "weight"), fixture_tensor(fx, "ex3_5_w75"));
    CT_ASSERT_BITS_EQ(nn_get_parameter(l75, "bias"), fixture_tensor(fx, "ex3_5_b75"));
    CT_ASSERT_BITS_EQ(after, fixture_tensor(fx, "ex3_5_after"));
    nn_free(l11);
    nn_free(l75);
    fixtures_free(fx);
}
END_TEST

/* ---- 3.1 ----------------------------------------------------------------------------------- */

START_TEST(test_linear_gradients) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Module *l = linear_with(fx, 4, 3, "ex3_1_weight", "ex3_1_bias");
    Tensor *x = torch_requires_grad_(fixture_tensor(fx, "ex3_1_x"), true);
    torch_backward_with(nn_forward(l, x), fixture_tensor(fx, "ex3_1_r"), false);
    CT_ASSERT_CLOSE(torch_grad(nn_get_parameter(l, "weight")),
                    fixture_tensor(fx, "ex3_1_grad_weight"), 1e-5, 1e-6);
    CT_ASSERT_CLOSE(torch_grad(nn_get_parameter(l, "bias")), fixture_tensor(fx, "ex3_1_grad_bias"),
                    1e-5, 1e-6);
    CT_ASSERT_CLOSE(torch_grad(x), fixture_tensor(fx, "ex3_1_grad_x"), 1e-5, 1e-6);
    nn_free(l);
    fixtures_free(fx);
}
END_TEST

START_TEST(test_linear_one_row) {
    Module *l = nn_linear(2, 2);
    set_parameter(l, "weight", torch_tensor(SHAPE(2, 2), (float[]){1, 2, 3, 4}));
    set_parameter(l, "bias", torch_tensor(SHAPE(2), (float[]){0.5f, -0.5f}));
    Tensor *out = nn_forward(l, torch_tensor(SHAPE(1, 2), (float[]){1, -1}));
    CT_ASSERT_BITS_EQ(out, torch_tensor(SHAPE(1, 2), (float[]){-0.5f, -1.5f}));
    nn_free(l);
}
END_TEST

/* ---- 3.2 ----------------------------------------------------------------------------------- */

START_TEST(test_nested_sequential) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Module *m = nn_sequential(
        nn_sequential(linear_with(fx, 2, 3, "ex3_2_w1", "ex3_2_b1"), nn_relu()),
        linear_with(fx, 3, 1, "ex3_2_w2", "ex3_2_b2"));
    CT_ASSERT_CLOSE(nn_forward(m, fixture_tensor(fx, "ex3_2_x")), fixture_tensor(fx, "ex3_2_out"),
                    1e-5, 1e-6);
    nn_free(m);
    fixtures_free(fx);
}
END_TEST

/* ---- 3.3 ----------------------------------------------------------------------------------- */

static Tensor *add_p(Module *self, Tensor *x) { return torch_add(x, nn_get_parameter(self, "p")); }

/* A module holding one parameter p (3 values) and the given children. */
static Module *node(Module *child1, Module *child2) {
    Module *m = calloc(1, sizeof *m);
    nn_module_init(m, "node", add_p);
    nn_register_parameter(m, "p", torch_zeros(SHAPE(3)));
    if (child1) nn_register_module(m, "a", child1);
    if (child2) nn_register_module(m, "b", child2);
    return m;
}

START_TEST(test_zero_grad_deep_tree) {
    Module *leaf1 = node(NULL, NULL), *leaf2 = node(NULL, NULL), *unused = node(NULL, NULL);
    Module *mid = node(leaf1, leaf2);
    Module *root = node(mid, node(unused, NULL));
    Tensor *x = torch_zeros(SHAPE(3));
    /* every module but `unused` and its parent is used */
    Tensor *y = nn_forward(leaf2, nn_forward(leaf1, nn_forward(mid, nn_forward(root, x))));
    torch_backward(torch_sum(y));
    ParameterList params = nn_parameters(root);
    ck_assert_int_eq(params.count, 6);
    Tensor *before[6];
    for (int i = 0; i < params.count; i++) before[i] = torch_grad(params.items[i]);
    nn_zero_grad(root);
    for (int i = 0; i < params.count; i++) {
        Tensor *g = torch_grad(params.items[i]);
        if (before[i] == NULL) {
            ck_assert_msg(g == NULL, "%s had no grad; zero_grad must not make one",
                          params.names[i]);
            continue;
        }
        ck_assert_msg(g == before[i], "%s's grad was replaced, not zeroed in place",
                      params.names[i]);
        CT_ASSERT_BITS_EQ(g, torch_zeros(SHAPE(3)));
    }
    nn_free(root);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("hidden_stage3");
    TCase *tc = graded_tcase("ex3_5");
    tcase_add_test(tc, test_init_other_sizes);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex3_1");
    tcase_add_test(tc, test_linear_gradients);
    tcase_add_test(tc, test_linear_one_row);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex3_2");
    tcase_add_test(tc, test_nested_sequential);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex3_3");
    tcase_add_test(tc, test_zero_grad_deep_tree);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

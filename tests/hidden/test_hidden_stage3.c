/*
 * test_hidden_stage3.c: the hidden tests of chapter 3's exercises (instructors only).
 *
 *   ex3_1  gradients through the layer (weight, bias and input) against PyTorch; one row
 *   ex3_2  a nested nn_sequential of linear layers against PyTorch
 *   ex3_3  a deeper tree; grads zeroed in place; parameters without a grad keep none
 *   ex3_4  a deeper tree's names against torch's; a module with no parameter of its own
 *   ex3_5  other sizes, and the random stream afterwards (the draws must be libtorch's)
 *   ex3_6  other sizes and seeds: parameters, output and gradients against PyTorch
 *   ex3_7  the chapter's program with seed 42 against PyTorch's losses
 *
 * Golden values: tests/hidden/hidden.txt (tools/gen_grading_fixtures.py) and
 * tests/fixtures/stage3.txt.
 */
#include <stdlib.h>

#include "autograd.h"
#include "ct_tutorial.h"
#include "graded.h"
#include "nn.h"

#ifndef STAGE3_TRAIN
#error "STAGE3_TRAIN must be defined by the build"
#endif

#define HIDDEN_FIXTURES "../hidden/hidden.txt"

/* A linear layer with the fixture's weight and bias (no random draw: 3.5 not needed). */
static Module *linear_with(Fixtures *fx, const char *w, const char *b) {
    return nn_linear_from(fixture_tensor(fx, w), fixture_tensor(fx, b));
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
    Module *l = linear_with(fx, "ex3_1_weight", "ex3_1_bias");
    Tensor *x = torch_requires_grad_(fixture_tensor(fx, "ex3_1_x"), true);
    torch_backward_with(nn_forward(l, x), fixture_tensor(fx, "ex3_1_r"), false);
    GRADED_ASSERT_CLOSE_TOL(torch_grad(nn_get_parameter(l, "weight")),
                        fixture_tensor(fx, "ex3_1_grad_weight"), 1e-5, 1e-6);
    GRADED_ASSERT_CLOSE_TOL(torch_grad(nn_get_parameter(l, "bias")),
                        fixture_tensor(fx, "ex3_1_grad_bias"), 1e-5, 1e-6);
    GRADED_ASSERT_CLOSE_TOL(torch_grad(x), fixture_tensor(fx, "ex3_1_grad_x"), 1e-5, 1e-6);
    nn_free(l);
    fixtures_free(fx);
}
END_TEST

START_TEST(test_linear_one_row) {
    Module *l = nn_linear_from(torch_tensor(SHAPE(2, 2), (float[]){1, 2, 3, 4}),
                               torch_tensor(SHAPE(2), (float[]){0.5f, -0.5f}));
    Tensor *out = nn_forward(l, torch_tensor(SHAPE(1, 2), (float[]){1, -1}));
    CT_ASSERT_BITS_EQ(out, torch_tensor(SHAPE(1, 2), (float[]){-0.5f, -1.5f}));
    nn_free(l);
}
END_TEST

/* ---- 3.2 ----------------------------------------------------------------------------------- */

START_TEST(test_nested_sequential) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Module *m = nn_sequential(nn_sequential(linear_with(fx, "ex3_2_w1", "ex3_2_b1"), nn_relu()),
                              linear_with(fx, "ex3_2_w2", "ex3_2_b2"));
    GRADED_ASSERT_CLOSE_TOL(nn_forward(m, fixture_tensor(fx, "ex3_2_x")),
                        fixture_tensor(fx, "ex3_2_out"), 1e-5, 1e-6);
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
    /* the tree's parameters, found without nn_parameters (exercise 3.4 comes after) */
    Module *modules[6] = {root, mid, leaf1, leaf2, root->children[1], unused};
    const char *names[6] = {"p", "a.p", "a.a.p", "a.b.p", "b.p", "b.a.p"};
    Tensor *before[6];
    for (int i = 0; i < 6; i++) before[i] = torch_grad(nn_get_parameter(modules[i], "p"));
    nn_zero_grad(root);
    for (int i = 0; i < 6; i++) {
        Tensor *g = torch_grad(nn_get_parameter(modules[i], "p"));
        if (before[i] == NULL) {
            ck_assert_msg(g == NULL, "%s had no grad; zero_grad must not make one", names[i]);
            continue;
        }
        ck_assert_msg(g == before[i], "%s's grad was replaced, not zeroed in place", names[i]);
        CT_ASSERT_BITS_EQ(g, torch_zeros(SHAPE(3)));
    }
    nn_free(root);
}
END_TEST

/* ---- 3.4 ----------------------------------------------------------------------------------- */

/* A module with a parameter p of `size` values and up to three named children. */
static Module *named_node(int64_t size, const char *n1, Module *c1, const char *n2, Module *c2,
                          const char *n3, Module *c3) {
    Module *m = calloc(1, sizeof *m);
    nn_module_init(m, "node", add_p);
    nn_register_parameter(m, "p", torch_zeros(SHAPE(size)));
    if (c1) nn_register_module(m, n1, c1);
    if (c2) nn_register_module(m, n2, c2);
    if (c3) nn_register_module(m, n3, c3);
    return m;
}

START_TEST(test_parameters_deep_tree) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Module *first = nn_linear_from(torch_zeros(SHAPE(3, 2)), torch_zeros(SHAPE(3)));
    Module *second = nn_linear_from(torch_zeros(SHAPE(1, 3)), torch_zeros(SHAPE(1)));
    Module *d = named_node(4, NULL, NULL, NULL, NULL, NULL, NULL);
    Module *c = named_node(1, "d", d, NULL, NULL, NULL, NULL);
    Module *root = named_node(2, "a", nn_sequential(nn_sequential(first, nn_relu()), second), "b",
                              nn_sequential(nn_relu()), "c", c);
    ParameterList params = nn_parameters(root);
    char got[1024] = "";
    for (int i = 0; i < params.count; i++) {
        strncat(got, i ? " " : "", sizeof got - strlen(got) - 1);
        strncat(got, params.names[i], sizeof got - strlen(got) - 1);
    }
    ck_assert_str_eq(got, fixture_text(fx, "ex3_4_deep_names"));
    Tensor *numels = fixture_tensor(fx, "ex3_4_deep_numels");
    ck_assert_int_eq(params.count, torch_numel(numels));
    Tensor *want[] = {nn_get_parameter(root, "p"),      nn_get_parameter(first, "weight"),
                      nn_get_parameter(first, "bias"),  nn_get_parameter(second, "weight"),
                      nn_get_parameter(second, "bias"), nn_get_parameter(c, "p"),
                      nn_get_parameter(d, "p")};
    for (int i = 0; i < params.count; i++) {
        ck_assert_msg(params.items[i] == want[i], "%s is not the parameter itself",
                      params.names[i]);
        ck_assert_int_eq(torch_numel(params.items[i]), tensor_i64(numels)[i]);
    }
    /* a module with neither parameters nor children has an empty list */
    ck_assert_int_eq(nn_parameters(root->children[1]).count, 0);
    nn_free(root);
    fixtures_free(fx);
}
END_TEST

/* ---- 3.6 ----------------------------------------------------------------------------------- */

static void check_two_layer_net(Fixtures *fx, const char *key, uint64_t seed, int64_t d_in,
                                int64_t d_hidden, int64_t d_out, int64_t n) {
    torch_manual_seed(seed);
    Module *net = nn_two_layer_net(d_in, d_hidden, d_out);
    Tensor *x = torch_randn(SHAPE(n, d_in));
    char name[64];
    snprintf(name, sizeof name, "%s_x", key);
    CT_ASSERT_BITS_EQ(x, fixture_tensor(fx, name));
    ParameterList params = nn_parameters(net);
    ck_assert_int_eq(params.count, 4);
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "%s_%s", key, params.names[i]);
        CT_ASSERT_BITS_EQ(params.items[i], fixture_tensor(fx, name));
    }
    Tensor *out = nn_forward(net, x);
    snprintf(name, sizeof name, "%s_out", key);
    GRADED_ASSERT_CLOSE_TOL(out, fixture_tensor(fx, name), 1e-5, 1e-6);
    torch_backward(torch_sum(torch_pow(out, 2)));
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "%s_grad_%s", key, params.names[i]);
        GRADED_ASSERT_CLOSE_TOL(torch_grad(params.items[i]), fixture_tensor(fx, name), 1e-5, 1e-6);
    }
    nn_free(net);
}

START_TEST(test_two_layer_net_other_sizes) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    check_two_layer_net(fx, "ex3_6_other", 360, 4, 7, 3, 6);
    check_two_layer_net(fx, "ex3_6_unit", 361, 1, 1, 1, 1);
    fixtures_free(fx);
}
END_TEST

/* ---- 3.7 ----------------------------------------------------------------------------------- */

START_TEST(test_stage3_seed42) {
    ct_program_follows_pytorch(STAGE3_TRAIN, "--seed 42 --every 0", "hidden_stage3_seed42.csv",
                               "stage3.txt", "chapter_s42_losses", 200, 1e-5, 42);
}
END_TEST

static Suite *suite(void) {
    const GradedCase cases[] = {
        {"ex3_1", {test_linear_gradients, test_linear_one_row}},
        {"ex3_2", {test_nested_sequential}},
        {"ex3_3", {test_zero_grad_deep_tree}},
        {"ex3_4", {test_parameters_deep_tree}},
        {"ex3_5", {test_init_other_sizes}},
        {"ex3_6", {test_two_layer_net_other_sizes}},
        {"ex3_7", {test_stage3_seed42}},
    };
    return graded_suite("hidden_stage3", cases, sizeof cases / sizeof cases[0]);
}

int main(void) { return ct_run(suite()); }

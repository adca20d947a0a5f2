/*
 * test_graded_stage3.c: the tests you can run for chapter 3's exercises (docs/exercises.md).
 *
 *   ex3_1  nn_linear's forward: the values, the node libtorch records (AddmmBackward0), and
 *          the layer used outside any scope (backward through it; nothing left behind)
 *   ex3_2  nn_sequential's forward: children in order; outside any scope, backward through
 *          it gives what it gives inside one, and nothing is left behind
 *   ex3_3  nn_zero_grad: every parameter's grad, children's included, back to zero
 *   ex3_4  nn_parameters: names and order as torch's named_parameters() gives them
 *   ex3_5  nn_linear's initialization, bit for bit as PyTorch's after the same seed, for
 *          fan_in values where a bound computed in float draws other numbers
 *   ex3_6  a custom module, chapter 2's network: its parameters, output and gradients
 *   ex3_7  the training loop of stage 3: the chapter's program follows PyTorch's losses
 *
 * Golden values: tests/fixtures/grading.txt and stage3.txt, from PyTorch. Where the chapter
 * does not teach an order of operations, values are compared within a tolerance that any
 * correct order meets (the failure message says so); bit for bit only where it does.
 */
#include <stdlib.h>

#include "autograd.h"
#include "ct_tutorial.h"
#include "graded.h"
#include "nn.h"

#ifndef STAGE3_TRAIN
#error "STAGE3_TRAIN must be defined by the build"
#endif

/* Within float rounding of PyTorch's value, whatever the order of the sums. */
#define RTOL 1e-5
#define ATOL 1e-6

/* ---- test modules that need none of the exercises: x + c, and x + p with a parameter ---- */

typedef struct Shift {
    Module module;
    float c;
} Shift;

static Tensor *shift_forward(Module *self, Tensor *x) {
    return torch_add_scalar(x, ((Shift *)self)->c);
}

static Module *shift(float c) {
    Shift *s = calloc(1, sizeof *s);
    nn_module_init(&s->module, "shift", shift_forward);
    s->c = c;
    return &s->module;
}

static Tensor *bias_forward(Module *self, Tensor *x) {
    return torch_add(x, nn_get_parameter(self, "p"));
}

/* A module with one parameter p (a copy of the given values) and up to two named children
 * (a NULL child is left out). */
static Module *with_bias(Tensor *p, const char *name1, Module *child1, const char *name2,
                         Module *child2) {
    Module *m = calloc(1, sizeof *m);
    nn_module_init(m, "with_bias", bias_forward);
    nn_register_parameter(m, "p", torch_clone(p));
    if (child1) nn_register_module(m, name1, child1);
    if (child2) nn_register_module(m, name2, child2);
    return m;
}

/* A linear layer with the fixture's weight and bias (no random draw: exercise 3.5 not needed). */
static Module *linear_from(Fixtures *fx, const char *weight, const char *bias) {
    Tensor *w = fixture_tensor(fx, weight), *b = fixture_tensor(fx, bias);
    Module *l = nn_linear_from(w, b); /* copies them */
    torch_free(w);
    torch_free(b);
    return l;
}

static int64_t live_tensors(void) { return torch_memory_stats().live_tensors; }

/* ---- 3.1 nn_linear's forward ----------------------------------------------------------------- */

START_TEST(test_linear_forward) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Module *l = linear_from(fx, "ex3_1_weight", "ex3_1_bias");
    Tensor *out = nn_forward(l, fixture_tensor(fx, "ex3_1_x")); /* (5, 4) -> (5, 3) */
    GRADED_ASSERT_CLOSE_TOL(out, fixture_tensor(fx, "ex3_1_out"), RTOL, ATOL);
    ck_assert_msg(torch_grad_fn(out) != NULL, "the output has no grad_fn");
    ck_assert_str_eq(grad_fn_name(torch_grad_fn(out)), "AddmmBackward0");
    nn_free(l);
    fixtures_free(fx);
}
END_TEST

/* Outside any scope, as a learner's program: a backward through the layer must find every
 * tensor its graph holds, and under no_grad the forward must leave nothing but its output. */
static void linear_outside_scope(void *ctx) {
    Fixtures *fx = ctx;
    Module *l = linear_from(fx, "ex3_1_weight", "ex3_1_bias");
    Tensor *x = fixture_tensor(fx, "ex3_1_x");
    Tensor *out = nn_forward(l, x), *loss = torch_sum(out);
    torch_backward(loss); /* stops if the forward released what AddmmBackward0 holds */
    /* d sum(x W^T + b) / dW = the column sums of x, for every row; / db = n */
    Tensor *col_sums = torch_sum_dim(x, 0, true);
    GRADED_ASSERT_CLOSE_TOL(torch_grad(nn_get_parameter(l, "weight")),
                        torch_expand(col_sums, SHAPE(3, 4)), RTOL, ATOL);
    GRADED_ASSERT_CLOSE_TOL(torch_grad(nn_get_parameter(l, "bias")), torch_full(SHAPE(3), 5), RTOL,
                        ATOL);
    torch_free(col_sums);

    torch_no_grad_begin();
    int64_t before = live_tensors();
    Tensor *plain = nn_forward(l, x);
    torch_free(plain);
    torch_no_grad_end();
    ck_assert_msg(live_tensors() == before,
                  "outside any scope, nn_forward under no_grad left "
                  "%lld tensors alive besides its output: nothing would ever release them",
                  (long long)(live_tensors() - before));
    torch_free(loss);
    torch_free(out);
    torch_free(x);
    nn_free(l);
}

START_TEST(test_linear_outside_any_scope) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    ct_outside_any_scope(linear_outside_scope, fx);
    fixtures_free(fx);
}
END_TEST

/* ---- 3.2 nn_sequential's forward ----------------------------------------------------------- */

START_TEST(test_sequential_order) {
    /* ((x + 1) relu) + -3: the order matters */
    Module *m = nn_sequential(shift(1), nn_relu(), shift(-3));
    Tensor *x = torch_tensor(SHAPE(4), (float[]){-4, -1, 0, 2});
    CT_ASSERT_BITS_EQ(nn_forward(m, x), torch_tensor(SHAPE(4), (float[]){-3, -3, -2, 0}));
    Module *one = nn_sequential(shift(0.5f));
    CT_ASSERT_BITS_EQ(nn_forward(one, x),
                      torch_tensor(SHAPE(4), (float[]){-3.5f, -0.5f, 0.5f, 2.5f}));
    nn_free(m);
    nn_free(one);
}
END_TEST

static Module *chapter_like_model(Fixtures *fx) {
    return nn_sequential(linear_from(fx, "ex3_2_w1", "ex3_2_b1"), nn_relu(),
                         linear_from(fx, "ex3_2_w2", "ex3_2_b2"));
}

/* The gradients of sum(model(x)^2), one tensor per parameter, each kept (grads[4]). */
static void sequential_gradients(Fixtures *fx, Tensor **grads) {
    Module *m = chapter_like_model(fx);
    Tensor *out = nn_forward(m, fixture_tensor(fx, "ex3_2_x"));
    GRADED_ASSERT_CLOSE_TOL(out, fixture_tensor(fx, "ex3_2_out"), RTOL, ATOL);
    torch_backward(torch_sum(torch_pow(out, 2)));
    /* the two linear layers' parameters, found without nn_parameters (3.4 comes after) */
    for (int i = 0; i < 4; i++) {
        Tensor *p = nn_get_parameter(m->children[i < 2 ? 0 : 2], i % 2 ? "bias" : "weight");
        grads[i] = torch_keep(torch_clone(torch_grad(p)));
    }
    nn_free(m);
}

typedef struct SequentialCase {
    Fixtures *fx;
    Tensor *grads[4];
    int64_t left_behind;
} SequentialCase;

static void sequential_outside_scope(void *ctx) {
    SequentialCase *c = ctx;
    sequential_gradients(c->fx, c->grads); /* stops if the forward released what a node holds */
    Module *m = chapter_like_model(c->fx);
    Tensor *x = fixture_tensor(c->fx, "ex3_2_x");
    torch_no_grad_begin();
    int64_t before = live_tensors();
    torch_free(nn_forward(m, x));
    c->left_behind = live_tensors() - before;
    torch_no_grad_end();
    torch_free(x);
    nn_free(m);
}

START_TEST(test_sequential_outside_any_scope) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    SequentialCase outside = {.fx = fx};
    ct_outside_any_scope(sequential_outside_scope, &outside);
    ck_assert_msg(outside.left_behind == 0,
                  "outside any scope, nn_forward(nn_sequential(...)) "
                  "under no_grad left %lld intermediate tensors alive: nothing would ever "
                  "release them",
                  (long long)outside.left_behind);
    Tensor *inside[4];
    sequential_gradients(fx, inside);
    for (int i = 0; i < 4; i++) {
        CT_ASSERT_BITS_EQ(outside.grads[i], inside[i]); /* the same computation */
        torch_free(outside.grads[i]);
        torch_free(inside[i]);
    }
    fixtures_free(fx);
}
END_TEST

/* ---- 3.3 zero_grad --------------------------------------------------------------------------- */

START_TEST(test_zero_grad_tree) {
    Tensor *p = torch_tensor(SHAPE(3), (float[]){1, 2, 3});
    Module *inner = with_bias(p, NULL, NULL, NULL, NULL);
    Module *outer = with_bias(p, "inner", inner, NULL, NULL);
    Tensor *x = torch_zeros(SHAPE(3));
    torch_backward(torch_sum(nn_forward(inner, nn_forward(outer, x))));
    Tensor *params[2] = {nn_get_parameter(outer, "p"), nn_get_parameter(inner, "p")};
    const char *names[2] = {"p", "inner.p"};
    for (int i = 0; i < 2; i++) CT_ASSERT_BITS_EQ(torch_grad(params[i]), torch_ones(SHAPE(3)));
    nn_zero_grad(outer);
    for (int i = 0; i < 2; i++) {
        ck_assert_msg(torch_grad(params[i]) != NULL, "%s's grad was removed, not zeroed", names[i]);
        CT_ASSERT_BITS_EQ(torch_grad(params[i]), torch_zeros(SHAPE(3)));
    }
    nn_free(outer);
}
END_TEST

/* ---- 3.4 nn_parameters ----------------------------------------------------------------------- */

/* The list's names joined by spaces, as the fixture's line from torch's named_parameters(). */
static void assert_names(ParameterList params, const char *want) {
    char got[1024] = "";
    for (int i = 0; i < params.count; i++) {
        strncat(got, i ? " " : "", sizeof got - strlen(got) - 1);
        strncat(got, params.names[i], sizeof got - strlen(got) - 1);
    }
    ck_assert_msg(strcmp(got, want) == 0, "names(model$parameters): got \"%s\", torch has \"%s\"",
                  got, want);
}

START_TEST(test_parameters_tree) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    /* with_bias(p (3), body = sequential(linear(3, 4), relu, linear(4, 2)), head = p (2)) */
    Module *first = nn_linear_from(torch_zeros(SHAPE(4, 3)), torch_zeros(SHAPE(4)));
    Module *second = nn_linear_from(torch_zeros(SHAPE(2, 4)), torch_zeros(SHAPE(2)));
    Module *head = with_bias(torch_zeros(SHAPE(2)), NULL, NULL, NULL, NULL);
    Module *root = with_bias(torch_zeros(SHAPE(3)), "body", nn_sequential(first, nn_relu(), second),
                             "head", head);
    ParameterList params = nn_parameters(root);
    assert_names(params, fixture_text(fx, "ex3_4_tree_names"));
    Tensor *numels = fixture_tensor(fx, "ex3_4_tree_numels");
    ck_assert_int_eq(params.count, torch_numel(numels));
    Tensor *want[] = {nn_get_parameter(root, "p"),      nn_get_parameter(first, "weight"),
                      nn_get_parameter(first, "bias"),  nn_get_parameter(second, "weight"),
                      nn_get_parameter(second, "bias"), nn_get_parameter(head, "p")};
    for (int i = 0; i < params.count; i++) {
        ck_assert_msg(params.items[i] == want[i], "%s: the list must hold the parameter itself",
                      params.names[i]);
        ck_assert_int_eq(torch_numel(params.items[i]), tensor_i64(numels)[i]);
    }
    /* a leaf module: its own parameters, in the order it registered them */
    assert_names(nn_parameters(first), "weight bias");
    nn_free(root);
    fixtures_free(fx);
}
END_TEST

/* ---- 3.5 nn_linear's initialization -------------------------------------------------------- */

START_TEST(test_linear_init) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    torch_manual_seed(1);
    Module *l = nn_linear(3, 32);
    CT_ASSERT_BITS_EQ(nn_get_parameter(l, "weight"), fixture_tensor(fx, "ex3_5_weight"));
    CT_ASSERT_BITS_EQ(nn_get_parameter(l, "bias"), fixture_tensor(fx, "ex3_5_bias"));
    nn_free(l);
    fixtures_free(fx);
}
END_TEST

static const int64_t kaiming_fan_ins[] = {4, 6, 7, 13, 100}; /* the generator's list */

/* The weights a bound computed in float would draw: each of these fan_in values must give
 * other bits than PyTorch's, or the test below would not tell the two apart. */
static bool float_bound_draws_the_same(Fixtures *fx, int64_t fan_in) {
    float a = sqrtf(5.0f), gain = sqrtf(2.0f / (1.0f + a * a));
    float bound = sqrtf(3.0f) * (gain / sqrtf((float)fan_in)),
          bias_bound = 1.0f / sqrtf((float)fan_in);
    torch_manual_seed(35);
    Tensor *w = torch_empty(SHAPE(4, fan_in)), *b = torch_empty(SHAPE(4));
    torch_uniform_(w, -bound, bound);
    torch_uniform_(b, -bias_bound, bias_bound);
    char name[32];
    snprintf(name, sizeof name, "ex3_5_w%lld", (long long)fan_in);
    Tensor *want_w = fixture_tensor(fx, name);
    snprintf(name, sizeof name, "ex3_5_b%lld", (long long)fan_in);
    Tensor *want_b = fixture_tensor(fx, name);
    return memcmp(tensor_f32(w), tensor_f32(want_w), sizeof(float) * (size_t)(4 * fan_in)) == 0 &&
           memcmp(tensor_f32(b), tensor_f32(want_b), sizeof(float) * 4) == 0;
}

START_TEST(test_linear_init_bound_in_double) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    for (size_t i = 0; i < sizeof kaiming_fan_ins / sizeof kaiming_fan_ins[0]; i++) {
        int64_t fan_in = kaiming_fan_ins[i];
        ck_assert_msg(!float_bound_draws_the_same(fx, fan_in),
                      "fan_in %lld does not tell a float bound from a double one",
                      (long long)fan_in);
        torch_manual_seed(35);
        Module *l = nn_linear(fan_in, 4);
        char name[32];
        snprintf(name, sizeof name, "ex3_5_w%lld", (long long)fan_in);
        CT_ASSERT_BITS_EQ(nn_get_parameter(l, "weight"), fixture_tensor(fx, name));
        snprintf(name, sizeof name, "ex3_5_b%lld", (long long)fan_in);
        CT_ASSERT_BITS_EQ(nn_get_parameter(l, "bias"), fixture_tensor(fx, name));
        nn_free(l);
    }
    fixtures_free(fx);
}
END_TEST

/* ---- 3.6 a custom module: chapter 2's network ---------------------------------------------- */

START_TEST(test_two_layer_net) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    torch_manual_seed(36);
    Module *net = nn_two_layer_net(3, 5, 2);
    Tensor *x = torch_randn(SHAPE(4, 3)); /* drawn after the parameters, as in PyTorch */
    ParameterList params = nn_parameters(net);
    assert_names(params, "w1 w2 b1 b2");
    for (int i = 0; i < params.count; i++) {
        char name[64];
        snprintf(name, sizeof name, "ex3_6_%s", params.names[i]);
        CT_ASSERT_BITS_EQ(params.items[i], fixture_tensor(fx, name)); /* the same draws */
        ck_assert_msg(torch_requires_grad(params.items[i]), "%s does not require grad",
                      params.names[i]);
    }
    CT_ASSERT_BITS_EQ(x, fixture_tensor(fx, "ex3_6_x"));
    Tensor *out = nn_forward(net, x);
    GRADED_ASSERT_CLOSE_TOL(out, fixture_tensor(fx, "ex3_6_out"), RTOL, ATOL);
    torch_backward(torch_sum(torch_pow(out, 2)));
    for (int i = 0; i < params.count; i++) {
        char name[64];
        snprintf(name, sizeof name, "ex3_6_grad_%s", params.names[i]);
        ck_assert_msg(torch_grad(params.items[i]) != NULL, "%s has no grad", params.names[i]);
        GRADED_ASSERT_CLOSE_TOL(torch_grad(params.items[i]), fixture_tensor(fx, name), RTOL, ATOL);
    }
    nn_free(net);
    fixtures_free(fx);
}
END_TEST

/* ---- 3.7 the training loop of stage 3 -------------------------------------------------------- */

START_TEST(test_stage3_follows_pytorch) {
    /* within 1e-5: torch's SGD rounds once less a step */
    ct_program_follows_pytorch(STAGE3_TRAIN, "--seed 1 --every 0", "graded_stage3_seed1.csv",
                               "stage3.txt", "chapter_s1_losses", 200, 1e-5, 1);
}
END_TEST

static Suite *suite(void) {
    const GradedCase cases[] = {
        {"ex3_1", {test_linear_forward, test_linear_outside_any_scope}},
        {"ex3_2", {test_sequential_order, test_sequential_outside_any_scope}},
        {"ex3_3", {test_zero_grad_tree}},
        {"ex3_4", {test_parameters_tree}},
        {"ex3_5", {test_linear_init, test_linear_init_bound_in_double}},
        {"ex3_6", {test_two_layer_net}},
        {"ex3_7", {test_stage3_follows_pytorch}},
    };
    return graded_suite("graded_stage3", cases, sizeof cases / sizeof cases[0]);
}

int main(void) { return ct_run(suite()); }

/*
 * test_graded_stage3.c: the tests you can run for chapter 3's exercises (docs/exercises.md).
 *
 *   ex3_5  nn_linear's initialization, bit for bit as PyTorch's after the same seed
 *   ex3_1  nn_linear's forward: the values, and the node libtorch records (AddmmBackward0)
 *   ex3_2  nn_sequential's forward: each child's output is the next child's input
 *   ex3_3  nn_zero_grad: every parameter's grad, children's included, back to zero
 *
 * Golden values: tests/fixtures/grading.txt, from PyTorch.
 */
#include <stdlib.h>

#include "autograd.h"
#include "graded.h"
#include "nn.h"

/* Copies values into a module's parameter (under no-grad, as an update does). */
static void set_parameter(Module *m, const char *name, Tensor *values) {
    torch_no_grad_begin();
    torch_copy_(nn_get_parameter(m, name), values);
    torch_no_grad_end();
}

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

/* A module with one parameter p, and children if given (NULL-terminated). */
static Module *with_bias(Tensor *p, Module **children) {
    Module *m = calloc(1, sizeof *m);
    nn_module_init(m, "with_bias", bias_forward);
    nn_register_parameter(m, "p", torch_clone(p));
    for (int i = 0; children && children[i]; i++) {
        char name[16];
        snprintf(name, sizeof name, "c%d", i);
        nn_register_module(m, name, children[i]);
    }
    return m;
}

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

/* ---- 3.1 nn_linear's forward ----------------------------------------------------------------- */

START_TEST(test_linear_forward) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Module *l = nn_linear(4, 3);
    set_parameter(l, "weight", fixture_tensor(fx, "ex3_1_weight"));
    set_parameter(l, "bias", fixture_tensor(fx, "ex3_1_bias"));
    Tensor *out = nn_forward(l, fixture_tensor(fx, "ex3_1_x")); /* (5, 4) -> (5, 3) */
    CT_ASSERT_CLOSE(out, fixture_tensor(fx, "ex3_1_out"), 1e-5, 1e-6);
    ck_assert_msg(torch_grad_fn(out) != NULL, "the output has no grad_fn");
    ck_assert_str_eq(grad_fn_name(torch_grad_fn(out)), "AddmmBackward0");
    nn_free(l);
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
    CT_ASSERT_BITS_EQ(nn_forward(one, x), torch_tensor(SHAPE(4), (float[]){-3.5f, -0.5f, 0.5f,
                                                                           2.5f}));
    nn_free(m);
    nn_free(one);
}
END_TEST

/* ---- 3.3 zero_grad --------------------------------------------------------------------------- */

START_TEST(test_zero_grad_tree) {
    Tensor *p = torch_tensor(SHAPE(3), (float[]){1, 2, 3});
    Module *inner = with_bias(p, NULL);
    Module *outer = with_bias(p, (Module *[]){inner, NULL});
    Tensor *x = torch_zeros(SHAPE(3));
    torch_backward(torch_sum(nn_forward(inner, nn_forward(outer, x))));
    ParameterList params = nn_parameters(outer);
    ck_assert_int_eq(params.count, 2);
    for (int i = 0; i < params.count; i++)
        CT_ASSERT_BITS_EQ(torch_grad(params.items[i]), torch_ones(SHAPE(3)));
    nn_zero_grad(outer);
    for (int i = 0; i < params.count; i++) {
        ck_assert_msg(torch_grad(params.items[i]) != NULL, "%s's grad was removed, not zeroed",
                      params.names[i]);
        CT_ASSERT_BITS_EQ(torch_grad(params.items[i]), torch_zeros(SHAPE(3)));
    }
    nn_free(outer);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("graded_stage3");
    TCase *tc = graded_tcase("ex3_5");
    tcase_add_test(tc, test_linear_init);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex3_1");
    tcase_add_test(tc, test_linear_forward);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex3_2");
    tcase_add_test(tc, test_sequential_order);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex3_3");
    tcase_add_test(tc, test_zero_grad_tree);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

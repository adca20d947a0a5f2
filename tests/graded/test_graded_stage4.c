/*
 * test_graded_stage4.c: the tests you can run for chapter 4's exercises (docs/exercises.md).
 *
 *   ex4_2  a loss's reduction: nnf_mse_loss with "none", "mean" and "sum"
 *   ex4_3  mse_loss's backward, "mean" and "sum"
 *   ex4_6  log_softmax, with logits that would overflow exp
 *   ex4_7  nll_loss with each reduction
 *   ex4_4  SGD with momentum: five steps as torch.optim.SGD takes them
 *   ex4_5  Adam: five steps as torch.optim.Adam takes them
 *
 * Golden values: tests/fixtures/grading.txt, from PyTorch.
 */
#include "autograd.h"
#include "graded.h"
#include "losses.h"
#include "optim.h"

/* ---- 4.2 and 4.3: mse_loss ----------------------------------------------------------------- */

START_TEST(test_mse_reductions) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *input = fixture_tensor(fx, "ex4_2_input"), *target = fixture_tensor(fx, "ex4_2_target");
    const char *reductions[] = {"none", "mean", "sum"};
    for (int i = 0; i < 3; i++) {
        char name[64];
        snprintf(name, sizeof name, "ex4_2_mse_%s", reductions[i]);
        CT_ASSERT_CLOSE(nnf_mse_loss(input, target, reductions[i]), fixture_tensor(fx, name),
                        1e-6, 1e-7);
    }
    /* R's default is "mean" */
    CT_ASSERT_CLOSE(nnf_mse_loss(input, target, NULL), fixture_tensor(fx, "ex4_2_mse_mean"), 1e-6,
                    1e-7);
    fixtures_free(fx);
}
END_TEST

START_TEST(test_mse_backward) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    const char *reductions[] = {"mean", "sum"};
    for (int i = 0; i < 2; i++) {
        Tensor *input = torch_requires_grad_(fixture_tensor(fx, "ex4_2_input"), true);
        torch_backward(nnf_mse_loss(input, fixture_tensor(fx, "ex4_2_target"), reductions[i]));
        char name[64];
        snprintf(name, sizeof name, "ex4_3_grad_%s", reductions[i]);
        ck_assert_msg(torch_grad(input) != NULL, "no gradient for the input (%s)", reductions[i]);
        CT_ASSERT_CLOSE(torch_grad(input), fixture_tensor(fx, name), 1e-6, 1e-7);
    }
    fixtures_free(fx);
}
END_TEST

/* ---- 4.6 and 4.7: log_softmax and nll_loss -------------------------------------------------- */

START_TEST(test_log_softmax) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    CT_ASSERT_CLOSE(nnf_log_softmax(fixture_tensor(fx, "ex4_6_x"), 1),
                    fixture_tensor(fx, "ex4_6_out"), 1e-6, 1e-6);
    /* exp(1000) overflows a float: the max must come out first */
    CT_ASSERT_CLOSE(nnf_log_softmax(fixture_tensor(fx, "ex4_6_big"), 1),
                    fixture_tensor(fx, "ex4_6_big_out"), 1e-6, 1e-6);
    fixtures_free(fx);
}
END_TEST

START_TEST(test_nll_reductions) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *logp = fixture_tensor(fx, "ex4_7_logp"), *target = fixture_tensor(fx, "ex4_7_target");
    const char *reductions[] = {"none", "mean", "sum"};
    for (int i = 0; i < 3; i++) {
        char name[64];
        snprintf(name, sizeof name, "ex4_7_nll_%s", reductions[i]);
        CT_ASSERT_CLOSE(nnf_nll_loss(logp, target, reductions[i]), fixture_tensor(fx, name), 1e-6,
                        1e-7);
    }
    fixtures_free(fx);
}
END_TEST

/* ---- 4.4 and 4.5: optimizers, on sum((p - target)^2) ---------------------------------------- */

/* Takes `steps` steps and compares p after each with row k of the fixture's trajectory. */
static void follow(Fixtures *fx, Optimizer *(*make)(Tensor *p), const char *trajectory,
                   int steps, double rtol) {
    Tensor *p = torch_requires_grad_(fixture_tensor(fx, "ex4_opt_p0"), true);
    Tensor *target = fixture_tensor(fx, "ex4_opt_target");
    Tensor *want = fixture_tensor(fx, trajectory);
    Optimizer *opt = make(p);
    for (int k = 0; k < steps; k++) {
        optim_zero_grad(opt);
        torch_backward(torch_sum(torch_pow(torch_sub(p, target), 2)));
        optim_step(opt);
        Tensor *row = torch_select(want, 0, k);
        for (int64_t i = 0; i < torch_numel(p); i++) {
            float got = tensor_f32(p)[i], expected = tensor_f32(row)[strided_offset(row, i)];
            ck_assert_msg(fabsf(got - expected) <= 1e-6 + rtol * fabsf(expected),
                          "%s: after step %d, element %lld is %.9g; torch.optim has %.9g",
                          trajectory, k + 1, (long long)i, got, expected);
        }
    }
    optim_free(opt);
}

static Tensor *param_list[1];
static ParameterList one(Tensor *p) {
    param_list[0] = p;
    return optim_tensor_list(param_list, 1);
}

static Optimizer *sgd_momentum(Tensor *p) {
    SgdOptions o = SGD_DEFAULTS;
    o.lr = 0.01;
    o.momentum = 0.9;
    return optim_sgd_with(one(p), o);
}

static Optimizer *adam(Tensor *p) { return optim_adam(one(p), 0.05); }

START_TEST(test_sgd_momentum) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    follow(fx, sgd_momentum, "ex4_4_sgd", 5, 1e-5);
    fixtures_free(fx);
}
END_TEST

START_TEST(test_adam) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    follow(fx, adam, "ex4_5_adam", 5, 1e-5);
    fixtures_free(fx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("graded_stage4");
    struct {
        const char *name;
        const TTest *test;
    } cases[] = {{"ex4_2", test_mse_reductions}, {"ex4_3", test_mse_backward},
                 {"ex4_6", test_log_softmax},    {"ex4_7", test_nll_reductions},
                 {"ex4_4", test_sgd_momentum},   {"ex4_5", test_adam}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = graded_tcase(cases[i].name);
        tcase_add_test(tc, cases[i].test);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void) { return ct_run(suite()); }

/*
 * test_graded_stage4.c: the tests you can run for chapter 4's exercises (docs/exercises.md).
 *
 *   ex4_1  the MSE forward: (input - target)^2 with reduction "none", 2-d, 3-d and 0-dim
 *   ex4_2  a loss's reduction: nnf_mse_loss with "none", "mean", "sum" and the default
 *   ex4_3  mse_loss's backward: "mean" and "sum", with gradient 1 and -2.5, "none" with a
 *          gradient tensor; a loss and its backward outside any scope
 *   ex4_4  SGD with momentum: steps as torch.optim.SGD takes them, with dampening and weight
 *          decay too, each step in its own scope (the momentum buffer must outlive it)
 *   ex4_5  Adam: steps as torch.optim.Adam takes them, with weight decay too, each step in
 *          its own scope
 *   ex4_6  log_softmax: logits that would overflow exp, every dim of a 3-d input, negative dims
 *   ex4_7  nll_loss with each reduction, and with ignore_index
 *   ex4_8  the training loop of stage 4: the chapter's program follows PyTorch's losses
 *
 * Golden values: tests/fixtures/grading.txt and stage4_train.txt, from PyTorch. Values are
 * compared within a tolerance that any correct order of operations meets (the messages say
 * so): chapter 4 teaches what each piece computes, not the order of its sums.
 */
#include "autograd.h"
#include "ct_tutorial.h"
#include "graded.h"
#include "losses.h"
#include "optim.h"

#ifndef STAGE4_TRAIN
#error "STAGE4_TRAIN must be defined by the build"
#endif

/* ---- 4.1 the MSE forward ------------------------------------------------------------------- */

START_TEST(test_mse_forward) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    const char *cases[] = {"m", "c", "s"}; /* (4, 3), (2, 3, 4), 0-dim */
    for (int i = 0; i < 3; i++) {
        char input[32], target[32], out[32];
        snprintf(input, sizeof input, "ex4_1_%s_input", cases[i]);
        snprintf(target, sizeof target, "ex4_1_%s_target", cases[i]);
        snprintf(out, sizeof out, "ex4_1_%s_out", cases[i]);
        Tensor *loss = nnf_mse_loss(fixture_tensor(fx, input), fixture_tensor(fx, target), "none");
        GRADED_ASSERT_CLOSE_TOL(loss, fixture_tensor(fx, out), 1e-6, 0);
    }
    Tensor *input = torch_requires_grad_(fixture_tensor(fx, "ex4_1_m_input"), true);
    Tensor *loss = nnf_mse_loss(input, fixture_tensor(fx, "ex4_1_m_target"), "none");
    ck_assert_msg(torch_grad_fn(loss) != NULL, "the loss has no grad_fn");
    ck_assert_str_eq(grad_fn_name(torch_grad_fn(loss)), "MseLossBackward0");
    fixtures_free(fx);
}
END_TEST

/* ---- 4.2 and 4.3: mse_loss ----------------------------------------------------------------- */

START_TEST(test_mse_reductions) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *input = fixture_tensor(fx, "ex4_2_input"), *target = fixture_tensor(fx, "ex4_2_target");
    const char *reductions[] = {"none", "mean", "sum"};
    for (int i = 0; i < 3; i++) {
        char name[64];
        snprintf(name, sizeof name, "ex4_2_mse_%s", reductions[i]);
        GRADED_ASSERT_CLOSE_TOL(nnf_mse_loss(input, target, reductions[i]), fixture_tensor(fx, name),
                            1e-6, 1e-7);
    }
    /* R's default is "mean" */
    GRADED_ASSERT_CLOSE_TOL(nnf_mse_loss(input, target, NULL), fixture_tensor(fx, "ex4_2_mse_mean"),
                        1e-6, 1e-7);
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
        GRADED_ASSERT_CLOSE_TOL(torch_grad(input), fixture_tensor(fx, name), 1e-6, 1e-7);
    }
    fixtures_free(fx);
}
END_TEST

/* The backward must multiply by the gradient it receives: r (4, 3) for "none", and a 0-dim
 * -2.5 for "mean" and "sum" (a loss scaled by -2.5). */
START_TEST(test_mse_backward_given_gradient) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    Tensor *input = torch_requires_grad_(fixture_tensor(fx, "ex4_2_input"), true);
    Tensor *target = torch_requires_grad_(fixture_tensor(fx, "ex4_2_target"), true);
    torch_backward_with(nnf_mse_loss(input, target, "none"), fixture_tensor(fx, "ex4_3_r"), false);
    GRADED_ASSERT_CLOSE_TOL(torch_grad(input), fixture_tensor(fx, "ex4_3_grad_none_r"), 1e-6, 1e-7);
    GRADED_ASSERT_CLOSE_TOL(torch_grad(target), fixture_tensor(fx, "ex4_3_grad_target_none_r"), 1e-6,
                        1e-7);
    const char *reductions[] = {"mean", "sum"};
    for (int i = 0; i < 2; i++) {
        Tensor *in = torch_requires_grad_(fixture_tensor(fx, "ex4_2_input"), true);
        Tensor *loss = nnf_mse_loss(in, fixture_tensor(fx, "ex4_2_target"), reductions[i]);
        torch_backward_with(loss, torch_scalar(-2.5f), false);
        char name[64];
        snprintf(name, sizeof name, "ex4_3_grad_%s_g", reductions[i]);
        GRADED_ASSERT_CLOSE_TOL(torch_grad(in), fixture_tensor(fx, name), 1e-6, 1e-7);
    }
    fixtures_free(fx);
}
END_TEST

/* A loss and its backward as a learner's program computes them, outside any scope. */
static void mse_outside_scope(void *ctx) {
    Fixtures *fx = ctx;
    Tensor *input = torch_requires_grad_(fixture_tensor(fx, "ex4_2_input"), true);
    Tensor *target = fixture_tensor(fx, "ex4_2_target");
    Tensor *loss = nnf_mse_loss(input, target, "sum");
    GRADED_ASSERT_CLOSE_TOL(loss, fixture_tensor(fx, "ex4_2_mse_sum"), 1e-6, 1e-7);
    torch_backward(loss); /* stops if a tensor the node saved was released */
    GRADED_ASSERT_CLOSE_TOL(torch_grad(input), fixture_tensor(fx, "ex4_3_grad_sum"), 1e-6, 1e-7);
    torch_free(loss);
    torch_free(target);
    torch_free(input);
}

START_TEST(test_mse_outside_any_scope) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    ct_outside_any_scope(mse_outside_scope, fx);
    fixtures_free(fx);
}
END_TEST

/* ---- 4.6 and 4.7: log_softmax and nll_loss -------------------------------------------------- */

START_TEST(test_log_softmax) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    GRADED_ASSERT_CLOSE_TOL(nnf_log_softmax(fixture_tensor(fx, "ex4_6_x"), 1),
                        fixture_tensor(fx, "ex4_6_out"), 1e-6, 1e-6);
    /* exp(1000) overflows a float: the max must come out first */
    GRADED_ASSERT_CLOSE_TOL(nnf_log_softmax(fixture_tensor(fx, "ex4_6_big"), 1),
                        fixture_tensor(fx, "ex4_6_big_out"), 1e-6, 1e-6);
    /* every dim of a 3-d input, each also by its negative number */
    Tensor *y = fixture_tensor(fx, "ex4_6_y");
    for (int dim = 0; dim < 3; dim++) {
        char name[32];
        snprintf(name, sizeof name, "ex4_6_y_dim%d", dim);
        GRADED_ASSERT_CLOSE_TOL(nnf_log_softmax(y, dim), fixture_tensor(fx, name), 1e-6, 1e-6);
        GRADED_ASSERT_CLOSE_TOL(nnf_log_softmax(y, dim - 3), fixture_tensor(fx, name), 1e-6, 1e-6);
    }
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
        GRADED_ASSERT_CLOSE_TOL(nnf_nll_loss(logp, target, reductions[i]), fixture_tensor(fx, name),
                            1e-6, 1e-7);
        /* rows whose target is 3 count for nothing, and "mean" divides by the rows kept */
        snprintf(name, sizeof name, "ex4_7_ignore3_%s", reductions[i]);
        GRADED_ASSERT_CLOSE_TOL(nnf_nll_loss_ignore_index(logp, target, 3, reductions[i]),
                            fixture_tensor(fx, name), 1e-6, 1e-7);
    }
    fixtures_free(fx);
}
END_TEST

/* ---- 4.4 and 4.5: optimizers, on sum((p - target)^2) ---------------------------------------- */

/* One optimizer run: `steps` steps from ex4_opt_p0, p after each compared with row k of the
 * fixture's trajectory. */
typedef struct Run {
    Fixtures *fx;
    Optimizer *(*make)(Tensor *p);
    const char *trajectory;
    int steps;
} Run;

/* As a learner's program runs it: the parameter and the optimizer made outside any scope, each
 * step in a scope of its own, so that state an optimizer forgot to keep (torch_keep) is gone
 * at the next step. Within 1e-6 + 1e-5 * |torch's value|: torch fuses some multiply-adds. */
static void follow_outside_scope(void *ctx) {
    const Run *run = ctx;
    Tensor *p = torch_requires_grad_(fixture_tensor(run->fx, "ex4_opt_p0"), true);
    Tensor *target = fixture_tensor(run->fx, "ex4_opt_target");
    Tensor *want = fixture_tensor(run->fx, run->trajectory);
    Optimizer *opt = run->make(p);
    for (int k = 0; k < run->steps; k++) {
        torch_scope_begin();
        optim_zero_grad(opt);
        torch_backward(torch_sum(torch_pow(torch_sub(p, target), 2)));
        optim_step(opt);
        Tensor *row = torch_select(want, 0, k);
        for (int64_t i = 0; i < torch_numel(p); i++) {
            float got = tensor_f32(p)[i], expected = tensor_f32(row)[strided_offset(row, i)];
            ck_assert_msg(fabsf(got - expected) <= 1e-6 + 1e-5 * fabsf(expected),
                          "%s: after step %d, element %lld is %.9g; torch.optim has %.9g "
                          "(any correct order of operations is within 1e-5 of it)",
                          run->trajectory, k + 1, (long long)i, got, expected);
        }
        torch_scope_end();
    }
    optim_free(opt);
    torch_free(want);
    torch_free(target);
    torch_free(p);
}

static void follow(Fixtures *fx, Optimizer *(*make)(Tensor *p), const char *trajectory, int steps) {
    Run run = {fx, make, trajectory, steps};
    ct_outside_any_scope(follow_outside_scope, &run);
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

static Optimizer *sgd_dampening(Tensor *p) {
    SgdOptions o = SGD_DEFAULTS;
    o.lr = 0.01;
    o.momentum = 0.9;
    o.dampening = 0.3;
    o.weight_decay = 0.2;
    return optim_sgd_with(one(p), o);
}

static Optimizer *adam(Tensor *p) { return optim_adam(one(p), 0.05); }

static Optimizer *adam_weight_decay(Tensor *p) {
    AdamOptions o = ADAM_DEFAULTS;
    o.lr = 0.05;
    o.betas[0] = 0.8;
    o.betas[1] = 0.99;
    o.weight_decay = 0.3;
    return optim_adam_with(one(p), o);
}

START_TEST(test_sgd_momentum) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    follow(fx, sgd_momentum, "ex4_4_sgd", 5);
    follow(fx, sgd_dampening, "ex4_4_sgd_dampening", 6); /* dampening and weight decay */
    fixtures_free(fx);
}
END_TEST

START_TEST(test_adam) {
    Fixtures *fx = fixtures_load(GRADED_FIXTURES);
    follow(fx, adam, "ex4_5_adam", 5);
    follow(fx, adam_weight_decay, "ex4_5_adam_weight_decay", 6); /* other betas, weight decay */
    fixtures_free(fx);
}
END_TEST

/* ---- 4.8 the training loop of stage 4 -------------------------------------------------------- */

/* The chapter's program (Adam, lr 0.08) against PyTorch's losses over 50 epochs: within 1e-4,
 * as the stage's own tests allow (tests/stages/test_stage4.c). */
START_TEST(test_stage4_follows_pytorch) {
    ct_program_follows_pytorch(STAGE4_TRAIN, "--seed 1 --epochs 50 --every 0",
                               "graded_stage4_seed1.csv", "stage4_train.txt", "adam_seed1_loss",
                               50, 1e-4, 1);
}
END_TEST

static Suite *suite(void) {
    const GradedCase cases[] = {
        {"ex4_1", {test_mse_forward}},
        {"ex4_2", {test_mse_reductions}},
        {"ex4_3",
         {test_mse_backward, test_mse_backward_given_gradient, test_mse_outside_any_scope}},
        {"ex4_4", {test_sgd_momentum}},
        {"ex4_5", {test_adam}},
        {"ex4_6", {test_log_softmax}},
        {"ex4_7", {test_nll_reductions}},
        {"ex4_8", {test_stage4_follows_pytorch}},
    };
    return graded_suite("graded_stage4", cases, sizeof cases / sizeof cases[0]);
}

int main(void) { return ct_run(suite()); }

/*
 * test_hidden_stage4.c: the hidden tests of chapter 4's exercises (instructors only).
 *
 *   ex4_1  the MSE forward on a row, a 5-d input, equal inputs and values whose square is large
 *   ex4_2  l1_loss and kl_div (batchmean too) with each reduction; a 0-dim mse_loss
 *   ex4_3  reduction "none" with a given gradient; the target's gradient
 *   ex4_6  log_softmax over dim 0, over the middle dim of a 3-d input, with -inf logits
 *   ex4_7  ignore_index; every row ignored ("mean" is NaN, as in torch); cross_entropy
 *   ex4_4  SGD: dampening, nesterov, weight decay with momentum; 20 steps each
 *   ex4_5  Adam: other betas and eps, amsgrad, weight decay; 30 steps each
 *   ex4_8  the chapter's program with seed 42 against PyTorch's losses
 *
 * Golden values: tests/hidden/hidden.txt (tools/gen_grading_fixtures.py) and
 * tests/fixtures/stage4_train.txt.
 */
#include "autograd.h"
#include "ct_tutorial.h"
#include "graded.h"
#include "losses.h"
#include "optim.h"

#ifndef STAGE4_TRAIN
#error "STAGE4_TRAIN must be defined by the build"
#endif

#define HIDDEN_FIXTURES "../hidden/hidden.txt"

/* ---- 4.1 ----------------------------------------------------------------------------------- */

START_TEST(test_mse_forward_more_shapes) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    const char *cases[] = {"row", "five", "same", "large"};
    for (int i = 0; i < 4; i++) {
        char input[32], target[32], out[32];
        snprintf(input, sizeof input, "ex4_1_%s_input", cases[i]);
        snprintf(target, sizeof target, "ex4_1_%s_target", cases[i]);
        snprintf(out, sizeof out, "ex4_1_%s_out", cases[i]);
        GRADED_ASSERT_CLOSE_TOL(
            nnf_mse_loss(fixture_tensor(fx, input), fixture_tensor(fx, target), "none"),
            fixture_tensor(fx, out), 1e-6, 0);
    }
    fixtures_free(fx);
}
END_TEST

/* ---- 4.2 ----------------------------------------------------------------------------------- */

START_TEST(test_other_losses_reductions) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *input = fixture_tensor(fx, "ex4_2_input"), *target = fixture_tensor(fx, "ex4_2_target");
    Tensor *logq = fixture_tensor(fx, "ex4_2_logq"), *p = fixture_tensor(fx, "ex4_2_p");
    const char *reductions[] = {"none", "mean", "sum"};
    for (int i = 0; i < 3; i++) {
        char name[64];
        snprintf(name, sizeof name, "ex4_2_l1_%s", reductions[i]);
        GRADED_ASSERT_CLOSE_TOL(nnf_l1_loss(input, target, reductions[i]), fixture_tensor(fx, name),
                            1e-6, 1e-7);
        snprintf(name, sizeof name, "ex4_2_kl_%s", reductions[i]);
        GRADED_ASSERT_CLOSE_TOL(nnf_kl_div(logq, p, reductions[i]), fixture_tensor(fx, name), 1e-5,
                            1e-7);
    }
    GRADED_ASSERT_CLOSE_TOL(nnf_kl_div(logq, p, "batchmean"), fixture_tensor(fx, "ex4_2_kl_batchmean"),
                        1e-5, 1e-7);
    GRADED_ASSERT_CLOSE_TOL(nnf_mse_loss(torch_scalar(1.5f), torch_scalar(-0.25f), "mean"),
                        fixture_tensor(fx, "ex4_2_mse0_mean"), 1e-6, 0);
    fixtures_free(fx);
}
END_TEST

/* ---- 4.3 ----------------------------------------------------------------------------------- */

START_TEST(test_mse_backward_none_and_target) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *input = torch_requires_grad_(fixture_tensor(fx, "ex4_3_input"), true);
    Tensor *target = torch_requires_grad_(fixture_tensor(fx, "ex4_3_target"), true);
    torch_backward_with(nnf_mse_loss(input, target, "none"), fixture_tensor(fx, "ex4_3_r"), false);
    GRADED_ASSERT_CLOSE_TOL(torch_grad(input), fixture_tensor(fx, "ex4_3_grad_input_none"), 1e-6, 1e-7);
    GRADED_ASSERT_CLOSE_TOL(torch_grad(target), fixture_tensor(fx, "ex4_3_grad_target_none"), 1e-6,
                        1e-7);
    Tensor *input2 = torch_requires_grad_(fixture_tensor(fx, "ex4_3_input"), true);
    Tensor *target2 = torch_requires_grad_(fixture_tensor(fx, "ex4_3_target"), true);
    torch_backward(nnf_mse_loss(input2, target2, "mean"));
    GRADED_ASSERT_CLOSE_TOL(torch_grad(input2), fixture_tensor(fx, "ex4_3_grad_input_mean"), 1e-6,
                        1e-7);
    GRADED_ASSERT_CLOSE_TOL(torch_grad(target2), fixture_tensor(fx, "ex4_3_grad_target_mean"), 1e-6,
                        1e-7);
    /* a target that does not require grad gets none */
    Tensor *input3 = torch_requires_grad_(fixture_tensor(fx, "ex4_3_input"), true);
    Tensor *target3 = fixture_tensor(fx, "ex4_3_target");
    torch_backward(nnf_mse_loss(input3, target3, "sum"));
    ck_assert(torch_grad(target3) == NULL);
    fixtures_free(fx);
}
END_TEST

/* ---- 4.6 ----------------------------------------------------------------------------------- */

START_TEST(test_log_softmax_dims) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    GRADED_ASSERT_CLOSE_TOL(nnf_log_softmax(fixture_tensor(fx, "ex4_6_x"), 0),
                        fixture_tensor(fx, "ex4_6_x_dim0"), 1e-6, 1e-6);
    GRADED_ASSERT_CLOSE_TOL(nnf_log_softmax(fixture_tensor(fx, "ex4_6_y"), 1),
                        fixture_tensor(fx, "ex4_6_y_dim1"), 1e-6, 1e-6);
    GRADED_ASSERT_CLOSE_TOL(nnf_log_softmax(fixture_tensor(fx, "ex4_6_y"), -2),
                        fixture_tensor(fx, "ex4_6_y_dim1"), 1e-6, 1e-6);
    fixtures_free(fx);
}
END_TEST

START_TEST(test_log_softmax_minus_inf) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *out = nnf_log_softmax(fixture_tensor(fx, "ex4_6_z"), 1);
    Tensor *want = fixture_tensor(fx, "ex4_6_z_out");
    float got[6], expected[6];
    torch_to_array(out, got);
    torch_to_array(want, expected);
    for (int i = 0; i < 6; i++) {
        if (isinf(expected[i])) {
            ck_assert_msg(isinf(got[i]) && got[i] < 0, "element %d: %g, expected -inf", i, got[i]);
            continue;
        }
        ck_assert_msg(fabsf(got[i] - expected[i]) <= 1e-6f * (1 + fabsf(expected[i])),
                      "element %d: %.9g, expected %.9g", i, got[i], expected[i]);
    }
    fixtures_free(fx);
}
END_TEST

/* ---- 4.7 ----------------------------------------------------------------------------------- */

START_TEST(test_nll_ignore_index) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *logp = fixture_tensor(fx, "ex4_7_logp"), *target = fixture_tensor(fx, "ex4_7_target");
    const char *reductions[] = {"none", "mean", "sum"};
    for (int i = 0; i < 3; i++) {
        char name[64];
        snprintf(name, sizeof name, "ex4_7_ignore1_%s", reductions[i]);
        GRADED_ASSERT_CLOSE_TOL(nnf_nll_loss_ignore_index(logp, target, 1, reductions[i]),
                            fixture_tensor(fx, name), 1e-6, 1e-7);
    }
    /* every row ignored: the mean divides 0 by 0 */
    Tensor *all = torch_tensor_i64(SHAPE(4), (int64_t[]){1, 1, 1, 1});
    ck_assert(isnan(torch_item(nnf_nll_loss_ignore_index(logp, all, 1, "mean"))));
    ck_assert(torch_item(nnf_nll_loss_ignore_index(logp, all, 1, "sum")) == 0.0f);
    fixtures_free(fx);
}
END_TEST

START_TEST(test_cross_entropy) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    Tensor *logits = torch_requires_grad_(fixture_tensor(fx, "ex4_7_logits"), true);
    Tensor *loss = nnf_cross_entropy(logits, fixture_tensor(fx, "ex4_7_target"), "mean");
    GRADED_ASSERT_CLOSE_TOL(loss, fixture_tensor(fx, "ex4_7_ce"), 1e-6, 1e-7);
    torch_backward(loss);
    GRADED_ASSERT_CLOSE_TOL(torch_grad(logits), fixture_tensor(fx, "ex4_7_ce_grad"), 1e-5, 1e-7);
    fixtures_free(fx);
}
END_TEST

/* ---- 4.4 and 4.5 ------------------------------------------------------------------------ */

static Tensor *param_list[1];
static ParameterList one(Tensor *p) {
    param_list[0] = p;
    return optim_tensor_list(param_list, 1);
}

/* Steps on sum((p - target)^2), comparing p after each step with the fixture's row. */
static void follow(Fixtures *fx, Optimizer *opt, Tensor *p, const char *trajectory, int steps) {
    Tensor *target = fixture_tensor(fx, "ex4_opt_target");
    Tensor *want = fixture_tensor(fx, trajectory);
    for (int k = 0; k < steps; k++) {
        optim_zero_grad(opt);
        torch_backward(torch_sum(torch_pow(torch_sub(p, target), 2)));
        optim_step(opt);
        Tensor *row = torch_select(want, 0, k);
        for (int64_t i = 0; i < torch_numel(p); i++) {
            float got = tensor_f32(p)[i], expected = tensor_f32(row)[strided_offset(row, i)];
            ck_assert_msg(fabsf(got - expected) <= 1e-6f + 1e-5f * fabsf(expected),
                          "%s: after step %d, element %lld is %.9g; torch.optim has %.9g",
                          trajectory, k + 1, (long long)i, got, expected);
        }
    }
    optim_free(opt);
}

static Tensor *start(Fixtures *fx) {
    return torch_requires_grad_(fixture_tensor(fx, "ex4_opt_p0"), true);
}

START_TEST(test_sgd_variants) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    SgdOptions o = SGD_DEFAULTS;
    o.lr = 0.02;
    o.momentum = 0.8;
    o.dampening = 0.5;
    Tensor *p = start(fx);
    follow(fx, optim_sgd_with(one(p), o), p, "ex4_4_dampening", 20);
    o = SGD_DEFAULTS;
    o.lr = 0.02;
    o.momentum = 0.7;
    o.nesterov = true;
    p = start(fx);
    follow(fx, optim_sgd_with(one(p), o), p, "ex4_4_nesterov", 20);
    o = SGD_DEFAULTS;
    o.lr = 0.02;
    o.momentum = 0.9;
    o.weight_decay = 0.1;
    p = start(fx);
    follow(fx, optim_sgd_with(one(p), o), p, "ex4_4_weight_decay", 20);
    fixtures_free(fx);
}
END_TEST

START_TEST(test_adam_variants) {
    Fixtures *fx = fixtures_load(HIDDEN_FIXTURES);
    AdamOptions o = ADAM_DEFAULTS;
    o.lr = 0.1;
    o.betas[0] = 0.5;
    o.betas[1] = 0.6;
    o.eps = 1e-3;
    Tensor *p = start(fx);
    follow(fx, optim_adam_with(one(p), o), p, "ex4_5_betas", 30);
    o = ADAM_DEFAULTS;
    o.lr = 0.1;
    o.amsgrad = true;
    p = start(fx);
    follow(fx, optim_adam_with(one(p), o), p, "ex4_5_amsgrad", 30);
    o = ADAM_DEFAULTS;
    o.lr = 0.1;
    o.weight_decay = 0.5;
    p = start(fx);
    follow(fx, optim_adam_with(one(p), o), p, "ex4_5_weight_decay", 30);
    fixtures_free(fx);
}
END_TEST

/* ---- 4.8 ----------------------------------------------------------------------------------- */

START_TEST(test_stage4_seed42) {
    ct_program_follows_pytorch(STAGE4_TRAIN, "--seed 42 --epochs 50 --every 0",
                               "hidden_stage4_seed42.csv", "stage4_train.txt", "adam_seed42_loss",
                               50, 1e-4, 42);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("hidden_stage4");
    TCase *tc = graded_tcase("ex4_1");
    tcase_add_test(tc, test_mse_forward_more_shapes);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex4_2");
    tcase_add_test(tc, test_other_losses_reductions);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex4_3");
    tcase_add_test(tc, test_mse_backward_none_and_target);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex4_6");
    tcase_add_test(tc, test_log_softmax_dims);
    tcase_add_test(tc, test_log_softmax_minus_inf);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex4_7");
    tcase_add_test(tc, test_nll_ignore_index);
    tcase_add_test(tc, test_cross_entropy);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex4_4");
    tcase_add_test(tc, test_sgd_variants);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex4_5");
    tcase_add_test(tc, test_adam_variants);
    suite_add_tcase(s, tc);

    tc = graded_tcase("ex4_8");
    tcase_add_test(tc, test_stage4_seed42);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

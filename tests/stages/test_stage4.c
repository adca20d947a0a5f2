/*
 * test_stage4.c: chapter 4's programs (stage4_losses_optim/train and optimizer_demo).
 *
 *   - with --optim sgd --lr 1e-4, stage 4 writes stage 3's CSV byte for byte (two seeds):
 *     nnf_mse_loss and optim_sgd change no arithmetic;
 *   - with its defaults (Adam, lr 0.08, reduction sum) it follows PyTorch's chapter-4 loop
 *     (tests/fixtures/stage4_train.txt) and ends well below the least-squares fit's loss;
 *   - the defaults, --reduction mean, progress lines, bad flags;
 *   - the walkthrough prints PyTorch's parameters before and after the step (two seeds).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "autograd.h"
#include "ct_test.h"
#include "ct_tutorial.h"

#ifndef STAGE3_TRAIN
#error "STAGE3_TRAIN must be defined by the build"
#endif
#ifndef STAGE4_TRAIN
#error "STAGE4_TRAIN must be defined by the build"
#endif
#ifndef STAGE4_DEMO
#error "STAGE4_DEMO must be defined by the build"
#endif

#define EPOCHS 200

/* Runs a training program with flags, silently, writing csv; returns its CSV text. */
static char *run_csv(const char *program, const char *flags, const char *csv) {
    return ct_program_csv(program, flags, csv, NULL, 0);
}

/* ---- the cross-stage contract: stage 4 with SGD is stage 3 ------------------------------- */

static void check_sgd_is_stage3(int seed) {
    char flags[128];
    snprintf(flags, sizeof flags, "--seed %d", seed);
    char *stage3 = run_csv(STAGE3_TRAIN, flags, "s3.csv");
    snprintf(flags, sizeof flags, "--seed %d --optim sgd --lr 1e-4", seed);
    char *stage4 = run_csv(STAGE4_TRAIN, flags, "s4.csv");
    ck_assert_int_eq(strlen(stage4), strlen(stage3));
    ck_assert_msg(strcmp(stage4, stage3) == 0, "seed %d: stage 4 (sgd) differs from stage 3", seed);
    /* --lr's default for sgd is chapter 3's 1e-4 */
    snprintf(flags, sizeof flags, "--seed %d --optim sgd", seed);
    char *defaults = run_csv(STAGE4_TRAIN, flags, "s4d.csv");
    ck_assert_str_eq(defaults, stage3);
    free(stage3);
    free(stage4);
    free(defaults);
}

START_TEST(test_sgd_is_stage3_byte_for_byte_seed1) { check_sgd_is_stage3(1); }
END_TEST

START_TEST(test_sgd_is_stage3_byte_for_byte_seed42) { check_sgd_is_stage3(42); }
END_TEST

/* ---- Adam, the chapter's program, against PyTorch ---------------------------------------- */

static void check_adam_trajectory(int seed) {
    char flags[64], name[64];
    snprintf(flags, sizeof flags, "--seed %d", seed);
    double loss[EPOCHS];
    ct_program_losses(STAGE4_TRAIN, flags, "adam.csv", loss, EPOCHS);
    Fixtures *fx = fixtures_load("stage4_train.txt");
    snprintf(name, sizeof name, "adam_seed%d_loss", seed);
    float want[EPOCHS];
    torch_to_array(fixture_tensor(fx, name), want);
    double worst = 0;
    for (int t = 0; t < 50; t++) {
        double rel = fabs(loss[t] - want[t]) / fabs(want[t]);
        worst = fmax(worst, rel);
        ck_assert_msg(rel <= 1e-4, "seed %d epoch %d: loss %.9g, PyTorch %.9g (relative %.2g)",
                      seed, t + 1, loss[t], want[t], rel);
    }
    snprintf(name, sizeof name, "lstsq_seed%d_loss", seed);
    double lstsq = fixture_scalar(fx, name);
    fprintf(stderr, "# seed %d: Adam vs PyTorch, max relative difference over 50 epochs %.3g; "
                    "final loss %.6g (PyTorch %.6g), least squares %.6g\n",
            seed, worst, loss[EPOCHS - 1], want[EPOCHS - 1], lstsq);
    /* The network fits better than the best straight line: well below its loss. */
    ck_assert_msg(loss[EPOCHS - 1] < 0.75 * lstsq, "seed %d: final loss %.6g, least squares %.6g",
                  seed, loss[EPOCHS - 1], lstsq);
    fixtures_free(fx);
}

START_TEST(test_adam_follows_pytorch_seed1) { check_adam_trajectory(1); }
END_TEST

START_TEST(test_adam_follows_pytorch_seed42) { check_adam_trajectory(42); }
END_TEST

/* Adam's default learning rate is the chapter's 0.08, also when --optim adam names it; --optim
 * adam is the default; --lr overrides the rate an optimizer brings. */
START_TEST(test_adam_defaults) {
    char *defaults = run_csv(STAGE4_TRAIN, "--epochs 20", "d.csv");
    char *explicit = run_csv(STAGE4_TRAIN, "--epochs 20 --optim adam --lr 0.08 --reduction sum",
                             "e.csv");
    ck_assert_str_eq(defaults, explicit);
    char *named = run_csv(STAGE4_TRAIN, "--epochs 20 --optim adam", "n.csv");
    ck_assert_str_eq(defaults, named);
    char *other = run_csv(STAGE4_TRAIN, "--epochs 20 --lr 0.01", "o.csv");
    ck_assert_str_ne(defaults, other);
    char *sgd = run_csv(STAGE4_TRAIN, "--epochs 20 --optim sgd", "s.csv");
    char *sgd_lr = run_csv(STAGE4_TRAIN, "--epochs 20 --lr 2e-4 --optim sgd", "l.csv");
    ck_assert_str_ne(sgd, sgd_lr);
    free(defaults);
    free(explicit);
    free(named);
    free(other);
    free(sgd);
    free(sgd_lr);
}
END_TEST

/* --reduction mean: the first loss (before any update) is the sum's divided by n. */
START_TEST(test_reduction_mean) {
    double sum[EPOCHS], mean[EPOCHS];
    ct_program_losses(STAGE4_TRAIN, "", "sum.csv", sum, EPOCHS);
    ct_program_losses(STAGE4_TRAIN, "--reduction mean", "mean.csv", mean, EPOCHS);
    ck_assert_msg(fabs(mean[0] - sum[0] / 100) <= 1e-6 * mean[0], "mean %.9g, sum / 100 %.9g",
                  mean[0], sum[0] / 100);
    ck_assert(mean[EPOCHS - 1] < mean[0]); /* and it trains */
}
END_TEST

/* Progress lines as R's cat() prints them, every 10 epochs. */
START_TEST(test_progress_lines_as_r_prints_them) {
    ct_check_progress_lines(STAGE4_TRAIN, "progress4.csv");
}
END_TEST

START_TEST(test_bad_flags_exit_2) {
    static const char *const cases[][2] = {
        {"--optim adamw", "%s: --optim must be adam or sgd, got 'adamw' (see --help)\n"},
        {"--reduction none", "%s: --reduction must be sum or mean, got 'none' (see --help)\n"},
        {"--lr -0.1", "%s: --lr needs a positive number, got '-0.1' (see --help)\n"},
        {"--optim", "%s: --optim needs a value (see --help)\n"},
        {"--reduction", "%s: --reduction needs a value (see --help)\n"},
        {"--optim sgd --reduction max", "%s: --reduction must be sum or mean, got 'max' (see "
                                        "--help)\n"},
        {"--momentum 0.9", "%s: unknown flag '--momentum' (see --help)\n"},
    };
    ct_check_bad_flags(STAGE4_TRAIN, "stage4_losses_optim/train", cases,
                       sizeof cases / sizeof cases[0]);
}
END_TEST

START_TEST(test_help_lists_optim_flags) {
    char cmd[512], *out;
    snprintf(cmd, sizeof cmd, "%s --help", STAGE4_TRAIN);
    ck_assert_int_eq(ct_system(cmd, &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: stage4_losses_optim/train [--seed S]"));
    ck_assert_ptr_nonnull(strstr(out, "[--optim adam|sgd] [--reduction sum|mean]"));
    free(out);
}
END_TEST

/* SGD with a learning rate far too large: the loss overflows, and the run stops with status 1
 * as in every stage. */
START_TEST(test_diverging_loss_stops_with_1) {
    char cmd[512], *out;
    snprintf(cmd, sizeof cmd, "%s --optim sgd --lr 1 2>&1 >/dev/null", STAGE4_TRAIN);
    ck_assert_int_eq(ct_system(cmd, &out), 1);
    ck_assert_msg(strstr(out, "stage4_losses_optim/train: the loss became ") == out,
                  "unexpected message: %s", out);
    free(out);
}
END_TEST

/* ---- the walkthrough --------------------------------------------------------------------- */

static void print_tensor(void *t) { torch_print((Tensor *)t); }

/* R's print(model$parameters) of weight and bias with PyTorch's values. */
static char *parameters_text(Fixtures *fx, int seed, const char *when, const char *prefix) {
    char key[64];
    snprintf(key, sizeof key, "demo_seed%d_weight_%s", seed, when);
    Tensor *w = torch_requires_grad_(fixture_tensor(fx, key), true);
    snprintf(key, sizeof key, "demo_seed%d_bias_%s", seed, when);
    Tensor *b = torch_requires_grad_(fixture_tensor(fx, key), true);
    char *tw = ct_capture_stdout(print_tensor, w), *tb = ct_capture_stdout(print_tensor, b);
    size_t len = strlen(tw) + strlen(tb) + 64;
    char *text = malloc(len);
    snprintf(text, len, "%s$weight\n%s\n%s$bias\n%s\n", prefix, tw, prefix, tb);
    free(tw);
    free(tb);
    return text;
}

static int count(const char *haystack, const char *needle) {
    int n = 0;
    for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

static void check_demo(int seed) {
    char cmd[512], *out;
    snprintf(cmd, sizeof cmd, "%s --seed %d", STAGE4_DEMO, seed);
    ck_assert_int_eq(ct_system(cmd, &out), 0);
    Fixtures *fx = fixtures_load("stage4_train.txt");

    /* nnf_mse_loss(x, y) and loss(x, y) print PyTorch's value, the same twice */
    char key[64];
    snprintf(key, sizeof key, "demo_seed%d_mse", seed);
    char *mse = ct_capture_stdout(print_tensor, fixture_tensor(fx, key));
    char want[256];
    snprintf(want, sizeof want, "> nnf_mse_loss(x, y)\n%s> loss <- nn_mse_loss()\n"
                                "> loss(x, y)\n%s",
             mse, mse);
    ck_assert_msg(strstr(out, want), "the two mse values are not PyTorch's %s in:\n%s", mse, out);

    /* the parameters: unchanged three times before the step, moved twice after it */
    char *step = strstr(out, "> optimizer$step()\nNULL\n");
    ck_assert_ptr_nonnull(step);
    *step = '\0';
    const char *after_step = step + 1;
    char *before = parameters_text(fx, seed, "before", "");
    char *group = parameters_text(fx, seed, "before", "$params");
    char *after = parameters_text(fx, seed, "after", "");
    ck_assert_msg(count(out, before) == 3, "seed %d: PyTorch's initial parameters\n%s\nare not "
                  "printed 3 times before the step in:\n%s", seed, before, out);
    ck_assert_int_eq(count(out, group), 1);
    ck_assert_int_eq(count(after_step, after), 2);
    ck_assert_ptr_nonnull(strstr(out, "> optimizer\n<optim_adam>\n  Inherits from: "
                                      "<torch_optimizer>\n"));
    ck_assert_ptr_nonnull(strstr(out, "$lr\n[1] 0.01\n\n$betas\n[1] 0.900 0.999\n"));
    free(before);
    free(group);
    free(after);
    free(mse);
    free(out);
    fixtures_free(fx);
}

START_TEST(test_demo_prints_pytorchs_values_seed1) { check_demo(1); }
END_TEST

START_TEST(test_demo_prints_pytorchs_values_seed42) { check_demo(42); }
END_TEST

START_TEST(test_demo_bad_flags_exit_2) {
    static const char *const cases[][2] = {
        {"--epochs 3", "%s: unknown flag '--epochs' (see --help)\n"},
        {"--seed x", "%s: --seed needs a 64-bit integer, got 'x' (see --help)\n"},
    };
    ct_check_bad_flags(STAGE4_DEMO, "stage4_losses_optim/optimizer_demo", cases,
                       sizeof cases / sizeof cases[0]);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("stage4");
    TCase *tc = ct_tcase("stage4");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_sgd_is_stage3_byte_for_byte_seed1);
    tcase_add_test(tc, test_sgd_is_stage3_byte_for_byte_seed42);
    tcase_add_test(tc, test_adam_follows_pytorch_seed1);
    tcase_add_test(tc, test_adam_follows_pytorch_seed42);
    tcase_add_test(tc, test_adam_defaults);
    tcase_add_test(tc, test_reduction_mean);
    tcase_add_test(tc, test_progress_lines_as_r_prints_them);
    tcase_add_test(tc, test_bad_flags_exit_2);
    tcase_add_test(tc, test_help_lists_optim_flags);
    tcase_add_test(tc, test_diverging_loss_stops_with_1);
    tcase_add_test(tc, test_demo_prints_pytorchs_values_seed1);
    tcase_add_test(tc, test_demo_prints_pytorchs_values_seed42);
    tcase_add_test(tc, test_demo_bad_flags_exit_2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

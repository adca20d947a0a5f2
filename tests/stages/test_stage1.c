/* test_stage1.c: chapter 1's program against PyTorch, and its command line. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ct_test.h"
#include "rformat.h"

#ifndef STAGE1_TRAIN
#error "STAGE1_TRAIN must be defined by the build"
#endif

/* The data lines of train.c: they must draw exactly what PyTorch draws. */
START_TEST(test_data_matches_pytorch) {
    Fixtures *fx = fixtures_load("train.txt");
    torch_manual_seed(1);
    Tensor *x = torch_randn(SHAPE(100, 3));
    Tensor *y = torch_add(torch_sub(torch_sub(torch_mul_scalar(torch_narrow(x, 1, 0, 1), 0.2f),
                                              torch_mul_scalar(torch_narrow(x, 1, 1, 1), 1.3f)),
                                    torch_mul_scalar(torch_narrow(x, 1, 2, 1), 0.5f)),
                          torch_randn(SHAPE(100, 1)));
    CT_ASSERT_BITS_EQ(x, fixture_tensor(fx, "seed1_x"));
    CT_ASSERT_BITS_EQ(y, fixture_tensor(fx, "seed1_y"));
    fixtures_free(fx);
}
END_TEST

static void check_trajectory(int seed) {
    char cmd[512], csv[64], name[64];
    snprintf(csv, sizeof csv, "stage1_seed%d.csv", seed);
    snprintf(cmd, sizeof cmd, "%s --seed %d --every 0 --csv %s", STAGE1_TRAIN, seed, csv);
    ck_assert_int_eq(ct_system(cmd, NULL), 0);
    double loss[200];
    ck_assert_int_eq(ct_read_loss_csv(csv, loss, 200), 200);
    remove(csv);

    Fixtures *fx = fixtures_load("train.txt");
    snprintf(name, sizeof name, "stage1_seed%d_loss", seed);
    float want[200];
    torch_to_array(fixture_tensor(fx, name), want);
    for (int t = 0; t < 200; t++)
        ck_assert_msg(fabs(loss[t] - want[t]) <= 1e-5 * fabs(want[t]),
                      "seed %d epoch %d: loss %.9g, PyTorch %.9g (relative difference %.2g)",
                      seed, t + 1, loss[t], want[t], fabs(loss[t] - want[t]) / fabs(want[t]));
    fixtures_free(fx);
}

START_TEST(test_trajectory_seed1_matches_pytorch) { check_trajectory(1); }
END_TEST

START_TEST(test_trajectory_seed42_matches_pytorch) { check_trajectory(42); }
END_TEST

/* Progress lines are R's: cat("Epoch: ", t, "   Loss: ", loss, "\n"), every 10 epochs. */
START_TEST(test_progress_lines_as_r_prints_them) {
    char cmd[512], *out;
    snprintf(cmd, sizeof cmd, "%s --epochs 30 --csv progress.csv", STAGE1_TRAIN);
    ck_assert_int_eq(ct_system(cmd, &out), 0);
    double loss[30];
    ck_assert_int_eq(ct_read_loss_csv("progress.csv", loss, 30), 30);
    remove("progress.csv");
    char want[512] = "", num[64], line[128];
    for (int t = 10; t <= 30; t += 10) {
        snprintf(line, sizeof line, "Epoch:  %d    Loss:  %s \n", t,
                 r_format_double(loss[t - 1], num, sizeof num));
        strcat(want, line);
    }
    ck_assert_str_eq(out, want);
    free(out);
}
END_TEST

START_TEST(test_every_zero_is_silent) {
    char cmd[512], *out;
    snprintf(cmd, sizeof cmd, "%s --epochs 20 --every 0", STAGE1_TRAIN);
    ck_assert_int_eq(ct_system(cmd, &out), 0);
    ck_assert_str_eq(out, "");
    free(out);
}
END_TEST

/* Each bad flag: exit status 2 and one line naming the problem. */
START_TEST(test_bad_flags_exit_2) {
    const char *cases[][2] = {
        {"--bogus 1", "stage1_tensors/train: unknown flag '--bogus' (see --help)\n"},
        {"--epochs", "stage1_tensors/train: --epochs needs a value (see --help)\n"},
        {"--epochs 0", "stage1_tensors/train: --epochs needs a whole number from 1 to "
                       "1000000000, got '0' (see --help)\n"},
        {"--epochs ten", "stage1_tensors/train: --epochs needs a whole number from 1 to "
                         "1000000000, got 'ten' (see --help)\n"},
        {"--lr -1", "stage1_tensors/train: --lr needs a positive number, got '-1' (see --help)\n"},
        {"--lr nan", "stage1_tensors/train: --lr needs a positive number, got 'nan' (see --help)\n"},
        {"--seed x1", "stage1_tensors/train: --seed needs a 64-bit integer, got 'x1' (see --help)\n"},
        {"--d-in 2", "stage1_tensors/train: --d-in needs a whole number >= 3, got '2' (see --help)\n"},
        {"--n 0", "stage1_tensors/train: --n needs a whole number >= 1, got '0' (see --help)\n"},
        {"--hidden -4", "stage1_tensors/train: --hidden needs a whole number >= 1, got '-4' (see "
                        "--help)\n"},
        {"--every -1", "stage1_tensors/train: --every needs a whole number from 0 to 1000000000, "
                       "got '-1' (see --help)\n"},
        {"--threads 0", "stage1_tensors/train: --threads needs a whole number from 1 to 1024, got "
                        "'0' (see --help)\n"},
        {"--optim sgd", "stage1_tensors/train: unknown flag '--optim' (see --help)\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char cmd[512], *out;
        snprintf(cmd, sizeof cmd, "%s %s 2>&1 >/dev/null", STAGE1_TRAIN, cases[i][0]);
        int status = ct_system(cmd, &out);
        ck_assert_msg(status == 2, "%s: exit status %d, expected 2", cases[i][0], status);
        ck_assert_str_eq(out, cases[i][1]);
        free(out);
    }
}
END_TEST

START_TEST(test_help_exits_0) {
    char cmd[512], *out;
    snprintf(cmd, sizeof cmd, "%s --help", STAGE1_TRAIN);
    ck_assert_int_eq(ct_system(cmd, &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: stage1_tensors/train [--seed S]"));
    free(out);
}
END_TEST

/* A learning rate far too large: the loss overflows, the run stops with status 1 and says
 * when, and no CSV is left half-written. */
START_TEST(test_diverging_loss_stops_with_1) {
    char cmd[512], *out;
    snprintf(cmd, sizeof cmd, "%s --lr 1 --csv diverged.csv 2>&1 >/dev/null", STAGE1_TRAIN);
    ck_assert_int_eq(ct_system(cmd, &out), 1);
    ck_assert_msg(strstr(out, "stage1_tensors/train: the loss became ") == out &&
                      strstr(out, " at epoch ") && strstr(out, "; try a smaller --lr\n"),
                  "unexpected message: %s", out);
    free(out);
    ck_assert_ptr_null(fopen("diverged.csv", "r"));
    ck_assert_ptr_null(fopen("diverged.csv.tmp", "r"));
}
END_TEST

START_TEST(test_unwritable_csv_is_named) {
    char cmd[512], *out;
    snprintf(cmd, sizeof cmd, "%s --csv /nonexistent-dir/loss.csv 2>&1 >/dev/null", STAGE1_TRAIN);
    ck_assert_int_eq(ct_system(cmd, &out), 1);
    ck_assert_str_eq(out, "stage1_tensors/train: cannot write --csv /nonexistent-dir/loss.csv: No "
                          "such file or directory\n");
    free(out);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("stage1");
    TCase *tc = ct_tcase("stage1");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_data_matches_pytorch);
    tcase_add_test(tc, test_trajectory_seed1_matches_pytorch);
    tcase_add_test(tc, test_trajectory_seed42_matches_pytorch);
    tcase_add_test(tc, test_progress_lines_as_r_prints_them);
    tcase_add_test(tc, test_every_zero_is_silent);
    tcase_add_test(tc, test_bad_flags_exit_2);
    tcase_add_test(tc, test_help_exits_0);
    tcase_add_test(tc, test_diverging_loss_stops_with_1);
    tcase_add_test(tc, test_unwritable_csv_is_named);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

/* test_stage1.c: chapter 1's program against PyTorch, and its command line. */
#include <stdlib.h>
#include <string.h>

#include "ct_test.h"
#include "ct_tutorial.h"

#ifndef STAGE1_TRAIN
#error "STAGE1_TRAIN must be defined by the build"
#endif

/* The data lines of train.c: they must draw exactly what PyTorch draws. */
START_TEST(test_data_matches_pytorch) {
    Fixtures *fx = fixtures_load("train.txt");
    Tensor *x, *y;
    ct_tutorial_data(1, 100, 3, &x, &y);
    CT_ASSERT_BITS_EQ(x, fixture_tensor(fx, "seed1_x"));
    CT_ASSERT_BITS_EQ(y, fixture_tensor(fx, "seed1_y"));
    fixtures_free(fx);
}
END_TEST

static void check_trajectory(int seed) {
    char flags[64], csv[64], name[64];
    snprintf(csv, sizeof csv, "stage1_seed%d.csv", seed);
    snprintf(flags, sizeof flags, "--seed %d", seed);
    double loss[200];
    ct_program_losses(STAGE1_TRAIN, flags, csv, loss, 200);

    Fixtures *fx = fixtures_load("train.txt");
    snprintf(name, sizeof name, "stage1_seed%d_loss", seed);
    float want[200];
    torch_to_array(fixture_tensor(fx, name), want);
    ct_assert_near_pytorch(loss, want, 200, 1e-5, seed);
    fixtures_free(fx);
}

START_TEST(test_trajectory_seed1_matches_pytorch) { check_trajectory(1); }
END_TEST

START_TEST(test_trajectory_seed42_matches_pytorch) { check_trajectory(42); }
END_TEST

/* Progress lines are R's: cat("Epoch: ", t, "   Loss: ", loss, "\n"), every 10 epochs. */
START_TEST(test_progress_lines_as_r_prints_them) {
    ct_check_progress_lines(STAGE1_TRAIN, "progress.csv");
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

/* Each bad flag: exit status 2 and one line naming the problem (the list of stages 1 to 3). */
START_TEST(test_bad_flags_exit_2) {
    ct_check_common_bad_flags(STAGE1_TRAIN, "stage1_tensors/train");
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

/*
 * test_programs.c: the stage programs misused, and their determinism.
 *
 *   - every bad flag stops stages 2 and 3 with status 2 and one line (the list is
 *     ct_check_common_bad_flags's, which tests/stages/test_stage1.c runs on stage 1);
 *   - a program names itself by its path from its directory on, whatever it is called;
 *   - a --csv path that cannot be written is named, with status 1, and leaves nothing behind,
 *     nor does a flag the program does not read (status 2);
 *   - a loss that overflows stops the run with status 1 and the epoch it happened at;
 *   - the same seed gives the same CSV bytes with 1 and 2 threads, and run after run, for
 *     every stage; for stage 1 also at a size where the matrix products run on threads.
 * Adding stage 4: a row in `programs` (and its path from tests/misuse/meson.build).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ct_test.h"
#include "ct_tutorial.h"

#if !defined(STAGE1_TRAIN) || !defined(STAGE2_TRAIN) || !defined(STAGE3_TRAIN)
#error "STAGE1_TRAIN, STAGE2_TRAIN and STAGE3_TRAIN must be defined by the build"
#endif

typedef struct Program {
    const char *name; /* as it names itself in messages: its path from its directory on */
    const char *path;
} Program;

static const Program programs[] = {
    {"stage1_tensors/train", STAGE1_TRAIN},
    {"stage2_autograd/train", STAGE2_TRAIN},
    {"stage3_modules/train", STAGE3_TRAIN},
};
#define N_PROGRAMS ((int)(sizeof programs / sizeof programs[0]))

/* Runs `path args` with stdout dropped; returns the status and stderr in *err. */
static int run_stderr(const Program *p, const char *args, char **err) {
    char command[1024];
    snprintf(command, sizeof command, "%s %s 2>&1 >/dev/null", p->path, args);
    return ct_system(command, err);
}

static bool exists(const char *path) { return access(path, F_OK) == 0; }

/* The whole file, malloc'ed (NULL if it cannot be read); *len gets its size. */
static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    while ((got = fread(buf + n, 1, cap - n, f)) > 0)
        if ((n += got) == cap) buf = realloc(buf, cap *= 2);
    fclose(f);
    *len = n;
    return buf;
}

/* ---- bad flags -------------------------------------------------------------------------- */

/* Each bad flag: exit status 2 and one line naming the problem (loop index: the program). */
START_TEST(test_bad_flags_exit_2) {
    ct_check_common_bad_flags(programs[_i].path, programs[_i].name);
}
END_TEST

/* The name in messages is argv[0] from its directory on: a program run under another path
 * names itself by that one. */
START_TEST(test_name_comes_from_argv0) {
    char *err;
    mkdir("misuse_renamed", 0755);
    remove("misuse_renamed/my_train");
    ck_assert_int_eq(symlink(programs[_i].path, "misuse_renamed/my_train"), 0);
    const Program renamed = {"misuse_renamed/my_train", "./misuse_renamed/my_train"};
    ck_assert_int_eq(run_stderr(&renamed, "--bogus 1", &err), 2);
    ck_assert_str_eq(err, "misuse_renamed/my_train: unknown flag '--bogus' (see --help)\n");
    free(err);
    const Program bare = {"my_train", "cd misuse_renamed && PATH=.:$PATH my_train"};
    ck_assert_int_eq(run_stderr(&bare, "--epochs 0", &err), 2);
    ck_assert_str_eq(err, "my_train: --epochs needs a whole number from 1 to 1000000000, got '0' "
                          "(see --help)\n");
    free(err);
    ck_assert_int_eq(remove("misuse_renamed/my_train"), 0);
    ck_assert_int_eq(rmdir("misuse_renamed"), 0);
}
END_TEST

START_TEST(test_help_exits_0) {
    const Program *p = &programs[_i];
    char command[512], *out, want[128];
    snprintf(command, sizeof command, "%s --help", p->path);
    ck_assert_int_eq(ct_system(command, &out), 0);
    snprintf(want, sizeof want, "usage: %s [--seed S]", p->name);
    ck_assert_msg(strstr(out, want) == out, "%s --help printed: %s", p->name, out);
    /* only the flags the program reads: chapter 4's are stage 4's */
    ck_assert_msg(strstr(out, "--threads T]\n") && !strstr(out, "--optim") &&
                      !strstr(out, "--reduction"),
                  "%s --help printed: %s", p->name, out);
    free(out);
}
END_TEST

/* ---- the CSV ----------------------------------------------------------------------------- */

/* A directory that does not exist: named in the message, status 1, before any epoch runs. */
START_TEST(test_csv_in_missing_directory) {
    const Program *p = &programs[_i];
    char *err, want[256];
    ck_assert_int_eq(run_stderr(p, "--csv /nonexistent-dir/loss.csv", &err), 1);
    snprintf(want, sizeof want,
             "%s: cannot write --csv /nonexistent-dir/loss.csv: No such file or directory\n",
             p->name);
    ck_assert_str_eq(err, want);
    free(err);
}
END_TEST

/* The CSV is written beside its path and moved into place at the end; when that last step
 * fails (the path is a directory) the run says so, and no half-written file is left. */
START_TEST(test_csv_onto_a_directory) {
    const Program *p = &programs[_i];
    char dir[64], tmp[80], args[128], want[256], *err;
    snprintf(dir, sizeof dir, "misuse_csvdir_%d", _i + 1);
    snprintf(tmp, sizeof tmp, "%s.tmp", dir);
    rmdir(dir);
    remove(tmp);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    snprintf(args, sizeof args, "--epochs 3 --csv %s", dir);
    ck_assert_int_eq(run_stderr(p, args, &err), 1);
    snprintf(want, sizeof want, "%s: cannot write --csv %s: Is a directory\n", p->name, dir);
    ck_assert_str_eq(err, want);
    free(err);
    ck_assert_msg(!exists(tmp), "%s left %s behind", p->name, tmp);
    ck_assert_int_eq(rmdir(dir), 0); /* still an empty directory */
}
END_TEST

/* A flag the program does not read stops it before any CSV row is written: nothing is left. */
START_TEST(test_unknown_flag_leaves_no_csv) {
    const Program *p = &programs[_i];
    char csv[64], args[128], want[128], *err;
    snprintf(csv, sizeof csv, "misuse_unread_%d.csv", _i + 1);
    snprintf(args, sizeof args, "--csv %s --optim sgd", csv);
    ck_assert_int_eq(run_stderr(p, args, &err), 2);
    snprintf(want, sizeof want, "%s: unknown flag '--optim' (see --help)\n", p->name);
    ck_assert_str_eq(err, want);
    free(err);
    ck_assert_msg(!exists(csv), "%s left %s", p->name, csv);
    char tmp[80];
    snprintf(tmp, sizeof tmp, "%s.tmp", csv);
    ck_assert_msg(!exists(tmp), "%s left %s", p->name, tmp);
}
END_TEST

/* ---- a loss that stops being a number ------------------------------------------------------ */

/* --lr 1 makes the loss overflow: status 1, the epoch named, no CSV left. Stages 1 and 2 run
 * the same arithmetic, so they stop at the same epoch. */
START_TEST(test_diverging_loss_stops_with_1) {
    const Program *p = &programs[_i];
    char csv[64], args[128], *err, *first;
    snprintf(csv, sizeof csv, "misuse_diverged_%d.csv", _i + 1);
    snprintf(args, sizeof args, "--lr 1 --csv %s", csv);
    ck_assert_int_eq(run_stderr(p, args, &err), 1);
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s: the loss became ", p->name);
    int epoch = 0;
    char what[16] = "";
    ck_assert_msg(strstr(err, prefix) == err &&
                      sscanf(err + strlen(prefix), "%15s at epoch %d;", what, &epoch) == 2,
                  "unexpected message: %s", err);
    ck_assert_msg(strcmp(what, "infinite") == 0 || strcmp(what, "NaN") == 0, "became %s", what);
    char want[256];
    snprintf(want, sizeof want, "%s%s at epoch %d; try a smaller --lr\n", prefix, what, epoch);
    ck_assert_str_eq(err, want);
    ck_assert_msg(!exists(csv), "%s left %s", p->name, csv);
    char tmp[80];
    snprintf(tmp, sizeof tmp, "%s.tmp", csv);
    ck_assert_msg(!exists(tmp), "%s left %s", p->name, tmp);
    if (_i == 1) { /* stage 2 stops exactly where stage 1 does */
        ck_assert_int_eq(run_stderr(&programs[0], args, &first), 1);
        snprintf(want, sizeof want, "%s: the loss became %s at epoch %d; try a smaller --lr\n",
                 programs[0].name, what, epoch);
        ck_assert_str_eq(first, want);
        free(first);
    }
    free(err);
}
END_TEST

/* ---- determinism --------------------------------------------------------------------------- */

/* Runs p with `args` and --threads T into a CSV; returns its bytes. */
static char *csv_of(const Program *p, const char *args, int threads, int run, size_t *len) {
    char csv[96], all[512];
    /* stage1_tensors/train -> misuse_same_bits_stage1_tensors_t2_r1.csv */
    snprintf(csv, sizeof csv, "misuse_same_bits_%.*s_t%d_r%d.csv",
             (int)(strchr(p->name, '/') - p->name), p->name, threads, run);
    snprintf(all, sizeof all, "%s --every 0 --threads %d --csv %s", args, threads, csv);
    char *err;
    int status = run_stderr(p, all, &err);
    ck_assert_msg(status == 0, "%s %s: status %d: %s", p->name, all, status, err);
    free(err);
    char *bytes = slurp(csv, len);
    ck_assert_msg(bytes != NULL, "%s wrote no %s", p->name, csv);
    remove(csv);
    return bytes;
}

/* --threads 1, --threads 2 and --threads 2 again: the same bytes. */
static void check_same_bits(const Program *p, const char *args, int rows) {
    size_t n1, n2, n3;
    char *one = csv_of(p, args, 1, 1, &n1);
    char *two = csv_of(p, args, 2, 1, &n2);
    char *again = csv_of(p, args, 2, 2, &n3);
    int lines = 0;
    for (size_t i = 0; i < n1; i++) lines += one[i] == '\n';
    ck_assert_int_eq(lines, rows + 1);
    ck_assert_msg(n1 == n2 && memcmp(one, two, n1) == 0, "%s %s: 1 and 2 threads differ", p->name,
                  args);
    ck_assert_msg(n2 == n3 && memcmp(two, again, n2) == 0, "%s %s: two runs differ", p->name,
                  args);
    free(one);
    free(two);
    free(again);
}

START_TEST(test_same_bits_with_any_thread_count) {
    check_same_bits(&programs[_i], "--seed 7 --epochs 100", 100);
}
END_TEST

/* Large enough that x (512, 64) . w1 (64, 256) and its gradient run on several threads. */
START_TEST(test_stage1_scaled_same_bits) {
    /* a learning rate small enough that the loss still falls at this size */
    check_same_bits(&programs[0], "--seed 3 --n 512 --d-in 64 --hidden 256 --epochs 5 --lr 3e-7",
                    5);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("programs");
    TCase *tc = ct_tcase("flags");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_bad_flags_exit_2, 1, N_PROGRAMS); /* stage 1: test_stage1.c */
    tcase_add_loop_test(tc, test_help_exits_0, 1, N_PROGRAMS);
    tcase_add_loop_test(tc, test_name_comes_from_argv0, 0, N_PROGRAMS);
    suite_add_tcase(s, tc);
    tc = ct_tcase("csv");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_csv_in_missing_directory, 1, N_PROGRAMS);
    tcase_add_loop_test(tc, test_csv_onto_a_directory, 0, N_PROGRAMS);
    tcase_add_loop_test(tc, test_unknown_flag_leaves_no_csv, 0, N_PROGRAMS);
    suite_add_tcase(s, tc);
    tc = ct_tcase("diverging");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_diverging_loss_stops_with_1, 1, N_PROGRAMS);
    suite_add_tcase(s, tc);
    tc = ct_tcase("determinism");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_same_bits_with_any_thread_count, 0, N_PROGRAMS);
    tcase_add_test(tc, test_stage1_scaled_same_bits);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

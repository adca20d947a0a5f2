/* ct_tutorial.c: the tutorial's data lines and the stage programs' checks shared by suites. */
#include "ct_tutorial.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_test.h"
#include "fixture.h"
#include "rformat.h"

void ct_tutorial_data(uint64_t seed, int64_t n, int64_t d_in, Tensor **x_out, Tensor **y_out) {
    torch_manual_seed(seed);
    /* letter for letter the train.c lines (test_cross_stage.c checks the programs agree) */
    Tensor *x = torch_randn(SHAPE(n, d_in));
    Tensor *y = torch_add(torch_sub(torch_sub(torch_mul_scalar(torch_narrow(x, 1, 0, 1), 0.2f),
                                              torch_mul_scalar(torch_narrow(x, 1, 1, 1), 1.3f)),
                                    torch_mul_scalar(torch_narrow(x, 1, 2, 1), 0.5f)),
                          torch_randn(SHAPE(n, 1)));
    *x_out = x;
    *y_out = y;
}

char *ct_read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    char *text = malloc((size_t)size + 1);
    ck_assert_ptr_nonnull(text);
    size_t got = fread(text, 1, (size_t)size, f);
    text[got] = '\0';
    fclose(f);
    return text;
}

char *ct_program_csv(const char *program, const char *flags, const char *csv, double *loss,
                     int epochs) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s --every 0 --csv %s", program, flags, csv);
    ck_assert_msg(ct_system(cmd, NULL) == 0, "failed: %s", cmd);
    char *text = ct_read_text(csv);
    ck_assert_msg(text != NULL, "%s wrote no %s", cmd, csv);
    /* the count of every row, not just those that fit: a longer file fails too */
    if (loss) ck_assert_int_eq(ct_read_loss_csv(csv, loss, epochs), epochs);
    remove(csv);
    return text;
}

void ct_program_losses(const char *program, const char *flags, const char *csv, double *loss,
                       int epochs) {
    free(ct_program_csv(program, flags, csv, loss, epochs));
}

void ct_check_progress_lines(const char *program, const char *csv) {
    char cmd[1024], *out;
    snprintf(cmd, sizeof cmd, "%s --epochs 30 --csv %s", program, csv);
    ck_assert_int_eq(ct_system(cmd, &out), 0);
    double loss[30];
    ck_assert_int_eq(ct_read_loss_csv(csv, loss, 30), 30);
    remove(csv);
    char want[512] = "", num[64], line[128];
    for (int t = 10; t <= 30; t += 10) {
        snprintf(line, sizeof line, "Epoch:  %d    Loss:  %s \n", t,
                 r_format_double(loss[t - 1], num, sizeof num));
        strcat(want, line);
    }
    ck_assert_str_eq(out, want);
    free(out);
}

void ct_check_bad_flags(const char *path, const char *name, const char *const cases[][2],
                        size_t n_cases) {
    for (size_t i = 0; i < n_cases; i++) {
        char cmd[1024], want[512], *err;
        /* stdout dropped, stderr kept: the message must be all the program says */
        snprintf(cmd, sizeof cmd, "%s %s 2>&1 >/dev/null", path, cases[i][0]);
        int status = ct_system(cmd, &err);
        snprintf(want, sizeof want, cases[i][1], name);
        ck_assert_msg(status == 2, "%s %s: exit status %d, expected 2", name, cases[i][0],
                      status);
        ck_assert_str_eq(err, want);
        free(err);
    }
}

/* The flags the training programs of stages 1 to 3 share, misused; stage 4 adds its own. */
static const char *const common_bad_flags[][2] = {
    {"--bogus 1", "%s: unknown flag '--bogus' (see --help)\n"},
    {"--epochs", "%s: --epochs needs a value (see --help)\n"},
    {"--epochs 0", "%s: --epochs needs a whole number from 1 to 1000000000, got '0' (see "
                   "--help)\n"},
    {"--epochs ten", "%s: --epochs needs a whole number from 1 to 1000000000, got 'ten' (see "
                     "--help)\n"},
    {"--epochs 5x", "%s: --epochs needs a whole number from 1 to 1000000000, got '5x' (see "
                    "--help)\n"},
    {"--lr -1", "%s: --lr needs a positive number, got '-1' (see --help)\n"},
    {"--lr 0", "%s: --lr needs a positive number, got '0' (see --help)\n"},
    {"--lr nan", "%s: --lr needs a positive number, got 'nan' (see --help)\n"},
    {"--lr inf", "%s: --lr needs a positive number, got 'inf' (see --help)\n"},
    {"--seed x1", "%s: --seed needs a 64-bit integer, got 'x1' (see --help)\n"},
    {"--seed 99999999999999999999", "%s: --seed needs a 64-bit integer, got "
                                    "'99999999999999999999' (see --help)\n"},
    {"--d-in 2", "%s: --d-in needs a whole number >= 3, got '2' (see --help)\n"},
    {"--n 0", "%s: --n needs a whole number >= 1, got '0' (see --help)\n"},
    {"--hidden -4", "%s: --hidden needs a whole number >= 1, got '-4' (see --help)\n"},
    {"--every -1", "%s: --every needs a whole number from 0 to 1000000000, got '-1' (see "
                   "--help)\n"},
    {"--threads 0", "%s: --threads needs a whole number from 1 to 1024, got '0' (see "
                    "--help)\n"},
    {"--threads 2000", "%s: --threads needs a whole number from 1 to 1024, got '2000' (see "
                       "--help)\n"},
    {"--csv", "%s: --csv needs a value (see --help)\n"},
    /* chapter 4's flags: read by no line of these programs, so unknown, the first one named */
    {"--optim sgd", "%s: unknown flag '--optim' (see --help)\n"},
    {"--optim", "%s: unknown flag '--optim' (see --help)\n"},
    {"--reduction mean", "%s: unknown flag '--reduction' (see --help)\n"},
    {"--reduction mean --optim sgd", "%s: unknown flag '--reduction' (see --help)\n"},
    {"--optim sgd --reduction mean", "%s: unknown flag '--optim' (see --help)\n"},
    {"epochs 10", "%s: unknown flag 'epochs' (see --help)\n"},
};

void ct_check_common_bad_flags(const char *path, const char *name) {
    ct_check_bad_flags(path, name, common_bad_flags,
                       sizeof common_bad_flags / sizeof common_bad_flags[0]);
}

void ct_assert_near_pytorch(const double *loss, const float *want, int epochs, double rtol,
                            int seed) {
    for (int t = 0; t < epochs; t++)
        ck_assert_msg(fabs(loss[t] - want[t]) <= rtol * fabs(want[t]),
                      "seed %d epoch %d: loss %.9g, PyTorch %.9g (relative difference %.2g)",
                      seed, t + 1, loss[t], (double)want[t],
                      fabs(loss[t] - want[t]) / fabs(want[t]));
}

void ct_program_follows_pytorch(const char *program, const char *flags, const char *csv,
                                const char *fixtures, const char *name, int epochs, double rtol,
                                int seed) {
    double loss[200];
    float want[200];
    ck_assert_int_le(epochs, 200);
    ct_program_losses(program, flags, csv, loss, epochs);
    Fixtures *fx = fixtures_load(fixtures);
    Tensor *t = fixture_tensor(fx, name);
    ck_assert_int_ge(torch_numel(t), epochs);
    ck_assert_int_le(torch_numel(t), 200);
    torch_to_array(t, want);
    ct_assert_near_pytorch(loss, want, epochs, rtol, seed);
    fixtures_free(fx);
}

/*
 * ct_tutorial.h: what several suites share about the tutorial and its stage programs.
 *
 *   ct_tutorial_data(seed, n, d_in, &x, &y)       the data lines of every train.c, copied
 *   ct_program_csv / ct_program_losses            run a stage program into a CSV, read it
 *   ct_check_progress_lines(program, csv)         its progress lines are R's cat() lines
 *   ct_check_bad_flags / ct_check_common_bad_flags   status 2 and the exact one-line message
 *   ct_assert_near_pytorch(loss, want, ...)       a trajectory within rtol of PyTorch's
 *   ct_program_follows_pytorch(program, ...)      a program's losses against a fixture's
 */
#ifndef CTORCH_CT_TUTORIAL_H
#define CTORCH_CT_TUTORIAL_H

#include <stddef.h>
#include <stdint.h>

#include "tensor.h"

/* The data lines of every stage's train.c, copied in the same order of operations (so the bits
 * are the program's): torch_manual_seed(seed), x = torch_randn(n, d_in),
 * y = x[,1]*0.2 - x[,2]*1.3 - x[,3]*0.5 + torch_randn(n, 1). Needs d_in >= 3. */
void ct_tutorial_data(uint64_t seed, int64_t n, int64_t d_in, Tensor **x, Tensor **y);

/* Runs `program flags --every 0 --csv csv`, silently; the run must exit 0. If loss is not
 * NULL the CSV must hold exactly `epochs` losses, read into loss[0..epochs-1]. Removes the
 * CSV and returns its text (malloc'ed, the caller frees). */
char *ct_program_csv(const char *program, const char *flags, const char *csv, double *loss,
                     int epochs);

/* ct_program_csv for the losses alone. */
void ct_program_losses(const char *program, const char *flags, const char *csv, double *loss,
                       int epochs);

/* Runs `program --epochs 30 --csv csv`: stdout must be R's progress lines for epochs 10, 20
 * and 30 (cat("Epoch: ", t, "   Loss: ", loss, "\n") with the CSV's losses). */
void ct_check_progress_lines(const char *program, const char *csv);

/* For each row {flags, message}: `path flags` must exit with status 2 and print exactly the
 * message on stderr, nothing else; the message is a format whose one %s is `name`, the name
 * the program gives itself ("stage1_tensors/train"). */
void ct_check_bad_flags(const char *path, const char *name, const char *const cases[][2],
                        size_t n_cases);

/* ct_check_bad_flags with the flags every training program of stages 1 to 3 refuses. */
void ct_check_common_bad_flags(const char *path, const char *name);

/* Each of the `epochs` losses within rtol (relative) of PyTorch's, the epoch named if not. */
void ct_assert_near_pytorch(const double *loss, const float *want, int epochs, double rtol,
                            int seed);

/* The stage program `program` run with `flags` (its CSV at csv) against PyTorch's first
 * `epochs` losses, fixture `name` of the file `fixtures`: ct_program_losses, then
 * ct_assert_near_pytorch (at most 200 epochs). */
void ct_program_follows_pytorch(const char *program, const char *flags, const char *csv,
                                const char *fixtures, const char *name, int epochs, double rtol,
                                int seed);

/* The whole file, malloc'ed (NULL if it cannot be read). */
char *ct_read_text(const char *path);

#endif

/*
 * cli.h: what the four stage programs share around the chapter's code: their flags, the
 * progress line R prints, the loss CSV, and stopping when the loss stops being a number.
 *
 *     TrainOptions opt = train_options(argc, argv, "stage1_tensors/train", TRAIN_BASIC);
 *     TrainRun run = train_begin(&opt);
 *     for (int t = 1; t <= opt.epochs; t++) { ...; train_report(&run, t, loss); }
 *     train_end(&run);
 */
#ifndef CTORCH_CLI_H
#define CTORCH_CLI_H

#include <stdint.h>
#include <stdio.h>

typedef struct TrainOptions {
    uint64_t seed;       /* --seed S     (1) */
    int epochs;          /* --epochs N   (200) */
    double lr;           /* --lr X       (the stage's default) */
    int64_t n;           /* --n N        (100) observations */
    int64_t d_in;        /* --d-in D     (3) input features; columns past 3 carry no signal */
    int64_t hidden;      /* --hidden H   (32) */
    int every;           /* --every K    (10) progress every K epochs; 0 = silent */
    const char *csv;     /* --csv FILE   (none) epoch,loss per epoch */
    int threads;         /* --threads T  (every core) */
    const char *optim;   /* --optim adam|sgd      (stage 4 only) */
    const char *reduction; /* --reduction sum|mean (stage 4 only) */
} TrainOptions;

/* Which flags a program takes. */
typedef enum TrainFlags { TRAIN_BASIC, TRAIN_WITH_OPTIM } TrainFlags;

/* Parses argv. --help prints the usage and exits 0; a bad flag or value prints one line
 * ("train: --epochs needs a whole number >= 1, got 'x'") and exits with status 2. */
TrainOptions train_options(int argc, char **argv, const char *program, double default_lr,
                           TrainFlags flags);

typedef struct TrainRun {
    const TrainOptions *opt;
    FILE *csv;            /* the temporary file, renamed to opt->csv by train_end */
    char csv_tmp[4096];
} TrainRun;

/* Opens the CSV (as FILENAME.tmp, so a failed run leaves nothing half-written). An unwritable
 * path stops with a message naming it and exit status 1. */
TrainRun train_begin(const TrainOptions *opt);

/* After each epoch: stops with exit status 1 if the loss is NaN or infinite, writes the CSV
 * row, and every `every` epochs prints R's progress line:
 *     cat("Epoch: ", t, "   Loss: ", loss, "\n")   ->   "Epoch:  10    Loss:  83.68217 \n" */
void train_report(TrainRun *run, int epoch, double loss);

/* Closes the CSV and moves it into place. */
void train_end(TrainRun *run);

#endif

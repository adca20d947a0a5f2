/*
 * train_harness.h: what the four stage programs do around the chapter's code, the jobs R does
 * for its program without being asked: the flags, R's progress line, the loss CSV, and
 * stopping when the loss stops being a number. Not part of the library (nothing installs it).
 *
 *     TrainOptions opt = train_options(argc, argv);
 *     float learning_rate = (float)train_lr(&opt, 1e-4);  // R: learning_rate <- 1e-4
 *     TrainRun run = train_begin(&opt);
 *     for (int t = 1; t <= opt.epochs; t++) { ...; train_report(&run, t, loss); }
 *     train_end(&run);
 *
 * The chapter's own choices stay in train.c, each wrapped in a call that lets the command line
 * change it: train_lr(&opt, 0.08) is 0.08 unless --lr says otherwise, train_reduction(&opt,
 * "sum") is "sum" unless --reduction does, and train_optim(&opt, optim_adam) (train_optim.h)
 * is optim_adam unless --optim does. So one train_options line serves every stage, and a
 * chapter's flag belongs to the program that reads it: --optim and --reduction are read where
 * stage 4 uses them, and the first train_report stops on a flag that no call read ("unknown
 * flag '--optim'" in stages 1 to 3), or answers --help, listing the flags the program read.
 *
 * Messages name the program as the build tree lays it out: argv[0] from its directory on
 * (build/stage1_tensors/train -> "stage1_tensors/train").
 */
#ifndef CTORCH_TRAIN_HARNESS_H
#define CTORCH_TRAIN_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* A flag read by the call that uses it, not by train_options. */
typedef struct LaterFlag {
    const char *value; /* as given; NULL when nothing followed the flag */
    int at;            /* its place in argv; 0 when not given */
    bool read;         /* a call of the program asked for it */
} LaterFlag;

typedef struct TrainOptions {
    uint64_t seed;   /* --seed S     (1) */
    int epochs;      /* --epochs N   (200) */
    int64_t n;       /* --n N        (100) observations */
    int64_t d_in;    /* --d-in D     (3) input features; columns past 3 carry no signal */
    int64_t hidden;  /* --hidden H   (32) */
    int every;       /* --every K    (10) progress every K epochs; 0 = silent */
    const char *csv; /* --csv FILE   (none) epoch,loss per epoch */
    int threads;     /* --threads T  (every core) */
    /* through the calls below, which know the program's defaults: */
    double lr;           /* --lr X       NAN when not given: train_lr */
    LaterFlag optim;     /* --optim adam|sgd      train_optim (train_optim.h) */
    LaterFlag reduction; /* --reduction sum|mean  train_reduction */
    bool help;           /* --help, answered by the first train_report */
} TrainOptions;

/* Parses argv. A bad flag or value prints one line ("stage1_tensors/train: --epochs needs a
 * whole number >= 1, got 'x' (see --help)") and exits with status 2. */
TrainOptions train_options(int argc, char **argv);

/* R's `learning_rate <- lr`: --lr X if given. Otherwise lr, the program's own, unless --optim
 * names an optimizer: then that optimizer's rate for this problem, Adam's 0.08 (the chapter's)
 * or SGD's 1e-4 (chapters 1 to 3's, so that --optim sgd retraces stage 3). */
double train_lr(const TrainOptions *opt, double lr);

/* R's `reduction = "sum"` (for instance): --reduction's "sum" or "mean" if given, else the
 * program's reduction. A bad value stops the program with status 2. */
const char *train_reduction(TrainOptions *opt, const char *reduction);

/* For train_optim: --optim's "adam" or "sgd", or NULL when not given. A bad value stops the
 * program with status 2. */
const char *train_optim_name(TrainOptions *opt);

typedef struct TrainRun {
    const TrainOptions *opt;
    bool reported; /* train_report has run once: the flags are settled */
    FILE *csv;     /* the temporary file, renamed to opt->csv by train_end */
    char csv_tmp[4096];
} TrainRun;

/* Opens the CSV (as FILENAME.tmp, so a failed run leaves nothing half-written). An unwritable
 * path stops with a message naming it and exit status 1. */
TrainRun train_begin(const TrainOptions *opt);

/* After each epoch. The first time: answers --help (status 0) or stops on a flag no call read
 * (status 2). Then: stops with status 1 if the loss is NaN or infinite, writes the CSV row,
 * and every `every` epochs prints R's progress line:
 *     cat("Epoch: ", t, "   Loss: ", loss, "\n")   ->   "Epoch:  10    Loss:  83.68217 \n" */
void train_report(TrainRun *run, int epoch, double loss);

/* Closes the CSV and moves it into place. */
void train_end(TrainRun *run);

#endif

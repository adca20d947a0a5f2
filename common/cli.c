/* cli.c: the stage programs' shared flags, progress lines and CSV (see cli.h). */
#include "cli.h"
#include "rformat.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char *prog = "train";

static void usage(FILE *f, TrainFlags flags) {
    fprintf(f,
            "usage: %s [--seed S] [--epochs N] [--lr X] [--n N] [--d-in D] [--hidden H]\n"
            "       [--every K] [--csv FILE] [--threads T]%s\n",
            prog, flags == TRAIN_WITH_OPTIM ? " [--optim adam|sgd] [--reduction sum|mean]" : "");
}

static _Noreturn void bad(const char *fmt, const char *a, const char *b) {
    fprintf(stderr, "%s: ", prog);
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, " (see --help)\n");
    exit(2);
}

static int64_t parse_int(const char *flag, const char *s, int64_t min, int64_t max) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *s == '\0' || *end != '\0' || v < min || v > max) {
        char need[80];
        if (max == INT64_MAX) snprintf(need, sizeof need, "a whole number >= %lld", (long long)min);
        else snprintf(need, sizeof need, "a whole number from %lld to %lld", (long long)min,
                      (long long)max);
        fprintf(stderr, "%s: %s needs %s, got '%s' (see --help)\n", prog, flag, need, s);
        exit(2);
    }
    return v;
}

static double parse_positive(const char *flag, const char *s) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *s == '\0' || *end != '\0' || !(v > 0) || isinf(v))
        bad("%s needs a positive number, got '%s'", flag, s);
    return v;
}

/* A seed is any 64-bit integer; negative ones wrap as in torch (2^64 + s). */
static uint64_t parse_seed(const char *s) {
    char *end;
    errno = 0;
    uint64_t v = s[0] == '-' ? (uint64_t)strtoll(s, &end, 10) : strtoull(s, &end, 10);
    if (errno || *s == '\0' || *end != '\0') bad("%s needs a 64-bit integer, got '%s'", "--seed", s);
    return v;
}

static const char *parse_choice(const char *flag, const char *s, const char *a, const char *b) {
    if (strcmp(s, a) == 0 || strcmp(s, b) == 0) return s;
    fprintf(stderr, "%s: %s must be %s or %s, got '%s' (see --help)\n", prog, flag, a, b, s);
    exit(2);
}

TrainOptions train_options(int argc, char **argv, const char *program, double default_lr,
                           TrainFlags flags) {
    prog = program;
    TrainOptions o = {.seed = 1, .epochs = 200, .lr = default_lr, .n = 100, .d_in = 3,
                      .hidden = 32, .every = 10, .csv = NULL, .threads = 0,
                      .optim = "adam", .reduction = "sum"};
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (strcmp(f, "--help") == 0 || strcmp(f, "-h") == 0) {
            usage(stdout, flags);
            exit(0);
        }
        bool known = strcmp(f, "--seed") == 0 || strcmp(f, "--epochs") == 0 ||
                     strcmp(f, "--lr") == 0 || strcmp(f, "--n") == 0 ||
                     strcmp(f, "--d-in") == 0 || strcmp(f, "--hidden") == 0 ||
                     strcmp(f, "--every") == 0 || strcmp(f, "--csv") == 0 ||
                     strcmp(f, "--threads") == 0 ||
                     (flags == TRAIN_WITH_OPTIM &&
                      (strcmp(f, "--optim") == 0 || strcmp(f, "--reduction") == 0));
        if (!known) bad("unknown flag '%s'%s", f, "");
        if (i + 1 >= argc) bad("%s needs a value%s", f, "");
        const char *v = argv[++i];
        if (strcmp(f, "--seed") == 0) o.seed = parse_seed(v);
        else if (strcmp(f, "--epochs") == 0) o.epochs = (int)parse_int(f, v, 1, 1000000000);
        else if (strcmp(f, "--lr") == 0) o.lr = parse_positive(f, v);
        else if (strcmp(f, "--n") == 0) o.n = parse_int(f, v, 1, INT64_MAX);
        else if (strcmp(f, "--d-in") == 0) o.d_in = parse_int(f, v, 3, INT64_MAX);
        else if (strcmp(f, "--hidden") == 0) o.hidden = parse_int(f, v, 1, INT64_MAX);
        else if (strcmp(f, "--every") == 0) o.every = (int)parse_int(f, v, 0, 1000000000);
        else if (strcmp(f, "--csv") == 0) o.csv = v;
        else if (strcmp(f, "--threads") == 0) o.threads = (int)parse_int(f, v, 1, 1024);
        else if (strcmp(f, "--optim") == 0) o.optim = parse_choice(f, v, "adam", "sgd");
        else o.reduction = parse_choice(f, v, "sum", "mean");
    }
    return o;
}

TrainRun train_begin(const TrainOptions *opt) {
    TrainRun run = {.opt = opt};
    if (!opt->csv) return run;
    snprintf(run.csv_tmp, sizeof run.csv_tmp, "%s.tmp", opt->csv);
    run.csv = fopen(run.csv_tmp, "w");
    if (!run.csv) {
        fprintf(stderr, "%s: cannot write --csv %s: %s\n", prog, opt->csv, strerror(errno));
        exit(1);
    }
    fprintf(run.csv, "epoch,loss\n");
    return run;
}

void train_report(TrainRun *run, int epoch, double loss) {
    if (!isfinite(loss)) {
        fflush(stdout);
        fprintf(stderr, "%s: the loss became %s at epoch %d; try a smaller --lr\n", prog,
                isnan(loss) ? "NaN" : "infinite", epoch);
        if (run->csv) {
            fclose(run->csv);
            remove(run->csv_tmp);
        }
        exit(1);
    }
    if (run->csv) fprintf(run->csv, "%d,%.9g\n", epoch, loss);
    if (run->opt->every > 0 && epoch % run->opt->every == 0) {
        char text[64];
        /* R's cat() puts one space between its arguments, the "\n" included. */
        printf("Epoch:  %d    Loss:  %s \n", epoch, r_format_double(loss, text, sizeof text));
    }
}

void train_end(TrainRun *run) {
    if (!run->csv) return;
    bool failed = ferror(run->csv) != 0;
    failed |= fclose(run->csv) != 0;
    run->csv = NULL;
    if (failed || rename(run->csv_tmp, run->opt->csv) != 0) {
        fprintf(stderr, "%s: cannot write --csv %s: %s\n", prog, run->opt->csv, strerror(errno));
        remove(run->csv_tmp);
        exit(1);
    }
}

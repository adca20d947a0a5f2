/* train_harness.c: the stage programs' flags, progress lines and CSV (see train_harness.h). */
#include "train_harness.h"
#include "rformat.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *prog = "train"; /* the program's name in messages: train_options sets it */

/* What --optim can name, and the learning rate each brings as --lr's default (train_lr). */
static const struct {
    const char *name;
    double lr;
} optimizers[] = {{"adam", 0.08}, {"sgd", 1e-4}};

/* argv[0] from its directory on: "/x/build/stage1_tensors/train" -> "stage1_tensors/train". */
static const char *program_name(const char *argv0) {
    if (!argv0 || !*argv0) return "train";
    const char *start = strrchr(argv0, '/');
    if (!start) return argv0;
    while (start > argv0 && start[-1] != '/') start--;
    return start;
}

static void usage(FILE *f, const TrainOptions *opt) {
    fprintf(f,
            "usage: %s [--seed S] [--epochs N] [--lr X] [--n N] [--d-in D] [--hidden H]\n"
            "       [--every K] [--csv FILE] [--threads T]%s%s\n",
            prog, opt->optim.read ? " [--optim adam|sgd]" : "",
            opt->reduction.read ? " [--reduction sum|mean]" : "");
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
    if (errno || *s == '\0' || *end != '\0')
        bad("%s needs a 64-bit integer, got '%s'", "--seed", s);
    return v;
}

TrainOptions train_options(int argc, char **argv) {
    prog = program_name(argc > 0 ? argv[0] : NULL);
    const TrainOptions defaults = {.seed = 1, .epochs = 200, .n = 100, .d_in = 3, .hidden = 32,
                                   .every = 10, .csv = NULL, .threads = 0, .lr = NAN};
    TrainOptions o = defaults;
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (strcmp(f, "--help") == 0 || strcmp(f, "-h") == 0) {
            /* answered once the program has read its flags, at the default sizes */
            o = defaults;
            o.help = true;
            return o;
        }
        LaterFlag *later = strcmp(f, "--optim") == 0       ? &o.optim
                           : strcmp(f, "--reduction") == 0 ? &o.reduction
                                                           : NULL;
        if (later) {
            *later = (LaterFlag){.value = i + 1 < argc ? argv[i + 1] : NULL, .at = i};
            i++;
            continue;
        }
        bool known = strcmp(f, "--seed") == 0 || strcmp(f, "--epochs") == 0 ||
                     strcmp(f, "--lr") == 0 || strcmp(f, "--n") == 0 ||
                     strcmp(f, "--d-in") == 0 || strcmp(f, "--hidden") == 0 ||
                     strcmp(f, "--every") == 0 || strcmp(f, "--csv") == 0 ||
                     strcmp(f, "--threads") == 0;
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
        else o.threads = (int)parse_int(f, v, 1, 1024);
    }
    return o;
}

/* ---- the flags read where they are used ----------------------------------------------------- */

/* Marks flag as read; returns its value, a or b, or NULL when it was not given. */
static const char *read_choice(LaterFlag *flag, const char *name, const char *a, const char *b) {
    flag->read = true;
    if (!flag->at) return NULL;
    const char *v = flag->value;
    if (!v) bad("%s needs a value%s", name, "");
    if (strcmp(v, a) == 0) return a;
    if (strcmp(v, b) == 0) return b;
    fprintf(stderr, "%s: %s must be %s or %s, got '%s' (see --help)\n", prog, name, a, b, v);
    exit(2);
}

double train_lr(const TrainOptions *opt, double lr) {
    if (!isnan(opt->lr)) return opt->lr;
    if (opt->optim.at && opt->optim.value) /* checked by train_optim_name, later */
        for (size_t i = 0; i < sizeof optimizers / sizeof optimizers[0]; i++)
            if (strcmp(opt->optim.value, optimizers[i].name) == 0) return optimizers[i].lr;
    return lr;
}

const char *train_reduction(TrainOptions *opt, const char *reduction) {
    const char *given = read_choice(&opt->reduction, "--reduction", "sum", "mean");
    return given ? given : reduction;
}

const char *train_optim_name(TrainOptions *opt) {
    return read_choice(&opt->optim, "--optim", optimizers[0].name, optimizers[1].name);
}

/* ---- the run ------------------------------------------------------------------------------ */

/* Removes the unfinished CSV and exits. */
static _Noreturn void stop(TrainRun *run, int status) {
    if (run->csv) {
        fclose(run->csv);
        remove(run->csv_tmp);
    }
    exit(status);
}

static _Noreturn void unknown_flag(TrainRun *run, const char *flag) {
    fprintf(stderr, "%s: unknown flag '%s' (see --help)\n", prog, flag);
    stop(run, 2);
}

/* At the first report every flag has been read or never will be: --help is answered (with
 * the flags read), then a flag given but read by no call is unknown to this program (the
 * first of them on the command line, as train_options would have named it). */
static void settle_flags(TrainRun *run) {
    const TrainOptions *opt = run->opt;
    if (opt->help) {
        usage(stdout, opt);
        stop(run, 0);
    }
    const LaterFlag *o = &opt->optim, *r = &opt->reduction;
    bool optim_unread = o->at && !o->read, reduction_unread = r->at && !r->read;
    if (optim_unread && (!reduction_unread || o->at < r->at)) unknown_flag(run, "--optim");
    if (reduction_unread) unknown_flag(run, "--reduction");
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
    if (!run->reported) settle_flags(run);
    run->reported = true;
    if (!isfinite(loss)) {
        fflush(stdout);
        fprintf(stderr, "%s: the loss became %s at epoch %d; try a smaller --lr\n", prog,
                isnan(loss) ? "NaN" : "infinite", epoch);
        stop(run, 1);
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

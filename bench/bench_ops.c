/*
 * bench_ops.c: ctorch's microbenchmarks, for `./course bench` (docs/performance.md).
 *
 *   bench_ops mm [--threads T] [--isa NAME] [SIZE...]
 *       matrix products of SIZE x SIZE x SIZE (default 64 128 256 512 1024 2048):
 *       CSV "size,threads,isa,seconds,gflops" (gflops = 2 n^3 / seconds / 1e9, best of
 *       several runs)
 *   bench_ops overhead
 *       the cost of one tiny op (torch_add of two 1-element tensors) inside a scope, the
 *       cost of a full tutorial-size op (a (100, 32) add): CSV "op,ns_per_op"
 *   bench_ops train [--n N] [--d-in D] [--hidden H] [--epochs E] [--threads T]
 *       chapter 4's loop (nn_sequential, nnf_mse_loss, optim_adam), run in this process so
 *       that it can read torch_memory_stats: time per epoch after the first; the bytes that
 *       must be alive (needed_bytes, see below), the bytes of tensors alive at the peak, the
 *       process's peak resident memory above what it used before the first tensor; and what
 *       changed between the end of epoch 2 and the end of the last epoch (buffers obtained
 *       from the system, live bytes). CSV "name,value".
 *   bench_ops breakdown [--n N] [--d-in D] [--hidden H] [--threads T]
 *       the parts of chapter 4's epoch, each timed alone on the epoch's shapes (the first
 *       layer's product forward and backward, ReLU and its backward, the bias gradient's sum,
 *       Adam's step), and the whole epoch: CSV "part,seconds,multiply_adds"
 *   bench_ops peak [--threads T]
 *       the machine's peak float32 multiply-add rate (bench/peak.c): CSV
 *       "isa,lanes,threads,gflops"
 *
 * Timings are wall-clock (CLOCK_MONOTONIC), the best of several repetitions, so that another
 * program running on the machine at the same time disturbs them as little as possible.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "peak.h"

#include "autograd.h"
#include "backend.h"
#include "losses.h"
#include "nn.h"
#include "optim.h"
#include "tensor.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static long arg_long(const char *flag, const char *value) {
    char *end;
    long v = value ? strtol(value, &end, 10) : 0;
    if (!value || *end || v < 1) {
        fprintf(stderr, "bench_ops: %s needs a whole number >= 1\n", flag);
        exit(2);
    }
    return v;
}

/* ---- mm: GFLOPS by size ------------------------------------------------------------------ */

/* Which kernel runs the products: the fast backend's, with its instruction set (or "blas"), or
 * "reference" (-Dkernels=reference: mm, the definition). */
static const char *kernels_name(void) {
#if CTORCH_FAST
    return fast_mm_name();
#else
    return "reference";
#endif
}

static bool kernels_use(const char *isa) {
#if CTORCH_FAST
    return fast_isa_use(isa);
#else
    return strcmp(isa, "reference") == 0;
#endif
}

static int bench_mm(int argc, char **argv) {
    int threads = 1;
    long sizes[32];
    int n_sizes = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0) threads = (int)arg_long("--threads", argv[++i]);
        else if (strcmp(argv[i], "--isa") == 0) {
            if (!kernels_use(argv[++i] ? argv[i] : "")) {
                fprintf(stderr, "bench_ops: this CPU cannot run the %s kernel\n", argv[i]);
                return 2;
            }
        } else if (n_sizes < 32) sizes[n_sizes++] = arg_long("SIZE", argv[i]);
    }
    if (n_sizes == 0) {
        long defaults[] = {64, 128, 256, 512, 1024, 2048};
        for (int i = 0; i < 6; i++) sizes[n_sizes++] = defaults[i];
    }
    torch_set_num_threads(threads);
    torch_manual_seed(1);
    printf("size,threads,isa,seconds,gflops\n");
    for (int s = 0; s < n_sizes; s++) {
        long n = sizes[s];
        Tensor *a = torch_randn(SHAPE(n, n)), *b = torch_randn(SHAPE(n, n));
        double flops = 2.0 * (double)n * (double)n * (double)n, best = INFINITY, spent = 0;
        /* at least 3 runs and about half a second, whichever is longer */
        for (int rep = 0; rep < 3 || (spent < 0.5 && rep < 1000); rep++) {
            torch_scope_begin();
            double t = now();
            torch_mm(a, b);
            t = now() - t;
            torch_scope_end();
            spent += t;
            if (t < best) best = t;
        }
        printf("%ld,%d,%s,%.6g,%.2f\n", n, threads, kernels_name(), best, flops / best / 1e9);
        fflush(stdout);
        torch_free(a);
        torch_free(b);
    }
    return 0;
}

/* ---- per-op overhead ---------------------------------------------------------------------- */

/* ns per call of fn, best of 5 rounds of `calls` calls, each inside its own scope. */
static double ns_per_op(void (*fn)(Tensor *, Tensor *), Tensor *a, Tensor *b, long calls) {
    double best = INFINITY;
    for (int round = 0; round < 5; round++) {
        double t = now();
        for (long i = 0; i < calls; i++) {
            torch_scope_begin();
            fn(a, b);
            torch_scope_end();
        }
        t = (now() - t) / (double)calls;
        if (t < best) best = t;
    }
    return best * 1e9;
}

static void op_add(Tensor *a, Tensor *b) { torch_add(a, b); }
static void op_mm(Tensor *a, Tensor *b) { torch_mm(a, b); }
static void op_relu(Tensor *a, Tensor *b) { (void)b; torch_relu(a); }
static void op_sum_dim(Tensor *a, Tensor *b) { (void)b; torch_sum_dim(a, 0, false); }
static void op_lt(Tensor *a, Tensor *b) { (void)b; torch_lt_scalar(a, 0); }
static void op_masked_fill(Tensor *a, Tensor *b) { torch_masked_fill(a, (Tensor *)b, 0); }

static int bench_overhead(void) {
    torch_set_num_threads(1);
    torch_manual_seed(1);
    Tensor *one = torch_randn(SHAPE(1)), *h = torch_randn(SHAPE(100, 32));
    Tensor *x = torch_randn(SHAPE(100, 3)), *w = torch_randn(SHAPE(3, 32));
    Tensor *w2 = torch_randn(SHAPE(32, 1)), *mask = torch_lt_scalar(h, 0);
    printf("op,ns_per_op\n");
    printf("add 1 element,%.1f\n", ns_per_op(op_add, one, one, 200000));
    printf("add (100 32),%.1f\n", ns_per_op(op_add, h, h, 50000));
    printf("relu (100 32),%.1f\n", ns_per_op(op_relu, h, NULL, 50000));
    printf("lt_scalar (100 32),%.1f\n", ns_per_op(op_lt, h, NULL, 50000));
    printf("masked_fill (100 32),%.1f\n", ns_per_op(op_masked_fill, h, mask, 50000));
    printf("sum_dim 0 (100 32),%.1f\n", ns_per_op(op_sum_dim, h, NULL, 50000));
    printf("mm (100 3)(3 32),%.1f\n", ns_per_op(op_mm, x, w, 50000));
    printf("mm (100 32)(32 1),%.1f\n", ns_per_op(op_mm, h, w2, 50000));
    return 0;
}

/* ---- chapter 4's loop, with memory counters ------------------------------------------------ */

/* The process's peak resident memory, in KB: Linux's VmHWM (getrusage's ru_maxrss would
 * also count the parent process this one was forked from before exec). */
static long peak_rss_kb(void) {
    char line[256];
    long kb = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
        fclose(f);
    }
    if (kb == 0) { /* not Linux */
        struct rusage u;
        getrusage(RUSAGE_SELF, &u);
        kb = u.ru_maxrss;
    }
    return kb;
}

/* The resident memory now, in bytes (Linux: /proc/self/statm; 0 elsewhere). */
static long long rss_now(void) {
    long long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    if (fscanf(f, "%lld %lld", &size, &resident) != 2) resident = 0;
    fclose(f);
    return resident * 4096;
}

/* The bytes that must be alive at the worst moment of an epoch of chapter 4's loop, whatever
 * the memory manager: the data (x, y), the parameters, their gradients and Adam's two moments
 * (4 copies of the P parameters), and the graph at its largest, while ReLU's backward runs:
 * ReLU's output (saved for it), the gradient arriving at it and the gradient it sends on,
 * each n x hidden. Everything else (h before ReLU, the mask, the temporaries) could be gone
 * by then in a system that frees each tensor as soon as nothing refers to it. */
static long long needed_bytes(long n, long d_in, long hidden) {
    long long params = (long long)hidden * d_in + hidden + hidden + 1;
    long long floats = (long long)n * d_in + n + 4 * params + 3LL * n * hidden;
    return floats * (long long)sizeof(float);
}

static int bench_train(int argc, char **argv) {
    long n = 100, d_in = 3, hidden = 32, epochs = 20000;
    int threads = 1;
    for (int i = 0; i < argc; i += 2) { /* flag, value */
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(f, "--n") == 0) n = arg_long(f, v);
        else if (strcmp(f, "--d-in") == 0) d_in = arg_long(f, v);
        else if (strcmp(f, "--hidden") == 0) hidden = arg_long(f, v);
        else if (strcmp(f, "--epochs") == 0) epochs = arg_long(f, v);
        else if (strcmp(f, "--threads") == 0) threads = (int)arg_long(f, v);
        else {
            fprintf(stderr, "bench_ops train: unknown flag '%s'\n", f);
            return 2;
        }
    }
    if (d_in < 3) d_in = 3;
    long long rss_before = rss_now();
    torch_set_num_threads(threads);
    torch_manual_seed(1);
    /* the chapter's data and network (stage4_losses_optim/train.c) */
    Tensor *x = torch_randn(SHAPE(n, d_in));
    Tensor *y = torch_add(torch_sub(torch_sub(torch_mul_scalar(torch_narrow(x, 1, 0, 1), 0.2f),
                                              torch_mul_scalar(torch_narrow(x, 1, 1, 1), 1.3f)),
                                    torch_mul_scalar(torch_narrow(x, 1, 2, 1), 0.5f)),
                          torch_randn(SHAPE(n, 1)));
    Module *model = nn_sequential(nn_linear(d_in, hidden), nn_relu(), nn_linear(hidden, 1));
    Optimizer *optimizer = optim_adam(nn_parameters(model), 0.08);
    TorchMemoryStats after_second = {0};
    double start = 0;
    float loss = 0;
    for (long t = 1; t <= epochs; t++) {
        torch_scope_begin();
        Tensor *l = nnf_mse_loss(nn_forward(model, x), y, "sum");
        loss = torch_item(l);
        optim_zero_grad(optimizer);
        torch_backward(l);
        optim_step(optimizer);
        torch_scope_end();
        if (t == 1) start = now();
        /* epoch 2, not 1: the optimizer's state, made at the first step, takes buffers that
         * epoch 1's graph had returned, and epoch 2 obtains them again once */
        if (t == 2 || epochs == 1) after_second = torch_memory_stats();
    }
    double per_epoch = epochs > 1 ? (now() - start) / (double)(epochs - 1) : NAN;
    TorchMemoryStats end = torch_memory_stats();
    long rss = peak_rss_kb();
    printf("name,value\n");
    printf("n,%ld\nd_in,%ld\nhidden,%ld\nepochs,%ld\nthreads,%d\n", n, d_in, hidden, epochs,
           threads);
    printf("final_loss,%.9g\n", loss);
    printf("seconds_per_epoch,%.9g\n", per_epoch);
    printf("needed_bytes,%lld\n", needed_bytes(n, d_in, hidden));
    printf("peak_tensor_bytes,%lld\n", (long long)end.peak_bytes);
    printf("peak_rss_bytes,%lld\n", (long long)rss * 1024 - rss_before);
    printf("mallocs_after_epoch_2,%lld\n", (long long)after_second.mallocs);
    printf("mallocs_at_end,%lld\n", (long long)end.mallocs);
    printf("live_bytes_after_epoch_2,%lld\n", (long long)after_second.live_bytes);
    printf("live_bytes_at_end,%lld\n", (long long)end.live_bytes);
    printf("cached_bytes_at_end,%lld\n", (long long)end.cached_bytes);
    optim_free(optimizer);
    nn_free(model);
    return 0;
}

/* ---- breakdown: the parts of chapter 4's epoch --------------------------------------------- */

/* Best time of `repeat` calls of fn, each inside its own scope (its tensors released after). */
static double best_seconds(void (*fn)(Tensor **), Tensor **t, int repeat) {
    double best = INFINITY;
    for (int r = 0; r < repeat; r++) {
        torch_scope_begin();
        double s = now();
        fn(t);
        s = now() - s;
        torch_scope_end();
        if (s < best) best = s;
    }
    return best;
}

/* t: x (n, d_in), w1 (hidden, d_in), b1 (hidden), h (n, hidden) after ReLU, g (n, hidden),
 * y (n, 1) */
enum { X, W1, B1, H, G, Y, N_PART_TENSORS };
static void part_mm_forward(Tensor **t) { torch_addmm(t[B1], t[X], torch_t(t[W1])); }
static void part_relu(Tensor **t) { torch_relu(t[H]); }
static void part_relu_backward(Tensor **t) { torch_threshold_backward(t[G], t[H], 0); }
static void part_mm_backward(Tensor **t) { torch_mm(torch_t(t[G]), t[X]); }
static void part_bias_grad(Tensor **t) { torch_sum_dim(t[G], 0, false); }

static Optimizer *breakdown_optimizer;
static void part_adam(Tensor **t) { (void)t; optim_step(breakdown_optimizer); }

/* One epoch of chapter 4's loop, as bench_train runs it. */
static Module *breakdown_model;
static void part_epoch(Tensor **t) {
    Tensor *l = nnf_mse_loss(nn_forward(breakdown_model, t[X]), t[Y], "sum");
    optim_zero_grad(breakdown_optimizer);
    torch_backward(l);
    optim_step(breakdown_optimizer);
}

static int bench_breakdown(int argc, char **argv) {
    long n = 4096, d_in = 512, hidden = 2048;
    int threads = 1, repeat = 5;
    for (int i = 0; i < argc; i += 2) { /* flag, value */
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(f, "--n") == 0) n = arg_long(f, v);
        else if (strcmp(f, "--d-in") == 0) d_in = arg_long(f, v);
        else if (strcmp(f, "--hidden") == 0) hidden = arg_long(f, v);
        else if (strcmp(f, "--threads") == 0) threads = (int)arg_long(f, v);
        else if (strcmp(f, "--repeat") == 0) repeat = (int)arg_long(f, v);
        else {
            fprintf(stderr, "bench_ops breakdown: unknown flag '%s'\n", f);
            return 2;
        }
    }
    torch_set_num_threads(threads);
    torch_manual_seed(1);
    Tensor *t[N_PART_TENSORS];
    t[X] = torch_randn(SHAPE(n, d_in));
    t[W1] = torch_randn(SHAPE(hidden, d_in));
    t[B1] = torch_randn(SHAPE(hidden));
    t[H] = torch_relu(torch_randn(SHAPE(n, hidden)));
    t[G] = torch_randn(SHAPE(n, hidden));
    t[Y] = torch_randn(SHAPE(n, 1));
    breakdown_model = nn_sequential(nn_linear(d_in, hidden), nn_relu(), nn_linear(hidden, 1));
    breakdown_optimizer = optim_adam(nn_parameters(breakdown_model), 0.08);
    best_seconds(part_epoch, t, 1); /* Adam's state exists from now on, as in an epoch */
    const double big = (double)n * (double)d_in * (double)hidden;
    printf("part,seconds,multiply_adds\n");
    printf("mm forward (x w1^T + b1),%.9g,%.0f\n", best_seconds(part_mm_forward, t, repeat), big);
    printf("relu,%.9g,0\n", best_seconds(part_relu, t, repeat));
    printf("relu backward,%.9g,0\n", best_seconds(part_relu_backward, t, repeat));
    printf("mm backward (g^T x),%.9g,%.0f\n", best_seconds(part_mm_backward, t, repeat), big);
    printf("bias gradient (sum over rows),%.9g,0\n", best_seconds(part_bias_grad, t, repeat));
    printf("adam step,%.9g,0\n", best_seconds(part_adam, t, repeat));
    /* the epoch's multiply-adds: the two big products, and the second layer's three
     * (n, hidden) x (hidden, 1)-sized ones: forward, its weight's and its input's gradients */
    printf("epoch,%.9g,%.0f\n", best_seconds(part_epoch, t, repeat),
           2 * big + 3.0 * (double)n * (double)hidden);
    optim_free(breakdown_optimizer);
    nn_free(breakdown_model);
    return 0;
}

static int bench_peak(int argc, char **argv) {
    int threads = 1;
    if (argc == 2 && strcmp(argv[0], "--threads") == 0) threads = (int)arg_long(argv[0], argv[1]);
    else if (argc != 0) {
        fprintf(stderr, "usage: bench_ops peak [--threads T]\n");
        return 2;
    }
    PeakResult r = peak_fma(threads);
    printf("isa,lanes,threads,gflops\n%s,%d,%d,%.2f\n", r.isa, r.lanes, r.threads, r.gflops);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "mm") == 0) return bench_mm(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "overhead") == 0) return bench_overhead();
    if (argc >= 2 && strcmp(argv[1], "train") == 0) return bench_train(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "breakdown") == 0)
        return bench_breakdown(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "peak") == 0) return bench_peak(argc - 2, argv + 2);
    fprintf(stderr, "usage: bench_ops mm [--threads T] [--isa NAME] [SIZE...]\n"
                    "       bench_ops overhead\n"
                    "       bench_ops train [--n N] [--d-in D] [--hidden H] [--epochs E] "
                    "[--threads T]\n"
                    "       bench_ops breakdown [--n N] [--d-in D] [--hidden H] [--threads T] "
                    "[--repeat R]\n"
                    "       bench_ops peak [--threads T]\n");
    return 2;
}

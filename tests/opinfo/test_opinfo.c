/*
 * test_opinfo.c: PyTorch's own sample inputs, replayed against ctorch.
 *
 * Every operator in PyTorch carries an OpInfo (torch.testing._internal.
 * common_methods_invocations) with three generators of inputs: sample_inputs, reference_inputs
 * (extremal values, large and strided tensors) and error_inputs. tools/gen_opinfo_fixtures.py
 * maps each float32 sample onto the ctorch call that expresses it and stores what PyTorch 1.13
 * computed in tests/fixtures/opinfo/<OpInfo>.txt (the format is described there), with edge
 * samples of its own (derivative boundaries, the extremes of the stable formulas, long sums,
 * empty inner dims) and the in-place variants (add_, ...) of the samples. Here each sample
 * runs through that call:
 *
 *   - the inputs are rebuilt with the same strides (a strided input comes as its storage and
 *     the views that make it), and inputs PyTorch differentiates require grad;
 *   - the output is compared with PyTorch's: bit for bit where ctorch promises libtorch's
 *     formula, otherwise within the tolerance of the CALLS table below, each with its reason;
 *   - backward runs with the same g PyTorch used (drawn by torch_randn after
 *     torch_manual_seed, which reproduce libtorch's stream), and every gradient is compared;
 *   - where PyTorch raises, ctorch must raise, with libtorch's wording unless the fixture says
 *     ctorch words it itself ("error_any"); where ctorch refuses on purpose ("refuses") it must
 *     raise; R's arange includes its end ("arange_end").
 *
 * One test per OpInfo. A test replays every sample of its OpInfo and reports all that
 * disagree (OPINFO_VERBOSE=1 prints each to stderr). The coverage table and the deliberate
 * differences are in docs/reliability.md.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "autograd.h"
#include "ct_test.h"
#include "losses.h"
#include "nn.h"

/* ---- how close is close enough ------------------------------------------------------------- */

typedef enum Tolerance {
    EXACT, /* the same bits (any NaN matches any NaN: libtorch's NaNs differ in sign/payload) */
    ULPS,  /* within 2 units in the last place: libtorch calls SLEEF's expf/logf/powf, ctorch
            * the C library's; both are correct to 1 ULP, and differ in about 1 element in 10 */
    SUMS,  /* sums: |diff| <= 1e-5 |expected| + 2e-6 * the sum of |terms| (<case>.scale or
            * .gscale<i>): libtorch adds float32 in its own cascade order (BLAS's for products),
            * ctorch in double in row-major order (sums) or float in ascending order (products) */
    CLOSE, /* composite formulas (losses, log_softmax, general powers): |diff| <= 1e-5
            * |expected| + 1e-6, relative to the case's largest |expected| for the 1e-6 */
} Tolerance;

static const char *const TOLERANCE_NAME[] = {"exact", "2 ULP", "sums", "close"};

/* ---- the C calls ------------------------------------------------------------------------------ */

#define MAX_ARGS 8

/* A case's arguments, gathered by kind in the order they appear on its line. */
typedef struct CallArgs {
    Tensor *t[MAX_ARGS];   /* inputs; a call may replace one with the leaf it differentiates */
    int n_t;
    bool grad[MAX_ARGS];   /* t[i] requires grad */
    float f[MAX_ARGS];     /* float32 scalars */
    double d[MAX_ARGS];    /* doubles (arange's bounds) */
    int64_t i[MAX_ARGS];   /* ints: dims, indices, keepdim, seeds */
    const char *s;         /* a reduction */
    Shape shape;           /* a list of sizes */
    Tensor *out1;          /* a second output: max_dim's and min_dim's indices */
    Module *module;        /* nn_linear's module, freed after the case */
} CallArgs;

/* One function per call: it runs the ctorch function on the case's arguments. */
typedef Tensor *(*CallFn)(CallArgs *a);

/* The call functions name their tensors T0, T1, T2 (the case line's T0, T1, T2). */
#define T0 a->t[0]
#define T1 a->t[1]
#define T2 a->t[2]

static Tensor *add(CallArgs *a) { return torch_add(T0, T1); }
static Tensor *sub(CallArgs *a) { return torch_sub(T0, T1); }
static Tensor *mul(CallArgs *a) { return torch_mul(T0, T1); }
static Tensor *div_(CallArgs *a) { return torch_div(T0, T1); }
static Tensor *add_scalar(CallArgs *a) { return torch_add_scalar(T0, a->f[0]); }
static Tensor *sub_scalar(CallArgs *a) { return torch_sub_scalar(T0, a->f[0]); }
static Tensor *mul_scalar(CallArgs *a) { return torch_mul_scalar(T0, a->f[0]); }
static Tensor *div_scalar(CallArgs *a) { return torch_div_scalar(T0, a->f[0]); }
static Tensor *neg(CallArgs *a) { return torch_neg(T0); }
static Tensor *abs_(CallArgs *a) { return torch_abs(T0); }
static Tensor *exp_(CallArgs *a) { return torch_exp(T0); }
static Tensor *log_(CallArgs *a) { return torch_log(T0); }
static Tensor *sqrt_(CallArgs *a) { return torch_sqrt(T0); }
static Tensor *relu(CallArgs *a) { return torch_relu(T0); }
static Tensor *pow_(CallArgs *a) { return torch_pow(T0, a->f[0]); }
static Tensor *clamp_min(CallArgs *a) { return torch_clamp_min(T0, a->f[0]); }
static Tensor *clamp(CallArgs *a) { return torch_clamp(T0, a->f[0], a->f[1]); }
static Tensor *eq(CallArgs *a) { return torch_eq(T0, T1); }
static Tensor *ne(CallArgs *a) { return torch_ne(T0, T1); }
static Tensor *lt(CallArgs *a) { return torch_lt(T0, T1); }
static Tensor *le(CallArgs *a) { return torch_le(T0, T1); }
static Tensor *gt(CallArgs *a) { return torch_gt(T0, T1); }
static Tensor *ge(CallArgs *a) { return torch_ge(T0, T1); }
static Tensor *eq_scalar(CallArgs *a) { return torch_eq_scalar(T0, a->f[0]); }
static Tensor *ne_scalar(CallArgs *a) { return torch_ne_scalar(T0, a->f[0]); }
static Tensor *lt_scalar(CallArgs *a) { return torch_lt_scalar(T0, a->f[0]); }
static Tensor *le_scalar(CallArgs *a) { return torch_le_scalar(T0, a->f[0]); }
static Tensor *gt_scalar(CallArgs *a) { return torch_gt_scalar(T0, a->f[0]); }
static Tensor *ge_scalar(CallArgs *a) { return torch_ge_scalar(T0, a->f[0]); }
static Tensor *masked_fill(CallArgs *a) { return torch_masked_fill(T0, T1, a->f[0]); }
static Tensor *where(CallArgs *a) { return torch_where(T0, T1, T2); }
static Tensor *sum(CallArgs *a) { return torch_sum(T0); }
static Tensor *sum_dim(CallArgs *a) { return torch_sum_dim(T0, (int)a->i[0], a->i[1]); }
static Tensor *mean(CallArgs *a) { return torch_mean(T0); }
static Tensor *mean_dim(CallArgs *a) { return torch_mean_dim(T0, (int)a->i[0], a->i[1]); }
static Tensor *max(CallArgs *a) { return torch_max(T0); }
static Tensor *min(CallArgs *a) { return torch_min(T0); }
static Tensor *max_dim(CallArgs *a) {
    return torch_max_dim(T0, (int)a->i[0], a->i[1], &a->out1);
}
static Tensor *min_dim(CallArgs *a) {
    return torch_min_dim(T0, (int)a->i[0], a->i[1], &a->out1);
}
static Tensor *argmax(CallArgs *a) { return torch_argmax(T0, (int)a->i[0], a->i[1]); }
static Tensor *mm(CallArgs *a) { return torch_mm(T0, T1); }
static Tensor *matmul(CallArgs *a) { return torch_matmul(T0, T1); }
static Tensor *addmm(CallArgs *a) { return torch_addmm(T0, T1, T2); }
static Tensor *select(CallArgs *a) { return torch_select(T0, (int)a->i[0], a->i[1]); }
static Tensor *narrow(CallArgs *a) { return torch_narrow(T0, (int)a->i[0], a->i[1], a->i[2]); }
static Tensor *slice(CallArgs *a) {
    return torch_slice(T0, (int)a->i[0], a->i[1], a->i[2], a->i[3]);
}
static Tensor *view(CallArgs *a) { return torch_view(T0, a->shape); }
static Tensor *reshape(CallArgs *a) { return torch_reshape(T0, a->shape); }
static Tensor *squeeze(CallArgs *a) { return torch_squeeze(T0); }
static Tensor *squeeze_dim(CallArgs *a) { return torch_squeeze_dim(T0, (int)a->i[0]); }
static Tensor *unsqueeze(CallArgs *a) { return torch_unsqueeze(T0, (int)a->i[0]); }
static Tensor *transpose(CallArgs *a) {
    return torch_transpose(T0, (int)a->i[0], (int)a->i[1]);
}
static Tensor *t(CallArgs *a) { return torch_t(T0); }
static Tensor *expand(CallArgs *a) { return torch_expand(T0, a->shape); }
static Tensor *contiguous(CallArgs *a) { return torch_contiguous(T0); }
static Tensor *clone(CallArgs *a) { return torch_clone(T0); }
static Tensor *to_float(CallArgs *a) { return torch_to_dtype(T0, TORCH_FLOAT32); }
static Tensor *to_long(CallArgs *a) { return torch_to_dtype(T0, TORCH_INT64); }
static Tensor *to_bool(CallArgs *a) { return torch_to_dtype(T0, TORCH_BOOL); }
/* In place, on the input itself (rebuilt with PyTorch's strides), returning it. */
static Tensor *add_(CallArgs *a) { return torch_add_(T0, T1); }
static Tensor *sub_(CallArgs *a) { return torch_sub_(T0, T1); }
static Tensor *mul_(CallArgs *a) { return torch_mul_(T0, T1); }
static Tensor *mul_scalar_(CallArgs *a) { return torch_mul_scalar_(T0, a->f[0]); }
static Tensor *masked_fill_(CallArgs *a) { return torch_masked_fill_(T0, T1, a->f[0]); }
static Tensor *fill(CallArgs *a) { return torch_fill_(T0, a->f[0]); }
static Tensor *zero(CallArgs *a) { return torch_zero_(T0); }
static Tensor *zeros(CallArgs *a) { return torch_zeros(a->shape); }
static Tensor *ones(CallArgs *a) { return torch_ones(a->shape); }
static Tensor *eye(CallArgs *a) { return torch_eye(a->i[0]); }
static Tensor *arange(CallArgs *a) { return torch_arange(a->d[0], a->d[1], a->d[2]); }
static Tensor *zeros_like(CallArgs *a) { return torch_zeros_like(T0); }
static Tensor *ones_like(CallArgs *a) { return torch_ones_like(T0); }
static Tensor *full_like(CallArgs *a) { return torch_full(torch_shape(T0), a->f[0]); }
static Tensor *randn(CallArgs *a) {
    torch_manual_seed((uint64_t)a->i[0]);
    return torch_randn(a->shape);
}
/* F.linear(x, weight, bias) is nn_linear's forward with those parameters: the module's own
 * parameters take the values, and become the leaves whose gradients are compared. */
static Tensor *linear(CallArgs *a) {
    a->module = nn_linear(torch_size(T1, 1), torch_size(T1, 0));
    Tensor *weight = nn_get_parameter(a->module, "weight");
    Tensor *bias = nn_get_parameter(a->module, "bias");
    with_no_grad(torch_copy_(weight, T1); torch_copy_(bias, T2));
    T1 = weight;
    T2 = bias;
    return nn_forward(a->module, T0);
}
static Tensor *mse_loss(CallArgs *a) { return nnf_mse_loss(T0, T1, a->s); }
static Tensor *l1_loss(CallArgs *a) { return nnf_l1_loss(T0, T1, a->s); }
static Tensor *bce(CallArgs *a) { return nnf_binary_cross_entropy(T0, T1, a->s); }
static Tensor *bce_logits(CallArgs *a) {
    return nnf_binary_cross_entropy_with_logits(T0, T1, a->s);
}
static Tensor *kl_div(CallArgs *a) { return nnf_kl_div(T0, T1, a->s); }
static Tensor *nll_loss(CallArgs *a) { return nnf_nll_loss(T0, T1, a->s); }
static Tensor *nll_loss_ii(CallArgs *a) { return nnf_nll_loss_ignore_index(T0, T1, a->i[0], a->s); }
static Tensor *cross_entropy(CallArgs *a) { return nnf_cross_entropy(T0, T1, a->s); }
static Tensor *cross_entropy_ii(CallArgs *a) {
    return nnf_cross_entropy_ignore_index(T0, T1, a->i[0], a->s);
}
static Tensor *log_softmax(CallArgs *a) { return nnf_log_softmax(T0, (int)a->i[0]); }

/* Each call with its tolerance for the output and for the gradients, and why. */
typedef struct Call {
    const char *name;
    CallFn fn;
    Tolerance out, grad;
} Call;

static const Call CALLS[] = {
    /* Elementwise arithmetic: libtorch's formula in float32, the same bits. A gradient summed
     * over broadcast dims is a sum (SUMS, with its .gscale); otherwise it is exact. */
    {"add", add, EXACT, EXACT}, {"sub", sub, EXACT, EXACT},
    {"mul", mul, EXACT, EXACT}, {"div", div_, EXACT, EXACT},
    {"add_scalar", add_scalar, EXACT, EXACT}, {"sub_scalar", sub_scalar, EXACT, EXACT},
    {"mul_scalar", mul_scalar, EXACT, EXACT}, {"div_scalar", div_scalar, EXACT, EXACT},
    {"neg", neg, EXACT, EXACT}, {"abs", abs_, EXACT, EXACT},
    {"sqrt", sqrt_, EXACT, EXACT}, {"relu", relu, EXACT, EXACT},
    {"clamp_min", clamp_min, EXACT, EXACT}, {"clamp", clamp, EXACT, EXACT},
    /* exp and log: the C library's, 1 ULP from SLEEF's; their gradients multiply by exp(x)
     * or divide by x, one rounding more. pow: exact for the exponents libtorch special-cases
     * (0, 1, 2, 3, 0.5, -0.5, -1, -2; see pow_tolerance), else powf. */
    {"exp", exp_, ULPS, ULPS}, {"log", log_, ULPS, EXACT}, {"pow", pow_, CLOSE, CLOSE},
    /* Comparisons, masks, selections: no arithmetic at all. */
    {"eq", eq, EXACT, EXACT}, {"ne", ne, EXACT, EXACT}, {"lt", lt, EXACT, EXACT},
    {"le", le, EXACT, EXACT}, {"gt", gt, EXACT, EXACT}, {"ge", ge, EXACT, EXACT},
    {"eq_scalar", eq_scalar, EXACT, EXACT}, {"ne_scalar", ne_scalar, EXACT, EXACT},
    {"lt_scalar", lt_scalar, EXACT, EXACT}, {"le_scalar", le_scalar, EXACT, EXACT},
    {"gt_scalar", gt_scalar, EXACT, EXACT}, {"ge_scalar", ge_scalar, EXACT, EXACT},
    {"masked_fill", masked_fill, EXACT, EXACT}, {"where", where, EXACT, EXACT},
    /* The in-place variants: the same kernels, writing into a strided input. */
    {"add_", add_, EXACT, EXACT}, {"sub_", sub_, EXACT, EXACT}, {"mul_", mul_, EXACT, EXACT},
    {"mul_scalar_", mul_scalar_, EXACT, EXACT}, {"masked_fill_", masked_fill_, EXACT, EXACT},
    /* Sums in double (a documented difference from libtorch's float cascade); max and min
     * only compare, and their gradients copy g (or split it evenly between ties). */
    {"sum", sum, SUMS, EXACT}, {"sum_dim", sum_dim, SUMS, EXACT},
    {"mean", mean, SUMS, EXACT}, {"mean_dim", mean_dim, SUMS, EXACT},
    {"max", max, EXACT, EXACT}, {"min", min, EXACT, EXACT},
    {"max_dim", max_dim, EXACT, EXACT}, {"min_dim", min_dim, EXACT, EXACT},
    {"argmax", argmax, EXACT, EXACT},
    /* Products: ctorch's order of summation is its own (mm_reference), BLAS's is another. */
    {"mm", mm, SUMS, SUMS}, {"matmul", matmul, SUMS, SUMS}, {"addmm", addmm, SUMS, SUMS},
    {"linear", linear, SUMS, SUMS},
    /* Views and copies move values; their gradients put g back where it came from. */
    {"select", select, EXACT, EXACT}, {"narrow", narrow, EXACT, EXACT},
    {"slice", slice, EXACT, EXACT}, {"view", view, EXACT, EXACT},
    {"reshape", reshape, EXACT, EXACT}, {"squeeze", squeeze, EXACT, EXACT},
    {"squeeze_dim", squeeze_dim, EXACT, EXACT}, {"unsqueeze", unsqueeze, EXACT, EXACT},
    {"transpose", transpose, EXACT, EXACT}, {"t", t, EXACT, EXACT},
    {"expand", expand, EXACT, EXACT}, {"contiguous", contiguous, EXACT, EXACT},
    {"clone", clone, EXACT, EXACT}, {"to_float", to_float, EXACT, EXACT},
    {"to_long", to_long, EXACT, EXACT}, {"to_bool", to_bool, EXACT, EXACT},
    /* Creation: the same values; randn draws libtorch's stream bit for bit. */
    {"fill_", fill, EXACT, EXACT}, {"zero_", zero, EXACT, EXACT},
    {"zeros", zeros, EXACT, EXACT}, {"ones", ones, EXACT, EXACT}, {"eye", eye, EXACT, EXACT},
    {"arange", arange, EXACT, EXACT}, {"zeros_like", zeros_like, EXACT, EXACT},
    {"ones_like", ones_like, EXACT, EXACT}, {"full_like", full_like, EXACT, EXACT},
    {"randn", randn, EXACT, EXACT},
    /* mse_loss and nll_loss are libtorch's kernels and backward formulas, term by term and
     * reduced in libtorch's order: the same bits (a tolerance would hide another formula). */
    {"mse_loss", mse_loss, EXACT, EXACT}, {"nll_loss", nll_loss, EXACT, EXACT},
    {"nll_loss_ignore_index", nll_loss_ii, EXACT, EXACT},
    /* The other losses and log_softmax: logs, exps, and ctorch's reductions in double. */
    {"l1_loss", l1_loss, CLOSE, CLOSE},
    {"binary_cross_entropy", bce, CLOSE, CLOSE},
    {"binary_cross_entropy_with_logits", bce_logits, CLOSE, CLOSE},
    {"kl_div", kl_div, CLOSE, CLOSE},
    {"cross_entropy", cross_entropy, CLOSE, CLOSE},
    {"cross_entropy_ignore_index", cross_entropy_ii, CLOSE, CLOSE},
    {"log_softmax", log_softmax, CLOSE, CLOSE},
};
#define N_CALLS ((int)(sizeof CALLS / sizeof CALLS[0]))

static const Call *call_named(const char *name) {
    for (int k = 0; k < N_CALLS; k++)
        if (strcmp(CALLS[k].name, name) == 0) return &CALLS[k];
    return NULL;
}

/* pow's exponents libtorch computes with a formula of its own (x * x, sqrt, 1 / x, ...), all
 * of which ctorch copies: those results are exact. */
static Tolerance pow_tolerance(float e) {
    return e == 0 || e == 1 || e == 2 || e == 3 || e == 0.5f || e == -0.5f || e == -1 || e == -2
               ? EXACT
               : CLOSE;
}

/* ---- comparing -------------------------------------------------------------------------------- */

/* A disagreement is described into a buffer; the test collects them. */
typedef struct Report {
    char text[4096];
    size_t len;
    int failures;
} Report;

static void report(Report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(Report *r, const char *fmt, ...) {
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (getenv("OPINFO_VERBOSE")) fprintf(stderr, "%s\n", line);
    if (r->len + strlen(line) + 2 < sizeof r->text)
        r->len += (size_t)snprintf(r->text + r->len, sizeof r->text - r->len, "\n  %s", line);
}

static uint32_t bits_of(float v) {
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

/* Distance in units in the last place (the float bit patterns as an ordered integer line). */
static int64_t ulps_between(float a, float b) {
    int64_t ia = bits_of(a), ib = bits_of(b);
    if (ia & 0x80000000) ia = 0x80000000 - ia;
    if (ib & 0x80000000) ib = 0x80000000 - ib;
    return ia > ib ? ia - ib : ib - ia;
}

static bool float_agrees(float a, float e, float scale, float largest, Tolerance tol) {
    if (isnan(e) || isnan(a)) return isnan(e) && isnan(a);
    if (bits_of(a) == bits_of(e)) return true;
    switch (tol) {
    case EXACT: return false;
    case ULPS: return isfinite(e) && ulps_between(a, e) <= 2;
    case SUMS:
        return isfinite(e) && fabs((double)a - e) <= 1e-5 * fabs(e) + 2e-6 * scale;
    case CLOSE:
        return isfinite(e) && fabs((double)a - e) <= 1e-5 * fabs(e) + 1e-6 * (1 + largest);
    }
    return false;
}

/* Whether actual has expected's shape, dtype and values; describes the first difference. */
static bool tensors_agree(Tensor *actual, Tensor *expected, Tensor *scale, Tolerance tol,
                          const char *what, Report *r, const char *where) {
    char sa[96], se[96];
    if (torch_dtype(actual) != torch_dtype(expected) ||
        !shape_equal(torch_shape(actual), torch_shape(expected))) {
        report(r, "%s: %s has shape %s (dtype %d), PyTorch's %s (dtype %d)", where, what,
               shape_str(torch_shape(actual), sa, sizeof sa), torch_dtype(actual),
               shape_str(torch_shape(expected), se, sizeof se), torch_dtype(expected));
        return false;
    }
    int64_t n = torch_numel(expected);
    if (n == 0) return true;
    if (torch_dtype(expected) == TORCH_INT64) {
        int64_t *va = malloc(sizeof *va * (size_t)n), *ve = malloc(sizeof *ve * (size_t)n);
        torch_to_array_i64(actual, va);
        torch_to_array_i64(expected, ve);
        int64_t bad = -1;
        for (int64_t i = 0; i < n && bad < 0; i++)
            if (va[i] != ve[i]) bad = i;
        if (bad >= 0)
            report(r, "%s: %s[%" PRId64 "] is %" PRId64 ", PyTorch's %" PRId64, where, what, bad,
                   va[bad], ve[bad]);
        free(va);
        free(ve);
        return bad < 0;
    }
    float *va = malloc(sizeof *va * (size_t)n), *ve = malloc(sizeof *ve * (size_t)n);
    float *vs = scale ? malloc(sizeof *vs * (size_t)n) : NULL;
    torch_to_array(actual, va);
    torch_to_array(expected, ve);
    if (vs) torch_to_array(scale, vs);
    float largest = 0;
    for (int64_t i = 0; i < n; i++)
        if (isfinite(ve[i]) && fabsf(ve[i]) > largest) largest = fabsf(ve[i]);
    if (tol == SUMS && !vs) tol = EXACT; /* no sum behind these values */
    int64_t bad = -1;
    for (int64_t i = 0; i < n && bad < 0; i++)
        if (!float_agrees(va[i], ve[i], vs ? vs[i] : 0, largest, tol)) bad = i;
    if (bad >= 0)
        report(r, "%s: %s[%" PRId64 "] is %.9g (0x%08x), PyTorch's %.9g (0x%08x), %s", where,
               what, bad, va[bad], bits_of(va[bad]), ve[bad], bits_of(ve[bad]),
               TOLERANCE_NAME[tol]);
    free(va);
    free(ve);
    free(vs);
    return bad < 0;
}

/* ---- one case --------------------------------------------------------------------------------- */

typedef struct Case {
    char name[16], call[48], expect[16];
    char line[512]; /* the whole line, for messages */
    char words[MAX_ARGS * 2][64];
    int n_words;
} Case;

/* Splits "c3 add value T0g T1g # reference: ..." into its words. */
static void case_parse(const char *line, Case *c) {
    memset(c, 0, sizeof *c);
    snprintf(c->line, sizeof c->line, "%s", line);
    char buf[512];
    snprintf(buf, sizeof buf, "%s", line);
    char *hash = strstr(buf, " # ");
    if (hash) *hash = '\0';
    char *save = NULL;
    char *name = strtok_r(buf, " ", &save), *call = strtok_r(NULL, " ", &save);
    char *expect = strtok_r(NULL, " ", &save), *w;
    ck_assert_msg(name && call && expect, "a case line without name, call and expectation: %s",
                  line);
    snprintf(c->name, sizeof c->name, "%s", name);
    snprintf(c->call, sizeof c->call, "%s", call);
    snprintf(c->expect, sizeof c->expect, "%s", expect);
    while ((w = strtok_r(NULL, " ", &save)) != NULL) {
        ck_assert_int_lt(c->n_words, MAX_ARGS * 2);
        snprintf(c->words[c->n_words++], sizeof c->words[0], "%s", w);
    }
}

/* "L5,-1,2" (or "L" for the empty list) -> a Shape. */
static Shape shape_parse(const char *list) {
    Shape s = SHAPE_SCALAR;
    for (const char *p = list; *p;) {
        ck_assert_int_lt(s.ndim, TORCH_MAX_DIMS);
        char *end;
        s.size[s.ndim++] = strtoll(p, &end, 10);
        p = *end == ',' ? end + 1 : end;
    }
    return s;
}

/* Applies the views of a "how" text ("narrow 0 3 40;view 5 8;select 2 0;...") to a 1-d
 * storage: the input PyTorch saw, with its strides. */
static Tensor *views_apply(Tensor *t, const char *how) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", how);
    char *save = NULL;
    for (char *step = strtok_r(buf, ";", &save); step; step = strtok_r(NULL, ";", &save)) {
        char word[16];
        int used = 0;
        ck_assert(sscanf(step, "%15s%n", word, &used) == 1);
        Shape n = SHAPE_SCALAR;
        for (char *p = step + used; *p;) {
            char *end;
            long long v = strtoll(p, &end, 10);
            if (end == p) break;
            n.size[n.ndim++] = v;
            p = end;
        }
        if (strcmp(word, "narrow") == 0) t = torch_narrow(t, (int)n.size[0], n.size[1], n.size[2]);
        else if (strcmp(word, "view") == 0) t = torch_view(t, n);
        else if (strcmp(word, "select") == 0) t = torch_select(t, (int)n.size[0], n.size[1]);
        else if (strcmp(word, "transpose") == 0) t = torch_transpose(t, (int)n.size[0], (int)n.size[1]);
        else if (strcmp(word, "unsqueeze") == 0) t = torch_unsqueeze(t, (int)n.size[0]);
        else if (strcmp(word, "expand") == 0) t = torch_expand(t, n);
        else ck_abort_msg("unknown view step %s", step);
    }
    return t;
}

/* Input i of a case: stored contiguous, or as its storage and the views that rebuild it, with
 * the strides (where a dim has more than one element) and the offset PyTorch's input had. */
static Tensor *input_of(Fixtures *fx, const Case *c, int i) {
    char name[64], how[80], stride[80], offset[80];
    snprintf(name, sizeof name, "%s.t%d", c->name, i);
    snprintf(how, sizeof how, "%s.how", name);
    Tensor *t = fixture_tensor(fx, name);
    if (!fixture_has(fx, how)) return t;
    t = views_apply(t, fixture_text(fx, how));
    snprintf(stride, sizeof stride, "%s.stride", name);
    snprintf(offset, sizeof offset, "%s.offset", name);
    int64_t want[TORCH_MAX_DIMS];
    Tensor *strides = fixture_tensor(fx, stride);
    ck_assert_int_eq(torch_numel(strides), torch_dim(t));
    torch_to_array_i64(strides, want);
    for (int d = 0; d < torch_dim(t); d++)
        ck_assert_msg(torch_size(t, d) <= 1 || t->stride[d] == want[d],
                      "%s: the rebuilt input's stride[%d] is %" PRId64 ", PyTorch's %" PRId64,
                      name, d, t->stride[d], want[d]);
    ck_assert_int_eq(t->offset, (int64_t)fixture_scalar(fx, offset));
    return t;
}

/* Runs the call; NULL if ctorch raised an error (torch_last_error() says which). */
static Tensor *call_caught(const Call *call, CallArgs *a) {
    jmp_buf on_error;
    if (setjmp(on_error) != 0) return NULL;
    torch_catch_errors(&on_error);
    Tensor *out = call->fn(a);
    torch_catch_errors(NULL);
    return out;
}

/* backward(out, g); false (and the error in torch_last_error()) if ctorch raised. */
static bool backward_caught(Tensor *out, Tensor *g) {
    jmp_buf on_error;
    if (setjmp(on_error) != 0) return false;
    torch_catch_errors(&on_error);
    torch_backward_with(out, g, false);
    torch_catch_errors(NULL);
    return true;
}

/* ctorch's error text without its "op: " prefix: libtorch's own part. */
static const char *error_text(const char *message) {
    const char *colon = strstr(message, ": ");
    return colon ? colon + 2 : message;
}

static Tensor *fixture_or_null(Fixtures *fx, const char *case_name, const char *suffix) {
    char name[64];
    snprintf(name, sizeof name, "%s.%s", case_name, suffix);
    return fixture_has(fx, name) ? fixture_tensor(fx, name) : NULL;
}

static bool all_zero(Tensor *t) {
    return t == NULL || torch_numel(t) == 0 ||
           torch_item(torch_sum(torch_abs(torch_to_dtype(t, TORCH_FLOAT32)))) == 0;
}

/* Compares every gradient PyTorch computed (or did not) with ctorch's. */
static bool grads_agree(Fixtures *fx, const Case *c, CallArgs *a, Tolerance tol, Report *r) {
    bool ok = true;
    for (int i = 0; i < a->n_t; i++) {
        if (!a->grad[i]) continue;
        char suffix[32], what[48];
        snprintf(suffix, sizeof suffix, "grad%d", i);
        snprintf(what, sizeof what, "the gradient of input %d", i);
        Tensor *expected = fixture_or_null(fx, c->name, suffix);
        Tensor *actual = torch_grad(a->t[i]);
        if (expected == NULL) { /* PyTorch: no gradient flows to this input */
            if (!all_zero(actual)) {
                report(r, "%s: %s: PyTorch has none, ctorch a non-zero one", c->line, what);
                ok = false;
            }
            continue;
        }
        if (actual == NULL) {
            if (!all_zero(expected)) {
                report(r, "%s: %s: ctorch has none, PyTorch a non-zero one", c->line, what);
                ok = false;
            }
            continue;
        }
        snprintf(suffix, sizeof suffix, "gscale%d", i);
        Tensor *scale = fixture_or_null(fx, c->name, suffix);
        ok &= tensors_agree(actual, expected, scale, scale ? SUMS : tol, what, r, c->line);
    }
    return ok;
}

/* R's arange includes end: PyTorch's values, then one more (start + n * step). */
static bool arange_end_agrees(Tensor *out, Tensor *expected, CallArgs *a, Report *r,
                              const char *where) {
    int64_t n = torch_numel(expected);
    if (torch_numel(out) != n + 1) {
        report(r, "%s: %" PRId64 " values, PyTorch's %" PRId64 " and the end", where,
               torch_numel(out), n);
        return false;
    }
    Tensor *head = torch_narrow(out, 0, 0, n);
    float last = torch_item(torch_select(out, 0, n));
    float end = (float)(a->d[0] + (double)n * a->d[2]);
    if (bits_of(last) != bits_of(end)) {
        report(r, "%s: the last value is %.9g, the end %.9g", where, last, end);
        return false;
    }
    return tensors_agree(head, expected, NULL, EXACT, "arange", r, where);
}

/* Replays one case; true if ctorch agrees with PyTorch (or differs as documented). */
static bool case_run(Fixtures *fx, const char *line, Report *r) {
    Case c;
    case_parse(line, &c);
    const Call *call = call_named(c.call);
    if (!call) {
        report(r, "%s: no C function for the call %s", line, c.call);
        return false;
    }
    CallArgs a = {.s = NULL, .shape = SHAPE_SCALAR};
    int n_f = 0, n_d = 0, n_i = 0;
    for (int k = 0; k < c.n_words; k++) {
        const char *w = c.words[k];
        switch (w[0]) {
        case 'T': {
            int i = atoi(w + 1);
            while (a.n_t <= i) a.n_t++;
            a.t[i] = input_of(fx, &c, i);
            a.grad[i] = strchr(w, 'g') != NULL;
            if (a.grad[i]) torch_requires_grad_(a.t[i], true);
            break;
        }
        case 'f': a.f[n_f++] = strtof(w + 1, NULL); break;
        case 'd': a.d[n_d++] = strtod(w + 1, NULL); break;
        case 'i': a.i[n_i++] = strtoll(w + 1, NULL, 10); break;
        case 's': a.s = w + 1; break;
        case 'L': a.shape = shape_parse(w + 1); break;
        default: ck_abort_msg("%s: unknown argument %s", line, w);
        }
    }
    Tolerance out_tol = call->out, grad_tol = call->grad;
    if (strcmp(c.call, "pow") == 0) out_tol = grad_tol = pow_tolerance(a.f[0]);

    Tensor *out = call_caught(call, &a);
    bool raised = out == NULL;
    bool ok = true;
    char err_name[64];
    snprintf(err_name, sizeof err_name, "%s.err", c.name);
    if (strcmp(c.expect, "error") == 0 || strcmp(c.expect, "error_any") == 0 ||
        strcmp(c.expect, "refuses") == 0) {
        if (!raised) {
            report(r, "%s: ctorch computes, PyTorch raises \"%s\"", line,
                   fixture_has(fx, err_name) ? fixture_text(fx, err_name)
                                             : "(ctorch refuses on purpose)");
            ok = false;
        } else if (strcmp(c.expect, "error") == 0) {
            const char *want = fixture_text(fx, err_name);
            const char *got = error_text(torch_last_error());
            if (strcmp(got, want) != 0) {
                report(r, "%s: ctorch raises \"%s\", PyTorch \"%s\"", line, torch_last_error(),
                       want);
                ok = false;
            }
        }
    } else if (raised) {
        report(r, "%s: ctorch raises \"%s\"", line, torch_last_error());
        ok = false;
    } else if (strcmp(c.expect, "arange_end") == 0) {
        ok = arange_end_agrees(out, fixture_or_null(fx, c.name, "out"), &a, r, line);
    } else {
        ck_assert_str_eq(c.expect, "value");
        Tensor *scale = fixture_or_null(fx, c.name, "scale");
        ok = tensors_agree(out, fixture_or_null(fx, c.name, "out"), scale, out_tol, "the output",
                           r, line);
        Tensor *out1 = fixture_or_null(fx, c.name, "out1");
        if (ok && out1) ok = tensors_agree(a.out1, out1, NULL, EXACT, "the indices", r, line);
        char seed_name[64];
        snprintf(seed_name, sizeof seed_name, "%s.gseed", c.name);
        if (ok && fixture_has(fx, seed_name)) {
            torch_manual_seed((uint64_t)fixture_scalar(fx, seed_name));
            Tensor *g = torch_randn(torch_shape(out));
            if (!backward_caught(out, g)) {
                report(r, "%s: backward raises \"%s\"", line, torch_last_error());
                ok = false;
            } else {
                ok = grads_agree(fx, &c, &a, grad_tol, r);
            }
        }
    }
    if (a.module) nn_free(a.module);
    return ok;
}

/* ---- the OpInfos ------------------------------------------------------------------------------ */

/* tools/gen_opinfo_fixtures.py's OPS, in its order (the index test checks the two agree). */
static const char *const OPINFOS[] = {
    "add", "__radd__", "sub", "mul", "__rmul__", "div.no_rounding_mode", "div.trunc_rounding",
    "div.floor_rounding", "neg", "abs", "exp", "log", "sqrt", "nn.functional.relu", "pow",
    "clamp_min", "clamp", "eq", "ne", "lt", "le", "gt", "ge", "masked_fill", "where", "sum",
    "mean", "max.reduction_no_dim", "max.reduction_with_dim", "min.reduction_no_dim",
    "min.reduction_with_dim", "argmax", "mm", "matmul", "__rmatmul__", "dot", "mv", "addmm",
    "nn.functional.linear", "select", "narrow", "slice", "view", "reshape", "squeeze",
    "unsqueeze", "transpose", "t", "expand", "contiguous", "clone", "float", "long", "bool",
    "fill", "zero_", "zeros", "ones", "eye", "arange", "zeros_like", "ones_like", "full_like",
    "randn", "nn.functional.mse_loss", "nn.functional.l1_loss",
    "nn.functional.binary_cross_entropy", "nn.functional.binary_cross_entropy_with_logits",
    "nn.functional.kl_div", "nn.functional.nll_loss", "nn.functional.cross_entropy",
    "log_softmax",
};
#define N_OPINFOS ((int)(sizeof OPINFOS / sizeof OPINFOS[0]))

/* Replays every case of one OpInfo, each in a scope of its own. */
static int opinfo_replay(const char *opinfo, Report *r) {
    char file[128];
    snprintf(file, sizeof file, "opinfo/%s.txt", opinfo);
    Fixtures *fx = fixtures_load(file);
    const char *cases = fixture_text(fx, "cases");
    int n = 0;
    for (const char *p = cases; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[512];
        ck_assert_uint_lt(len, sizeof line);
        memcpy(line, p, len);
        line[len] = '\0';
        p += len + (nl != NULL);
        if (!len) continue;
        torch_scope_begin();
        if (!case_run(fx, line, r)) r->failures++;
        torch_scope_end();
        n++;
    }
    fixtures_free(fx);
    return n;
}

/* The index's count for one OpInfo: "cases" (every case of its file) or "from_opinfo" (those
 * that are PyTorch's own samples, not edge samples or in-place variants). */
static int index_count(const char *opinfo, const char *what) {
    Fixtures *fx = fixtures_load("opinfo/index.txt");
    char name[128];
    snprintf(name, sizeof name, "%s.%s", opinfo, what);
    int n = (int)fixture_scalar(fx, name);
    fixtures_free(fx);
    return n;
}

START_TEST(test_opinfo) {
    const char *opinfo = OPINFOS[_i];
    Report r = {.len = 0};
    int n = opinfo_replay(opinfo, &r);
    ck_assert_msg(r.failures == 0, "%s: %d of %d samples disagree with PyTorch:%s", opinfo,
                  r.failures, n, r.text);
    ck_assert_int_eq(n, index_count(opinfo, "cases")); /* every case the generator wrote */
}
END_TEST

/* The generator's list of OpInfos is this file's; together they replay more than 1,500 of
 * PyTorch's own samples (reference inputs included), besides edge samples and in-place
 * variants. */
START_TEST(test_index) {
    Fixtures *fx = fixtures_load("opinfo/index.txt");
    const char *ops = fixture_text(fx, "ops");
    int k = 0, from_opinfo = 0;
    for (const char *p = ops; *p; k++) {
        size_t len = strcspn(p, "\n");
        ck_assert_int_lt(k, N_OPINFOS);
        ck_assert_msg(strlen(OPINFOS[k]) == len && strncmp(p, OPINFOS[k], len) == 0,
                      "OpInfo %d is %.*s in the fixtures, %s here", k, (int)len, p, OPINFOS[k]);
        from_opinfo += index_count(OPINFOS[k], "from_opinfo");
        p += len + (p[len] == '\n');
    }
    ck_assert_int_eq(k, N_OPINFOS);
    fixtures_free(fx);
    ck_assert_int_gt(from_opinfo, 1500);
}
END_TEST

static Suite *opinfo_suite(void) {
    Suite *s = suite_create("opinfo");
    TCase *tc = ct_tcase("opinfo");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_index);
    tcase_add_loop_test(tc, test_opinfo, 0, N_OPINFOS);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(opinfo_suite()); }

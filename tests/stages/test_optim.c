/*
 * test_optim.c: chapter 4's optimizers against torch.optim 1.13 (tests/fixtures/
 * stage4_optim.txt, made by tools/gen_stage4_fixtures.py).
 *
 *   - SGD (plain, momentum, dampening, nesterov, weight decay, all, two groups) and Adam
 *     (plain, weight decay, amsgrad, other betas and eps, all, two groups): 100 steps on a
 *     fixed quadratic, the parameters after steps 1, 10 and 100 within 1e-6 of torch's,
 *     relative to their largest magnitude (Adam: bit for bit);
 *   - SGD's update is chapter 3's arithmetic, bit for bit;
 *   - in a fast build, the fast backend's Adam and SGD steps give the reference loops' bits
 *     (every instruction set this CPU has, 1 to 3 threads, every option, NaN, inf and -0);
 *   - each parameter's bias corrections come from its own step count;
 *   - param groups and their options (each optimizer's own, lr for all), state, zero_grad,
 *     skipping parameters without a gradient;
 *   - printing as R prints an optimizer and a param group;
 *   - every error with its exact message; memory stays flat.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "autograd.h"
#include "ct_test.h"
#include "nn.h"
#include "optim.h"
#include "optim_internal.h"

#define STEPS 100

/* ---- the problem: sum(a_w (w - t_w)^2) + sum(a_b (b - t_b)^2), from the fixture ---------- */

typedef struct Problem {
    Tensor *w0, *b0, *a_w, *t_w, *a_b, *t_b;
} Problem;

static Problem load_problem(Fixtures *fx) {
    return (Problem){fixture_tensor(fx, "w0"), fixture_tensor(fx, "b0"),
                     fixture_tensor(fx, "a_w"), fixture_tensor(fx, "t_w"),
                     fixture_tensor(fx, "a_b"), fixture_tensor(fx, "t_b")};
}

/* Its gradients, 2 a (p - t), come out of autograd with the same bits as torch's. */
static Tensor *quadratic(Tensor *w, Tensor *b, const Problem *p) {
    return torch_add(torch_sum(torch_mul(p->a_w, torch_pow(torch_sub(w, p->t_w), 2))),
                     torch_sum(torch_mul(p->a_b, torch_pow(torch_sub(b, p->t_b), 2))));
}

static ParameterList list2(Tensor *a, Tensor *b) {
    static Tensor *items[2];
    items[0] = a;
    items[1] = b;
    return optim_tensor_list(items, 2);
}

static ParameterList list1(Tensor *a) {
    static Tensor *item[1];
    item[0] = a;
    return optim_tensor_list(item, 1);
}

/* ---- the cases, as tools/gen_stage4_fixtures.py builds them in torch --------------------- */

static Optimizer *sgd(Tensor *w, Tensor *b, double lr, double momentum, double dampening,
                     double weight_decay, bool nesterov) {
    SgdOptions o = SGD_DEFAULTS;
    o.lr = lr;
    o.momentum = momentum;
    o.dampening = dampening;
    o.weight_decay = weight_decay;
    o.nesterov = nesterov;
    return optim_sgd_with(list2(w, b), o);
}

static Optimizer *adam(Tensor *w, Tensor *b, double lr, double beta1, double beta2, double eps,
                       double weight_decay, bool amsgrad) {
    AdamOptions o = ADAM_DEFAULTS;
    o.lr = lr;
    o.betas[0] = beta1;
    o.betas[1] = beta2;
    o.eps = eps;
    o.weight_decay = weight_decay;
    o.amsgrad = amsgrad;
    return optim_adam_with(list2(w, b), o);
}

static Optimizer *sgd_groups(Tensor *w, Tensor *b) {
    Optimizer *optimizer = optim_sgd(list1(w), 0.05);
    ParamGroup *group = optim_add_param_group(optimizer, list1(b));
    param_group_set_lr(group, 0.01);
    param_group_sgd(group)->momentum = 0.9;
    return optimizer;
}

static Optimizer *adam_groups(Tensor *w, Tensor *b) {
    Optimizer *optimizer = optim_adam(list1(w), 0.05);
    ParamGroup *group = optim_add_param_group(optimizer, list1(b));
    param_group_set_lr(group, 0.01);
    param_group_adam(group)->amsgrad = true;
    return optimizer;
}

static Optimizer *make_case(int i, Tensor *w, Tensor *b) {
    switch (i) {
    case 0: return sgd(w, b, 0.05, 0, 0, 0, false);
    case 1: return sgd(w, b, 0.05, 0.9, 0, 0, false);
    case 2: return sgd(w, b, 0.05, 0.9, 0.5, 0, false);
    case 3: return sgd(w, b, 0.05, 0.9, 0, 0, true);
    case 4: return sgd(w, b, 0.05, 0, 0, 0.1, false);
    case 5: return sgd(w, b, 0.03, 0.8, 0, 0.05, true);
    case 6: return sgd_groups(w, b);
    case 7: return optim_adam(list2(w, b), 0.05);
    case 8: return adam(w, b, 0.05, 0.9, 0.999, 1e-8, 0.1, false);
    case 9: return adam(w, b, 0.05, 0.9, 0.999, 1e-8, 0, true);
    case 10: return adam(w, b, 0.05, 0.8, 0.99, 1e-6, 0, false);
    case 11: return adam(w, b, 0.02, 0.85, 0.995, 1e-7, 0.05, true);
    default: return adam_groups(w, b);
    }
}

static const char *const CASE_NAMES[] = {
    "sgd_plain", "sgd_momentum", "sgd_dampening", "sgd_nesterov", "sgd_weight_decay",
    "sgd_all", "sgd_groups", "adam_plain", "adam_weight_decay", "adam_amsgrad",
    "adam_betas_eps", "adam_all", "adam_groups"};
#define N_CASES 13

/* How far a tensor is from torch's: the largest elementwise difference relative to the
 * tensor's largest magnitude, max |actual - expected| / max |expected| (a norm-wise relative
 * difference; an element near 0 would make an elementwise ratio meaningless), and the largest
 * elementwise ratio |actual - expected| / |expected| for the record. */
typedef struct Difference {
    double normwise, elementwise;
} Difference;

static Difference difference(Tensor *actual, Tensor *expected) {
    int64_t n = torch_numel(expected);
    float *a = malloc(sizeof(float) * (size_t)n), *e = malloc(sizeof(float) * (size_t)n);
    torch_to_array(actual, a);
    torch_to_array(expected, e);
    double max_diff = 0, max_expected = 0;
    Difference d = {0, 0};
    for (int64_t i = 0; i < n; i++) {
        double diff = fabs((double)a[i] - (double)e[i]);
        max_diff = fmax(max_diff, diff);
        max_expected = fmax(max_expected, fabs((double)e[i]));
        if (diff > 0) d.elementwise = fmax(d.elementwise, diff / fabs((double)e[i]));
    }
    d.normwise = max_diff > 0 ? max_diff / max_expected : 0;
    free(a);
    free(e);
    return d;
}

static Difference worse(Difference a, Difference b) {
    return (Difference){fmax(a.normwise, b.normwise), fmax(a.elementwise, b.elementwise)};
}

/* Runs case i for 100 steps as torch did; returns the largest difference from torch's
 * parameters at the snapshots. */
static Difference run_case(int i) {
    Fixtures *fx = fixtures_load("stage4_optim.txt");
    Problem p = load_problem(fx);
    Tensor *w = torch_requires_grad_(torch_clone(p.w0), true);
    Tensor *b = torch_requires_grad_(torch_clone(p.b0), true);
    Optimizer *optimizer = make_case(i, w, b);
    Difference worst = {0, 0};
    for (int step = 1; step <= STEPS; step++) {
        torch_scope_begin();
        optim_zero_grad(optimizer);
        torch_backward(quadratic(w, b, &p));
        optim_step(optimizer);
        torch_scope_end();
        if (step != 1 && step != 10 && step != 100) continue;
        char key[96];
        snprintf(key, sizeof key, "%s_step%d_w", CASE_NAMES[i], step);
        worst = worse(worst, difference(w, fixture_tensor(fx, key)));
        snprintf(key, sizeof key, "%s_step%d_b", CASE_NAMES[i], step);
        worst = worse(worst, difference(b, fixture_tensor(fx, key)));
    }
    optim_free(optimizer);
    fixtures_free(fx);
    return worst;
}

START_TEST(test_optimizer_matches_torch_optim) {
    Difference d = run_case(_i);
    fprintf(stderr, "# %s: after %d steps, max |ctorch - torch| / max |torch| = %.3g "
                    "(largest elementwise ratio %.3g)\n",
            CASE_NAMES[_i], STEPS, d.normwise, d.elementwise);
    ck_assert_msg(d.normwise <= 1e-6, "%s: parameters differ from torch's by %.3g relative",
                  CASE_NAMES[_i], d.normwise);
    /* Adam mirrors torch's kernels operation for operation (fused where torch fuses). */
    if (strncmp(CASE_NAMES[_i], "adam", 4) == 0)
        ck_assert_msg(d.normwise == 0, "%s: not bit for bit (%.3g relative)", CASE_NAMES[_i],
                      d.normwise);
}
END_TEST

/* ---- SGD is chapter 3's update ----------------------------------------------------------- */

/* p - lr * grad, the product rounded first: torch_sub_(p, torch_mul_scalar(grad, lr)), for
 * chapter 3's lr and for one large enough that fusing the two roundings would show; on sizes
 * that are and are not multiples of the vector widths (the loop is vectorized). */
START_TEST(test_sgd_step_is_chapter3_update) {
    float rates[] = {1e-4f, 0.37f};
    Shape shapes[] = {SHAPE(100, 10), SHAPE(7), SHAPE(161)};
    for (int r = 0; r < 2; r++) {
        for (int s = 0; s < 3; s++) {
            torch_manual_seed(7);
            Tensor *p = torch_requires_grad_(torch_randn(shapes[s]), true);
            Tensor *by_hand = torch_clone(torch_detach(p));
            torch_backward(torch_sum(torch_pow(torch_mul(p, torch_randn(shapes[s])), 2)));
            Optimizer *optimizer = optim_sgd(list1(p), rates[r]);
            optim_step(optimizer);
            torch_sub_(by_hand, torch_mul_scalar(torch_grad(p), rates[r]));
            CT_ASSERT_BITS_EQ(p, by_hand);
            optim_free(optimizer);
        }
    }
}
END_TEST

/* ---- the two backends give the same bits ------------------------------------------------- */

#if CTORCH_FAST
/* Test data that every run and every CPU sees the same: a xorshift generator. */
static uint32_t next_random(uint32_t *state) {
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return *state;
}

static float random_float(uint32_t *state) { /* in [-2, 2) */
    return (float)(next_random(state) >> 8) / (float)(1 << 24) * 4.0f - 2.0f;
}

/* Edge cases that land in every vector lane as k goes (k % 29, k % 31 cycle through them):
 * gradients of -0, a subnormal, one whose square overflows to inf, NaN, inf and -inf;
 * parameters of -0. */
static const float SPECIAL_G[] = {-0.0f, 1e-40f, 1e25f, NAN, INFINITY, -INFINITY};
#define N_SPECIAL_G 6
static float test_gradient(int64_t k, uint32_t *s) {
    return k > 1 && k % 29 < N_SPECIAL_G ? SPECIAL_G[k % 29] : random_float(s);
}
static float test_parameter(int64_t k, uint32_t *s) {
    return k % 31 == 7 ? -0.0f : random_float(s);
}

/* One parameter's five arrays: p, g, m, v, v_max, each n long, one after the other. They
 * start one float into their allocation, so that they are not aligned to a vector as
 * malloc's blocks would be. */
typedef struct AdamArrays {
    float *block, *p, *g, *m, *v, *v_max;
} AdamArrays;
static const char *const ADAM_ARRAY_NAMES[] = {"p", "g", "m", "v", "v_max"};

static AdamArrays adam_arrays_alloc(int64_t n) {
    AdamArrays a;
    a.block = malloc(sizeof(float) * (size_t)(5 * n + 1));
    ck_assert_ptr_nonnull(a.block);
    a.p = a.block + 1, a.g = a.p + n, a.m = a.g + n, a.v = a.m + n, a.v_max = a.v + n;
    return a;
}

/* Random values with the edge cases above, and a v_max that is NaN (k % 29 = 9). */
static AdamArrays adam_arrays(int64_t n, uint32_t seed) {
    AdamArrays a = adam_arrays_alloc(n);
    uint32_t s = seed;
    for (int64_t k = 0; k < n; k++) {
        a.p[k] = test_parameter(k, &s);
        a.g[k] = test_gradient(k, &s);
        a.m[k] = 0.1f * random_float(&s);
        a.v[k] = 0.01f * fabsf(random_float(&s));
        a.v_max[k] = k % 29 == 9 ? NAN : 0.01f * fabsf(random_float(&s)); /* above v or not */
    }
    return a;
}

static AdamArrays adam_arrays_copy(const AdamArrays *from, int64_t n) {
    AdamArrays a = adam_arrays_alloc(n);
    memcpy(a.block, from->block, sizeof(float) * (size_t)(5 * n + 1));
    return a;
}

/* What adam_update hands the loop at this step (torch's defaults, lr 0.05). */
static AdamElements adam_step_elements(AdamArrays *a, int64_t n, int64_t step,
                                       double weight_decay, bool amsgrad) {
    double beta1 = 0.9, beta2 = 0.999, lr = 0.05;
    double step_size = lr / (1 - pow(beta1, (double)step));
    double bias_correction2_sqrt = sqrt(1 - pow(beta2, (double)step));
    return (AdamElements){
        .n = n, .p = a->p, .m = a->m, .v = a->v, .v_max = amsgrad ? a->v_max : NULL, .g = a->g,
        .weight_decay = (float)weight_decay, .eps = 1e-8f, .b1 = (float)beta1,
        .one_minus_b1 = (float)(1 - beta1), .b2 = (float)beta2,
        .one_minus_b2 = (float)(1 - beta2), .bc2_sqrt = (float)bias_correction2_sqrt,
        .minus_step_size = (float)-step_size};
}

/* The same bits in each of the n elements (memcmp: NaN payloads and the signs of zeros
 * count); else fails naming the first that differs, as name[k]. */
static void assert_same_floats(const float *got, const float *want, int64_t n, const char *name,
                               const char *what) {
    if (memcmp(got, want, sizeof(float) * (size_t)n) == 0) return;
    int64_t k = 0;
    while (memcmp(&got[k], &want[k], sizeof(float)) == 0) k++;
    ck_abort_msg("%s: %s[%lld] is %a, the reference's %a", what, name, (long long)k,
                 (double)got[k], (double)want[k]);
}

/* Runs the fast backend with each instruction set this CPU has and 1, 2 and 3 threads:
 * check(ctx, what) for each, what naming the setting. Returns how many ran. */
static int on_every_backend_setting(void (*check)(void *ctx, const char *what), void *ctx) {
    static const char *const isas[] = {"portable", "avx2", "avx512"};
    const char *isa_was = fast_isa_name();
    int threads_were = torch_get_num_threads(), settings = 0;
    for (int i = 0; i < 3; i++) {
        if (!fast_isa_use(isas[i])) continue; /* this CPU cannot run it */
        for (int threads = 1; threads <= 3; threads++) {
            torch_set_num_threads(threads);
            char what[64];
            snprintf(what, sizeof what, "%s, %d thread%s", isas[i], threads,
                     threads > 1 ? "s" : "");
            check(ctx, what);
            settings++;
        }
    }
    torch_set_num_threads(threads_were);
    ck_assert(fast_isa_use(isa_was));
    return settings;
}

/* Three Adam steps from the same arrays: the reference's arrays after each, and the options. */
typedef struct AdamCase {
    int64_t n;
    double weight_decay;
    bool amsgrad;
    AdamArrays start, want[3];
} AdamCase;

static void check_fast_adam(void *ctx, const char *setting) {
    AdamCase *c = ctx;
    AdamArrays got = adam_arrays_copy(&c->start, c->n);
    for (int64_t step = 1; step <= 3; step++) {
        AdamElements e = adam_step_elements(&got, c->n, step, c->weight_decay, c->amsgrad);
        fast_adam(&e);
        char what[200];
        snprintf(what, sizeof what,
                 "fast_adam (%s), n %lld, weight decay %g, amsgrad %d, step %lld", setting,
                 (long long)c->n, c->weight_decay, c->amsgrad, (long long)step);
        for (int a = 0; a < 5; a++) /* p, g, m, v, v_max: one after the other */
            assert_same_floats(got.p + a * c->n, c->want[step - 1].p + a * c->n, c->n,
                               ADAM_ARRAY_NAMES[a], what);
    }
    free(got.block);
}

/* fast_adam gives adam_reference's bits: three steps, with and without weight decay and
 * amsgrad, on sizes below, at and around the vector widths (4, 8), the tutorial's 161, and
 * one that three threads split, with an odd tail (3 x 32,768 + 5). */
START_TEST(test_fast_adam_matches_reference) {
    const int64_t sizes[] = {1, 7, 8, 9, 31, 161, 1000, 3 * 32768 + 5};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (int options = 0; options < 4; options++) {
            AdamCase c = {.n = sizes[s], .weight_decay = options & 1 ? 0.1 : 0,
                          .amsgrad = options & 2};
            c.start = adam_arrays(c.n, 12345u + (uint32_t)c.n);
            AdamArrays ref = adam_arrays_copy(&c.start, c.n);
            for (int64_t step = 1; step <= 3; step++) {
                AdamElements e = adam_step_elements(&ref, c.n, step, c.weight_decay, c.amsgrad);
                adam_reference(&e);
                c.want[step - 1] = adam_arrays_copy(&ref, c.n);
            }
            ck_assert_int_ge(on_every_backend_setting(check_fast_adam, &c), 3);
            for (int step = 0; step < 3; step++) free(c.want[step].block);
            free(ref.block);
            free(c.start.block);
        }
    }
}
END_TEST

/* One SGD step: p and d_p (n each), the lr, and the reference's p after it. */
typedef struct SgdCase {
    int64_t n;
    float lr;
    const float *p, *d_p, *want;
} SgdCase;

static void check_fast_sgd_step(void *ctx, const char *setting) {
    const SgdCase *c = ctx;
    float *got = malloc(sizeof(float) * (size_t)c->n);
    ck_assert_ptr_nonnull(got);
    memcpy(got, c->p, sizeof(float) * (size_t)c->n);
    fast_sgd_step(got, c->d_p, c->lr, c->n);
    char what[160];
    snprintf(what, sizeof what, "fast_sgd_step (%s), n %lld, lr %g", setting, (long long)c->n,
             (double)c->lr);
    assert_same_floats(got, c->want, c->n, "p", what);
    free(got);
}

/* fast_sgd_step gives sgd_step_reference's bits: chapter 3's lr, one large enough that a
 * fused multiply-add would show, and 0 (inf * 0 is NaN); gradients and parameters with the
 * edge cases above; sizes around the vector widths and one that three threads split, with an
 * odd tail (3 x 65,536 + 5). */
START_TEST(test_fast_sgd_step_matches_reference) {
    const int64_t sizes[] = {1, 3, 4, 5, 8, 9, 31, 161, 1000, 3 * 65536 + 5};
    const float rates[] = {1e-4f, 0.37f, 0.0f};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int64_t n = sizes[s];
        float *p = malloc(sizeof(float) * (size_t)(3 * n + 1));
        ck_assert_ptr_nonnull(p);
        float *d_p = p + 1 + n, *want = d_p + n; /* p one float into its block: unaligned */
        p++;
        uint32_t state = 777u + (uint32_t)n;
        for (int64_t k = 0; k < n; k++) {
            p[k] = test_parameter(k, &state);
            d_p[k] = test_gradient(k, &state);
        }
        for (int r = 0; r < 3; r++) {
            memcpy(want, p, sizeof(float) * (size_t)n);
            sgd_step_reference(want, d_p, rates[r], n);
            SgdCase c = {n, rates[r], p, d_p, want};
            ck_assert_int_ge(on_every_backend_setting(check_fast_sgd_step, &c), 3);
        }
        free(p - 1);
    }
}
END_TEST
#endif

/* Each parameter's bias corrections come from its own step count and the lr of the step: b,
 * which has no gradient at the first step, is a step behind a, and the lr changes at step 3.
 * Both move as they do in optimizers of their own. */
START_TEST(test_adam_bias_corrections_per_parameter) {
    Tensor *a = torch_requires_grad_(torch_ones(SHAPE(5)), true);
    Tensor *b = torch_requires_grad_(torch_ones(SHAPE(3)), true);
    Tensor *a1 = torch_requires_grad_(torch_ones(SHAPE(5)), true);
    Tensor *b1 = torch_requires_grad_(torch_ones(SHAPE(3)), true);
    Optimizer *both = optim_adam(list2(a, b), 0.1);
    Optimizer *only_a = optim_adam(list1(a1), 0.1), *only_b = optim_adam(list1(b1), 0.1);
    for (int step = 1; step <= 4; step++) {
        double lr = step == 3 ? 0.05 : 0.1;
        param_group_set_lr(optim_param_group(both, 0), lr);
        param_group_set_lr(optim_param_group(only_a, 0), lr);
        param_group_set_lr(optim_param_group(only_b, 0), lr);
        torch_scope_begin();
        optim_zero_grad(both);
        optim_zero_grad(only_a);
        optim_zero_grad(only_b);
        Tensor *loss = torch_sum(torch_pow(a, 3));
        Tensor *loss1 = torch_sum(torch_pow(a1, 3));
        if (step > 1) { /* b has no gradient at the first step */
            loss = torch_add(loss, torch_sum(torch_pow(b, 2)));
            loss1 = torch_add(loss1, torch_sum(torch_pow(b1, 2)));
        }
        torch_backward(loss);
        torch_backward(loss1);
        optim_step(both);
        optim_step(only_a);
        optim_step(only_b);
        torch_scope_end();
    }
    ck_assert_int_eq(optim_state(both, a)->step, 4);
    ck_assert_int_eq(optim_state(both, b)->step, 3);
    CT_ASSERT_BITS_EQ(a, a1);
    CT_ASSERT_BITS_EQ(b, b1);
    optim_free(both);
    optim_free(only_a);
    optim_free(only_b);
}
END_TEST

/* ---- groups, state, zero_grad, missing gradients ----------------------------------------- */

START_TEST(test_step_skips_undefined_grad) {
    Tensor *used = torch_requires_grad_(torch_ones(SHAPE(3)), true);
    Tensor *unused = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    Tensor *unused_before = torch_clone(unused);
    Optimizer *optimizer = optim_adam(list2(used, unused), 0.1);
    torch_backward(torch_sum(used));
    ck_assert_ptr_null(torch_grad(unused));
    optim_step(optimizer);
    CT_ASSERT_BITS_EQ(unused, unused_before);
    ck_assert_ptr_null(optim_state(optimizer, unused)); /* no gradient, no state, as torch */
    ck_assert_ptr_nonnull(optim_state(optimizer, used));
    ck_assert_float_eq_tol(torch_item(torch_select(used, 0, 0)), 0.9f, 1e-6f);
    optim_free(optimizer);
}
END_TEST

START_TEST(test_zero_grad_zeros_every_group) {
    Tensor *a = torch_requires_grad_(torch_ones(SHAPE(2, 2)), true);
    Tensor *b = torch_requires_grad_(torch_ones(SHAPE(3)), true);
    Tensor *c = torch_requires_grad_(torch_ones(SHAPE(1)), true);
    Optimizer *optimizer = optim_sgd(list1(a), 0.1);
    optim_add_param_group(optimizer, list1(b));
    optim_add_param_group(optimizer, list1(c));
    ck_assert_int_eq(optimizer->n_groups, 3);
    torch_backward(torch_add(torch_add(torch_sum(a), torch_sum(b)), torch_sum(c)));
    optim_zero_grad(optimizer);
    CT_ASSERT_BITS_EQ(torch_grad(a), torch_zeros(SHAPE(2, 2)));
    CT_ASSERT_BITS_EQ(torch_grad(b), torch_zeros(SHAPE(3)));
    CT_ASSERT_BITS_EQ(torch_grad(c), torch_zeros(SHAPE(1)));
    optim_free(optimizer);
}
END_TEST

/* Without zero_grad, gradients accumulate: two backward passes, twice the gradient. */
START_TEST(test_without_zero_grad_gradients_accumulate) {
    Tensor *a = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    Optimizer *optimizer = optim_sgd(list1(a), 0.1);
    torch_backward(torch_sum(a));
    torch_backward(torch_sum(a));
    CT_ASSERT_BITS_EQ(torch_grad(a), torch_full(SHAPE(2), 2));
    optim_zero_grad(optimizer);
    torch_backward(torch_sum(a));
    CT_ASSERT_BITS_EQ(torch_grad(a), torch_ones(SHAPE(2)));
    optim_free(optimizer);
}
END_TEST

/* A new group gets the optimizer's defaults, each group keeps its own hyperparameters. */
START_TEST(test_param_groups_and_defaults) {
    Tensor *a = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    Tensor *b = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    AdamOptions o = ADAM_DEFAULTS;
    o.lr = 0.5;
    o.amsgrad = true;
    Optimizer *optimizer = optim_adam_with(list1(a), o);
    ParamGroup *second = optim_add_param_group(optimizer, list1(b));
    ck_assert_double_eq(param_group_lr(second), 0.5);
    ck_assert(param_group_adam(second)->amsgrad);
    ck_assert_double_eq(param_group_adam(second)->betas[1], 0.999);
    param_group_set_lr(second, 0.25);
    ck_assert_double_eq(param_group_adam(second)->lr, 0.25);
    ck_assert_double_eq(param_group_lr(optim_param_group(optimizer, 0)), 0.5);
    ck_assert_double_eq(((const AdamOptions *)optimizer->defaults)->lr, 0.5);
    ck_assert_ptr_eq(optim_param_group(optimizer, 1), second);
    /* Adam's first step moves each element by lr (times the sign of its gradient). */
    torch_backward(torch_add(torch_sum(a), torch_sum(b)));
    optim_step(optimizer);
    ck_assert_float_eq_tol(torch_item(torch_select(a, 0, 0)), 0.5f, 1e-6f);
    ck_assert_float_eq_tol(torch_item(torch_select(b, 0, 0)), 0.75f, 1e-6f);
    optim_free(optimizer);
}
END_TEST

/* R: group$lr (every optimizer's) and group$momentum (SGD's own). Each group's options are
 * its own copy: changing one changes neither the defaults nor another group, and the step
 * reads the group's options as they are then. */
START_TEST(test_param_group_options) {
    Tensor *a = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    Tensor *b = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    SgdOptions o = SGD_DEFAULTS;
    o.lr = 0.1;
    o.momentum = 0.9;
    Optimizer *optimizer = optim_sgd_with(list1(a), o);
    ParamGroup *first = optim_param_group(optimizer, 0);
    ck_assert_double_eq(param_group_lr(first), 0.1);
    ck_assert_double_eq(param_group_sgd(first)->momentum, 0.9);
    param_group_set_lr(first, 0.5);
    param_group_sgd(first)->momentum = 0;
    ck_assert_double_eq(param_group_sgd(first)->lr, 0.5);
    ParamGroup *second = optim_add_param_group(optimizer, list1(b)); /* the defaults, as given */
    ck_assert_double_eq(param_group_lr(second), 0.1);
    ck_assert_double_eq(param_group_sgd(second)->momentum, 0.9);
    /* plain SGD with lr 0.5 for a, momentum SGD (first buffer: the gradient) with 0.1 for b */
    torch_backward(torch_add(torch_sum(a), torch_sum(b)));
    optim_step(optimizer);
    CT_ASSERT_BITS_EQ(a, torch_full(SHAPE(2), 0.5f));
    CT_ASSERT_BITS_EQ(b, torch_full(SHAPE(2), 0.9f));
    ck_assert_ptr_null(optim_state(optimizer, a)->momentum_buffer);
    ck_assert_ptr_nonnull(optim_state(optimizer, b)->momentum_buffer);
    optim_free(optimizer);
}
END_TEST

/* State: made at the first step, counted, kept between steps, freed with the optimizer. */
START_TEST(test_state_lives_until_free) {
    int64_t live_before = torch_memory_stats().live_tensors;
    Tensor *a = torch_keep(torch_requires_grad_(torch_ones(SHAPE(4)), true));
    AdamOptions o = ADAM_DEFAULTS;
    o.amsgrad = true;
    Optimizer *optimizer = optim_adam_with(list1(a), o);
    ck_assert_ptr_null(optim_state(optimizer, a));
    for (int step = 0; step < 3; step++) {
        torch_scope_begin();
        optim_zero_grad(optimizer);
        torch_backward(torch_sum(torch_pow(a, 2)));
        optim_step(optimizer);
        torch_scope_end();
    }
    const ParamState *s = optim_state(optimizer, a);
    ck_assert_int_eq(s->step, 3);
    ck_assert_ptr_nonnull(s->exp_avg);
    ck_assert_ptr_nonnull(s->exp_avg_sq);
    ck_assert_ptr_nonnull(s->max_exp_avg_sq);
    ck_assert_ptr_null(s->momentum_buffer);
    optim_free(optimizer);
    torch_free(a); /* and its grad with it */
    ck_assert_int_eq(torch_memory_stats().live_tensors, live_before);
}
END_TEST

START_TEST(test_sgd_momentum_buffer_state) {
    Tensor *a = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    SgdOptions o = SGD_DEFAULTS;
    o.lr = 0.1;
    o.momentum = 0.9;
    Optimizer *optimizer = optim_sgd_with(list1(a), o);
    torch_backward(torch_sum(a));
    optim_step(optimizer);
    const ParamState *s = optim_state(optimizer, a);
    CT_ASSERT_BITS_EQ(s->momentum_buffer, torch_ones(SHAPE(2))); /* the first buffer is grad */
    ck_assert_ptr_null(s->exp_avg);
    optim_free(optimizer);
}
END_TEST

/* The step changes the parameter in place: a graph that saved it cannot run backward. */
START_TEST(test_step_bumps_the_version_for_autograd) {
    Tensor *a = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    Optimizer *optimizer = optim_sgd(list1(a), 0.1);
    torch_backward(torch_sum(a));
    Tensor *saved = torch_sum(torch_mul(a, a)); /* MulBackward0 keeps a */
    optim_step(optimizer);
    jmp_buf on_error;
    if (setjmp(on_error) == 0) {
        torch_catch_errors(&on_error);
        torch_backward(saved);
        torch_catch_errors(NULL);
        ck_abort_msg("backward through a parameter changed by optim_step did not fail");
    } else { /* autograd's own message; what matters here is the version it names */
        ck_assert_msg(strstr(torch_last_error(), "modified by an inplace operation") &&
                          strstr(torch_last_error(), "is at version 1; expected version 0"),
                      "unexpected error: %s", torch_last_error());
    }
    optim_free(optimizer);
}
END_TEST

/* A training loop's memory stays flat: state is made once, temporaries go with each scope. */
START_TEST(test_memory_flat_over_steps) {
    Module *model = nn_sequential(nn_linear(3, 8), nn_relu(), nn_linear(8, 1));
    Tensor *x = torch_keep(torch_randn(SHAPE(16, 3)));
    Optimizer *optimizer = optim_adam(nn_parameters(model), 0.01);
    int64_t live = 0;
    for (int step = 0; step < 30; step++) {
        torch_scope_begin();
        optim_zero_grad(optimizer);
        torch_backward(torch_sum(torch_pow(nn_forward(model, x), 2)));
        optim_step(optimizer);
        torch_scope_end();
        if (step == 1) live = torch_memory_stats().live_tensors;
        if (step > 1) ck_assert_int_eq(torch_memory_stats().live_tensors, live);
    }
    optim_free(optimizer);
    nn_free(model);
    torch_free(x);
}
END_TEST

/* ---- printing, as R prints --------------------------------------------------------------- */

static void print_optimizer(void *o) { optim_print((Optimizer *)o); }
static void print_group0(void *o) { optim_print_param_group((Optimizer *)o, 0); }
static void print_group1(void *o) { optim_print_param_group((Optimizer *)o, 1); }
static void print_tensor(void *t) { torch_print((Tensor *)t); }
static void print_params(void *m) { parameters_print(nn_parameters((Module *)m)); }

static char *tensor_text(Tensor *t) { return ct_capture_stdout(print_tensor, t); }

/* R6's print of modern R torch's optim_adam (its members sorted, each function's first
 * deparse line). */
START_TEST(test_print_adam_as_r6) {
    Tensor *a = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    Optimizer *optimizer = optim_adam(list1(a), 0.01);
    char *text = ct_capture_stdout(print_optimizer, optimizer);
    ck_assert_str_eq(text,
                     "<optim_adam>\n"
                     "  Inherits from: <torch_optimizer>\n"
                     "  Public:\n"
                     "    add_param_group: function (param_group) \n"
                     "    clone: function (deep = FALSE) \n"
                     "    defaults: list\n"
                     "    initialize: function (params, lr = 0.001, betas = c(0.9, 0.999), eps = "
                     "1e-08, \n"
                     "    load_state_dict: function (state_dict, ..., .refer_to_state_dict = "
                     "FALSE) \n"
                     "    param_groups: list\n"
                     "    state: State, R6\n"
                     "    state_dict: function () \n"
                     "    step: function (closure = NULL) \n"
                     "    zero_grad: function (set_to_none = FALSE) \n"
                     "  Private:\n"
                     "    deep_clone: function (name, value) \n"
                     "    step_helper: function (closure, loop_fun) \n");
    free(text);
    optim_free(optimizer);
}
END_TEST

START_TEST(test_print_sgd_as_r6) {
    Tensor *a = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    Optimizer *optimizer = optim_sgd(list1(a), 0.01);
    char *text = ct_capture_stdout(print_optimizer, optimizer);
    ck_assert_ptr_nonnull(strstr(text, "<optim_sgd>\n  Inherits from: <torch_optimizer>\n"));
    ck_assert_ptr_nonnull(strstr(text, "    initialize: function (params, lr = optim_required(), "
                                       "momentum = 0, dampening = 0, \n"));
    free(text);
    optim_free(optimizer);
}
END_TEST

/* R: print(optimizer$param_groups[[1]]) for optim_adam(model$parameters, lr = 0.01). */
START_TEST(test_print_adam_param_group_as_r) {
    torch_manual_seed(1);
    Module *model = nn_linear(3, 1);
    Optimizer *optimizer = optim_adam(nn_parameters(model), 0.01);
    char *weight = tensor_text(nn_get_parameter(model, "weight"));
    char *bias = tensor_text(nn_get_parameter(model, "bias"));
    char want[2048];
    snprintf(want, sizeof want,
             "$params\n$params$weight\n%s\n$params$bias\n%s\n\n"
             "$lr\n[1] 0.01\n\n$betas\n[1] 0.900 0.999\n\n$eps\n[1] 1e-08\n\n"
             "$weight_decay\n[1] 0\n\n$amsgrad\n[1] FALSE\n\n",
             weight, bias);
    char *text = ct_capture_stdout(print_group0, optimizer);
    ck_assert_str_eq(text, want);
    free(text);
    free(weight);
    free(bias);
    optim_free(optimizer);
    nn_free(model);
}
END_TEST

/* An unnamed list (R: list(a)), SGD's entries, and R's common format for other betas. */
START_TEST(test_print_sgd_param_group_as_r) {
    Tensor *a = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    SgdOptions o = SGD_DEFAULTS;
    o.lr = 1e-4;
    o.momentum = 0.9;
    o.nesterov = true;
    Optimizer *optimizer = optim_sgd_with(list1(a), o);
    char *ta = tensor_text(a);
    char want[1024];
    snprintf(want, sizeof want,
             "$params\n$params[[1]]\n%s\n\n$lr\n[1] 1e-04\n\n$momentum\n[1] 0.9\n\n"
             "$dampening\n[1] 0\n\n$weight_decay\n[1] 0\n\n$nesterov\n[1] TRUE\n\n",
             ta);
    char *text = ct_capture_stdout(print_group0, optimizer);
    ck_assert_str_eq(text, want);
    free(text);
    free(ta);
    optim_free(optimizer);
}
END_TEST

/* R: print(c(0.8, 0.99)) is "[1] 0.80 0.99", print(c(0.95, 0.9995)) "[1] 0.9500 0.9995". */
START_TEST(test_print_betas_in_r_common_format) {
    Tensor *a = torch_requires_grad_(torch_ones(SHAPE(1)), true);
    Tensor *b = torch_requires_grad_(torch_ones(SHAPE(1)), true);
    AdamOptions o = ADAM_DEFAULTS;
    o.betas[0] = 0.8;
    o.betas[1] = 0.99;
    o.eps = 1e-6;
    Optimizer *optimizer = optim_adam_with(list1(a), o);
    AdamOptions *g = param_group_adam(optim_add_param_group(optimizer, list1(b)));
    g->betas[0] = 0.95;
    g->betas[1] = 0.9995;
    g->weight_decay = 0.05;
    char *text = ct_capture_stdout(print_group0, optimizer);
    ck_assert_ptr_nonnull(strstr(text, "$betas\n[1] 0.80 0.99\n\n$eps\n[1] 1e-06\n\n"));
    free(text);
    text = ct_capture_stdout(print_group1, optimizer);
    ck_assert_ptr_nonnull(strstr(text, "$betas\n[1] 0.9500 0.9995\n\n"));
    ck_assert_ptr_nonnull(strstr(text, "$weight_decay\n[1] 0.05\n\n"));
    free(text);
    optim_free(optimizer);
}
END_TEST

/* R: print(model$parameters) of nn_sequential: names R must quote get backquotes. */
START_TEST(test_print_parameters_as_r_list) {
    Module *model = nn_sequential(nn_linear(2, 1));
    char *w = tensor_text(nn_parameters(model).items[0]);
    char *b = tensor_text(nn_parameters(model).items[1]);
    char want[1024];
    snprintf(want, sizeof want, "$`0.weight`\n%s\n$`0.bias`\n%s\n", w, b);
    char *text = ct_capture_stdout(print_params, model);
    ck_assert_str_eq(text, want);
    free(text);
    free(w);
    free(b);
    nn_free(model);
}
END_TEST

/* ---- errors, each with its exact message ------------------------------------------------- */

START_TEST(test_error_empty_parameter_list) {
    ParameterList empty = {0};
    CT_EXPECT_ERROR("optim_adam: optimizer got an empty parameter list", optim_adam(empty, 0.1));
    CT_EXPECT_ERROR("optim_sgd: optimizer got an empty parameter list", optim_sgd(empty, 0.1));
    CT_EXPECT_ERROR("optim_sgd_with: optimizer got an empty parameter list",
                    optim_sgd_with(empty, (SgdOptions){.lr = 0.1}));
}
END_TEST

START_TEST(test_error_learning_rate) {
    Tensor *a = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    CT_EXPECT_ERROR("optim_adam: Invalid learning rate: -0.1", optim_adam(list1(a), -0.1));
    CT_EXPECT_ERROR("optim_sgd: Invalid learning rate: -0.1", optim_sgd(list1(a), -0.1));
    CT_EXPECT_ERROR("optim_sgd: Invalid learning rate: -1e-05", optim_sgd(list1(a), -1e-5));
    CT_EXPECT_ERROR("optim_adam: Invalid learning rate: NaN", optim_adam(list1(a), NAN));
    /* SGD's learning rate has no default (R's optim_required()). */
    CT_EXPECT_ERROR("optim_sgd_with: parameter group didn't specify a value of required "
                    "optimization parameter lr",
                    optim_sgd_with(list1(a), SGD_DEFAULTS));
}
END_TEST

START_TEST(test_error_sgd_options) {
    Tensor *a = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    SgdOptions o = SGD_DEFAULTS;
    o.lr = 0.1;
    o.momentum = -0.5;
    CT_EXPECT_ERROR("optim_sgd_with: Invalid momentum value: -0.5", optim_sgd_with(list1(a), o));
    o.momentum = 0;
    o.weight_decay = -0.01;
    CT_EXPECT_ERROR("optim_sgd_with: Invalid weight_decay value: -0.01",
                    optim_sgd_with(list1(a), o));
    o.weight_decay = 0;
    o.nesterov = true;
    CT_EXPECT_ERROR("optim_sgd_with: Nesterov momentum requires a momentum and zero dampening",
                    optim_sgd_with(list1(a), o));
    o.momentum = 0.9;
    o.dampening = 0.1;
    CT_EXPECT_ERROR("optim_sgd_with: Nesterov momentum requires a momentum and zero dampening",
                    optim_sgd_with(list1(a), o));
}
END_TEST

START_TEST(test_error_adam_options) {
    Tensor *a = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    AdamOptions o = ADAM_DEFAULTS;
    o.eps = -1e-8;
    CT_EXPECT_ERROR("optim_adam_with: Invalid epsilon value: -1e-08", optim_adam_with(list1(a), o));
    o = ADAM_DEFAULTS;
    o.betas[0] = 1.0;
    CT_EXPECT_ERROR("optim_adam_with: Invalid beta parameter at index 0: 1",
                    optim_adam_with(list1(a), o));
    o = ADAM_DEFAULTS;
    o.betas[1] = -0.5;
    CT_EXPECT_ERROR("optim_adam_with: Invalid beta parameter at index 1: -0.5",
                    optim_adam_with(list1(a), o));
    o = ADAM_DEFAULTS;
    o.weight_decay = -1;
    CT_EXPECT_ERROR("optim_adam_with: Invalid weight_decay value: -1",
                    optim_adam_with(list1(a), o));
}
END_TEST

/* A group's options asked as another optimizer's, a learning rate torch refuses, no group. */
START_TEST(test_error_param_group_options) {
    Tensor *a = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    Tensor *b = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    Optimizer *adam = optim_adam(list1(a), 0.1), *sgd = optim_sgd(list1(b), 0.1);
    CT_EXPECT_ERROR("param_group_sgd: the param group holds optim_adam's options, not "
                    "optim_sgd's",
                    param_group_sgd(optim_param_group(adam, 0)));
    CT_EXPECT_ERROR("param_group_adam: the param group holds optim_sgd's options, not "
                    "optim_adam's",
                    param_group_adam(optim_param_group(sgd, 0)));
    CT_EXPECT_ERROR("param_group_set_lr: Invalid learning rate: -0.1",
                    param_group_set_lr(optim_param_group(sgd, 0), -0.1));
    CT_EXPECT_ERROR("param_group_set_lr: Invalid learning rate: NaN",
                    param_group_set_lr(optim_param_group(adam, 0), NAN));
    ck_assert_double_eq(param_group_lr(optim_param_group(sgd, 0)), 0.1); /* as it was */
    ck_assert_double_eq(param_group_lr(optim_param_group(adam, 0)), 0.1);
    CT_EXPECT_ERROR("param_group_lr: expected a param group but got NULL", param_group_lr(NULL));
    CT_EXPECT_ERROR("param_group_set_lr: expected a param group but got NULL",
                    param_group_set_lr(NULL, 0.1));
    CT_EXPECT_ERROR("param_group_adam: expected a param group but got NULL",
                    param_group_adam(NULL));
    CT_EXPECT_ERROR("param_group_sgd: expected a param group but got NULL", param_group_sgd(NULL));
    CT_EXPECT_ERROR("param_group_params: expected a param group but got NULL",
                    param_group_params(NULL));
    optim_free(adam);
    optim_free(sgd);
}
END_TEST

START_TEST(test_error_bad_parameters) {
    Tensor *leaf = torch_requires_grad_(torch_ones(SHAPE(2, 3)), true);
    Tensor *computed = torch_mul_scalar(leaf, 2);
    CT_EXPECT_ERROR("optim_adam: can't optimize a non-leaf Tensor", optim_adam(list1(computed), 1));
    CT_EXPECT_ERROR("optim_sgd: optimizer contains a parameter group with duplicate parameters",
                    optim_sgd(list2(leaf, leaf), 0.1));
    Tensor *strided = torch_requires_grad_(torch_t(torch_ones(SHAPE(2, 3))), true);
    CT_EXPECT_ERROR("optim_sgd: can only optimize contiguous tensors (parameter 1 is a strided "
                    "view; optimize a contiguous tensor instead)",
                    optim_sgd(list1(strided), 0.1));
    CT_EXPECT_ERROR("optim_sgd: expected scalar type Float but found Long",
                    optim_sgd(list1(torch_tensor_i64(SHAPE(1), (int64_t[]){1})), 0.1));
    Optimizer *optimizer = optim_sgd(list1(leaf), 0.1);
    CT_EXPECT_ERROR("optim_add_param_group: some parameters appear in more than one parameter "
                    "group",
                    optim_add_param_group(optimizer, list1(leaf)));
    ck_assert_int_eq(optimizer->n_groups, 1);
    CT_EXPECT_ERROR("optim_param_group: param group 1 does not exist (the optimizer has 1)",
                    optim_param_group(optimizer, 1));
    CT_EXPECT_ERROR("optim_state: the tensor is not one of the optimizer's parameters",
                    optim_state(optimizer, computed));
    optim_free(optimizer);
}
END_TEST

START_TEST(test_error_optimizer_misuse) {
    Tensor *a = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    Optimizer *optimizer = optim_sgd(list1(a), 0.1);
    optim_free(optimizer);
    CT_EXPECT_ERROR("optim_step: an optimizer was used after it was freed", optim_step(optimizer));
    CT_EXPECT_ERROR("optim_zero_grad: an optimizer was used after it was freed",
                    optim_zero_grad(optimizer));
    CT_EXPECT_ERROR("optim_step: expected an optimizer but got NULL", optim_step(NULL));
    optim_free(NULL); /* as free(NULL): nothing */
}
END_TEST

START_TEST(test_error_freed_parameter) {
    Tensor *a = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    Tensor *b = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    Optimizer *optimizer = optim_sgd(list2(a, b), 0.1);
    torch_backward(torch_sum(a));
    Tensor *a_before = torch_clone(a);
    torch_free(b);
    CT_EXPECT_ERROR("optim_step: a tensor was used after it was released (its scope ended or it "
                    "was freed); keep it with torch_keep() to use it longer",
                    optim_step(optimizer));
    CT_ASSERT_BITS_EQ(a, a_before); /* checked before anything changed */
    optim_free(optimizer);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("optim");
    TCase *tc = ct_tcase("optim");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_optimizer_matches_torch_optim, 0, N_CASES);
    tcase_add_test(tc, test_sgd_step_is_chapter3_update);
#if CTORCH_FAST
    tcase_add_test(tc, test_fast_adam_matches_reference);
    tcase_add_test(tc, test_fast_sgd_step_matches_reference);
#endif
    tcase_add_test(tc, test_adam_bias_corrections_per_parameter);
    tcase_add_test(tc, test_step_skips_undefined_grad);
    tcase_add_test(tc, test_zero_grad_zeros_every_group);
    tcase_add_test(tc, test_without_zero_grad_gradients_accumulate);
    tcase_add_test(tc, test_param_groups_and_defaults);
    tcase_add_test(tc, test_param_group_options);
    tcase_add_test(tc, test_state_lives_until_free);
    tcase_add_test(tc, test_sgd_momentum_buffer_state);
    tcase_add_test(tc, test_step_bumps_the_version_for_autograd);
    tcase_add_test(tc, test_memory_flat_over_steps);
    tcase_add_test(tc, test_print_adam_as_r6);
    tcase_add_test(tc, test_print_sgd_as_r6);
    tcase_add_test(tc, test_print_adam_param_group_as_r);
    tcase_add_test(tc, test_print_sgd_param_group_as_r);
    tcase_add_test(tc, test_print_betas_in_r_common_format);
    tcase_add_test(tc, test_print_parameters_as_r_list);
    tcase_add_test(tc, test_error_empty_parameter_list);
    tcase_add_test(tc, test_error_learning_rate);
    tcase_add_test(tc, test_error_sgd_options);
    tcase_add_test(tc, test_error_adam_options);
    tcase_add_test(tc, test_error_param_group_options);
    tcase_add_test(tc, test_error_bad_parameters);
    tcase_add_test(tc, test_error_optimizer_misuse);
    tcase_add_test(tc, test_error_freed_parameter);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

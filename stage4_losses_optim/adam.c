/*
 * adam.c: Adam, R's optim_adam, torch.optim.Adam (1.13, the single-tensor implementation
 * _single_tensor_adam), operation for operation in float32 as torch's CPU kernels compute
 * them, so that ctorch's parameters follow torch's bit for bit:
 *   - a hyperparameter enters a kernel as a float (torch converts the Python number);
 *   - the bias corrections and the step size are computed in double, as Python does;
 *   - add_(x, alpha = a) and addcmul_ are one fused multiply-add in torch's kernels, written
 *     here as fmaf; mul_, sqrt, div and addcdiv_ round after every operation.
 * The loop over a parameter's elements has a plain reference and a vectorized copy with the
 * same bits (adam_elements_*, optim_internal.h).
 */
#include "optim_internal.h"
#include "fast/parallel.h"

#include <math.h>
#include <stddef.h>

/* State is made at a parameter's first step: zeros shaped like it, kept until optim_free. */
static void adam_init_state(ParamState *s, Tensor *param, bool amsgrad) {
    if (s->exp_avg == NULL) {
        s->exp_avg = torch_keep(torch_zeros_like(param));
        s->exp_avg_sq = torch_keep(torch_zeros_like(param));
    }
    if (amsgrad && s->max_exp_avg_sq == NULL)
        s->max_exp_avg_sq = torch_keep(torch_zeros_like(param));
}

/* torch.maximum: the larger, and NaN if either is NaN. */
static inline float maximum(float a, float b) { return (isnan(a) || a > b) ? a : b; }

/* The definition, element after element (optim_internal.h); the fast loops below are tested
 * against it bit for bit. */
void adam_elements_reference(const AdamElements *e) {
    float *p = e->p, *m = e->m, *v = e->v, *v_max = e->v_max;
    for (int64_t k = 0; k < e->n; k++) {
        float g = e->g[k];
        if (e->weight_decay != 0) g = fmaf(p[k], e->weight_decay, g); /* grad.add(p, alpha=wd) */
        m[k] = fmaf(g, e->one_minus_b1, m[k] * e->b1);     /* m.mul_(b1).add_(g, alpha=1-b1) */
        v[k] = fmaf(e->one_minus_b2 * g, g, v[k] * e->b2); /* v.mul_(b2).addcmul_(g, g, 1-b2) */
        float second = v[k];
        if (v_max) second = v_max[k] = maximum(v_max[k], v[k]);
        float denom = sqrtf(second) / e->bc2_sqrt + e->eps; /* (v.sqrt() / bc2_sqrt).add_(eps) */
        p[k] = p[k] + (e->minus_step_size * m[k]) / denom;  /* p.addcdiv_(m, denom, -step_size) */
    }
}

/* The reference's loop over e's n elements, written so that the compiler turns it into
 * vector instructions (8 elements at a time with AVX2), each lane doing the reference's
 * operations in its order:
 *   - decay and amsgrad are constants where adam_loops calls it, so none of its four copies
 *     branches inside the loop;
 *   - the arrays come as restrict parameters: they do not overlap (they are different
 *     tensors' buffers), so the compiler need not check that before loading several elements
 *     at once;
 *   - the constants are locals, which no store to the arrays can change;
 *   - the build says that math functions need not set errno (-fno-math-errno), so sqrtf is
 *     the CPU's square root instruction, which has a vector form.
 * The vector square root, division and fused multiply-add round correctly, as sqrtf, / and
 * fmaf do: the same bits as the reference, element by element. */
#if defined(__GNUC__)
#define ADAM_INLINE static inline __attribute__((always_inline)) /* into each target's copy */
#else
#define ADAM_INLINE static inline
#endif
ADAM_INLINE void adam_loop(const AdamElements *e, float *restrict p, float *restrict m,
                           float *restrict v, float *restrict v_max, const float *restrict g,
                           bool decay, bool amsgrad) {
    float weight_decay = e->weight_decay, eps = e->eps, b1 = e->b1, b2 = e->b2;
    float one_minus_b1 = e->one_minus_b1, one_minus_b2 = e->one_minus_b2;
    float bc2_sqrt = e->bc2_sqrt, minus_step_size = e->minus_step_size;
    for (int64_t k = 0; k < e->n; k++) {
        float gk = decay ? fmaf(p[k], weight_decay, g[k]) : g[k];
        float mk = fmaf(gk, one_minus_b1, m[k] * b1);
        float vk = fmaf(one_minus_b2 * gk, gk, v[k] * b2);
        m[k] = mk;
        v[k] = vk;
        if (amsgrad) vk = v_max[k] = maximum(v_max[k], vk);
        float denom = sqrtf(vk) / bc2_sqrt + eps;
        p[k] = p[k] + (minus_step_size * mk) / denom;
    }
}

/* One loop per combination of options, chosen once per parameter rather than per element.
 * (The weight decay is tested in float, as the reference does.) */
ADAM_INLINE void adam_loops(const AdamElements *e) {
    bool decay = e->weight_decay != 0;
    if (e->v_max) {
        if (decay) adam_loop(e, e->p, e->m, e->v, e->v_max, e->g, true, true);
        else adam_loop(e, e->p, e->m, e->v, e->v_max, e->g, false, true);
    } else {
        if (decay) adam_loop(e, e->p, e->m, e->v, e->v_max, e->g, true, false);
        else adam_loop(e, e->p, e->m, e->v, e->v_max, e->g, false, false);
    }
}

/* The same loops compiled twice. fmaf is one correctly rounded operation everywhere, but
 * without the CPU's fused multiply-add instruction it is a call into the C library, and a
 * loop that calls a function stays scalar. A CPU with AVX2 and the instruction runs the copy
 * built for them: the same bits, 8 elements per instruction. */
void adam_elements_plain(const AdamElements *e) { adam_loops(e); }
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define ADAM_AVX2 1
__attribute__((target("avx2,fma"))) static void adam_elements_avx2(const AdamElements *e) {
    adam_loops(e);
}
#endif

void adam_elements_best(const AdamElements *e) {
#ifdef ADAM_AVX2
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        adam_elements_avx2(e);
        return;
    }
#endif
    adam_elements_plain(e);
}

/* Elements [begin, end) of the step in ctx (an AdamElements): one thread's share. */
static void adam_elements_range(int64_t begin, int64_t end, void *ctx) {
    AdamElements part = *(const AdamElements *)ctx;
    part.n = end - begin;
    part.p += begin, part.m += begin, part.v += begin, part.g += begin;
    if (part.v_max) part.v_max += begin;
    adam_elements_best(&part);
}

/* Each element's update reads and writes only that element, so a large parameter (at least
 * 2 x 32,768 elements) is split over threads with the same bits; a tutorial-size one (at
 * most a few hundred elements) goes straight to the loop on the calling thread. */
#define ADAM_GRAIN (1 << 15)
void adam_elements(const AdamElements *e) {
    if (e->n < 2 * ADAM_GRAIN) adam_elements_best(e);
    else parallel_for(e->n, ADAM_GRAIN, adam_elements_range, (void *)e);
}

/* torch.optim.Adam for one parameter p with gradient g, at step t (counting from 1):
 *   g     = g + weight_decay * p                                   if weight_decay != 0
 *   m     = beta1 * m + (1 - beta1) * g                            exp_avg
 *   v     = beta2 * v + (1 - beta2) * g * g                        exp_avg_sq
 *   v_max = max(v_max, v), used in place of v below                amsgrad
 *   denom = sqrt(v) / sqrt(1 - beta2^t) + eps
 *   p     = p - lr / (1 - beta1^t) * m / denom */
static void adam_update(ParamGroup *group, int i, Tensor *grad) {
    const AdamOptions *o = group->options; /* an Adam group's (adam_class.update) */
    Tensor *param = group->params[i];
    ParamState *state = &group->state[i];
    adam_init_state(state, param, o->amsgrad);
    state->step++;

    double beta1 = o->betas[0], beta2 = o->betas[1];
    double step_size, bias_correction2_sqrt; /* lr / (1 - beta1^t) and sqrt(1 - beta2^t) */
    /* BEGIN EXERCISE 4.6: Adam's bias correction */
    double bias_correction1 = 1 - pow(beta1, (double)state->step);
    double bias_correction2 = 1 - pow(beta2, (double)state->step);
    step_size = o->lr / bias_correction1;
    bias_correction2_sqrt = sqrt(bias_correction2);
    /* END EXERCISE 4.6 */

    float weight_decay = (float)o->weight_decay, eps = (float)o->eps;
    float b1 = (float)beta1, one_minus_b1 = (float)(1 - beta1);
    float b2 = (float)beta2, one_minus_b2 = (float)(1 - beta2);
    float bc2_sqrt = (float)bias_correction2_sqrt, minus_step_size = (float)-step_size;

    AdamElements e = {
        .n = shape_numel(param->shape), /* optim_step has checked param */
        .p = tensor_f32(param),
        .g = tensor_f32(tensor_contiguous_raw(grad)),
        .m = tensor_f32(state->exp_avg),
        .v = tensor_f32(state->exp_avg_sq),
        .v_max = o->amsgrad ? tensor_f32(state->max_exp_avg_sq) : NULL,
        .weight_decay = weight_decay, .eps = eps, .b1 = b1, .one_minus_b1 = one_minus_b1,
        .b2 = b2, .one_minus_b2 = one_minus_b2, .bc2_sqrt = bc2_sqrt,
        .minus_step_size = minus_step_size,
    };
    torch_before_inplace("optim_step", param); /* bumps p's version for autograd's checks */
    adam_elements(&e);
}

/* $lr, $betas, $eps, $weight_decay, $amsgrad: R's defaults list, in its order. */
static void adam_fprint_options(FILE *f, const void *options) {
    const AdamOptions *o = options;
    r_fprint_entry_numbers(f, "lr", &o->lr, 1);
    r_fprint_entry_numbers(f, "betas", o->betas, 2);
    r_fprint_entry_numbers(f, "eps", &o->eps, 1);
    r_fprint_entry_numbers(f, "weight_decay", &o->weight_decay, 1);
    r_fprint_entry_logical(f, "amsgrad", o->amsgrad);
}

/* torch's checks, in torch's order and words (betas indexed from 0, as torch does). */
static void adam_check_options(const char *op, const void *options) {
    const AdamOptions *o = options;
    char num[64];
    if (!(o->lr >= 0)) torch_error(op, "Invalid learning rate: %s", optim_number(o->lr, num, 64));
    if (!(o->eps >= 0))
        torch_error(op, "Invalid epsilon value: %s", optim_number(o->eps, num, 64));
    for (int k = 0; k < 2; k++)
        if (!(o->betas[k] >= 0 && o->betas[k] < 1))
            torch_error(op, "Invalid beta parameter at index %d: %s", k,
                        optim_number(o->betas[k], num, 64));
    if (!(o->weight_decay >= 0))
        torch_error(op, "Invalid weight_decay value: %s", optim_number(o->weight_decay, num, 64));
}

_Static_assert(offsetof(AdamOptions, lr) == 0, "every optimizer's options begin with lr");

static const OptimizerClass adam_class = {
    .name = "optim_adam",
    .initialize = "function (params, lr = 0.001, betas = c(0.9, 0.999), eps = 1e-08, ",
    .options_size = sizeof(AdamOptions),
    .check_options = adam_check_options,
    .update = adam_update,
    .fprint_options = adam_fprint_options,
};

AdamOptions *param_group_adam(ParamGroup *group) {
    return param_group_options("param_group_adam", group, &adam_class);
}

Optimizer *optim_adam_with(ParameterList params, AdamOptions options) {
    return optimizer_new("optim_adam_with", &adam_class, params, &options);
}

Optimizer *optim_adam(ParameterList params, double lr) {
    AdamOptions options = ADAM_DEFAULTS;
    options.lr = lr;
    return optimizer_new("optim_adam", &adam_class, params, &options);
}

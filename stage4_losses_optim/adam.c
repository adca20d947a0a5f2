/*
 * adam.c: Adam, R's optim_adam, torch.optim.Adam (1.13, the single-tensor implementation
 * _single_tensor_adam), operation for operation in float32 as torch's CPU kernels compute
 * them, so that ctorch's parameters follow torch's bit for bit:
 *   - a hyperparameter enters a kernel as a float (torch converts the Python number);
 *   - the bias corrections and the step size are computed in double, as Python does;
 *   - add_(x, alpha = a) and addcmul_ are one fused multiply-add in torch's kernels, written
 *     here as fmaf; mul_, sqrt, div and addcdiv_ round after every operation.
 * The loop over a parameter's elements is adam_reference; a fast build runs the fast
 * backend's copy instead (common/fast/adam.c), with the same bits.
 */
#include "optim_internal.h"

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

/* One Adam step, element after element: p (n), g (n), m (n), v (n), v_max (n or NULL) -> p,
 * m, v, v_max updated in place, each line one of torch's tensor operations. */
void adam_reference(const AdamElements *e) {
    float *p = e->p, *m = e->m, *v = e->v, *v_max = e->v_max;
    for (int64_t k = 0; k < e->n; k++) {
        float g = e->g[k];
        /* BEGIN EXERCISE 4.5: Adam's full update (the moments and the step) */
        if (e->weight_decay != 0) g = fmaf(p[k], e->weight_decay, g); /* grad.add(p, alpha=wd) */
        m[k] = fmaf(g, e->one_minus_b1, m[k] * e->b1);     /* m.mul_(b1).add_(g, alpha=1-b1) */
        v[k] = fmaf(e->one_minus_b2 * g, g, v[k] * e->b2); /* v.mul_(b2).addcmul_(g, g, 1-b2) */
        float second = v[k];
        if (v_max) second = v_max[k] = maximum(v_max[k], v[k]);
        float denom = sqrtf(second) / e->bc2_sqrt + e->eps; /* (v.sqrt() / bc2_sqrt).add_(eps) */
        p[k] = p[k] + (e->minus_step_size * m[k]) / denom;  /* p.addcdiv_(m, denom, -step_size) */
        /* END EXERCISE 4.5 */
    }
}

/* The seam (common/backend.h): the step's loop over e's elements, by the reference loop or by
 * the fast backend's, with the same bits. */
static void adam_elements(const AdamElements *e) {
#if CTORCH_FAST
    fast_adam(e);
#else
    adam_reference(e);
#endif
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
    /* BEGIN EXERCISE 4.5: Adam's full update (the bias corrections) */
    double bias_correction1 = 1 - pow(beta1, (double)state->step);
    double bias_correction2 = 1 - pow(beta2, (double)state->step);
    step_size = o->lr / bias_correction1;
    bias_correction2_sqrt = sqrt(bias_correction2);
    /* END EXERCISE 4.5 */

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

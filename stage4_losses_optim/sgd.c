/*
 * sgd.c: stochastic gradient descent, R's optim_sgd, torch.optim.SGD (1.13, the single-tensor
 * implementation _single_tensor_sgd).
 *
 * With no momentum and no weight decay, one step is what chapter 3 wrote by hand:
 *     p = p - lr * grad
 * and ctorch computes it exactly as chapter 3 did, the product lr * grad rounded to float
 * first, then subtracted, so that stage 4 run with --optim sgd --lr 1e-4 reproduces stage 3
 * bit for bit. torch.optim computes p.add_(d_p, alpha = -lr), which its CPU kernel fuses into
 * one multiply-add (one rounding instead of two): the two differ by at most one rounding of
 * p per step. Over the tests' 100 steps that stays below 1e-6 of the parameters' magnitude
 * (about 1e-7: max |ctorch - torch| / max |torch|); only an element close to 0 shows a larger
 * ratio to its own value.
 *
 * Where torch fuses inside the momentum and weight-decay updates (add_ with alpha), ctorch
 * does too, with an explicit fmaf, so those match torch bit for bit.
 */
#include "optim_internal.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* p (n) = p - d_p (n) * lr, element by element: chapter 3's
 * torch_sub_(p, torch_mul_scalar(grad, lr)), the product rounded first. */
void sgd_step_reference(float *p, const float *d_p, float lr, int64_t n) {
    for (int64_t k = 0; k < n; k++) p[k] = p[k] - d_p[k] * lr;
}

/* The seam (common/backend.h): the step by the reference loop or by the fast backend's, with
 * the same bits. */
static void sgd_step(float *p, const float *d_p, float lr, int64_t n) {
#if CTORCH_FAST
    fast_sgd_step(p, d_p, lr, n);
#else
    sgd_step_reference(p, d_p, lr, n);
#endif
}

/* torch.optim.SGD for one parameter p with gradient g, elementwise:
 *   d_p = g + weight_decay * p                              if weight_decay != 0
 *   buf = d_p                                               first step with momentum
 *   buf = momentum * buf + (1 - dampening) * d_p            later steps
 *   d_p = d_p + momentum * buf   if nesterov, else  d_p = buf
 *   p   = p - lr * d_p */
static void sgd_update(ParamGroup *group, int i, Tensor *grad) {
    const SgdOptions *o = group->options; /* an SGD group's (sgd_class.update) */
    Tensor *param = group->params[i];
    ParamState *state = &group->state[i];
    int64_t n = shape_numel(param->shape); /* optim_step has checked param */
    float *p = tensor_f32(param);
    /* This step's direction: a copy of the gradient when weight decay or momentum changes it
     * below, else the gradient itself, which is only read (plain SGD makes no copy). */
    bool changed = o->weight_decay != 0 || o->momentum != 0;
    Tensor *d_p_tensor = changed ? torch_clone(grad) : tensor_contiguous_raw(grad);
    float *d_p = tensor_f32(d_p_tensor);

    if (o->weight_decay != 0) { /* d_p = d_p.add(p, alpha = weight_decay): fused in torch */
        float weight_decay = (float)o->weight_decay;
        for (int64_t k = 0; k < n; k++) d_p[k] = fmaf(p[k], weight_decay, d_p[k]);
    }
    /* BEGIN EXERCISE 4.4: SGD's momentum */
    if (o->momentum != 0) {
        float momentum = (float)o->momentum, keep_new = (float)(1 - o->dampening);
        if (state->momentum_buffer == NULL) { /* buf = torch.clone(d_p) */
            state->momentum_buffer = torch_keep(torch_clone(d_p_tensor));
        } else { /* buf.mul_(momentum).add_(d_p, alpha = 1 - dampening) */
            float *buf = tensor_f32(state->momentum_buffer);
            for (int64_t k = 0; k < n; k++) buf[k] = fmaf(d_p[k], keep_new, buf[k] * momentum);
        }
        const float *buf = tensor_f32(state->momentum_buffer);
        if (o->nesterov) { /* d_p = d_p.add(buf, alpha = momentum) */
            for (int64_t k = 0; k < n; k++) d_p[k] = fmaf(buf[k], momentum, d_p[k]);
        } else { /* d_p = buf */
            memcpy(d_p, buf, sizeof(float) * (size_t)n);
        }
    }
    /* END EXERCISE 4.4 */
    /* p = p - lr * d_p, as chapter 3's torch_sub_(p, torch_mul_scalar(grad, lr)) */
    torch_before_inplace("optim_step", param); /* bumps p's version for autograd's checks */
    sgd_step(p, d_p, (float)o->lr, n);
    state->step++;
}

/* $lr, $momentum, $dampening, $weight_decay, $nesterov: R's defaults list, in its order. */
static void sgd_fprint_options(FILE *f, const void *options) {
    const SgdOptions *o = options;
    r_fprint_entry_numbers(f, "lr", &o->lr, 1);
    r_fprint_entry_numbers(f, "momentum", &o->momentum, 1);
    r_fprint_entry_numbers(f, "dampening", &o->dampening, 1);
    r_fprint_entry_numbers(f, "weight_decay", &o->weight_decay, 1);
    r_fprint_entry_logical(f, "nesterov", o->nesterov);
}

/* torch's checks, in torch's order and words. */
static void sgd_check_options(const char *op, const void *options) {
    const SgdOptions *o = options;
    char num[64];
    if (isnan(o->lr))
        torch_error(op, "parameter group didn't specify a value of required optimization "
                        "parameter lr");
    if (o->lr < 0) torch_error(op, "Invalid learning rate: %s", optim_number(o->lr, num, 64));
    if (!(o->momentum >= 0))
        torch_error(op, "Invalid momentum value: %s", optim_number(o->momentum, num, 64));
    if (!(o->weight_decay >= 0))
        torch_error(op, "Invalid weight_decay value: %s", optim_number(o->weight_decay, num, 64));
    if (o->nesterov && (o->momentum <= 0 || o->dampening != 0))
        torch_error(op, "Nesterov momentum requires a momentum and zero dampening");
}

_Static_assert(offsetof(SgdOptions, lr) == 0, "every optimizer's options begin with lr");

static const OptimizerClass sgd_class = {
    .name = "optim_sgd",
    .initialize = "function (params, lr = optim_required(), momentum = 0, dampening = 0, ",
    .options_size = sizeof(SgdOptions),
    .check_options = sgd_check_options,
    .update = sgd_update,
    .fprint_options = sgd_fprint_options,
};

SgdOptions *param_group_sgd(ParamGroup *group) {
    return param_group_options("param_group_sgd", group, &sgd_class);
}

Optimizer *optim_sgd_with(ParameterList params, SgdOptions options) {
    return optimizer_new("optim_sgd_with", &sgd_class, params, &options);
}

Optimizer *optim_sgd(ParameterList params, double lr) {
    SgdOptions options = SGD_DEFAULTS;
    options.lr = lr;
    return optimizer_new("optim_sgd", &sgd_class, params, &options);
}

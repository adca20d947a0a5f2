/*
 * bce.c: binary cross entropy, from probabilities (nnf_binary_cross_entropy, node
 * BinaryCrossEntropyBackward0) and from logits (nnf_binary_cross_entropy_with_logits, node
 * BinaryCrossEntropyWithLogitsBackward0). Each is one custom autograd function whose forward
 * and backward follow libtorch 1.13's formulas (aten/src/ATen/native/Loss.cpp,
 * derivatives.yaml), written with the kernel's tensor functions.
 */
#include "loss_internal.h"

/* 1 - x, as torch's (1 - x): the same bits as -x + 1. */
static Tensor *one_minus(Tensor *x) { return torch_add_scalar(torch_neg(x), 1); }

/* R: x$mean() divides by numel; so does the gradient of a "mean" loss. */
static Tensor *divide_if_mean(Tensor *grad, Reduction reduction, Tensor *input) {
    if (reduction != REDUCTION_MEAN) return grad;
    return torch_div_scalar(grad, (float)torch_numel(input));
}

/* ---- from probabilities ------------------------------------------------------------------ */

/* inputs {x, t}, both (*), x in [0, 1]:
 * loss = (t - 1) * max(log(1 - x), -100) - t * max(log(x), -100), reduced.
 * Clamping the logs at -100 keeps the loss finite where x is exactly 0 or 1. */
static Tensor *bce_forward(AutogradContext *ctx, Tensor **in, int n_inputs) {
    (void)n_inputs;
    Tensor *x = in[0], *t = in[1];
    const LossArgs *args = ctx->args;
    autograd_save_for_backward(ctx, x);
    autograd_save_for_backward(ctx, t);
    Tensor *log_x = torch_clamp_min(torch_log(x), -100);
    Tensor *log_one_minus_x = torch_clamp_min(torch_log(one_minus(x)), -100);
    Tensor *loss = torch_sub(torch_mul(torch_sub_scalar(t, 1), log_one_minus_x),
                             torch_mul(t, log_x));
    return apply_loss_reduction(loss, args->reduction);
}

/* d loss / d x = grad * (x - t) / max((1 - x) * x, 1e-12)       (libtorch's EPSILON 1e-12)
 * d loss / d t = grad * -logit(x) = grad * -log(x / (1 - x))
 * and each divided by numel for "mean". */
static void bce_backward(AutogradContext *ctx, Tensor *grad, Tensor **grad_inputs) {
    Tensor *x = ctx->saved[0], *t = ctx->saved[1];
    const LossArgs *args = ctx->args;
    Tensor *denominator = torch_clamp_min(torch_mul(one_minus(x), x), 1e-12f);
    grad_inputs[0] = divide_if_mean(torch_div(torch_mul(grad, torch_sub(x, t)), denominator),
                                    args->reduction, x);
    if (torch_requires_grad(t)) {
        Tensor *minus_logit = torch_neg(torch_log(torch_div(x, one_minus(x))));
        grad_inputs[1] = divide_if_mean(torch_mul(minus_logit, grad), args->reduction, x);
    }
}

static const AutogradFunction bce_function = {
    .name = "BinaryCrossEntropyBackward0",
    .forward = bce_forward,
    .backward = bce_backward,
    .args_size = sizeof(LossArgs),
};

/* libtorch checks each element as (x >= 0) && (x <= 1), so NaN fails too. */
static bool all_probabilities(Tensor *x) {
    Tensor *flat = tensor_contiguous_raw(x);
    const float *v = tensor_f32(flat);
    bool ok = true;
    for (int64_t i = 0; i < torch_numel(flat) && ok; i++) ok = v[i] >= 0.0f && v[i] <= 1.0f;
    if (flat != x) torch_free(flat);
    return ok;
}

Tensor *nnf_binary_cross_entropy(Tensor *input, Tensor *target, const char *reduction) {
    const char *op = "nnf_binary_cross_entropy";
    Reduction r = reduction_parse(op, reduction, false);
    check_float_pair(op, input, target);
    if (!shape_equal(input->shape, target->shape)) {
        char a[96], b[96];
        torch_error(op, "Using a target size (%s) that is different to the input size (%s) is "
                        "deprecated. Please ensure they have the same size.",
                    shape_str(target->shape, a, sizeof a), shape_str(input->shape, b, sizeof b));
    }
    if (!all_probabilities(input))
        torch_error(op, "all elements of input should be between 0 and 1");
    return autograd_function_apply(&bce_function, (Tensor *[]){input, target}, 2,
                                   &(LossArgs){.reduction = r});
}

/* ---- from logits ------------------------------------------------------------------------- */

/* inputs {x, t}, both (*), x any real (a logit):
 * loss = (1 - t) * x + m + log(exp(-m) + exp(-x - m)),  with m = max(-x, 0),
 * which is -(t log(sigmoid(x)) + (1 - t) log(1 - sigmoid(x))) without overflow: both
 * exponents are <= 0. */
static Tensor *bce_logits_forward(AutogradContext *ctx, Tensor **in, int n_inputs) {
    (void)n_inputs;
    Tensor *x = in[0], *t = in[1];
    const LossArgs *args = ctx->args;
    autograd_save_for_backward(ctx, x);
    autograd_save_for_backward(ctx, t);
    Tensor *m = torch_clamp_min(torch_neg(x), 0);
    Tensor *log_sum = torch_log(torch_add(torch_exp(torch_neg(m)),
                                          torch_exp(torch_sub(torch_neg(x), m))));
    Tensor *loss = torch_add(torch_add(torch_mul(one_minus(t), x), m), log_sum);
    return apply_loss_reduction(loss, args->reduction);
}

/* d loss / d x = (sigmoid(x) - t) * grad,  sigmoid(x) = 1 / (1 + exp(-x))
 * d loss / d t = -x * grad
 * and each divided by numel for "mean". */
static void bce_logits_backward(AutogradContext *ctx, Tensor *grad, Tensor **grad_inputs) {
    Tensor *x = ctx->saved[0], *t = ctx->saved[1];
    const LossArgs *args = ctx->args;
    Tensor *sigmoid = torch_pow(torch_add_scalar(torch_exp(torch_neg(x)), 1), -1);
    grad_inputs[0] = divide_if_mean(torch_mul(torch_sub(sigmoid, t), grad), args->reduction, x);
    if (torch_requires_grad(t))
        grad_inputs[1] = divide_if_mean(torch_mul(torch_neg(x), grad), args->reduction, x);
}

static const AutogradFunction bce_logits_function = {
    .name = "BinaryCrossEntropyWithLogitsBackward0",
    .forward = bce_logits_forward,
    .backward = bce_logits_backward,
    .args_size = sizeof(LossArgs),
};

Tensor *nnf_binary_cross_entropy_with_logits(Tensor *input, Tensor *target,
                                             const char *reduction) {
    const char *op = "nnf_binary_cross_entropy_with_logits";
    Reduction r = reduction_parse(op, reduction, false);
    check_float_pair(op, input, target);
    if (!shape_equal(input->shape, target->shape)) {
        char a[96], b[96];
        torch_error(op, "Target size (%s) must be the same as input size (%s)",
                    shape_str(target->shape, a, sizeof a), shape_str(input->shape, b, sizeof b));
    }
    return autograd_function_apply(&bce_logits_function, (Tensor *[]){input, target}, 2,
                                   &(LossArgs){.reduction = r});
}

/*
 * losses.c: what every loss shares (reduction strings, shape checks) and the regression
 * losses: mse, l1, and kl_div.
 *
 * Where libtorch computes a loss with one kernel and one backward formula, ctorch writes one
 * custom autograd function whose node carries libtorch's name (MseLossBackward0) and whose
 * backward is libtorch's formula (derivatives.yaml). Where libtorch composes the loss from
 * ordinary operations (l1_loss, kl_div), so does ctorch, and autograd records those.
 */
#include "loss_internal.h"

#include <string.h>

/* ---- reductions -------------------------------------------------------------------------- */

Reduction reduction_parse(const char *op, const char *reduction, bool batchmean_allowed) {
    if (reduction == NULL) return REDUCTION_MEAN; /* R's default: reduction = "mean" */
    if (strcmp(reduction, "none") == 0) return REDUCTION_NONE;
    if (strcmp(reduction, "mean") == 0) return REDUCTION_MEAN;
    if (strcmp(reduction, "sum") == 0) return REDUCTION_SUM;
    if (batchmean_allowed && strcmp(reduction, "batchmean") == 0) return REDUCTION_BATCHMEAN;
    torch_error(op, "%s is not a valid value for reduction", reduction);
}

/* loss (*) -> () for "mean" and "sum", loss itself for "none". */
Tensor *apply_loss_reduction(Tensor *loss, Reduction reduction) {
    if (reduction == REDUCTION_NONE) return loss; /* nothing to reduce */
    /* BEGIN EXERCISE 4.2: a loss's reduction */
    switch (reduction) {
    case REDUCTION_MEAN: return torch_mean(loss);
    case REDUCTION_SUM: return torch_sum(loss);
    default: return loss;
    }
    /* END EXERCISE 4.2 */
}

/* ---- input checks ------------------------------------------------------------------------ */

void check_float_pair(const char *op, const Tensor *input, const Tensor *target) {
    tensor_check_dtype(op, input, TORCH_FLOAT32);
    tensor_check_dtype(op, target, TORCH_FLOAT32);
}

void check_same_size(const char *op, const Tensor *input, const Tensor *target) {
    if (shape_equal(input->shape, target->shape)) return;
    char a[96], b[96];
    torch_error(op, "Using a target size (%s) that is different to the input size (%s). This "
                    "will likely lead to incorrect results due to broadcasting. Please ensure "
                    "they have the same size.",
                shape_str(target->shape, a, sizeof a), shape_str(input->shape, b, sizeof b));
}

/* ---- mse_loss: one node, MseLossBackward0 ------------------------------------------------ */

/* inputs {input, target}, both (*) -> (input - target)^2, reduced: () or (*) for "none".
 * The same kernel calls as chapter 3's loss, so the same bits: pow(x, 2) is x * x, and the
 * sum accumulates in double in row-major order. */
static Tensor *mse_forward(AutogradContext *ctx, Tensor **in, int n_inputs) {
    (void)n_inputs;
    const LossArgs *args = ctx->args;
    autograd_save_for_backward(ctx, in[0]);
    autograd_save_for_backward(ctx, in[1]);
    Tensor *input = in[0], *target = in[1];
    /* BEGIN EXERCISE 4.1: the MSE forward */
    Tensor *squared_error = torch_pow(torch_sub(input, target), 2);
    return apply_loss_reduction(squared_error, args->reduction);
    /* END EXERCISE 4.1 */
}

/* libtorch's mse_loss_backward: grad_input = (input - target) * norm * grad, where norm is 2,
 * or 2 / numel for "mean"; the target's gradient is minus that. With grad 1 this is chapter
 * 3's PowBackward0 result (input - target) * 2, bit for bit. */
static void mse_backward(AutogradContext *ctx, Tensor *grad, Tensor **grad_inputs) {
    /* BEGIN EXERCISE 4.3: the backward of mse_loss */
    Tensor *input = ctx->saved[0], *target = ctx->saved[1];
    const LossArgs *args = ctx->args;
    double norm = args->reduction == REDUCTION_MEAN ? 2.0 / (double)torch_numel(input) : 2.0;
    Tensor *grad_input = torch_mul(torch_mul_scalar(torch_sub(input, target), (float)norm), grad);
    grad_inputs[0] = grad_input;
    grad_inputs[1] = torch_requires_grad(target) ? torch_neg(grad_input) : NULL;
    /* END EXERCISE 4.3 */
}

static const AutogradFunction mse_loss_function = {
    .name = "MseLossBackward0",
    .forward = mse_forward,
    .backward = mse_backward,
    .args_size = sizeof(LossArgs),
};

Tensor *nnf_mse_loss(Tensor *input, Tensor *target, const char *reduction) {
    const char *op = "nnf_mse_loss";
    Reduction r = reduction_parse(op, reduction, false);
    check_float_pair(op, input, target);
    check_same_size(op, input, target);
    return autograd_function_apply(&mse_loss_function, (Tensor *[]){input, target}, 2,
                                   &(LossArgs){.reduction = r});
}

/* ---- l1_loss: composed, as libtorch does: |input - target|, reduced ---------------------- */

/* Nodes: SumBackward0 / MeanBackward0 <- AbsBackward0 <- SubBackward0. */
Tensor *nnf_l1_loss(Tensor *input, Tensor *target, const char *reduction) {
    const char *op = "nnf_l1_loss";
    Reduction r = reduction_parse(op, reduction, false);
    check_float_pair(op, input, target);
    check_same_size(op, input, target);
    return apply_loss_reduction(torch_abs(torch_sub(input, target)), r);
}

/* ---- kl_div: composed, as libtorch does -------------------------------------------------- */

/* xlogy(t, t) = t * log(t), and 0 where t is 0 (the limit). The log reads 1 where t is 0, so
 * no 0 * -inf appears, neither here nor in a gradient for t. */
static Tensor *self_xlogy(Tensor *t) {
    return torch_mul(t, torch_log(torch_masked_fill(t, torch_eq_scalar(t, 0), 1)));
}

/* input (*) log-probabilities, target (*) probabilities:
 * pointwise xlogy(target, target) - target * input (libtorch's kl_div with log_target false),
 * then reduced; "batchmean" is the sum divided by input's size(0), as torch.nn.functional
 * does it. Nodes: MeanBackward0 / SumBackward0 / DivBackward0 <- SubBackward0 <- MulBackward0. */
Tensor *nnf_kl_div(Tensor *input, Tensor *target, const char *reduction) {
    const char *op = "nnf_kl_div";
    Reduction r = reduction_parse(op, reduction, true);
    check_float_pair(op, input, target);
    check_same_size(op, input, target);
    Tensor *pointwise = torch_sub(self_xlogy(target), torch_mul(target, input));
    if (r != REDUCTION_BATCHMEAN) return apply_loss_reduction(pointwise, r);
    Tensor *sum = torch_sum(pointwise);
    if (input->shape.ndim == 0) return sum;
    /* Python's reduced / input.size(0) divides by a wrapped 0-dim tensor: DivBackward0. */
    return torch_div(sum, torch_scalar((float)input->shape.size[0]));
}

/*
 * nll.c: losses over classes. nnf_log_softmax (node LogSoftmaxBackward0), nnf_nll_loss (node
 * NllLossBackward0), and nnf_cross_entropy, which is libtorch's composition of the two:
 * nll_loss(log_softmax(input, 1), target).
 *
 * Class indices are int64 and 0-based, as in libtorch (R torch adds 1 when it shows them).
 */
#include "loss_internal.h"

#include <inttypes.h>
#include <math.h>

/* ---- log_softmax ------------------------------------------------------------------------- */

/* A shape seen as (outer, size, inner) around dim: element (o, k, i) of a contiguous tensor
 * is at (o * size + k) * inner + i. */
typedef struct AroundDim {
    int64_t outer, size, inner;
} AroundDim;

static AroundDim around_dim(Shape s, int dim) {
    AroundDim a = {1, s.ndim ? s.size[dim] : 1, 1};
    for (int d = 0; d < dim; d++) a.outer *= s.size[d];
    for (int d = dim + 1; d < s.ndim; d++) a.inner *= s.size[d];
    return a;
}

/* x (*) -> out (*): along dim, out = (x - max) - log(sum(exp(x - max))), libtorch's order of
 * operations. Subtracting the max first keeps exp from overflowing. The sum accumulates in
 * double, as the kernel's sums do. */
static Tensor *log_softmax_forward(AutogradContext *ctx, Tensor **in, int n_inputs) {
    (void)n_inputs;
    const LossArgs *args = ctx->args;
    Tensor *x = tensor_contiguous_raw(in[0]);
    Tensor *out = torch_empty(x->shape);
    const float *xv = tensor_f32(x);
    float *ov = tensor_f32(out);
    AroundDim a = around_dim(x->shape, args->dim);
    /* BEGIN EXERCISE 4.6: log_softmax, without overflow */
    for (int64_t o = 0; o < a.outer; o++)
        for (int64_t i = 0; i < a.inner; i++) {
            const float *row = xv + o * a.size * a.inner + i;
            float *out_row = ov + o * a.size * a.inner + i;
            float max = row[0];
            for (int64_t k = 1; k < a.size; k++)
                if (row[k * a.inner] > max || isnan(row[k * a.inner])) max = row[k * a.inner];
            double sum = 0.0;
            for (int64_t k = 0; k < a.size; k++) sum += expf(row[k * a.inner] - max);
            float log_sum = logf((float)sum);
            for (int64_t k = 0; k < a.size; k++)
                out_row[k * a.inner] = (row[k * a.inner] - max) - log_sum;
        }
    /* END EXERCISE 4.6 */
    if (x != in[0]) torch_free(x);
    autograd_save_for_backward(ctx, out);
    return out;
}

/* libtorch's _log_softmax_backward_data: grad_input = grad - exp(out) * sum(grad, dim). */
static void log_softmax_backward(AutogradContext *ctx, Tensor *grad, Tensor **grad_inputs) {
    Tensor *out = ctx->saved[0];
    const LossArgs *args = ctx->args;
    grad_inputs[0] =
        torch_sub(grad, torch_mul(torch_exp(out), torch_sum_dim(grad, args->dim, true)));
}

static const AutogradFunction log_softmax_function = {
    .name = "LogSoftmaxBackward0",
    .forward = log_softmax_forward,
    .backward = log_softmax_backward,
    .args_size = sizeof(LossArgs),
};

Tensor *nnf_log_softmax(Tensor *input, int dim) {
    tensor_check_dtype("nnf_log_softmax", input, TORCH_FLOAT32);
    dim = dim_wrap("nnf_log_softmax", dim, input->shape.ndim);
    return autograd_function_apply(&log_softmax_function, (Tensor *[]){input}, 1,
                                   &(LossArgs){.dim = dim});
}

/* ---- nll_loss ---------------------------------------------------------------------------- */

void nll_check(const char *op, const Tensor *input, const Tensor *target, int64_t ignore_index) {
    tensor_check_dtype(op, input, TORCH_FLOAT32);
    tensor_check_dtype(op, target, TORCH_INT64);
    char s[96];
    if (input->shape.ndim != 2)
        torch_error(op, "expected input of shape (N, C), got %s",
                    shape_str(input->shape, s, sizeof s));
    int64_t target_batch = target->shape.ndim ? target->shape.size[0] : 0;
    if (input->shape.size[0] != target_batch)
        torch_error(op, "Expected input batch_size (%" PRId64 ") to match target batch_size "
                        "(%" PRId64 ").",
                    input->shape.size[0], target_batch);
    if (target->shape.ndim != 1)
        torch_error(op, "0D or 1D target tensor expected, multi-target not supported");
    int64_t n_classes = input->shape.size[1];
    for (int64_t i = 0; i < target_batch; i++) {
        int64_t t = tensor_i64(target)[strided_offset(target, i)];
        if (t != ignore_index && (t < 0 || t >= n_classes))
            torch_error(op, "Target %" PRId64 " is out of bounds.", t);
    }
}

/* inputs {input (N, C), target (N) int64}: row i's loss is -input[i, target[i]], or 0 where
 * target[i] is ignore_index. "sum" adds the rows, "mean" divides that by the number of rows
 * kept (libtorch's total_weight: NaN when every row is ignored, as in torch). */
static Tensor *nll_forward(AutogradContext *ctx, Tensor **in, int n_inputs) {
    (void)n_inputs;
    const LossArgs *args = ctx->args;
    Tensor *input = tensor_contiguous_raw(in[0]), *target = tensor_contiguous_raw(in[1]);
    int64_t n = input->shape.size[0], n_classes = input->shape.size[1];
    Tensor *losses = torch_zeros(SHAPE(n));
    int64_t kept = 0;
    /* BEGIN EXERCISE 4.7: nll_loss, row by row */
    for (int64_t i = 0; i < n; i++) {
        int64_t t = tensor_i64(target)[i];
        if (t == args->ignore_index) continue;
        tensor_f32(losses)[i] = -tensor_f32(input)[i * n_classes + t];
        kept++;
    }
    /* END EXERCISE 4.7 */
    if (input != in[0]) torch_free(input);
    if (target != in[1]) torch_free(target);
    Tensor *total_weight = torch_scalar((float)kept);
    autograd_save_for_backward(ctx, in[0]);
    autograd_save_for_backward(ctx, in[1]);
    autograd_save_for_backward(ctx, total_weight);
    switch (args->reduction) {
    case REDUCTION_SUM: return torch_sum(losses);
    case REDUCTION_MEAN: return torch_div(torch_sum(losses), total_weight);
    default: return losses;
    }
}

/* libtorch's nll_loss_backward: grad_input (N, C) is zero except grad_input[i, target[i]] =
 * -grad[i] ("none"), -grad ("sum") or -(grad / total_weight) ("mean"), and 0 on ignored rows. */
static void nll_backward(AutogradContext *ctx, Tensor *grad, Tensor **grad_inputs) {
    Tensor *input = ctx->saved[0], *target = tensor_contiguous_raw(ctx->saved[1]);
    float total_weight = torch_item(ctx->saved[2]);
    const LossArgs *args = ctx->args;
    Tensor *g = tensor_contiguous_raw(grad);
    int64_t n = input->shape.size[0], n_classes = input->shape.size[1];
    Tensor *grad_input = torch_zeros(input->shape);
    for (int64_t i = 0; i < n; i++) {
        int64_t t = tensor_i64(target)[i];
        if (t == args->ignore_index) continue;
        float gi = args->reduction == REDUCTION_NONE ? tensor_f32(g)[i] : tensor_f32(g)[0];
        tensor_f32(grad_input)[i * n_classes + t] =
            args->reduction == REDUCTION_MEAN ? -(gi / total_weight) : -gi;
    }
    grad_inputs[0] = grad_input;
}

static const AutogradFunction nll_function = {
    .name = "NllLossBackward0",
    .forward = nll_forward,
    .backward = nll_backward,
    .args_size = sizeof(LossArgs),
};

Tensor *nll_loss(Tensor *input, Tensor *target, int64_t ignore_index, Reduction reduction) {
    LossArgs args = {.reduction = reduction, .ignore_index = ignore_index};
    return autograd_function_apply(&nll_function, (Tensor *[]){input, target}, 2, &args);
}

Tensor *nnf_nll_loss_ignore_index(Tensor *input, Tensor *target, int64_t ignore_index,
                                  const char *reduction) {
    const char *op = "nnf_nll_loss";
    Reduction r = reduction_parse(op, reduction, false);
    nll_check(op, input, target, ignore_index);
    return nll_loss(input, target, ignore_index, r);
}

Tensor *nnf_nll_loss(Tensor *input, Tensor *target, const char *reduction) {
    return nnf_nll_loss_ignore_index(input, target, LOSS_IGNORE_INDEX, reduction);
}

/* ---- cross_entropy: nll_loss after log_softmax ------------------------------------------- */

/* input (N, C) logits, target (N) int64. Nodes: NllLossBackward0 <- LogSoftmaxBackward0. */
Tensor *nnf_cross_entropy_ignore_index(Tensor *input, Tensor *target, int64_t ignore_index,
                                       const char *reduction) {
    const char *op = "nnf_cross_entropy";
    Reduction r = reduction_parse(op, reduction, false);
    nll_check(op, input, target, ignore_index);
    return nll_loss(nnf_log_softmax(input, 1), target, ignore_index, r);
}

Tensor *nnf_cross_entropy(Tensor *input, Tensor *target, const char *reduction) {
    return nnf_cross_entropy_ignore_index(input, target, LOSS_IGNORE_INDEX, reduction);
}

/*
 * losses.h: chapter 4, loss functions, in torch's two forms.
 *
 * Call a loss directly on a prediction and a target (R's nnf_*, PyTorch's torch.nn.functional):
 *
 *     Tensor *loss = nnf_mse_loss(y_pred, y, "sum");
 *                                  // R: nnf_mse_loss(y_pred, y, reduction = "sum")
 *
 * or build a loss object once and call it on many pairs (R's nn_*_loss, PyTorch's torch.nn):
 *
 *     Module *loss_fn = nn_mse_loss("mean");           // R: loss_fn <- nn_mse_loss()
 *     Tensor *loss = nn_loss(loss_fn, y_pred, y);      // R: loss_fn(y_pred, y)
 *     nn_free(loss_fn);
 *
 * `reduction` is R's string: "none" (one loss per element), "mean" or "sum"; nnf_kl_div also
 * takes "batchmean". NULL means R's default, "mean". Anything else stops with torch's error
 * "nnf_mse_loss: sum2 is not a valid value for reduction".
 *
 * Every loss is differentiable through chapter 2's autograd, and its graph node carries
 * libtorch's name: nnf_mse_loss is one custom function (MseLossBackward0), while nnf_l1_loss
 * is built from kernel operations (AbsBackward0 after SubBackward0), exactly where torch does
 * the same. nnf_mse_loss(a, b, "sum") gives the same bits, forward and backward, as chapter 3's
 * torch_sum(torch_pow(torch_sub(a, b), 2)).
 *
 * Input and target must have the same shape (torch only warns and broadcasts; ctorch stops,
 * naming both shapes). Class indices (nll_loss, cross_entropy) are int64 tensors.
 * Not implemented: class weights (R's weight = ...), pos_weight, log_target, label smoothing.
 */
#ifndef CTORCH_LOSSES_H
#define CTORCH_LOSSES_H

#include "nn.h"
#include "tensor.h"

/* torch's default ignore_index: a target equal to it contributes nothing. */
#define LOSS_IGNORE_INDEX (-100)

/* ---- the functional form (R: nnf_*) ------------------------------------------------------ */

/* Mean squared error: (input - target)^2. input, target: the same shape. */
Tensor *nnf_mse_loss(Tensor *input, Tensor *target, const char *reduction);

/* Mean absolute error: |input - target|. */
Tensor *nnf_l1_loss(Tensor *input, Tensor *target, const char *reduction);

/* Binary cross entropy of probabilities: -(t log(x) + (1 - t) log(1 - x)), each log clamped
 * at -100 as torch does. input in [0, 1]; target the same shape. */
Tensor *nnf_binary_cross_entropy(Tensor *input, Tensor *target, const char *reduction);

/* The same from logits (input = log(p / (1 - p))), computed stably: R's
 * nnf_binary_cross_entropy_with_logits, the loss of nn_bce_with_logits_loss. */
Tensor *nnf_binary_cross_entropy_with_logits(Tensor *input, Tensor *target,
                                             const char *reduction);

/* log(softmax(input)) along dim (0-based; R's dim = dim + 1). */
Tensor *nnf_log_softmax(Tensor *input, int dim);

/* Negative log likelihood: input (N, C) log-probabilities, target (N) int64 class indices in
 * [0, C) (0-based, as libtorch; R torch's are 1-based). Rows whose target is
 * LOSS_IGNORE_INDEX are skipped, and "mean" divides by the number of rows kept. */
Tensor *nnf_nll_loss(Tensor *input, Tensor *target, const char *reduction);
Tensor *nnf_nll_loss_ignore_index(Tensor *input, Tensor *target, int64_t ignore_index,
                                  const char *reduction);

/* Cross entropy from logits: nnf_nll_loss(nnf_log_softmax(input, 1), target). input (N, C),
 * target (N) int64 class indices. */
Tensor *nnf_cross_entropy(Tensor *input, Tensor *target, const char *reduction);
Tensor *nnf_cross_entropy_ignore_index(Tensor *input, Tensor *target, int64_t ignore_index,
                                       const char *reduction);

/* Kullback-Leibler divergence: input log-probabilities, target probabilities of the same
 * shape; pointwise target * (log(target) - input). "batchmean" divides the sum by the batch
 * size input's size(0) (the true KL divergence per observation); "mean" divides by every
 * element, as torch does. */
Tensor *nnf_kl_div(Tensor *input, Tensor *target, const char *reduction);

/* ---- the loss objects (R: nn_*_loss) ----------------------------------------------------- */

/* Each is a Module (0 parameters; nn_print shows "An `nn_module` containing 0 parameters.";
 * nn_free frees it) that remembers its options. The reduction is checked here already. */
Module *nn_mse_loss(const char *reduction);
Module *nn_l1_loss(const char *reduction);
Module *nn_bce_loss(const char *reduction);
Module *nn_bce_with_logits_loss(const char *reduction);
Module *nn_nll_loss(const char *reduction);
Module *nn_nll_loss_ignore_index(int64_t ignore_index, const char *reduction);
Module *nn_cross_entropy_loss(const char *reduction);
Module *nn_cross_entropy_loss_ignore_index(int64_t ignore_index, const char *reduction);
Module *nn_kl_div_loss(const char *reduction);

/* R: loss_fn(input, target). loss_fn must be one of the loss objects above. */
Tensor *nn_loss(Module *loss_fn, Tensor *input, Tensor *target);

#endif

/*
 * loss_internal.h: what the loss files share (not part of the public API): the reduction
 * strings, the shape checks, and the arguments of a loss's autograd function.
 */
#ifndef CTORCH_LOSS_INTERNAL_H
#define CTORCH_LOSS_INTERNAL_H

#include <stdint.h>

#include "autograd.h"
#include "internal.h"
#include "losses.h"

/* libtorch's at::Reduction, plus the Python-side "batchmean" of kl_div. */
typedef enum Reduction {
    REDUCTION_NONE,
    REDUCTION_MEAN,
    REDUCTION_SUM,
    REDUCTION_BATCHMEAN,
} Reduction;

/* "none", "mean", "sum" (and "batchmean" when allowed) -> Reduction; NULL -> "mean" (R's
 * default). Anything else: "<op>: sum2 is not a valid value for reduction". */
Reduction reduction_parse(const char *op, const char *reduction, bool batchmean_allowed);

/* torch's apply_loss_reduction: the loss itself, its mean, or its sum (recorded ops). */
Tensor *apply_loss_reduction(Tensor *loss, Reduction reduction);

/* Stops unless input and target have the same shape, with torch's message (its warning for
 * mse_loss, l1_loss and kl_div, which ctorch makes an error):
 * "Using a target size ([3]) that is different to the input size ([3, 1]). This will likely
 * lead to incorrect results due to broadcasting. Please ensure they have the same size." */
void check_same_size(const char *op, const Tensor *input, const Tensor *target);

/* Both must be float32 tensors. */
void check_float_pair(const char *op, const Tensor *input, const Tensor *target);

/* The other arguments of a loss's autograd function (autograd.h): the nnf_ function passes
 * them to autograd_function_apply, the node keeps a copy, and forward and backward read them
 * as ctx->args. Each loss sets the fields it uses. */
typedef struct LossArgs {
    Reduction reduction;
    int dim;              /* log_softmax's dimension */
    int64_t ignore_index; /* nll_loss's skipped class */
} LossArgs;

/* The loss behind nnf_nll_loss and nnf_cross_entropy, with the caller's name for errors. */
void nll_check(const char *op, const Tensor *input, const Tensor *target, int64_t ignore_index);
Tensor *nll_loss(Tensor *input, Tensor *target, int64_t ignore_index, Reduction reduction);

#endif

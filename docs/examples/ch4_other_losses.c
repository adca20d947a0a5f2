/* Chapter 4, "Other losses": binary cross entropy, negative log likelihood and the
 * Kullback-Leibler divergence, each as a function (nnf_*) and as an object (nn_*_loss). */
#include "example.h"
#include "losses.h"

int main(void) {
    torch_manual_seed(1);
    torch_scope_begin(); /* everything below is released at its end */

    part("bce");
    /* docs:begin bce */
    /* R: p <- torch_rand(4) -- predicted probabilities of "yes", e.g. a sigmoid's output */
    Tensor *p = torch_rand(SHAPE(4));
    /* R: truth <- torch_tensor(c(1, 0, 1, 1)) -- what happened: 1 yes, 0 no */
    Tensor *truth = torch_tensor(SHAPE(4), (float[]){1, 0, 1, 1});

    /* R: nnf_binary_cross_entropy(p, truth) */
    torch_print(nnf_binary_cross_entropy(p, truth, "mean"));
    /* R: nn_bce_loss()(p, truth) */
    Module *bce = nn_bce_loss("mean");
    torch_print(nn_loss(bce, p, truth));
    nn_free(bce);
    /* docs:end bce */

    part("nll");
    /* docs:begin nll */
    /* R: scores <- torch_randn(4, 3) -- 4 observations, a score for each of 3 classes */
    Tensor *scores = torch_randn(SHAPE(4, 3));
    /* R: logp <- nnf_log_softmax(scores, dim = 2) -- each row: log-probabilities */
    Tensor *logp = nnf_log_softmax(scores, 1);
    /* R: classes <- torch_tensor(c(1, 3, 2, 3), dtype = torch_long()) -- R counts from 1 */
    Tensor *classes = torch_tensor_i64(SHAPE(4), (int64_t[]){0, 2, 1, 2});

    /* R: nnf_nll_loss(logp, classes) */
    torch_print(nnf_nll_loss(logp, classes, "mean"));
    /* R: nn_nll_loss()(logp, classes) */
    Module *nll = nn_nll_loss("mean");
    torch_print(nn_loss(nll, logp, classes));
    nn_free(nll);
    /* R: nnf_cross_entropy(scores, classes) -- log_softmax and nll_loss in one */
    torch_print(nnf_cross_entropy(scores, classes, "mean"));
    /* docs:end nll */

    part("kl");
    /* docs:begin kl */
    /* R: logq <- nnf_log_softmax(torch_randn(2, 5), dim = 2) -- a model's log-probabilities */
    Tensor *logq = nnf_log_softmax(torch_randn(SHAPE(2, 5)), 1);
    /* R: target <- nnf_softmax(torch_randn(2, 5), dim = 2) -- probabilities to match */
    Tensor *target = torch_exp(nnf_log_softmax(torch_randn(SHAPE(2, 5)), 1));

    /* R: nnf_kl_div(logq, target, reduction = "batchmean") */
    torch_print(nnf_kl_div(logq, target, "batchmean"));
    /* R: nn_kl_div_loss(reduction = "batchmean")(logq, target) */
    Module *kl = nn_kl_div_loss("batchmean");
    torch_print(nn_loss(kl, logq, target));
    nn_free(kl);
    /* R: nnf_kl_div(logq, logq$exp(), reduction = "batchmean") -- a distribution vs itself */
    torch_print(nnf_kl_div(logq, torch_exp(logq), "batchmean"));
    /* docs:end kl */

    torch_scope_end();
    return 0;
}

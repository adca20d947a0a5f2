/* Chapter 4, "Losses": nnf_mse_loss and nn_mse_loss give the same value, and "sum" is
 * chapter 3's hand-written loss. */
#include <string.h>

#include "autograd.h"
#include "example.h"
#include "losses.h"

int main(void) {
    torch_manual_seed(1);
    torch_scope_begin(); /* everything below is released at its end */

    part("two-forms");
    /* docs:begin two-forms */
    /* R: x <- torch_randn(c(3, 2, 3)); y <- torch_zeros(c(3, 2, 3)) */
    Tensor *x = torch_randn(SHAPE(3, 2, 3));
    Tensor *y = torch_zeros(SHAPE(3, 2, 3));

    /* R: nnf_mse_loss(x, y) -- the function: call it on a prediction and a target */
    torch_print(nnf_mse_loss(x, y, "mean"));

    /* R: loss <- nn_mse_loss(); loss(x, y) -- the object: build it once, call it often */
    Module *loss = nn_mse_loss("mean");
    torch_print(nn_loss(loss, x, y));
    nn_free(loss);
    /* docs:end two-forms */

    part("by-hand");
    /* docs:begin by-hand */
    /* R: ((x - y)^2)$mean() -- what nnf_mse_loss computes */
    torch_print(torch_mean(torch_pow(torch_sub(x, y), 2)));
    /* docs:end by-hand */

    part("chapter-3");
    /* docs:begin chapter-3 */
    /* a prediction that requires grad, as a model's output does */
    Tensor *y_pred = torch_requires_grad_(torch_randn(SHAPE(100, 1)), true);
    Tensor *target = torch_randn(SHAPE(100, 1));

    /* R: (y_pred - y)$pow(2)$sum() -- chapter 3's loss, written out */
    Tensor *by_hand = torch_sum(torch_pow(torch_sub(y_pred, target), 2));
    /* R: nnf_mse_loss(y_pred, y, reduction = "sum") -- chapter 4's */
    Tensor *mse = nnf_mse_loss(y_pred, target, "sum");

    float a = torch_item(by_hand), b = torch_item(mse);
    printf("by hand:      %.9g  grad_fn %s\n", a, grad_fn_name(torch_grad_fn(by_hand)));
    printf("nnf_mse_loss: %.9g  grad_fn %s\n", b, grad_fn_name(torch_grad_fn(mse)));
    printf("the same bits: %s\n", memcmp(&a, &b, sizeof a) == 0 ? "yes" : "no");
    /* docs:end chapter-3 */

    torch_scope_end();
    return 0;
}

/* Chapter 4, "Reduction": "none", "sum" and "mean", and what "mean" does to the gradients. */
#include "autograd.h"
#include "example.h"
#include "losses.h"

int main(void) {
    torch_scope_begin(); /* everything below is released at its end */

    part("reductions");
    /* docs:begin reductions */
    /* R: y_pred <- torch_tensor(c(1, 2, 3, 4), requires_grad = TRUE)
     *    y <- torch_tensor(c(1.5, 2, 2, 5)) */
    Tensor *y_pred = torch_requires_grad_(torch_tensor(SHAPE(4), (float[]){1, 2, 3, 4}), true);
    Tensor *y = torch_tensor(SHAPE(4), (float[]){1.5f, 2, 2, 5});

    /* R: nnf_mse_loss(y_pred, y, reduction = "none") -- one loss per element */
    torch_print(nnf_mse_loss(y_pred, y, "none"));
    /* R: nnf_mse_loss(y_pred, y, reduction = "sum") -- their sum */
    torch_print(nnf_mse_loss(y_pred, y, "sum"));
    /* R: nnf_mse_loss(y_pred, y) -- their mean, the default */
    torch_print(nnf_mse_loss(y_pred, y, "mean"));
    /* R: nnf_mse_loss(y_pred, y, reduction = "sum2") */
    SHOW_ERROR(nnf_mse_loss(y_pred, y, "sum2"));
    /* docs:end reductions */

    part("gradients");
    /* docs:begin gradients */
    /* R: nnf_mse_loss(y_pred, y, reduction = "sum")$backward(); y_pred$grad */
    torch_backward(nnf_mse_loss(y_pred, y, "sum"));
    torch_print(torch_grad(y_pred));

    /* R: y_pred$grad$zero_(); nnf_mse_loss(y_pred, y)$backward(); y_pred$grad */
    torch_zero_(torch_grad(y_pred));
    torch_backward(nnf_mse_loss(y_pred, y, "mean"));
    torch_print(torch_grad(y_pred));
    /* docs:end gradients */

    torch_scope_end();
    return 0;
}

/* Chapter 2, "Gradients add up": backward() accumulates, zero_() resets. */
#include "autograd.h"
#include "example.h"

int main(void) {
    torch_scope_begin();

    part("accumulate");
    /* docs:begin accumulate */
    /* R: w <- torch_tensor(c(1, 2, 3), requires_grad = TRUE) */
    Tensor *w = torch_requires_grad_(torch_tensor(SHAPE(3), (float[]){1, 2, 3}), true);

    for (int pass = 1; pass <= 2; pass++) {
        /* R: loss <- (w * w)$sum(); loss$backward() -- d loss / d w = 2 * w */
        Tensor *loss = torch_sum(torch_mul(w, w));
        torch_backward(loss);
        printf("after backward pass %d:\n", pass);
        torch_print(torch_grad(w));
    }
    /* docs:end accumulate */

    part("zero");
    /* docs:begin zero */
    /* R: w$grad$zero_() -- what every training loop does before its next backward */
    torch_zero_(torch_grad(w));
    torch_print(torch_grad(w));
    /* docs:end zero */

    torch_scope_end();
    return 0;
}

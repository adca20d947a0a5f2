/* Chapter 1, "In-place operations and masks". */
#include "example.h"

int main(void) {
    torch_scope_begin();

    part("inplace");
    /* docs:begin inplace */
    /* R: t <- torch_tensor(c(1, 2, 3)) */
    Tensor *t = torch_tensor(SHAPE(3), (float[]){1, 2, 3});
    Tensor *ten = torch_full(SHAPE(3), 10);

    /* R: t$add(ten) -- a new tensor; t is unchanged */
    Tensor *sum = torch_add(t, ten);
    torch_print(t);

    /* R: t$add_(ten) -- the trailing underscore: t itself changes (and is returned) */
    torch_add_(t, ten);
    torch_print(t);
    torch_print(sum); /* the same values; the difference is which tensor holds them */
    /* docs:end inplace */

    part("mask");
    /* docs:begin mask */
    /* R: h <- torch_tensor(c(-1.5, 0.5, -0.2, 2)) */
    Tensor *h = torch_tensor(SHAPE(4), (float[]){-1.5f, 0.5f, -0.2f, 2});

    /* R: h < 0 -- a comparison gives a bool tensor, a mask */
    Tensor *negative = torch_lt_scalar(h, 0);
    torch_print(negative);

    /* R: g <- h$clone(); g[h < 0] <- 0 -- copy first, then zero where the mask is true.
     * Chapter 1's backward pass does exactly this to the gradient of ReLU. */
    Tensor *g = torch_clone(h);
    torch_masked_fill_(g, negative, 0);
    torch_print(g);
    /* docs:end mask */

    torch_scope_end();
    return 0;
}

/* Chapter 2, "Asking for gradients": requires_grad, grad_fn and backward on a tiny example. */
#include "autograd.h"
#include "example.h"

int main(void) {
    torch_scope_begin();

    part("requires-grad");
    /* docs:begin requires-grad */
    /* R: x <- torch_ones(2, 2, requires_grad = TRUE) */
    Tensor *x = torch_requires_grad_(torch_ones(SHAPE(2, 2)), true);
    torch_print(x);
    /* docs:end requires-grad */

    part("grad-fn");
    /* docs:begin grad-fn */
    /* R: y <- x$mean() -- computed from x, so y remembers how it was made */
    Tensor *y = torch_mean(x);
    torch_print(y);

    /* R: y$grad_fn -- the node that will send gradients back to x */
    printf("%s\n", grad_fn_name(torch_grad_fn(y)));
    /* docs:end grad-fn */

    part("backward");
    /* docs:begin backward */
    /* R: x$grad -- nothing yet: gradients appear only after a backward pass */
    printf("x$grad before backward: %s\n", torch_grad(x) ? "defined" : "NULL (undefined)");

    /* R: y$backward(); x$grad -- y is the mean of 4 values, so each one moves y by 1/4 */
    torch_backward(y);
    torch_print(torch_grad(x));
    /* docs:end backward */

    torch_scope_end();
    return 0;
}

/* Chapter 2, "The graph": grad_fn, next_functions and retain_grad on a longer computation. */
#include "autograd.h"
#include "example.h"

/* docs:begin walk-function */
/* Prints fn, then (indented) every node its next_functions lead to: the whole graph below. */
static void print_graph(const GradFn *fn, int depth) {
    printf("%*s%s\n", 2 * depth, "", fn ? grad_fn_name(fn) : "NULL");
    if (!fn) return;
    for (int i = 0; i < grad_fn_num_next(fn); i++) print_graph(grad_fn_next(fn, i), depth + 1);
}
/* docs:end walk-function */

int main(void) {
    torch_scope_begin();

    part("forward");
    /* docs:begin forward */
    /* R: x1 <- torch_ones(2, 2, requires_grad = TRUE) */
    Tensor *x1 = torch_requires_grad_(torch_ones(SHAPE(2, 2)), true);
    /* R: x2 <- torch_tensor(1.1, requires_grad = TRUE) */
    Tensor *x2 = torch_requires_grad_(torch_tensor(SHAPE(1), (float[]){1.1f}), true);

    /* R: y <- x1 * (x2 + 2) */
    Tensor *y = torch_mul(x1, torch_add_scalar(x2, 2));
    /* R: z <- y$pow(2) * 3 */
    Tensor *z = torch_mul_scalar(torch_pow(y, 2), 3);
    /* R: out <- z$mean() */
    Tensor *out = torch_mean(z);
    torch_print(out);
    /* docs:end forward */

    part("next-functions");
    /* docs:begin next-functions */
    /* R: out$grad_fn; out$grad_fn$next_functions; ... one level at a time */
    print_graph(torch_grad_fn(out), 0);
    /* docs:end next-functions */

    part("retain-grad");
    /* docs:begin retain-grad */
    /* R: y$retain_grad(); z$retain_grad() -- keep the gradients of these intermediate
     * results too; by default only leaves (x1, x2) keep theirs */
    torch_retain_grad(y);
    torch_retain_grad(z);

    /* R: out$backward() */
    torch_backward(out);

    /* R: z$grad; y$grad; x2$grad; x1$grad -- from the output back to the inputs */
    torch_print(torch_grad(z));
    torch_print(torch_grad(y));
    torch_print(torch_grad(x2));
    torch_print(torch_grad(x1));
    /* docs:end retain-grad */

    torch_scope_end();
    return 0;
}

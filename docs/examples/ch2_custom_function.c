/* Chapter 2, "Your own autograd function": a ReLU with a hand-written backward. */
#include "autograd.h"
#include "example.h"

/* docs:begin my-relu */
/*
 * R: my_relu <- autograd_function(
 *      forward = function(ctx, input) {
 *        ctx$save_for_backward(input = input)
 *        input$clamp(min = 0)
 *      },
 *      backward = function(ctx, grad_output) {
 *        v <- ctx$saved_variables
 *        grad_input <- grad_output$clone()
 *        grad_input[v$input < 0] <- 0
 *        list(input = grad_input)
 *      })
 */
static Tensor *my_relu_forward(AutogradContext *ctx, Tensor **inputs, int n_inputs) {
    (void)n_inputs; /* one input */
    autograd_save_for_backward(ctx, inputs[0]); /* the backward needs to know where x < 0 */
    return torch_clamp_min(inputs[0], 0);
}

static void my_relu_backward(AutogradContext *ctx, Tensor *grad_output, Tensor **grad_inputs) {
    Tensor *input = ctx->saved[0];
    Tensor *grad_input = torch_clone(grad_output);
    torch_masked_fill_(grad_input, torch_lt_scalar(input, 0), 0); /* chapter 1's grad_h */
    grad_inputs[0] = grad_input;
}

static const AutogradFunction my_relu = {"MyReluBackward", my_relu_forward, my_relu_backward};
/* docs:end my-relu */

int main(void) {
    torch_scope_begin();

    part("use");
    /* docs:begin use */
    /* R: x <- torch_tensor(c(-1, 0.5, 2, -3), requires_grad = TRUE); y <- my_relu(x) */
    Tensor *x = torch_requires_grad_(torch_tensor(SHAPE(4), (float[]){-1, 0.5f, 2, -3}), true);
    Tensor *y = autograd_function_apply(&my_relu, &x, 1);
    torch_print(y);
    printf("%s\n", grad_fn_name(torch_grad_fn(y)));

    /* R: y$sum()$backward(); x$grad -- 1 where x > 0, 0 where the ReLU cut it off */
    torch_backward(torch_sum(y));
    torch_print(torch_grad(x));
    /* docs:end use */

    torch_scope_end();
    return 0;
}

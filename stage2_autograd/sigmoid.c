/*
 * sigmoid.c: torch_sigmoid, a custom autograd function (R's autograd_function) of the library.
 *
 * sigmoid(x) = 1 / (1 + exp(-x)), elementwise. Written as one node with a hand-written
 * backward, as chapter 2's my_relu is: the forward runs without recording and saves what the
 * backward needs, the backward turns the gradient of the output into that of the input. The
 * node has libtorch's name, SigmoidBackward0, and its formula, so gradients agree with
 * PyTorch's to rounding (torch's forward kernel may round differently in the last bit).
 */
#include "autograd.h"
#include "internal.h"

/* x (any shape) -> sigmoid(x), same shape; saves what the backward reads. */
static Tensor *sigmoid_forward(AutogradContext *ctx, Tensor **inputs, int n_inputs) {
    (void)n_inputs; /* one input */
    /* BEGIN EXERCISE 2.7: a custom autograd function (forward) */
    Tensor *x = inputs[0];
    Tensor *y = torch_div(torch_ones_like(x), torch_add_scalar(torch_exp(torch_neg(x)), 1));
    autograd_save_for_backward(ctx, y); /* the derivative is a function of the output */
    return y;
    /* END EXERCISE 2.7 */
}

/* g, the gradient of y = sigmoid(x) (y's shape) -> the gradient of x (same shape). */
static void sigmoid_backward(AutogradContext *ctx, Tensor *g, Tensor **grad_inputs) {
    /* BEGIN EXERCISE 2.7: a custom autograd function (backward) */
    Tensor *y = ctx->saved[0];
    /* libtorch's sigmoid_backward: g * (1 - y) * y, in that order */
    grad_inputs[0] = torch_mul(torch_mul(g, torch_add_scalar(torch_neg(y), 1)), y);
    /* END EXERCISE 2.7 */
}

static const AutogradFunction sigmoid_function = {
    .name = "SigmoidBackward0",
    .forward = sigmoid_forward,
    .backward = sigmoid_backward,
};

Tensor *torch_sigmoid(Tensor *x) {
    tensor_check("torch_sigmoid", x);
    return autograd_function_apply(&sigmoid_function, &x, 1, NULL);
}

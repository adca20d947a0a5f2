/* Chapter 2, "Your own autograd function": a ReLU with a hand-written backward, and a leaky
 * ReLU, whose slope is an argument besides its tensor. */
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

static const AutogradFunction my_relu = {
    .name = "MyReluBackward",
    .forward = my_relu_forward,
    .backward = my_relu_backward,
};
/* docs:end my-relu */

/* docs:begin leaky-relu */
/*
 * R: my_leaky_relu <- autograd_function(
 *      forward = function(ctx, input, negative_slope) {
 *        ctx$save_for_backward(input = input, negative_slope = negative_slope)
 *        torch_where(input < 0, input * negative_slope, input)
 *      },
 *      backward = function(ctx, grad_output) {
 *        v <- ctx$saved_variables
 *        list(input = torch_where(v$input < 0, grad_output * v$negative_slope, grad_output))
 *      })
 */
typedef struct LeakyReluArgs {
    float negative_slope;
} LeakyReluArgs;

static Tensor *my_leaky_relu_forward(AutogradContext *ctx, Tensor **inputs, int n_inputs) {
    (void)n_inputs; /* one input */
    const LeakyReluArgs *args = ctx->args;
    Tensor *input = inputs[0];
    autograd_save_for_backward(ctx, input);
    return torch_where(torch_lt_scalar(input, 0), torch_mul_scalar(input, args->negative_slope),
                       input);
}

static void my_leaky_relu_backward(AutogradContext *ctx, Tensor *grad_output,
                                   Tensor **grad_inputs) {
    const LeakyReluArgs *args = ctx->args; /* the node's copy: what the forward was given */
    Tensor *input = ctx->saved[0];
    grad_inputs[0] = torch_where(torch_lt_scalar(input, 0),
                                 torch_mul_scalar(grad_output, args->negative_slope), grad_output);
}

static const AutogradFunction my_leaky_relu = {
    .name = "MyLeakyReluBackward",
    .forward = my_leaky_relu_forward,
    .backward = my_leaky_relu_backward,
    .args_size = sizeof(LeakyReluArgs), /* the node copies this many bytes of args */
};
/* docs:end leaky-relu */

/* docs:begin gradcheck-functions */
/* A leaky ReLU whose backward forgot the slope: 1 everywhere, a plausible-looking mistake. */
static void wrong_leaky_relu_backward(AutogradContext *ctx, Tensor *grad_output,
                                      Tensor **grad_inputs) {
    (void)ctx;
    grad_inputs[0] = grad_output;
}

static const AutogradFunction wrong_leaky_relu = {
    .name = "WrongLeakyReluBackward",
    .forward = my_leaky_relu_forward,
    .backward = wrong_leaky_relu_backward,
    .args_size = sizeof(LeakyReluArgs),
};

/* What torch_gradcheck calls: the function under test, on its inputs (ctx: which one). */
static Tensor *apply_function(Tensor **inputs, int n_inputs, void *ctx) {
    const AutogradFunction *fn = ctx;
    return autograd_function_apply(fn, inputs, n_inputs, &(LeakyReluArgs){.negative_slope = 0.1f});
}
/* docs:end gradcheck-functions */

int main(void) {
    torch_scope_begin();

    part("use");
    /* docs:begin use */
    /* R: x <- torch_tensor(c(-1, 0.5, 2, -3), requires_grad = TRUE); y <- my_relu(x) */
    Tensor *x = torch_requires_grad_(torch_tensor(SHAPE(4), (float[]){-1, 0.5f, 2, -3}), true);
    Tensor *y = autograd_function_apply(&my_relu, &x, 1, NULL); /* NULL: no other arguments */
    torch_print(y);
    printf("%s\n", grad_fn_name(torch_grad_fn(y)));

    /* R: y$sum()$backward(); x$grad -- 1 where x > 0, 0 where the ReLU cut it off */
    torch_backward(torch_sum(y));
    torch_print(torch_grad(x));
    /* docs:end use */

    part("use-args");
    /* docs:begin use-args */
    /* R: x2 <- torch_tensor(c(-1, 0.5, 2, -3), requires_grad = TRUE)
     *    my_leaky_relu(x2, negative_slope = 0.1)$sum()$backward(); x2$grad */
    Tensor *x2 = torch_requires_grad_(torch_tensor(SHAPE(4), (float[]){-1, 0.5f, 2, -3}), true);
    Tensor *y2 =
        autograd_function_apply(&my_leaky_relu, &x2, 1, &(LeakyReluArgs){.negative_slope = 0.1f});
    torch_backward(torch_sum(y2));
    torch_print(torch_grad(x2));
    /* docs:end use-args */

    part("gradcheck");
    /* docs:begin gradcheck */
    /* backward against finite differences, at inputs away from the kink at 0: eps 1e-3,
     * tolerances atol 1e-3 and rtol 1e-3 */
    Tensor *x3 = torch_requires_grad_(torch_tensor(SHAPE(4), (float[]){-1, 0.5f, 2, -3}), true);
    char report[256];
    const AutogradFunction *candidates[] = {&my_leaky_relu, &wrong_leaky_relu};
    for (int k = 0; k < 2; k++) {
        bool ok = torch_gradcheck(apply_function, &x3, 1, (void *)candidates[k], 1e-3, 1e-3, 1e-3,
                                  report, sizeof report);
        printf("%s: %s%s\n", candidates[k]->name, ok ? "passes" : "fails: ", report);
    }
    /* docs:end gradcheck */

    torch_scope_end();
    return 0;
}

/*
 * autograd.h: chapter 2, automatic differentiation.
 *
 * Ask a tensor for gradients, compute with the ordinary tensor functions, call
 * torch_backward on the scalar result, and every leaf that asked has its gradient:
 *
 *     Tensor *w = torch_requires_grad_(torch_randn(SHAPE(3, 1)), true);
 *     Tensor *loss = torch_sum(torch_pow(torch_sub(torch_mm(x, w), y), 2));
 *     torch_backward(loss);                  // R: loss$backward()
 *     torch_print(torch_grad(w));            // R: w$grad
 *
 * How it works, in three files: graph.c records one node per operation while any input
 * requires grad (the kernel reports each op through common/autograd_hook.h); backward.c
 * sorts the nodes topologically, checks them, and walks them once in reverse; derivatives.c
 * holds each op's backward formula. Gradients accumulate (+=) into a leaf's grad until zeroed.
 */
#ifndef CTORCH_AUTOGRAD_H
#define CTORCH_AUTOGRAD_H

#include "tensor.h"

/* ---- asking for gradients ------------------------------------------------------------- */

/* R: x$requires_grad_(TRUE), or requires_grad = TRUE at creation. Returns t. Only float
 * leaves can require grad. */
Tensor *torch_requires_grad_(Tensor *t, bool requires_grad);
bool torch_requires_grad(const Tensor *t); /* R: x$requires_grad */
bool torch_is_leaf(const Tensor *t);       /* R: x$is_leaf */

/* ---- backward ------------------------------------------------------------------------- */

/* R: loss$backward(). loss must hold one element. Accumulates into every leaf's grad and
 * frees the graph's saved values (a second backward through it is an error). */
void torch_backward(Tensor *t);
/* R: y$backward(gradient = g, retain_graph = TRUE). gradient may be NULL for a scalar t. */
void torch_backward_with(Tensor *t, Tensor *gradient, bool retain_graph);

/* R: x$grad. NULL while undefined (before the first backward, or for a non-leaf that did
 * not call torch_retain_grad). The gradient belongs to x; do not free it. */
Tensor *torch_grad(Tensor *t);
/* R: y$retain_grad(): keep the gradient of a non-leaf after backward. Returns t. */
Tensor *torch_retain_grad(Tensor *t);
/* R: x$detach(): the same values, cut from the graph (shares storage). */
Tensor *torch_detach(Tensor *t);

/* ---- no-grad scopes ------------------------------------------------------------------- */

/* R: with_no_grad({ ... }). Operations inside are not recorded, and in-place changes of
 * leaves that require grad are allowed (that is how weights are updated). */
void torch_no_grad_begin(void);
void torch_no_grad_end(void);
bool torch_is_grad_enabled(void);
#define with_no_grad(...)                                                                  \
    do {                                                                                   \
        torch_no_grad_begin();                                                             \
        __VA_ARGS__;                                                                       \
        torch_no_grad_end();                                                               \
    } while (0)

/* ---- looking at the graph ------------------------------------------------------------- */

typedef struct GradFn GradFn;
/* R: y$grad_fn. NULL for leaves and for tensors that do not require grad. */
GradFn *torch_grad_fn(Tensor *t);
/* libtorch's node name: "MmBackward0", "AddBackward0", "torch::autograd::AccumulateGrad". */
const char *grad_fn_name(const GradFn *fn);
/* R: y$grad_fn$next_functions: one entry per input; NULL where the input needs no grad. */
int grad_fn_num_next(const GradFn *fn);
GradFn *grad_fn_next(const GradFn *fn, int i);
/* The Graphviz picture of t's graph (dot -Tpng graph.dot -o graph.png). */
void torch_autograd_dot(FILE *f, Tensor *t);

/* ---- custom functions (R: autograd_function(forward = ..., backward = ...)) ------------ */

/*
 * A forward and its hand-written backward, recorded as one node (chapter 2, section 9). The
 * forward runs with recording off and saves in ctx what the backward needs. Arguments other
 * than tensors (R: forward = function(ctx, input, negative_slope)) are one struct of the
 * function's own: the caller passes a pointer to it, the node keeps a copy (args_size bytes,
 * so the struct may be a temporary), and forward and backward both read it as ctx->args:
 *
 *     typedef struct LeakyReluArgs { float negative_slope; } LeakyReluArgs;
 *     static const AutogradFunction my_leaky_relu = {.name = "MyLeakyReluBackward",
 *         .forward = ..., .backward = ..., .args_size = sizeof(LeakyReluArgs)};
 *     Tensor *y = autograd_function_apply(&my_leaky_relu, &x, 1, &(LeakyReluArgs){0.1f});
 *     ... and in forward and backward: const LeakyReluArgs *args = ctx->args;
 */

#define AUTOGRAD_MAX_SAVED 8
typedef struct AutogradContext {
    Tensor *saved[AUTOGRAD_MAX_SAVED]; /* R: ctx$saved_variables */
    int n_saved;
    const void *args; /* the function's other arguments (its args_size bytes), or NULL */
} AutogradContext;

typedef struct AutogradFunction {
    const char *name; /* the node name shown by grad_fn, e.g. "MyReluBackward" */
    /* Runs without recording; returns the output. */
    Tensor *(*forward)(AutogradContext *ctx, Tensor **inputs, int n_inputs);
    /* Writes one gradient per input into grad_inputs (NULL for none). */
    void (*backward)(AutogradContext *ctx, Tensor *grad_output, Tensor **grad_inputs);
    size_t args_size; /* sizeof the struct its args point to; 0: it takes none */
} AutogradFunction;

/* R: my_function(x, ...). Runs fn's forward on 1 to 3 tensors with ctx->args = args (NULL
 * when fn->args_size is 0) and, if an input requires grad, records one node of `fn`, which
 * keeps a copy of *args for the backward. */
Tensor *autograd_function_apply(const AutogradFunction *fn, Tensor **inputs, int n_inputs,
                                const void *args);
/* R: ctx$save_for_backward(x). */
void autograd_save_for_backward(AutogradContext *ctx, Tensor *t);

/* R: torch_sigmoid(x), 1 / (1 + exp(-x)) elementwise: a custom function of the library
 * (sigmoid.c), one SigmoidBackward0 node. */
Tensor *torch_sigmoid(Tensor *x);

/* ---- checking gradients with finite differences --------------------------------------- */

/* A function of n tensors returning a tensor, for torch_gradcheck. */
typedef Tensor *(*GradcheckFn)(Tensor **inputs, int n_inputs, void *ctx);

/*
 * Compares backward() with central finite differences: for a fixed random weighting r of
 * f's output, L = sum(r * f(inputs)) is evaluated in double from float outputs at x +- eps
 * for every element of every input that requires grad. Returns true when every element
 * agrees within atol + rtol * |numeric|; otherwise false, with a report such as
 *   "input 1, element 7: backward gives 0.25, finite differences give 0.5 (|diff| 0.25)".
 */
bool torch_gradcheck(GradcheckFn f, Tensor **inputs, int n_inputs, void *ctx, double eps,
                     double atol, double rtol, char *report, size_t report_len);

#endif

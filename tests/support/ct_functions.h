/*
 * ct_functions.h: custom autograd functions that several test files use. Header-only (each
 * file that includes it has its own copy and its own counter); needs stage 2's autograd.h.
 *   counting  the identity, counting how often its backward runs: a backward walk must visit
 *             each node once, however many paths reach it;
 *   scale     y = x * factor, the factor an argument (ScaleArgs) copied into the node.
 */
#ifndef CT_FUNCTIONS_H
#define CT_FUNCTIONS_H

#include "autograd.h"

static int backward_calls; /* the identity's backward runs since the test set it to 0 */

static inline Tensor *ident_forward(AutogradContext *ctx, Tensor **in, int n) {
    (void)ctx;
    (void)n;
    return torch_clone(in[0]);
}

static inline void ident_backward(AutogradContext *ctx, Tensor *g, Tensor **grad_inputs) {
    (void)ctx;
    backward_calls++;
    grad_inputs[0] = g;
}

/* R: an autograd_function whose forward is the identity: autograd_function_apply(&counting,
 * (Tensor *[]){x}, 1, NULL). */
static const AutogradFunction counting = {
    .name = "CountingBackward", .forward = ident_forward, .backward = ident_backward};

/* y = x * factor: autograd_function_apply(&scale, &x, 1, &(ScaleArgs){.factor = 2}). */
typedef struct ScaleArgs {
    float factor;
} ScaleArgs;

static inline Tensor *scale_forward(AutogradContext *ctx, Tensor **in, int n) {
    (void)n;
    const ScaleArgs *args = ctx->args;
    return torch_mul_scalar(in[0], args->factor);
}

static inline void scale_backward(AutogradContext *ctx, Tensor *g, Tensor **grad_in) {
    const ScaleArgs *args = ctx->args;
    grad_in[0] = torch_mul_scalar(g, args->factor);
}

static const AutogradFunction scale = {.name = "ScaleBackward",
                                       .forward = scale_forward,
                                       .backward = scale_backward,
                                       .args_size = sizeof(ScaleArgs)};

#endif

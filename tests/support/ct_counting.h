/*
 * ct_counting.h: an identity autograd function that counts how often its backward runs, for
 * the tests that a backward walk visits each node once (a shared node reached by many paths).
 * Header-only: each test file that includes it has its own counter. Needs stage 2's autograd.h.
 */
#ifndef CT_COUNTING_H
#define CT_COUNTING_H

#include "autograd.h"

static int backward_calls; /* the identity's backward runs since the test set it to 0 */

static Tensor *ident_forward(AutogradContext *ctx, Tensor **in, int n) {
    (void)ctx;
    (void)n;
    return torch_clone(in[0]);
}

static void ident_backward(AutogradContext *ctx, Tensor *g, Tensor **grad_inputs) {
    (void)ctx;
    backward_calls++;
    grad_inputs[0] = g;
}

/* R: an autograd_function whose forward is the identity: autograd_function_apply(&counting,
 * (Tensor *[]){x}, 1, NULL). */
static const AutogradFunction counting = {
    .name = "CountingBackward", .forward = ident_forward, .backward = ident_backward};

#endif

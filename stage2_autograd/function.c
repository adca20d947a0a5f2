/*
 * function.c: custom autograd functions, as R's autograd_function().
 *
 * The forward runs with recording off (the function is one node, whatever it computes
 * inside); if an input requires grad, the output gets a node that calls the user's backward.
 */
#include "graph.h"

void autograd_save_for_backward(AutogradContext *ctx, Tensor *t) {
    tensor_check("autograd_save_for_backward", t);
    if (ctx->n_saved == AUTOGRAD_MAX_SAVED)
        torch_error("autograd_save_for_backward", "at most %d tensors can be saved",
                    AUTOGRAD_MAX_SAVED);
    ctx->saved[ctx->n_saved++] = t;
}

Tensor *autograd_function_apply(const AutogradFunction *fn, Tensor **inputs, int n_inputs) {
    if (!fn || !fn->forward || !fn->backward)
        torch_error("autograd_function_apply", "the function needs a forward and a backward");
    if (n_inputs < 1 || n_inputs > 3)
        torch_error("autograd_function_apply", "a custom function takes 1 to 3 tensors, got %d",
                    n_inputs);
    bool any = false;
    for (int i = 0; i < n_inputs; i++) {
        tensor_check("autograd_function_apply", inputs[i]);
        any |= torch_requires_grad(inputs[i]);
    }
    bool record = any && torch_is_grad_enabled();
    AutogradContext ctx = {0};
    torch_no_grad_begin();
    Tensor *out = fn->forward(&ctx, inputs, n_inputs);
    torch_no_grad_end();
    tensor_check("autograd_function_apply", out);
    for (int i = 0; i < n_inputs; i++)
        if (out == inputs[i])
            torch_error("autograd_function_apply", "forward must return a new tensor, not its "
                                                   "input (return torch_clone(x) instead)");
    if (!record) return out;
    /* not a kernel op: derivative_apply calls fn->backward */
    TorchOp op = {.kind = TORCH_OP_COUNT, .n_in = n_inputs};
    for (int i = 0; i < n_inputs; i++) op.in[i] = inputs[i];
    GradFn *node = grad_fn_new(fn->name, &op);
    node->custom = fn;
    node->ctx = ctx;
    autograd_set_grad_fn(out, node);
    return out;
}

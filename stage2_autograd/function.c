/*
 * function.c: custom autograd functions, as R's autograd_function().
 *
 * The forward runs with recording off (the function is one node, whatever it computes
 * inside); if an input requires grad, the output gets a node of kind TORCH_OP_CUSTOM that
 * calls the user's backward (derivatives.c), with the function's saved tensors and its own
 * copy of the arguments.
 */
#include "graph.h"

#include <stdlib.h>
#include <string.h>

void autograd_save_for_backward(AutogradContext *ctx, Tensor *t) {
    tensor_check("autograd_save_for_backward", t);
    if (ctx->n_saved == AUTOGRAD_MAX_SAVED)
        torch_error("autograd_save_for_backward", "at most %d tensors can be saved",
                    AUTOGRAD_MAX_SAVED);
    ctx->saved[ctx->n_saved++] = t;
}

/* fn, its inputs and its args, before anything runs. */
static void check_function(const AutogradFunction *fn, Tensor **inputs, int n_inputs,
                           const void *args) {
    const char *op = "autograd_function_apply";
    if (!fn || !fn->forward || !fn->backward)
        torch_error(op, "the function needs a forward and a backward");
    if (n_inputs < 1 || n_inputs > 3)
        torch_error(op, "a custom function takes 1 to 3 tensors, got %d", n_inputs);
    for (int i = 0; i < n_inputs; i++) tensor_check(op, inputs[i]);
    if (fn->args_size > 0 && !args)
        torch_error(op, "%s takes arguments (args_size %zu) but args is NULL", fn->name,
                    fn->args_size);
    if (fn->args_size == 0 && args)
        torch_error(op, "%s takes no arguments (args_size 0) but was given args: set its "
                        "args_size to the size of their struct",
                    fn->name);
}

/* A copy of the args that lives as long as the node (grad_fn_free frees it). */
static const void *args_copy(const AutogradFunction *fn, const void *args) {
    if (fn->args_size == 0) return NULL;
    void *copy = malloc(fn->args_size);
    if (!copy) torch_error("autograd_function_apply", "out of memory");
    return memcpy(copy, args, fn->args_size);
}

Tensor *autograd_function_apply(const AutogradFunction *fn, Tensor **inputs, int n_inputs,
                                const void *args) {
    check_function(fn, inputs, n_inputs, args);
    bool any = false;
    for (int i = 0; i < n_inputs; i++) any |= torch_requires_grad(inputs[i]);
    bool record = any && torch_is_grad_enabled();
    AutogradContext ctx = {.args = args}; /* the caller's args, for the forward */
    torch_no_grad_begin();
    Tensor *out = fn->forward(&ctx, inputs, n_inputs);
    torch_no_grad_end();
    tensor_check("autograd_function_apply", out);
    for (int i = 0; i < n_inputs; i++)
        if (out == inputs[i])
            torch_error("autograd_function_apply", "forward must return a new tensor, not its "
                                                   "input (return torch_clone(x) instead)");
    if (!record) return out;
    TorchOp op = {.kind = TORCH_OP_CUSTOM, .n_in = n_inputs};
    for (int i = 0; i < n_inputs; i++) op.in[i] = inputs[i];
    ctx.args = args_copy(fn, args); /* the backward's: the caller's may be gone by then */
    GradFn *node = grad_fn_new(fn->name, &op);
    node->custom = fn;
    node->ctx = ctx;
    autograd_set_grad_fn(out, node);
    return out;
}

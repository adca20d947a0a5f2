/*
 * cases_stage2.c: misuse of autograd (chapter 2), one function per case; the table at the
 * end pairs each with its exact message.
 */
#include "misuse.h"
#include "ct_functions.h"

#define SECOND_BACKWARD                                                                        \
    "torch_backward: Trying to backward through the graph a second time (or directly access "  \
    "saved tensors after they have already been freed). Saved intermediate values of the "     \
    "graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True " \
    "if you need to backward through the graph a second time or if you need to access saved "  \
    "tensors after calling backward."
#define MODIFIED                                                                               \
    "torch_backward: one of the variables needed for gradient computation has been modified "  \
    "by an inplace operation: "
#define HINT                                                                                   \
    " Hint: enable anomaly detection to find the operation that failed to compute its "        \
    "gradient, with torch.autograd.set_detect_anomaly(True)."
#define RELEASED                                                                               \
    "a tensor was used after it was released (its scope ended or it was freed); keep it with " \
    "torch_keep() to use it longer"
#define LEAF_INPLACE "a leaf Variable that requires grad is being used in an in-place operation."

/* w = [[1, 2, 3], [4, 5, 6]] that requires grad, as the chapter's weights do. */
static Tensor *weight(void) {
    return torch_requires_grad_(torch_tensor(SHAPE(2, 3), (float[]){1, 2, 3, 4, 5, 6}), true);
}

/* ---- backward --------------------------------------------------------------------------- */

/* the loss was not reduced: (y_pred - y)^2 is still (2, 3) */
static void backward_of_non_scalar(void) {
    Tensor *w = weight();
    Tensor *loss = torch_pow(torch_sub_scalar(w, 1), 2);
    misuse_watch(NULL);
    torch_backward(loss);
}
/* no weight asked for gradients */
static void backward_without_grad(void) {
    Tensor *loss = torch_sum(torch_ones(SHAPE(2)));
    misuse_watch(NULL);
    torch_backward(loss);
}
static void backward_gradient_shape(void) {
    Tensor *y = torch_mul_scalar(weight(), 2);
    torch_backward_with(y, torch_ones(SHAPE(3)), false);
}
static void backward_of_null(void) { torch_backward(NULL); }
static void grad_of_null(void) { torch_grad(NULL); }
static void sigmoid_of_null(void) { torch_sigmoid(NULL); }
/* the loss of an epoch, used after the epoch's scope ended */
static void backward_after_scope(void) {
    Tensor *w = torch_keep(weight());
    torch_scope_begin();
    Tensor *loss = torch_sum(torch_mul(w, w));
    torch_scope_end();
    torch_free(w);
    torch_backward(loss);
}
static void second_backward(void) {
    Tensor *w = weight();
    Tensor *loss = torch_sum(torch_pow(w, 2));
    torch_backward(loss);
    misuse_watch(torch_grad(w));
    torch_backward(loss); /* pow saved w, and the first backward freed it */
}
/* b is saved by c = b * b, then changed before backward */
static void saved_tensor_modified(void) {
    Tensor *a = weight();
    Tensor *b = torch_mul_scalar(a, 1);
    Tensor *c = torch_mul(b, b);
    with_no_grad(torch_add_(b, torch_ones(SHAPE(2, 3))));
    misuse_watch(NULL);
    torch_backward(torch_sum(c));
}
/* max's indices say where the gradient goes: changed, they would write out of bounds */
static void saved_indices_modified(void) {
    Tensor *x = weight(), *indices;
    Tensor *values = torch_max_dim(x, 0, false, &indices);
    torch_fill_(indices, 100);
    torch_backward(torch_sum(values));
}
static void saved_indices_freed(void) {
    Tensor *x = weight(), *indices;
    Tensor *values = torch_max_dim(x, 0, false, &indices);
    torch_free(indices);
    torch_backward(torch_sum(values));
}
static void saved_mask_modified(void) {
    Tensor *x = weight();
    Tensor *mask = torch_gt_scalar(torch_ones(SHAPE(2, 3)), 0);
    Tensor *y = torch_masked_fill(x, mask, 0);
    torch_fill_(mask, 0);
    torch_backward(torch_sum(y));
}
/* an input of the graph released before backward */
static void graph_input_freed(void) {
    Tensor *x = torch_keep(torch_ones(SHAPE(4, 2)));
    Tensor *loss = torch_sum(torch_mm(x, weight()));
    torch_free(x);
    torch_backward(loss);
}

/* ---- in-place changes ------------------------------------------------------------------ */

/* the update outside with_no_grad */
static void update_outside_no_grad(void) {
    Tensor *w = weight();
    Tensor *step = torch_mul_scalar(torch_ones(SHAPE(2, 3)), 0.5f);
    misuse_watch(w);
    torch_sub_(w, step);
}
static void zero_leaf(void) {
    Tensor *w = weight();
    misuse_watch(w);
    torch_zero_(w);
}
static void fill_view_of_leaf(void) {
    Tensor *w = weight();
    misuse_watch(w);
    torch_fill_(torch_select(torch_t(w), 0, 1), 0);
}
static void inplace_on_graph_tensor(void) {
    Tensor *h = torch_mul_scalar(weight(), 2);
    misuse_watch(h);
    torch_mul_scalar_(h, 3);
}
static void inplace_with_grad_operand(void) {
    Tensor *acc = torch_zeros(SHAPE(2, 3)), *w = weight();
    misuse_watch(acc);
    torch_add_(acc, w);
}

/* ---- requires_grad, retain_grad, no-grad ----------------------------------------------- */

static void requires_grad_of_non_leaf(void) {
    Tensor *y = torch_mul(weight(), weight());
    misuse_watch(NULL);
    torch_requires_grad_(y, false);
}
static void requires_grad_of_long(void) {
    torch_requires_grad_(torch_tensor_i64(SHAPE(2), (int64_t[]){1, 2}), true);
}
static void retain_grad_without_grad(void) { torch_retain_grad(torch_ones(SHAPE(2))); }
static void no_grad_end_without_begin(void) {
    misuse_watch(NULL);
    torch_no_grad_end();
}

/* ---- custom functions -------------------------------------------------------------------- */

static Tensor *double_forward(AutogradContext *ctx, Tensor **in, int n) {
    (void)ctx;
    (void)n;
    return torch_mul_scalar(in[0], 2);
}
static Tensor *identity_forward(AutogradContext *ctx, Tensor **in, int n) {
    (void)ctx;
    (void)n;
    return in[0];
}
/* a wrong backward: one number where a gradient per element is due */
static void summed_backward(AutogradContext *ctx, Tensor *g, Tensor **grad_in) {
    (void)ctx;
    grad_in[0] = torch_sum(g);
}
static void double_backward(AutogradContext *ctx, Tensor *g, Tensor **grad_in) {
    (void)ctx;
    grad_in[0] = torch_mul_scalar(g, 2);
}
static const AutogradFunction no_backward = {.name = "NoBackward", .forward = double_forward};
static const AutogradFunction returns_input = {
    .name = "SameBackward", .forward = identity_forward, .backward = double_backward};
static const AutogradFunction bad_shape = {
    .name = "BadShapeBackward", .forward = double_forward, .backward = summed_backward};
static const AutogradFunction doubled = {
    .name = "DoubleBackward", .forward = double_forward, .backward = double_backward};

static void function_without_backward(void) {
    Tensor *w = weight();
    autograd_function_apply(&no_backward, &w, 1, NULL);
}
static void function_returns_its_input(void) {
    Tensor *w = weight();
    autograd_function_apply(&returns_input, &w, 1, NULL);
}
/* its args forgotten: the forward would read NULL */
static void function_args_missing(void) {
    Tensor *w = weight();
    misuse_watch(NULL);
    autograd_function_apply(&scale, &w, 1, NULL);
}
/* args for a function whose args_size was left 0: the node could not keep them */
static void function_args_unexpected(void) {
    Tensor *w = weight();
    misuse_watch(NULL);
    autograd_function_apply(&doubled, &w, 1, &(ScaleArgs){.factor = 2});
}
static void function_gradient_shape(void) {
    Tensor *w = weight();
    Tensor *y = autograd_function_apply(&bad_shape, &w, 1, NULL);
    Tensor *loss = torch_sum(torch_mul(y, y));
    misuse_watch(NULL); /* the failed walk must close its scope and its no-grad */
    torch_backward(loss);
}

const MisuseCase misuse_stage2[] = {
    /* backward */
    {"backward_of_non_scalar",
     "torch_backward: grad can be implicitly created only for scalar outputs",
     backward_of_non_scalar, true},
    {"backward_without_grad",
     "torch_backward: element 0 of tensors does not require grad and does not have a grad_fn",
     backward_without_grad, true},
    {"backward_gradient_shape",
     "torch_backward: Mismatch in shape: grad_output[0] has a shape of [3] and output[0] has "
     "a shape of [2, 3].",
     backward_gradient_shape, false},
    {"backward_of_null", "torch_backward: expected a Tensor but got NULL", backward_of_null,
     false},
    {"grad_of_null", "torch_grad: expected a Tensor but got NULL", grad_of_null, false},
    {"sigmoid_of_null", "torch_sigmoid: expected a Tensor but got NULL", sigmoid_of_null, false},
    {"backward_after_scope", "torch_backward: " RELEASED, backward_after_scope, false},
    {"second_backward", SECOND_BACKWARD, second_backward, true},
    {"saved_tensor_modified",
     MODIFIED "[CPUFloatType [2, 3]], which is output 0 of MulBackward1, is at version 1; "
              "expected version 0 instead." HINT,
     saved_tensor_modified, true},
    {"saved_indices_modified",
     MODIFIED "[CPULongType [3]] is at version 1; expected version 0 instead." HINT,
     saved_indices_modified, false},
    {"saved_indices_freed", "torch_backward: " RELEASED, saved_indices_freed, false},
    {"saved_mask_modified",
     MODIFIED "[CPUBoolType [2, 3]] is at version 1; expected version 0 instead." HINT,
     saved_mask_modified, false},
    {"graph_input_freed", "torch_backward: " RELEASED, graph_input_freed, false},
    /* in-place changes */
    {"update_outside_no_grad", "torch_sub_: " LEAF_INPLACE, update_outside_no_grad, true},
    {"zero_leaf", "torch_zero_: " LEAF_INPLACE, zero_leaf, false},
    {"fill_view_of_leaf",
     "torch_fill_: a view of a leaf Variable that requires grad is being used in an in-place "
     "operation.",
     fill_view_of_leaf, false},
    {"inplace_on_graph_tensor",
     "torch_mul_scalar_: an in-place operation on a tensor that requires grad (here the output "
     "of MulBackward1) is not recorded by autograd; use the out-of-place function, or "
     "with_no_grad() if no gradient should flow through it",
     inplace_on_graph_tensor, false},
    {"inplace_with_grad_operand",
     "torch_add_: an in-place operation whose operand requires grad is not recorded by "
     "autograd; use the out-of-place function (e.g. torch_add), or with_no_grad() if no "
     "gradient should flow through it",
     inplace_with_grad_operand, false},
    /* requires_grad, retain_grad, no-grad */
    {"requires_grad_of_non_leaf",
     "torch_requires_grad_: you can only change requires_grad flags of leaf variables. If you "
     "want to use a computed variable in a subgraph that doesn't require differentiation use "
     "var_no_grad = var.detach().",
     requires_grad_of_non_leaf, false},
    {"requires_grad_of_long",
     "torch_requires_grad_: Only Tensors of floating point and complex dtype can require "
     "gradients",
     requires_grad_of_long, false},
    {"retain_grad_without_grad",
     "torch_retain_grad: can't retain_grad on Tensor that has requires_grad=False",
     retain_grad_without_grad, false},
    {"no_grad_end_without_begin", "torch_no_grad_end: no with_no_grad scope is open",
     no_grad_end_without_begin, true},
    /* custom functions */
    {"function_without_backward",
     "autograd_function_apply: the function needs a forward and a backward",
     function_without_backward, false},
    {"function_returns_its_input",
     "autograd_function_apply: forward must return a new tensor, not its input (return "
     "torch_clone(x) instead)",
     function_returns_its_input, false},
    {"function_args_missing",
     "autograd_function_apply: ScaleBackward takes arguments (args_size 4) but args is NULL",
     function_args_missing, false},
    {"function_args_unexpected",
     "autograd_function_apply: DoubleBackward takes no arguments (args_size 0) but was given "
     "args: set its args_size to the size of their struct",
     function_args_unexpected, false},
    {"function_gradient_shape",
     "torch_backward: Function BadShapeBackward returned an invalid gradient at index 0 - got "
     "[] but expected shape compatible with [2, 3]",
     function_gradient_shape, false},
    {NULL, NULL, NULL, false},
};

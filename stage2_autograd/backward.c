/*
 * backward.c: one call, every gradient.
 *
 *   1. Sort the graph under the root topologically (a node comes after every node that
 *      uses its output), checking on the way that its saved values are still there.
 *   2. Walk that order in reverse: each node turns the gradient of its output into
 *      gradients of its inputs (derivatives.c), which are summed (+=) into the input's
 *      pending gradient, or, for a leaf, into its grad.
 * The walk runs in its own scope with grad mode off, so its temporaries vanish at the end
 * and nothing it computes is recorded.
 */
#include "graph.h"

#include <stdlib.h>
#include <string.h>

static uint64_t walk_id;

/* The walk's order, kept on the C stack of the backward that sorts (in `local`) unless the
 * graph is larger: a backward then allocates nothing, an error in the sort leaves nothing to
 * free, and a backward started from inside another (a custom function's backward) has its own.
 * Past cap, items are counted but not stored. */
#define LIST_LOCAL 128
typedef struct TensorList {
    Tensor **items; /* local, or a malloc'd array of a larger graph's size */
    int count, cap;
    bool check; /* check each node as it is listed */
    Tensor *local[LIST_LOCAL];
} TensorList;

/* An empty list whose sort checks each node. (Set field by field: `local` needs no clearing.) */
static void list_init(TensorList *l) {
    l->items = l->local;
    l->count = 0;
    l->cap = LIST_LOCAL;
    l->check = true;
}

static void list_push(TensorList *l, Tensor *t) {
    if (l->count < l->cap) l->items[l->count] = t;
    l->count++;
}

static void list_free(TensorList *l) {
    if (l->items != l->local) free(l->items);
}

/* libtorch's error for a tensor the backward reads that was changed in place after the forward
 * recorded it (every in-place op bumps its storage's version). */
static void check_version(Tensor *t, uint32_t recorded) {
    if (t->storage->version == recorded) return;
    char shape[96], producer[160] = "";
    const GradFn *fn = t->autograd ? t->autograd->grad_fn : NULL;
    if (fn) snprintf(producer, sizeof producer, ", which is output 0 of %s,", fn->name);
    torch_error("torch_backward",
                "one of the variables needed for gradient computation has been modified by an "
                "inplace operation: [CPU%sType %s]%s is at version %u; expected version %u "
                "instead. Hint: enable anomaly detection to find the operation that failed to "
                "compute its gradient, with torch.autograd.set_detect_anomaly(True).",
                dtype_name(t->dtype), shape_str(t->shape, shape, sizeof shape), producer,
                t->storage->version, recorded);
}

/* Stops before anything changes if the node cannot run backward (again). */
static void check_node(const GradFn *node) {
    if (node->released && (node->custom || derivative_needs_saved(&node->op)))
        torch_error("torch_backward",
                    "Trying to backward through the graph a second time (or directly access "
                    "saved tensors after they have already been freed). Saved intermediate "
                    "values of the graph are freed when you call .backward() or "
                    "autograd.grad(). Specify retain_graph=True if you need to backward "
                    "through the graph a second time or if you need to access saved tensors "
                    "after calling backward.");
    for (int i = 0; i < node->op.n_in; i++) tensor_check("torch_backward", node->op.in[i]);
    for (int i = 0; i < node->ctx.n_saved; i++) /* a custom function's saved tensors */
        tensor_check("torch_backward", node->ctx.saved[i]);
    if (node->op.extra) { /* the mask, condition or indices every such backward reads */
        tensor_check("torch_backward", node->op.extra);
        check_version(node->op.extra, node->extra_version);
    }
    /* A changed tensor the backward reads is an error. Whether it reads one is asked only of
     * the changed ones, which are rare: each input (i >= 0) and the output (i = -1). */
    for (int i = -1; i < node->op.n_in; i++) {
        Tensor *t = i < 0 ? node->op.out : node->op.in[i];
        uint32_t recorded = i < 0 ? node->out_version : node->saved_version[i];
        if (t->storage->version != recorded && derivative_reads(&node->op, i))
            check_version(t, recorded);
    }
}

/* Depth first: a tensor goes into `order` after every tensor its node reads, so walking
 * `order` backwards visits each node after all the nodes that use its output. Only tensors
 * with a grad_fn are listed; leaves are reached through their consumers. With order->check,
 * each node is checked before anything changes (check_node). */
static void topological_sort(Tensor *t, TensorList *order) {
    GradFn *node = t->autograd->grad_fn;
    if (order->check) check_node(node);
    /* BEGIN EXERCISE 2.1: the backward walk (topological order) */
    t->autograd->visit = walk_id;
    for (int i = 0; i < node->op.n_in; i++) {
        Tensor *in = node->op.in[i];
        if (in->autograd && in->autograd->grad_fn && in->autograd->visit != walk_id)
            topological_sort(in, order);
    }
    /* END EXERCISE 2.1 */
    list_push(order, t);
}

/* grad += g for a leaf (its grad outlives the walk), pending += g otherwise. */
static void accumulate(Tensor *input, Tensor *g) {
    /* BEGIN EXERCISE 2.1: the backward walk (accumulating gradients) */
    struct AutogradMeta *m = input->autograd;
    if (!m->grad_fn) {
        if (!m->requires_grad) return;
        if (m->grad) torch_add_(m->grad, g);
        else m->grad = torch_keep(torch_clone(g));
        return;
    }
    m->pending = m->pending ? torch_add(m->pending, g) : g;
    /* END EXERCISE 2.1 */
}

/* A node returned a gradient whose shape is not its input's (a custom backward can): undoes
 * the walk's state (pending gradients, no-grad, its scope), then raises libtorch's error. */
static _Noreturn void invalid_gradient(TensorList *order, const GradFn *node, int i,
                                       const Tensor *grad) {
    char message[400], got[96], want[96];
    snprintf(message, sizeof message,
             "Function %s returned an invalid gradient at index %d - got %s but expected shape "
             "compatible with %s",
             node->name, i, shape_str(grad->shape, got, sizeof got),
             shape_str(node->op.in[i]->shape, want, sizeof want));
    for (int k = 0; k < order->count; k++) order->items[k]->autograd->pending = NULL;
    list_free(order);
    torch_no_grad_end();
    torch_scope_end();
    torch_error("torch_backward", "%s", message);
}

/* The gradient the walk starts from: ones for a one-element root, otherwise the given one,
 * converted to float32 as libtorch casts it to the root's dtype. Made inside the walk's scope. */
static Tensor *seed(Tensor *root, Tensor *gradient) {
    if (!gradient) return torch_ones_like(root);
    return gradient->dtype == TORCH_FLOAT32 ? gradient : torch_to_dtype(gradient, TORCH_FLOAT32);
}

void torch_backward_with(Tensor *root, Tensor *gradient, bool retain_graph) {
    tensor_check("torch_backward", root);
    if (!torch_requires_grad(root))
        torch_error("torch_backward", "element 0 of tensors does not require grad and does not "
                                      "have a grad_fn");
    if (gradient == NULL && torch_numel(root) != 1)
        torch_error("torch_backward", "grad can be implicitly created only for scalar outputs");
    if (gradient) {
        tensor_check("torch_backward", gradient);
        if (!shape_equal(gradient->shape, root->shape)) {
            char a[96], b[96];
            torch_error("torch_backward", "invalid gradient at index 0 - got %s but expected "
                                          "shape compatible with %s",
                        shape_str(gradient->shape, a, sizeof a),
                        shape_str(root->shape, b, sizeof b));
        }
    }
    if (!root->autograd->grad_fn) { /* backward on a leaf: its gradient is the seed */
        /* in a scope, as the walk below, so that the seed made here is released */
        torch_scope_begin();
        torch_no_grad_begin();
        accumulate(root, seed(root, gradient));
        torch_no_grad_end();
        torch_scope_end();
        return;
    }

    TensorList order;
    list_init(&order);
    walk_id++;
    topological_sort(root, &order); /* may raise an error; nothing has changed yet */
    torch_scope_begin(); /* may raise an error too (64 scopes open); nothing allocated yet */
    torch_no_grad_begin();
    if (order.count > order.cap) { /* a larger graph: sorted again, into an array of its size */
        order.items = malloc(sizeof(Tensor *) * (size_t)order.count);
        if (!order.items) torch_error("torch_backward", "out of memory");
        order.cap = order.count;
        order.count = 0;
        order.check = false; /* done */
        walk_id++;
        topological_sort(root, &order);
    }
    root->autograd->pending = seed(root, gradient);
    for (int k = order.count - 1; k >= 0; k--) {
        Tensor *t = order.items[k];
        struct AutogradMeta *m = t->autograd;
        GradFn *node = m->grad_fn;
        Tensor *g = m->pending;
        m->pending = NULL;
        if (!g) continue; /* no path from the root reaches this tensor */
        if (m->retains_grad) {
            if (m->grad) torch_add_(m->grad, g);
            else m->grad = torch_keep(torch_clone(g));
        }
        Tensor *grad_inputs[3] = {NULL, NULL, NULL};
        derivative_apply(node, g, grad_inputs);
        for (int i = 0; i < node->op.n_in; i++) {
            Tensor *in = node->op.in[i];
            if (!grad_inputs[i]) continue;
            tensor_check("torch_requires_grad", in); /* torch_requires_grad(in), inline */
            if (!requires_grad_unchecked(in)) continue;
            if (!shape_equal_p(&grad_inputs[i]->shape, &in->shape))
                invalid_gradient(&order, node, i, grad_inputs[i]);
            accumulate(in, grad_inputs[i]);
        }
        if (!retain_graph) node->released = true;
    }
    torch_no_grad_end();
    torch_scope_end();
    list_free(&order);
}

void torch_backward(Tensor *t) { torch_backward_with(t, NULL, false); }

/*
 * backward.c: one call, every gradient.
 *
 *   1. Sort the graph under the root topologically: a node comes after every node that uses
 *      its output.
 *   2. Check every node: the values its backward reads are still there, unchanged. This comes
 *      before any gradient is computed, so a bad graph stops the backward at once.
 *   3. Walk the order in reverse: each node turns the gradient of its output into gradients
 *      of its inputs (derivatives.c), which are summed (+=) into the input's pending
 *      gradient, or, for a leaf, into its grad.
 * The walk runs in its own scope with grad mode off, so its temporaries vanish at the end
 * and nothing it computes is recorded.
 *
 * After the checks, the built-in formulas cannot fail on the checked values. A custom
 * function's backward is the user's code, though, and may stop with an error half-way through
 * the walk. So that such a backward leaves every grad as it was (error.h), the walk copies a
 * grad before it writes it while a custom function's backward is still to run, and an error
 * undoes the walk (walk_undo) with those copies. Once the last custom backward has run,
 * nothing can fail any more and nothing is copied: a walk through built-in functions only,
 * or one whose only custom function is the loss at its root (nnf_mse_loss), copies nothing.
 */
#include "graph.h"

#include <stdlib.h>

static uint64_t walk_id; /* the sort in progress: a tensor whose visit is walk_id is sorted */

typedef struct TensorList {
    Tensor **items;
    int count, cap;
} TensorList;

/* One backward walk. Each backward has its own (a custom function's backward may run a
 * backward of its own). */
typedef struct Walk {
    TorchUndo undo;    /* first: walk_undo finds the Walk from it */
    uint64_t id;       /* walk_id when it began (visit id: sorted; id + 1: grad copied) */
    TensorList order;  /* the tensors with a grad_fn, in topological order */
    int customs_ahead; /* custom functions whose backward has not run yet */
    TensorList graded; /* the tensors whose grad it wrote, with a copy, while customs_ahead */
} Walk;

/* The walk's errors: error.c runs walk_undo on the way out, and ends the no-grad mode and
 * the scope backward_walk began. */
static _Noreturn void walk_error(const char *message) {
    torch_error("torch_backward", "%s", message);
}

static void list_push(TensorList *l, Tensor *t) {
    if (l->count == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        Tensor **grown = realloc(l->items, sizeof(Tensor *) * (size_t)l->cap);
        if (!grown) walk_error("out of memory");
        l->items = grown;
    }
    l->items[l->count++] = t;
}

static void walk_free(Walk *walk) {
    free(walk->order.items);
    free(walk->graded.items);
}

/* Undoes a walk that stopped on an error: forgets its pending gradients, and puts back each
 * grad it copied (a grad it made is freed). */
static void walk_undo(TorchUndo *undo) {
    Walk *walk = (Walk *)undo;
    for (int k = 0; k < walk->order.count; k++) walk->order.items[k]->autograd->pending = NULL;
    for (int k = 0; k < walk->graded.count; k++) {
        struct AutogradMeta *m = walk->graded.items[k]->autograd;
        if (m->grad_before) { /* the same tensor as before (accumulate adds in place) */
            tensor_copy_elements(m->grad, m->grad_before);
            torch_free(m->grad_before);
            m->grad_before = NULL;
        } else if (m->grad) {
            torch_free(m->grad);
            m->grad = NULL;
        }
    }
    walk_free(walk);
}

/* ---- 1. the order ------------------------------------------------------------------------ */

/* Depth first: a tensor goes into `order` after every tensor its node reads, so walking
 * `order` backwards visits each node after all the nodes that use its output. Only tensors
 * with a grad_fn are listed; leaves are reached through their consumers. */
static void topological_sort(Tensor *t, TensorList *order) {
    GradFn *node = t->autograd->grad_fn;
    /* BEGIN EXERCISE 2.5: the backward walk (topological order) */
    t->autograd->visit = walk_id;
    for (int i = 0; i < node->op.n_in; i++) {
        Tensor *in = node->op.in[i];
        if (in->autograd && in->autograd->grad_fn && in->autograd->visit != walk_id)
            topological_sort(in, order);
    }
    /* END EXERCISE 2.5 */
    list_push(order, t);
}

/* ---- 2. the checks ----------------------------------------------------------------------- */

/* A tensor the node reads must be alive (not released since the forward recorded it). */
static void check_alive(const Tensor *t) { tensor_check("torch_backward", t); }

/* libtorch's error for a tensor the backward reads that was changed in place after the forward
 * recorded it (every in-place op bumps its storage's version). */
static void check_version(Tensor *t, uint32_t recorded) {
    if (t->storage->version == recorded) return;
    char message[800], shape[96], producer[160] = "";
    const GradFn *fn = t->autograd ? t->autograd->grad_fn : NULL;
    if (fn) snprintf(producer, sizeof producer, ", which is output 0 of %s,", fn->name);
    snprintf(message, sizeof message,
             "one of the variables needed for gradient computation has been modified by an "
             "inplace operation: [CPU%sType %s]%s is at version %u; expected version %u "
             "instead. Hint: enable anomaly detection to find the operation that failed to "
             "compute its gradient, with torch.autograd.set_detect_anomaly(True).",
             dtype_name(t->dtype), shape_str(t->shape, shape, sizeof shape), producer,
             t->storage->version, recorded);
    walk_error(message);
}

/* Stops with libtorch's error unless node can run its backward (again): the values it reads
 * are there and unchanged. */
static void check_node(const GradFn *node) {
    if (node->released && derivative_needs_saved(&node->op))
        walk_error("Trying to backward through the graph a second time (or directly "
                          "access saved tensors after they have already been freed). Saved "
                          "intermediate values of the graph are freed when you call "
                          ".backward() or autograd.grad(). Specify retain_graph=True if you "
                          "need to backward through the graph a second time or if you need "
                          "to access saved tensors after calling backward.");
    for (int i = 0; i < node->op.n_in; i++) check_alive(node->op.in[i]);
    for (int i = 0; i < node->ctx.n_saved; i++) /* a custom function's saved tensors */
        check_alive(node->ctx.saved[i]);
    if (node->op.extra) { /* the mask, condition or indices every such backward reads */
        check_alive(node->op.extra);
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

/* Whether t was made by a custom function (autograd_function_apply): its backward is the
 * user's code, the only one that can fail once the walk has begun. */
static bool is_custom(const Tensor *t) { return t->autograd->grad_fn->op.kind == TORCH_OP_CUSTOM; }

/* Before the walk writes t's grad (a leaf's, or a tensor's that retains its grad): a copy of
 * it (if any) for walk_undo, once per walk, while a custom backward, which may fail, is still
 * to run. */
static void grad_copy(Walk *walk, Tensor *t) {
    struct AutogradMeta *m = t->autograd;
    if (walk->customs_ahead == 0 || m->visit == walk->id + 1) return;
    m->visit = walk->id + 1; /* copied (a sorted tensor's visit is walk->id) */
    m->grad_before = m->grad ? torch_keep(torch_clone(m->grad)) : NULL;
    list_push(&walk->graded, t);
}

/* The walk has finished: its copies are not needed. */
static void free_grad_copies(Walk *walk) {
    for (int k = 0; k < walk->graded.count; k++) {
        struct AutogradMeta *m = walk->graded.items[k]->autograd;
        torch_free(m->grad_before);
        m->grad_before = NULL;
    }
}

/* ---- 3. the walk ------------------------------------------------------------------------- */

/* grad += g for a leaf (its grad outlives the walk), pending += g otherwise. */
static void accumulate(Tensor *input, Tensor *g) {
    /* BEGIN EXERCISE 2.5: the backward walk (accumulating gradients) */
    struct AutogradMeta *m = input->autograd;
    if (!m->grad_fn) {
        if (!m->requires_grad) return;
        if (m->grad) torch_add_(m->grad, g);
        else m->grad = torch_keep(torch_clone(g));
        return;
    }
    m->pending = m->pending ? torch_add(m->pending, g) : g;
    /* END EXERCISE 2.5 */
}

/* A node returned a gradient whose shape is not its input's (a custom backward can):
 * libtorch's error. */
static _Noreturn void invalid_gradient(const GradFn *node, int i, const Tensor *grad) {
    char message[400], got[96], want[96];
    snprintf(message, sizeof message,
             "Function %s returned an invalid gradient at index %d - got %s but expected shape "
             "compatible with %s",
             node->name, i, shape_str(grad->shape, got, sizeof got),
             shape_str(node->op.in[i]->shape, want, sizeof want));
    walk_error(message);
}

/* t's node, given g, the sum of the gradients its consumers sent: sends each input that
 * requires grad its gradient. */
static void node_backward(Walk *walk, Tensor *t, Tensor *g) {
    GradFn *node = t->autograd->grad_fn;
    Tensor *grad_inputs[3] = {NULL, NULL, NULL};
    derivative_apply(node, g, grad_inputs);
    for (int i = 0; i < node->op.n_in; i++) {
        Tensor *in = node->op.in[i];
        if (!grad_inputs[i] || !torch_requires_grad(in)) continue;
        if (!shape_equal_p(&grad_inputs[i]->shape, &in->shape))
            invalid_gradient(node, i, grad_inputs[i]);
        if (!in->autograd->grad_fn) grad_copy(walk, in);
        accumulate(in, grad_inputs[i]);
    }
}

/* The gradient the walk starts from: ones for backward(), made inside the walk's scope. A
 * given gradient (2.6) replaces them. */
static Tensor *seed(Tensor *root, Tensor *gradient) {
    if (!gradient) return torch_ones_like(root);
    /* BEGIN EXERCISE 2.6: backward with a given gradient (the seed) */
    return gradient->dtype == TORCH_FLOAT32 ? gradient : torch_to_dtype(gradient, TORCH_FLOAT32);
    /* END EXERCISE 2.6 */
}

/* libtorch's errors for a root backward cannot start from. */
static void check_root(Tensor *root) {
    tensor_check("torch_backward", root);
    if (!torch_requires_grad(root))
        torch_error("torch_backward", "element 0 of tensors does not require grad and does not "
                                      "have a grad_fn");
}

/* The walk from root, seeded with gradient (NULL: ones); root and gradient are checked. */
static void backward_walk(Tensor *root, Tensor *gradient, bool retain_graph) {
    torch_scope_begin(); /* may raise an error (64 scopes open): nothing has changed yet */
    torch_no_grad_begin();
    if (!root->autograd->grad_fn) { /* backward on a leaf: its gradient is the seed */
        accumulate(root, seed(root, gradient));
        torch_no_grad_end();
        torch_scope_end();
        return;
    }

    Walk walk = {0};
    torch_undo_push(&walk.undo, walk_undo);
    walk_id += 2; /* walk_id: sorted; walk_id + 1: grad copied (grad_copy) */
    walk.id = walk_id;
    topological_sort(root, &walk.order);
    for (int k = walk.order.count - 1; k >= 0; k--) { /* before any gradient is computed */
        check_node(walk.order.items[k]->autograd->grad_fn);
        walk.customs_ahead += is_custom(walk.order.items[k]);
    }

    root->autograd->pending = seed(root, gradient);
    for (int k = walk.order.count - 1; k >= 0; k--) {
        Tensor *t = walk.order.items[k];
        struct AutogradMeta *m = t->autograd;
        Tensor *g = m->pending;
        m->pending = NULL;
        if (!g) continue; /* no gradient reached t (its consumers sent it none) */
        if (m->retains_grad) { /* a non-leaf's gradient, kept as a leaf's is */
            grad_copy(&walk, t);
            if (m->grad) torch_add_(m->grad, g);
            else m->grad = torch_keep(torch_clone(g));
        }
        /* this custom backward is about to run: the grads it writes need a copy only if
         * another one is still to come (a custom node that no gradient reaches is never
         * counted off, which only makes copies that were not needed) */
        if (is_custom(t)) walk.customs_ahead--;
        node_backward(&walk, t, g);
        if (!retain_graph) m->grad_fn->released = true;
    }
    free_grad_copies(&walk);
    torch_undo_pop(&walk.undo);
    walk_free(&walk);
    torch_no_grad_end();
    torch_scope_end();
}

/* R: y$backward(gradient). Without a gradient (NULL) the root must have one element and the
 * walk starts from 1; with one, from that gradient (the vector in a vector-Jacobian product),
 * which must have the root's shape. */
void torch_backward_with(Tensor *root, Tensor *gradient, bool retain_graph) {
    check_root(root);
    if (gradient == NULL && torch_numel(root) != 1)
        torch_error("torch_backward", "grad can be implicitly created only for scalar outputs");
    if (gradient) {
        /* BEGIN EXERCISE 2.6: backward with a given gradient (its shape check) */
        tensor_check("torch_backward", gradient);
        if (!shape_equal(gradient->shape, root->shape)) {
            char a[96], b[96];
            torch_error("torch_backward", "Mismatch in shape: grad_output[0] has a shape of %s "
                                          "and output[0] has a shape of %s.",
                        shape_str(gradient->shape, a, sizeof a),
                        shape_str(root->shape, b, sizeof b));
        }
        /* END EXERCISE 2.6 */
    }
    backward_walk(root, gradient, retain_graph);
}

void torch_backward(Tensor *t) { torch_backward_with(t, NULL, false); }

/*
 * graph.c: recording the graph while the forward pass runs.
 *
 * The kernel describes every differentiable op it computes (common/autograd_hook.h). While
 * grad mode is on and one of the op's inputs requires grad, record() turns that description
 * into a node and hangs it on the output as its grad_fn. Everything else about a tensor's
 * autograd life is here too: requires_grad_, grad, retain_grad, detach, no-grad scopes, the
 * in-place check, and what print shows.
 */
#include "graph.h"

#include <stdlib.h>

static bool grad_mode = true;
static int no_grad_depth;

/* ---- pools: an epoch records the same nodes every time, so reuse them -------------------- */

typedef union MetaSlot {
    struct AutogradMeta meta;
    union MetaSlot *next;
} MetaSlot;
typedef union NodeSlot {
    GradFn node;
    union NodeSlot *next;
} NodeSlot;
static MetaSlot *free_metas;
static NodeSlot *free_nodes;

/* A slot of `size` bytes from the pool (its contents undefined: the caller fills it). */
static void *pool_get(void **free_list, size_t size) {
    void *p = *free_list;
    if (p) *free_list = *(void **)p;
    else if (!(p = malloc(size))) torch_error("autograd", "out of memory");
    return p;
}

static void pool_put(void **free_list, void *p) {
    *(void **)p = *free_list;
    *free_list = p;
}

/* A node named `name` for op (NULL: an AccumulateGrad node, no op), every other field
 * cleared. Field by field, not as one struct assignment: the op was just written by its
 * caller a field at a time, and a struct copy would stall on those stores (shape_copy in
 * common/internal.h says why); zeroing the whole 300-byte node would compile to a slow string
 * instruction. A field added to TorchOp must be copied here too (the backward that reads it
 * would fail its gradient tests otherwise). */
static void grad_fn_init(GradFn *node, const char *name, const TorchOp *op) {
    static const TorchOp no_op; /* an AccumulateGrad node's: all zeros */
    if (!op) op = &no_op;
    node->name = name;
    node->op.kind = op->kind;
    node->op.out = op->out;
    node->op.n_in = op->n_in;
    for (int i = 0; i < 3; i++) node->op.in[i] = op->in[i];
    node->op.extra = op->extra;
    node->op.scalar = op->scalar;
    node->op.scalar2 = op->scalar2;
    node->op.dim = op->dim;
    node->op.dim2 = op->dim2;
    node->op.keepdim = op->keepdim;
    node->op.start = op->start;
    node->op.length = op->length;
    node->op.step = op->step;
    for (int i = 0; i < 3; i++) node->saved_version[i] = 0;
    node->out_version = node->extra_version = 0;
    node->released = false;
    node->leaf = NULL;
    node->custom = NULL;
    for (int i = 0; i < AUTOGRAD_MAX_SAVED; i++) node->ctx.saved[i] = NULL;
    node->ctx.n_saved = 0;
    node->ctx.args = NULL;
}

GradFn *grad_fn_new(const char *name, const TorchOp *op) {
    GradFn *node = pool_get((void **)&free_nodes, sizeof(NodeSlot));
    grad_fn_init(node, name, op);
    return node;
}

static void grad_fn_free(GradFn *node) {
    if (!node) return;
    if (node->op.kind == TORCH_OP_CUSTOM) free((void *)node->ctx.args); /* function.c's copy */
    pool_put((void **)&free_nodes, node);
}

struct AutogradMeta *autograd_meta(Tensor *t) {
    if (t->autograd) return t->autograd;
    autograd_enable();
    struct AutogradMeta *m = pool_get((void **)&free_metas, sizeof(MetaSlot));
    /* no gradient, no node; the AccumulateGrad node that next_functions shows knows t */
    m->requires_grad = m->retains_grad = false;
    m->grad = m->pending = m->grad_before = NULL;
    m->grad_fn = NULL;
    m->visit = 0;
    grad_fn_init(&m->accumulate, "torch::autograd::AccumulateGrad", NULL);
    m->accumulate.leaf = t;
    return t->autograd = m;
}

void autograd_set_grad_fn(Tensor *out, GradFn *node) {
    node->op.out = out;
    node->out_version = out->storage->version;
    for (int i = 0; i < node->op.n_in; i++)
        node->saved_version[i] = node->op.in[i]->storage->version;
    if (node->op.extra) node->extra_version = node->op.extra->storage->version;
    autograd_meta(out)->grad_fn = node;
}

/* ---- the hooks the kernel calls ------------------------------------------------------------ */

static void record(const TorchOp *op) {
    if (!grad_mode) return;
    bool any = false;
    /* the op has checked its inputs */
    for (int i = 0; i < op->n_in; i++) any |= requires_grad_unchecked(op->in[i]);
    if (any) autograd_set_grad_fn(op->out, grad_fn_new(derivative_name(op), op));
}

/* Whether node's output is a view of its input (they share storage). */
static bool is_view_node(const GradFn *node) {
    switch (node->op.kind) {
    case TORCH_OP_VIEW: case TORCH_OP_RESHAPE: case TORCH_OP_UNSAFE_VIEW: case TORCH_OP_SQUEEZE:
    case TORCH_OP_SQUEEZE_DIM: case TORCH_OP_UNSQUEEZE:
    case TORCH_OP_TRANSPOSE: case TORCH_OP_T: case TORCH_OP_EXPAND:
    case TORCH_OP_SELECT: case TORCH_OP_SLICE:
        return true;
    default:
        return false;
    }
}

/* In-place ops are not recorded (the kernel only bumps the version), so with grad mode on an
 * in-place change of a tensor in the graph would silently give wrong gradients: refused. A leaf
 * that requires grad gets libtorch's message; so does a view of one. */
static void before_inplace(const char *op_name, Tensor *t, const Tensor *source) {
    if (!grad_mode) return;
    if (source && source->autograd && (source->autograd->requires_grad || source->autograd->grad_fn))
        torch_error(op_name, "an in-place operation whose operand requires grad is not recorded "
                             "by autograd; use the out-of-place function (e.g. torch_add), or "
                             "with_no_grad() if no gradient should flow through it");
    if (!t->autograd) return;
    const GradFn *node = t->autograd->grad_fn;
    if (!node) {
        if (t->autograd->requires_grad)
            torch_error(op_name, "a leaf Variable that requires grad is being used in an "
                                 "in-place operation.");
        return;
    }
    const Tensor *base = t;
    while (base->autograd && base->autograd->grad_fn && is_view_node(base->autograd->grad_fn))
        base = base->autograd->grad_fn->op.in[0];
    if (base != t && base->autograd && base->autograd->requires_grad && !base->autograd->grad_fn)
        torch_error(op_name, "a view of a leaf Variable that requires grad is being used in an "
                             "in-place operation.");
    torch_error(op_name, "an in-place operation on a tensor that requires grad (here the output "
                         "of %s) is not recorded by autograd; use the out-of-place function, or "
                         "with_no_grad() if no gradient should flow through it",
                node->name);
}

static void release(Tensor *t) {
    struct AutogradMeta *m = t->autograd;
    t->autograd = NULL;
    if (m->grad) torch_free(m->grad);
    grad_fn_free(m->grad_fn);
    pool_put((void **)&free_metas, m);
}

/* A kept tensor outlives its epoch's graph, so it leaves the graph (as R's detach would). */
static void keep(Tensor *t) {
    struct AutogradMeta *m = t->autograd;
    if (m && m->grad_fn) {
        grad_fn_free(m->grad_fn);
        m->grad_fn = NULL;
    }
}

static void print_suffix(FILE *f, const Tensor *t) {
    const struct AutogradMeta *m = t->autograd;
    if (!m) return;
    if (m->grad_fn) fprintf(f, "[ grad_fn = <%s> ]", m->grad_fn->name);
    else if (m->requires_grad) fprintf(f, "[ requires_grad = TRUE ]");
}

static const TorchAutogradHooks hooks = {
    .record = record,
    .before_inplace = before_inplace,
    .release = release,
    .keep = keep,
    .print_suffix = print_suffix,
};

/* Autograd switches itself on the first time a tensor asks for gradients: a program that
 * never does (stage 1) pays nothing. */
void autograd_enable(void) {
    if (torch_autograd_hooks != &hooks) torch_install_autograd_hooks(&hooks);
}

/* ---- the public API -------------------------------------------------------------------------- */

Tensor *torch_requires_grad_(Tensor *t, bool requires_grad) {
    tensor_check("torch_requires_grad_", t);
    if (t->autograd && t->autograd->grad_fn) { /* a non-leaf requires grad already */
        if (requires_grad) return t;
        torch_error("torch_requires_grad_",
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach().");
    }
    if (requires_grad && t->dtype != TORCH_FLOAT32)
        torch_error("torch_requires_grad_", "Only Tensors of floating point and complex dtype "
                                            "can require gradients");
    if (requires_grad || t->autograd) autograd_meta(t)->requires_grad = requires_grad;
    return t;
}

bool torch_requires_grad(const Tensor *t) {
    tensor_check("torch_requires_grad", t);
    return requires_grad_unchecked(t);
}

bool torch_is_leaf(const Tensor *t) {
    tensor_check("torch_is_leaf", t);
    return !t->autograd || !t->autograd->grad_fn;
}

Tensor *torch_grad(Tensor *t) {
    tensor_check("torch_grad", t);
    return t->autograd ? t->autograd->grad : NULL;
}

Tensor *torch_retain_grad(Tensor *t) {
    tensor_check("torch_retain_grad", t);
    if (!torch_requires_grad(t))
        torch_error("torch_retain_grad", "can't retain_grad on Tensor that has "
                                         "requires_grad=False");
    if (t->autograd->grad_fn) t->autograd->retains_grad = true; /* leaves keep theirs anyway */
    return t;
}

Tensor *torch_detach(Tensor *t) {
    tensor_check("torch_detach", t);
    return tensor_view_of(t, t->shape, t->stride, t->offset);
}

/* with_no_grad scopes opened since an error's catch end with the error (error.c), as
 * libtorch's NoGradGuard ends when an exception passes it. */
static int no_grad_current_depth(void) { return no_grad_depth; }
static void no_grad_unwind_to(int depth) {
    if (no_grad_depth <= depth) return;
    no_grad_depth = depth;
    grad_mode = no_grad_depth == 0;
}
static const TorchTracked no_grad_tracked = {no_grad_current_depth, no_grad_unwind_to};

void torch_no_grad_begin(void) {
    if (no_grad_depth == 0) torch_track(&no_grad_tracked);
    no_grad_depth++;
    grad_mode = false;
}

void torch_no_grad_end(void) {
    if (no_grad_depth == 0) torch_error("torch_no_grad_end", "no with_no_grad scope is open");
    grad_mode = --no_grad_depth == 0;
}

bool torch_is_grad_enabled(void) { return grad_mode; }

GradFn *torch_grad_fn(Tensor *t) {
    tensor_check("torch_grad_fn", t);
    return t->autograd ? t->autograd->grad_fn : NULL;
}

const char *grad_fn_name(const GradFn *fn) { return fn ? fn->name : "NULL"; }

int grad_fn_num_next(const GradFn *fn) {
    if (!fn || fn->leaf) return 0;
    return fn->op.n_in;
}

GradFn *grad_fn_next(const GradFn *fn, int i) {
    if (!fn || i < 0 || i >= grad_fn_num_next(fn)) return NULL;
    Tensor *in = fn->op.in[i];
    if (in->magic != TENSOR_ALIVE || !torch_requires_grad(in)) return NULL;
    return in->autograd->grad_fn ? in->autograd->grad_fn : &in->autograd->accumulate;
}

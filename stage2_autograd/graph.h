/*
 * graph.h: autograd's private data (not part of the public API).
 *
 * A tensor that takes part in autograd carries an AutogradMeta. A leaf that requires grad
 * has requires_grad set and, once backward has run, a grad. A tensor computed from inputs
 * that require grad has a grad_fn: the node that knows how to send its gradient back to
 * those inputs. Nodes live exactly as long as the tensor they produced (so an epoch's graph
 * goes away with the epoch's scope).
 */
#ifndef CTORCH_GRAPH_H
#define CTORCH_GRAPH_H

#include "autograd.h"
#include "internal.h"

struct GradFn {
    const char *name;                /* libtorch's name, e.g. "MmBackward0" */
    TorchOp op;                      /* what the forward computed, inputs included */
    uint32_t saved_version[3];       /* input storage versions when recorded */
    uint32_t out_version;
    uint32_t extra_version;          /* op.extra's (mask, condition, indices) when recorded */
    bool released;                   /* backward ran without retain_graph */
    Tensor *leaf;                    /* for an AccumulateGrad node: its leaf */
    const AutogradFunction *custom;  /* for a custom function's node (TORCH_OP_CUSTOM) */
    AutogradContext ctx;             /* its saved tensors and its copy of the args */
};

struct AutogradMeta {
    bool requires_grad; /* a leaf that asked for gradients */
    bool retains_grad;  /* a non-leaf whose gradient is kept (torch_retain_grad) */
    Tensor *grad;       /* lives until the tensor is released */
    GradFn *grad_fn;    /* NULL for a leaf */
    GradFn accumulate;  /* the AccumulateGrad node that next_functions shows for a leaf */
    /* during one backward walk */
    Tensor *pending;    /* the gradient summed so far */
    Tensor *grad_before;/* a copy of its grad, for a walk that an error may undo */
    uint64_t visit;     /* the walk that last saw this tensor */
};

/* torch_requires_grad without its check, inline: for a tensor known to be alive (an op's
 * operand, already checked by the op). */
static inline bool requires_grad_unchecked(const Tensor *t) {
    return t->autograd && (t->autograd->requires_grad || t->autograd->grad_fn);
}

/* The meta of t, created on first use. */
struct AutogradMeta *autograd_meta(Tensor *t);
/* Makes out the result of node (out requires grad from now on). */
void autograd_set_grad_fn(Tensor *out, GradFn *node);
/* A new node named `name` for op (its other fields cleared), from the pool. */
GradFn *grad_fn_new(const char *name, const TorchOp *op);

/* The node name of each op kind. */
const char *derivative_name(const TorchOp *op);
/* Whether the backward of op reads saved values (so it cannot run twice after release). */
bool derivative_needs_saved(const TorchOp *op);
/* Whether the backward of op reads the values of input i (i = -1: of its output), as libtorch
 * saves them, so an in-place change of that tensor before backward must be caught. */
bool derivative_reads(const TorchOp *op, int i);
/* Computes grad_inputs[i] (NULL where not needed) from the gradient of op->out. */
void derivative_apply(const GradFn *node, Tensor *grad_out, Tensor **grad_inputs);

/* Installs the kernel hooks (idempotent). */
void autograd_enable(void);

#endif

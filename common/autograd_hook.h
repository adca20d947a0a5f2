/*
 * autograd_hook.h: the one seam between the tensor kernel and autograd.
 *
 * The kernel (common/) computes values and knows nothing about gradients. After each
 * differentiable operation it describes what it just did in a TorchOp ("out = mm(a, b)")
 * and hands it to torch_record. In stage 1 nobody listens and that is all. Stage 2 installs
 * hooks the first time a tensor asks for gradients (torch_requires_grad_); from then on its
 * record hook turns each TorchOp whose inputs require grad into a graph node (MmBackward0, ...).
 * The backward formulas live in stage2_autograd/, next to the node names.
 */
#ifndef CTORCH_AUTOGRAD_HOOK_H
#define CTORCH_AUTOGRAD_HOOK_H

#include "tensor.h"

/* What a differentiable operation computed. One kind per forward formula. */
typedef enum TorchOpKind {
    TORCH_OP_ADD,        /* out = a + b            (broadcast) */
    TORCH_OP_SUB,        /* out = a - b            (broadcast) */
    TORCH_OP_MUL,        /* out = a * b            (broadcast) */
    TORCH_OP_DIV,        /* out = a / b            (broadcast) */
    TORCH_OP_ADD_SCALAR, /* out = a + scalar */
    TORCH_OP_SUB_SCALAR, /* out = a - scalar */
    TORCH_OP_MUL_SCALAR, /* out = a * scalar */
    TORCH_OP_DIV_SCALAR, /* out = a / scalar */
    TORCH_OP_NEG,        /* out = -a */
    TORCH_OP_POW,        /* out = a ^ scalar */
    TORCH_OP_CLAMP_MIN,  /* out = max(a, scalar) */
    TORCH_OP_CLAMP,      /* out = min(max(a, scalar), scalar2) */
    TORCH_OP_RELU,       /* out = max(a, 0) */
    TORCH_OP_EXP,        /* out = exp(a) */
    TORCH_OP_LOG,        /* out = log(a) */
    TORCH_OP_SQRT,       /* out = sqrt(a) */
    TORCH_OP_ABS,        /* out = |a| */
    TORCH_OP_WHERE,      /* out = where(extra, a, b)           extra: the bool condition */
    TORCH_OP_MASKED_FILL,/* out = a with scalar where extra    extra: the bool mask */
    TORCH_OP_SUM,        /* out = sum(a) */
    TORCH_OP_SUM_DIM,    /* out = sum(a, dim, keepdim) */
    TORCH_OP_MEAN,       /* out = mean(a) */
    TORCH_OP_MEAN_DIM,   /* out = mean(a, dim, keepdim) */
    TORCH_OP_MAX,        /* out = max(a) */
    TORCH_OP_MAX_DIM,    /* out = max(a, dim, keepdim)         extra: int64 indices */
    TORCH_OP_MIN,        /* out = min(a) */
    TORCH_OP_MIN_DIM,    /* out = min(a, dim, keepdim)         extra: int64 indices */
    TORCH_OP_MM,         /* out = a.mm(b) */
    TORCH_OP_MATMUL,     /* out = a.matmul(b)                  (1-d or 2-d operands) */
    TORCH_OP_ADDMM,      /* out = c + a.mm(b)                  in: c, a, b */
    TORCH_OP_VIEW,       /* out = a.view(out's shape) */
    TORCH_OP_RESHAPE,    /* out = a.reshape(out's shape), a view of a */
    TORCH_OP_UNSAFE_VIEW,/* out = a.reshape(out's shape) of a's contiguous copy (in[0]: the copy) */
    TORCH_OP_SQUEEZE,    /* out = a.squeeze() */
    TORCH_OP_SQUEEZE_DIM,/* out = a.squeeze(dim) */
    TORCH_OP_UNSQUEEZE,  /* out = a.unsqueeze(dim) */
    TORCH_OP_TRANSPOSE,  /* out = a.transpose(dim, dim2) */
    TORCH_OP_T,          /* out = a.t() */
    TORCH_OP_EXPAND,     /* out = a.expand(out's shape) */
    TORCH_OP_SELECT,     /* out = a.select(dim, start) */
    TORCH_OP_SLICE,      /* out = a.slice(dim, start, end = start + length * step, step) */
    TORCH_OP_CLONE,      /* out = a.clone() or a copied to contiguous memory */
    TORCH_OP_TO_FLOAT,   /* out = a converted to float32 (no gradient flows from bool/int) */
    TORCH_OP_CUSTOM,     /* out = a custom autograd function of in (stage 2's
                          * autograd_function_apply; the kernel never records this kind) */
} TorchOpKind;

typedef struct TorchOp {
    TorchOpKind kind;
    Tensor *out;
    int n_in;
    Tensor *in[3];
    Tensor *extra;          /* see the kind's comment */
    float scalar, scalar2;  /* scalar operand, exponent, clamp bounds */
    int dim, dim2;          /* dimensions the op worked along */
    bool keepdim;
    int64_t start, length, step; /* select / slice */
} TorchOp;

/* The hooks stage 2 installs. Every member may be NULL. */
typedef struct TorchAutogradHooks {
    /* Called after a differentiable op computed op->out. */
    void (*record)(const TorchOp *op);
    /* Called before an in-place op changes t, with the tensor its new values come from (or
     * NULL). May raise an error: a leaf that requires grad, an operand that requires grad. */
    void (*before_inplace)(const char *op_name, Tensor *t, const Tensor *source);
    /* Called when t is released, to free its autograd state. */
    void (*release)(Tensor *t);
    /* Called when torch_keep moves t out of its scope. */
    void (*keep)(Tensor *t);
    /* Appends R's suffix right after the type line: "[ grad_fn = <MmBackward0> ]". */
    void (*print_suffix)(FILE *f, const Tensor *t);
} TorchAutogradHooks;

void torch_install_autograd_hooks(const TorchAutogradHooks *hooks);
extern const TorchAutogradHooks *torch_autograd_hooks;

/* For kernel code: describe the op just computed. Costs one branch when no hooks exist. */
static inline void torch_record(const TorchOp *op) {
    if (torch_autograd_hooks && torch_autograd_hooks->record) torch_autograd_hooks->record(op);
}
/* For kernel code: call before changing t in place (bumps t's version). */
void torch_before_inplace(const char *op_name, Tensor *t);
/* The same for t op= source (add_, sub_, mul_, copy_). */
void torch_before_inplace_from(const char *op_name, Tensor *t, const Tensor *source);

#endif

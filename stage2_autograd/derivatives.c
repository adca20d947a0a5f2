/*
 * derivatives.c: the backward formula of every differentiable op.
 *
 * Each case reads: the forward the kernel computed (as a comment), then the gradient of
 * each input given g, the gradient of the output. The formulas are libtorch's
 * (pytorch/tools/autograd/derivatives.yaml) written with ctorch's own tensor functions,
 * in the same order of operations, so the numbers match torch's. They run with grad mode off
 * (backward.c), so nothing here is recorded.
 *
 * Broadcasting: when a + b stretched b from (1, 32) to (100, 32), b's gradient is g summed
 * back over the stretched dimension: sum_to(g, b's shape).
 */
#include "graph.h"

#include <math.h>

/* Sums g over the dimensions broadcasting added or stretched, back to `shape`. */
static Tensor *sum_to(Tensor *g, Shape shape) {
    if (shape_equal(g->shape, shape)) return g;
    /* BEGIN EXERCISE 2.4: summing a broadcast gradient back */
    while (g->shape.ndim > shape.ndim) g = torch_sum_dim(g, 0, false);
    for (int i = 0; i < shape.ndim; i++)
        if (shape.size[i] == 1 && g->shape.size[i] != 1) g = torch_sum_dim(g, i, true);
    return g;
    /* END EXERCISE 2.4 */
}

static Tensor *zero_where(Tensor *g, Tensor *mask) { return torch_masked_fill(g, mask, 0); }
/* The other way round: g where mask is true, 0 elsewhere (libtorch's where(mask, g, 0)). */
static Tensor *keep_where(Tensor *g, Tensor *mask) {
    return torch_where(mask, g, torch_zeros(SHAPE_SCALAR));
}

/* libtorch's sgn(a) for floats, (0 < a) - (a < 0): 1, -1, and 0 for 0, -0 and NaN. */
static Tensor *sign_of(Tensor *a) {
    return torch_sub(torch_to_dtype(torch_gt_scalar(a, 0), TORCH_FLOAT32),
                     torch_to_dtype(torch_lt_scalar(a, 0), TORCH_FLOAT32));
}

/* Gradient of max/min over everything: split evenly between the elements that tie. A NaN
 * result came from a's NaNs, and they share g (NaN == NaN is false, so ask a != a). */
static Tensor *evenly_distribute(Tensor *g, Tensor *a, Tensor *result) {
    Tensor *mask = isnan(torch_item(result)) ? torch_ne(a, a) : torch_eq(a, result);
    Tensor *count = torch_sum(torch_to_dtype(mask, TORCH_FLOAT32));
    Tensor *share = torch_div(g, count);
    return keep_where(torch_expand(share, a->shape), mask);
}

/* Gradient of max/min along dim: g goes to the position each value came from. */
static Tensor *scatter_to_indices(Tensor *g, Tensor *indices, Shape shape, int dim,
                                  bool keepdim) {
    if (!keepdim) {
        g = torch_unsqueeze(g, dim);
        indices = torch_unsqueeze(indices, dim);
    }
    Tensor *out = torch_zeros(shape);
    float *o = tensor_f32(out);
    int64_t outer = 1, inner = 1, size = shape.size[dim];
    for (int i = 0; i < dim; i++) outer *= shape.size[i];
    for (int i = dim + 1; i < shape.ndim; i++) inner *= shape.size[i];
    /* g and indices (outer, 1, inner); out (outer, size, inner) */
    for (int64_t p = 0; p < outer; p++)
        for (int64_t q = 0; q < inner; q++) {
            int64_t src = p * inner + q;
            int64_t k = tensor_i64(indices)[strided_offset(indices, src)];
            o[(p * size + k) * inner + q] += tensor_f32(g)[strided_offset(g, src)];
        }
    return out;
}

const char *derivative_name(const TorchOp *op) {
    switch (op->kind) {
    /* A scalar operand is libtorch's Scalar overload, as R torch calls it: x * 2 is
     * MulBackward1 (Python wraps the 2 in a tensor and shows MulBackward0). */
    case TORCH_OP_ADD: return "AddBackward0";
    case TORCH_OP_ADD_SCALAR: return "AddBackward1";
    case TORCH_OP_SUB: return "SubBackward0";
    case TORCH_OP_SUB_SCALAR: return "SubBackward1";
    case TORCH_OP_MUL: return "MulBackward0";
    case TORCH_OP_MUL_SCALAR: return "MulBackward1";
    case TORCH_OP_DIV: return "DivBackward0";
    case TORCH_OP_DIV_SCALAR: return "DivBackward1";
    case TORCH_OP_NEG: return "NegBackward0";
    case TORCH_OP_POW: return "PowBackward0";
    case TORCH_OP_CLAMP_MIN: case TORCH_OP_CLAMP: return "ClampBackward1";
    case TORCH_OP_RELU: return "ReluBackward0";
    case TORCH_OP_EXP: return "ExpBackward0";
    case TORCH_OP_LOG: return "LogBackward0";
    case TORCH_OP_SQRT: return "SqrtBackward0";
    case TORCH_OP_ABS: return "AbsBackward0";
    case TORCH_OP_WHERE: return "WhereBackward0";
    case TORCH_OP_MASKED_FILL: return "MaskedFillBackward0";
    case TORCH_OP_SUM: return "SumBackward0";
    case TORCH_OP_SUM_DIM: return "SumBackward1";
    case TORCH_OP_MEAN: return "MeanBackward0";
    case TORCH_OP_MEAN_DIM: return "MeanBackward1";
    case TORCH_OP_MAX: return "MaxBackward1";
    case TORCH_OP_MAX_DIM: return "MaxBackward0";
    case TORCH_OP_MIN: return "MinBackward1";
    case TORCH_OP_MIN_DIM: return "MinBackward0";
    case TORCH_OP_MM: return "MmBackward0";
    case TORCH_OP_MATMUL: {
        int da = op->in[0]->shape.ndim, db = op->in[1]->shape.ndim;
        return da == 1 && db == 1 ? "DotBackward0"
             : db == 1            ? "MvBackward0"
             : da == 1            ? "SqueezeBackward3" /* unsqueeze(0).mm(b).squeeze_(0) */
                                  : "MmBackward0";
    }
    case TORCH_OP_ADDMM: return "AddmmBackward0";
    case TORCH_OP_VIEW: return "ViewBackward0";
    case TORCH_OP_RESHAPE: return "ReshapeAliasBackward0";
    case TORCH_OP_UNSAFE_VIEW: return "UnsafeViewBackward0";
    case TORCH_OP_SQUEEZE: return "SqueezeBackward0";
    case TORCH_OP_SQUEEZE_DIM: return "SqueezeBackward1";
    case TORCH_OP_UNSQUEEZE: return "UnsqueezeBackward0";
    case TORCH_OP_TRANSPOSE: return "TransposeBackward0";
    case TORCH_OP_T: return "TBackward0";
    case TORCH_OP_EXPAND: return "ExpandBackward0";
    case TORCH_OP_SELECT: return "SelectBackward0";
    case TORCH_OP_SLICE: return "SliceBackward0";
    case TORCH_OP_CLONE: return "CloneBackward0";
    case TORCH_OP_TO_FLOAT: return "ToCopyBackward0";
    case TORCH_OP_CUSTOM: break; /* named by its AutogradFunction (function.c) */
    }
    return "UnknownBackward";
}

bool derivative_needs_saved(const TorchOp *op) {
    switch (op->kind) {
    /* These need only shapes and scalars, so they can run again after release. */
    case TORCH_OP_ADD: case TORCH_OP_SUB: case TORCH_OP_ADD_SCALAR: case TORCH_OP_SUB_SCALAR:
    case TORCH_OP_MUL_SCALAR: case TORCH_OP_DIV_SCALAR: case TORCH_OP_NEG: case TORCH_OP_SUM:
    case TORCH_OP_SUM_DIM: case TORCH_OP_MEAN: case TORCH_OP_MEAN_DIM: case TORCH_OP_VIEW:
    case TORCH_OP_RESHAPE: case TORCH_OP_UNSAFE_VIEW: case TORCH_OP_SQUEEZE:
    case TORCH_OP_SQUEEZE_DIM: case TORCH_OP_UNSQUEEZE:
    case TORCH_OP_TRANSPOSE: case TORCH_OP_T: case TORCH_OP_EXPAND: case TORCH_OP_SELECT:
    case TORCH_OP_SLICE: case TORCH_OP_CLONE: case TORCH_OP_TO_FLOAT:
        return false;
    default: /* the others, and a custom function (it may read what it saved) */
        return true;
    }
}

bool derivative_reads(const TorchOp *op, int i) {
    switch (op->kind) {
    case TORCH_OP_MUL: case TORCH_OP_MM: case TORCH_OP_MATMUL: /* each factor for the other */
        return i >= 0 && torch_requires_grad(op->in[1 - i]);
    case TORCH_OP_ADDMM: /* in = {bias, a, b}: a for b's gradient, b for a's */
        return i >= 1 && torch_requires_grad(op->in[3 - i]);
    case TORCH_OP_DIV: /* b for both gradients, a only for b's */
        return i == 1 || (i == 0 && torch_requires_grad(op->in[1]));
    case TORCH_OP_POW: case TORCH_OP_CLAMP_MIN: case TORCH_OP_CLAMP: case TORCH_OP_LOG:
    case TORCH_OP_ABS:
        return i == 0;
    case TORCH_OP_RELU: case TORCH_OP_EXP: case TORCH_OP_SQRT: /* their result */
        return i == -1;
    case TORCH_OP_MAX: case TORCH_OP_MIN: /* the input and the extreme value */
        return i <= 0;
    case TORCH_OP_CUSTOM: /* whatever it saved, at most its inputs */
        return i >= 0;
    default:
        return false;
    }
}

void derivative_apply(const GradFn *node, Tensor *g, Tensor **grad) {
    const TorchOp *op = &node->op;
    Tensor *a = op->in[0], *b = op->n_in > 1 ? op->in[1] : NULL, *out = op->out;
    float s = op->scalar;
    switch (op->kind) {
    case TORCH_OP_ADD: /* out = a + b */
        grad[0] = sum_to(g, a->shape);
        grad[1] = sum_to(g, b->shape);
        break;
    case TORCH_OP_SUB: /* out = a - b */
        grad[0] = sum_to(g, a->shape);
        grad[1] = sum_to(torch_neg(g), b->shape);
        break;
    case TORCH_OP_MUL: /* out = a * b */
        /* BEGIN EXERCISE 2.1: the backward of mul */
        grad[0] = sum_to(torch_mul(g, b), a->shape);
        grad[1] = sum_to(torch_mul(g, a), b->shape);
        /* END EXERCISE 2.1 */
        break;
    case TORCH_OP_DIV: /* out = a / b */
        grad[0] = sum_to(torch_div(g, b), a->shape);
        grad[1] = sum_to(torch_mul(torch_neg(g), torch_div(torch_div(a, b), b)), b->shape);
        break;
    case TORCH_OP_ADD_SCALAR: case TORCH_OP_SUB_SCALAR: /* out = a +- s */
        grad[0] = g;
        break;
    case TORCH_OP_MUL_SCALAR: grad[0] = torch_mul_scalar(g, s); break; /* out = a * s */
    case TORCH_OP_DIV_SCALAR: grad[0] = torch_div_scalar(g, s); break; /* out = a / s */
    case TORCH_OP_NEG: grad[0] = torch_neg(g); break;                  /* out = -a */
    case TORCH_OP_POW: /* out = a^s: g * (s * a^(s-1)) */
        grad[0] = s == 0 ? torch_zeros_like(a)
                         : torch_mul(g, torch_mul_scalar(torch_pow(a, s - 1), s));
        break;
    case TORCH_OP_CLAMP_MIN: /* out = max(a, min): g where a >= min, 0 elsewhere (NaN too) */
        /* BEGIN EXERCISE 2.2: the backward of clamp */
        grad[0] = keep_where(g, torch_ge_scalar(a, s));
        /* END EXERCISE 2.2 */
        break;
    case TORCH_OP_CLAMP: /* out = min(max(a, min), max): g where min <= a <= max, else 0 */
        /* BEGIN EXERCISE 2.2: the backward of clamp (both bounds) */
        grad[0] = keep_where(keep_where(g, torch_ge_scalar(a, s)), torch_le_scalar(a, op->scalar2));
        /* END EXERCISE 2.2 */
        break;
    case TORCH_OP_RELU: /* g where the output is > 0: libtorch's threshold_backward(g, out, 0) */
        grad[0] = torch_threshold_backward(g, out, 0);
        break;
    case TORCH_OP_EXP: grad[0] = torch_mul(g, out); break;             /* d exp(a) = exp(a) */
    case TORCH_OP_LOG: grad[0] = torch_div(g, a); break;               /* d log(a) = 1/a */
    case TORCH_OP_SQRT: grad[0] = torch_div(g, torch_mul_scalar(out, 2)); break;
    case TORCH_OP_ABS: /* d |a| = sgn(a), 0 at 0 and at NaN. Multiplied, as libtorch does:
                        * g * 0 is -0 for a negative g, and NaN for an infinite one. */
        grad[0] = torch_mul(g, sign_of(a));
        break;
    case TORCH_OP_WHERE: /* out = where(cond, a, b) */
        grad[0] = sum_to(keep_where(g, op->extra), a->shape);
        grad[1] = sum_to(zero_where(g, op->extra), b->shape);
        break;
    case TORCH_OP_MASKED_FILL: /* a may have been broadcast against the mask */
        grad[0] = sum_to(zero_where(g, op->extra), a->shape);
        break;
    case TORCH_OP_SUM: grad[0] = torch_expand(g, a->shape); break;     /* every element: g */
    case TORCH_OP_SUM_DIM: /* a 0-dim a is its own sum: g as it is */
        grad[0] = a->shape.ndim == 0
                      ? g
                      : torch_expand(op->keepdim ? g : torch_unsqueeze(g, op->dim), a->shape);
        break;
    case TORCH_OP_MEAN: /* g / numel to every element */
        grad[0] = torch_expand(torch_div_scalar(g, (float)torch_numel(a)), a->shape);
        break;
    case TORCH_OP_MEAN_DIM:
        if (a->shape.ndim == 0) { /* a 0-dim a is its own mean */
            grad[0] = g;
            break;
        }
        grad[0] = torch_expand(torch_div_scalar(op->keepdim ? g : torch_unsqueeze(g, op->dim),
                                                (float)a->shape.size[op->dim]),
                               a->shape);
        break;
    case TORCH_OP_MAX: case TORCH_OP_MIN: grad[0] = evenly_distribute(g, a, out); break;
    case TORCH_OP_MAX_DIM: case TORCH_OP_MIN_DIM:
        grad[0] = scatter_to_indices(g, op->extra, a->shape, op->dim, op->keepdim);
        break;
    case TORCH_OP_MM: /* out = a.mm(b) */
        /* BEGIN EXERCISE 2.3: the backward of mm */
        /* only the gradients an input asks for, as libtorch: x.mm(w1)'s x is data */
        if (torch_requires_grad(a)) grad[0] = torch_mm(g, torch_t(b));
        if (torch_requires_grad(b)) grad[1] = torch_mm(torch_t(a), g);
        /* END EXERCISE 2.3 */
        break;
    case TORCH_OP_MATMUL:
        if (a->shape.ndim == 1 && b->shape.ndim == 1) { /* dot: out = sum(a * b) */
            grad[0] = torch_mul(g, b);
            grad[1] = torch_mul(g, a);
        } else if (b->shape.ndim == 1) { /* a (n, k), b (k) -> (n) */
            grad[0] = torch_mm(torch_unsqueeze(g, 1), torch_unsqueeze(b, 0));
            grad[1] = torch_matmul(torch_t(a), g);
        } else if (a->shape.ndim == 1) { /* a (k), b (k, m) -> (m) */
            grad[0] = torch_matmul(b, g);
            grad[1] = torch_mm(torch_unsqueeze(a, 1), torch_unsqueeze(g, 0));
        } else {
            grad[0] = torch_mm(g, torch_t(b));
            grad[1] = torch_mm(torch_t(a), g);
        }
        break;
    case TORCH_OP_ADDMM: /* out = c + a.mm(b), in = {c, a, b} */
        /* Only the gradients some input asks for, as libtorch's addmm backward: nn_linear's
         * input x is data, and its gradient would be a whole product for nothing. */
        if (torch_requires_grad(op->in[0])) grad[0] = sum_to(g, a->shape);
        if (torch_requires_grad(op->in[1])) grad[1] = torch_mm(g, torch_t(op->in[2]));
        if (torch_requires_grad(op->in[2])) grad[2] = torch_mm(torch_t(op->in[1]), g);
        break;
    case TORCH_OP_VIEW: case TORCH_OP_RESHAPE: case TORCH_OP_UNSAFE_VIEW: case TORCH_OP_SQUEEZE:
    case TORCH_OP_SQUEEZE_DIM: case TORCH_OP_UNSQUEEZE: /* same elements, a's shape */
        grad[0] = torch_reshape(g, a->shape);
        break;
    case TORCH_OP_TRANSPOSE: grad[0] = torch_transpose(g, op->dim, op->dim2); break;
    case TORCH_OP_T: grad[0] = torch_t(g); break;
    case TORCH_OP_EXPAND: grad[0] = sum_to(g, a->shape); break;
    case TORCH_OP_SELECT: /* g goes back to the selected row; zeros elsewhere */
        grad[0] = torch_zeros(a->shape);
        torch_copy_(torch_select(grad[0], op->dim, op->start), g);
        break;
    case TORCH_OP_SLICE: /* an empty slice sends nothing back (and its end would be
                          * before its start, which slice reads as counted from the end) */
        grad[0] = torch_zeros(a->shape);
        if (op->length > 0)
            torch_copy_(torch_slice(grad[0], op->dim, op->start,
                                    op->start + (op->length - 1) * op->step + 1, op->step),
                        g);
        break;
    case TORCH_OP_CLONE: case TORCH_OP_TO_FLOAT: grad[0] = g; break;
    case TORCH_OP_CUSTOM: /* the function's own backward, with its saved tensors and args */
        node->custom->backward((AutogradContext *)&node->ctx, g, grad);
        break;
    }
}

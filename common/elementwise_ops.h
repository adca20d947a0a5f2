/*
 * elementwise_ops.h: what the two elementwise kernels share (backend.h): the formula that
 * computes one output element of each op, and ElementwiseOp, the description of one op over
 * a whole tensor. The reference kernel (elementwise_reference, common/elementwise.c) and the
 * fast one (fast_elementwise, common/fast/elementwise.c) apply these formulas and no other,
 * so each op's bits are the same in both.
 *
 * The formulas are libtorch's CPU kernels' (1.13), so results are libtorch's bit for bit:
 * x.pow(2) is x * x, clamp keeps NaN, division is a true division. The exceptions are exp, log
 * and pow with a general exponent: libtorch calls SLEEF's vectorized functions and we call the
 * C library's; both are accurate to about 1 ULP, and the last bit differs for a few elements.
 *
 * Not part of the public API (not installed).
 */
#ifndef CTORCH_ELEMENTWISE_OPS_H
#define CTORCH_ELEMENTWISE_OPS_H

#include <math.h>
#include <stdbool.h>

#include "tensor.h"
#include "walk.h"

/* ---- the one-element formulas ------------------------------------------------------------ */

/* Ops of one tensor and up to two float scalars s, s2. */
typedef enum UnaryOp {
    U_ADD, U_SUB, U_MUL, U_DIV, /* x op s */
    U_NEG, U_ABS, U_EXP, U_LOG, U_SQRT,
    U_FILL,        /* s */
    U_COPY,        /* x (also x.pow(1)) */
    U_ONE,         /* 1, even for NaN (x.pow(0)) */
    U_SQUARE,      /* x.pow(2) */
    U_CUBE,        /* x.pow(3) */
    U_RSQRT,       /* x.pow(-0.5) */
    U_RECIPROCAL,  /* x.pow(-1) */
    U_INV_SQUARE,  /* x.pow(-2) */
    U_POW,         /* x.pow(s) for any other exponent */
    U_CLAMP_MIN,   /* max(x, s) */
    U_CLAMP,       /* min(max(x, s), s2) */
} UnaryOp;

static inline float unary_apply(UnaryOp op, float x, float s, float s2) {
    switch (op) {
    case U_ADD: return x + s;
    case U_SUB: return x - s;
    case U_MUL: return x * s;
    case U_DIV: return x / s;
    case U_NEG: return -x;
    case U_ABS: return fabsf(x);
    case U_EXP: return expf(x);
    case U_LOG: return logf(x); /* NaN for x < 0, -inf for 0, as torch: no error */
    case U_SQRT: return sqrtf(x);
    case U_FILL: return s;
    case U_COPY: return x;
    case U_ONE: return 1.0f;
    case U_SQUARE: return x * x;
    case U_CUBE: return x * x * x;
    case U_RSQRT: return 1.0f / sqrtf(x);
    case U_RECIPROCAL: return 1.0f / x;
    case U_INV_SQUARE: return 1.0f / (x * x);
    case U_POW: return powf(x, s);
    /* Written as "x < s ? s : x" so that a NaN x stays NaN and clamp(-0.0, min = 0) stays
     * -0.0, exactly what libtorch's max(x, min) gives. */
    case U_CLAMP_MIN: return x < s ? s : x;
    case U_CLAMP: {
        float y = x < s ? s : x;
        return s2 < y ? s2 : y; /* when min > max, every element becomes max, as in torch */
    }
    }
    return x;
}

/* Ops of two tensors. */
typedef enum BinaryOp { B_ADD, B_SUB, B_MUL, B_DIV } BinaryOp;

static inline float binary_apply(BinaryOp op, float x, float y) {
    switch (op) {
    case B_ADD: return x + y;
    case B_SUB: return x - y;
    case B_MUL: return x * y;
    case B_DIV: return x / y; /* a true division, also by a scalar, as libtorch's div */
    }
    return x;
}

/* Comparisons of two tensors, giving bools. */
typedef enum CompareOp { C_LT, C_LE, C_GT, C_GE, C_EQ, C_NE } CompareOp;

/* IEEE comparisons: anything compared with NaN is false, except "!=" which is true. */
static inline bool compare_apply(CompareOp op, float x, float y) {
    switch (op) {
    case C_LT: return x < y;
    case C_LE: return x <= y;
    case C_GT: return x > y;
    case C_GE: return x >= y;
    case C_EQ: return x == y;
    case C_NE: return x != y;
    }
    return false;
}

/* The choices. Each reads both of its candidates and picks one, so that a loop of them can
 * be a vector blend rather than a branch (common/fast/elementwise.c, select_loop). */

/* torch_masked_fill: value where the mask is true, x elsewhere. */
static inline float masked_fill_apply(bool mask, float x, float value) {
    return mask ? value : x;
}

/* torch_threshold_backward: grad where x > threshold, 0 elsewhere (a NaN x keeps grad, as
 * x <= threshold is false). */
static inline float threshold_backward_apply(float grad, float x, float threshold) {
    return x <= threshold ? 0.0f : grad;
}

/* torch_where: a where the condition is true, b elsewhere. */
static inline float where_apply(bool condition, float a, float b) { return condition ? a : b; }

/* ---- one op over a whole tensor ---------------------------------------------------------- */

typedef enum ElementwiseKind {
    EW_UNARY,              /* out = unary_apply(op, a, s, s2)          operands out, a */
    EW_BINARY,             /* out = binary_apply(op, a, b)             operands out, a, b */
    EW_COMPARE,            /* out = compare_apply(op, a, b), bool      operands out, a, b */
    EW_MASKED_FILL,        /* out = masked_fill_apply(mask, a, s)      operands out, a, mask */
    EW_THRESHOLD_BACKWARD, /* out = threshold_backward_apply(g, x, s)  operands out, g, x */
    EW_WHERE,              /* out = where_apply(cond, a, b)            operands out, cond, a, b */
} ElementwiseKind;

/* out[p] = the kind's formula of the inputs' elements at p, at every position p of out's
 * shape. out is operand[0]; every input broadcasts to its shape, and may be out itself (an
 * in-place op). Inputs are float32, masks and conditions bool; out is float32 (bool for a
 * comparison) and may be a view, even an expanded one (fill_ writes one value many times). */
typedef struct ElementwiseOp {
    ElementwiseKind kind;
    int op;                   /* the UnaryOp, BinaryOp or CompareOp of those kinds */
    float s, s2;              /* the scalars: unary ops', the fill value, the threshold */
    int n_operands;                           /* out and the inputs: 2 to 4 */
    const Tensor *operand[WALK_MAX_OPERANDS]; /* out first, then the inputs, as listed above */
} ElementwiseOp;

/* The reference kernel (common/elementwise.c): one strided walk over out's positions. Built
 * in both backends, so that the tests can compare fast_elementwise with it. */
void elementwise_reference(const ElementwiseOp *e);

#endif

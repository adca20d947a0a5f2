/*
 * elementwise.c: arithmetic, comparisons, masks and in-place updates, computed one element at
 * a time.
 *
 * Every op here computes out[p] = f(a[p], b[p], ...) at each position p of its result.
 *   - Broadcasting: the result's shape is the operands' broadcast shape (broadcast_shapes,
 *     torch's rule: dims aligned from the right, a size-1 dim stretches), so h + b1, a (100,
 *     32) plus a (1, 32) bias, adds the bias to each of the 100 rows.
 *   - Strides: an operand's element at position (i, j) is i * stride[0] + j * stride[1]
 *     elements from its element 0, so a transposed or sliced view is read where it lies, and
 *     a stretched dim is read with stride 0: it rereads the same element.
 * The kernel at the end of this file walks the result's positions in row-major order (a
 * StridedWalk, walk.h, keeps every operand's offset) and applies the op's one-element formula
 * (elementwise_ops.h) at each. So a result never depends on the operands' strides: a + b of a
 * transposed view is the same sum, bit for bit, as of its contiguous copy.
 *
 * Dtypes: float32 is the computing type. Arithmetic and comparisons take float32 tensors and
 * stop with libtorch's "expected scalar type Float but found Long" for anything else (convert
 * first with torch_to_dtype). Masks and conditions must be bool.
 *
 * In this file: the public functions, in tensor.h's order; the checks and helpers they share;
 * the reference kernel; and the seam (backend.h) through which a fast build runs
 * fast_elementwise instead (common/fast/elementwise.c: rows, vector loops, threads; the same
 * bits).
 */
#include "backend.h"
#include "elementwise_ops.h"
#include "internal.h"

/* Shared by the public functions, defined after them. */
static Tensor *binary_op(const char *name, BinaryOp op, TorchOpKind kind, Tensor *a,
                         Tensor *b);
static Tensor *unary_op(const char *name, UnaryOp op, TorchOpKind kind, Tensor *a, float s,
                        float s2);
static Tensor *compare_op(const char *name, CompareOp op, Tensor *a, Tensor *b);
static Tensor *compare_scalar_op(const char *name, CompareOp op, Tensor *a, float s);
static Tensor *binary_inplace(const char *name, BinaryOp op, Tensor *t, Tensor *other);
static Tensor *fill_inplace(const char *name, Tensor *t, float value);
static void check_binary(const char *name, const Tensor *a, const Tensor *b, Shape *shape);
static void check_mask(const char *name, const Tensor *mask);
static void check_inplace_shape(const char *name, const Tensor *t, Shape broadcast);
static void check_no_partial_overlap(const char *name, const Tensor *t, const Tensor *other);
static void elementwise_kernel(const ElementwiseOp *e);

/* ======================================================================================== */
/* Arithmetic                                                                               */
/* ======================================================================================== */

/* R: a + b (also -, *, /), broadcasting as torch. */
Tensor *torch_add(Tensor *a, Tensor *b) {
    return binary_op("torch_add", B_ADD, TORCH_OP_ADD, a, b);
}
Tensor *torch_sub(Tensor *a, Tensor *b) {
    return binary_op("torch_sub", B_SUB, TORCH_OP_SUB, a, b);
}
Tensor *torch_mul(Tensor *a, Tensor *b) {
    return binary_op("torch_mul", B_MUL, TORCH_OP_MUL, a, b);
}
Tensor *torch_div(Tensor *a, Tensor *b) {
    return binary_op("torch_div", B_DIV, TORCH_OP_DIV, a, b);
}

/* R: x + 1 and friends. The scalar is a float and so is the arithmetic, as torch does for a
 * float tensor and an R (or Python) number. */
Tensor *torch_add_scalar(Tensor *a, float s) {
    return unary_op("torch_add_scalar", U_ADD, TORCH_OP_ADD_SCALAR, a, s, 0);
}
Tensor *torch_sub_scalar(Tensor *a, float s) {
    return unary_op("torch_sub_scalar", U_SUB, TORCH_OP_SUB_SCALAR, a, s, 0);
}
Tensor *torch_mul_scalar(Tensor *a, float s) {
    return unary_op("torch_mul_scalar", U_MUL, TORCH_OP_MUL_SCALAR, a, s, 0);
}
Tensor *torch_div_scalar(Tensor *a, float s) {
    return unary_op("torch_div_scalar", U_DIV, TORCH_OP_DIV_SCALAR, a, s, 0);
}

Tensor *torch_neg(Tensor *a) { return unary_op("torch_neg", U_NEG, TORCH_OP_NEG, a, 0, 0); }

/* R: x$pow(2). libtorch's shortcuts (ATen's native/Pow.cpp and native/cpu/PowKernel.cpp in
 * 1.13): exponent 0 fills with 1, 1 copies, 2 and 3 multiply, 0.5 / -0.5 / -1 / -2 use sqrt
 * and a division; any other exponent calls pow. The shortcuts are what make
 * (y_pred - y)$pow(2) exact. */
Tensor *torch_pow(Tensor *a, float exponent) {
    UnaryOp op = U_POW;
    if (exponent == 0.0f) op = U_ONE;
    else if (exponent == 1.0f) op = U_COPY;
    else if (exponent == 2.0f) op = U_SQUARE;
    else if (exponent == 3.0f) op = U_CUBE;
    else if (exponent == 0.5f) op = U_SQRT;
    else if (exponent == -0.5f) op = U_RSQRT;
    else if (exponent == -1.0f) op = U_RECIPROCAL;
    else if (exponent == -2.0f) op = U_INV_SQUARE;
    return unary_op("torch_pow", op, TORCH_OP_POW, a, exponent, 0);
}

/* R: x$clamp(min = 0). */
Tensor *torch_clamp_min(Tensor *a, float min) {
    return unary_op("torch_clamp_min", U_CLAMP_MIN, TORCH_OP_CLAMP_MIN, a, min, 0);
}

/* R: x$clamp(min, max). */
Tensor *torch_clamp(Tensor *a, float min, float max) {
    return unary_op("torch_clamp", U_CLAMP, TORCH_OP_CLAMP, a, min, max);
}

/* R: torch_relu(x), the same numbers as x$clamp(min = 0) (libtorch computes it that way). */
Tensor *torch_relu(Tensor *a) {
    return unary_op("torch_relu", U_CLAMP_MIN, TORCH_OP_RELU, a, 0.0f, 0);
}

Tensor *torch_exp(Tensor *a) { return unary_op("torch_exp", U_EXP, TORCH_OP_EXP, a, 0, 0); }
Tensor *torch_log(Tensor *a) { return unary_op("torch_log", U_LOG, TORCH_OP_LOG, a, 0, 0); }
Tensor *torch_sqrt(Tensor *a) { return unary_op("torch_sqrt", U_SQRT, TORCH_OP_SQRT, a, 0, 0); }
Tensor *torch_abs(Tensor *a) { return unary_op("torch_abs", U_ABS, TORCH_OP_ABS, a, 0, 0); }

/* ======================================================================================== */
/* Comparisons                                                                              */
/* ======================================================================================== */

Tensor *torch_lt(Tensor *a, Tensor *b) { return compare_op("torch_lt", C_LT, a, b); }
Tensor *torch_le(Tensor *a, Tensor *b) { return compare_op("torch_le", C_LE, a, b); }
Tensor *torch_gt(Tensor *a, Tensor *b) { return compare_op("torch_gt", C_GT, a, b); }
Tensor *torch_ge(Tensor *a, Tensor *b) { return compare_op("torch_ge", C_GE, a, b); }
Tensor *torch_eq(Tensor *a, Tensor *b) { return compare_op("torch_eq", C_EQ, a, b); }
Tensor *torch_ne(Tensor *a, Tensor *b) { return compare_op("torch_ne", C_NE, a, b); }

/* R: h < 0. */
Tensor *torch_lt_scalar(Tensor *a, float s) {
    return compare_scalar_op("torch_lt_scalar", C_LT, a, s);
}
Tensor *torch_le_scalar(Tensor *a, float s) {
    return compare_scalar_op("torch_le_scalar", C_LE, a, s);
}
Tensor *torch_gt_scalar(Tensor *a, float s) {
    return compare_scalar_op("torch_gt_scalar", C_GT, a, s);
}
Tensor *torch_ge_scalar(Tensor *a, float s) {
    return compare_scalar_op("torch_ge_scalar", C_GE, a, s);
}
Tensor *torch_eq_scalar(Tensor *a, float s) {
    return compare_scalar_op("torch_eq_scalar", C_EQ, a, s);
}
Tensor *torch_ne_scalar(Tensor *a, float s) {
    return compare_scalar_op("torch_ne_scalar", C_NE, a, s);
}

/* ======================================================================================== */
/* Masks and where                                                                          */
/* ======================================================================================== */

/* R: t[mask] <- value, e.g. grad_h[h < 0] <- 0 is torch_masked_fill_(grad_h, torch_lt_scalar(h,
 * 0), 0). Changes t's elements where mask is true, in t's own storage; returns t. */
Tensor *torch_masked_fill_(Tensor *t, Tensor *mask, float value) {
    const char *name = "torch_masked_fill_";
    tensor_check_dtype(name, t, TORCH_FLOAT32);
    check_mask(name, mask);
    check_inplace_shape(name, t, broadcast_shapes(name, t->shape, mask->shape));
    torch_before_inplace(name, t);
    elementwise_kernel(&(ElementwiseOp){.kind = EW_MASKED_FILL, .s = value, .n_operands = 3,
                                        .operand = {t, t, mask}});
    return t;
}

/* R: torch_masked_fill(t, mask, value): t (*), mask (*) -> out (their broadcast shape), a new
 * tensor (libtorch expands t and mask together, then fills a copy; here the copy and the fill
 * are one pass). */
Tensor *torch_masked_fill(Tensor *t, Tensor *mask, float value) {
    const char *name = "torch_masked_fill";
    tensor_check_dtype(name, t, TORCH_FLOAT32);
    check_mask(name, mask);
    Shape shape = broadcast_shapes(name, mask->shape, t->shape);
    Tensor *out = tensor_alloc(shape, TORCH_FLOAT32);
    elementwise_kernel(&(ElementwiseOp){.kind = EW_MASKED_FILL, .s = value, .n_operands = 3,
                                        .operand = {out, t, mask}});
    torch_record(&(TorchOp){.kind = TORCH_OP_MASKED_FILL, .out = out, .n_in = 1, .in = {t},
                            .extra = mask, .scalar = value});
    return out;
}

/* libtorch's threshold_backward, what ReluBackward0 computes: grad (*), x (*) -> out (their
 * broadcast shape), grad where x > threshold and 0 elsewhere. One pass, where
 * torch_masked_fill(grad, torch_le_scalar(x, threshold), 0) takes two and a mask; the same
 * numbers. Never recorded: it is a gradient's formula, run by backward with grad mode off. */
Tensor *torch_threshold_backward(Tensor *grad, Tensor *x, float threshold) {
    Shape shape;
    check_binary("torch_threshold_backward", grad, x, &shape);
    Tensor *out = tensor_alloc_p(&shape, TORCH_FLOAT32);
    elementwise_kernel(&(ElementwiseOp){.kind = EW_THRESHOLD_BACKWARD, .s = threshold,
                                        .n_operands = 3, .operand = {out, grad, x}});
    return out;
}

/* R: torch_where(condition, a, b): condition (bool), a, b (float32), all broadcast together
 * -> out[p] = condition[p] ? a[p] : b[p]. */
Tensor *torch_where(Tensor *condition, Tensor *a, Tensor *b) {
    const char *name = "torch_where";
    tensor_check(name, condition);
    if (condition->dtype != TORCH_BOOL)
        torch_error(name, "where expected condition to be a boolean tensor, but got a tensor "
                          "with dtype %s", dtype_name(condition->dtype));
    tensor_check_dtype(name, a, TORCH_FLOAT32);
    tensor_check_dtype(name, b, TORCH_FLOAT32);
    /* libtorch broadcasts in operand order: the condition with a, then with b */
    Shape shape = broadcast_shapes(name, broadcast_shapes(name, condition->shape, a->shape),
                                   b->shape);
    Tensor *out = tensor_alloc(shape, TORCH_FLOAT32);
    elementwise_kernel(&(ElementwiseOp){.kind = EW_WHERE, .n_operands = 4,
                                        .operand = {out, condition, a, b}});
    torch_record(&(TorchOp){.kind = TORCH_OP_WHERE, .out = out, .n_in = 2, .in = {a, b},
                            .extra = condition});
    return out;
}

/* ======================================================================================== */
/* In place                                                                                 */
/* ======================================================================================== */

Tensor *torch_add_(Tensor *t, Tensor *other) {
    return binary_inplace("torch_add_", B_ADD, t, other);
}
/* R: w$sub_(learning_rate * w$grad). */
Tensor *torch_sub_(Tensor *t, Tensor *other) {
    return binary_inplace("torch_sub_", B_SUB, t, other);
}
Tensor *torch_mul_(Tensor *t, Tensor *other) {
    return binary_inplace("torch_mul_", B_MUL, t, other);
}

/* R: x$mul_(s). */
Tensor *torch_mul_scalar_(Tensor *t, float s) {
    const char *name = "torch_mul_scalar_";
    tensor_check_dtype(name, t, TORCH_FLOAT32);
    check_no_internal_overlap(name, t);
    torch_before_inplace(name, t);
    elementwise_kernel(&(ElementwiseOp){.kind = EW_UNARY, .op = U_MUL, .s = s, .n_operands = 2,
                                        .operand = {t, t}});
    return t;
}

/* R: x$fill_(value). */
Tensor *torch_fill_(Tensor *t, float value) { return fill_inplace("torch_fill_", t, value); }
/* R: w$grad$zero_(). */
Tensor *torch_zero_(Tensor *t) { return fill_inplace("torch_zero_", t, 0.0f); }

/* ======================================================================================== */
/* What the public functions share                                                          */
/* ======================================================================================== */

/* a (*), b (*) -> out (the broadcast shape), recorded as `kind` for autograd. */
static Tensor *binary_op(const char *name, BinaryOp op, TorchOpKind kind, Tensor *a,
                         Tensor *b) {
    Shape shape;
    check_binary(name, a, b, &shape);
    Tensor *out = tensor_alloc_p(&shape, TORCH_FLOAT32);
    elementwise_kernel(&(ElementwiseOp){.kind = EW_BINARY, .op = op, .n_operands = 3,
                                        .operand = {out, a, b}});
    torch_record(&(TorchOp){.kind = kind, .out = out, .n_in = 2, .in = {a, b}});
    return out;
}

/* a (*) -> out (*) = f(a) with scalars s, s2, recorded as `kind` with .scalar = s and
 * .scalar2 = s2 (the scalar operand, the exponent, the clamp bounds). */
static Tensor *unary_op(const char *name, UnaryOp op, TorchOpKind kind, Tensor *a, float s,
                        float s2) {
    tensor_check_dtype(name, a, TORCH_FLOAT32);
    Tensor *out = tensor_alloc(a->shape, TORCH_FLOAT32);
    elementwise_kernel(&(ElementwiseOp){.kind = EW_UNARY, .op = op, .s = s, .s2 = s2,
                                        .n_operands = 2, .operand = {out, a}});
    torch_record(&(TorchOp){.kind = kind, .out = out, .n_in = 1, .in = {a}, .scalar = s,
                            .scalar2 = s2});
    return out;
}

/* a (*), b (*) float32 -> out (broadcast shape) bool. Not differentiable: nothing recorded. */
static Tensor *compare_op(const char *name, CompareOp op, Tensor *a, Tensor *b) {
    Shape shape;
    check_binary(name, a, b, &shape);
    Tensor *out = tensor_alloc_p(&shape, TORCH_BOOL);
    elementwise_kernel(&(ElementwiseOp){.kind = EW_COMPARE, .op = op, .n_operands = 3,
                                        .operand = {out, a, b}});
    return out;
}

/* A 0-dim float32 tensor over *value whose header and storage record are the caller's (on
 * its stack: never returned, freed or recorded): a scalar operand that allocates nothing. */
static Tensor scalar_on_stack(float *value, Storage *storage) {
    *storage = (Storage){.data = value, .nbytes = sizeof *value, .refcount = 1};
    return (Tensor){.magic = TENSOR_ALIVE, .dtype = TORCH_FLOAT32, .shape = SHAPE_SCALAR,
                    .storage = storage};
}

/* a (*) float32, a float s -> out (*) bool. The scalar becomes a 0-dim operand on the stack,
 * so that h < 0 allocates only its result. */
static Tensor *compare_scalar_op(const char *name, CompareOp op, Tensor *a, float s) {
    tensor_check_dtype(name, a, TORCH_FLOAT32);
    Storage storage;
    Tensor scalar = scalar_on_stack(&s, &storage);
    return compare_op(name, op, a, &scalar);
}

/* t op= other, other broadcast to t's shape; t keeps its shape. Not recorded: autograd
 * (stage 2) is told through torch_before_inplace, which also bumps t's version. */
static Tensor *binary_inplace(const char *name, BinaryOp op, Tensor *t, Tensor *other) {
    tensor_check_dtype(name, t, TORCH_FLOAT32);
    tensor_check_dtype(name, other, TORCH_FLOAT32);
    check_no_internal_overlap(name, t);
    if (!shape_equal_p(&t->shape, &other->shape)) /* equal shapes broadcast to t's: no check */
        check_inplace_shape(name, t, broadcast_shapes(name, t->shape, other->shape));
    check_no_partial_overlap(name, t, other);
    torch_before_inplace_from(name, t, other);
    elementwise_kernel(&(ElementwiseOp){.kind = EW_BINARY, .op = op, .n_operands = 3,
                                        .operand = {t, t, other}});
    return t;
}

/* Sets every element of t (any dtype) to value, converted as torch_to_dtype converts. An
 * expanded t is allowed (libtorch's fill_ allows it): every write stores the same value. */
static Tensor *fill_inplace(const char *name, Tensor *t, float value) {
    tensor_check(name, t);
    torch_before_inplace(name, t);
    if (t->dtype == TORCH_FLOAT32) {
        elementwise_kernel(&(ElementwiseOp){.kind = EW_UNARY, .op = U_FILL, .s = value,
                                            .n_operands = 2, .operand = {t, t}});
        return t;
    }
    /* int64 and bool: a copy of the value, as a 0-dim float32 operand, converted on the way */
    Storage storage;
    Tensor scalar = scalar_on_stack(&value, &storage);
    tensor_copy_elements(t, &scalar);
    return t;
}

/* a and b are float32 tensors that broadcast together; *shape = their broadcast shape
 * (through a pointer: shape_copy in internal.h says why). */
static void check_binary(const char *name, const Tensor *a, const Tensor *b, Shape *shape) {
    tensor_check_dtype(name, a, TORCH_FLOAT32);
    tensor_check_dtype(name, b, TORCH_FLOAT32);
    if (shape_equal_p(&a->shape, &b->shape)) shape_copy(shape, &a->shape); /* the usual case */
    else *shape = broadcast_shapes(name, a->shape, b->shape);
}

/* mask is a bool tensor (libtorch 2.x's wording; 1.13 silently read other dtypes as bytes). */
static void check_mask(const char *name, const Tensor *mask) {
    tensor_check(name, mask);
    static const char *cpp_names[] = {[TORCH_FLOAT32] = "float", [TORCH_INT64] = "long",
                                      [TORCH_BOOL] = "bool"};
    if (mask->dtype != TORCH_BOOL)
        torch_error(name, "masked_fill_ only supports boolean masks, but got mask with dtype %s",
                    cpp_names[mask->dtype]);
}

/* An in-place op writes t, so the broadcast shape of its operands must be t's own. */
static void check_inplace_shape(const char *name, const Tensor *t, Shape broadcast) {
    if (!shape_equal(t->shape, broadcast)) {
        char st[128], sb[128];
        torch_error(name, "output with shape %s doesn't match the broadcast shape %s",
                    shape_str(t->shape, st, sizeof st), shape_str(broadcast, sb, sizeof sb));
    }
}

/* The range [*lo, *hi] of storage elements that t can touch. */
static void storage_range(const Tensor *t, int64_t *lo, int64_t *hi) {
    *lo = *hi = t->offset;
    for (int d = 0; d < t->shape.ndim; d++) {
        int64_t span = (t->shape.size[d] - 1) * t->stride[d];
        if (span < 0) *lo += span;
        else *hi += span;
    }
}

/* An in-place op reads `other` while it writes t: if other is another view of the memory
 * being written, some of its elements would change before they are read. The same view (t
 * itself, x$add_(x)) is fine: each element is read before it is written. libtorch raises the
 * same error; it lets an expanded `other` through, which we reject too, to never compute a
 * result that depends on the loop order. */
static void check_no_partial_overlap(const char *name, const Tensor *t, const Tensor *other) {
    if (other->storage != t->storage || shape_numel(t->shape) == 0 ||
        shape_numel(other->shape) == 0)
        return;
    bool same_view = other->offset == t->offset && shape_equal(other->shape, t->shape);
    for (int d = 0; same_view && d < t->shape.ndim; d++)
        same_view = t->shape.size[d] == 1 || other->stride[d] == t->stride[d];
    if (same_view) return;
    int64_t tlo, thi, olo, ohi;
    storage_range(t, &tlo, &thi);
    storage_range(other, &olo, &ohi);
    if (olo <= thi && tlo <= ohi)
        torch_error(name, "unsupported operation: some elements of the input tensor and the "
                          "written-to tensor refer to a single memory location. Please clone() "
                          "the tensor before performing the operation.");
}

/* ======================================================================================== */
/* The kernel: one strided walk                                                             */
/* ======================================================================================== */

/* Computes one position of e's output, given the element offset of that position in each
 * operand (counted from its element 0): reads the inputs there, applies the kind's formula
 * (elementwise_ops.h), writes the result. */
static void elementwise_at(const ElementwiseOp *e, const int64_t *offset) {
    const Tensor *const *t = e->operand;
    switch (e->kind) {
    case EW_UNARY: {
        float a = tensor_f32(t[1])[offset[1]];
        tensor_f32(t[0])[offset[0]] = unary_apply((UnaryOp)e->op, a, e->s, e->s2);
        return;
    }
    case EW_BINARY: {
        float a = tensor_f32(t[1])[offset[1]], b = tensor_f32(t[2])[offset[2]];
        tensor_f32(t[0])[offset[0]] = binary_apply((BinaryOp)e->op, a, b);
        return;
    }
    case EW_COMPARE: {
        float a = tensor_f32(t[1])[offset[1]], b = tensor_f32(t[2])[offset[2]];
        tensor_bool(t[0])[offset[0]] = compare_apply((CompareOp)e->op, a, b);
        return;
    }
    case EW_MASKED_FILL: {
        float a = tensor_f32(t[1])[offset[1]];
        bool mask = tensor_bool(t[2])[offset[2]];
        tensor_f32(t[0])[offset[0]] = masked_fill_apply(mask, a, e->s);
        return;
    }
    case EW_THRESHOLD_BACKWARD: {
        float grad = tensor_f32(t[1])[offset[1]], x = tensor_f32(t[2])[offset[2]];
        tensor_f32(t[0])[offset[0]] = threshold_backward_apply(grad, x, e->s);
        return;
    }
    case EW_WHERE: {
        bool condition = tensor_bool(t[1])[offset[1]];
        float a = tensor_f32(t[2])[offset[2]], b = tensor_f32(t[3])[offset[3]];
        tensor_f32(t[0])[offset[0]] = where_apply(condition, a, b);
        return;
    }
    }
}

/* The reference kernel (elementwise_ops.h): visits every position of the output in row-major
 * order; the walk keeps each operand's offset of that position (a broadcast operand has
 * stride 0 along the dims it stretches, so it keeps reading the same element). */
void elementwise_reference(const ElementwiseOp *e) {
    const Shape *shape = &e->operand[0]->shape;
    int64_t n = shape_numel_p(shape);
    StridedWalk w;
    walk_start(&w, shape, e->n_operands, e->operand);
    for (int64_t p = 0; p < n; p++, walk_next(&w)) elementwise_at(e, w.offset);
}

/* The seam (backend.h): every op above runs here, on the build's backend. */
static void elementwise_kernel(const ElementwiseOp *e) {
#if CTORCH_FAST
    fast_elementwise(e);
#else
    elementwise_reference(e);
#endif
}

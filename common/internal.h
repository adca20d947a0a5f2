/*
 * internal.h: helpers for the kernel's own source files (not part of the public API).
 * Every operation follows the same three steps:
 *   1. check its inputs (tensor_check, dim_wrap, broadcast_shapes) and raise libtorch's error;
 *   2. allocate the result (tensor_alloc) or make a view (tensor_view_of);
 *   3. compute, then describe the op to autograd (torch_record).
 */
#ifndef CTORCH_INTERNAL_H
#define CTORCH_INTERNAL_H

#include "autograd_hook.h"
#include "tensor.h"

/* The library's two compiler hints (GCC and Clang): a small function that must be inlined
 * into each caller (each instruction set's copy of a fast loop, say), and a rarely taken path
 * kept out of line so that the common path stays short. */
#define ALWAYS_INLINE static inline __attribute__((always_inline))
#define COLD __attribute__((cold, noinline))

#define TENSOR_ALIVE 0x7E750A11u
#define TENSOR_DEAD 0xDEADBEEFu

/* A new contiguous tensor with its own (uninitialised) storage, owned by the current scope.
 * Its shape is checked by check_new_shape under the name "torch_empty". Inline, around a
 * function that takes the shape by pointer: a Shape passed by value would be copied to the
 * stack in 16-byte pieces right after its maker wrote it a size at a time (shape_copy says
 * why that stalls); inlined, the callee reads the caller's own Shape. */
Tensor *tensor_alloc_p(const Shape *shape, Dtype dtype);
static inline Tensor *tensor_alloc(Shape shape, Dtype dtype) {
    return tensor_alloc_p(&shape, dtype);
}
/* Stops with libtorch's error if `shape` cannot be a new tensor's: more than TORCH_MAX_DIMS
 * dims, a negative size ("Trying to create tensor with negative dimension -1: [-1, 3]"), or
 * more bytes than an int64 counts ("Storage size calculation overflowed with sizes=[...]").
 * Creation functions call it first, so the error names them. */
void check_new_shape(const char *op, Shape shape, Dtype dtype);
/* A new tensor header sharing base's storage: the building block of every view. Inline around
 * a function that takes the shape by pointer, as tensor_alloc. */
Tensor *tensor_view_of_p(Tensor *base, const Shape *shape, const int64_t *stride,
                         int64_t offset);
static inline Tensor *tensor_view_of(Tensor *base, Shape shape, const int64_t *stride,
                                     int64_t offset) {
    return tensor_view_of_p(base, &shape, stride, offset);
}

/* Stops with a clear error if t is NULL or was released. `op` names the calling function.
 * Every op calls it for every operand, so the test is inline and the error is not. */
void tensor_check_failed(const char *op, const Tensor *t);
static inline void tensor_check(const char *op, const Tensor *t) {
    if (t == NULL || t->magic != TENSOR_ALIVE) tensor_check_failed(op, t);
}
/* Same, and t must have the given dtype ("expected scalar type Float but found Long"). Inline
 * too, with the dtype error out of line. */
_Noreturn void tensor_check_dtype_failed(const char *op, const Tensor *t, Dtype dtype);
static inline void tensor_check_dtype(const char *op, const Tensor *t, Dtype dtype) {
    tensor_check(op, t);
    if (t->dtype != dtype) tensor_check_dtype_failed(op, t, dtype);
}

/* The bytes of one element (1 for an invalid dtype). Inline: every new tensor asks. */
static inline size_t dtype_size(Dtype dtype) {
    switch (dtype) {
    case TORCH_FLOAT32: return sizeof(float);
    case TORCH_INT64: return sizeof(int64_t);
    case TORCH_BOOL: return sizeof(bool);
    }
    return 1;
}
const char *dtype_name(Dtype dtype); /* "Float", "Long", "Bool" as libtorch names them */

/* Converts n elements, src[i * ss] of src_dtype -> dst[i * ds] of dst_dtype (strides in
 * elements), as libtorch converts them on x86-64: float -> int64 truncates, and gives
 * INT64_MIN for NaN, infinities and values out of range; -> bool is "not zero" (convert.c).
 * One element is n = 1. dst and src do not overlap. */
void dtype_convert(void *dst, Dtype dst_dtype, int64_t ds, const void *src, Dtype src_dtype,
                   int64_t ss, int64_t n);

/* Row-major strides of a contiguous tensor of this shape. */
void contiguous_strides(Shape shape, int64_t *stride);

/* shape_numel, shape_equal and contiguous_strides, inline and with the shapes by pointer, for
 * the paths every op takes: a Shape is 72 bytes, and passing one by value copies it, even to
 * an inline function. The out-of-line functions call these. */
static inline int64_t shape_numel_p(const Shape *s) {
    int64_t n = 1;
    for (int i = 0; i < s->ndim; i++) n *= s->size[i];
    return n;
}
static inline bool shape_equal_p(const Shape *a, const Shape *b) {
    if (a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->size[i] != b->size[i]) return false;
    return true;
}
/* *dst = *src, its ndim sizes one at a time (the sizes past ndim are left as they were: nothing
 * reads them); sizes_copy does the same for n sizes or strides. Not a struct assignment,
 * which the compiler makes of 16-byte moves: a shape was usually just written by its maker a
 * size (8 bytes) at a time, and a load that spans two stores still on their way to the cache
 * must wait for both to get there (a store-forwarding stall, a dozen cycles or more), where a
 * load of exactly one store takes its value at once.
 * The same goes for any small struct written a field at a time and read as a whole soon
 * after: a TorchOp (graph.c, views.c) or a Shape passed or returned by value. */
static inline void sizes_copy(int64_t *dst, const int64_t *src, int n) {
    /* volatile: exactly one 8-byte load per size (the compiler would otherwise merge pairs) */
    for (int i = 0; i < n; i++) dst[i] = ((const volatile int64_t *)src)[i];
}
static inline void shape_copy(Shape *dst, const Shape *src) {
    dst->ndim = src->ndim;
    sizes_copy(dst->size, src->size, src->ndim);
}
static inline void contiguous_strides_p(const Shape *shape, int64_t *stride) {
    uint64_t s = 1; /* unsigned: an empty tensor's sizes may multiply past int64 (its strides
                     * wrap then, as libtorch's do; with no element, nothing reads them) */
    for (int i = shape->ndim - 1; i >= 0; i--) {
        stride[i] = (int64_t)s;
        s *= (uint64_t)(shape->size[i] > 0 ? shape->size[i] : 1);
    }
}

/* Wraps a possibly negative dim into [0, ndim), or raises libtorch's
 * "Dimension out of range (expected to be in range of [-2, 1], but got 5)".
 * A 0-dim tensor accepts dims -1 and 0, as libtorch does. */
int dim_wrap(const char *op, int dim, int ndim);

/* The broadcast shape of a and b, or libtorch's error "The size of tensor a (3) must match
 * the size of tensor b (4) at non-singleton dimension 1". */
Shape broadcast_shapes(const char *op, Shape a, Shape b);

/* Typed pointers to element 0 of a tensor (its storage plus offset). */
static inline float *tensor_f32(const Tensor *t) { return (float *)t->storage->data + t->offset; }
static inline int64_t *tensor_i64(const Tensor *t) {
    return (int64_t *)t->storage->data + t->offset;
}
static inline bool *tensor_bool(const Tensor *t) { return (bool *)t->storage->data + t->offset; }
/* The same, untyped, for code that works on any dtype. */
static inline void *tensor_data(const Tensor *t) {
    return (char *)t->storage->data + (size_t)t->offset * dtype_size(t->dtype);
}

/* Offset (in elements, from element 0) of the element with this row-major linear index: for
 * reading single elements. To go through many, walk them (walk.h). */
int64_t strided_offset(const Tensor *t, int64_t linear);

/* Whether two of t's positions are one memory location: a stride 0 along a dim of size > 1
 * (an expanded view). Writing such a t would write one element twice. */
bool tensor_has_internal_overlap(const Tensor *t);
/* Stops with libtorch's error when t, about to be written, has internal overlap. */
void check_no_internal_overlap(const char *op, const Tensor *t);

/* dst <- src, position by position: src broadcasts to dst's shape and its elements convert
 * to dst's dtype (dtype_convert). No checks, nothing recorded (views.c). */
void tensor_copy_elements(Tensor *dst, const Tensor *src);

/* A contiguous copy of t with the same dtype (t itself when already contiguous), for
 * kernels that want flat loops. Not recorded for autograd. */
Tensor *tensor_contiguous_raw(Tensor *t);

/* ---- rolling back after an error (error.c; the guarantee is in error.h) ------------------- */

/* A depth that begin/end pairs open and close (scopes, with_no_grad), tracked so that an error
 * brings it back to what it was when the catch was armed: unwind_to(d) closes what was opened
 * above depth d (it does nothing when the depth is d or less) and must not raise an error. */
typedef struct TorchTracked {
    int (*depth)(void);
    void (*unwind_to)(int depth);
} TorchTracked;
/* Registers t (once; later calls do nothing). Before that, its depth counts as 0. */
void torch_track(const TorchTracked *t);

/* An operation in progress that an error must undo (a backward walk writes gradients). The
 * operation embeds a TorchUndo in a struct of its own frame, pushes it before its first
 * change and pops it when done; an error passing through calls undo(self) (after popping it),
 * with every scope still open, and must not raise an error itself. */
typedef struct TorchUndo {
    void (*undo)(struct TorchUndo *self);
    struct TorchUndo *below;
} TorchUndo;
void torch_undo_push(TorchUndo *u, void (*undo)(TorchUndo *self));
void torch_undo_pop(TorchUndo *u);

/* A parallel kernel's worker thread arms its own catch (NULL disarms; returns the previous
 * one), so that an error found there jumps back to the worker's frame, rolls nothing back,
 * and leaves its message in that thread's torch_last_error(). */
jmp_buf *torch_catch_worker_errors(jmp_buf *target);
/* Raises an error whose whole text ("op: message") is already made: a worker's, again on the
 * calling thread. */
_Noreturn void torch_error_again(const char *message);

#endif

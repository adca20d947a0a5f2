/*
 * tensor.h: the ctorch tensor kernel, the part of torch that chapter 1 teaches.
 *
 * Read this header top to bottom as a tour: shapes, memory, creation, random numbers,
 * indexing and views, arithmetic, reductions, matrix products, printing, errors.
 *
 * Conventions (see docs/r-to-c.md for the full R-to-C map):
 *   - Names follow R torch: torch_randn(n, d_in) in R is torch_randn(SHAPE(n, d_in)) here.
 *   - Dimensions are 0-based: R's x$sum(dim = 1) is torch_sum_dim(x, 0, false).
 *   - A trailing underscore marks an in-place operation (torch_sub_, torch_zero_).
 *   - float32 is the computing type; bool masks and int64 indices exist where needed.
 *   - Every function that returns a Tensor * returns a new tensor (or a view) that belongs to
 *     the innermost open scope (see "Memory" below), so expressions nest without frees:
 *         Tensor *y_pred = torch_add(torch_mm(h_relu, w2), b2);
 *   - Bad input (wrong shapes, a released tensor, ...) calls the error handler with a message
 *     worded like libtorch's; the default handler prints it and exits with status 1.
 */
#ifndef CTORCH_TENSOR_H
#define CTORCH_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---------------------------------------------------------------------------------------- */
/* Shapes and data types                                                                    */
/* ---------------------------------------------------------------------------------------- */

#define TORCH_MAX_DIMS 8

/* A shape is a small value type: SHAPE(100, 3) is a 100 x 3 matrix, SHAPE_SCALAR a 0-dim. */
typedef struct Shape {
    int ndim;
    int64_t size[TORCH_MAX_DIMS];
} Shape;

#define SHAPE(...)                                                                         \
    ((Shape){(int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), {__VA_ARGS__}})
#define SHAPE_SCALAR ((Shape){0, {0}})

/* R: torch_float(), torch_long(), torch_bool(). */
typedef enum Dtype { TORCH_FLOAT32, TORCH_INT64, TORCH_BOOL } Dtype;

/* Storage is the flat buffer behind one or more tensors (a tensor and its views share it). */
typedef struct Storage {
    void *data;
    size_t nbytes;
    int refcount;     /* how many tensors point here; the buffer is recycled at 0 */
    uint32_t version; /* bumped by every in-place change through any view; autograd checks it */
} Storage;

struct AutogradMeta; /* defined by stage 2; the kernel only carries the pointer */

/*
 * A tensor is a strided view of a storage: element (i, j) of a 2-d tensor lives at
 * data[offset + i * stride[0] + j * stride[1]]. Read its fields through the accessors
 * below; write them only through the API.
 */
typedef struct Tensor {
    uint32_t magic; /* TENSOR_ALIVE while usable; catches use after release */
    Dtype dtype;
    Shape shape;
    int64_t stride[TORCH_MAX_DIMS]; /* in elements */
    int64_t offset;                 /* in elements, from the start of the storage */
    Storage *storage;
    int scope;        /* depth of the scope that owns this tensor; 0 = lives until freed */
    struct Tensor *scope_prev, *scope_next; /* the owning scope's list */
    struct AutogradMeta *autograd;  /* NULL unless stage 2 attached gradient state */
} Tensor;

int64_t torch_numel(const Tensor *t);
int torch_dim(const Tensor *t);                   /* R: x$dim() */
int64_t torch_size(const Tensor *t, int dim);     /* R: x$size(dim + 1); negative dims ok */
Shape torch_shape(const Tensor *t);               /* R: x$shape */
Dtype torch_dtype(const Tensor *t);
bool torch_is_contiguous(const Tensor *t);
int64_t torch_stride(const Tensor *t, int dim);   /* R: x$stride()[dim + 1]; in elements */
int64_t torch_storage_offset(const Tensor *t);    /* R: x$storage_offset(); in elements */
const void *torch_data_ptr(const Tensor *t);      /* R: x$storage()$data_ptr(): where the
                                                     storage starts, shared by every view */
bool shape_equal(Shape a, Shape b);
int64_t shape_numel(Shape s);
/* Writes "100x3" (libtorch's matrix style) or "[100, 3]" into buf; returns buf. */
char *shape_str_x(Shape s, char *buf, size_t len);
char *shape_str(Shape s, char *buf, size_t len);

/* ---------------------------------------------------------------------------------------- */
/* Memory: two lifetimes                                                                    */
/* ---------------------------------------------------------------------------------------- */
/*
 * A tensor made while no scope is open (data, parameters, optimizer state) lives until
 * torch_free. A tensor made inside a scope (an epoch's temporaries and autograd graph) is
 * released when that scope ends. So a training loop reads like R:
 *
 *     for (int t = 1; t <= epochs; t++) {
 *         torch_scope_begin();
 *         Tensor *h = torch_add(torch_mm(x, w1), b1);     // released at scope end
 *         ...
 *         torch_assign(&w1, torch_sub(w1, torch_mul_scalar(grad_w1, learning_rate)));
 *         torch_scope_end();
 *     }
 *
 * Released headers are poisoned (and, in debug builds and poison mode below, their buffers
 * too), so using a released tensor stops with "... was used after it was released" instead of
 * a crash. A caught error closes the scopes opened since its catch (error.h).
 */
void torch_scope_begin(void);
void torch_scope_end(void);
int torch_scope_depth(void); /* 0 when no scope is open */
/* Moves t out of its scope: it now lives until torch_free. Returns t. */
Tensor *torch_keep(Tensor *t);
/* R's `var <- value` for a long-lived variable: keeps value, frees the old *var. */
void torch_assign(Tensor **var, Tensor *value);
/* Releases a tensor now (a scoped one too). NULL is ignored. */
void torch_free(Tensor *t);
/* Counters for tests and benchmarks: live tensors and bytes, and the peak of bytes. */
typedef struct TorchMemoryStats {
    int64_t live_tensors;
    int64_t live_bytes;     /* bytes of storages referenced by live tensors */
    int64_t peak_bytes;
    int64_t cached_bytes;   /* released buffers kept for reuse */
    int64_t mallocs;        /* buffers obtained from the system so far */
} TorchMemoryStats;
TorchMemoryStats torch_memory_stats(void);
/* Frees every buffer cached for reuse (a long-lived process can call it between phases). */
void torch_memory_trim(void);
/* Poison mode, for learners and graders: a released tensor's buffer is filled at once with
 * quiet NaN (float32), 0xDEADBEEFDEADBEEF (int64) or bytes 0xDE (bool), and held back from
 * reuse for the next 64 MB of releases. A raw pointer kept past its tensor's release (a
 * forgotten torch_keep) then reads NaN, never a newer tensor's plausible numbers, and using the
 * released tensor itself still stops with "... was used after it was released". Costs a fill
 * per release and the held-back memory. Off by default; the environment variable
 * CTORCH_POISON=1 turns it on at start (tools/grade.py and ./course check set it), or call: */
void torch_set_poison(bool on);
bool torch_poison_enabled(void);

/* ---------------------------------------------------------------------------------------- */
/* Creation                                                                                 */
/* ---------------------------------------------------------------------------------------- */
Tensor *torch_empty(Shape shape);                          /* float32, contents undefined */
Tensor *torch_empty_dtype(Shape shape, Dtype dtype);
Tensor *torch_zeros(Shape shape);                          /* R: torch_zeros(2, 3) */
Tensor *torch_ones(Shape shape);
Tensor *torch_full(Shape shape, float value);
Tensor *torch_tensor(Shape shape, const float *values);    /* copies numel values, row-major */
Tensor *torch_tensor_i64(Shape shape, const int64_t *values);
Tensor *torch_tensor_bool(Shape shape, const bool *values);
Tensor *torch_scalar(float value);                         /* a 0-dim tensor */
/* R: torch_arange(start, end, step): start, start + step, ... up to end, which is included
 * as in R torch (libtorch's own arange excludes it). torch_arange(1, 5, 1) is 1 2 3 4 5. */
Tensor *torch_arange(double start, double end, double step);
Tensor *torch_eye(int64_t n);
Tensor *torch_zeros_like(const Tensor *t);
Tensor *torch_ones_like(const Tensor *t);

/* ---------------------------------------------------------------------------------------- */
/* Random numbers, drawn exactly as libtorch draws them (docs/internals/random.md)          */
/* ---------------------------------------------------------------------------------------- */
void torch_manual_seed(uint64_t seed);
uint64_t torch_initial_seed(void);
Tensor *torch_rand(Shape shape);                           /* uniform on [0, 1) */
Tensor *torch_randn(Shape shape);                          /* standard normal */
Tensor *torch_randint(int64_t low, int64_t high, Shape shape); /* int64 in [low, high) */
Tensor *torch_randperm(int64_t n);                         /* int64 permutation of 0..n-1 */
Tensor *torch_uniform_(Tensor *t, double from, double to); /* in place, returns t */
Tensor *torch_normal_(Tensor *t, double mean, double std); /* in place, returns t */

/* ---------------------------------------------------------------------------------------- */
/* Reading values back                                                                      */
/* ---------------------------------------------------------------------------------------- */
void torch_to_array(Tensor *t, float *out);                /* R: as_array(x): numel floats */
void torch_to_array_i64(Tensor *t, int64_t *out);
float torch_item(Tensor *t);                               /* R: x$item(), one element */
int64_t torch_item_i64(Tensor *t);

/* ---------------------------------------------------------------------------------------- */
/* Indexing and views (no copy: the result shares the storage)                              */
/* ---------------------------------------------------------------------------------------- */
/* R: x[i, ] is torch_select(x, 0, i - 1); negative indices count from the end. */
Tensor *torch_select(Tensor *t, int dim, int64_t index);
/* R: x[, 1, drop = FALSE] (or x[, 1, NULL]) is torch_narrow(x, 1, 0, 1). */
Tensor *torch_narrow(Tensor *t, int dim, int64_t start, int64_t length);
/* R: x[, 2:4] is torch_slice(x, 1, 1, 4, 1): start inclusive, end exclusive, both may be
 * negative (counted from the end) and are clamped to the size as in Python slicing. */
Tensor *torch_slice(Tensor *t, int dim, int64_t start, int64_t end, int64_t step);
Tensor *torch_view(Tensor *t, Shape shape);     /* one size may be -1; needs compatible strides */
Tensor *torch_reshape(Tensor *t, Shape shape);  /* a view when possible, otherwise a copy */
Tensor *torch_squeeze(Tensor *t);               /* drops every size-1 dimension */
Tensor *torch_squeeze_dim(Tensor *t, int dim);
Tensor *torch_unsqueeze(Tensor *t, int dim);
Tensor *torch_transpose(Tensor *t, int dim0, int dim1);
Tensor *torch_t(Tensor *t);                     /* 2-d transpose; 0-d and 1-d unchanged */
Tensor *torch_expand(Tensor *t, Shape shape);   /* broadcast view (stride 0), -1 keeps a size */
Tensor *torch_contiguous(Tensor *t);            /* t itself if already contiguous */
Tensor *torch_clone(Tensor *t);                 /* a contiguous copy */
Tensor *torch_copy_(Tensor *dst, Tensor *src);  /* copies src (broadcast) into dst */
Tensor *torch_to_dtype(Tensor *t, Dtype dtype); /* R: x$to(dtype = torch_float()) */

/* ---------------------------------------------------------------------------------------- */
/* Elementwise arithmetic (broadcasting as torch: align trailing dims, size 1 stretches)    */
/* ---------------------------------------------------------------------------------------- */
Tensor *torch_add(Tensor *a, Tensor *b);
Tensor *torch_sub(Tensor *a, Tensor *b);
Tensor *torch_mul(Tensor *a, Tensor *b);
Tensor *torch_div(Tensor *a, Tensor *b);
Tensor *torch_add_scalar(Tensor *a, float s);   /* R: x + 1 */
Tensor *torch_sub_scalar(Tensor *a, float s);
Tensor *torch_mul_scalar(Tensor *a, float s);   /* R: 2 * x */
Tensor *torch_div_scalar(Tensor *a, float s);
Tensor *torch_neg(Tensor *a);
Tensor *torch_pow(Tensor *a, float exponent);   /* R: x$pow(2) */
Tensor *torch_clamp_min(Tensor *a, float min);  /* R: x$clamp(min = 0) */
Tensor *torch_clamp(Tensor *a, float min, float max);
Tensor *torch_relu(Tensor *a);
Tensor *torch_exp(Tensor *a);
Tensor *torch_log(Tensor *a);
Tensor *torch_sqrt(Tensor *a);
Tensor *torch_abs(Tensor *a);

/* Comparisons give bool tensors (R: h < 0). */
Tensor *torch_lt(Tensor *a, Tensor *b);
Tensor *torch_le(Tensor *a, Tensor *b);
Tensor *torch_gt(Tensor *a, Tensor *b);
Tensor *torch_ge(Tensor *a, Tensor *b);
Tensor *torch_eq(Tensor *a, Tensor *b);
Tensor *torch_ne(Tensor *a, Tensor *b);
Tensor *torch_lt_scalar(Tensor *a, float s);
Tensor *torch_le_scalar(Tensor *a, float s);
Tensor *torch_gt_scalar(Tensor *a, float s);
Tensor *torch_ge_scalar(Tensor *a, float s);
Tensor *torch_eq_scalar(Tensor *a, float s);
Tensor *torch_ne_scalar(Tensor *a, float s);

/* Masked assignment. R: grad_h[h < 0] <- 0 is torch_masked_fill_(grad_h, torch_lt_scalar(h, 0), 0). */
Tensor *torch_masked_fill_(Tensor *t, Tensor *mask, float value);
Tensor *torch_masked_fill(Tensor *t, Tensor *mask, float value);
/* libtorch's threshold_backward (what ReLU's backward runs): grad where x > threshold, else 0;
 * grad and x broadcast. Not recorded for autograd. */
Tensor *torch_threshold_backward(Tensor *grad, Tensor *x, float threshold);
/* R: torch_where(condition, a, b). */
Tensor *torch_where(Tensor *condition, Tensor *a, Tensor *b);

/* In place (each returns t). */
Tensor *torch_add_(Tensor *t, Tensor *other);
Tensor *torch_sub_(Tensor *t, Tensor *other);   /* R: w$sub_(learning_rate * w$grad) */
Tensor *torch_mul_(Tensor *t, Tensor *other);
Tensor *torch_mul_scalar_(Tensor *t, float s);
Tensor *torch_fill_(Tensor *t, float value);
Tensor *torch_zero_(Tensor *t);                 /* R: w$grad$zero_() */

/* ---------------------------------------------------------------------------------------- */
/* Reductions                                                                               */
/* ---------------------------------------------------------------------------------------- */
Tensor *torch_sum(Tensor *a);                                /* 0-dim result */
Tensor *torch_sum_dim(Tensor *a, int dim, bool keepdim);     /* R: x$sum(dim = dim + 1) */
Tensor *torch_mean(Tensor *a);
Tensor *torch_mean_dim(Tensor *a, int dim, bool keepdim);
Tensor *torch_max(Tensor *a);                                /* 0-dim result */
/* Values along dim; if indices is not NULL it receives the int64 argmax (first maximum). */
Tensor *torch_max_dim(Tensor *a, int dim, bool keepdim, Tensor **indices);
Tensor *torch_min(Tensor *a);
Tensor *torch_min_dim(Tensor *a, int dim, bool keepdim, Tensor **indices);
Tensor *torch_argmax(Tensor *a, int dim, bool keepdim);

/* ---------------------------------------------------------------------------------------- */
/* Matrix products                                                                          */
/* ---------------------------------------------------------------------------------------- */
Tensor *torch_mm(Tensor *a, Tensor *b);         /* a (n, k), b (k, m) -> (n, m) */
Tensor *torch_matmul(Tensor *a, Tensor *b);     /* 1-d and 2-d operands, as torch_matmul */
/* bias + a.mm(b), computed as the product first, then the bias added (bias broadcasts). */
Tensor *torch_addmm(Tensor *bias, Tensor *a, Tensor *b);

/* ---------------------------------------------------------------------------------------- */
/* Printing, as R torch prints                                                              */
/* ---------------------------------------------------------------------------------------- */
void torch_print(Tensor *t);                    /* R: print(x), to stdout */
void torch_fprint(FILE *f, Tensor *t);
/* R: print(x, n = n): keeps the first n lines (n = -1: everything). torch_print uses 30. */
void torch_fprint_n(FILE *f, Tensor *t, int n);
/* libtorch's own operator<< text (no "torch_tensor" header, no R truncation). */
void torch_fprint_libtorch(FILE *f, Tensor *t);

/* ---------------------------------------------------------------------------------------- */
/* Threads                                                                                  */
/* ---------------------------------------------------------------------------------------- */
void torch_set_num_threads(int n);   /* R: torch_set_num_threads(n); <= 0 means every core */
int torch_get_num_threads(void);

#include "error.h"

#endif

/*
 * elementwise.c: arithmetic, comparisons, masks, in-place updates and dtype conversion, all
 * computed one element at a time.
 *
 * Every operation here computes out[p] = f(a[p], b[p], ...) at each position p of the output,
 * whose shape is the operands' broadcast shape (torch's rule: align the trailing dims; a size-1
 * dim stretches). A StridedWalk visits the output's positions in row-major order and keeps,
 * for each operand, the offset of that position in its storage. A broadcast operand has
 * stride 0 along the dims it stretches, so it keeps reading the same value. The walk goes one
 * row at a time (the last dim, after merging the dims every operand can step through as one:
 * when every operand is contiguous with the output's shape, the whole tensor is one row), and
 * a row whose strides are all 1, or 1 and 0 (a broadcast scalar or bias), runs as a flat loop
 * that the compiler vectorizes; other rows run a loop with a stride per operand.
 * Every row applies the same one-element formula, so a result never depends on the operands'
 * strides: (a + b) of a transposed view equals the same sum of its contiguous copy, bit for bit.
 * A large op (EW_GRAIN) splits its positions over threads (parallel_for): each position is
 * still computed once, by the same formula, so neither does it depend on the thread count.
 *
 * The formulas are libtorch's CPU kernels' (1.13), so results are libtorch's bit for bit:
 * x.pow(2) is x * x, clamp keeps NaN, division is a true division. The exceptions are exp, log
 * and pow with a general exponent: libtorch calls SLEEF's vectorized functions and we call the
 * C library's; both are accurate to about 1 ULP, and the last bit differs for a few elements.
 *
 * Dtypes: float32 is the computing type. Arithmetic and comparisons take float32 tensors and
 * stop with libtorch's "expected scalar type Float but found Long" for anything else (convert
 * first with torch_to_dtype). Masks and conditions must be bool.
 */
#include "internal.h"
#include "fast/parallel.h"

#include <math.h>
#include <string.h>

/* ======================================================================================== */
/* The general path: a walk over a shape with per-operand strides                           */
/* ======================================================================================== */

#define WALK_MAX_OPERANDS 4 /* where() has the most: out, condition, a, b */

typedef struct StridedWalk {
    Shape shape;                                       /* the shape walked (the output's) */
    int n_ops;                                         /* operands walked together */
    int64_t stride[WALK_MAX_OPERANDS][TORCH_MAX_DIMS]; /* per operand, 0 along broadcast dims */
    int64_t index[TORCH_MAX_DIMS];                     /* the current position */
    int64_t offset[WALK_MAX_OPERANDS]; /* the position's element offset in each operand */
} StridedWalk;

/* Fills stride[] with the strides that read t as a tensor of `shape`, to which t's shape
 * broadcasts: dims are aligned from the right, and a dim that t lacks or has with size 1 gets
 * stride 0, so moving along it keeps reading the same element. */
static void broadcast_strides(const Tensor *t, Shape shape, int64_t *stride) {
    int lead = shape.ndim - t->shape.ndim;
    for (int d = 0; d < shape.ndim; d++) {
        int td = d - lead; /* t's own dim, or negative when t lacks this one */
        stride[d] = (td < 0 || t->shape.size[td] == 1) ? 0 : t->stride[td];
    }
}

/* Whether dims d - 1 and d can be walked as one dim of size[d - 1] * size[d]: for every
 * operand, a step along d - 1 is size[d] steps along d (true of contiguous data, and of a
 * broadcast operand that repeats along both). */
static bool walk_can_merge(const StridedWalk *w, int d) {
    for (int k = 0; k < w->n_ops; k++)
        if (w->stride[k][d - 1] != w->stride[k][d] * w->shape.size[d]) return false;
    return true;
}

/* Whether every operand is contiguous with exactly `shape` (then the walk is one row). */
static bool walk_is_flat(Shape shape, int n_ops, Tensor *const *ops) {
    for (int k = 0; k < n_ops; k++) {
        const Tensor *t = ops[k];
        if (t->shape.ndim != shape.ndim) return false;
        int64_t expected = 1;
        for (int d = shape.ndim - 1; d >= 0; d--) {
            if (t->shape.size[d] != shape.size[d]) return false;
            if (shape.size[d] != 1 && t->stride[d] != expected) return false;
            expected *= shape.size[d];
        }
    }
    return true;
}

/* Starts a walk over `shape` at position 0. ops[0..n_ops) must broadcast to shape; offsets
 * count from each operand's element 0 (tensor_f32(op) and friends). The walk drops size-1
 * dims and merges the dims it can (walk_can_merge): it visits the same positions in the same
 * order, in fewer, longer rows. */
static void walk_start(StridedWalk *w, Shape shape, int n_ops, Tensor *const *ops) {
    w->n_ops = n_ops;
    for (int k = 0; k < WALK_MAX_OPERANDS; k++) w->offset[k] = 0;
    if (walk_is_flat(shape, n_ops, ops)) { /* the common case, in short: one row */
        w->shape = (Shape){1, {shape_numel(shape)}};
        w->index[0] = 0;
        for (int k = 0; k < n_ops; k++) w->stride[k][0] = 1;
        return;
    }
    int64_t full[WALK_MAX_OPERANDS][TORCH_MAX_DIMS];
    for (int k = 0; k < n_ops; k++) broadcast_strides(ops[k], shape, full[k]);
    w->shape.ndim = 0;
    for (int d = 0; d < shape.ndim; d++) {
        if (shape.size[d] == 1) continue;
        int e = w->shape.ndim++;
        w->shape.size[e] = shape.size[d];
        for (int k = 0; k < n_ops; k++) w->stride[k][e] = full[k][d];
        if (e > 0 && walk_can_merge(w, e)) { /* fold dim e into dim e - 1 */
            w->shape.size[e - 1] *= shape.size[d];
            for (int k = 0; k < n_ops; k++) w->stride[k][e - 1] = full[k][d];
            w->shape.ndim--;
        }
    }
    for (int d = 0; d < w->shape.ndim; d++) w->index[d] = 0;
}

/* For ops that may visit positions in any order (each position is computed on its own):
 * when the last dim is short and the one before it is not, swap them, so that the walk goes
 * in a few long rows rather than many short ones (w1's gradient, a transposed (32, 3), is
 * added to w1$grad in 3 rows of 32 instead of 32 rows of 3). */
static void walk_prefer_long_rows(StridedWalk *w) {
    int last = w->shape.ndim - 1;
    if (last < 1 || w->shape.size[last] >= 8 || w->shape.size[last - 1] < 16) return;
    int64_t size = w->shape.size[last];
    w->shape.size[last] = w->shape.size[last - 1];
    w->shape.size[last - 1] = size;
    for (int k = 0; k < w->n_ops; k++) {
        int64_t stride = w->stride[k][last];
        w->stride[k][last] = w->stride[k][last - 1];
        w->stride[k][last - 1] = stride;
    }
}

/* The rows of a walk: each is `walk_row_length` positions along the last (merged) dim, where
 * operand k moves by walk_row_stride(w, k). A 0-dim shape is one row of one position. */
static int64_t walk_row_length(const StridedWalk *w) {
    return w->shape.ndim ? w->shape.size[w->shape.ndim - 1] : 1;
}
static int64_t walk_row_stride(const StridedWalk *w, int k) {
    return w->shape.ndim ? w->stride[k][w->shape.ndim - 1] : 0;
}

/* Moves to the start of the next row (walk_next over every dim but the last); false after
 * the last row. */
static bool walk_next_row(StridedWalk *w) {
    for (int d = w->shape.ndim - 2; d >= 0; d--) {
        for (int k = 0; k < w->n_ops; k++) w->offset[k] += w->stride[k][d];
        if (++w->index[d] < w->shape.size[d]) return true;
        for (int k = 0; k < w->n_ops; k++) w->offset[k] -= w->stride[k][d] * w->shape.size[d];
        w->index[d] = 0;
    }
    return false;
}

/* Moves to the next position in row-major order (the last dim moves fastest), like an
 * odometer: a dim that reaches its size rolls back to 0 and carries into the dim before it. */
static void walk_next(StridedWalk *w) {
    for (int d = w->shape.ndim - 1; d >= 0; d--) {
        for (int k = 0; k < w->n_ops; k++) w->offset[k] += w->stride[k][d];
        if (++w->index[d] < w->shape.size[d]) return;
        for (int k = 0; k < w->n_ops; k++) w->offset[k] -= w->stride[k][d] * w->shape.size[d];
        w->index[d] = 0;
    }
}

/* Moves a walk that is at position 0 to the start of row `row` (rows counted in row-major
 * order from 0): each dim but the last gets its index, each operand the matching offset. */
static void walk_seek_row(StridedWalk *w, int64_t row) {
    for (int d = w->shape.ndim - 2; d >= 0; d--) {
        w->index[d] = row % w->shape.size[d];
        row /= w->shape.size[d];
        for (int k = 0; k < w->n_ops; k++) w->offset[k] += w->index[d] * w->stride[k][d];
    }
}

/* ======================================================================================== */
/* Splitting an op over threads                                                             */
/* ======================================================================================== */

/* Positions per thread, at least: below 2 * EW_GRAIN an op runs on the calling thread (a
 * tutorial-size op, 3,200 positions, never pays for a thread). Starting a thread costs tens
 * of microseconds, about what 100,000 additions take. */
enum { EW_GRAIN = 1 << 16 };

/* An elementwise op ready to run: its walk, and the function that computes one piece of a
 * row, given each operand's offset at the piece's first position (element offsets from
 * data[k]) and the piece's length; operand k moves by step[k] along a row. */
typedef struct EwJob EwJob;
typedef void (*EwPiece)(const EwJob *job, const int64_t *offset, int64_t n);
struct EwJob {
    StridedWalk walk; /* at position 0 */
    EwPiece piece;
    int op;                          /* the UnaryOp, BinaryOp or CompareOp */
    void *data[WALK_MAX_OPERANDS];   /* element 0 of each operand */
    int64_t step[WALK_MAX_OPERANDS]; /* each operand's stride along a row */
    float s, s2;                     /* scalars of unary ops and masked_fill */
};

/* Inlined into each kernel with its own piece function: a direct call, as cheap at the
 * tutorial size as a loop written for that kernel alone. */
#if defined(__GNUC__)
#define EW_INLINE __attribute__((always_inline)) inline
#else
#define EW_INLINE inline
#endif

/* Positions [begin, end) of a job, in row-major order: the rest of the row where begin falls,
 * whole rows, then the start of the row where end falls. w is the walk to move, at position
 * 0 on entry. */
static EW_INLINE void ew_pieces(const EwJob *job, StridedWalk *w, int64_t begin, int64_t end,
                                EwPiece piece) {
    int64_t len = walk_row_length(w), i = 0; /* i: the first position's place in its row */
    if (begin > 0) {
        walk_seek_row(w, begin / len);
        i = begin % len;
    }
    for (int64_t p = begin; p < end; i = 0) {
        int64_t n = len - i < end - p ? len - i : end - p;
        int64_t offset[WALK_MAX_OPERANDS];
        for (int k = 0; k < w->n_ops; k++) offset[k] = w->offset[k] + i * job->step[k];
        piece(job, offset, n);
        p += n;
        if (p < end) walk_next_row(w);
    }
}

/* One thread's share of the job in ctx, with a walk of its own. */
static void ew_range(int64_t begin, int64_t end, void *ctx) {
    const EwJob *job = ctx;
    StridedWalk w = job->walk;
    ew_pieces(job, &w, begin, end, job->piece);
}

/* Whether t (the written operand) has two positions at one memory location (an expanded
 * view, which only fill_ accepts): two threads would then write the same float. */
static bool has_internal_overlap(const Tensor *t) {
    for (int d = 0; d < t->shape.ndim; d++)
        if (t->stride[d] == 0 && t->shape.size[d] > 1) return true;
    return false;
}

/* Runs piece, with the op and scalars given, over every position of `shape`; ops[0] is the
 * output, ops[1..n_ops) the inputs, all broadcastable to shape. A large op is split into one
 * range of positions per thread; a small one runs here, without parallel_for. */
static EW_INLINE void ew_run(Shape shape, int n_ops, Tensor *const *ops, EwPiece piece, int op,
                             float s, float s2) {
    int64_t n = shape_numel_p(&shape);
    if (n == 0) return;
    EwJob job; /* not zeroed: a walk is large, and walk_start sets what is read */
    job.piece = piece;
    job.op = op;
    job.s = s;
    job.s2 = s2;
    for (int k = 0; k < n_ops; k++)
        job.data[k] = ops[k]->dtype == TORCH_BOOL ? (void *)tensor_bool(ops[k])
                                                  : (void *)tensor_f32(ops[k]);
    if (n < 2 * EW_GRAIN && walk_is_flat(shape, n_ops, ops)) { /* one row, here: no walk */
        static const int64_t at_start[WALK_MAX_OPERANDS];
        for (int k = 0; k < n_ops; k++) job.step[k] = 1;
        piece(&job, at_start, n);
        return;
    }
    walk_start(&job.walk, shape, n_ops, ops);
    walk_prefer_long_rows(&job.walk);
    for (int k = 0; k < n_ops; k++) job.step[k] = walk_row_stride(&job.walk, k);
    if (n < 2 * EW_GRAIN || has_internal_overlap(ops[0])) ew_pieces(&job, &job.walk, 0, n, piece);
    else parallel_for(n, EW_GRAIN, ew_range, &job);
}

/* Operand k's data at offset (walk offsets count from each operand's element 0). */
#define EW_F32(job, k, offset) ((float *)(job)->data[k] + (offset)[k])
#define EW_BOOL(job, k, offset) ((bool *)(job)->data[k] + (offset)[k])

/* Wider vectors: the flat loops below are compiled twice, for the baseline instruction set
 * (SSE2 on x86-64: 4 floats per vector) and for AVX2 (8 floats), and run the AVX2 copy when
 * the CPU has it. Each element's formula is the same, so are the bits. */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define EW_AVX2 1
#define EW_TARGET_AVX2 __attribute__((target("avx2")))
static bool cpu_has_avx2(void) {
    static int has = -1;
    if (has < 0) {
        __builtin_cpu_init();
        has = __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    return has;
}
#endif

/* ======================================================================================== */
/* Unary operations (a tensor and up to two float scalars)                                  */
/* ======================================================================================== */

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

/* The one-element formula of each unary op, as libtorch's CPU kernel computes it. */
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

/* out[i] = f(a[i]) for i in [0, n). Called with a constant `op`, this inlines into a loop of
 * its own for that op, which the compiler can vectorize (a switch inside one shared loop would
 * stop it). out may be a (in-place ops). */
static inline void unary_flat(UnaryOp op, float *out, const float *a, int64_t n, float s,
                              float s2) {
    for (int64_t i = 0; i < n; i++) out[i] = unary_apply(op, a[i], s, s2);
}

static inline void unary_flat_switch(UnaryOp op, float *out, const float *a, int64_t n,
                                     float s, float s2) {
    switch (op) {
    case U_ADD: unary_flat(U_ADD, out, a, n, s, s2); break;
    case U_SUB: unary_flat(U_SUB, out, a, n, s, s2); break;
    case U_MUL: unary_flat(U_MUL, out, a, n, s, s2); break;
    case U_DIV: unary_flat(U_DIV, out, a, n, s, s2); break;
    case U_NEG: unary_flat(U_NEG, out, a, n, s, s2); break;
    case U_ABS: unary_flat(U_ABS, out, a, n, s, s2); break;
    case U_EXP: unary_flat(U_EXP, out, a, n, s, s2); break;
    case U_LOG: unary_flat(U_LOG, out, a, n, s, s2); break;
    case U_SQRT: unary_flat(U_SQRT, out, a, n, s, s2); break;
    case U_FILL: unary_flat(U_FILL, out, a, n, s, s2); break;
    case U_COPY: unary_flat(U_COPY, out, a, n, s, s2); break;
    case U_ONE: unary_flat(U_ONE, out, a, n, s, s2); break;
    case U_SQUARE: unary_flat(U_SQUARE, out, a, n, s, s2); break;
    case U_CUBE: unary_flat(U_CUBE, out, a, n, s, s2); break;
    case U_RSQRT: unary_flat(U_RSQRT, out, a, n, s, s2); break;
    case U_RECIPROCAL: unary_flat(U_RECIPROCAL, out, a, n, s, s2); break;
    case U_INV_SQUARE: unary_flat(U_INV_SQUARE, out, a, n, s, s2); break;
    case U_POW: unary_flat(U_POW, out, a, n, s, s2); break;
    case U_CLAMP_MIN: unary_flat(U_CLAMP_MIN, out, a, n, s, s2); break;
    case U_CLAMP: unary_flat(U_CLAMP, out, a, n, s, s2); break;
    }
}

#ifdef EW_AVX2
EW_TARGET_AVX2 static void unary_flat_avx2(UnaryOp op, float *out, const float *a, int64_t n,
                                           float s, float s2) {
    unary_flat_switch(op, out, a, n, s, s2);
}
#endif

static void unary_flat_dispatch(UnaryOp op, float *out, const float *a, int64_t n, float s,
                                float s2) {
#ifdef EW_AVX2
    if (cpu_has_avx2()) {
        unary_flat_avx2(op, out, a, n, s, s2);
        return;
    }
#endif
    unary_flat_switch(op, out, a, n, s, s2);
}

/* One piece of a row of unary_kernel (operands: out, a). */
static void unary_piece(const EwJob *job, const int64_t *offset, int64_t n) {
    UnaryOp op = (UnaryOp)job->op;
    float *o = EW_F32(job, 0, offset);
    const float *x = EW_F32(job, 1, offset);
    int64_t so = job->step[0], sx = job->step[1];
    if (so == 1 && sx == 1) unary_flat_dispatch(op, o, x, n, job->s, job->s2);
    else
        for (int64_t i = 0; i < n; i++) o[i * so] = unary_apply(op, x[i * sx], job->s, job->s2);
}

/* a (broadcastable to out's shape) -> out: out[p] = f(a[p]). out may be a itself. */
static void unary_kernel(UnaryOp op, Tensor *out, Tensor *a, float s, float s2) {
    ew_run(out->shape, 2, (Tensor *[]){out, a}, unary_piece, op, s, s2);
}

/* ======================================================================================== */
/* Binary operations and comparisons (two broadcast tensors)                                */
/* ======================================================================================== */

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

/* out[i] = a[i] op b[i]; a constant `op` makes one vectorizable loop per op (see unary_flat). */
static inline void binary_flat(BinaryOp op, float *out, const float *a, const float *b,
                               int64_t n) {
    for (int64_t i = 0; i < n; i++) out[i] = binary_apply(op, a[i], b[i]);
}

/* One row of a walk: out[i * so] = x[i * sx] op y[i * sy] for i in [0, n). The common
 * stride patterns get loops of their own that vectorize: everything contiguous, and one
 * operand broadcast along the row (stride 0: a scalar, or a bias repeated down a column). */
static inline void binary_row(BinaryOp op, float *out, int64_t so, const float *x, int64_t sx,
                              const float *y, int64_t sy, int64_t n) {
    if (so == 1 && sx == 1 && sy == 1) {
        binary_flat(op, out, x, y, n);
    } else if (so == 1 && sx == 1 && sy == 0) {
        float yv = *y;
        for (int64_t i = 0; i < n; i++) out[i] = binary_apply(op, x[i], yv);
    } else if (so == 1 && sx == 0 && sy == 1) {
        float xv = *x;
        for (int64_t i = 0; i < n; i++) out[i] = binary_apply(op, xv, y[i]);
    } else {
        for (int64_t i = 0; i < n; i++) out[i * so] = binary_apply(op, x[i * sx], y[i * sy]);
    }
}

static inline void binary_row_switch(BinaryOp op, float *out, int64_t so, const float *x,
                                     int64_t sx, const float *y, int64_t sy, int64_t n) {
    switch (op) {
    case B_ADD: binary_row(B_ADD, out, so, x, sx, y, sy, n); break;
    case B_SUB: binary_row(B_SUB, out, so, x, sx, y, sy, n); break;
    case B_MUL: binary_row(B_MUL, out, so, x, sx, y, sy, n); break;
    case B_DIV: binary_row(B_DIV, out, so, x, sx, y, sy, n); break;
    }
}

#ifdef EW_AVX2
EW_TARGET_AVX2 static void binary_row_avx2(BinaryOp op, float *out, int64_t so, const float *x,
                                           int64_t sx, const float *y, int64_t sy, int64_t n) {
    binary_row_switch(op, out, so, x, sx, y, sy, n);
}
#endif

static void binary_row_dispatch(BinaryOp op, float *out, int64_t so, const float *x,
                                int64_t sx, const float *y, int64_t sy, int64_t n) {
#ifdef EW_AVX2
    if (cpu_has_avx2()) {
        binary_row_avx2(op, out, so, x, sx, y, sy, n);
        return;
    }
#endif
    binary_row_switch(op, out, so, x, sx, y, sy, n);
}

/* One piece of a row of binary_kernel (operands: out, a, b). */
static void binary_piece(const EwJob *job, const int64_t *offset, int64_t n) {
    binary_row_dispatch((BinaryOp)job->op, EW_F32(job, 0, offset), job->step[0],
                        EW_F32(job, 1, offset), job->step[1], EW_F32(job, 2, offset),
                        job->step[2], n);
}

/* a, b (both broadcastable to out's shape) -> out: out[p] = a[p] op b[p]. out may be a. */
static void binary_kernel(BinaryOp op, Tensor *out, Tensor *a, Tensor *b) {
    ew_run(out->shape, 3, (Tensor *[]){out, a, b}, binary_piece, op, 0, 0);
}

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

static inline void compare_flat(CompareOp op, bool *out, const float *a, const float *b,
                                int64_t n) {
    for (int64_t i = 0; i < n; i++) out[i] = compare_apply(op, a[i], b[i]);
}

/* One row of a walk, as binary_row: out[i * so] = x[i * sx] op y[i * sy]. Comparing with a
 * scalar (sy == 0, as in h < 0) gets a loop of its own. */
static inline void compare_row(CompareOp op, bool *out, int64_t so, const float *x, int64_t sx,
                               const float *y, int64_t sy, int64_t n) {
    if (so == 1 && sx == 1 && sy == 1) {
        compare_flat(op, out, x, y, n);
    } else if (so == 1 && sx == 1 && sy == 0) {
        float yv = *y;
        for (int64_t i = 0; i < n; i++) out[i] = compare_apply(op, x[i], yv);
    } else {
        for (int64_t i = 0; i < n; i++) out[i * so] = compare_apply(op, x[i * sx], y[i * sy]);
    }
}

static inline void compare_row_switch(CompareOp op, bool *out, int64_t so, const float *x,
                                      int64_t sx, const float *y, int64_t sy, int64_t n) {
    switch (op) {
    case C_LT: compare_row(C_LT, out, so, x, sx, y, sy, n); break;
    case C_LE: compare_row(C_LE, out, so, x, sx, y, sy, n); break;
    case C_GT: compare_row(C_GT, out, so, x, sx, y, sy, n); break;
    case C_GE: compare_row(C_GE, out, so, x, sx, y, sy, n); break;
    case C_EQ: compare_row(C_EQ, out, so, x, sx, y, sy, n); break;
    case C_NE: compare_row(C_NE, out, so, x, sx, y, sy, n); break;
    }
}

#ifdef EW_AVX2
EW_TARGET_AVX2 static void compare_row_avx2(CompareOp op, bool *out, int64_t so, const float *x,
                                            int64_t sx, const float *y, int64_t sy, int64_t n) {
    compare_row_switch(op, out, so, x, sx, y, sy, n);
}
#endif

static void compare_row_dispatch(CompareOp op, bool *out, int64_t so, const float *x,
                                 int64_t sx, const float *y, int64_t sy, int64_t n) {
#ifdef EW_AVX2
    if (cpu_has_avx2()) {
        compare_row_avx2(op, out, so, x, sx, y, sy, n);
        return;
    }
#endif
    compare_row_switch(op, out, so, x, sx, y, sy, n);
}

/* One piece of a row of compare_kernel (operands: out, a, b). */
static void compare_piece(const EwJob *job, const int64_t *offset, int64_t n) {
    compare_row_dispatch((CompareOp)job->op, EW_BOOL(job, 0, offset), job->step[0],
                         EW_F32(job, 1, offset), job->step[1], EW_F32(job, 2, offset),
                         job->step[2], n);
}

/* a, b (float32, broadcastable to out's shape) -> out (bool): out[p] = a[p] op b[p]. */
static void compare_kernel(CompareOp op, Tensor *out, Tensor *a, Tensor *b) {
    ew_run(out->shape, 3, (Tensor *[]){out, a, b}, compare_piece, op, 0, 0);
}

/* ======================================================================================== */
/* Checks shared by the public functions                                                    */
/* ======================================================================================== */

/* a and b are float32 tensors that broadcast together; returns their broadcast shape. */
static Shape check_binary(const char *name, const Tensor *a, const Tensor *b) {
    tensor_check_dtype(name, a, TORCH_FLOAT32);
    tensor_check_dtype(name, b, TORCH_FLOAT32);
    if (shape_equal_p(&a->shape, &b->shape)) return a->shape; /* the common case, in short */
    return broadcast_shapes(name, a->shape, b->shape);
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

/* Writing t in place must not write one memory location twice: t may not be an expanded
 * view (a stride 0 along a dim of size > 1). */
static void check_no_internal_overlap(const char *name, const Tensor *t) {
    for (int d = 0; d < t->shape.ndim; d++)
        if (t->stride[d] == 0 && t->shape.size[d] > 1)
            torch_error(name, "unsupported operation: more than one element of the written-to "
                              "tensor refers to a single memory location. Please clone() the "
                              "tensor before performing the operation.");
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
/* Arithmetic                                                                               */
/* ======================================================================================== */

/* a (*), b (*) -> out (the broadcast shape), recorded as `kind` for autograd. */
static Tensor *binary_op(const char *name, BinaryOp op, TorchOpKind kind, Tensor *a,
                         Tensor *b) {
    Shape shape = check_binary(name, a, b);
    Tensor *out = tensor_alloc(shape, TORCH_FLOAT32);
    binary_kernel(op, out, a, b);
    torch_record(&(TorchOp){.kind = kind, .out = out, .n_in = 2, .in = {a, b}});
    return out;
}

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

/* a (*) -> out (*) = f(a) with scalars s, s2, recorded as `kind` with .scalar = s and
 * .scalar2 = s2 (the scalar operand, the exponent, the clamp bounds). */
static Tensor *unary_op(const char *name, UnaryOp op, TorchOpKind kind, Tensor *a, float s,
                        float s2) {
    tensor_check_dtype(name, a, TORCH_FLOAT32);
    Tensor *out = tensor_alloc(a->shape, TORCH_FLOAT32);
    unary_kernel(op, out, a, s, s2);
    torch_record(&(TorchOp){.kind = kind, .out = out, .n_in = 1, .in = {a}, .scalar = s,
                            .scalar2 = s2});
    return out;
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
Tensor *torch_exp(Tensor *a) { return unary_op("torch_exp", U_EXP, TORCH_OP_EXP, a, 0, 0); }
Tensor *torch_log(Tensor *a) { return unary_op("torch_log", U_LOG, TORCH_OP_LOG, a, 0, 0); }
Tensor *torch_sqrt(Tensor *a) { return unary_op("torch_sqrt", U_SQRT, TORCH_OP_SQRT, a, 0, 0); }
Tensor *torch_abs(Tensor *a) { return unary_op("torch_abs", U_ABS, TORCH_OP_ABS, a, 0, 0); }

/* libtorch's shortcuts for x.pow(e) (ATen's native/Pow.cpp and native/cpu/PowKernel.cpp in
 * 1.13): 0 fills with 1, 1 copies, 2 and 3 multiply, 0.5 / -0.5 / -1 / -2 use sqrt and a
 * division; any other exponent calls pow. The shortcuts are what make (y_pred - y)$pow(2)
 * exact. */
static UnaryOp pow_op(float e) {
    if (e == 0.0f) return U_ONE;
    if (e == 1.0f) return U_COPY;
    if (e == 2.0f) return U_SQUARE;
    if (e == 3.0f) return U_CUBE;
    if (e == 0.5f) return U_SQRT;
    if (e == -0.5f) return U_RSQRT;
    if (e == -1.0f) return U_RECIPROCAL;
    if (e == -2.0f) return U_INV_SQUARE;
    return U_POW;
}

/* R: x$pow(2). */
Tensor *torch_pow(Tensor *a, float exponent) {
    return unary_op("torch_pow", pow_op(exponent), TORCH_OP_POW, a, exponent, 0);
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

/* ======================================================================================== */
/* Comparisons                                                                              */
/* ======================================================================================== */

/* a (*), b (*) float32 -> out (broadcast shape) bool. Not differentiable: nothing recorded. */
static Tensor *compare_op(const char *name, CompareOp op, Tensor *a, Tensor *b) {
    Shape shape = check_binary(name, a, b);
    Tensor *out = tensor_alloc(shape, TORCH_BOOL);
    compare_kernel(op, out, a, b);
    return out;
}

/* a (*) float32, a float s -> out (*) bool. The scalar becomes a 0-dim operand: a header on
 * the stack (never returned, freed or recorded), so that h < 0 allocates only its result. */
static Tensor *compare_scalar_op(const char *name, CompareOp op, Tensor *a, float s) {
    tensor_check_dtype(name, a, TORCH_FLOAT32);
    Storage storage = {.data = &s, .nbytes = sizeof s, .refcount = 1};
    Tensor scalar = {.magic = TENSOR_ALIVE, .dtype = TORCH_FLOAT32, .shape = SHAPE_SCALAR,
                     .storage = &storage};
    return compare_op(name, op, a, &scalar);
}

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

/* value where the mask is true, x elsewhere, chosen without a branch: a mask such as h < 0
 * is true for about half of the elements, in no order the CPU could predict, so a branch
 * would guess wrong half the time. The mask is read as bytes (0 or 1), which lets the compiler
 * turn the choice into vector blends. */
static inline void select_loop(float *out, const float *x, const bool *mask, float value,
                               int64_t n) {
    const unsigned char *m = (const unsigned char *)mask;
    for (int64_t i = 0; i < n; i++) {
        float xi = x[i];
        out[i] = m[i] ? value : xi;
    }
}

#ifdef EW_AVX2
EW_TARGET_AVX2 static void select_avx2(float *out, const float *x, const bool *mask, float value,
                                       int64_t n) {
    select_loop(out, x, mask, value, n);
}
#endif

static void select_flat(float *out, const float *x, const bool *mask, float value, int64_t n) {
#ifdef EW_AVX2
    if (cpu_has_avx2()) {
        select_avx2(out, x, mask, value, n);
        return;
    }
#endif
    select_loop(out, x, mask, value, n);
}

/* One piece of a row of masked_fill_kernel (operands: out, src, mask; value in s). */
static void masked_fill_piece(const EwJob *job, const int64_t *offset, int64_t n) {
    float *o = EW_F32(job, 0, offset);
    const float *x = EW_F32(job, 1, offset);
    const bool *m = EW_BOOL(job, 2, offset);
    int64_t so = job->step[0], sx = job->step[1], sm = job->step[2];
    float value = job->s;
    if (so == 1 && sx == 1 && sm == 1) select_flat(o, x, m, value, n);
    else
        for (int64_t i = 0; i < n; i++) o[i * so] = m[i * sm] ? value : x[i * sx];
}

/* src (*) float32 and mask (bool), both broadcastable to out's shape -> out: out[p] = value
 * where mask[p], src[p] elsewhere. out may be src itself (the in-place torch_masked_fill_);
 * otherwise this is the copy and the fill in one pass. */
static void masked_fill_kernel(Tensor *out, Tensor *src, Tensor *mask, float value) {
    ew_run(out->shape, 3, (Tensor *[]){out, src, mask}, masked_fill_piece, 0, value, 0);
}

/* R: t[mask] <- value, e.g. grad_h[h < 0] <- 0 is torch_masked_fill_(grad_h, torch_lt_scalar(h,
 * 0), 0). Changes t's elements where mask is true, in t's own storage; returns t. */
Tensor *torch_masked_fill_(Tensor *t, Tensor *mask, float value) {
    const char *name = "torch_masked_fill_";
    tensor_check_dtype(name, t, TORCH_FLOAT32);
    check_mask(name, mask);
    check_inplace_shape(name, t, broadcast_shapes(name, t->shape, mask->shape));
    torch_before_inplace(name, t);
    masked_fill_kernel(t, t, mask, value);
    return t;
}

/* R: torch_masked_fill(t, mask, value): t (*), mask (*) -> out (their broadcast shape), a new
 * tensor (libtorch expands t and mask together, then fills a copy). */
Tensor *torch_masked_fill(Tensor *t, Tensor *mask, float value) {
    const char *name = "torch_masked_fill";
    tensor_check_dtype(name, t, TORCH_FLOAT32);
    check_mask(name, mask);
    Shape shape = broadcast_shapes(name, mask->shape, t->shape);
    Tensor *out = tensor_alloc(shape, TORCH_FLOAT32);
    masked_fill_kernel(out, t, mask, value);
    torch_record(&(TorchOp){.kind = TORCH_OP_MASKED_FILL, .out = out, .n_in = 1, .in = {t},
                            .extra = mask, .scalar = value});
    return out;
}

/* grad where x > threshold, 0 elsewhere (a NaN x keeps grad, as x <= threshold is false),
 * chosen without a branch, for the reason select_loop gives. */
static inline void threshold_loop(float *out, const float *grad, const float *x, float threshold,
                                  int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        float gi = grad[i];
        out[i] = x[i] <= threshold ? 0.0f : gi;
    }
}

#ifdef EW_AVX2
EW_TARGET_AVX2 static void threshold_avx2(float *out, const float *grad, const float *x,
                                          float threshold, int64_t n) {
    threshold_loop(out, grad, x, threshold, n);
}
#endif

/* One piece of a row of torch_threshold_backward (operands: out, grad, x; threshold in s). */
static void threshold_piece(const EwJob *job, const int64_t *offset, int64_t n) {
    float *o = EW_F32(job, 0, offset);
    const float *g = EW_F32(job, 1, offset), *x = EW_F32(job, 2, offset);
    int64_t so = job->step[0], sg = job->step[1], sx = job->step[2];
    if (so == 1 && sg == 1 && sx == 1) {
#ifdef EW_AVX2
        if (cpu_has_avx2()) {
            threshold_avx2(o, g, x, job->s, n);
            return;
        }
#endif
        threshold_loop(o, g, x, job->s, n);
        return;
    }
    for (int64_t i = 0; i < n; i++) o[i * so] = x[i * sx] <= job->s ? 0.0f : g[i * sg];
}

/* libtorch's threshold_backward, what ReluBackward0 computes: grad (*), x (*) -> out (their
 * broadcast shape), grad where x > threshold and 0 elsewhere. One pass, where
 * torch_masked_fill(grad, torch_le_scalar(x, threshold), 0) takes two and a mask; the same
 * numbers. Never recorded: it is a gradient's formula, run by backward with grad mode off. */
Tensor *torch_threshold_backward(Tensor *grad, Tensor *x, float threshold) {
    Shape shape = check_binary("torch_threshold_backward", grad, x);
    Tensor *out = tensor_alloc(shape, TORCH_FLOAT32);
    ew_run(shape, 3, (Tensor *[]){out, grad, x}, threshold_piece, 0, threshold, 0);
    return out;
}

/* One piece of a row of torch_where (operands: out, condition, a, b). */
static void where_piece(const EwJob *job, const int64_t *offset, int64_t n) {
    float *o = EW_F32(job, 0, offset);
    const bool *c = EW_BOOL(job, 1, offset);
    const float *x = EW_F32(job, 2, offset), *y = EW_F32(job, 3, offset);
    int64_t so = job->step[0], sc = job->step[1], sx = job->step[2], sy = job->step[3];
    if (so == 1 && sc == 1 && sx == 1 && sy == 1)
        for (int64_t i = 0; i < n; i++) o[i] = c[i] ? x[i] : y[i];
    else
        for (int64_t i = 0; i < n; i++) o[i * so] = c[i * sc] ? x[i * sx] : y[i * sy];
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
    ew_run(shape, 4, (Tensor *[]){out, condition, a, b}, where_piece, 0, 0, 0);
    torch_record(&(TorchOp){.kind = TORCH_OP_WHERE, .out = out, .n_in = 2, .in = {a, b},
                            .extra = condition});
    return out;
}

/* ======================================================================================== */
/* dtype conversion                                                                         */
/* ======================================================================================== */

/* A float to int64 as libtorch's cast does on x86-64: truncation toward zero. C leaves NaN,
 * infinities and out-of-range values undefined; x86's conversion instruction gives INT64_MIN
 * for them, and so do we. */
static int64_t float_to_i64(float x) {
    if (!(x >= -0x1p63f && x < 0x1p63f)) return INT64_MIN;
    return (int64_t)x;
}

static float element_as_float(const Tensor *t, int64_t off) {
    switch (t->dtype) {
    case TORCH_FLOAT32: return tensor_f32(t)[off];
    case TORCH_INT64: return (float)tensor_i64(t)[off]; /* rounds to nearest beyond 2^24 */
    case TORCH_BOOL: return tensor_bool(t)[off] ? 1.0f : 0.0f;
    }
    return 0;
}

static int64_t element_as_i64(const Tensor *t, int64_t off) {
    switch (t->dtype) {
    case TORCH_FLOAT32: return float_to_i64(tensor_f32(t)[off]);
    case TORCH_INT64: return tensor_i64(t)[off];
    case TORCH_BOOL: return tensor_bool(t)[off];
    }
    return 0;
}

static bool element_as_bool(const Tensor *t, int64_t off) {
    switch (t->dtype) {
    case TORCH_FLOAT32: return tensor_f32(t)[off] != 0.0f; /* NaN is true, -0.0 false */
    case TORCH_INT64: return tensor_i64(t)[off] != 0;
    case TORCH_BOOL: return tensor_bool(t)[off];
    }
    return false;
}

/* src (*) any dtype -> dst (*, contiguous) of dst's dtype, element by element. */
static void convert_kernel(Tensor *dst, Tensor *src) {
    int64_t n = shape_numel(dst->shape);
    StridedWalk w;
    walk_start(&w, dst->shape, 1, (Tensor *[]){src});
    for (int64_t i = 0; i < n; i++, walk_next(&w)) {
        switch (dst->dtype) {
        case TORCH_FLOAT32: tensor_f32(dst)[i] = element_as_float(src, w.offset[0]); break;
        case TORCH_INT64: tensor_i64(dst)[i] = element_as_i64(src, w.offset[0]); break;
        case TORCH_BOOL: tensor_bool(dst)[i] = element_as_bool(src, w.offset[0]); break;
        }
    }
}

/* R: x$to(dtype = torch_long()). Always a new contiguous tensor (libtorch returns x itself
 * when the dtype already matches; the values are the same). Only float -> float is recorded
 * for autograd: no gradient flows through bool or int64. */
Tensor *torch_to_dtype(Tensor *t, Dtype dtype) {
    const char *name = "torch_to_dtype";
    tensor_check(name, t);
    if (dtype != TORCH_FLOAT32 && dtype != TORCH_INT64 && dtype != TORCH_BOOL)
        torch_error(name, "unknown dtype %d", (int)dtype);
    Tensor *out = tensor_alloc(t->shape, dtype);
    if (t->dtype == TORCH_FLOAT32 && dtype == TORCH_FLOAT32) {
        unary_kernel(U_COPY, out, t, 0, 0);
        torch_record(&(TorchOp){.kind = TORCH_OP_TO_FLOAT, .out = out, .n_in = 1, .in = {t}});
    } else {
        convert_kernel(out, t);
    }
    return out;
}

/* ======================================================================================== */
/* In place                                                                                 */
/* ======================================================================================== */

/* t op= other, other broadcast to t's shape; t keeps its shape. Not recorded: autograd
 * (stage 2) is told through torch_before_inplace, which also bumps t's version. */
static Tensor *binary_inplace(const char *name, BinaryOp op, Tensor *t, Tensor *other) {
    tensor_check_dtype(name, t, TORCH_FLOAT32);
    tensor_check_dtype(name, other, TORCH_FLOAT32);
    check_no_internal_overlap(name, t);
    check_inplace_shape(name, t, broadcast_shapes(name, t->shape, other->shape));
    check_no_partial_overlap(name, t, other);
    torch_before_inplace_from(name, t, other);
    binary_kernel(op, t, t, other);
    return t;
}

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
    unary_kernel(U_MUL, t, t, s, 0);
    return t;
}

/* Sets every element of t (any dtype) to value, converted as torch_to_dtype converts. An
 * expanded t is allowed (libtorch's fill_ allows it): every write stores the same value. */
static Tensor *fill_inplace(const char *name, Tensor *t, float value) {
    tensor_check(name, t);
    torch_before_inplace(name, t);
    if (t->dtype == TORCH_FLOAT32) {
        unary_kernel(U_FILL, t, t, value, 0);
        return t;
    }
    int64_t n = shape_numel(t->shape);
    StridedWalk w;
    walk_start(&w, t->shape, 1, (Tensor *[]){t});
    for (int64_t i = 0; i < n; i++, walk_next(&w)) {
        if (t->dtype == TORCH_INT64) tensor_i64(t)[w.offset[0]] = float_to_i64(value);
        else tensor_bool(t)[w.offset[0]] = value != 0.0f;
    }
    return t;
}

/* R: x$fill_(value). */
Tensor *torch_fill_(Tensor *t, float value) { return fill_inplace("torch_fill_", t, value); }
/* R: w$grad$zero_(). */
Tensor *torch_zero_(Tensor *t) { return fill_inplace("torch_zero_", t, 0.0f); }


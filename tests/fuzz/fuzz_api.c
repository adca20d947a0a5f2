/*
 * fuzz_api.c: a libFuzzer target that drives random sequences of ctorch calls.
 *
 * Each input is read as a little program: one byte picks an operation, the next bytes pick its
 * operands (from eight tensor slots), shapes, dims and values. Operations cover creation, views,
 * broadcasting arithmetic, comparisons and masks, reductions, matrix products, in-place updates,
 * scopes, torch_keep / torch_assign / torch_free, autograd (requires_grad_, backward, grad,
 * no-grad) and one nn_linear module. Every call runs under torch_catch_errors, and must either
 *   - succeed, and then, for add (broadcasting), sum_dim, mm and transpose + contiguous, give
 *     exactly the bits of a naive reference computed here from the operands' values; or
 *   - stop with an error "op: message" that leaves the process as it was (common/error.h):
 *     the same scope depth, the same grad mode, the same live tensors and bytes, and, for an
 *     in-place op, the same values and version. A failed matrix product is followed by more
 *     work: the same bad call inside a scope and with_no_grad, then a good product that must
 *     give the bits it gave before, then a backward through it.
 * A released tensor passed as an operand must be reported (never read), a NULL too. After each
 * input everything is released, and the memory counters must be back to zero: no tensor leaks.
 * Anything else (a crash, a sanitizer report, a wrong value, a leak) calls abort().
 *
 * Build and run: ./course fuzz [SECONDS] (docs/reliability.md). The same file, linked with
 * replay.c instead of libFuzzer, replays tests/fuzz/corpus/ in the ordinary test suite.
 */
#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autograd.h"
#include "internal.h" /* TENSOR_ALIVE / TENSOR_DEAD: to know whether a header was reused */
#include "nn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- failing loudly ------------------------------------------------------------------------ */

static _Noreturn void fail(const char *what, const char *detail) {
    fprintf(stderr, "fuzz_api: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    fflush(stderr);
    abort();
}

/* FUZZ_TRACE=1 in the environment prints every call's line and outcome, and every result's
 * slot, shape and dtype (to read what a crashing input does). */
static bool tracing;

/* ---- reading the input ----------------------------------------------------------------------- */

typedef struct Bytes {
    const uint8_t *p;
    size_t n;
} Bytes;

static unsigned byte(Bytes *in) {
    if (in->n == 0) return 0;
    in->n--;
    return *in->p++;
}

static int pick(Bytes *in, int n) { return (int)(byte(in) % (unsigned)n); }

/* A float: mostly small numbers, sometimes the values that break arithmetic. */
static float value(Bytes *in) {
    static const float special[] = {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 2.0f, 3.0f, -2.0f,
                                    1e-3f, 1e30f, -1e30f, INFINITY, -INFINITY, NAN, 1e-40f, 100.0f};
    unsigned b = byte(in);
    if (b < 32) return special[b % 16];
    return ((float)b - 144.0f) / 8.0f;
}

/* A dim: usually in range for an ndim-d tensor (negative ones too), sometimes not. */
static int dim_arg(Bytes *in, int ndim) {
    int n = ndim > 0 ? ndim : 1;
    int b = pick(in, 16);
    if (b < 12) return b % (2 * n) - n; /* [-n, n) */
    return b - 12 + n;                  /* n .. n + 3: out of range */
}

/* A size: 0 to 4, rarely -1 (an error). */
static int64_t size_arg(Bytes *in) {
    int b = pick(in, 64);
    return b == 63 ? -1 : b % 5;
}

static Shape shape_arg(Bytes *in) {
    Shape s = {pick(in, 5), {0}};
    for (int i = 0; i < s.ndim; i++) s.size[i] = size_arg(in);
    return s;
}

/* ---- the tensors the program plays with ---------------------------------------------------- */

enum SlotState { EMPTY, LIVE, RELEASED, BORROWED /* a gradient: it belongs to its leaf */ };
typedef struct Slot {
    Tensor *t;
    enum SlotState state;
} Slot;

#define NSLOT 8
#define MAX_TRACKED 4096
#define MAX_ELEMS 65536

static Slot slot[NSLOT];
static Tensor *owned[MAX_TRACKED]; /* tensors at scope 0 that this input must free */
static int n_owned;
static Tensor *released[MAX_TRACKED]; /* every header this input saw released */
static int n_released;
static bool reuse_unknown; /* too many released headers to follow: no more backward */
static Module *linear;     /* one nn_linear(3, 2) per input */
static FILE *devnull;

static bool is_owned(const Tensor *t) {
    for (int i = 0; i < n_owned; i++)
        if (owned[i] == t) return true;
    return false;
}

static void own(Tensor *t) {
    if (t->scope != 0 || is_owned(t)) return;
    if (n_owned == MAX_TRACKED) fail("too many long-lived tensors", NULL);
    owned[n_owned++] = t;
}

static void disown(const Tensor *t) {
    for (int i = 0; i < n_owned; i++)
        if (owned[i] == t) owned[i--] = owned[--n_owned];
}

/* t was released: every slot holding it now holds a released tensor, and gradients (which
 * go when their leaf goes) are forgotten. */
static void note_released(Tensor *t) {
    disown(t);
    for (int i = 0; i < NSLOT; i++) {
        if (slot[i].t == t && slot[i].state == LIVE) slot[i].state = RELEASED;
        if (slot[i].state == BORROWED) slot[i] = (Slot){NULL, EMPTY};
    }
    if (n_released < MAX_TRACKED) released[n_released++] = t;
    else reuse_unknown = true;
}

/* Whether a header released earlier in this input now holds another tensor. A graph may
 * still point at a released tensor; backward reports that, but only while the header is
 * dead, so backward is only tried when none was reused (a documented limit, tensor.h). */
static bool any_header_reused(void) {
    if (reuse_unknown) return true;
    for (int i = 0; i < n_released; i++)
        if (released[i]->magic != TENSOR_DEAD) return true;
    return false;
}

/* The released operands handed to the current call (reset before each). A helper the call
 * makes first (the mask of torch_where, torch_t(b) for addmm) may get one of their headers
 * back, and the call then rightly takes it for the live tensor it now is. */
#define MAX_DEAD_OPERANDS 4 /* no call takes more operands */
static Tensor *dead_operands[MAX_DEAD_OPERANDS];
static int n_dead_operands;

static bool dead_operand_reused(void) {
    for (int i = 0; i < n_dead_operands; i++)
        if (dead_operands[i]->magic != TENSOR_DEAD) return true;
    return false;
}

/* An operand from a slot. *bad is set for NULL and for a released tensor (which the call must
 * report). A released header that was reused for another tensor is not handed out. */
static Tensor *operand(Bytes *in, bool *bad) {
    int s = pick(in, NSLOT + 1);
    if (s == NSLOT || slot[s].state == EMPTY) {
        *bad = true;
        return NULL;
    }
    Slot *sl = &slot[s];
    if (sl->state == RELEASED) {
        if (sl->t->magic != TENSOR_DEAD) { /* reused: this slot is forgotten */
            *sl = (Slot){NULL, EMPTY};
            *bad = true;
            return NULL;
        }
        *bad = true;
        if (n_dead_operands < MAX_DEAD_OPERANDS) dead_operands[n_dead_operands++] = sl->t;
        return sl->t;
    }
    if (sl->t->magic != TENSOR_ALIVE) fail("a live tensor was released behind the program's back", NULL);
    return sl->t;
}

/* Whether t is a gradient handed out by torch_grad (it belongs to its leaf). */
static bool is_borrowed(const Tensor *t) {
    for (int i = 0; t && i < NSLOT; i++)
        if (slot[i].t == t && slot[i].state == BORROWED) return true;
    return false;
}

/* A helper tensor made inside a compound call: made outside any scope, it must be freed. */
static Tensor *aux(Tensor *t) {
    own(t);
    return t;
}

/* Stores a new result in a slot (a result equal to an operand is not new: nothing to do). */
static void put(Bytes *in, Tensor *r, Tensor *operand_a, Tensor *operand_b) {
    if (r == NULL || r == operand_a || r == operand_b) return;
    if (r->magic != TENSOR_ALIVE) fail("a call returned a released tensor", NULL);
    int s = pick(in, NSLOT);
    slot[s] = (Slot){r, LIVE};
    own(r);
    if (tracing)
        fprintf(stderr, "  -> slot %d: %s %s%s\n", s, dtype_name(r->dtype),
                shape_str(r->shape, (char[96]){0}, 96), r->autograd ? " (autograd)" : "");
}

/* ---- calling under torch_catch_errors ------------------------------------------------------ */

/* An exercise not written yet (a student copy: "exercise 3.1: not implemented yet") is no bug
 * of the library, and nothing after it means anything: say which exercise, and stop. */
static void stop_at_stub(const char *msg) {
    if (strncmp(msg, "exercise ", 9) == 0 && strstr(msg, ": not implemented yet")) {
        fprintf(stderr, "fuzz_api: stopped: needs %s\n", msg);
        exit(1);
    }
}

/* How many of the tensors this input owns (long-lived ones) are alive. Not inlined into the
 * functions that call setjmp (TRY). */
static __attribute__((noinline)) int64_t owned_alive(void) {
    int64_t n = 0;
    for (int i = 0; i < n_owned; i++) n += owned[i]->magic == TENSOR_ALIVE;
    return n;
}

/* Checks what a caught error left behind: a message, and the same scope depth, grad mode, and
 * outside any scope the same live tensors and bytes as before the call (a statement that made
 * long-lived tensors before the failing call keeps those, as the program's; inside a scope its
 * earlier results stay until the scope ends). */
static void after_error(int depth, bool grad, TorchMemoryStats live, int64_t owned) {
    const char *msg = torch_last_error();
    stop_at_stub(msg);
    if (!strstr(msg, ": ") || strlen(msg) < 8) fail("an error without a message", msg);
    if (strstr(msg, "invalid pointer")) fail("a valid or released pointer called invalid", msg);
    if (torch_scope_depth() != depth) fail("a caught error changed the scope depth", msg);
    if (torch_is_grad_enabled() != grad) fail("a caught error changed the grad mode", msg);
    if (depth > 0) return;
    TorchMemoryStats now = torch_memory_stats();
    int64_t kept = owned_alive() - owned;
    if (now.live_tensors != live.live_tensors + kept ||
        (kept == 0 && now.live_bytes != live.live_bytes))
        fail("a caught error left tensors or bytes behind", msg);
}


static void trace(int line, bool ok) {
    if (tracing)
        fprintf(stderr, "fuzz_api.c:%d: %s (scope depth %d, %lld live tensors)\n", line,
                ok ? "ok" : torch_last_error(), torch_scope_depth(),
                (long long)torch_memory_stats().live_tensors);
}

/* TRY(ok, statement): runs the statement; ok tells whether it returned without an error. */
#define TRY(ok, ...)                                                                           \
    do {                                                                                       \
        jmp_buf try_env_;                                                                      \
        int try_depth_ = torch_scope_depth();                                                  \
        bool try_grad_ = torch_is_grad_enabled();                                              \
        TorchMemoryStats try_live_ = torch_memory_stats();                                     \
        volatile int64_t try_owned_ = owned_alive();                                           \
        if (setjmp(try_env_) == 0) {                                                           \
            torch_catch_errors(&try_env_);                                                     \
            __VA_ARGS__;                                                                       \
            torch_catch_errors(NULL);                                                          \
            (ok) = true;                                                                       \
        } else {                                                                               \
            (ok) = false;                                                                      \
            after_error(try_depth_, try_grad_, try_live_, try_owned_);                         \
        }                                                                                      \
        trace(__LINE__, ok);                                                                   \
    } while (0)

/* A call with a bad operand must fail, and say why when it was about the operand. */
static void expect_failed(bool ok, bool bad, const char *what) {
    if (bad && ok && !dead_operand_reused()) fail("a NULL or released operand was accepted", what);
    if (!ok && !bad) {
        const char *msg = torch_last_error();
        if (strstr(msg, "expected a Tensor but got NULL") || strstr(msg, "used after it was released"))
            fail("a good operand reported as NULL or released", msg);
    }
}

/* ---- reading values back, and the naive references ----------------------------------------- */

static float buf_a[MAX_ELEMS], buf_b[MAX_ELEMS], buf_r[MAX_ELEMS], buf_ref[MAX_ELEMS];

/* The values of t (float32, alive) in row-major order; false if there are too many. */
static bool values_of(Tensor *t, float *out) {
    if (shape_numel(t->shape) > MAX_ELEMS) return false;
    torch_to_array(t, out);
    return true;
}

static bool same_bits(float x, float y) { return memcmp(&x, &y, sizeof x) == 0 || (isnan(x) && isnan(y)); }

static void compare(const char *what, const float *got, const float *want, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (!same_bits(got[i], want[i])) {
            char detail[160];
            snprintf(detail, sizeof detail, "element %lld is %.9g, the reference gives %.9g",
                     (long long)i, got[i], want[i]);
            fail(what, detail);
        }
}

/* Our own broadcast rule, to know which calls must fail. */
static bool broadcast(Shape a, Shape b, Shape *out) {
    out->ndim = a.ndim > b.ndim ? a.ndim : b.ndim;
    for (int i = 0; i < out->ndim; i++) {
        int ia = i - (out->ndim - a.ndim), ib = i - (out->ndim - b.ndim);
        int64_t sa = ia >= 0 ? a.size[ia] : 1, sb = ib >= 0 ? b.size[ib] : 1;
        if (sa != sb && sa != 1 && sb != 1) return false;
        out->size[i] = sa == 1 ? sb : sa;
    }
    return true;
}

/* Row-major index in a tensor of shape s of the element that position `flat` of the broadcast
 * shape `out` reads. */
static int64_t broadcast_index(Shape s, Shape out, int64_t flat) {
    int64_t idx = 0, mul = 1;
    for (int d = out.ndim - 1; d >= 0; d--) {
        int64_t coord = flat % out.size[d];
        flat /= out.size[d];
        int sd = d - (out.ndim - s.ndim);
        if (sd < 0) continue;
        if (s.size[sd] != 1) idx += coord * mul;
        mul *= s.size[sd];
    }
    return idx;
}

/* a + b, broadcasting: each output element is one float addition of the elements it reads. */
static void check_add(Tensor *a, Tensor *b, Tensor *r) {
    Shape want;
    if (!broadcast(a->shape, b->shape, &want)) fail("torch_add accepted shapes that do not broadcast", NULL);
    if (!shape_equal(r->shape, want)) fail("torch_add gave the wrong shape", NULL);
    int64_t n = shape_numel(want);
    if (n > MAX_ELEMS || !values_of(a, buf_a) || !values_of(b, buf_b)) return;
    for (int64_t i = 0; i < n; i++)
        buf_ref[i] = buf_a[broadcast_index(a->shape, want, i)] + buf_b[broadcast_index(b->shape, want, i)];
    values_of(r, buf_r);
    compare("torch_add differs from the reference", buf_r, buf_ref, n);
}

/* sum along d, accumulated in double in index order and rounded once (reduce.c's contract). */
static void check_sum_dim(Tensor *a, int dim, bool keepdim, Tensor *r) {
    int nd = a->shape.ndim, d = dim < 0 ? dim + (nd > 0 ? nd : 1) : dim;
    Shape want = {0, {0}};
    for (int i = 0; i < nd; i++)
        if (i != d) want.size[want.ndim++] = a->shape.size[i];
        else if (keepdim) want.size[want.ndim++] = 1;
    if (!shape_equal(r->shape, want)) fail("torch_sum_dim gave the wrong shape", NULL);
    if (!values_of(a, buf_a)) return;
    int64_t outer = 1, len = nd > 0 ? a->shape.size[d] : 1, inner = 1;
    for (int i = 0; i < d; i++) outer *= a->shape.size[i];
    for (int i = d + 1; i < nd; i++) inner *= a->shape.size[i];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            double acc = 0.0;
            for (int64_t k = 0; k < len; k++) acc += buf_a[(o * len + k) * inner + i];
            buf_ref[o * inner + i] = (float)acc;
        }
    values_of(r, buf_r);
    compare("torch_sum_dim differs from the reference", buf_r, buf_ref, outer * inner);
}

/* a (n, k) . b (k, m): each element sums its products in one float, in ascending p. */
static void check_mm(Tensor *a, Tensor *b, Tensor *r) {
    int64_t n = a->shape.size[0], k = a->shape.size[1], m = b->shape.size[1];
    if (!shape_equal(r->shape, SHAPE(n, m))) fail("torch_mm gave the wrong shape", NULL);
    if (!values_of(a, buf_a) || !values_of(b, buf_b)) return;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < m; j++) {
            float acc = 0.0f;
            for (int64_t p = 0; p < k; p++) acc = acc + buf_a[i * k + p] * buf_b[p * m + j];
            buf_ref[i * m + j] = acc;
        }
    values_of(r, buf_r);
    compare("torch_mm differs from the reference", buf_r, buf_ref, n * m);
}

/* contiguous(transpose(a, d0, d1)): a's elements with two coordinates swapped. */
static void check_transpose(Tensor *a, int d0, int d1, Tensor *r) {
    int nd = a->shape.ndim;
    if (nd == 0) return;
    d0 = d0 < 0 ? d0 + nd : d0;
    d1 = d1 < 0 ? d1 + nd : d1;
    Shape want = a->shape;
    want.size[d0] = a->shape.size[d1];
    want.size[d1] = a->shape.size[d0];
    if (!shape_equal(r->shape, want)) fail("torch_transpose gave the wrong shape", NULL);
    if (!torch_is_contiguous(r)) {
        char detail[256];
        snprintf(detail, sizeof detail, "shape %s, strides %lld %lld %lld %lld",
                 shape_str(r->shape, (char[96]){0}, 96), (long long)r->stride[0],
                 (long long)r->stride[1], (long long)r->stride[2], (long long)r->stride[3]);
        fail("torch_contiguous gave a non-contiguous tensor", detail);
    }
    if (!values_of(a, buf_a)) return;
    int64_t n = shape_numel(want);
    for (int64_t i = 0; i < n; i++) {
        int64_t coord[TORCH_MAX_DIMS], rest = i;
        for (int d = nd - 1; d >= 0; d--) {
            coord[d] = rest % want.size[d];
            rest /= want.size[d];
        }
        int64_t tmp = coord[d0]; /* the same element's coordinates in a */
        coord[d0] = coord[d1];
        coord[d1] = tmp;
        int64_t src = 0;
        for (int d = 0; d < nd; d++) src = src * a->shape.size[d] + coord[d];
        buf_ref[i] = buf_a[src];
    }
    values_of(r, buf_r);
    compare("contiguous(transpose) differs from the reference", buf_r, buf_ref, n);
}

/* ---- in-place ops keep their target's data when they fail ---------------------------------- */

typedef struct Snapshot {
    Tensor *t;
    uint32_t version;
    int64_t n;
    char bytes[MAX_ELEMS * 8];
} Snapshot;
static Snapshot snap;

/* Raw bytes of every element (any dtype), so that NaN payloads and -0.0 count too. */
static void raw_bytes(Tensor *t, char *out) {
    size_t es = dtype_size(t->dtype);
    const char *base = (const char *)t->storage->data + (size_t)t->offset * es;
    for (int64_t i = 0, n = shape_numel(t->shape); i < n; i++)
        memcpy(out + (size_t)i * es, base + (size_t)strided_offset(t, i) * es, es);
}

static void snapshot(Tensor *t) {
    snap.t = NULL;
    if (!t || t->magic != TENSOR_ALIVE || shape_numel(t->shape) > MAX_ELEMS) return;
    snap.t = t;
    snap.version = t->storage->version;
    snap.n = shape_numel(t->shape);
    raw_bytes(t, snap.bytes);
}

static char snap_after[MAX_ELEMS * 8];

static void check_unchanged(bool ok) {
    if (ok || !snap.t) return;
    if (snap.t->storage->version != snap.version)
        fail("a failed in-place op changed the version", torch_last_error());
    raw_bytes(snap.t, snap_after);
    if (memcmp(snap.bytes, snap_after, (size_t)snap.n * dtype_size(snap.t->dtype)) != 0)
        fail("a failed in-place op changed the data", torch_last_error());
}

/* ---- the operations ---------------------------------------------------------------------- */

static void op_create(Bytes *in) {
    Shape s = shape_arg(in);
    bool negative = false;
    for (int i = 0; i < s.ndim; i++) negative |= s.size[i] < 0;
    static float values[1024];
    for (int i = 0; i < 8; i++) values[i] = value(in);
    for (int i = 8; i < 1024; i++) values[i] = values[i % 8] * (float)i;
    Tensor *volatile r = NULL;
    bool ok;
    int kind = pick(in, 10);
    if (tracing) fprintf(stderr, "  %s: kind %d\n", __func__, kind);
    float v = values[0];
    TRY(ok, switch (kind) {
        case 0: r = torch_zeros(s); break;
        case 1: r = torch_ones(s); break;
        case 2: r = torch_full(s, v); break;
        case 3: r = torch_rand(s); break;
        case 4: r = torch_randn(s); break;
        case 5: r = torch_tensor(s, values); break;
        case 6: r = torch_scalar(v); break;
        case 7: r = torch_randint(-3, 4, s); break;
        case 8: r = torch_arange(0, (double)(pick(in, 6)), 1); break;
        default: r = torch_eye(pick(in, 5)); break;
    });
    if (negative && ok && kind != 6 && kind != 8 && kind != 9) fail("a negative size was accepted", NULL);
    if (ok) put(in, r, NULL, NULL);
}

/* Shapes too large to exist: the call must refuse them before allocating anything. */
static void op_overflow(Bytes *in) {
    Shape huge = SHAPE(INT64_C(1) << 62, 5);
    if (pick(in, 2)) huge = SHAPE(INT64_MAX);
    bool bad = false, ok;
    Tensor *a = operand(in, &bad);
    TorchMemoryStats before = torch_memory_stats();
    switch (pick(in, 4)) {
    case 0: TRY(ok, torch_zeros(huge)); break;
    case 1: TRY(ok, torch_randn(huge)); break;
    case 2: TRY(ok, torch_expand(a, SHAPE(INT64_C(1) << 62, INT64_C(1) << 62))); break;
    default: TRY(ok, torch_view(a, SHAPE(INT64_C(1) << 62, INT64_C(1) << 62, -1))); break;
    }
    if (ok) fail("an impossible size was accepted", NULL);
    if (torch_memory_stats().live_bytes != before.live_bytes) fail("a refused size allocated memory", NULL);
}

static void op_view(Bytes *in) {
    bool bad = false, ok;
    Tensor *a = operand(in, &bad);
    int nd = a && !bad ? a->shape.ndim : 1;
    int kind = pick(in, 14);
    if (tracing) fprintf(stderr, "  %s: kind %d\n", __func__, kind);
    int d0 = dim_arg(in, nd), d1 = dim_arg(in, nd);
    int64_t i0 = (int64_t)pick(in, 9) - 4, i1 = (int64_t)pick(in, 9) - 3;
    Shape s = shape_arg(in);
    if (pick(in, 2) && s.ndim > 0) s.size[pick(in, s.ndim)] = -1;
    /* Outside any scope, a recorded reshape that copies keeps the copy its node holds
     * (docs/reliability.md): there, such reshapes become views. */
    if (kind == 4 && !bad && torch_scope_depth() == 0 && torch_is_grad_enabled() &&
        torch_requires_grad(a))
        kind = 3;
    Tensor *volatile r = NULL;
    TRY(ok, switch (kind) {
        case 0: r = torch_select(a, d0, i0); break;
        case 1: r = torch_narrow(a, d0, i0, i1); break;
        case 2: r = torch_slice(a, d0, i0, i1, pick(in, 4)); break;
        case 3: r = torch_view(a, s); break;
        case 4: r = torch_reshape(a, s); break;
        case 5: r = torch_squeeze(a); break;
        case 6: r = torch_squeeze_dim(a, d0); break;
        case 7: r = torch_unsqueeze(a, d0); break;
        case 8: r = torch_t(a); break;
        case 9: r = torch_expand(a, s); break;
        case 10: r = torch_clone(a); break;
        case 11: r = torch_to_dtype(a, (Dtype)pick(in, 3)); break;
        case 12: r = torch_detach(a); break;
        default: r = torch_contiguous(aux(torch_transpose(a, d0, d1))); break;
    });
    expect_failed(ok, bad, "a view");
    if (!ok) return;
    if (kind == 13) check_transpose(a, d0, d1, r);
    if ((kind == 3 || kind == 4 || kind == 10) && values_of(a, buf_a) && values_of(r, buf_r))
        compare("view, reshape or clone reordered the elements", buf_r, buf_a, shape_numel(a->shape));
    put(in, r, a, NULL);
}

static void op_binary(Bytes *in) {
    bool bad = false, ok;
    Tensor *a = operand(in, &bad), *b = operand(in, &bad);
    int kind = pick(in, 13);
    if (tracing) fprintf(stderr, "  %s: kind %d\n", __func__, kind);
    Tensor *volatile r = NULL;
    TRY(ok, switch (kind) {
        case 0: r = torch_add(a, b); break;
        case 1: r = torch_sub(a, b); break;
        case 2: r = torch_mul(a, b); break;
        case 3: r = torch_div(a, b); break;
        case 4: r = torch_lt(a, b); break;
        case 5: r = torch_ge(a, b); break;
        case 6: r = torch_eq(a, b); break;
        case 7: r = torch_ne(a, b); break;
        case 8: r = torch_masked_fill(a, b, 7.0f); break;
        case 9: r = torch_where(aux(torch_gt_scalar(a, 0)), a, b); break;
        case 10: r = torch_matmul(a, b); break;
        case 11: r = torch_threshold_backward(a, b, 0.5f); break;
        default: r = torch_addmm(a, b, aux(torch_t(b))); break;
    });
    expect_failed(ok, bad, "a binary op");
    if (!bad && kind == 0 && a->dtype == TORCH_FLOAT32 && b->dtype == TORCH_FLOAT32) {
        Shape want;
        if (ok) check_add(a, b, r);
        else if (broadcast(a->shape, b->shape, &want)) fail("torch_add refused shapes that broadcast", torch_last_error());
    }
    if (ok) put(in, r, a, b);
}

static void op_unary(Bytes *in) {
    bool bad = false, ok;
    Tensor *a = operand(in, &bad);
    int kind = pick(in, 14);
    if (tracing) fprintf(stderr, "  %s: kind %d\n", __func__, kind);
    float s = value(in), s2 = value(in);
    Tensor *volatile r = NULL;
    TRY(ok, switch (kind) {
        case 0: r = torch_add_scalar(a, s); break;
        case 1: r = torch_mul_scalar(a, s); break;
        case 2: r = torch_div_scalar(a, s); break;
        case 3: r = torch_neg(a); break;
        case 4: r = torch_pow(a, s); break;
        case 5: r = torch_clamp_min(a, s); break;
        case 6: r = torch_clamp(a, s, s2); break;
        case 7: r = torch_relu(a); break;
        case 8: r = torch_exp(a); break;
        case 9: r = torch_log(a); break;
        case 10: r = torch_sqrt(a); break;
        case 11: r = torch_abs(a); break;
        case 12: r = torch_lt_scalar(a, s); break;
        default: r = torch_sub_scalar(a, s); break;
    });
    expect_failed(ok, bad, "a unary op");
    if (ok) put(in, r, a, NULL);
}

static void op_reduce(Bytes *in) {
    bool bad = false, ok;
    Tensor *a = operand(in, &bad);
    int nd = a && !bad ? a->shape.ndim : 1;
    int kind = pick(in, 10), d = dim_arg(in, nd);
    if (tracing) fprintf(stderr, "  %s: kind %d\n", __func__, kind);
    bool keepdim = pick(in, 2);
    /* indices nobody asked for are the graph's, and a graph made outside any scope keeps
     * them (docs/reliability.md): there they are always asked for, unless grad mode is off */
    bool want_indices = pick(in, 2) || (torch_scope_depth() == 0 && torch_is_grad_enabled());
    Tensor *volatile r = NULL;
    Tensor *indices = NULL;
    TRY(ok, switch (kind) {
        case 0: r = torch_sum(a); break;
        case 1: r = torch_sum_dim(a, d, keepdim); break;
        case 2: r = torch_mean(a); break;
        case 3: r = torch_mean_dim(a, d, keepdim); break;
        case 4: r = torch_max(a); break;
        case 5: r = torch_min(a); break;
        case 6: r = torch_max_dim(a, d, keepdim, want_indices ? &indices : NULL); break;
        case 7: r = torch_min_dim(a, d, keepdim, want_indices ? &indices : NULL); break;
        case 8: r = torch_argmax(a, d, keepdim); break;
        default: r = torch_sum_dim(a, d, keepdim); break;
    });
    expect_failed(ok, bad, "a reduction");
    if (!bad && (kind == 1 || kind == 9) && a->dtype == TORCH_FLOAT32) {
        int n = a->shape.ndim > 0 ? a->shape.ndim : 1;
        bool in_range = d >= -n && d < n;
        if (ok != in_range) fail("torch_sum_dim and the dim's range disagree", torch_last_error());
        if (ok) check_sum_dim(a, d, keepdim, r);
    }
    if (ok) {
        put(in, r, a, NULL);
        /* read after put: the call wrote it only on success */
        if (want_indices && (kind == 6 || kind == 7)) put(in, indices, a, NULL);
    }
}

/* An error followed by more work (reads no input byte, so the corpus keeps its meaning): the
 * failed product again, inside a scope and with_no_grad, must leave a good product of a with
 * the bits it had before; then a backward through it runs (or stops with an error of its
 * own, also checked). */
static void after_bad_mm(Tensor *a, Tensor *b) {
    if (a->dtype != TORCH_FLOAT32 || a->shape.ndim != 2 || shape_numel(a->shape) > 64) return;
    bool ok;
    Tensor *volatile before = NULL, *volatile after = NULL;
    TRY(ok, before = aux(torch_mm(a, aux(torch_t(a)))));
    if (!ok) fail("a good product failed", torch_last_error());
    TRY(ok, torch_scope_begin(); torch_no_grad_begin(); torch_mm(a, b));
    if (ok) fail("a bad product succeeded the second time", NULL);
    TRY(ok, after = aux(torch_mm(a, aux(torch_t(a)))));
    if (!ok) fail("a good product failed after an error", torch_last_error());
    if (!values_of(before, buf_ref) || !values_of(after, buf_r)) return;
    compare("a product after an error", buf_r, buf_ref, shape_numel(after->shape));
    if (torch_requires_grad(after) && !any_header_reused())
        TRY(ok, torch_backward(aux(torch_sum(after))));
}

static void op_mm(Bytes *in) {
    bool bad = false, ok;
    Tensor *a = operand(in, &bad), *b = operand(in, &bad);
    Tensor *volatile r = NULL;
    TRY(ok, r = torch_mm(a, b));
    expect_failed(ok, bad, "torch_mm");
    if (bad) return;
    bool fits = a->shape.ndim == 2 && b->shape.ndim == 2 && a->shape.size[1] == b->shape.size[0] &&
                a->dtype == TORCH_FLOAT32 && b->dtype == TORCH_FLOAT32;
    if (ok != fits) fail("torch_mm and the shapes disagree", ok ? "accepted" : torch_last_error());
    if (ok) {
        check_mm(a, b, r);
        put(in, r, a, b);
    } else {
        after_bad_mm(a, b);
    }
}

static void op_inplace(Bytes *in) {
    bool bad = false, ok;
    Tensor *t = operand(in, &bad), *o = operand(in, &bad);
    int kind = pick(in, 11);
    if (tracing) fprintf(stderr, "  %s: kind %d\n", __func__, kind);
    float v = value(in);
    snapshot(t);
    TRY(ok, switch (kind) {
        case 0: torch_add_(t, o); break;
        case 1: torch_sub_(t, o); break;
        case 2: torch_mul_(t, o); break;
        case 3: torch_mul_scalar_(t, v); break;
        case 4: torch_fill_(t, v); break;
        case 5: torch_zero_(t); break;
        case 6: torch_masked_fill_(t, o, v); break;
        case 7: torch_copy_(t, o); break;
        case 8: torch_uniform_(t, -1, v); break;
        case 9: torch_normal_(t, 0, v); break;
        default: torch_masked_fill_(t, aux(torch_gt_scalar(o, 0)), v); break;
    });
    if (kind == 3 || kind == 4 || kind == 5 || kind == 8 || kind == 9) {
        bool t_bad = !t || t->magic != TENSOR_ALIVE;
        if (t_bad && ok) fail("an in-place op wrote a NULL or released tensor", NULL);
    } else {
        expect_failed(ok, bad, "an in-place op");
    }
    check_unchanged(ok);
}

static void op_memory(Bytes *in) {
    bool bad = false, ok;
    volatile int s = pick(in, NSLOT); /* volatile: read after a longjmp */
    Tensor *t = operand(in, &bad);
    switch (pick(in, 8)) {
    case 0: { /* scope begin, up to the limit (which must be reported) */
        int depth = torch_scope_depth();
        TRY(ok, torch_scope_begin());
        if (ok != (depth < 64)) fail("torch_scope_begin and the limit disagree", NULL);
        break;
    }
    case 1: case 2: { /* scope end: its tensors go */
        int depth = torch_scope_depth();
        for (int i = 0; i < NSLOT; i++)
            if (slot[i].state == LIVE && slot[i].t->scope == depth && depth > 0) note_released(slot[i].t);
        if (depth > 0)
            for (int i = 0; i < NSLOT; i++)
                if (slot[i].state == BORROWED) slot[i] = (Slot){NULL, EMPTY};
        TRY(ok, torch_scope_end());
        if (ok != (depth > 0)) fail("torch_scope_end and the depth disagree", NULL);
        break;
    }
    case 3: /* keep; a gradient or a parameter is not the program's to keep (nor to free) */
        if (slot[s].state == BORROWED || is_borrowed(t)) break;
        TRY(ok, torch_keep(t));
        expect_failed(ok, bad, "torch_keep");
        if (ok) own(t);
        break;
    case 4: case 5: /* free; a gradient belongs to its leaf and is never freed */
        if (slot[s].state == BORROWED || is_borrowed(t)) break;
        TRY(ok, torch_free(t));
        if (ok && t) note_released(t);
        if (t && bad && ok) fail("torch_free accepted a released tensor", NULL);
        break;
    case 6: { /* assign: var <- value */
        if (slot[s].state != LIVE && slot[s].state != EMPTY) break;
        Tensor *var = slot[s].state == LIVE ? slot[s].t : NULL, *volatile old = var;
        if (is_borrowed(t)) break;
        TRY(ok, torch_assign(&var, t));
        expect_failed(ok, bad, "torch_assign");
        if (ok) {
            if (old && old != t) note_released(old);
            own(t);
            slot[s] = (Slot){t, LIVE};
        }
        break;
    }
    default: /* printing, into /dev/null */
        TRY(ok, torch_fprint(devnull, t); torch_fprint_libtorch(devnull, t));
        expect_failed(ok, bad, "torch_fprint");
        break;
    }
}

static int no_grad_open; /* with_no_grad scopes this input opened */

static void op_autograd(Bytes *in) {
    bool bad = false, ok;
    Tensor *t = operand(in, &bad);
    Tensor *g = NULL;
    switch (pick(in, 8)) {
    case 0: case 1:
        TRY(ok, torch_requires_grad_(t, pick(in, 4) != 0));
        expect_failed(ok, bad, "torch_requires_grad_");
        break;
    case 2: case 3: { /* backward: only while no released header was reused (see above) */
        if (any_header_reused()) break;
        Tensor *volatile root = t;
        TRY(ok, if (!bad && torch_numel(t) != 1 && torch_requires_grad(t))
                    root = aux(torch_sum(t));
            torch_backward(root));
        /* a graph may hold a released tensor: that error is allowed with good operands */
        if (bad && ok) fail("torch_backward accepted a NULL or released tensor", NULL);
        break;
    }
    case 4: { /* backward with a given gradient, keeping the graph */
        if (any_header_reused()) break;
        bool gradient_bad = false;
        Tensor *gradient = operand(in, &gradient_bad);
        TRY(ok, torch_backward_with(t, gradient, true));
        if (ok && (bad || (gradient_bad && gradient)))
            fail("torch_backward_with accepted a NULL or released tensor", NULL);
        if (ok && gradient && !shape_equal(gradient->shape, t->shape))
            fail("backward accepted a gradient of another shape", NULL);
        break;
    }
    case 5: /* grad: it belongs to t */
        TRY(ok, g = torch_grad(t));
        expect_failed(ok, bad, "torch_grad");
        if (ok && g) slot[pick(in, NSLOT)] = (Slot){g, BORROWED};
        break;
    case 6: /* with_no_grad: begin, or end (an error when none is open) */
        if (pick(in, 2) && no_grad_open < 4) {
            torch_no_grad_begin();
            no_grad_open++;
        } else {
            TRY(ok, torch_no_grad_end());
            if (ok != (no_grad_open > 0)) fail("torch_no_grad_end and the depth disagree", NULL);
            if (ok) no_grad_open--;
        }
        break;
    default:
        TRY(ok, torch_retain_grad(t));
        expect_failed(ok, bad, "torch_retain_grad");
        break;
    }
}

static void op_module(Bytes *in) {
    bool bad = false, ok;
    Tensor *x = operand(in, &bad);
    Tensor *volatile r = NULL;
    switch (pick(in, 4)) {
    case 0: case 1:
        /* Outside any scope, a recorded forward leaves the view of the weight its node holds
         * (docs/reliability.md): only unrecorded ones are run there. */
        if (torch_scope_depth() == 0 && torch_is_grad_enabled()) break;
        TRY(ok, r = nn_forward(linear, x));
        expect_failed(ok, bad, "nn_forward");
        if (ok) put(in, r, x, NULL);
        break;
    case 2:
        TRY(ok, nn_zero_grad(linear));
        if (!ok) fail("nn_zero_grad failed", torch_last_error());
        break;
    default: { /* a parameter: it belongs to the module */
        Tensor *volatile p = NULL;
        TRY(ok, p = nn_get_parameter(linear, pick(in, 3) ? "weight" : "bias"));
        if (!ok) fail("nn_get_parameter failed", torch_last_error());
        slot[pick(in, NSLOT)] = (Slot){p, BORROWED};
        break;
    }
    }
}

static void op_read(Bytes *in) {
    bool bad = false, ok;
    Tensor *t = operand(in, &bad);
    volatile float v = 0;
    if (pick(in, 2)) {
        TRY(ok, v = torch_item(t));
        expect_failed(ok, bad, "torch_item");
        if (!bad && ok != (shape_numel(t->shape) == 1)) fail("torch_item and numel disagree", NULL);
    } else {
        TRY(ok, if (!t || t->magic != TENSOR_ALIVE || shape_numel(t->shape) <= MAX_ELEMS)
                    torch_to_array(t, buf_r));
        expect_failed(ok, bad, "torch_to_array");
    }
    (void)v;
}

/* ---- one input ------------------------------------------------------------------------------ */

static void start(Bytes *in) {
    if (!devnull && !(devnull = fopen("/dev/null", "w"))) fail("cannot open /dev/null", NULL);
    torch_set_num_threads(1);
    tracing = getenv("FUZZ_TRACE") != NULL;
    memset(slot, 0, sizeof slot);
    n_owned = n_released = no_grad_open = 0;
    reuse_unknown = false;
    torch_manual_seed(byte(in));
    bool ok;
    TRY(ok, linear = nn_linear(3, 2));
    if (!ok) fail("nn_linear(3, 2) failed", torch_last_error());
}

/* Releases everything; then no tensor and no byte may be left. */
static void finish(void) {
    for (; no_grad_open > 0; no_grad_open--) torch_no_grad_end();
    if (!torch_is_grad_enabled()) fail("grad mode is still off", NULL);
    while (torch_scope_depth() > 0) torch_scope_end();
    nn_free(linear);
    linear = NULL;
    for (int i = 0; i < n_owned; i++)
        if (owned[i]->magic == TENSOR_ALIVE) torch_free(owned[i]);
    TorchMemoryStats st = torch_memory_stats();
    if (st.live_tensors != 0 || st.live_bytes != 0) {
        char detail[96];
        snprintf(detail, sizeof detail, "%lld tensors and %lld bytes are still live",
                 (long long)st.live_tensors, (long long)st.live_bytes);
        fail("a leak", detail);
    }
    torch_memory_trim();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Bytes in = {data, size};
    start(&in);
    for (int step = 0; step < 256 && in.n > 0; step++) {
        n_dead_operands = 0;
        switch (pick(&in, 13)) {
        case 0: case 1: op_create(&in); break;
        case 2: op_view(&in); break;
        case 3: op_binary(&in); break;
        case 4: op_unary(&in); break;
        case 5: op_reduce(&in); break;
        case 6: op_mm(&in); break;
        case 7: op_inplace(&in); break;
        case 8: op_memory(&in); break;
        case 9: op_autograd(&in); break;
        case 10: op_module(&in); break;
        case 11: op_read(&in); break;
        default: op_overflow(&in); break;
        }
    }
    finish();
    return 0;
}

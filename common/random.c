/*
 * random.c: random numbers drawn exactly as libtorch draws them on x86-64.
 *
 * With the same seed, every function here returns the same bits as torch 1.13 (the AVX2 build
 * that PyTorch and R torch use). docs/internals/random.md describes the algorithms, as measured
 * against libtorch, and the tests that prove them; this file follows its sections:
 *
 *   1. The generator: MT19937, seeding, 32- and 64-bit draws.
 *   2. Uniform numbers: one 32-bit draw per float, a fused multiply-add to scale it.
 *   3. LOG and SINCOS: the single-precision polynomials libtorch's AVX2 kernel uses.
 *   4. The two normal paths: 16-element Box-Muller blocks for big contiguous tensors,
 *      a scalar double Box-Muller (with a cached second sample) for everything else.
 *   5. The order in which libtorch visits the elements of a strided tensor.
 *   6. The fills that combine 2-5.
 *   7. The public functions: input checks first, then the fill; randint and randperm.
 *
 * Why fmaf() appears where it does: libtorch's AVX2 code is written as separate multiplies and
 * adds, and GCC fused some of those pairs into single-rounding FMA instructions. To get the same
 * bits we write exactly those steps as fmaf() and build with -ffp-contract=off so the compiler
 * fuses nothing else. fmaf is correctly rounded everywhere, so the results do not depend on
 * the CPU this runs on.
 */
#include "internal.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

/* ========================================================================================== */
/* 1. The generator                                                                            */
/* ========================================================================================== */

#define MT_N 624 /* words of state */
#define MT_M 397 /* the twist's middle offset */

/* libtorch's default_rng_seed_val. Real libtorch seeds from /dev/urandom at start-up; we use
 * its fixed fallback seed so that unseeded programs are still reproducible. */
#define DEFAULT_SEED UINT64_C(67280421310721)

typedef struct Generator {
    uint64_t seed;           /* the full value given to manual_seed, for initial_seed() */
    uint32_t state[MT_N];    /* the Mersenne Twister state */
    int next;                /* index of the next word to output; MT_N means "twist first" */
    bool has_cached_normal;  /* the scalar normal path's spare sample (section 4b) */
    double cached_normal;
} Generator;

static Generator default_rng;
static bool default_rng_ready;

/* Seeds g as std::mt19937(seed32) would be, with seed32 the low 32 bits of seed. */
static void mt_seed(Generator *g, uint64_t seed) {
    g->seed = seed;
    g->state[0] = (uint32_t)(seed & 0xffffffffu);
    for (uint32_t i = 1; i < MT_N; i++) {
        uint32_t prev = g->state[i - 1];
        g->state[i] = 1812433253u * (prev ^ (prev >> 30)) + i; /* mod 2^32 by uint32 wrap */
    }
    g->next = MT_N; /* twist lazily, before the first output */
    g->has_cached_normal = false;
}

/* The generator every function uses (libtorch's default CPU generator). */
static Generator *rng(void) {
    if (!default_rng_ready) {
        mt_seed(&default_rng, DEFAULT_SEED);
        default_rng_ready = true;
    }
    return &default_rng;
}

/* Regenerates all 624 words of state (the "twist"). */
static void mt_twist(Generator *g) {
    for (int i = 0; i < MT_N; i++) {
        /* the top bit of word i joined with the low 31 bits of word i + 1 */
        uint32_t y = (g->state[i] & 0x80000000u) | (g->state[(i + 1) % MT_N] & 0x7fffffffu);
        uint32_t v = g->state[(i + MT_M) % MT_N] ^ (y >> 1);
        if (y & 1u) v ^= 0x9908b0dfu;
        g->state[i] = v;
    }
    g->next = 0;
}

/* libtorch's random(): the next tempered 32-bit output. */
static uint32_t random32(Generator *g) {
    if (g->next >= MT_N) mt_twist(g);
    uint32_t y = g->state[g->next++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

/* libtorch's random64(): two outputs, the first in the high word. */
static uint64_t random64(Generator *g) {
    uint64_t hi = random32(g);
    uint64_t lo = random32(g);
    return (hi << 32) | lo;
}

/* ========================================================================================== */
/* 2. Uniform numbers                                                                          */
/* ========================================================================================== */

/* A float in [0, 1 - 2^-24]: the low 24 bits of one 32-bit draw, scaled exactly. */
static float uniform01_f32(Generator *g) {
    uint32_t r = random32(g);
    return (float)(r & 0xFFFFFFu) * 0x1.0p-24f; /* 2^-24 */
}

/* A double in [0, 1 - 2^-53]: the low 53 bits of one 64-bit draw, scaled exactly. */
static double uniform01_f64(Generator *g) {
    uint64_t r = random64(g);
    return (double)(r & ((UINT64_C(1) << 53) - 1)) * 0x1.0p-53; /* 2^-53 */
}

/* One float uniform on [from, from + range): AVX2 libtorch fuses x * range + from. */
static float uniform_f32(Generator *g, float from, float range) {
    return fmaf(uniform01_f32(g), range, from);
}

/* ========================================================================================== */
/* 3. LOG and SINCOS: the Cephes-style float polynomials of libtorch's AVX2 kernel             */
/* ========================================================================================== */

static float float_from_bits(uint32_t b) {
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static uint32_t bits_from_float(float f) {
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

/*
 * Natural log of x, for x in [2^-24, 1] (the only inputs the normal kernel produces).
 * Idea: x = m * 2^e with m near 1, log(x) = log(m) + e * log(2), log(m) from a polynomial in
 * t = m - 1. log(2) is split into Q2 (exact in few bits) plus Q1 (the small rest) so the
 * products with e stay exact. Every step is one rounded float operation unless it says fmaf.
 */
static float cephes_log(float x) {
    const float SQRTHF = 0.707106781186547524f; /* sqrt(1/2) */
    const float P0 = 7.0376836292E-2f, P1 = -1.1514610310E-1f, P2 = 1.1676998740E-1f,
                P3 = -1.2420140846E-1f, P4 = 1.4249322787E-1f, P5 = -1.6668057665E-1f,
                P6 = 2.0000714765E-1f, P7 = -2.4999993993E-1f, P8 = 3.3333331174E-1f;
    const float Q1 = -2.12194440e-4f, Q2 = 0.693359375f;

    /* 1. the exponent, plus one because m below lies in [0.5, 1) rather than [1, 2) */
    uint32_t bits = bits_from_float(x);
    int k = (int)(bits >> 23) - 127;
    float e = (float)k + 1.0f;
    /* 2. the mantissa with the exponent of 0.5 */
    float m = float_from_bits((bits & 0x807FFFFFu) | 0x3F000000u);
    /* 3. keep t = m - 1 small: below sqrt(1/2), use 2m - 1 and one less in the exponent */
    float t;
    if (m < SQRTHF) {
        e = e - 1.0f;
        t = (m - 1.0f) + m;
    } else {
        t = m - 1.0f;
    }
    /* 4-5. the polynomial, Horner's rule with fused steps */
    float z = t * t;
    float p = P0;
    p = fmaf(p, t, P1);
    p = fmaf(p, t, P2);
    p = fmaf(p, t, P3);
    p = fmaf(p, t, P4);
    p = fmaf(p, t, P5);
    p = fmaf(p, t, P6);
    p = fmaf(p, t, P7);
    p = fmaf(p, t, P8);
    p = p * t;
    /* 6. GCC fused (p * z) + (e * Q1); e * Q1 is rounded first */
    float y = fmaf(p, z, e * Q1);
    /* 7. the rest, unfused (both products are exact anyway) */
    y = y - z * 0.5f;
    return (t + y) + e * Q2;
}

/*
 * Sine and cosine of x >= 0 (x = 2*pi*u2 in [0, 2*pi)). Idea: j counts octants of pi/4, r is
 * x minus j * pi/4 (in three exact-ish pieces DP1 + DP2 + DP3), two short polynomials give
 * sin(r) and cos(r), and the octant decides which one is sin(x) and with which sign.
 */
static void cephes_sincos(float x, float *sin_out, float *cos_out) {
    const float FOPI = 1.27323954473516f; /* 4 / pi */
    const float DP1 = 0.78515625f, DP2 = 2.4187564849853515625e-4f,
                DP3 = 3.77489497744594108e-8f; /* pi/4 = DP1 + DP2 + DP3 */
    const float C0 = 2.443315711809948E-005f, C1 = -1.388731625493765E-003f,
                C2 = 4.166664568298827E-002f;
    const float S0 = -1.9515295891E-4f, S1 = 8.3321608736E-3f, S2 = -1.6666654611E-1f;

    /* 1. work on |x|; j = the octant, rounded up to even */
    uint32_t sign_sin = bits_from_float(x) & 0x80000000u;
    float a = fabsf(x);
    int j = (int)(a * FOPI); /* the product is rounded, then truncated */
    j = (j + 1) & ~1;
    float y = (float)j;
    /* 2. the sign flips the octant implies */
    if (j & 4) sign_sin ^= 0x80000000u;
    uint32_t sign_cos = ((j - 2) & 4) == 0 ? 0x80000000u : 0u;
    /* 3. r = a - y * pi/4, each piece fused */
    float r = fmaf(y, -DP1, a);
    r = fmaf(y, -DP2, r);
    r = fmaf(y, -DP3, r);
    float z = r * r;
    /* 4. cos(r) = 1 - z/2 + z^2 * (C2 + C1 z + C0 z^2) */
    float c = C0;
    c = fmaf(c, z, C1);
    c = fmaf(c, z, C2);
    c = c * z;
    c = fmaf(c, z, -(z * 0.5f));
    c = c + 1.0f;
    /* 5. sin(r) = r + r * z * (S2 + S1 z + S0 z^2) */
    float s = S0;
    s = fmaf(s, z, S1);
    s = fmaf(s, z, S2);
    s = s * z;
    s = fmaf(s, r, r);
    /* 6. pick by octant; adding +0 turns -0 into +0 (the AVX code blends by adding) */
    float sin_v = (j & 2) == 0 ? s : c;
    float cos_v = (j & 2) == 0 ? c : s;
    sin_v = sin_v + 0.0f;
    cos_v = cos_v + 0.0f;
    *sin_out = float_from_bits(bits_from_float(sin_v) ^ sign_sin);
    *cos_out = float_from_bits(bits_from_float(cos_v) ^ sign_cos);
}

/* ========================================================================================== */
/* 4. The two normal paths                                                                     */
/* ========================================================================================== */

/* ---- 4a. The block path: float32, contiguous, numel >= 16 -------------------------------- */

/*
 * Box-Muller on one block of 16 uniforms, in place: d[k] and d[k + 8] (k = 0..7) become two
 * normals from the pair (1 - d[k], d[k + 8]). d (16) -> d (16).
 */
static void normal_block16(float *d, float mean, float std) {
    const float TWO_PI = 6.2831854820251465f; /* 2*pi rounded to float */
    for (int k = 0; k < 8; k++) {
        float u1 = 1.0f - d[k]; /* in [2^-24, 1], never 0, so the log is finite */
        float u2 = d[k + 8];
        float radius = sqrtf(-2.0f * cephes_log(u1));
        float theta = TWO_PI * u2;
        float s, c;
        cephes_sincos(theta, &s, &c);
        d[k] = fmaf(radius * c, std, mean);
        d[k + 8] = fmaf(radius * s, std, mean);
    }
}

/* Fills n >= 16 contiguous floats with normals. d (n) -> d (n). */
static void normal_fill_blocks(Generator *g, float *d, int64_t n, float mean, float std) {
    for (int64_t i = 0; i < n; i++) d[i] = uniform01_f32(g);
    for (int64_t i = 0; i + 16 <= n; i += 16) normal_block16(d + i, mean, std);
    if (n % 16 != 0) {
        /* The tail rule: 16 fresh uniforms overwrite the last 16 places (some of them already
         * transformed) and become one more block. */
        float *tail = d + n - 16;
        for (int i = 0; i < 16; i++) tail[i] = uniform01_f32(g);
        normal_block16(tail, mean, std);
    }
}

/* ---- 4b. The scalar path: everything else, one double at a time -------------------------- */

/*
 * One standard normal in double. Box-Muller makes two from each pair of uniforms: the cosine
 * one is returned, the sine one is cached in the generator for the next call (of any size,
 * from any function that takes this path). The block path never touches the cache.
 */
static double standard_normal_f64(Generator *g) {
    if (g->has_cached_normal) {
        g->has_cached_normal = false;
        return g->cached_normal;
    }
    double u1 = uniform01_f64(g);
    double u2 = uniform01_f64(g);
    double r = sqrt(-2.0 * log(1.0 - u2)); /* 1 - u2 is exact and > 0 */
    double theta = 2.0 * 3.14159265358979323846 * u1;
    g->cached_normal = r * sin(theta);
    g->has_cached_normal = true;
    return r * cos(theta);
}

/* ========================================================================================== */
/* 5. Element order for in-place fills of any tensor                                           */
/* ========================================================================================== */

/*
 * libtorch fills a tensor through its TensorIterator, which visits elements in memory order:
 * it sorts the dimensions by stride (the smallest stride moves fastest). For a contiguous
 * tensor that is plain row-major order; for a transposed view it is the order of the
 * underlying storage. ElemIter walks the same order and yields element offsets.
 */
typedef struct ElemIter {
    int ndim;
    int64_t size[TORCH_MAX_DIMS];   /* dims in visiting order: [0] moves fastest */
    int64_t stride[TORCH_MAX_DIMS];
    int64_t index[TORCH_MAX_DIMS];
    int64_t offset;                 /* of the current element, from element 0 of t */
} ElemIter;

/* TensorIterator's comparison of dims a and b (a currently the faster one): 1 means swap them
 * (a has the larger stride, or the same stride and the larger size), -1 means keep the order,
 * 0 means undecided (a zero stride, or a tie); the sort then keeps looking further out. */
static int should_swap(const Tensor *t, int a, int b) {
    int64_t sa = t->stride[a], sb = t->stride[b];
    if (sa == 0 || sb == 0) return 0;
    if (sa < sb) return -1;
    if (sa > sb) return 1;
    return t->shape.size[a] > t->shape.size[b] ? 1 : 0;
}

static void iter_init(ElemIter *it, const Tensor *t) {
    int n = t->shape.ndim, perm[TORCH_MAX_DIMS];
    /* perm[0] is the fastest dim; start from row-major (last dim fastest) */
    for (int i = 0; i < n; i++) perm[i] = n - 1 - i;
    /* TensorIterator's insertion sort, which tolerates undecided comparisons */
    for (int i = 1; i < n; i++) {
        int d1 = i;
        for (int d0 = i - 1; d0 >= 0; d0--) {
            int cmp = should_swap(t, perm[d0], perm[d1]);
            if (cmp > 0) {
                int tmp = perm[d0];
                perm[d0] = perm[d1];
                perm[d1] = tmp;
                d1 = d0;
            } else if (cmp < 0) {
                break;
            }
        }
    }
    it->ndim = n;
    for (int i = 0; i < n; i++) {
        it->size[i] = t->shape.size[perm[i]];
        it->stride[i] = t->stride[perm[i]];
        it->index[i] = 0;
    }
    it->offset = 0;
}

/* Moves to the next element: an odometer whose fastest wheel is dim 0. */
static void iter_next(ElemIter *it) {
    for (int i = 0; i < it->ndim; i++) {
        it->offset += it->stride[i];
        if (++it->index[i] < it->size[i]) return;
        it->offset -= it->stride[i] * it->index[i];
        it->index[i] = 0;
    }
}

/* ========================================================================================== */
/* 6. Fills (no checks: the public functions below check first)                                */
/* ========================================================================================== */

/* t (any float32 strides) <- uniforms on [from, to), in libtorch's order. */
static void fill_uniform(Tensor *t, double from, double to) {
    Generator *g = rng();
    float f = (float)from, range = (float)to - f; /* both rounded to float first */
    float *d = tensor_f32(t);
    int64_t n = shape_numel(t->shape);
    ElemIter it;
    iter_init(&it, t);
    for (int64_t i = 0; i < n; i++, iter_next(&it)) d[it.offset] = uniform_f32(g, f, range);
}

/* t (any float32 strides) <- normals, by the block path when t allows it. */
static void fill_normal(Tensor *t, double mean, double std) {
    Generator *g = rng();
    int64_t n = shape_numel(t->shape);
    if (n >= 16 && torch_is_contiguous(t)) {
        normal_fill_blocks(g, tensor_f32(t), n, (float)mean, (float)std);
        return;
    }
    float *d = tensor_f32(t);
    ElemIter it;
    iter_init(&it, t);
    for (int64_t i = 0; i < n; i++, iter_next(&it))
        d[it.offset] = (float)(standard_normal_f64(g) * std + mean);
}

/* ========================================================================================== */
/* 7. The public functions                                                                     */
/* ========================================================================================== */

/* R: torch_manual_seed(seed). Only the low 32 bits seed the state; also drops the cached
 * normal sample. */
void torch_manual_seed(uint64_t seed) {
    mt_seed(rng(), seed);
}

/* R: torch_initial_seed(). The full 64-bit value last given to torch_manual_seed. */
uint64_t torch_initial_seed(void) { return rng()->seed; }

/* R: torch_rand(...). shape -> float32 uniforms on [0, 1). */
Tensor *torch_rand(Shape shape) {
    check_new_shape("torch_rand", shape, TORCH_FLOAT32);
    Tensor *t = tensor_alloc(shape, TORCH_FLOAT32);
    fill_uniform(t, 0.0, 1.0);
    return t;
}

/* R: torch_randn(...). shape -> float32 standard normals. */
Tensor *torch_randn(Shape shape) {
    check_new_shape("torch_randn", shape, TORCH_FLOAT32);
    Tensor *t = tensor_alloc(shape, TORCH_FLOAT32);
    fill_normal(t, 0.0, 1.0);
    return t;
}

/* R: t$uniform_(from, to). Fills t (float32, any strides) in place; returns t. */
Tensor *torch_uniform_(Tensor *t, double from, double to) {
    const char *op = "torch_uniform_";
    tensor_check(op, t);
    if (t->dtype != TORCH_FLOAT32)
        torch_error(op, "\"check_uniform_bounds\" not implemented for '%s'", dtype_name(t->dtype));
    /* written as !(inside) so that NaN fails too, as in libtorch */
    if (!(from >= -FLT_MAX && from <= FLT_MAX)) torch_error(op, "from is out of bounds for float");
    if (!(to >= -FLT_MAX && to <= FLT_MAX)) torch_error(op, "to is out of bounds for float");
    if (from > to)
        torch_error(op, "uniform_ expects to return a [from, to) range, but found from=%g > to=%g",
                    from, to);
    if (!(to - from <= FLT_MAX))
        torch_error(op,
                    "uniform_ expects to-from <= std::numeric_limits<Float>::max(), but found "
                    "to=%g and from=%g which result in to-from to exceed the limit",
                    to, from);
    check_no_internal_overlap(op, t);
    torch_before_inplace(op, t);
    fill_uniform(t, from, to);
    return t;
}

/* R: t$normal_(mean, std). Fills t (float32, any strides) in place; returns t. */
Tensor *torch_normal_(Tensor *t, double mean, double std) {
    const char *op = "torch_normal_";
    tensor_check(op, t);
    if (!(std >= 0.0)) torch_error(op, "normal expects std >= 0.0, but found std %g", std);
    if (t->dtype != TORCH_FLOAT32)
        torch_error(op, "\"normal_kernel_cpu\" not implemented for '%s'", dtype_name(t->dtype));
    check_no_internal_overlap(op, t);
    torch_before_inplace(op, t);
    fill_normal(t, mean, std);
    return t;
}

/* R: torch_randint(low, high, size). shape -> int64 in [low, high), row-major. */
Tensor *torch_randint(int64_t low, int64_t high, Shape shape) {
    const char *op = "torch_randint";
    check_new_shape(op, shape, TORCH_INT64);
    if (low >= high)
        torch_error(op,
                    "random_ expects 'from' to be less than 'to', but got from=%" PRId64
                    " >= to=%" PRId64,
                    low, high);
    Tensor *t = tensor_alloc(shape, TORCH_INT64);
    Generator *g = rng();
    /* unsigned arithmetic: the range may not fit in int64 (low = -2^63, high = 2^63 - 1) */
    uint64_t range = (uint64_t)high - (uint64_t)low;
    int64_t *d = tensor_i64(t);
    for (int64_t i = 0, n = shape_numel(shape); i < n; i++) {
        /* one 32-bit draw when the range fits in 32 bits, else one 64-bit draw; no rejection,
         * so there is libtorch's tiny modulo bias */
        uint64_t draw = range >= (UINT64_C(1) << 32) ? random64(g) : random32(g);
        d[i] = (int64_t)((uint64_t)low + draw % range); /* wraps mod 2^64 like libtorch */
    }
    return t;
}

/* R: torch_randperm(n). -> int64 (n), a permutation of 0..n-1. */
Tensor *torch_randperm(int64_t n) {
    const char *op = "torch_randperm";
    check_new_shape(op, SHAPE(n), TORCH_INT64);
    Tensor *t = tensor_alloc(SHAPE(n), TORCH_INT64);
    Generator *g = rng();
    int64_t *d = tensor_i64(t);
    for (int64_t i = 0; i < n; i++) d[i] = i;
    /* a forward Fisher-Yates shuffle: position i takes a random element from i..n-1 */
    for (int64_t i = 0; i + 1 < n; i++) {
        int64_t z = (int64_t)(random32(g) % (uint64_t)(n - i));
        int64_t tmp = d[i];
        d[i] = d[i + z];
        d[i + z] = tmp;
    }
    return t;
}

/*
 * adam.c: the fast backend's Adam step (backend.h's fast_adam), with the bits of
 * adam_reference in stage4_losses_optim/adam.c: each element goes through the reference's
 * operations in its order, 8 elements at a time with AVX2, 16 with AVX-512.
 *
 * The reference's loop, as written, stays scalar, about 30 instructions per element. The
 * compiler turns adam_loop below into vector instructions because:
 *   - weight decay and amsgrad are constants where adam_loops calls it, so none of its four
 *     copies branches inside the loop;
 *   - the arrays come as restrict parameters: they do not overlap (they are different
 *     tensors' buffers), so the compiler need not check that before loading several elements
 *     at once;
 *   - the constants are locals, which no store to the arrays can change;
 *   - the build says that math functions need not set errno (-fno-math-errno), so sqrtf is
 *     the CPU's square root instruction, which has a vector form;
 *   - fmaf is one instruction in the copy compiled for AVX2 and FMA. Elsewhere it is a call
 *     into the C library, and a loop that calls a function stays scalar: the portable copy
 *     has the same bits, one element at a time.
 * The vector square root, division and fused multiply-add round correctly, as sqrtf, / and
 * fmaf do: the same bits as the reference, lane by lane.
 */
#include "../backend.h"
#include "../internal.h"
#include "parallel.h"

#include <math.h>

/* torch.maximum: the larger, and NaN if either is NaN (as adam_reference's). */
ALWAYS_INLINE float maximum(float a, float b) { return (isnan(a) || a > b) ? a : b; }

/* One Adam step: p (n), g (n), m (n), v (n), v_max (n, amsgrad only) -> p, m, v, v_max,
 * the reference's operations on each element, e's constants in registers. */
ALWAYS_INLINE void adam_loop(const AdamElements *e, float *restrict p, float *restrict m,
                             float *restrict v, float *restrict v_max, const float *restrict g,
                             bool decay, bool amsgrad) {
    float weight_decay = e->weight_decay, eps = e->eps, b1 = e->b1, b2 = e->b2;
    float one_minus_b1 = e->one_minus_b1, one_minus_b2 = e->one_minus_b2;
    float bc2_sqrt = e->bc2_sqrt, minus_step_size = e->minus_step_size;
    for (int64_t k = 0; k < e->n; k++) {
        float gk = decay ? fmaf(p[k], weight_decay, g[k]) : g[k];
        float mk = fmaf(gk, one_minus_b1, m[k] * b1);
        float vk = fmaf(one_minus_b2 * gk, gk, v[k] * b2);
        m[k] = mk;
        v[k] = vk;
        if (amsgrad) vk = v_max[k] = maximum(v_max[k], vk);
        float denom = sqrtf(vk) / bc2_sqrt + eps;
        p[k] = p[k] + (minus_step_size * mk) / denom;
    }
}

/* One loop per combination of options, chosen once per parameter rather than per element.
 * (The weight decay is tested in float, as the reference does.) */
ALWAYS_INLINE void adam_loops(const AdamElements *e) {
    bool decay = e->weight_decay != 0;
    if (e->v_max) {
        if (decay) adam_loop(e, e->p, e->m, e->v, e->v_max, e->g, true, true);
        else adam_loop(e, e->p, e->m, e->v, e->v_max, e->g, false, true);
    } else {
        if (decay) adam_loop(e, e->p, e->m, e->v, e->v_max, e->g, true, false);
        else adam_loop(e, e->p, e->m, e->v, e->v_max, e->g, false, false);
    }
}

/* The loops compiled for each instruction set (cpu.c): the portable copy, the AVX2 copy from
 * FAST_AVX2 up (backend.h: AVX2 comes with FMA there), and the AVX-512 copy (16-float vectors,
 * FAST_AVX512_LOOPS). */
static void adam_portable(const AdamElements *e) { adam_loops(e); }
#if defined(__x86_64__) || defined(__i386__)
#define ADAM_X86 1
__attribute__((target("avx2,fma"))) static void adam_avx2(const AdamElements *e) {
    adam_loops(e);
}
FAST_AVX512_LOOPS static void adam_avx512(const AdamElements *e) {
    adam_loops(e);
}
#endif

static void adam_best(const AdamElements *e) {
#ifdef ADAM_X86
    if (fast_isa() >= FAST_AVX512) {
        adam_avx512(e);
        return;
    }
    if (fast_isa() >= FAST_AVX2) {
        adam_avx2(e);
        return;
    }
#endif
    adam_portable(e);
}

/* Elements [begin, end) of the step in ctx (an AdamElements): one thread's share. */
static void adam_range(int64_t begin, int64_t end, void *ctx) {
    AdamElements part = *(const AdamElements *)ctx;
    part.n = end - begin;
    part.p += begin, part.m += begin, part.v += begin, part.g += begin;
    if (part.v_max) part.v_max += begin;
    adam_best(&part);
}

/* Each element's update reads and writes only that element, so a large parameter (at least
 * 2 x 32,768 elements) is split over threads with the same bits; a tutorial-size one (at
 * most a few hundred elements) goes straight to the loop on the calling thread. */
enum { ADAM_GRAIN = 1 << 15 /* elements per thread, at least */ };

void fast_adam(const AdamElements *e) {
    if (e->n < 2 * ADAM_GRAIN) adam_best(e);
    else parallel_for(e->n, ADAM_GRAIN, adam_range, (void *)e);
}

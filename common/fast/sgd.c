/*
 * sgd.c: the fast backend's plain SGD step (backend.h's fast_sgd_step), with the bits of
 * sgd_step_reference in stage4_losses_optim/sgd.c: p = p - d_p * lr, the product rounded
 * first, element by element.
 *
 * The compiler vectorizes the loop: p and d_p are different tensors' buffers (restrict: it
 * need not check that they do not overlap), and lr is a local, which p's stores cannot
 * change. A multiply and a subtract per lane, each rounded (the build never fuses them,
 * -ffp-contract=off): the reference's bits in every lane.
 */
#include "../backend.h"
#include "../internal.h"
#include "parallel.h"

/* p (n) = p - d_p (n) * lr over [begin, end). */
ALWAYS_INLINE void sgd_step_loop(float *restrict p, const float *restrict d_p, float lr,
                                 int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; k++) p[k] = p[k] - d_p[k] * lr;
}

/* The loop compiled for each instruction set (cpu.c): 4 lanes portably, 8 with AVX2. */
static void sgd_step_portable(float *p, const float *d_p, float lr, int64_t begin,
                              int64_t end) {
    sgd_step_loop(p, d_p, lr, begin, end);
}
#if defined(__x86_64__) || defined(__i386__)
#define SGD_X86 1
__attribute__((target("avx2"))) static void sgd_step_avx2(float *p, const float *d_p, float lr,
                                                          int64_t begin, int64_t end) {
    sgd_step_loop(p, d_p, lr, begin, end);
}
#endif

static void sgd_step_best(float *p, const float *d_p, float lr, int64_t begin, int64_t end) {
#ifdef SGD_X86
    if (fast_isa() >= FAST_AVX2) {
        sgd_step_avx2(p, d_p, lr, begin, end);
        return;
    }
#endif
    sgd_step_portable(p, d_p, lr, begin, end);
}

/* The step's arguments, for the threads. */
typedef struct SgdStep {
    float *p;
    const float *d_p;
    float lr;
} SgdStep;

/* Elements [begin, end) of the step in ctx: one thread's share. */
static void sgd_step_range(int64_t begin, int64_t end, void *ctx) {
    const SgdStep *s = ctx;
    sgd_step_best(s->p, s->d_p, s->lr, begin, end);
}

/* Each element alone: a large parameter (at least 2 x 65,536 elements) is split over
 * threads, with the same bits; a tutorial-size one goes straight to the loop. */
enum { SGD_GRAIN = 1 << 16 /* elements per thread, at least */ };

void fast_sgd_step(float *p, const float *d_p, float lr, int64_t n) {
    if (n < 2 * SGD_GRAIN) sgd_step_best(p, d_p, lr, 0, n);
    else parallel_for(n, SGD_GRAIN, sgd_step_range, &(SgdStep){p, d_p, lr});
}

/*
 * backend.h: the seam between the code the chapters teach and the fast kernels.
 *
 * Every kernel that has a fast version is written twice, and both give the same bits:
 *   - the reference: the chapter's own code, in the chapter's file, short and in reading
 *     order, and what the exercises ask a student to write: the matrix product by definition
 *     (mm in common/linalg.c), the sums (sum_lanes in common/reduce.c), one strided walk for
 *     every elementwise op (common/elementwise.c), the Adam and SGD loops
 *     (stage4_losses_optim/adam.c, sgd.c);
 *   - the fast version, in common/fast/: register tiles, vector lanes, instruction sets chosen
 *     when the program runs, and threads (docs/performance.md tells how each works).
 *
 * The build picks one backend for the whole library:
 *     meson setup build                        the fast backend (the default)
 *     meson setup build -Dkernels=reference    only the code the chapters show
 * and each place that runs a kernel chooses with `#if CTORCH_FAST` (1 or 0, set by the build),
 * in one small function beside the reference code. Nothing else in the library knows that a
 * fast backend exists. A student copy builds the reference backend, so every function an
 * exercise writes is the one that runs. The tests compare the two backends on the same inputs,
 * bit for bit, across instruction sets and thread counts.
 *
 * Not part of the public API (not installed).
 */
#ifndef CTORCH_BACKEND_H
#define CTORCH_BACKEND_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "elementwise_ops.h"
#include "tensor.h"

#ifndef CTORCH_FAST
#error "CTORCH_FAST is set by the build (meson -Dkernels=fast|reference)"
#endif

/* ---- what the two backends share: the arguments of the optimizer loops ------------------- */

/* One Adam step over the n elements of a parameter p with gradient g, running averages m and
 * v (and v_max with amsgrad, else NULL), the hyperparameters already converted to float as
 * torch converts them (stage4_losses_optim/adam.c). The five arrays are different tensors'
 * buffers: they never overlap. */
typedef struct AdamElements {
    int64_t n;
    float *p, *m, *v, *v_max;
    const float *g;
    float weight_decay, eps, b1, one_minus_b1, b2, one_minus_b2, bc2_sqrt, minus_step_size;
} AdamElements;

#if CTORCH_FAST
/* ---- the fast backend: common/fast/ ------------------------------------------------------ */

/* Matrix products (fast/mm.c): a (n, k) @ b (k, m) -> out (n, m) contiguous, a and b with any
 * strides; then, when bias is not NULL, out[i][j] = out[i][j] + bias[i * bias_rs + j *
 * bias_cs] (torch_addmm). mm's bits (common/linalg.c). */
void fast_mm(const Tensor *a, const Tensor *b, const float *bias, int64_t bias_rs,
             int64_t bias_cs, Tensor *out);
/* The kernel fast_mm runs: its instruction set (fast_isa_name), or "blas" when built with
 * -Dblas=true (the system's cblas_sgemm, which sums in its own order: not mm's bits). */
const char *fast_mm_name(void);

/* Sums (fast/sum.c): src seen as (outer, n, inner) -> dst (outer, inner), sum_lanes's bits
 * (common/reduce.c). */
void fast_sum(const float *src, int64_t outer, int64_t n, int64_t inner, float *dst, bool mean);

/* Elementwise ops (fast/elementwise.c): the op e describes (elementwise_ops.h), a row at a
 * time with vector loops, a large one split over threads. elementwise_reference's bits
 * (common/elementwise.c). */
void fast_elementwise(const ElementwiseOp *e);

/* Adam (fast/adam.c): the reference loop's operations, 8 elements at a time, a large
 * parameter split over threads. */
void fast_adam(const AdamElements *e);

/* Plain SGD's p = p - d_p * lr over n elements (fast/sgd.c), a large parameter split over
 * threads. */
void fast_sgd_step(float *p, const float *d_p, float lr, int64_t n);

/* ---- instruction sets (fast/cpu.c) ------------------------------------------------------- */

/* The instruction sets the fast kernels are compiled for, from the least to the most. */
typedef enum FastIsa { FAST_PORTABLE, FAST_AVX2, FAST_AVX512 } FastIsa;

/* The instruction set every fast kernel uses: the best this CPU has (FAST_AVX2 means AVX2 and
 * FMA; FAST_AVX512, AVX-512 F and VL as well), found once, before any kernel runs. Every
 * kernel call asks (some 50 times in a tutorial-size epoch), so the answer is one inline load
 * of fast_isa_chosen; only the first call goes to cpu.c to ask the CPU. */
extern atomic_int fast_isa_chosen; /* a FastIsa, or -1 before the CPU has been asked */
FastIsa fast_isa_find(void);       /* asks the CPU (once, whichever thread comes first) */
static inline FastIsa fast_isa(void) {
    int isa = atomic_load_explicit(&fast_isa_chosen, memory_order_acquire);
    return isa >= 0 ? (FastIsa)isa : fast_isa_find();
}
const char *fast_isa_name(void); /* "avx512", "avx2" or "portable" */

/* The target attribute of the loops that the compiler vectorizes for AVX-512 (elementwise,
 * Adam): GCC's default tuning keeps to 8-float vectors even where AVX-512 is allowed, so GCC
 * is asked for 16; Clang does not take that option in a target attribute. */
#if defined(__clang__)
#define FAST_AVX512_LOOPS __attribute__((target("avx512f,avx512vl,fma")))
#else
#define FAST_AVX512_LOOPS __attribute__((target("avx512f,avx512vl,fma,prefer-vector-width=512")))
#endif

/* For tests and benchmarks: every fast kernel uses the named instruction set from now on.
 * Returns false (and changes nothing) if this CPU cannot run it. Call it between operations,
 * never while one runs. */
bool fast_isa_use(const char *name);
#endif

#endif

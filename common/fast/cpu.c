/*
 * cpu.c: which instruction set the fast kernels use (backend.h).
 *
 * Each fast kernel is compiled for every instruction set in FastIsa (with GCC's target
 * attribute) and runs the copy for fast_isa(). The CPU is asked once, under pthread_once, so
 * that no two threads ever race to find out, and every kernel agrees on the answer.
 */
#include "../backend.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* Read by backend.h's fast_isa; set once by find_best_isa, then only by fast_isa_use. */
atomic_int fast_isa_chosen = -1;
static pthread_once_t isa_once = PTHREAD_ONCE_INIT;

static const char *const isa_names[] = {[FAST_PORTABLE] = "portable", [FAST_AVX2] = "avx2",
                                        [FAST_AVX512] = "avx512"};

/* Whether this CPU can run the kernels compiled for isa. */
static bool cpu_supports(FastIsa isa) {
    if (isa == FAST_PORTABLE) return true;
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (isa == FAST_AVX2) return avx2;
    if (isa == FAST_AVX512)
        return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
#endif
    return false;
}

static void find_best_isa(void) {
    FastIsa best = FAST_PORTABLE;
    for (FastIsa isa = FAST_AVX2; isa <= FAST_AVX512; isa++)
        if (cpu_supports(isa)) best = isa;
    atomic_store_explicit(&fast_isa_chosen, (int)best, memory_order_release);
}

FastIsa fast_isa_find(void) {
    pthread_once(&isa_once, find_best_isa);
    return (FastIsa)atomic_load_explicit(&fast_isa_chosen, memory_order_acquire);
}

const char *fast_isa_name(void) { return isa_names[fast_isa()]; }

bool fast_isa_use(const char *name) {
    pthread_once(&isa_once, find_best_isa);
    for (FastIsa isa = FAST_PORTABLE; isa <= FAST_AVX512; isa++)
        if (strcmp(name, isa_names[isa]) == 0 && cpu_supports(isa)) {
            atomic_store_explicit(&fast_isa_chosen, (int)isa, memory_order_release);
            return true;
        }
    return false;
}

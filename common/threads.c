/* threads.c: how many threads the kernels may use (R: torch_set_num_threads). Only the fast
 * backend splits work over threads (common/fast/parallel.c); the reference runs on one. */
#include "tensor.h"

#include <unistd.h>

static int num_threads; /* 0 = not set yet: every core */

/* Asked once: sysconf reads the system's files, which would cost more than a small op. */
static int cores(void) {
    static int count;
    if (count == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        count = n > 0 ? (int)n : 1;
    }
    return count;
}

void torch_set_num_threads(int n) { num_threads = n > 0 ? n : cores(); }

int torch_get_num_threads(void) { return num_threads > 0 ? num_threads : cores(); }

/*
 * graded.h: what the graded tests share (tests/graded/ for the tests you can run, and the
 * instructors' hidden ones). Each exercise's tests are one Check test case named after it:
 * "ex2_3" is exercise 2.3. Run them with
 *     ./course grade 2.3                                   (every test of 2.3, with points)
 *     CK_RUN_CASE=ex2_3 build/tests/graded_stage2          (the test case itself)
 * The points of each test case are in tests/grading/manifest.txt.
 */
#ifndef CTORCH_GRADED_H
#define CTORCH_GRADED_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ct_test.h"
#include "internal.h"
#include "reduce_kernels.h"

/* The golden values of the visible tests (tools/gen_grading_fixtures.py, from PyTorch). */
#define GRADED_FIXTURES "grading.txt"

/* A test case for one exercise. Every test takes well under a second (a stage program's run
 * included); 10 s per test stops a loop that never ends, and the grader gives each test case
 * 15 s in all. */
static inline TCase *graded_tcase(const char *name) {
    TCase *tc = ct_tcase(name);
    tcase_set_timeout(tc, 10);
    return tc;
}

/* "[2, 3]" for messages. */
static inline const char *graded_shape(Shape s, char *buf, size_t len) {
    return shape_str(s, buf, len);
}

/* Fails unless got == want, naming what was computed. */
#define GRADED_ASSERT_SHAPE(got, want, ...)                                                    \
    do {                                                                                       \
        char g_[96], w_[96], what_[256];                                                       \
        snprintf(what_, sizeof what_, __VA_ARGS__);                                            \
        ck_assert_msg(shape_equal((got), (want)), "%s: got shape %s, expected %s", what_,       \
                      graded_shape((got), g_, sizeof g_), graded_shape((want), w_, sizeof w_)); \
    } while (0)

/* Checks PyTorch's values within a tolerance that any correct order of operations meets, and
 * says so when it fails: where a chapter does not teach the order, the concept is graded,
 * not the last bits. */
#define GRADED_ASSERT_CLOSE(actual, expected, rtol, atol)                                      \
    ct_assert_close((actual), (expected), (rtol), (atol),                                     \
                    #actual " (PyTorch's value within a tolerance any correct order of "      \
                            "operations meets)",                                              \
                    __FILE__, __LINE__)

/* Exercise 1.3's sum_lanes itself, through sum_reference: x (contiguous float32) summed (or
 * averaged) along dim, or over every element for dim -1, into a tensor of want's shape,
 * checked against want bit for bit. In a fast build (-Dkernels=fast) torch_sum and the others
 * run the fast backend's sums, which give the same bits (common/backend.h); so the graded tests
 * call the definition by name, as they call mm_reference. */
static inline void graded_check_sum_lanes(Tensor *x, int dim, bool mean, Tensor *want) {
    int64_t outer = 1, n = shape_numel(x->shape), inner = 1;
    if (dim >= 0) {
        n = x->shape.size[dim];
        for (int d = 0; d < x->shape.ndim; d++) {
            if (d < dim) outer *= x->shape.size[d];
            if (d > dim) inner *= x->shape.size[d];
        }
    }
    ck_assert_int_eq(shape_numel(want->shape), outer * inner);
    Tensor *out = torch_full(want->shape, NAN); /* every lane must be written */
    sum_reference(tensor_f32(x), outer, n, inner, tensor_f32(out), mean);
    CT_ASSERT_BITS_EQ(out, want);
}

#endif

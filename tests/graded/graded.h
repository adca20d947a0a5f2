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

/* A suite's table of test cases: one row per exercise, its name ("ex3_1") and its tests, the
 * rest of the row NULL (a local array: Check's test names are variables, not constants).
 * graded_suite makes the suite, one test case per row. */
enum { GRADED_CASE_TESTS = 4 };
typedef struct GradedCase {
    const char *name;
    const TTest *tests[GRADED_CASE_TESTS];
} GradedCase;

static inline Suite *graded_suite(const char *name, const GradedCase *cases, size_t n) {
    Suite *s = suite_create(name);
    for (size_t i = 0; i < n; i++) {
        TCase *tc = graded_tcase(cases[i].name);
        for (int k = 0; k < GRADED_CASE_TESTS && cases[i].tests[k]; k++)
            tcase_add_test(tc, cases[i].tests[k]);
        suite_add_tcase(s, tc);
    }
    return s;
}

/* PyTorch's values to a tolerance that any correct order of operations meets: where the
 * chapter teaches no order, a result may differ from torch's in its last bits. The failure
 * message says so. (Bit for bit, CT_ASSERT_BITS_EQ, only where the order is taught: the
 * definition of mm, and the sums of the cross-stage contract.) */
#define GRADED_RTOL 1e-5
#define GRADED_ATOL 1e-6
#define GRADED_ASSERT_CLOSE(actual, expected)                                                  \
    ct_assert_close((actual), (expected), GRADED_RTOL, GRADED_ATOL,                            \
                    #actual " (to PyTorch's, within a tolerance any correct order meets)",     \
                    __FILE__, __LINE__)
/* The same with a tolerance of the test's own, where a result goes through more steps. */
#define GRADED_ASSERT_CLOSE_TOL(actual, expected, rtol, atol)                                  \
    ct_assert_close((actual), (expected), (rtol), (atol),                                     \
                    #actual " (to PyTorch's, within a tolerance any correct order meets)",     \
                    __FILE__, __LINE__)

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

/* "[12, 4, 1]" for messages: n int64 values. */
static inline const char *graded_ints(const int64_t *v, int n, char *buf, size_t len) {
    size_t used = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%lld", i ? ", " : "", (long long)v[i]);
    if (used < len) snprintf(buf + used, len - used, "]");
    return buf;
}

/* Exercises 1.1 and 1.2: `view`, which `what` names, must be a view of `base` as torch makes
 * it: base's storage (no element copied), and torch's shape, strides and storage offset, with
 * torch's values read through it (fixtures NAME, NAME_stride and NAME_offset). */
static inline void graded_check_view(Tensor *view, Tensor *base, Fixtures *fx, const char *name,
                                     const char *what) {
    char key[128], got[160], want[160];
    Tensor *values = fixture_tensor(fx, name);
    GRADED_ASSERT_SHAPE(view->shape, values->shape, "%s", what);
    ck_assert_msg(view->storage == base->storage, "%s: not a view of its input (another storage)",
                  what);
    snprintf(key, sizeof key, "%s_stride", name);
    const int64_t *stride = tensor_i64(fixture_tensor(fx, key));
    int n = view->shape.ndim;
    ck_assert_msg(memcmp(view->stride, stride, sizeof(int64_t) * (size_t)n) == 0,
                  "%s: strides %s, expected %s", what,
                  graded_ints(view->stride, n, got, sizeof got),
                  graded_ints(stride, n, want, sizeof want));
    snprintf(key, sizeof key, "%s_offset", name);
    int64_t offset = tensor_i64(fixture_tensor(fx, key))[0];
    ck_assert_msg(view->offset == offset, "%s: storage offset %lld, expected %lld", what,
                  (long long)view->offset, (long long)offset);
    CT_ASSERT_BITS_EQ(torch_contiguous(view), values);
}

/* Exercise 1.5's sum_lanes itself, through sum_reference: x (contiguous float32) summed (or
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

#ifdef CTORCH_GRAPH_H
/* Exercises 2.1 .. 2.4: the gradients that out's node alone sends its inputs, given g, the
 * gradient of out (derivatives.c, with grad mode off as in the walk): no backward walk
 * (exercise 2.5) is needed. grads[i] is NULL where the node computes none. */
static inline void graded_node_backward(Tensor *out, Tensor *g, Tensor *grads[3]) {
    ck_assert_msg(out->autograd && out->autograd->grad_fn, "the result has no grad_fn");
    grads[0] = grads[1] = grads[2] = NULL;
    torch_no_grad_begin();
    derivative_apply(out->autograd->grad_fn, g, grads);
    torch_no_grad_end();
}
#endif

#endif

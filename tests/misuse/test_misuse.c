/*
 * test_misuse.c: the misuse catalogue (misuse.h, cases_stage*.c).
 *
 * For every case, a test named after it: the misuse must raise exactly the catalogued
 * message (CT_EXPECT_ERROR), and the caught error must leave the process as it was: the same
 * scope depth and grad mode, and for an in-place misuse the same values and version of the
 * tensor it would have written (misuse_watch). For the cases marked `driver`, a second test
 * runs misuse_driver in a separate process with the default handler: exit status 1 and
 * "Error in <message>" on stderr, nothing else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_test.h"
#include "misuse.h"

#ifndef MISUSE_DRIVER
#error "MISUSE_DRIVER must be defined by the build"
#endif

#define MAX_CASES 512

static const MisuseCase *cases[MAX_CASES];
static const char *stages[MAX_CASES];
static int n_cases;

static void collect(void) {
    for (const MisuseCatalogue *cat = misuse_catalogues; cat->stage; cat++)
        for (const MisuseCase *c = cat->cases; c->name && n_cases < MAX_CASES; c++) {
            stages[n_cases] = cat->stage;
            cases[n_cases++] = c;
        }
}

/* Undoes what a case opened or made: no-grad scopes, scopes (or, for the case that closes
 * them all, reopens them), and its modules. */
static void restore(int depth) {
    while (!torch_is_grad_enabled()) torch_no_grad_end();
    while (torch_scope_depth() > depth) torch_scope_end();
    while (torch_scope_depth() < depth) torch_scope_begin();
    misuse_free_modules();
}

START_TEST(test_case) {
    const MisuseCase *c = cases[_i];
    int depth = torch_scope_depth();
    misuse_reset();
    CT_EXPECT_ERROR(c->message, c->run());
    const char *changed = misuse_changed();
    restore(depth);
    misuse_reset();
    ck_assert_msg(changed == NULL, "%s/%s: after the caught error, %s", stages[_i], c->name,
                  changed);
}
END_TEST

/* The same misuse in a program with the default handler: status 1, one line on stderr. */
START_TEST(test_case_in_driver) {
    const MisuseCase *c = cases[_i];
    char command[512], want[1200], *out;
    snprintf(command, sizeof command, "%s %s 2>&1 >/dev/null", MISUSE_DRIVER, c->name);
    int status = ct_system(command, &out);
    snprintf(want, sizeof want, "Error in %s\n", c->message);
    ck_assert_msg(status == 1, "%s: exit status %d, expected 1 (stderr: %s)", c->name, status, out);
    ck_assert_str_eq(out, want);
    free(out);
}
END_TEST

/* The catalogue itself: big enough, every name unique, every message "op: message". */
START_TEST(test_catalogue_is_well_formed) {
    ck_assert_int_ge(n_cases, 60);
    for (int i = 0; i < n_cases; i++) {
        ck_assert_msg(strstr(cases[i]->message, ": ") != NULL, "%s: no \"op: \" in its message",
                      cases[i]->name);
        for (int j = 0; j < i; j++)
            ck_assert_msg(strcmp(cases[i]->name, cases[j]->name) != 0, "two cases named %s",
                          cases[i]->name);
    }
    char command[512], *out;
    snprintf(command, sizeof command, "%s --list", MISUSE_DRIVER);
    ck_assert_int_eq(ct_system(command, &out), 0);
    int lines = 0;
    for (const char *p = out; *p; p++) lines += *p == '\n';
    ck_assert_int_eq(lines, n_cases);
    free(out);
    snprintf(command, sizeof command, "%s no_such_case 2>&1 >/dev/null", MISUSE_DRIVER);
    ck_assert_int_eq(ct_system(command, &out), 2);
    ck_assert_str_eq(out, "misuse_driver: no case named 'no_such_case' (see --list)\n");
    free(out);
}
END_TEST

/* ---- regression tests for bugs the catalogue and the fuzzer found ------------------------ */

static int64_t live_tensors(void) { return torch_memory_stats().live_tensors; }

/* A tensor with no element is contiguous whatever its strides (libtorch's rule), and
 * torch_contiguous gives it back as it is. */
START_TEST(test_fix_empty_tensor_is_contiguous) {
    Tensor *e = torch_zeros(SHAPE(2, 1, 0, 0));
    ck_assert(torch_is_contiguous(e));
    Tensor *et = torch_transpose(e, 0, 3); /* strides (1, 1, 1, 1) either way */
    ck_assert(torch_is_contiguous(et));
    ck_assert_ptr_eq(torch_contiguous(et), et);
}
END_TEST

/* backward on a leaf made its ones() seed outside any scope, and it was never released. */
START_TEST(test_fix_backward_on_a_leaf_releases_its_seed) {
    torch_scope_end(); /* outside any scope, where the seed leaked */
    Tensor *w = torch_requires_grad_(torch_scalar(3), true);
    int64_t before = live_tensors();
    torch_backward(w);
    ck_assert_int_eq(live_tensors(), before + 1); /* w's gradient, and nothing else */
    ck_assert_float_eq(torch_item(torch_grad(w)), 1.0f);
    torch_free(w);
    torch_scope_begin();
}
END_TEST

/* A bool or int64 gradient given to backward was stored as the leaf's grad as it was, and the
 * next backward failed adding float to it; it is converted, as libtorch does. */
START_TEST(test_fix_backward_converts_the_given_gradient) {
    Tensor *w = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    Tensor *g = torch_tensor_bool(SHAPE(2), (bool[]){true, false});
    torch_backward_with(w, g, false);
    torch_backward_with(torch_mul_scalar(w, 2), g, false);
    CT_ASSERT_BITS_EQ(torch_grad(w), torch_tensor(SHAPE(2), (float[]){3, 0}));
}
END_TEST

/* sum and mean along dim 0 of a 0-dim tensor: the backward tried to expand to no dims. */
START_TEST(test_fix_reduce_0_dim_backward) {
    Tensor *x = torch_requires_grad_(torch_scalar(2), true);
    torch_backward(torch_add(torch_mean_dim(x, 0, false), torch_sum_dim(x, -1, true)));
    ck_assert_float_eq(torch_item(torch_grad(x)), 2.0f);
}
END_TEST

/* An empty slice's backward sliced with an end before its start, which counts from the end. */
START_TEST(test_fix_empty_slice_backward) {
    Tensor *w = torch_requires_grad_(torch_ones(SHAPE(2, 3)), true);
    Tensor *s = torch_slice(w, 1, 0, 0, 3); /* (2, 0) */
    torch_backward(torch_add(torch_sum(s), torch_sum(w)));
    CT_ASSERT_BITS_EQ(torch_grad(w), torch_ones(SHAPE(2, 3)));
}
END_TEST

/* zero_grad after a gradient was asked for gradients: it is zeroed unrecorded, not refused. */
START_TEST(test_fix_zero_grad_of_a_grad_that_requires_grad) {
    Module *l = nn_linear(3, 2);
    Tensor *w = nn_get_parameter(l, "weight");
    torch_backward(torch_sum(nn_forward(l, torch_ones(SHAPE(4, 3)))));
    torch_requires_grad_(torch_grad(w), true);
    nn_zero_grad(l);
    CT_ASSERT_BITS_EQ(torch_grad(w), torch_zeros(SHAPE(2, 3)));
    ck_assert(torch_is_grad_enabled());
    nn_free(l);
}
END_TEST

/* Outside any scope, helpers made inside a call that nothing records were never released:
 * nn_linear's transposed weight, nn_sequential's intermediate results, reshape's copy, and
 * max_dim's indices once autograd is on. */
START_TEST(test_fix_no_helper_left_outside_scopes) {
    torch_scope_end();
    Module *model = nn_sequential(nn_linear(3, 4), nn_relu(), nn_linear(4, 1));
    Tensor *x = torch_ones(SHAPE(5, 3));
    torch_requires_grad_(torch_ones(SHAPE(1)), true); /* autograd is on from here */
    int64_t before = live_tensors();
    Tensor *y = NULL, *r = NULL, *m = NULL;
    with_no_grad(y = nn_forward(model, x));
    r = torch_reshape(torch_t(x), SHAPE(15));           /* a copy: t(x) cannot be viewed */
    m = torch_max_dim(x, 1, false, NULL);
    ck_assert_int_eq(live_tensors(), before + 4); /* y, t(x), r, m: nothing else */
    torch_free(y);
    torch_free(r);
    torch_free(m);
    torch_free(x);
    nn_free(model);
    torch_scope_begin();
}
END_TEST

/* nn_linear checked its input's dtype only after making the transposed weight. */
START_TEST(test_fix_linear_checks_dtype_first) {
    torch_scope_end();
    Module *l = nn_linear(3, 2);
    Tensor *x = torch_to_dtype(torch_ones(SHAPE(4, 3)), TORCH_INT64);
    int64_t before = live_tensors();
    CT_EXPECT_ERROR("nn_linear: mat1 and mat2 must have the same dtype, but got Long and Float",
                    nn_forward(l, x));
    ck_assert_int_eq(live_tensors(), before);
    torch_free(x);
    nn_free(l);
    torch_scope_begin();
}
END_TEST

/* backward with 64 scopes open: its own scope cannot open; the error comes before it has
 * allocated anything or changed any state. */
START_TEST(test_fix_backward_at_the_scope_limit) {
    Tensor *w = torch_requires_grad_(torch_ones(SHAPE(2)), true);
    Tensor *loss = torch_sum(torch_mul(w, w));
    int depth = torch_scope_depth();
    while (torch_scope_depth() < 64) torch_scope_begin();
    CT_EXPECT_ERROR("torch_scope_begin: too many nested scopes (at most 64); is a "
                    "torch_scope_end() missing?",
                    torch_backward(loss));
    ck_assert(torch_is_grad_enabled());
    ck_assert_int_eq(torch_scope_depth(), 64);
    while (torch_scope_depth() > depth) torch_scope_end();
    ck_assert_ptr_null(torch_grad(w));
    torch_backward(loss); /* nothing was spent: it still works */
    CT_ASSERT_BITS_EQ(torch_grad(w), torch_tensor(SHAPE(2), (float[]){2, 2}));
}
END_TEST

static Suite *suite(void) {
    collect();
    Suite *s = suite_create("misuse");
    TCase *tc = ct_tcase("catalogue");
    tcase_add_test(tc, test_catalogue_is_well_formed);
    suite_add_tcase(s, tc);
    tc = ct_tcase("fixes");
    tcase_add_test(tc, test_fix_empty_tensor_is_contiguous);
    tcase_add_test(tc, test_fix_backward_on_a_leaf_releases_its_seed);
    tcase_add_test(tc, test_fix_backward_converts_the_given_gradient);
    tcase_add_test(tc, test_fix_reduce_0_dim_backward);
    tcase_add_test(tc, test_fix_empty_slice_backward);
    tcase_add_test(tc, test_fix_zero_grad_of_a_grad_that_requires_grad);
    tcase_add_test(tc, test_fix_no_helper_left_outside_scopes);
    tcase_add_test(tc, test_fix_linear_checks_dtype_first);
    tcase_add_test(tc, test_fix_backward_at_the_scope_limit);
    suite_add_tcase(s, tc);
    /* one TCase per case, so that TAP names it: "stage1/mm_inner_sizes" */
    static char names[MAX_CASES][96], driver_names[MAX_CASES][104];
    for (int i = 0; i < n_cases; i++) {
        snprintf(names[i], sizeof names[i], "%s/%s", stages[i], cases[i]->name);
        tc = ct_tcase(names[i]);
        tcase_add_loop_test(tc, test_case, i, i + 1);
        suite_add_tcase(s, tc);
        if (!cases[i]->driver) continue;
        snprintf(driver_names[i], sizeof driver_names[i], "driver/%s", cases[i]->name);
        tc = ct_tcase(driver_names[i]);
        tcase_set_timeout(tc, 60);
        tcase_add_loop_test(tc, test_case_in_driver, i, i + 1);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void) { return ct_run(suite()); }

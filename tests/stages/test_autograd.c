/*
 * test_autograd.c: chapter 2's engine against PyTorch 1.13 and finite differences.
 *
 * Golden values come from tools/gen_autograd_fixtures.py (tests/fixtures/autograd.txt): for
 * every differentiable op the inputs, the forward value, the upstream gradient backward is
 * seeded with, PyTorch's input gradients and PyTorch's node name. Each op is also checked with
 * torch_gradcheck (central finite differences), so a formula that PyTorch and ctorch got wrong
 * the same way would still be caught.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autograd.h"
#include "ct_test.h"
#include "graph.h" /* a custom function's node, inside */
#include "ct_tutorial.h"
#include "ct_functions.h"

#ifndef STAGE1_TRAIN
#error "STAGE1_TRAIN must be defined by the build"
#endif
#ifndef STAGE2_TRAIN
#error "STAGE2_TRAIN must be defined by the build"
#endif

#define FIXTURE "autograd.txt"
/* Gradients against PyTorch: different summation orders only. */
#define RTOL 1e-5
#define ATOL 1e-6
/* Finite differences in float32: eps 1e-3 keeps truncation error ~1e-6 and rounding error
 * ~1e-4 relative, far below what a wrong formula gives. */
#define GC_EPS 1e-3
#define GC_ATOL 1e-3
#define GC_RTOL 1e-2

static Tensor *leaf(Shape shape, const float *values) {
    return torch_requires_grad_(torch_tensor(shape, values), true);
}

/* ---- one table row per differentiable op ------------------------------------------------ */

/* Each case is a GradcheckFn: a, b, c are the float inputs, m the case's bool mask (ctx). */
#define OP(fname, ...)                                                                     \
    static Tensor *fname(Tensor **in, int n, void *ctx) {                                  \
        Tensor *a = in[0], *b = n > 1 ? in[1] : NULL, *c = n > 2 ? in[2] : NULL, *m = ctx; \
        (void)b, (void)c, (void)m;                                                         \
        return (__VA_ARGS__);                                                              \
    }

OP(f_add, torch_add(a, b))
OP(f_sub, torch_sub(a, b))
OP(f_mul, torch_mul(a, b))
OP(f_div, torch_div(a, b))
OP(f_add_scalar, torch_add_scalar(a, 2.5f))
OP(f_sub_scalar, torch_sub_scalar(a, 1.5f))
OP(f_mul_scalar, torch_mul_scalar(a, -3.0f))
OP(f_div_scalar, torch_div_scalar(a, 4.0f))
OP(f_neg, torch_neg(a))
OP(f_pow_2, torch_pow(a, 2))
OP(f_pow_3, torch_pow(a, 3))
OP(f_pow_0_5, torch_pow(a, 0.5f))
OP(f_pow_m1, torch_pow(a, -1))
OP(f_pow_1_5, torch_pow(a, 1.5f))
OP(f_clamp_min, torch_clamp_min(a, 0))
OP(f_clamp, torch_clamp(a, -0.5f, 0.5f))
OP(f_relu, torch_relu(a))
OP(f_exp, torch_exp(a))
OP(f_log, torch_log(a))
OP(f_sqrt, torch_sqrt(a))
OP(f_abs, torch_abs(a))
OP(f_where, torch_where(m, a, b))
OP(f_masked_fill, torch_masked_fill(a, m, 0.5f))
OP(f_sum, torch_sum(a))
OP(f_sum_dim1, torch_sum_dim(a, 1, false))
OP(f_sum_dim0_keep, torch_sum_dim(a, 0, true))
OP(f_mean, torch_mean(a))
OP(f_mean_dim1, torch_mean_dim(a, 1, false))
OP(f_mean_dim0_keep, torch_mean_dim(a, 0, true))
OP(f_max, torch_max(a))
OP(f_min, torch_min(a))
OP(f_max_dim1, torch_max_dim(a, 1, false, NULL))
OP(f_max_dim0_keep, torch_max_dim(a, 0, true, NULL))
OP(f_min_dim1, torch_min_dim(a, 1, false, NULL))
OP(f_min_dim0_keep, torch_min_dim(a, 0, true, NULL))
OP(f_mm, torch_mm(a, b))
OP(f_matmul, torch_matmul(a, b))
OP(f_addmm, torch_addmm(a, b, c))
OP(f_view, torch_view(a, SHAPE(2, 6)))
OP(f_reshape, torch_reshape(a, SHAPE(12)))
OP(f_reshape_copy, torch_reshape(torch_t(a), SHAPE(12)))
OP(f_squeeze, torch_squeeze(a))
OP(f_squeeze_dim, torch_squeeze_dim(a, 1))
OP(f_unsqueeze, torch_unsqueeze(a, 1))
OP(f_transpose, torch_transpose(a, 0, 2))
OP(f_t, torch_t(a))
OP(f_expand, torch_expand(a, SHAPE(3, 4)))
OP(f_expand_new_dims, torch_expand(a, SHAPE(2, 3, 4)))
OP(f_select, torch_select(a, 1, 2))
OP(f_select_neg, torch_select(a, 0, -1))
OP(f_slice_step, torch_slice(a, 1, 1, 6, 2))
OP(f_narrow, torch_narrow(a, 0, 1, 2))
OP(f_clone, torch_clone(a))
/* y = x * x + x: x reaches the sum by three paths */
OP(f_diamond, torch_add(torch_mul(a, a), a))
/* (a.view(3, 4).t().narrow(0, 1, 2) * b).sum(1) */
OP(f_chain_views,
   torch_sum_dim(torch_mul(torch_narrow(torch_t(torch_view(a, SHAPE(3, 4))), 0, 1, 2), b), 1,
                 false))
/* (a (3,1) * b (1,4)).mean(0): both gradients are reductions over a broadcast */
OP(f_bcast_reduce, torch_mean_dim(torch_mul(a, b), 0, false))

typedef struct OpCase {
    const char *name; /* fixture prefix, as in tools/gen_autograd_fixtures.py */
    int n_in;         /* float inputs, each requiring grad */
    GradcheckFn fn;
} OpCase;

static const OpCase op_cases[] = {
    {"add_same", 2, f_add},
    {"add_bcast", 2, f_add},
    {"add_0d", 2, f_add},
    {"sub_bcast", 2, f_sub},
    {"sub_0d", 2, f_sub},
    {"mul_bcast", 2, f_mul},
    {"mul_0d", 2, f_mul},
    {"div_bcast", 2, f_div},
    {"div_0d", 2, f_div},
    {"add_scalar", 1, f_add_scalar},
    {"sub_scalar", 1, f_sub_scalar},
    {"mul_scalar", 1, f_mul_scalar},
    {"div_scalar", 1, f_div_scalar},
    {"neg", 1, f_neg},
    {"pow_2", 1, f_pow_2},
    {"pow_3", 1, f_pow_3},
    {"pow_0_5", 1, f_pow_0_5},
    {"pow_m1", 1, f_pow_m1},
    {"pow_1_5", 1, f_pow_1_5},
    {"clamp_min", 1, f_clamp_min},
    {"clamp", 1, f_clamp},
    {"relu", 1, f_relu},
    {"exp", 1, f_exp},
    {"log", 1, f_log},
    {"sqrt", 1, f_sqrt},
    {"abs", 1, f_abs},
    {"where", 2, f_where},
    {"masked_fill", 1, f_masked_fill},
    {"masked_fill_bcast", 1, f_masked_fill},
    {"sum", 1, f_sum},
    {"sum_dim1", 1, f_sum_dim1},
    {"sum_dim0_keep", 1, f_sum_dim0_keep},
    {"mean", 1, f_mean},
    {"mean_dim1", 1, f_mean_dim1},
    {"mean_dim0_keep", 1, f_mean_dim0_keep},
    {"max_tie", 1, f_max},
    {"min_tie", 1, f_min},
    {"max_dim1", 1, f_max_dim1},
    {"max_dim0_keep", 1, f_max_dim0_keep},
    {"min_dim1", 1, f_min_dim1},
    {"min_dim0_keep", 1, f_min_dim0_keep},
    {"mm", 2, f_mm},
    {"matmul_dot", 2, f_matmul},
    {"matmul_mv", 2, f_matmul},
    {"matmul_vm", 2, f_matmul},
    {"matmul_mm", 2, f_matmul},
    {"addmm", 3, f_addmm},
    {"addmm_vec", 3, f_addmm},
    {"view", 1, f_view},
    {"reshape", 1, f_reshape},
    {"reshape_copy", 1, f_reshape_copy},
    {"squeeze", 1, f_squeeze},
    {"squeeze_dim", 1, f_squeeze_dim},
    {"unsqueeze", 1, f_unsqueeze},
    {"transpose", 1, f_transpose},
    {"t", 1, f_t},
    {"expand", 1, f_expand},
    {"expand_new_dims", 1, f_expand_new_dims},
    {"select", 1, f_select},
    {"select_neg", 1, f_select_neg},
    {"slice_step", 1, f_slice_step},
    {"narrow", 1, f_narrow},
    {"clone", 1, f_clone},
    {"diamond", 1, f_diamond},
    {"chain_views", 2, f_chain_views},
    {"bcast_reduce", 2, f_bcast_reduce},
};
#define N_OP_CASES ((int)(sizeof op_cases / sizeof op_cases[0]))

static const char *key(char *buf, const char *name, const char *what, int k) {
    if (k < 0) snprintf(buf, 128, "%s_%s", name, what);
    else snprintf(buf, 128, "%s_%s%d", name, what, k);
    return buf;
}

/* One op: value, node name and input gradients against PyTorch, then finite differences. */
START_TEST(test_op_against_pytorch) {
    const OpCase *oc = &op_cases[_i];
    Fixtures *fx = fixtures_load(FIXTURE);
    char k[128], what[160];
    Tensor *in[3];
    for (int i = 0; i < oc->n_in; i++)
        in[i] = torch_requires_grad_(fixture_tensor(fx, key(k, oc->name, "in", i)), true);
    Tensor *mask = fixture_has(fx, key(k, oc->name, "extra", -1)) ? fixture_tensor(fx, k) : NULL;

    Tensor *out = oc->fn(in, oc->n_in, mask);
    snprintf(what, sizeof what, "%s: forward value", oc->name);
    ct_assert_close(out, fixture_tensor(fx, key(k, oc->name, "out", -1)), RTOL, ATOL, what,
                    __FILE__, __LINE__);
    const char *want = fixture_text(fx, key(k, oc->name, "name", -1));
    ck_assert_msg(strcmp(grad_fn_name(torch_grad_fn(out)), want) == 0,
                  "%s: grad_fn is %s, PyTorch's is %s", oc->name,
                  grad_fn_name(torch_grad_fn(out)), want);

    torch_backward_with(out, fixture_tensor(fx, key(k, oc->name, "gout", -1)), false);
    for (int i = 0; i < oc->n_in; i++) {
        snprintf(what, sizeof what, "%s: gradient of input %d", oc->name, i);
        ct_assert_close(torch_grad(in[i]), fixture_tensor(fx, key(k, oc->name, "grad", i)), RTOL,
                        ATOL, what, __FILE__, __LINE__);
    }

    char report[256];
    ck_assert_msg(torch_gradcheck(oc->fn, in, oc->n_in, mask, GC_EPS, GC_ATOL, GC_RTOL, report,
                                  sizeof report),
                  "%s: gradcheck failed: %s", oc->name, report);
    fixtures_free(fx);
}
END_TEST

/* ---- small graphs checked by hand ------------------------------------------------------- */

/* d(a - b) = (1, -1); d(a / b) = (1/b, -a/b^2). */
START_TEST(test_sign_and_quotient_rules) {
    Tensor *a = leaf(SHAPE_SCALAR, (float[]){3}), *b = leaf(SHAPE_SCALAR, (float[]){2});
    torch_backward(torch_sub(a, b));
    ck_assert_float_eq(torch_item(torch_grad(a)), 1.0f);
    ck_assert_float_eq(torch_item(torch_grad(b)), -1.0f);
    Tensor *p = leaf(SHAPE_SCALAR, (float[]){3}), *q = leaf(SHAPE_SCALAR, (float[]){2});
    torch_backward(torch_div(p, q));
    ck_assert_float_eq(torch_item(torch_grad(p)), 0.5f);
    ck_assert_float_eq(torch_item(torch_grad(q)), -0.75f);
}
END_TEST

/* sum(a (3,1) + b (1,4)): each a[i] is used 4 times, each b[j] 3 times. */
START_TEST(test_broadcast_gradients_sum_back) {
    Tensor *a = leaf(SHAPE(3, 1), (float[]){1, 2, 3});
    Tensor *b = leaf(SHAPE(1, 4), (float[]){1, 2, 3, 4});
    torch_backward(torch_sum(torch_add(a, b)));
    CT_ASSERT_BITS_EQ(torch_grad(a), torch_full(SHAPE(3, 1), 4));
    CT_ASSERT_BITS_EQ(torch_grad(b), torch_full(SHAPE(1, 4), 3));
}
END_TEST

/* y = x * x + x: dy/dx = 2x + 1, summed over the three uses of x. */
START_TEST(test_diamond_by_hand) {
    Tensor *x = leaf(SHAPE(3), (float[]){1, -2, 0.5f});
    torch_backward(torch_sum(torch_add(torch_mul(x, x), x)));
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_tensor(SHAPE(3), (float[]){3, -3, 2}));
}
END_TEST

/* ---- the R chapter's worked example ------------------------------------------------------ */

/* Name(child,child) for every non-NULL next function, depth first (as the generator). */
static void tree(const GradFn *fn, char *buf, size_t len) {
    size_t used = strlen(buf);
    snprintf(buf + used, len - used, "%s", grad_fn_name(fn));
    bool first = true;
    for (int i = 0; i < grad_fn_num_next(fn); i++) {
        GradFn *next = grad_fn_next(fn, i);
        if (!next) continue;
        used = strlen(buf);
        snprintf(buf + used, len - used, first ? "(" : ",");
        first = false;
        tree(next, buf, len);
    }
    used = strlen(buf);
    if (!first) snprintf(buf + used, len - used, ")");
}

/*
 * x1 <- torch_ones(2, 2, requires_grad = TRUE); x2 <- torch_tensor(1.1, requires_grad = TRUE)
 * y <- x1 * (x2 + 2); y$retain_grad(); z <- y$pow(2) * 3; z$retain_grad(); out <- z$mean()
 * out$backward()
 */
START_TEST(test_chapter_worked_example) {
    Fixtures *fx = fixtures_load(FIXTURE);
    Tensor *x1 = torch_requires_grad_(torch_ones(SHAPE(2, 2)), true);
    Tensor *x2 = leaf(SHAPE(1), (float[]){1.1f});
    Tensor *y = torch_mul(x1, torch_add_scalar(x2, 2));
    torch_retain_grad(y);
    Tensor *z = torch_mul_scalar(torch_pow(y, 2), 3);
    torch_retain_grad(z);
    Tensor *out = torch_mean(z);

    GradFn *fn = torch_grad_fn(out);
    ck_assert_str_eq(grad_fn_name(fn), "MeanBackward0");
    /* out$grad_fn$next_functions[[1]] ... as the chapter walks it */
    GradFn *mul = grad_fn_next(fn, 0), *pow = grad_fn_next(mul, 0), *mul2 = grad_fn_next(pow, 0);
    ck_assert_str_eq(grad_fn_name(mul), "MulBackward1"); /* y$pow(2) * 3: a Scalar operand */
    ck_assert_str_eq(grad_fn_name(pow), "PowBackward0");
    ck_assert_str_eq(grad_fn_name(mul2), "MulBackward0");
    ck_assert_int_eq(grad_fn_num_next(mul2), 2);
    ck_assert_str_eq(grad_fn_name(grad_fn_next(mul2, 0)), "torch::autograd::AccumulateGrad");
    ck_assert_str_eq(grad_fn_name(grad_fn_next(mul2, 1)), "AddBackward1");
    char text[512] = "";
    tree(fn, text, sizeof text);
    ck_assert_str_eq(text, fixture_text(fx, "ex_tree"));

    CT_ASSERT_CLOSE(y, fixture_tensor(fx, "ex_y"), RTOL, ATOL);
    CT_ASSERT_CLOSE(z, fixture_tensor(fx, "ex_z"), RTOL, ATOL);
    CT_ASSERT_CLOSE(out, fixture_tensor(fx, "ex_out"), RTOL, ATOL);
    torch_backward(out);
    CT_ASSERT_CLOSE(torch_grad(z), fixture_tensor(fx, "ex_z_grad"), RTOL, ATOL);
    CT_ASSERT_CLOSE(torch_grad(y), fixture_tensor(fx, "ex_y_grad"), RTOL, ATOL);
    CT_ASSERT_CLOSE(torch_grad(x1), fixture_tensor(fx, "ex_x1_grad"), RTOL, ATOL);
    CT_ASSERT_CLOSE(torch_grad(x2), fixture_tensor(fx, "ex_x2_grad"), RTOL, ATOL);
    fixtures_free(fx);
}
END_TEST

/* x <- torch_ones(2, 2, requires_grad = TRUE); y <- x$mean(); y$backward(): 1/4 each. */
START_TEST(test_mean_of_ones) {
    Tensor *x = torch_requires_grad_(torch_ones(SHAPE(2, 2)), true);
    Tensor *y = torch_mean(x);
    ck_assert_ptr_null(torch_grad(x));
    torch_backward(y);
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_full(SHAPE(2, 2), 0.25f));
}
END_TEST

/* ---- accumulation ------------------------------------------------------------------------- */

/* grad += each backward's gradient until zeroed (sum(x * x) has gradient 2x). */
START_TEST(test_gradients_accumulate_until_zeroed) {
    const float v[] = {1, -2, 3, 0.5f};
    Tensor *x = leaf(SHAPE(2, 2), v);
    torch_backward(torch_sum(torch_mul(x, x)));
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_tensor(SHAPE(2, 2), (float[]){2, -4, 6, 1}));
    torch_backward(torch_sum(torch_mul(x, x)));
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_tensor(SHAPE(2, 2), (float[]){4, -8, 12, 2}));
    torch_zero_(torch_grad(x));
    torch_backward(torch_sum(torch_mul(x, x)));
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_tensor(SHAPE(2, 2), (float[]){2, -4, 6, 1}));
}
END_TEST

/* retain_graph = TRUE keeps the saved values: the same graph can run backward again. */
START_TEST(test_retain_graph_allows_a_second_backward) {
    Tensor *x = leaf(SHAPE(3), (float[]){1, 2, 3});
    Tensor *loss = torch_sum(torch_pow(x, 2));
    torch_backward_with(loss, NULL, true);
    torch_backward_with(loss, NULL, true);
    torch_backward(loss); /* the last one may free the graph */
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_tensor(SHAPE(3), (float[]){6, 12, 18}));
}
END_TEST

/* ---- errors ------------------------------------------------------------------------------- */

#define SECOND_BACKWARD                                                                         \
    "torch_backward: Trying to backward through the graph a second time (or directly access "   \
    "saved tensors after they have already been freed). Saved intermediate values of the "      \
    "graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True "  \
    "if you need to backward through the graph a second time or if you need to access saved "   \
    "tensors after calling backward."
#define MODIFIED_INPLACE                                                                        \
    "torch_backward: one of the variables needed for gradient computation has been modified "   \
    "by an inplace operation: "
#define HINT                                                                                    \
    " Hint: enable anomaly detection to find the operation that failed to compute its "         \
    "gradient, with torch.autograd.set_detect_anomaly(True)."

START_TEST(test_backward_needs_a_scalar) {
    Tensor *x = leaf(SHAPE(2, 2), (float[]){1, 2, 3, 4});
    CT_EXPECT_ERROR("torch_backward: grad can be implicitly created only for scalar outputs",
                    torch_backward(torch_mul_scalar(x, 2)));
    CT_EXPECT_ERROR("torch_backward: Mismatch in shape: grad_output[0] has a shape of [3] and "
                    "output[0] has a shape of [2, 2].",
                    torch_backward_with(torch_mul_scalar(x, 2), torch_ones(SHAPE(3)), false));
    ck_assert_ptr_null(torch_grad(x)); /* nothing ran */
}
END_TEST

START_TEST(test_backward_needs_grad) {
    CT_EXPECT_ERROR("torch_backward: element 0 of tensors does not require grad and does not "
                    "have a grad_fn",
                    torch_backward(torch_sum(torch_ones(SHAPE(2)))));
}
END_TEST

/* w$sub_(...) on a leaf that requires grad: an error outside with_no_grad (w unchanged),
 * the update itself inside. */
START_TEST(test_inplace_on_leaf_needs_no_grad) {
    Tensor *w = leaf(SHAPE(2), (float[]){1, 2});
    Tensor *step = torch_tensor(SHAPE(2), (float[]){0.5f, 0.25f});
    CT_EXPECT_ERROR("torch_sub_: a leaf Variable that requires grad is being used in an in-place "
                    "operation.",
                    torch_sub_(w, step));
    CT_ASSERT_BITS_EQ(w, torch_tensor(SHAPE(2), (float[]){1, 2}));
    CT_EXPECT_ERROR("torch_fill_: a view of a leaf Variable that requires grad is being used in "
                    "an in-place operation.",
                    torch_fill_(torch_select(torch_t(w), 0, 1), 0));
    with_no_grad(torch_sub_(w, step));
    CT_ASSERT_BITS_EQ(w, torch_tensor(SHAPE(2), (float[]){0.5f, 1.75f}));
    ck_assert(torch_is_leaf(w) && torch_requires_grad(w));
    ck_assert(torch_is_grad_enabled());
}
END_TEST

/* The kernel's in-place ops are not recorded, so changing a graph tensor in place with grad
 * mode on would silently give wrong gradients: it is refused. */
START_TEST(test_inplace_on_graph_tensor_is_refused) {
    Tensor *x = leaf(SHAPE(2), (float[]){1, 2});
    Tensor *y = torch_mul_scalar(x, 2);
    CT_EXPECT_ERROR("torch_mul_scalar_: an in-place operation on a tensor that requires grad "
                    "(here the output of MulBackward1) is not recorded by autograd; use the "
                    "out-of-place function, or with_no_grad() if no gradient should flow "
                    "through it",
                    torch_mul_scalar_(y, 3));
    CT_ASSERT_BITS_EQ(y, torch_tensor(SHAPE(2), (float[]){2, 4}));
}
END_TEST

/* z += w with w requiring grad would lose w's gradient silently: refused, z unchanged. */
START_TEST(test_inplace_with_operand_that_requires_grad_is_refused) {
    Tensor *w = leaf(SHAPE(2), (float[]){1, 2});
    Tensor *z = torch_zeros(SHAPE(2));
    CT_EXPECT_ERROR("torch_add_: an in-place operation whose operand requires grad is not "
                    "recorded by autograd; use the out-of-place function (e.g. torch_add), or "
                    "with_no_grad() if no gradient should flow through it",
                    torch_add_(z, w));
    CT_EXPECT_ERROR("torch_copy_: an in-place operation whose operand requires grad is not "
                    "recorded by autograd; use the out-of-place function (e.g. torch_add), or "
                    "with_no_grad() if no gradient should flow through it",
                    torch_copy_(z, w));
    CT_ASSERT_BITS_EQ(z, torch_zeros(SHAPE(2)));
    with_no_grad(torch_add_(z, w)); /* allowed where nothing is recorded */
    CT_ASSERT_BITS_EQ(z, torch_tensor(SHAPE(2), (float[]){1, 2}));
}
END_TEST

START_TEST(test_second_backward_through_freed_graph) {
    Tensor *x = leaf(SHAPE(3), (float[]){1, 2, 3});
    Tensor *loss = torch_sum(torch_pow(x, 2));
    torch_backward(loss);
    CT_EXPECT_ERROR(SECOND_BACKWARD, torch_backward(loss));
    /* the failed call changed nothing */
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_tensor(SHAPE(3), (float[]){2, 4, 6}));
}
END_TEST

START_TEST(test_requires_grad_errors) {
    Tensor *x = leaf(SHAPE(2), (float[]){1, 2});
    Tensor *y = torch_mul(x, x);
    CT_EXPECT_ERROR("torch_requires_grad_: you can only change requires_grad flags of leaf "
                    "variables. If you want to use a computed variable in a subgraph that "
                    "doesn't require differentiation use var_no_grad = var.detach().",
                    torch_requires_grad_(y, false));
    ck_assert_ptr_eq(torch_requires_grad_(y, true), y); /* already true: allowed, as in torch */
    ck_assert(torch_requires_grad(y));
    Tensor *i = torch_tensor_i64(SHAPE(2), (int64_t[]){1, 2});
    CT_EXPECT_ERROR("torch_requires_grad_: Only Tensors of floating point and complex dtype can "
                    "require gradients",
                    torch_requires_grad_(i, true));
    ck_assert(!torch_requires_grad(i));
    CT_EXPECT_ERROR("torch_retain_grad: can't retain_grad on Tensor that has requires_grad=False",
                    torch_retain_grad(torch_ones(SHAPE(2))));
}
END_TEST

/* A saved tensor changed in place between forward and backward: the version counter. */
START_TEST(test_saved_input_modified_inplace) {
    Tensor *a = leaf(SHAPE(3), (float[]){1, 2, 3});
    /* b = a * 1; c = b * b; b$add_(1) (under no-grad; ctorch refuses it otherwise) */
    Tensor *b = torch_mul_scalar(a, 1);
    Tensor *c = torch_mul(b, b);
    with_no_grad(torch_add_(b, torch_ones(SHAPE(3))));
    CT_EXPECT_ERROR(MODIFIED_INPLACE "[CPUFloatType [3]], which is output 0 of MulBackward1, is "
                                     "at version 1; expected version 0 instead." HINT,
                    torch_backward(torch_sum(c)));
    ck_assert_ptr_null(torch_grad(a));
    /* a leaf without grad: d is saved by e = a * d */
    Tensor *d = torch_ones(SHAPE(3));
    Tensor *e = torch_mul(a, d);
    torch_add_(d, torch_ones(SHAPE(3)));
    CT_EXPECT_ERROR(MODIFIED_INPLACE "[CPUFloatType [3]] is at version 1; expected version 0 "
                                     "instead." HINT,
                    torch_backward(torch_sum(e)));
}
END_TEST

/* exp saves its result, not its input: changing the result is an error, the input is not. */
START_TEST(test_saved_output_modified_inplace) {
    Tensor *x = leaf(SHAPE_SCALAR, (float[]){0.5f});
    Tensor *y = torch_exp(torch_mul_scalar(x, 1));
    with_no_grad(torch_mul_scalar_(y, 2));
    CT_EXPECT_ERROR(MODIFIED_INPLACE "[CPUFloatType []], which is output 0 of ExpBackward0, is at "
                                     "version 1; expected version 0 instead." HINT,
                    torch_backward(y));
    Tensor *u = torch_exp(x);
    float eu = torch_item(u);
    with_no_grad(torch_add_(x, torch_scalar(1))); /* x is not saved by exp */
    torch_backward(u);
    ck_assert_float_eq(torch_item(torch_grad(x)), eu);
}
END_TEST

START_TEST(test_no_grad_end_without_begin) {
    CT_EXPECT_ERROR("torch_no_grad_end: no with_no_grad scope is open", torch_no_grad_end());
    ck_assert(torch_is_grad_enabled());
}
END_TEST

/* ---- grad, leaves, detach, no-grad --------------------------------------------------------- */

START_TEST(test_grad_is_null_until_backward) {
    Tensor *x = leaf(SHAPE(2), (float[]){1, 2});
    Tensor *y = torch_mul_scalar(x, 3);
    ck_assert_ptr_null(torch_grad(x));
    ck_assert(torch_is_leaf(x) && !torch_is_leaf(y));
    ck_assert(torch_is_leaf(torch_ones(SHAPE(2)))); /* torch: a tensor without grad is a leaf */
    ck_assert_ptr_null(torch_grad_fn(x));
    torch_backward(torch_sum(y));
    ck_assert_ptr_null(torch_grad(y)); /* a non-leaf without retain_grad keeps no grad */
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_tensor(SHAPE(2), (float[]){3, 3}));
}
END_TEST

/* detach: the same values (shared), no grad_fn, and no gradient flows through it. */
START_TEST(test_detach_cuts_the_graph) {
    Tensor *w = leaf(SHAPE(2), (float[]){2, 3});
    Tensor *x = leaf(SHAPE(2), (float[]){5, 7});
    Tensor *y = torch_mul(w, w);
    Tensor *d = torch_detach(y);
    ck_assert(!torch_requires_grad(d) && torch_is_leaf(d));
    ck_assert_ptr_null(torch_grad_fn(d));
    CT_ASSERT_BITS_EQ(d, torch_tensor(SHAPE(2), (float[]){4, 9}));
    torch_backward(torch_sum(torch_mul(d, x)));
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_tensor(SHAPE(2), (float[]){4, 9}));
    ck_assert_ptr_null(torch_grad(w));
}
END_TEST

START_TEST(test_no_grad_records_nothing) {
    Tensor *x = leaf(SHAPE(2), (float[]){1, 2});
    Tensor *y = NULL;
    with_no_grad({
        ck_assert(!torch_is_grad_enabled());
        with_no_grad(ck_assert(!torch_is_grad_enabled())); /* nested */
        ck_assert(!torch_is_grad_enabled());
        y = torch_mul(x, x);
    });
    ck_assert(torch_is_grad_enabled());
    ck_assert_ptr_null(torch_grad_fn(y));
    ck_assert(!torch_requires_grad(y));
    CT_ASSERT_BITS_EQ(y, torch_tensor(SHAPE(2), (float[]){1, 4}));
}
END_TEST

/* ---- custom functions ------------------------------------------------------------------------ */

/* The chapter's ReLU written by hand: forward clamps and saves its input; backward passes
 * the gradient where the input was not negative. */
static Tensor *my_relu_forward(AutogradContext *ctx, Tensor **in, int n) {
    (void)n;
    autograd_save_for_backward(ctx, in[0]);
    return torch_clamp_min(in[0], 0);
}
static void my_relu_backward(AutogradContext *ctx, Tensor *g, Tensor **grad_in) {
    grad_in[0] = torch_masked_fill(torch_clone(g), torch_lt_scalar(ctx->saved[0], 0), 0);
}
static const AutogradFunction my_relu = {
    .name = "MyReluBackward", .forward = my_relu_forward, .backward = my_relu_backward};

/* A wrong backward: the gradient passes everywhere. */
static void bad_relu_backward(AutogradContext *ctx, Tensor *g, Tensor **grad_in) {
    (void)ctx;
    grad_in[0] = torch_clone(g);
}
static const AutogradFunction bad_relu = {
    .name = "BadReluBackward", .forward = my_relu_forward, .backward = bad_relu_backward};

static Tensor *net_with(const AutogradFunction *fn, Tensor **in) {
    Tensor *h = torch_mm(in[0], in[1]);
    Tensor *a = fn ? autograd_function_apply(fn, &h, 1, NULL) : torch_relu(h);
    return torch_sum(torch_pow(a, 2));
}
static Tensor *f_my_relu(Tensor **in, int n, void *ctx) {
    (void)n;
    return autograd_function_apply(ctx, in, 1, NULL);
}

START_TEST(test_custom_function_matches_builtin_relu) {
    Fixtures *fx = fixtures_load(FIXTURE);
    /* x (3, 4) and w (4, 5) from the mm case: h has both signs */
    Tensor *x1 = torch_requires_grad_(fixture_tensor(fx, "mm_in0"), true);
    Tensor *w1 = torch_requires_grad_(fixture_tensor(fx, "mm_in1"), true);
    Tensor *x2 = torch_requires_grad_(fixture_tensor(fx, "mm_in0"), true);
    Tensor *w2 = torch_requires_grad_(fixture_tensor(fx, "mm_in1"), true);
    Tensor *mine = net_with(&my_relu, (Tensor *[]){x1, w1});
    Tensor *builtin = net_with(NULL, (Tensor *[]){x2, w2});
    CT_ASSERT_BITS_EQ(mine, builtin);
    ck_assert_str_eq(grad_fn_name(grad_fn_next(grad_fn_next(torch_grad_fn(mine), 0), 0)),
                     "MyReluBackward");
    torch_backward(mine);
    torch_backward(builtin);
    CT_ASSERT_BITS_EQ(torch_grad(x1), torch_grad(x2));
    CT_ASSERT_BITS_EQ(torch_grad(w1), torch_grad(w2));
    /* and against finite differences, on inputs away from the kink */
    Tensor *r = torch_requires_grad_(fixture_tensor(fx, "relu_in0"), true);
    char report[256];
    ck_assert_msg(torch_gradcheck(f_my_relu, &r, 1, (void *)&my_relu, GC_EPS, GC_ATOL, GC_RTOL,
                                  report, sizeof report),
                  "%s", report);
    fixtures_free(fx);
}
END_TEST

START_TEST(test_gradcheck_catches_a_wrong_backward) {
    Tensor *x = leaf(SHAPE(3), (float[]){0.5f, -1, 2});
    char report[256];
    ck_assert(!torch_gradcheck(f_my_relu, &x, 1, (void *)&bad_relu, GC_EPS, GC_ATOL, GC_RTOL,
                               report, sizeof report));
    const char *prefix = "input 0, element 1: backward gives ";
    ck_assert_msg(strncmp(report, prefix, strlen(prefix)) == 0, "report: %s", report);
    ck_assert_msg(strstr(report, "finite differences give 0 ") != NULL, "report: %s", report);
    /* the input itself is left as it was */
    CT_ASSERT_BITS_EQ(x, torch_tensor(SHAPE(3), (float[]){0.5f, -1, 2}));
}
END_TEST

/* A backward that returns a gradient of the wrong shape: libtorch's error, and the engine's
 * state (grad mode, scopes) is as before, so the next backward works. */
static Tensor *double_forward(AutogradContext *ctx, Tensor **in, int n) {
    (void)ctx, (void)n;
    return torch_mul_scalar(in[0], 2);
}
static void summed_backward(AutogradContext *ctx, Tensor *g, Tensor **grad_in) {
    (void)ctx;
    grad_in[0] = torch_sum(g); /* should be (3), is () */
}
static const AutogradFunction bad_shape = {
    .name = "BadShapeBackward", .forward = double_forward, .backward = summed_backward};

START_TEST(test_custom_function_gradient_shape_is_checked) {
    Tensor *x = leaf(SHAPE(3), (float[]){1, 2, 3});
    int depth = torch_scope_depth();
    Tensor *y = autograd_function_apply(&bad_shape, &x, 1, NULL);
    CT_EXPECT_ERROR("torch_backward: Function BadShapeBackward returned an invalid gradient at "
                    "index 0 - got [] but expected shape compatible with [3]",
                    torch_backward(torch_sum(torch_mul(y, y))));
    ck_assert_ptr_null(torch_grad(x));
    ck_assert(torch_is_grad_enabled());
    ck_assert_int_eq(torch_scope_depth(), depth);
    torch_backward(torch_sum(torch_mul(x, x)));
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_tensor(SHAPE(3), (float[]){2, 4, 6}));
}
END_TEST


/* x * factor through `scale`, its args a struct on this function's stack, gone on return. */
static Tensor *scaled(Tensor *x, float factor) {
    return autograd_function_apply(&scale, &x, 1, &(ScaleArgs){.factor = factor});
}

/* Each node keeps its own copy of the args it was given: the caller's struct may change or go
 * away before backward. Two nodes of one function, each with its factor, give the values and
 * gradients of the built-in x * 3 * -0.5 * 2, bit for bit. */
START_TEST(test_custom_function_args_are_the_nodes_copy) {
    Tensor *x1 = leaf(SHAPE(3), (float[]){1, -2, 4});
    Tensor *x2 = leaf(SHAPE(3), (float[]){1, -2, 4});
    ScaleArgs args = {.factor = 3};
    Tensor *y = autograd_function_apply(&scale, &x1, 1, &args);
    args.factor = -0.5f;
    Tensor *z = scaled(autograd_function_apply(&scale, &y, 1, &args), 2);
    args.factor = 100; /* no node sees this */
    Tensor *want = torch_mul_scalar(torch_mul_scalar(torch_mul_scalar(x2, 3), -0.5f), 2);
    CT_ASSERT_BITS_EQ(z, want);
    torch_backward(torch_sum(torch_mul(z, z)));
    torch_backward(torch_sum(torch_mul(want, want)));
    CT_ASSERT_BITS_EQ(torch_grad(x1), torch_grad(x2));
    /* without grad there is no node: the forward reads the caller's args */
    Tensor *plain = NULL;
    with_no_grad(plain = scaled(x1, 4));
    ck_assert_ptr_null(torch_grad_fn(plain));
    CT_ASSERT_BITS_EQ(plain, torch_tensor(SHAPE(3), (float[]){4, -8, 16}));
}
END_TEST

/* A custom function's node has a kind of its own, TORCH_OP_CUSTOM, its function's name, and
 * a copy of the args (none for a function that takes none). */
START_TEST(test_custom_function_node) {
    Tensor *x = leaf(SHAPE(3), (float[]){1, -2, 4});
    GradFn *relu = torch_grad_fn(autograd_function_apply(&my_relu, &x, 1, NULL));
    ck_assert_int_eq(relu->op.kind, TORCH_OP_CUSTOM);
    ck_assert_ptr_eq(relu->custom, &my_relu);
    ck_assert_str_eq(grad_fn_name(relu), "MyReluBackward");
    ck_assert_ptr_null(relu->ctx.args);
    ScaleArgs args = {.factor = 3};
    GradFn *node = torch_grad_fn(autograd_function_apply(&scale, &x, 1, &args));
    ck_assert_int_eq(node->op.kind, TORCH_OP_CUSTOM);
    ck_assert_str_eq(grad_fn_name(node), "ScaleBackward");
    ck_assert_ptr_ne(node->ctx.args, &args);
    ck_assert_float_eq(((const ScaleArgs *)node->ctx.args)->factor, 3);
    /* a kernel op's node is not custom */
    ck_assert_int_eq(torch_grad_fn(torch_mul_scalar(x, 3))->op.kind, TORCH_OP_MUL_SCALAR);
}
END_TEST

/* ---- the walk's order, large graphs, nested walks, recycled state ------------------------- */

/* x through n pairs of nodes that keep its values: + 0, then * ones (a MulBackward0, which
 * saves ones to compute x's gradient). */
static Tensor *long_chain(Tensor *x, int n, Tensor *ones) {
    for (int k = 0; k < n; k++) x = torch_mul(torch_add_scalar(x, 0), ones);
    return x;
}

/* CT_EXPECT_ERROR(expected, torch_backward(loss)) in a function of its own, which the compiler
 * does not inline (it calls setjmp): no variable of the test is live across the setjmp. */
static void expect_backward_error(const char *expected, Tensor *loss) {
    CT_EXPECT_ERROR(expected, torch_backward(loss));
}

/* A graph of more nodes than the walk's order first has room for (64; it grows twice): the
 * same gradients, and a failed backward changes nothing (under valgrind and ASan: and leaves
 * nothing allocated). */
START_TEST(test_graph_larger_than_the_first_order_list) {
    Tensor *x = leaf(SHAPE(3), (float[]){1, 2, 3});
    Tensor *y = long_chain(x, 150, torch_ones(SHAPE(3)));
    Tensor *loss = torch_sum(torch_mul(y, y));
    torch_backward_with(loss, NULL, true);
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_tensor(SHAPE(3), (float[]){2, 4, 6}));
    torch_backward(loss);
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_tensor(SHAPE(3), (float[]){4, 8, 12}));
    expect_backward_error(SECOND_BACKWARD, loss);
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_tensor(SHAPE(3), (float[]){4, 8, 12}));
}
END_TEST

/* The same, failing in the checks: a saved tensor was changed in place. */
START_TEST(test_large_graph_with_a_changed_saved_tensor) {
    Tensor *x = leaf(SHAPE(3), (float[]){1, 2, 3});
    Tensor *ones = torch_ones(SHAPE(3));
    Tensor *z = long_chain(x, 150, ones);
    torch_add_(ones, torch_zeros(SHAPE(3)));
    expect_backward_error(MODIFIED_INPLACE "[CPUFloatType [3]] is at version 1; expected version "
                                           "0 instead." HINT,
                          torch_sum(z));
    ck_assert_ptr_null(torch_grad(x));
    ck_assert(torch_is_grad_enabled());
}
END_TEST

/* The same, failing while walking: a custom backward's gradient has the wrong shape. */
START_TEST(test_large_graph_with_an_invalid_gradient) {
    Tensor *x = leaf(SHAPE(3), (float[]){1, 2, 3});
    int depth = torch_scope_depth();
    Tensor *w =
        long_chain(autograd_function_apply(&bad_shape, &x, 1, NULL), 150, torch_ones(SHAPE(3)));
    expect_backward_error("torch_backward: Function BadShapeBackward returned an invalid gradient "
                          "at index 0 - got [] but expected shape compatible with [3]",
                          torch_sum(w));
    ck_assert_ptr_null(torch_grad(x));
    ck_assert(torch_is_grad_enabled());
    ck_assert_int_eq(torch_scope_depth(), depth);
}
END_TEST

/* A custom backward that runs a backward of its own (args: the loss to run it on), through a
 * graph made beforehand: each walk keeps its own order, short or long. */
static void backward_with_a_backward(AutogradContext *ctx, Tensor *g, Tensor **grad_in) {
    Tensor *const *inner_loss = ctx->args;
    torch_backward(*inner_loss);
    grad_in[0] = torch_mul_scalar(g, 2);
}
static const AutogradFunction nested = {.name = "NestedBackward",
                                        .forward = double_forward,
                                        .backward = backward_with_a_backward,
                                        .args_size = sizeof(Tensor *)};

START_TEST(test_backward_inside_a_custom_backward) {
    int sizes[] = {1, 150};
    for (int outer_n = 0; outer_n < 2; outer_n++)
        for (int inner_n = 0; inner_n < 2; inner_n++) {
            Tensor *ones = torch_ones(SHAPE(3));
            Tensor *u = leaf(SHAPE(3), (float[]){1, 2, 3});
            Tensor *x = leaf(SHAPE(3), (float[]){4, 5, 6});
            Tensor *v = long_chain(u, sizes[inner_n], ones);
            Tensor *inner_loss = torch_sum(torch_mul(v, v));
            Tensor *y = long_chain(autograd_function_apply(&nested, &x, 1, &inner_loss),
                                   sizes[outer_n], ones);
            torch_backward(torch_sum(torch_mul(y, y))); /* y = 2x: 8x */
            CT_ASSERT_BITS_EQ(torch_grad(x), torch_tensor(SHAPE(3), (float[]){32, 40, 48}));
            CT_ASSERT_BITS_EQ(torch_grad(u), torch_tensor(SHAPE(3), (float[]){2, 4, 6}));
            ck_assert(torch_is_grad_enabled());
        }
}
END_TEST

/* The inner backward goes through nodes of the outer graph that the outer walk has yet to
 * run (h's, below the custom node): the outer walk still runs each of its nodes once, with
 * the gradients the outer graph sends it. x.grad = 2h * 3 (inner) + (8h + 2) * 3 (outer) =
 * 90x + 6, as PyTorch 1.13 gives for a custom Function whose backward runs the inner backward
 * (with retain_graph there: PyTorch's h = x * 3 saves the 3; ctorch's MulBackward1 does not). */
START_TEST(test_backward_inside_a_custom_backward_through_the_outer_graph) {
    Tensor *x = leaf(SHAPE(3), (float[]){1, 2, 3});
    Tensor *h = torch_mul_scalar(x, 3);
    Tensor *inner_loss = torch_sum(torch_mul(h, h));
    Tensor *y = autograd_function_apply(&nested, &h, 1, &inner_loss); /* 2h */
    Tensor *beside = torch_mul_scalar(torch_add_scalar(h, 0), 2);
    torch_backward(torch_add(torch_sum(torch_mul(y, y)), torch_sum(beside)));
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_tensor(SHAPE(3), (float[]){96, 186, 276}));
    ck_assert(torch_is_grad_enabled());
}
END_TEST

/* Metas and nodes come from pools without being cleared: the tensors and nodes made after a
 * graph was released start with none of its state (a gradient, retain_grad, a node that has
 * run backward). */
START_TEST(test_recycled_autograd_state_is_new) {
    Tensor *x = leaf(SHAPE(3), (float[]){1, 2, 3});
    for (int round = 0; round < 20; round++) {
        torch_scope_begin();
        Tensor *a = leaf(SHAPE(3), (float[]){1, 1, 1});
        Tensor *y = torch_retain_grad(torch_mul(torch_mul(a, x), torch_exp(x)));
        torch_backward(torch_sum(y));
        ck_assert_ptr_nonnull(torch_grad(y));
        torch_scope_end();
        torch_scope_begin();
        for (int k = 0; k < 64; k++) {
            Tensor *t = torch_ones(SHAPE(3));
            ck_assert(!torch_requires_grad(t) && torch_is_leaf(t));
            ck_assert_ptr_null(torch_grad(t));
            ck_assert_ptr_null(torch_grad_fn(torch_mul_scalar(t, 2)));
            Tensor *b = torch_requires_grad_(t, true);
            Tensor *z = torch_mul(b, x); /* a non-leaf that did not ask to retain its grad */
            ck_assert_str_eq(grad_fn_name(torch_grad_fn(z)), "MulBackward0");
            torch_backward(torch_sum(z)); /* a recycled node runs once: no "second time" */
            ck_assert_ptr_null(torch_grad(z));
            CT_ASSERT_BITS_EQ(torch_grad(b), x);
        }
        torch_scope_end();
    }
}
END_TEST

/* R: x$backward() on a leaf: its gradient is 1. */
START_TEST(test_backward_on_a_leaf) {
    Tensor *x = leaf(SHAPE_SCALAR, (float[]){3});
    torch_backward(x);
    ck_assert_float_eq(torch_item(torch_grad(x)), 1.0f);
}
END_TEST

/* ---- the graph as a picture -------------------------------------------------------------- */

typedef struct Network {
    Tensor *x, *y, *w1, *w2, *b1, *b2;
} Network;

static Network network_new(void) {
    Network net;
    torch_manual_seed(1);
    net.x = torch_randn(SHAPE(100, 3));
    net.y = torch_randn(SHAPE(100, 1));
    net.w1 = torch_requires_grad_(torch_randn(SHAPE(3, 32)), true);
    net.w2 = torch_requires_grad_(torch_randn(SHAPE(32, 1)), true);
    net.b1 = torch_requires_grad_(torch_zeros(SHAPE(1, 32)), true);
    net.b2 = torch_requires_grad_(torch_zeros(SHAPE(1, 1)), true);
    return net;
}

/* The chapter's forward pass and loss. */
static Tensor *network_loss(const Network *net) {
    Tensor *h = torch_add(torch_mm(net->x, net->w1), net->b1);
    Tensor *h_relu = torch_clamp_min(h, 0);
    Tensor *y_pred = torch_add(torch_mm(h_relu, net->w2), net->b2);
    return torch_sum(torch_pow(torch_sub(y_pred, net->y), 2));
}

static int compare_strings(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A dot label "MmBackward0\n[100, 1]" as the fixture names nodes: the op name alone, or
 * "AccumulateGrad [3, 32]" for a leaf. */
static void node_label(const char *label, char *out, size_t len) {
    const char *sep = strstr(label, "\\n");
    if (strncmp(label, "AccumulateGrad", 14) == 0 && sep)
        snprintf(out, len, "AccumulateGrad %s", sep + 2);
    else
        snprintf(out, len, "%.*s", sep ? (int)(sep - label) : (int)strlen(label), label);
}

START_TEST(test_dot_shows_the_network) {
    Fixtures *fx = fixtures_load(FIXTURE);
    Network net = network_new();
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    torch_autograd_dot(f, network_loss(&net));
    fclose(f);
    ck_assert_msg(strncmp(text, "digraph autograd {\n", 19) == 0, "%s", text);
    ck_assert_msg(size >= 2 && strcmp(text + size - 2, "}\n") == 0, "%s", text);

    /* nodes: `ID [label="NAME\nSHAPE", ...];`, edges: `FROM -> TO;` */
    char ids[32][32], labels[32][64], from[64][32], to[64][32];
    int n_nodes = 0, n_edges = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char label[64];
        if (n_nodes < 32 && sscanf(line, " %31s [label=\"%63[^\"]\"", ids[n_nodes], label) == 2)
            node_label(label, labels[n_nodes++], sizeof labels[0]);
        else if (n_edges < 64 && sscanf(line, " %31s -> %31[^;];", from[n_edges], to[n_edges]) == 2)
            n_edges++;
    }
    ck_assert_int_eq(n_nodes, 12);
    /* each edge as "Parent -> Child", sorted, one per line */
    char edge_text[64][136], *edges[64], got[64 * 137 + 1] = "";
    for (int e = 0; e < n_edges; e++) {
        const char *lf = NULL, *lt = NULL;
        for (int i = 0; i < n_nodes; i++) {
            if (strcmp(ids[i], from[e]) == 0) lf = labels[i];
            if (strcmp(ids[i], to[e]) == 0) lt = labels[i];
        }
        ck_assert_msg(lf && lt, "edge %s -> %s has an undeclared node", from[e], to[e]);
        snprintf(edge_text[e], sizeof edge_text[e], "%.63s -> %.63s", lf, lt);
        edges[e] = edge_text[e];
    }
    qsort(edges, (size_t)n_edges, sizeof edges[0], compare_strings);
    for (int e = 0; e < n_edges; e++) {
        strcat(got, edges[e]);
        strcat(got, "\n");
    }
    ck_assert_str_eq(got, fixture_text(fx, "net_edges"));
    free(text);
    fixtures_free(fx);
}
END_TEST

/* ---- printing -------------------------------------------------------------------------------- */

static char *printed(Tensor *t) {
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    torch_fprint(f, t);
    fclose(f);
    return text;
}

static void assert_ends_with(const char *text, const char *end) {
    size_t n = strlen(text), m = strlen(end);
    ck_assert_msg(n >= m && strcmp(text + n - m, end) == 0, "printed:\n%s\nexpected the end:\n%s",
                  text, end);
}

/* R: [ CPUFloatType{2,2} ][ requires_grad = TRUE ] and [ ... ][ grad_fn = <MmBackward0> ]. */
START_TEST(test_print_shows_grad_state) {
    Tensor *w = torch_requires_grad_(torch_ones(SHAPE(2, 2)), true);
    char *text = printed(w);
    assert_ends_with(text, "\n[ CPUFloatType{2,2} ][ requires_grad = TRUE ]\n");
    free(text);
    text = printed(torch_mm(w, w));
    assert_ends_with(text, "\n[ CPUFloatType{2,2} ][ grad_fn = <MmBackward0> ]\n");
    free(text);
    text = printed(torch_ones(SHAPE(2, 2)));
    assert_ends_with(text, "\n[ CPUFloatType{2,2} ]\n");
    free(text);
    Tensor *y = NULL;
    with_no_grad(y = torch_mm(w, w));
    text = printed(y);
    assert_ends_with(text, "\n[ CPUFloatType{2,2} ]\n");
    free(text);
}
END_TEST

/* ---- memory ------------------------------------------------------------------------------- */

/* One epoch of the chapter's loop, in its own scope. */
static void epoch(Network *net) {
    torch_scope_begin();
    Tensor *loss = network_loss(net);
    torch_backward(loss);
    with_no_grad({
        Tensor *w[] = {net->w1, net->w2, net->b1, net->b2};
        for (int i = 0; i < 4; i++) {
            torch_sub_(w[i], torch_mul_scalar(torch_grad(w[i]), 1e-4f));
            torch_zero_(torch_grad(w[i]));
        }
    });
    torch_scope_end();
}

START_TEST(test_epoch_memory_is_flat) {
    Network net = network_new();
    TorchMemoryStats before = torch_memory_stats();
    epoch(&net);
    TorchMemoryStats first = torch_memory_stats();
    /* the first backward made the four gradients, which live as long as their weights */
    ck_assert_int_eq(first.live_tensors, before.live_tensors + 4);
    epoch(&net);
    TorchMemoryStats second = torch_memory_stats();
    ck_assert_int_eq(second.live_tensors, first.live_tensors);
    ck_assert_int_eq(second.live_bytes, first.live_bytes);
    for (int t = 0; t < 10000; t++) epoch(&net);
    TorchMemoryStats last = torch_memory_stats();
    ck_assert_int_eq(last.live_tensors, first.live_tensors);
    ck_assert_int_eq(last.live_bytes, first.live_bytes);
    ck_assert_int_eq(last.mallocs, second.mallocs);
    ck_assert_int_eq(last.peak_bytes, second.peak_bytes);
}
END_TEST

/* ---- the chapter's program ---------------------------------------------------------------- */

/* Stage 2 computes exactly stage 1's numbers (byte-identical CSV), and PyTorch's autograd
 * loop's within 1e-5 relative. */
static void check_stage2_trajectory(int seed) {
    char flags[64], csv1[64], csv2[64], name[64];
    snprintf(csv1, sizeof csv1, "autograd_stage1_seed%d.csv", seed);
    snprintf(csv2, sizeof csv2, "autograd_stage2_seed%d.csv", seed);
    snprintf(flags, sizeof flags, "--seed %d", seed);
    double loss[200];
    char *text1 = ct_program_csv(STAGE1_TRAIN, flags, csv1, NULL, 0);
    char *text2 = ct_program_csv(STAGE2_TRAIN, flags, csv2, loss, 200);
    ck_assert_msg(strcmp(text1, text2) == 0, "seed %d: stage 1 and stage 2 CSVs differ", seed);
    free(text1);
    free(text2);

    Fixtures *fx = fixtures_load(FIXTURE);
    snprintf(name, sizeof name, "stage2_seed%d_loss", seed);
    float want[200];
    torch_to_array(fixture_tensor(fx, name), want);
    ct_assert_near_pytorch(loss, want, 200, 1e-5, seed);
    fixtures_free(fx);
}

START_TEST(test_stage2_seed1_matches_stage1_and_pytorch) { check_stage2_trajectory(1); }
END_TEST

START_TEST(test_stage2_seed42_matches_stage1_and_pytorch) { check_stage2_trajectory(42); }
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("autograd");
    TCase *ops = ct_tcase("ops");
    tcase_add_loop_test(ops, test_op_against_pytorch, 0, N_OP_CASES);
    suite_add_tcase(s, ops);

    TCase *tc = ct_tcase("engine");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_sign_and_quotient_rules);
    tcase_add_test(tc, test_broadcast_gradients_sum_back);
    tcase_add_test(tc, test_diamond_by_hand);
    tcase_add_test(tc, test_chapter_worked_example);
    tcase_add_test(tc, test_mean_of_ones);
    tcase_add_test(tc, test_gradients_accumulate_until_zeroed);
    tcase_add_test(tc, test_retain_graph_allows_a_second_backward);
    tcase_add_test(tc, test_backward_needs_a_scalar);
    tcase_add_test(tc, test_backward_needs_grad);
    tcase_add_test(tc, test_inplace_on_leaf_needs_no_grad);
    tcase_add_test(tc, test_inplace_on_graph_tensor_is_refused);
    tcase_add_test(tc, test_inplace_with_operand_that_requires_grad_is_refused);
    tcase_add_test(tc, test_second_backward_through_freed_graph);
    tcase_add_test(tc, test_requires_grad_errors);
    tcase_add_test(tc, test_saved_input_modified_inplace);
    tcase_add_test(tc, test_saved_output_modified_inplace);
    tcase_add_test(tc, test_no_grad_end_without_begin);
    tcase_add_test(tc, test_grad_is_null_until_backward);
    tcase_add_test(tc, test_detach_cuts_the_graph);
    tcase_add_test(tc, test_no_grad_records_nothing);
    tcase_add_test(tc, test_custom_function_matches_builtin_relu);
    tcase_add_test(tc, test_gradcheck_catches_a_wrong_backward);
    tcase_add_test(tc, test_custom_function_gradient_shape_is_checked);
    tcase_add_test(tc, test_custom_function_args_are_the_nodes_copy);
    tcase_add_test(tc, test_custom_function_node);
    tcase_add_test(tc, test_graph_larger_than_the_first_order_list);
    tcase_add_test(tc, test_large_graph_with_a_changed_saved_tensor);
    tcase_add_test(tc, test_large_graph_with_an_invalid_gradient);
    tcase_add_test(tc, test_backward_inside_a_custom_backward);
    tcase_add_test(tc, test_backward_inside_a_custom_backward_through_the_outer_graph);
    tcase_add_test(tc, test_recycled_autograd_state_is_new);
    tcase_add_test(tc, test_backward_on_a_leaf);
    tcase_add_test(tc, test_dot_shows_the_network);
    tcase_add_test(tc, test_print_shows_grad_state);
    tcase_add_test(tc, test_epoch_memory_is_flat);
    tcase_add_test(tc, test_stage2_seed1_matches_stage1_and_pytorch);
    tcase_add_test(tc, test_stage2_seed42_matches_stage1_and_pytorch);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

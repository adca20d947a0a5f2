/*
 * test_edges.c: the edges where a small bug hides from the other suites.
 *
 * Faults planted in the library on purpose (a loop's tail cut short, a gradient that forgets
 * to accumulate, a shared node walked once per path) used to survive the suites. These tests
 * catch each kind, with exact expectations:
 *
 *   - tails: sums and means of every shape class at lengths around the fast kernels' sizes
 *     (vectors of 4 lanes, chunks of 32, passes of 1024 lanes, blocks of 65536 floats read 8
 *     rows a step), of positive data that does not cancel, bit for bit against the
 *     definition: each lane added in double in increasing index, rounded once;
 *   - products around the product kernel's tiles (4 x 8), row blocks (64) and passes over k
 *     (256), bit for bit against mm_reference's definition; an empty inner dim: mm gives
 *     zeros, addmm and nn_linear their bias;
 *   - accumulation across calls: backward twice through a retained graph, into leaves and into
 *     retained grads, two graphs into one leaf, a broadcast operand used twice;
 *   - the cost of the walk on shared graphs: a shared node's backward runs once, after all of
 *     its consumers, however many paths lead to it.
 *
 * The other kinds are PyTorch's oracle cases in tests/opinfo/test_opinfo.c: inputs on a
 * derivative's boundary (clamp at min and max and at NaN, pow with exponent 0 at 0 and at
 * negative bases), the extremes the stable formulas exist for (logits of +-100 and +-1000,
 * rows whose maximum is not last, rows of equal very negative values), and exact bits where
 * ctorch computes libtorch's formula.
 */
#include <math.h>
#include <stdlib.h>

#include "autograd.h"
#include "ct_test.h"
#include "nn.h"
#include "ct_functions.h"

/* Positive values in [0.5, 1.5) drawn from a fixed seed: a dropped, doubled or misplaced
 * element changes every sum it belongs to by at least 0.5. */
static Tensor *positive(Shape shape) {
    torch_manual_seed(20240917);
    return torch_add_scalar(torch_rand(shape), 0.5f);
}

static float *values_of(Tensor *t) {
    float *v = malloc(sizeof *v * (size_t)(torch_numel(t) ? torch_numel(t) : 1));
    torch_to_array(t, v);
    return v;
}

/* ---- sums and means ------------------------------------------------------------------------ */

/* ctorch's definition of a sum along dim (common/reduce.c, sum_lanes): x read as (outer, n,
 * inner); each of the outer * inner lanes adds its n elements in double in increasing index,
 * and rounds once (a mean divides the double sum by n first). The shape of sum_dim(keepdim
 * false). */
static Tensor *sum_definition(Tensor *x, int dim, bool mean) {
    Shape s = torch_shape(x), out_shape = SHAPE_SCALAR;
    int64_t outer = 1, n = s.size[dim], inner = 1;
    for (int d = 0; d < s.ndim; d++) {
        if (d < dim) outer *= s.size[d];
        if (d > dim) inner *= s.size[d];
        if (d != dim) out_shape.size[out_shape.ndim++] = s.size[d];
    }
    int64_t lanes = outer * inner;
    float *v = values_of(x), *r = malloc(sizeof *r * (size_t)(lanes > 0 ? lanes : 1));
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            double acc = 0.0;
            for (int64_t k = 0; k < n; k++) acc += v[(o * n + k) * inner + i];
            r[o * inner + i] = mean ? (float)(acc / (double)n) : (float)acc;
        }
    Tensor *out = torch_tensor(out_shape, r);
    free(v);
    free(r);
    return out;
}

/* Every sum and mean of x (over everything, along each dim, with and without keepdim) has the
 * definition's bits. */
static void check_sums(Tensor *x) {
    Tensor *flat = torch_reshape(x, SHAPE(-1));
    CT_ASSERT_BITS_EQ(torch_sum(x), torch_reshape(sum_definition(flat, 0, false), SHAPE_SCALAR));
    CT_ASSERT_BITS_EQ(torch_mean(x), torch_reshape(sum_definition(flat, 0, true), SHAPE_SCALAR));
    for (int d = 0; d < torch_dim(x); d++) {
        Tensor *want = sum_definition(x, d, false), *want_mean = sum_definition(x, d, true);
        CT_ASSERT_BITS_EQ(torch_sum_dim(x, d, false), want);
        CT_ASSERT_BITS_EQ(torch_mean_dim(x, d, false), want_mean);
        CT_ASSERT_BITS_EQ(torch_sum_dim(x, d, true), torch_unsqueeze(want, d));
    }
}

/* Sums over everything: lengths around 4 lanes, 4 blocks side by side, 1024, 65536. */
START_TEST(test_sum_lengths) {
    static const int64_t lengths[] = {1, 3, 4, 5, 15, 16, 17, 31, 33, 127, 1023, 1025,
                                      4097, 65535, 65537, 70001};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++)
        check_sums(positive(SHAPE(lengths[i])));
}
END_TEST

/* Along dim 0 of (rows, lanes): lane counts around a vector (4), a chunk (32 lanes) and a
 * pass (1024 lanes); row counts around a step of 8; blocks past 65536 floats. */
START_TEST(test_sum_lanes_and_rows) {
    static const int64_t lanes[] = {1, 3, 4, 5, 31, 32, 33, 35, 1023, 1025, 1057};
    static const int64_t rows[] = {1, 7, 8, 9, 17};
    for (size_t i = 0; i < sizeof lanes / sizeof lanes[0]; i++)
        for (size_t j = 0; j < sizeof rows / sizeof rows[0]; j++)
            check_sums(positive(SHAPE(rows[j], lanes[i])));
    check_sums(positive(SHAPE(9, 8000)));  /* 72000 floats: a block read 8 rows a step */
    check_sums(positive(SHAPE(17, 4099)));
}
END_TEST

/* A reduced middle dim, strided inputs, and both thread counts. */
START_TEST(test_sum_middle_dims_views_threads) {
    int saved = torch_get_num_threads();
    for (int threads = 1; threads <= 2; threads++) {
        torch_set_num_threads(threads);
        check_sums(positive(SHAPE(3, 9, 5)));
        check_sums(positive(SHAPE(2, 67, 33)));
        check_sums(positive(SHAPE(5, 1031, 2)));
        check_sums(torch_t(positive(SHAPE(1031, 7))));
        check_sums(torch_slice(positive(SHAPE(6, 2066)), 1, 0, 2066, 2));
        check_sums(torch_transpose(positive(SHAPE(3, 4, 129)), 0, 2));
    }
    torch_set_num_threads(saved);
}
END_TEST

/* ---- matrix products ------------------------------------------------------------------------- */

/* mm_reference's definition: out[i][j] = ((0 + a[i][0] b[0][j]) + a[i][1] b[1][j]) + ..., each
 * product and each sum rounded to float, p ascending. */
static Tensor *mm_definition(Tensor *a, Tensor *b) {
    int64_t n = torch_size(a, 0), k = torch_size(a, 1), m = torch_size(b, 1);
    float *va = values_of(a), *vb = values_of(b), *r = malloc(sizeof *r * (size_t)(n * m + 1));
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < m; j++) {
            float acc = 0.0f;
            for (int64_t p = 0; p < k; p++) {
                float term = va[i * k + p] * vb[p * m + j];
                acc = acc + term;
            }
            r[i * m + j] = acc;
        }
    Tensor *out = torch_tensor(SHAPE(n, m), r);
    free(va);
    free(vb);
    free(r);
    return out;
}

/* Shapes (n, k, m) around the tile (4 x 8), the 64-row block and the 256-long pass over k,
 * with both operands plain and transposed (the kernel packs them differently). */
START_TEST(test_mm_tails) {
    static const int64_t shapes[][3] = {
        {1, 1, 1},  {3, 5, 7},   {4, 8, 8},    {5, 9, 9},    {4, 255, 8},  {5, 256, 9},
        {5, 257, 17}, {63, 33, 31}, {64, 17, 32}, {65, 3, 33}, {129, 12, 9}, {9, 300, 70},
    };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int64_t n = shapes[s][0], k = shapes[s][1], m = shapes[s][2];
        torch_manual_seed(7 + s);
        Tensor *a = torch_randn(SHAPE(n, k)), *b = torch_randn(SHAPE(k, m));
        Tensor *want = mm_definition(a, b);
        CT_ASSERT_BITS_EQ(torch_mm(a, b), want);
        Tensor *at = torch_t(torch_contiguous(torch_t(a))), *bt = torch_t(torch_contiguous(torch_t(b)));
        CT_ASSERT_BITS_EQ(torch_mm(at, bt), want);
        CT_ASSERT_BITS_EQ(torch_matmul(a, b), want);
        Tensor *bias = torch_randn(SHAPE(m));
        CT_ASSERT_BITS_EQ(torch_addmm(bias, a, b), torch_add(want, bias)); /* product first */
        /* mv: b's first column as a vector */
        Tensor *col = torch_contiguous(torch_select(b, 1, 0));
        CT_ASSERT_BITS_EQ(torch_matmul(a, col), torch_select(mm_definition(a, torch_unsqueeze(col, 1)), 1, 0));
    }
}
END_TEST

/* An empty inner dim: every sum is 0, so mm gives zeros and addmm, nn_linear, the bias. */
START_TEST(test_empty_inner_dim) {
    Tensor *a = torch_empty(SHAPE(4, 0)), *b = torch_empty(SHAPE(0, 3));
    CT_ASSERT_BITS_EQ(torch_mm(a, b), torch_zeros(SHAPE(4, 3)));
    Tensor *bias = torch_tensor(SHAPE(3), (float[]){1.5f, -2, 0.25f});
    CT_ASSERT_BITS_EQ(torch_addmm(bias, a, b), torch_expand(bias, SHAPE(4, 3)));
    Tensor *bias2 = torch_tensor(SHAPE(4, 1), (float[]){1, 2, 3, 4});
    CT_ASSERT_BITS_EQ(torch_addmm(bias2, a, b), torch_expand(bias2, SHAPE(4, 3)));
    CT_ASSERT_BITS_EQ(torch_matmul(torch_empty(SHAPE(0)), torch_empty(SHAPE(0))),
                      torch_zeros(SHAPE_SCALAR));
    Module *linear = nn_linear(0, 3);
    Tensor *y = nn_forward(linear, torch_empty(SHAPE(5, 0)));
    CT_ASSERT_BITS_EQ(y, torch_expand(nn_get_parameter(linear, "bias"), SHAPE(5, 3)));
    /* and its gradients: the bias gets the column sums of g, the empty weight nothing */
    Tensor *g = torch_ones(SHAPE(5, 3));
    torch_backward_with(y, g, false);
    CT_ASSERT_BITS_EQ(torch_grad(nn_get_parameter(linear, "bias")), torch_full(SHAPE(3), 5));
    nn_free(linear);
}
END_TEST

/* ---- gradients accumulate across calls ------------------------------------------------------ */

static Tensor *leaf(Shape shape, const float *values) {
    return torch_requires_grad_(torch_tensor(shape, values), true);
}

/* Backward twice through a retained graph: the leaf's grad and a retained grad both add up
 * (PyTorch: y.grad is 3, then 6; x.grad 6x, then 12x). */
START_TEST(test_retained_graph_accumulates_twice) {
    Tensor *x = leaf(SHAPE(3), (float[]){1, 2, 3});
    Tensor *y = torch_retain_grad(torch_mul(x, x));
    Tensor *loss = torch_sum(torch_mul_scalar(y, 3));
    torch_backward_with(loss, NULL, true);
    CT_ASSERT_BITS_EQ(torch_grad(y), torch_full(SHAPE(3), 3));
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_tensor(SHAPE(3), (float[]){6, 12, 18}));
    torch_backward(loss);
    CT_ASSERT_BITS_EQ(torch_grad(y), torch_full(SHAPE(3), 6));
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_tensor(SHAPE(3), (float[]){12, 24, 36}));
}
END_TEST

/* Two graphs into one leaf, with gradients fed in by hand: the second adds to the first. */
START_TEST(test_two_graphs_add_into_one_leaf) {
    Tensor *x = leaf(SHAPE(2, 2), (float[]){0.5f, -1, 2, 3});
    Tensor *g1 = torch_tensor(SHAPE(2, 2), (float[]){1, 2, 3, 4});
    Tensor *g2 = torch_tensor(SHAPE(2, 2), (float[]){0.25f, -1, 0, 8});
    torch_backward_with(torch_mul_scalar(x, 2), g1, false);
    Tensor *first = torch_clone(torch_grad(x));
    CT_ASSERT_BITS_EQ(first, torch_mul_scalar(g1, 2));
    torch_backward_with(torch_mul(x, x), g2, false);
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_add(first, torch_mul(g2, torch_add(x, x))));
}
END_TEST

/* A broadcast operand used twice in one graph, and the graph run twice: its gradient is the
 * column sums of both uses, then twice that. */
START_TEST(test_broadcast_operand_used_twice) {
    Tensor *a = torch_tensor(SHAPE(3, 2), (float[]){1, 2, 3, 4, 5, 6});
    Tensor *b = leaf(SHAPE(1, 2), (float[]){0.5f, -0.5f});
    Tensor *loss = torch_sum(torch_add(torch_mul_scalar(torch_add(a, b), 2), torch_sub(a, b)));
    torch_backward_with(loss, NULL, true);
    CT_ASSERT_BITS_EQ(torch_grad(b), torch_full(SHAPE(1, 2), 3)); /* 3 rows x (2 - 1) */
    torch_backward(loss);
    CT_ASSERT_BITS_EQ(torch_grad(b), torch_full(SHAPE(1, 2), 6));
}
END_TEST

/* ---- the walk: each node once ---------------------------------------------------------------- */


/* f = ident(x) feeds ten consumers at different depths; its backward runs once, after all of
 * them, with the sum of every path's gradient. */
START_TEST(test_shared_node_runs_once) {
    Tensor *x = leaf(SHAPE(2), (float[]){0.5f, -1});
    Tensor *f = autograd_function_apply(&counting, (Tensor *[]){x}, 1, NULL);
    Tensor *total = torch_zeros(SHAPE(2));
    for (int depth = 0; depth < 10; depth++) {
        Tensor *path = f;
        for (int i = 0; i < depth; i++) path = torch_mul_scalar(path, 1); /* longer paths */
        total = torch_add(total, path);
    }
    backward_calls = 0;
    torch_backward(torch_sum(total));
    ck_assert_msg(backward_calls == 1, "the shared node's backward ran %d times, expected once",
                  backward_calls);
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_full(SHAPE(2), 10));
}
END_TEST

/* a = a + a, 40 times, then a view of a counted node: 2^40 paths from the loss to x. A walk
 * that follows paths instead of visiting each node once never ends. */
START_TEST(test_ladder_of_shared_nodes) {
    Tensor *x = leaf(SHAPE(2), (float[]){1, 1});
    Tensor *a = autograd_function_apply(&counting, (Tensor *[]){x}, 1, NULL);
    for (int i = 0; i < 40; i++) a = torch_add(a, torch_view(a, SHAPE(2)));
    backward_calls = 0;
    torch_backward(torch_sum(a));
    ck_assert_int_eq(backward_calls, 1);
    CT_ASSERT_BITS_EQ(torch_grad(x), torch_full(SHAPE(2), ldexpf(1.0f, 40)));
}
END_TEST

static Suite *edges_suite(void) {
    Suite *s = suite_create("edges");
    TCase *tc = ct_tcase("tails");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_sum_lengths);
    tcase_add_test(tc, test_sum_lanes_and_rows);
    tcase_add_test(tc, test_sum_middle_dims_views_threads);
    tcase_add_test(tc, test_mm_tails);
    tcase_add_test(tc, test_empty_inner_dim);
    suite_add_tcase(s, tc);
    tc = ct_tcase("accumulation");
    tcase_add_test(tc, test_retained_graph_accumulates_twice);
    tcase_add_test(tc, test_two_graphs_add_into_one_leaf);
    tcase_add_test(tc, test_broadcast_operand_used_twice);
    suite_add_tcase(s, tc);
    tc = ct_tcase("walk");
    tcase_add_test(tc, test_shared_node_runs_once);
    tcase_add_test(tc, test_ladder_of_shared_nodes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(edges_suite()); }

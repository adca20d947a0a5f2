/*
 * test_losses.c: chapter 4's loss functions against PyTorch 1.13 (tests/fixtures/
 * stage4_losses.txt, made by tools/gen_stage4_fixtures.py).
 *
 *   - every loss with every reduction: the value, the gradient of the input (and of the
 *     target where torch has one) for a random incoming gradient, and the node's name;
 *   - the loss objects (nn_*_loss) give the nnf_ values bit for bit, print as R prints them;
 *   - nnf_mse_loss(a, b, "sum") is chapter 3's loss bit for bit, forward and backward;
 *   - the graphs of the composite losses have torch's nodes;
 *   - every error with its exact message; memory stays flat.
 */
#include <stdlib.h>
#include <string.h>

#include "autograd.h"
#include "ct_test.h"
#include "losses.h"
#include "nn.h"

#define RTOL 1e-5
#define ATOL 1e-6

static const char *const REDUCTIONS[] = {"none", "mean", "sum", "batchmean"};

typedef Tensor *(*LossFn)(Tensor *input, Tensor *target, const char *reduction);

static Tensor *nll_ignore2(Tensor *input, Tensor *target, const char *reduction) {
    return nnf_nll_loss_ignore_index(input, target, 2, reduction);
}

/* One fixture case: the loss function, its loss object, whether the target has a gradient,
 * how many reductions it takes (kl_div adds "batchmean"). */
typedef struct LossCase {
    const char *name;
    LossFn fn;
    Module *(*object)(const char *reduction);
    bool target_grad;
    int n_reductions;
} LossCase;

static Module *nll_ignore2_object(const char *reduction) {
    return nn_nll_loss_ignore_index(2, reduction);
}

static const LossCase CASES[] = {
    {"mse", nnf_mse_loss, nn_mse_loss, true, 3},
    {"l1", nnf_l1_loss, nn_l1_loss, true, 3},
    {"bce", nnf_binary_cross_entropy, nn_bce_loss, true, 3},
    {"bce_edge", nnf_binary_cross_entropy, nn_bce_loss, false, 3},
    {"bce_logits", nnf_binary_cross_entropy_with_logits, nn_bce_with_logits_loss, true, 3},
    {"nll", nnf_nll_loss, nn_nll_loss, false, 3},
    {"nll_ignore2", nll_ignore2, nll_ignore2_object, false, 3},
    {"cross_entropy", nnf_cross_entropy, nn_cross_entropy_loss, false, 3},
    {"kl_div", nnf_kl_div, nn_kl_div_loss, false, 4},
};
#define N_CASES ((int)(sizeof CASES / sizeof CASES[0]))

/* The (case, reduction) pair number i, counting every reduction of every case. */
static const char *pair_of(int i, const LossCase **c) {
    for (int k = 0; k < N_CASES; i -= CASES[k].n_reductions, k++)
        if (i < CASES[k].n_reductions) {
            *c = &CASES[k];
            return REDUCTIONS[i];
        }
    ck_abort_msg("no pair %d", i);
    return NULL;
}

static int n_pairs(void) {
    int n = 0;
    for (int k = 0; k < N_CASES; k++) n += CASES[k].n_reductions;
    return n;
}

static Tensor *fixture(Fixtures *fx, const char *name, const char *reduction, const char *what) {
    char key[128];
    if (reduction) snprintf(key, sizeof key, "%s_%s_%s", name, reduction, what);
    else snprintf(key, sizeof key, "%s_%s", name, what);
    return fixture_tensor(fx, key);
}

/* ---- every loss, every reduction, against PyTorch ---------------------------------------- */

/* _i runs over the (case, reduction) pairs. */
START_TEST(test_loss_matches_pytorch) {
    const LossCase *c;
    const char *red = pair_of(_i, &c);
    Fixtures *fx = fixtures_load("stage4_losses.txt");
    Tensor *input = torch_requires_grad_(fixture(fx, c->name, NULL, "input"), true);
    Tensor *target = fixture(fx, c->name, NULL, "target");
    if (c->target_grad) torch_requires_grad_(target, true);

    Tensor *loss = c->fn(input, target, red);
    CT_ASSERT_CLOSE(loss, fixture(fx, c->name, red, "value"), RTOL, ATOL);
    char key[128];
    snprintf(key, sizeof key, "%s_%s_grad_fn", c->name, red);
    ck_assert_str_eq(grad_fn_name(torch_grad_fn(loss)), fixture_text(fx, key));

    torch_backward_with(loss, fixture(fx, c->name, red, "grad_out"), false);
    CT_ASSERT_CLOSE(torch_grad(input), fixture(fx, c->name, red, "grad_input"), RTOL, ATOL);
    if (c->target_grad)
        CT_ASSERT_CLOSE(torch_grad(target), fixture(fx, c->name, red, "grad_target"), RTOL, ATOL);
    fixtures_free(fx);
}
END_TEST

/* The loss object built once gives the function's value, bit for bit, on each pair. */
START_TEST(test_loss_object_matches_function) {
    const LossCase *c;
    const char *red = pair_of(_i, &c);
    Fixtures *fx = fixtures_load("stage4_losses.txt");
    Tensor *input = fixture(fx, c->name, NULL, "input");
    Tensor *target = fixture(fx, c->name, NULL, "target");
    Module *loss_fn = c->object(red);
    for (int pair = 0; pair < 2; pair++) /* called on many pairs: the same each time */
        CT_ASSERT_BITS_EQ(nn_loss(loss_fn, input, target), c->fn(input, target, red));
    nn_free(loss_fn);
    fixtures_free(fx);
}
END_TEST

START_TEST(test_log_softmax_matches_pytorch) {
    Fixtures *fx = fixtures_load("stage4_losses.txt");
    for (int dim = 0; dim < 2; dim++) {
        char name[32];
        snprintf(name, sizeof name, "log_softmax%d", dim);
        Tensor *x = torch_requires_grad_(fixture(fx, name, NULL, "input"), true);
        Tensor *out = nnf_log_softmax(x, dim);
        CT_ASSERT_CLOSE(out, fixture(fx, name, NULL, "value"), RTOL, ATOL);
        char key[64];
        snprintf(key, sizeof key, "%s_grad_fn", name);
        ck_assert_str_eq(grad_fn_name(torch_grad_fn(out)), fixture_text(fx, key));
        torch_backward_with(out, fixture(fx, name, NULL, "grad_out"), false);
        CT_ASSERT_CLOSE(torch_grad(x), fixture(fx, name, NULL, "grad_input"), RTOL, ATOL);
    }
    fixtures_free(fx);
}
END_TEST

/* A negative dim counts from the end, as everywhere in torch. */
START_TEST(test_log_softmax_negative_dim) {
    Fixtures *fx = fixtures_load("stage4_losses.txt");
    Tensor *x = fixture(fx, "log_softmax1", NULL, "input");
    CT_ASSERT_BITS_EQ(nnf_log_softmax(x, -1), nnf_log_softmax(x, 1));
    fixtures_free(fx);
}
END_TEST

/* R's default reduction is "mean": NULL means it. */
START_TEST(test_null_reduction_is_mean) {
    Fixtures *fx = fixtures_load("stage4_losses.txt");
    Tensor *input = fixture(fx, "mse", NULL, "input"), *target = fixture(fx, "mse", NULL, "target");
    CT_ASSERT_BITS_EQ(nnf_mse_loss(input, target, NULL), nnf_mse_loss(input, target, "mean"));
    Module *loss_fn = nn_mse_loss(NULL);
    CT_ASSERT_BITS_EQ(nn_loss(loss_fn, input, target), nnf_mse_loss(input, target, "mean"));
    nn_free(loss_fn);
    fixtures_free(fx);
}
END_TEST

/* ---- the cross-stage contract: mse_loss(sum) is chapter 3's hand-written loss ------------ */

START_TEST(test_mse_sum_is_chapter3_loss_bit_for_bit) {
    torch_manual_seed(3);
    Tensor *a1 = torch_requires_grad_(torch_randn(SHAPE(100, 1)), true);
    Tensor *b1 = torch_requires_grad_(torch_randn(SHAPE(100, 1)), true);
    Tensor *a2 = torch_requires_grad_(torch_clone(torch_detach(a1)), true);
    Tensor *b2 = torch_requires_grad_(torch_clone(torch_detach(b1)), true);
    Tensor *by_hand = torch_sum(torch_pow(torch_sub(a1, b1), 2));
    Tensor *mse = nnf_mse_loss(a2, b2, "sum");
    CT_ASSERT_BITS_EQ(mse, by_hand);
    torch_backward(by_hand);
    torch_backward(mse);
    CT_ASSERT_BITS_EQ(torch_grad(a2), torch_grad(a1));
    CT_ASSERT_BITS_EQ(torch_grad(b2), torch_grad(b1));
}
END_TEST

/* ---- the graphs: torch's nodes, where torch composes ------------------------------------- */

START_TEST(test_composite_losses_have_torchs_nodes) {
    Fixtures *fx = fixtures_load("stage4_losses.txt");
    Tensor *x = torch_requires_grad_(fixture(fx, "l1", NULL, "input"), true);
    GradFn *fn = torch_grad_fn(nnf_l1_loss(x, fixture(fx, "l1", NULL, "target"), "sum"));
    ck_assert_str_eq(grad_fn_name(fn), "SumBackward0");
    ck_assert_str_eq(grad_fn_name(grad_fn_next(fn, 0)), "AbsBackward0");
    ck_assert_str_eq(grad_fn_name(grad_fn_next(grad_fn_next(fn, 0), 0)), "SubBackward0");

    Tensor *logits = torch_requires_grad_(fixture(fx, "cross_entropy", NULL, "input"), true);
    fn = torch_grad_fn(nnf_cross_entropy(logits, fixture(fx, "cross_entropy", NULL, "target"),
                                         "mean"));
    ck_assert_str_eq(grad_fn_name(fn), "NllLossBackward0");
    ck_assert_str_eq(grad_fn_name(grad_fn_next(fn, 0)), "LogSoftmaxBackward0");
    ck_assert_ptr_null(grad_fn_next(fn, 1)); /* the int64 target needs no gradient */

    Tensor *logp = torch_requires_grad_(fixture(fx, "kl_div", NULL, "input"), true);
    fn = torch_grad_fn(nnf_kl_div(logp, fixture(fx, "kl_div", NULL, "target"), "none"));
    ck_assert_str_eq(grad_fn_name(fn), "SubBackward0");
    ck_assert_str_eq(grad_fn_name(grad_fn_next(fn, 1)), "MulBackward0");

    Tensor *a = torch_requires_grad_(fixture(fx, "mse", NULL, "input"), true);
    fn = torch_grad_fn(nnf_mse_loss(a, fixture(fx, "mse", NULL, "target"), "sum"));
    ck_assert_str_eq(grad_fn_name(grad_fn_next(fn, 0)), "torch::autograd::AccumulateGrad");
    fixtures_free(fx);
}
END_TEST

/* Each loss's node keeps the arguments it was called with (the node's copy of its args): two
 * calls with different dims, ignore_index and reductions in one graph give, in one backward,
 * the gradients of the two losses run apart, added (a + b: the same bits in either order). */
START_TEST(test_loss_nodes_keep_their_own_arguments) {
    Fixtures *fx = fixtures_load("stage4_losses.txt");
    Tensor *logits = fixture(fx, "cross_entropy", NULL, "input"); /* (5, 4) */
    Tensor *target = torch_tensor_i64(SHAPE(5), (int64_t[]){3, 1, 3, 0, 2});
    int64_t ignored = 3; /* rows 0 and 2 in the first loss */
    Tensor *grads[3];
    for (int run = 0; run < 3; run++) { /* the first loss, the second, then both */
        Tensor *x = torch_requires_grad_(torch_clone(logits), true);
        Tensor *first = nnf_nll_loss_ignore_index(nnf_log_softmax(x, 1), target, ignored, "sum");
        Tensor *second = nnf_nll_loss(nnf_log_softmax(x, 0), target, "mean"); /* none ignored */
        torch_backward(run == 0 ? first : run == 1 ? second : torch_add(first, second));
        grads[run] = torch_grad(x);
    }
    CT_ASSERT_BITS_EQ(grads[2], torch_add(grads[0], grads[1]));
    /* and the arguments mattered: row 0 sends the first loss nothing, the second something */
    ck_assert_float_eq(torch_item(torch_sum(torch_abs(torch_select(grads[0], 0, 0)))), 0);
    ck_assert_float_ne(torch_item(torch_sum(torch_abs(torch_select(grads[1], 0, 0)))), 0);
    fixtures_free(fx);
}
END_TEST

/* Nothing requires grad: a plain tensor, no node. */
START_TEST(test_loss_without_grad_has_no_node) {
    Tensor *a = torch_ones(SHAPE(2, 2)), *b = torch_zeros(SHAPE(2, 2));
    Tensor *loss = nnf_mse_loss(a, b, "sum");
    ck_assert_float_eq(torch_item(loss), 4.0f);
    ck_assert_ptr_null(torch_grad_fn(loss));
}
END_TEST

/* ---- the loss objects are modules -------------------------------------------------------- */

static void print_module(void *m) { nn_print((Module *)m); }

START_TEST(test_loss_objects_print_as_r) {
    Module *(*makers[])(const char *) = {nn_mse_loss, nn_l1_loss, nn_bce_loss,
                                         nn_bce_with_logits_loss, nn_nll_loss,
                                         nn_cross_entropy_loss, nn_kl_div_loss};
    const char *names[] = {"nn_mse_loss", "nn_l1_loss", "nn_bce_loss", "nn_bce_with_logits_loss",
                           "nn_nll_loss", "nn_cross_entropy_loss", "nn_kl_div_loss"};
    for (int i = 0; i < 7; i++) {
        Module *m = makers[i]("sum");
        ck_assert_str_eq(m->class_name, names[i]);
        ck_assert_int_eq(nn_num_parameters(m), 0);
        char *text = ct_capture_stdout(print_module, m);
        ck_assert_str_eq(text, "An `nn_module` containing 0 parameters.\n");
        free(text);
        nn_free(m);
    }
}
END_TEST

/* ---- errors, each with its exact message ------------------------------------------------- */

START_TEST(test_error_bad_reduction) {
    Tensor *a = torch_zeros(SHAPE(3)), *b = torch_zeros(SHAPE(3));
    CT_EXPECT_ERROR("nnf_mse_loss: sum2 is not a valid value for reduction",
                    nnf_mse_loss(a, b, "sum2"));
    CT_EXPECT_ERROR("nnf_mse_loss: batchmean is not a valid value for reduction",
                    nnf_mse_loss(a, b, "batchmean"));
    CT_EXPECT_ERROR("nnf_l1_loss: Sum is not a valid value for reduction",
                    nnf_l1_loss(a, b, "Sum"));
    CT_EXPECT_ERROR("nnf_binary_cross_entropy: max is not a valid value for reduction",
                    nnf_binary_cross_entropy(a, b, "max"));
    CT_EXPECT_ERROR("nnf_binary_cross_entropy_with_logits:  is not a valid value for reduction",
                    nnf_binary_cross_entropy_with_logits(a, b, ""));
    CT_EXPECT_ERROR("nnf_kl_div: bad is not a valid value for reduction",
                    nnf_kl_div(a, b, "bad"));
    Tensor *logits = torch_zeros(SHAPE(2, 3));
    Tensor *classes = torch_tensor_i64(SHAPE(2), (int64_t[]){0, 1});
    CT_EXPECT_ERROR("nnf_nll_loss: batchmean is not a valid value for reduction",
                    nnf_nll_loss(logits, classes, "batchmean"));
    CT_EXPECT_ERROR("nnf_cross_entropy: none2 is not a valid value for reduction",
                    nnf_cross_entropy(logits, classes, "none2"));
    CT_EXPECT_ERROR("nn_mse_loss: sum2 is not a valid value for reduction", nn_mse_loss("sum2"));
    CT_EXPECT_ERROR("nn_cross_entropy_loss: batchmean is not a valid value for reduction",
                    nn_cross_entropy_loss("batchmean"));
}
END_TEST

START_TEST(test_error_shape_mismatch_names_both_shapes) {
    Tensor *input = torch_zeros(SHAPE(3, 1)), *target = torch_zeros(SHAPE(3));
    CT_EXPECT_ERROR("nnf_mse_loss: Using a target size ([3]) that is different to the input size "
                    "([3, 1]). This will likely lead to incorrect results due to broadcasting. "
                    "Please ensure they have the same size.",
                    nnf_mse_loss(input, target, "sum"));
    CT_EXPECT_ERROR("nnf_l1_loss: Using a target size ([3]) that is different to the input size "
                    "([3, 1]). This will likely lead to incorrect results due to broadcasting. "
                    "Please ensure they have the same size.",
                    nnf_l1_loss(input, target, "mean"));
    CT_EXPECT_ERROR("nnf_kl_div: Using a target size ([3]) that is different to the input size "
                    "([3, 1]). This will likely lead to incorrect results due to broadcasting. "
                    "Please ensure they have the same size.",
                    nnf_kl_div(input, target, "batchmean"));
    CT_EXPECT_ERROR("nnf_binary_cross_entropy: Using a target size ([3]) that is different to "
                    "the input size ([3, 1]) is deprecated. Please ensure they have the same size.",
                    nnf_binary_cross_entropy(input, target, "mean"));
    CT_EXPECT_ERROR("nnf_binary_cross_entropy_with_logits: Target size ([3]) must be the same as "
                    "input size ([3, 1])",
                    nnf_binary_cross_entropy_with_logits(input, target, "mean"));
    Module *loss_fn = nn_mse_loss("sum");
    CT_EXPECT_ERROR("nnf_mse_loss: Using a target size ([3]) that is different to the input size "
                    "([3, 1]). This will likely lead to incorrect results due to broadcasting. "
                    "Please ensure they have the same size.",
                    nn_loss(loss_fn, input, target));
    nn_free(loss_fn);
}
END_TEST

START_TEST(test_error_dtypes) {
    Tensor *ints = torch_tensor_i64(SHAPE(2), (int64_t[]){0, 1});
    Tensor *floats = torch_zeros(SHAPE(2));
    CT_EXPECT_ERROR("nnf_mse_loss: expected scalar type Float but found Long",
                    nnf_mse_loss(ints, floats, "sum"));
    CT_EXPECT_ERROR("nnf_kl_div: expected scalar type Float but found Long",
                    nnf_kl_div(floats, ints, "sum"));
    CT_EXPECT_ERROR("nnf_nll_loss: expected scalar type Long but found Float",
                    nnf_nll_loss(torch_zeros(SHAPE(2, 3)), floats, "mean"));
    CT_EXPECT_ERROR("nnf_log_softmax: expected scalar type Float but found Long",
                    nnf_log_softmax(ints, 0));
}
END_TEST

START_TEST(test_error_bce_input_outside_0_1) {
    Tensor *target = torch_zeros(SHAPE(3));
    CT_EXPECT_ERROR("nnf_binary_cross_entropy: all elements of input should be between 0 and 1",
                    nnf_binary_cross_entropy(torch_tensor(SHAPE(3), (float[]){0.5f, 1.5f, 0.f}),
                                             target, "mean"));
    CT_EXPECT_ERROR("nnf_binary_cross_entropy: all elements of input should be between 0 and 1",
                    nnf_binary_cross_entropy(torch_tensor(SHAPE(3), (float[]){-0.1f, 0.5f, 0.f}),
                                             target, "mean"));
    CT_EXPECT_ERROR("nnf_binary_cross_entropy: all elements of input should be between 0 and 1",
                    nnf_binary_cross_entropy(torch_tensor(SHAPE(3), (float[]){NAN, 0.5f, 0.f}),
                                             target, "mean"));
}
END_TEST

START_TEST(test_error_class_targets) {
    Tensor *logp = torch_zeros(SHAPE(3, 4));
    CT_EXPECT_ERROR("nnf_nll_loss: Target 5 is out of bounds.",
                    nnf_nll_loss(logp, torch_tensor_i64(SHAPE(3), (int64_t[]){0, 1, 5}), "mean"));
    CT_EXPECT_ERROR("nnf_nll_loss: Target -2 is out of bounds.",
                    nnf_nll_loss(logp, torch_tensor_i64(SHAPE(3), (int64_t[]){0, 1, -2}), "sum"));
    CT_EXPECT_ERROR("nnf_nll_loss: Target 4 is out of bounds.",
                    nnf_nll_loss(logp, torch_tensor_i64(SHAPE(3), (int64_t[]){4, 1, 2}), "none"));
    CT_EXPECT_ERROR("nnf_nll_loss: Target -100 is out of bounds.",
                    nnf_nll_loss_ignore_index(
                        logp, torch_tensor_i64(SHAPE(3), (int64_t[]){-100, 1, 2}), 0, "none"));
    CT_EXPECT_ERROR("nnf_cross_entropy: Target 5 is out of bounds.",
                    nnf_cross_entropy(logp, torch_tensor_i64(SHAPE(3), (int64_t[]){0, 1, 5}),
                                      "mean"));
    CT_EXPECT_ERROR("nnf_nll_loss: Expected input batch_size (3) to match target batch_size (4).",
                    nnf_nll_loss(logp, torch_tensor_i64(SHAPE(4), (int64_t[]){0, 1, 2, 3}),
                                 "mean"));
    CT_EXPECT_ERROR("nnf_cross_entropy: Expected input batch_size (3) to match target batch_size "
                    "(4).",
                    nnf_cross_entropy(logp, torch_tensor_i64(SHAPE(4), (int64_t[]){0, 1, 2, 3}),
                                      "mean"));
    CT_EXPECT_ERROR("nnf_nll_loss: Expected input batch_size (3) to match target batch_size (0).",
                    nnf_nll_loss(logp, torch_tensor_i64(SHAPE_SCALAR, (int64_t[]){1}), "mean"));
    CT_EXPECT_ERROR("nnf_nll_loss: 0D or 1D target tensor expected, multi-target not supported",
                    nnf_nll_loss(logp, torch_tensor_i64(SHAPE(3, 2), (int64_t[]){0, 1, 2, 3, 0, 1}),
                                 "mean"));
    CT_EXPECT_ERROR("nnf_nll_loss: expected input of shape (N, C), got [3, 4, 2]",
                    nnf_nll_loss(torch_zeros(SHAPE(3, 4, 2)),
                                 torch_tensor_i64(SHAPE(3), (int64_t[]){0, 1, 2}), "mean"));
    Module *loss_fn = nn_cross_entropy_loss("mean");
    CT_EXPECT_ERROR("nnf_cross_entropy: Target 7 is out of bounds.",
                    nn_loss(loss_fn, logp, torch_tensor_i64(SHAPE(3), (int64_t[]){7, 1, 2})));
    nn_free(loss_fn);
}
END_TEST

START_TEST(test_error_log_softmax_dim) {
    CT_EXPECT_ERROR("nnf_log_softmax: Dimension out of range (expected to be in range of [-2, 1], "
                    "but got 2)",
                    nnf_log_softmax(torch_zeros(SHAPE(3, 4)), 2));
}
END_TEST

START_TEST(test_error_loss_object_misuse) {
    Module *loss_fn = nn_mse_loss("sum");
    Tensor *x = torch_zeros(SHAPE(2));
    CT_EXPECT_ERROR("nn_forward: nn_mse_loss takes an input and a target: call nn_loss(loss_fn, "
                    "input, target)",
                    nn_forward(loss_fn, x));
    Module *linear = nn_linear(2, 1);
    CT_EXPECT_ERROR("nn_loss: expected a loss module (nn_mse_loss(), ...) but got nn_linear",
                    nn_loss(linear, x, x));
    CT_EXPECT_ERROR("nn_loss: expected a loss module but got NULL", nn_loss(NULL, x, x));
    nn_free(linear);
    nn_free(loss_fn);
    CT_EXPECT_ERROR("nn_loss: a module was used after it was freed", nn_loss(loss_fn, x, x));
}
END_TEST

/* A caught error leaves the inputs as they were: the checks run before anything is computed. */
START_TEST(test_error_leaves_inputs_intact) {
    Tensor *logp = torch_requires_grad_(torch_zeros(SHAPE(2, 3)), true);
    Tensor *target = torch_tensor_i64(SHAPE(2), (int64_t[]){0, 9});
    TorchMemoryStats before = torch_memory_stats();
    CT_EXPECT_ERROR("nnf_nll_loss: Target 9 is out of bounds.", nnf_nll_loss(logp, target, "sum"));
    ck_assert_int_eq(torch_memory_stats().live_tensors, before.live_tensors);
    ck_assert_ptr_null(torch_grad(logp));
}
END_TEST

/* ---- memory: a training loop's losses go away with each epoch's scope -------------------- */

START_TEST(test_memory_flat_over_epochs) {
    Fixtures *fx = fixtures_load("stage4_losses.txt");
    Tensor *logits = torch_keep(torch_requires_grad_(fixture(fx, "cross_entropy", NULL, "input"),
                                                     true));
    Tensor *target = torch_keep(fixture(fx, "cross_entropy", NULL, "target"));
    Module *loss_fn = nn_cross_entropy_loss("mean");
    int64_t live = 0;
    for (int epoch = 0; epoch < 50; epoch++) {
        torch_scope_begin();
        Tensor *zeros = torch_zeros_like(logits);
        Tensor *loss = torch_add(nn_loss(loss_fn, logits, target),
                                 nnf_binary_cross_entropy_with_logits(logits, zeros, "sum"));
        torch_backward(loss);
        torch_scope_end();
        if (epoch == 1) live = torch_memory_stats().live_tensors;
        if (epoch > 1) ck_assert_int_eq(torch_memory_stats().live_tensors, live);
    }
    nn_free(loss_fn);
    torch_free(logits);
    torch_free(target);
    fixtures_free(fx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("losses");
    TCase *tc = ct_tcase("losses");
    tcase_add_loop_test(tc, test_loss_matches_pytorch, 0, n_pairs());
    tcase_add_loop_test(tc, test_loss_object_matches_function, 0, n_pairs());
    tcase_add_test(tc, test_log_softmax_matches_pytorch);
    tcase_add_test(tc, test_log_softmax_negative_dim);
    tcase_add_test(tc, test_null_reduction_is_mean);
    tcase_add_test(tc, test_mse_sum_is_chapter3_loss_bit_for_bit);
    tcase_add_test(tc, test_composite_losses_have_torchs_nodes);
    tcase_add_test(tc, test_loss_nodes_keep_their_own_arguments);
    tcase_add_test(tc, test_loss_without_grad_has_no_node);
    tcase_add_test(tc, test_loss_objects_print_as_r);
    tcase_add_test(tc, test_error_bad_reduction);
    tcase_add_test(tc, test_error_shape_mismatch_names_both_shapes);
    tcase_add_test(tc, test_error_dtypes);
    tcase_add_test(tc, test_error_bce_input_outside_0_1);
    tcase_add_test(tc, test_error_class_targets);
    tcase_add_test(tc, test_error_log_softmax_dim);
    tcase_add_test(tc, test_error_loss_object_misuse);
    tcase_add_test(tc, test_error_leaves_inputs_intact);
    tcase_add_test(tc, test_memory_flat_over_epochs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

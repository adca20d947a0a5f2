/*
 * test_recovery.c: a caught error leaves ctorch as it was (common/error.h, docs/reliability.md).
 *
 * Each test makes a bad call at a point where the library holds state (a scope, nested
 * scopes, with_no_grad, a custom function's backward, an optimizer step, a threaded kernel, a
 * long-jumping handler), catches the error, and checks that the state is back: the scope
 * depth, grad mode, the live tensors and bytes, the grads and the optimizer's state, bit for
 * bit. Where the program can go on, it does, and gets the bits of a run that never made the
 * bad call. The last tests are poison mode's (common/tensor.h).
 */
#include <math.h>
#include <string.h>

#include "autograd.h"
#include "ct_test.h"
#include "internal.h"
#include "optim.h"
#if CTORCH_FAST
#include "fast/parallel.h"
#endif

#define MM_ERROR "torch_mm: mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)"

/* What a caught error must bring back. */
typedef struct State {
    int scope_depth;
    bool grad_enabled;
    int64_t live_tensors, live_bytes;
} State;

static State state_now(void) {
    TorchMemoryStats m = torch_memory_stats();
    return (State){torch_scope_depth(), torch_is_grad_enabled(), m.live_tensors, m.live_bytes};
}

static void assert_state_eq(State now, State before) {
    ck_assert_int_eq(now.scope_depth, before.scope_depth);
    ck_assert_int_eq(now.grad_enabled, before.grad_enabled);
    ck_assert_int_eq(now.live_tensors, before.live_tensors);
    ck_assert_int_eq(now.live_bytes, before.live_bytes);
}

/* A 2 x 3 matrix of known values, the same each call. */
static Tensor *matrix(float scale) {
    float v[6];
    for (int i = 0; i < 6; i++) v[i] = scale * (float)(i + 1) / 7.0f;
    return torch_tensor(SHAPE(2, 3), v);
}

/* ---- scopes ------------------------------------------------------------------------------- */

START_TEST(test_error_inside_a_scope) {
    Tensor *a = matrix(1), *b = matrix(2);
    State before = state_now();
    CT_EXPECT_ERROR(MM_ERROR, torch_scope_begin(); Tensor *c = torch_add(a, b);
                    torch_mm(c, b));
    assert_state_eq(state_now(), before);
    /* the program goes on: the same sum as ever */
    CT_ASSERT_BITS_EQ(torch_add(a, b), torch_add(matrix(1), matrix(2)));
}
END_TEST

static Tensor *kept[5]; /* static: written between setjmp and longjmp */

START_TEST(test_error_inside_nested_scopes) {
    Tensor *a = matrix(1);
    State before = state_now();
    CT_EXPECT_ERROR(MM_ERROR, Tensor *x = a; for (int i = 0; i < 5; i++) {
        torch_scope_begin();
        kept[i] = torch_keep(torch_mul_scalar(x, (float)i)); /* kept: outlives the error */
        x = torch_add(x, x);
    } torch_mm(x, x));
    State after = state_now();
    ck_assert_int_eq(after.scope_depth, before.scope_depth);
    ck_assert_int_eq(after.live_tensors, before.live_tensors + 5); /* the kept ones, only */
    for (int i = 0; i < 5; i++) torch_free(kept[i]);
    assert_state_eq(state_now(), before);
}
END_TEST

/* The tensors of the scope open at the catch stay (the program may hold them, as the misuse
 * catalogue does), and go when that scope ends. */
static Tensor *made; /* static: written between setjmp and longjmp */

START_TEST(test_tensors_of_the_open_scope_stay) {
    Tensor *a = matrix(1);
    State before = state_now();
    torch_scope_begin();
    CT_EXPECT_ERROR(MM_ERROR, made = torch_exp(a); torch_mm(made, a));
    CT_ASSERT_BITS_EQ(made, torch_exp(a));
    torch_scope_end();
    assert_state_eq(state_now(), before);
}
END_TEST

/* ---- with_no_grad, and a backward after it --------------------------------------------------- */

/* loss = sum((x mm w)^2) for fixed x and w (2 x 3, 3 x 1); w requires grad. */
static Tensor *tiny_loss(Tensor *w) { return torch_sum(torch_pow(torch_mm(matrix(1), w), 2)); }

static Tensor *tiny_w(void) {
    return torch_requires_grad_(torch_keep(torch_tensor(SHAPE(3, 1), (float[]){0.5f, -1, 2})),
                                true);
}

/* The program: an error inside a scope and with_no_grad, then a backward. */
START_TEST(test_error_inside_with_no_grad) {
    Tensor *w = tiny_w();
    State before = state_now();
    CT_EXPECT_ERROR(MM_ERROR, torch_scope_begin(); torch_no_grad_begin();
                    torch_mm(matrix(1), matrix(1)));
    assert_state_eq(state_now(), before);
    ck_assert(torch_is_grad_enabled());
    torch_backward(tiny_loss(w));

    Tensor *w_clean = tiny_w(); /* the run that never made the bad call */
    torch_backward(tiny_loss(w_clean));
    CT_ASSERT_BITS_EQ(torch_grad(w), torch_grad(w_clean));
    torch_free(w);
    torch_free(w_clean);
}
END_TEST

/* ---- a custom function whose backward fails ----------------------------------------------- */

typedef struct FailArgs {
    bool fail;
} FailArgs;

static Tensor *square_forward(AutogradContext *ctx, Tensor **in, int n) {
    (void)n;
    autograd_save_for_backward(ctx, in[0]);
    return torch_mul(in[0], in[0]);
}

/* 2 x grad_out, or (args->fail) the bad product. */
static void square_backward(AutogradContext *ctx, Tensor *grad_out, Tensor **grad_in) {
    const FailArgs *args = ctx->args;
    if (args->fail) torch_mm(matrix(1), matrix(1));
    grad_in[0] = torch_mul(torch_mul_scalar(ctx->saved[0], 2), grad_out);
}

static const AutogradFunction square = {.name = "SquareBackward", .forward = square_forward,
                                        .backward = square_backward,
                                        .args_size = sizeof(FailArgs)};

/* loss = sum(square(x mm w)) + sum(w): the walk reaches sum(w), and writes w's grad, before
 * it runs square's backward. */
static void custom_backward(Tensor *w, bool fail) {
    torch_scope_begin();
    Tensor *h = torch_mm(matrix(1), w);
    Tensor *y = autograd_function_apply(&square, &h, 1, &(FailArgs){fail});
    torch_backward(torch_add(torch_sum(y), torch_sum(w)));
    torch_scope_end();
}

START_TEST(test_error_inside_a_custom_backward) {
    Tensor *w = tiny_w(), *w_clean = tiny_w();
    custom_backward(w, false); /* w has a grad, which the failing walk must leave alone */
    custom_backward(w_clean, false);
    Tensor *grad_before = torch_clone(torch_grad(w));
    State before = state_now();
    CT_EXPECT_ERROR(MM_ERROR, custom_backward(w, true));
    assert_state_eq(state_now(), before);
    CT_ASSERT_BITS_EQ(torch_grad(w), grad_before);

    custom_backward(w, false);
    custom_backward(w_clean, false);
    CT_ASSERT_BITS_EQ(torch_grad(w), torch_grad(w_clean));
    torch_free(w);
    torch_free(w_clean);
}
END_TEST

/* A first backward that fails leaves no grad at all, as before it. */
START_TEST(test_failed_first_backward_leaves_no_grad) {
    Tensor *w = tiny_w();
    State before = state_now();
    CT_EXPECT_ERROR(MM_ERROR, custom_backward(w, true));
    assert_state_eq(state_now(), before);
    ck_assert_ptr_null(torch_grad(w));
    torch_free(w);
}
END_TEST

/* Once the last custom backward has run, nothing can fail: the walk copies no grad. Here the
 * custom function is at the root, as nnf_mse_loss is in chapter 4's loop, and w's grad (4 MB)
 * is written after its backward, in place: a copy of it would raise the peak of live bytes. */
static Tensor *spy_forward(AutogradContext *ctx, Tensor **in, int n) {
    (void)n;
    autograd_save_for_backward(ctx, in[0]);
    return torch_sum(in[0]);
}

static void spy_backward(AutogradContext *ctx, Tensor *grad_out, Tensor **grad_in) {
    grad_in[0] = torch_expand(grad_out, ctx->saved[0]->shape); /* a view: no new bytes */
}

static const AutogradFunction spy_sum = {.name = "SumBackward", .forward = spy_forward,
                                         .backward = spy_backward};

START_TEST(test_no_grad_copy_after_the_last_custom_backward) {
    Tensor *w = torch_requires_grad_(torch_keep(torch_ones(SHAPE(1 << 20))), true);
    int64_t peak = 0;
    for (int run = 0; run < 3; run++) { /* the first makes w's grad, the others add to it */
        torch_scope_begin();
        torch_backward(autograd_function_apply(&spy_sum, &w, 1, NULL));
        torch_scope_end();
        if (run == 0) peak = torch_memory_stats().peak_bytes;
    }
    ck_assert_int_eq(torch_memory_stats().peak_bytes, peak);
    ck_assert_float_eq(torch_item(torch_sum(torch_grad(w))), 3.0f * (1 << 20));
    torch_free(w);
}
END_TEST

/* ---- an optimizer step -------------------------------------------------------------------- */

/* SGD with momentum over w and a tensor released before the step: the step stops at its
 * checks, and w, its momentum buffer and its step count are as they were. */
START_TEST(test_error_during_optim_step) {
    Tensor *w = tiny_w(), *w_clean = tiny_w();
    Tensor *gone = torch_requires_grad_(torch_keep(torch_ones(SHAPE(2))), true);
    Tensor *params[] = {w, gone};
    SgdOptions o = SGD_DEFAULTS;
    o.lr = 0.1;
    o.momentum = 0.9;
    Optimizer *opt = optim_sgd_with(optim_tensor_list(params, 2), o);
    Optimizer *opt_clean = optim_sgd_with(optim_tensor_list(&w_clean, 1), o);
    torch_backward(tiny_loss(w));
    torch_backward(tiny_loss(w_clean));
    optim_step(opt);
    optim_step(opt_clean);

    torch_free(gone);
    Tensor *w_before = torch_clone(w);
    Tensor *buf_before = torch_clone(optim_state(opt, w)->momentum_buffer);
    State before = state_now();
    CT_EXPECT_ERROR("optim_step: a tensor was used after it was released (its scope ended or "
                    "it was freed); keep it with torch_keep() to use it longer",
                    optim_step(opt));
    assert_state_eq(state_now(), before);
    CT_ASSERT_BITS_EQ(w, w_before);
    CT_ASSERT_BITS_EQ(optim_state(opt, w)->momentum_buffer, buf_before);
    ck_assert_int_eq(optim_state(opt, w)->step, 1);
    /* the program goes on with w's own optimizer state: the clean run's bits */
    CT_ASSERT_BITS_EQ(optim_state(opt, w)->momentum_buffer,
                      optim_state(opt_clean, w_clean)->momentum_buffer);
    CT_ASSERT_BITS_EQ(w, w_clean);
    optim_free(opt);
    optim_free(opt_clean);
    torch_free(w);
    torch_free(w_clean);
}
END_TEST

/* ---- threads ------------------------------------------------------------------------------ */

/* A product big enough to be split over 4 threads (fast backend), checked before the split. */
START_TEST(test_error_in_a_threaded_product) {
    torch_set_num_threads(4);
    torch_manual_seed(3);
    Tensor *a = torch_randn(SHAPE(300, 200)), *b = torch_randn(SHAPE(200, 300));
    Tensor *good = torch_mm(a, b);
    State before = state_now();
    CT_EXPECT_ERROR("torch_mm: mat1 and mat2 shapes cannot be multiplied (300x200 and 300x200)",
                    torch_scope_begin(); torch_mm(a, torch_t(b)));
    assert_state_eq(state_now(), before);
    CT_ASSERT_BITS_EQ(torch_mm(a, b), good);
    torch_set_num_threads(0);
}
END_TEST

#if CTORCH_FAST
/* A kernel that fails on the workers that get the second half: the error comes back to this
 * thread with the message of the first failing chunk. */
static void fail_in_second_half(int64_t begin, int64_t end, void *ctx) {
    int64_t n = *(int64_t *)ctx;
    (void)end;
    if (begin >= n / 2) torch_error("test_kernel", "chunk at %lld failed", (long long)begin);
}

START_TEST(test_worker_error_raised_on_the_calling_thread) {
    torch_set_num_threads(4);
    int64_t n = 4;
    State before = state_now();
    CT_EXPECT_ERROR("test_kernel: chunk at 2 failed", torch_scope_begin();
                    parallel_for(n, 1, fail_in_second_half, &n));
    assert_state_eq(state_now(), before);
    torch_set_num_threads(0);
}
END_TEST
#endif

/* ---- a custom handler that long-jumps ------------------------------------------------------ */

static jmp_buf handler_jump;
static void jump_back(const char *message) {
    (void)message;
    longjmp(handler_jump, 1);
}

START_TEST(test_long_jumping_handler) {
    Tensor *w = tiny_w();
    State before = state_now();
    if (setjmp(handler_jump) == 0) {
        torch_set_error_handler(jump_back); /* its checkpoint: here */
        torch_scope_begin();
        torch_no_grad_begin();
        torch_mm(matrix(1), matrix(1));
        ck_abort_msg("no error was raised");
    }
    torch_set_error_handler(NULL);
    ck_assert_str_eq(torch_last_error(), MM_ERROR);
    assert_state_eq(state_now(), before);
    torch_backward(tiny_loss(w));
    ck_assert_ptr_nonnull(torch_grad(w));
    torch_free(w);
}
END_TEST

/* ---- poison mode ---------------------------------------------------------------------------- */

/* A raw pointer into a released tensor (SGD's momentum buffer without torch_keep, say). */
static float *stale_pointer(float value) {
    torch_scope_begin();
    float *raw = tensor_f32(torch_full(SHAPE(4, 4), value));
    torch_scope_end();
    return raw;
}

START_TEST(test_poison_stale_pointer_reads_nan) {
    torch_set_poison(true);
    float *raw = stale_pointer(3);
    Tensor *newer = torch_full(SHAPE(4, 4), 7); /* same size: the buffer stays in quarantine */
    for (int i = 0; i < 16; i++) ck_assert(isnan(raw[i]));
    ck_assert_float_eq(torch_item(torch_sum(newer)), 112);
    torch_set_poison(false);
}
END_TEST

/* What poison mode prevents: without it the same stale pointer reads the newer tensor's
 * numbers (the buffer was recycled), which look plausible. */
START_TEST(test_without_poison_a_stale_pointer_reads_recycled_numbers) {
    torch_set_poison(false);
    float *raw = stale_pointer(3);
    torch_full(SHAPE(4, 4), 7);
    ck_assert_float_eq(raw[0], 7);
}
END_TEST

START_TEST(test_poison_patterns_by_dtype) {
    torch_set_poison(true);
    torch_scope_begin();
    Tensor *i = torch_tensor_i64(SHAPE(2), (int64_t[]){1, 2});
    Tensor *b = torch_tensor_bool(SHAPE(8), (bool[]){true, false, true, false, 1, 0, 1, 0});
    int64_t *raw_i = tensor_i64(i);
    unsigned char *raw_b = (unsigned char *)tensor_bool(b);
    torch_scope_end();
    ck_assert(raw_i[0] == (int64_t)0xDEADBEEFDEADBEEFull && raw_i[1] == raw_i[0]);
    for (int k = 0; k < 8; k++) ck_assert_int_eq(raw_b[k], 0xDE);
    torch_set_poison(false);
}
END_TEST

START_TEST(test_poison_released_handle_is_an_error) {
    torch_set_poison(true);
    torch_scope_begin();
    Tensor *t = torch_ones(SHAPE(3));
    torch_scope_end();
    CT_EXPECT_ERROR("torch_sum: a tensor was used after it was released (its scope ended or it "
                    "was freed); keep it with torch_keep() to use it longer",
                    torch_sum(t));
    torch_set_poison(false);
}
END_TEST

/* Quarantined buffers go back to the cache in the end, and torch_memory_trim frees them. */
START_TEST(test_poison_quarantine_is_bounded) {
    torch_set_poison(true);
    for (int k = 0; k < 80; k++) { /* 80 MB released, more than the 64 MB quarantine */
        torch_scope_begin();
        torch_empty(SHAPE(1 << 18));
        torch_scope_end();
    }
    int64_t mallocs = torch_memory_stats().mallocs;
    torch_scope_begin();
    torch_empty(SHAPE(1 << 18)); /* one from the cache */
    torch_scope_end();
    ck_assert_int_eq(torch_memory_stats().mallocs, mallocs);
    torch_memory_trim();
    torch_set_poison(false);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("recovery");
    TCase *tc = ct_tcase("recovery");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_error_inside_a_scope);
    tcase_add_test(tc, test_error_inside_nested_scopes);
    tcase_add_test(tc, test_tensors_of_the_open_scope_stay);
    tcase_add_test(tc, test_error_inside_with_no_grad);
    tcase_add_test(tc, test_error_inside_a_custom_backward);
    tcase_add_test(tc, test_failed_first_backward_leaves_no_grad);
    tcase_add_test(tc, test_no_grad_copy_after_the_last_custom_backward);
    tcase_add_test(tc, test_error_during_optim_step);
    tcase_add_test(tc, test_error_in_a_threaded_product);
#if CTORCH_FAST
    tcase_add_test(tc, test_worker_error_raised_on_the_calling_thread);
#endif
    tcase_add_test(tc, test_long_jumping_handler);
    tcase_add_test(tc, test_poison_stale_pointer_reads_nan);
    tcase_add_test(tc, test_without_poison_a_stale_pointer_reads_recycled_numbers);
    tcase_add_test(tc, test_poison_patterns_by_dtype);
    tcase_add_test(tc, test_poison_released_handle_is_an_error);
    tcase_add_test(tc, test_poison_quarantine_is_bounded);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

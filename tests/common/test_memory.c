/* test_memory.c: the two lifetimes (scopes and kept tensors), pools, and flat memory. */
#include "ct_test.h"

static int64_t live(void) { return torch_memory_stats().live_tensors; }

START_TEST(test_scope_releases_its_tensors) {
    int64_t before = live();
    torch_scope_begin();
    Tensor *a = torch_ones(SHAPE(3, 4));
    Tensor *b = torch_add(a, a);
    ck_assert_int_eq(live(), before + 2);
    ck_assert_float_eq(torch_item(torch_sum(b)), 24.0f);
    torch_scope_end();
    ck_assert_int_eq(live(), before);
}
END_TEST

START_TEST(test_keep_outlives_the_scope) {
    torch_scope_begin();
    Tensor *kept = torch_keep(torch_full(SHAPE(2), 7.0f));
    torch_scope_end();
    ck_assert_float_eq(torch_item(torch_sum(kept)), 14.0f);
    torch_free(kept);
}
END_TEST

START_TEST(test_assign_frees_the_old_value) {
    torch_scope_end(); /* leave the test's scope: w lives until freed, like a weight */
    int64_t before = live();
    Tensor *w = torch_ones(SHAPE(2, 2));
    for (int t = 0; t < 5; t++) {
        torch_scope_begin();
        torch_assign(&w, torch_sub(w, torch_mul_scalar(w, 0.5f)));
        torch_scope_end();
    }
    ck_assert_int_eq(live(), before + 1);
    float v[4];
    torch_to_array(w, v);
    ck_assert_float_eq(v[0] + v[1] + v[2] + v[3], 4.0f / 32.0f);
    torch_free(w);
    ck_assert_int_eq(live(), before);
    torch_scope_begin();
}
END_TEST

START_TEST(test_view_keeps_storage_alive) {
    Tensor *base = torch_arange(1, 6, 1);
    Tensor *view = torch_keep(torch_narrow(base, 0, 2, 2));
    torch_free(base);
    float v[2];
    torch_to_array(view, v);
    ck_assert_float_eq(v[0], 3.0f);
    ck_assert_float_eq(v[1], 4.0f);
    torch_free(view);
}
END_TEST

START_TEST(test_use_after_scope_end_is_caught) {
    Tensor *t;
    torch_scope_begin();
    t = torch_ones(SHAPE(2));
    torch_scope_end();
    CT_EXPECT_ERROR("torch_add: a tensor was used after it was released (its scope ended or it "
                    "was freed); keep it with torch_keep() to use it longer",
                    torch_add(t, t));
}
END_TEST

START_TEST(test_double_free_is_caught) {
    Tensor *t = torch_keep(torch_ones(SHAPE(2)));
    torch_free(t);
    CT_EXPECT_ERROR("torch_free: a tensor was used after it was released (its scope ended or "
                    "it was freed); keep it with torch_keep() to use it longer",
                    torch_free(t));
}
END_TEST

START_TEST(test_scope_end_without_begin) {
    torch_scope_end(); /* the test's own scope */
    CT_EXPECT_ERROR("torch_scope_end: no scope is open", torch_scope_end());
    torch_scope_begin();
}
END_TEST

START_TEST(test_too_many_scopes) {
    int depth = torch_scope_depth();
    CT_EXPECT_ERROR("torch_scope_begin: too many nested scopes (at most 64); is a "
                    "torch_scope_end() missing?",
                    for (;;) {
                        torch_scope_begin();
                    });
    ck_assert_int_eq(torch_scope_depth(), depth); /* the error closed the scopes it opened */
}
END_TEST

START_TEST(test_negative_size) {
    CT_EXPECT_ERROR("torch_zeros: Trying to create tensor with negative dimension -2: [3, -2]",
                    torch_zeros(SHAPE(3, -2)));
}
END_TEST

START_TEST(test_free_null_is_a_no_op) { torch_free(NULL); }
END_TEST

/* tensor_alloc checks a new shape in one pass (torch_empty calls it directly); when that pass
 * fails, the error is check_new_shape's own, in its order: too many dims, then a negative
 * size anywhere, then the first size at which the element or the byte count overflows. */
START_TEST(test_new_shape_errors_in_order) {
    Shape nine = {9, {1, 1, 1, 1, 1, 1, 1, 1}}, minus = {-1, {0}};
    CT_EXPECT_ERROR("torch_empty: a tensor has at most 8 dimensions, got 9", torch_empty(nine));
    CT_EXPECT_ERROR("torch_empty: a tensor has at most 8 dimensions, got -1", torch_empty(minus));
    /* the product overflows before the negative size is reached */
    CT_EXPECT_ERROR("torch_empty: Trying to create tensor with negative dimension -1: "
                    "[4611686018427387903, 4, -1]",
                    torch_empty(SHAPE(INT64_MAX / 2, 4, -1)));
    /* two sizes overflow even when a later size is 0, as in libtorch */
    CT_EXPECT_ERROR("torch_empty: Storage size calculation overflowed with "
                    "sizes=[4611686018427387903, 4, 0]",
                    torch_empty(SHAPE(INT64_MAX / 2, 4, 0)));
    /* 2^61 floats: the element count fits, the byte count does not; 2^60 int64 the same */
    CT_EXPECT_ERROR("torch_empty: Storage size calculation overflowed with "
                    "sizes=[2305843009213693952]",
                    torch_empty(SHAPE((int64_t)1 << 61)));
    CT_EXPECT_ERROR("torch_empty: Storage size calculation overflowed with "
                    "sizes=[1, 1152921504606846976]",
                    torch_empty_dtype(SHAPE(1, (int64_t)1 << 60), TORCH_INT64));
    /* a 0 first: nothing overflows, an empty tensor */
    Tensor *empty = torch_empty(SHAPE(0, INT64_MAX, INT64_MAX));
    ck_assert_int_eq(torch_numel(empty), 0);
    ck_assert_int_eq(torch_size(empty, 2), INT64_MAX);
}
END_TEST

/* A new tensor's storage holds its bytes rounded up to the 64-byte buffer size. */
START_TEST(test_new_tensor_bytes) {
    ck_assert_int_eq((int64_t)torch_empty(SHAPE(3, 5))->storage->nbytes, 64);
    ck_assert_int_eq((int64_t)torch_empty_dtype(SHAPE(3, 3), TORCH_INT64)->storage->nbytes, 128);
    ck_assert_int_eq((int64_t)torch_empty_dtype(SHAPE(65), TORCH_BOOL)->storage->nbytes, 128);
    ck_assert_int_eq((int64_t)torch_empty(SHAPE_SCALAR)->storage->nbytes, 64);
    ck_assert_int_eq((int64_t)torch_empty(SHAPE(0))->storage->nbytes, 64);
}
END_TEST

/* 1 the first time header h is one of dirty[0 .. n - 1], else 0. */
static int newly_reused(const Tensor *h, Tensor *const *dirty, bool *seen, int n) {
    for (int i = 0; i < n; i++)
        if (h == dirty[i] && !seen[i]) return seen[i] = true;
    return 0;
}

/* Headers are recycled without being cleared: a header that was a view (another offset and
 * strides) comes back as a new tensor with exactly a new tensor's fields. */
START_TEST(test_recycled_headers_are_new) {
    enum { DIRTY = 600 };
    static Tensor *dirty[DIRTY];
    static bool seen[DIRTY];
    Tensor *base = torch_keep(torch_arange(0, 23, 1)); /* 24 elements */
    torch_scope_begin();
    for (int i = 0; i < DIRTY; i++) {
        Tensor *v = torch_transpose(torch_view(torch_narrow(base, 0, 4, 20), SHAPE(5, 2, 2)), 0, 2);
        dirty[i] = torch_expand(torch_select(v, 1, 1), SHAPE(3, 2, 5)); /* offset 6, a 0 stride */
    }
    torch_scope_end();
    int reused = 0;
    for (int round = 0; round < 200 && reused < DIRTY; round++) {
        torch_scope_begin();
        for (int k = 0; k < 256; k++) {
            Tensor *t = torch_empty(SHAPE(2, 3));
            reused += newly_reused(t, dirty, seen, DIRTY);
            ck_assert_int_eq(t->offset, 0);
            ck_assert_int_eq(t->stride[0], 3);
            ck_assert_int_eq(t->stride[1], 1);
            ck_assert(t->autograd == NULL);
            ck_assert_int_eq(t->scope, torch_scope_depth());
            ck_assert(torch_is_contiguous(t));
            ck_assert(t->storage != base->storage);
            Tensor *v = torch_unsqueeze(t, 0); /* and as a view */
            reused += newly_reused(v, dirty, seen, DIRTY);
            ck_assert_int_eq(v->offset, 0);
            ck_assert(v->autograd == NULL && v->storage == t->storage);
            ck_assert_int_eq(v->shape.ndim, 3);
            ck_assert_int_eq(v->stride[1], 3);
        }
        torch_scope_end();
    }
    ck_assert_int_eq(reused, DIRTY); /* every dirty header came back */
    torch_free(base);
}
END_TEST

/* A chapter-1 style epoch: after the first one, no buffer comes from malloc again and the
 * live bytes stay exactly the same, epoch after epoch. */
START_TEST(test_memory_is_flat_over_10000_epochs) {
    torch_scope_end();
    torch_manual_seed(1);
    Tensor *x = torch_randn(SHAPE(100, 3)), *w = torch_randn(SHAPE(3, 32));
    TorchMemoryStats first = {0};
    for (int t = 1; t <= 10000; t++) {
        torch_scope_begin();
        Tensor *h = torch_clamp_min(torch_mm(x, w), 0);
        Tensor *g = torch_mm(torch_t(x), torch_mul_scalar(h, 1e-6f));
        torch_assign(&w, torch_sub(w, g));
        torch_scope_end();
        if (t == 1) first = torch_memory_stats();
    }
    TorchMemoryStats last = torch_memory_stats();
    ck_assert_int_eq(last.live_bytes, first.live_bytes);
    ck_assert_int_eq(last.live_tensors, first.live_tensors);
    ck_assert_int_eq(last.mallocs, first.mallocs);
    ck_assert_int_eq(last.peak_bytes, first.peak_bytes);
    torch_free(x);
    torch_free(w);
    torch_scope_begin();
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("memory");
    TCase *tc = ct_tcase("memory");
    tcase_add_test(tc, test_scope_releases_its_tensors);
    tcase_add_test(tc, test_keep_outlives_the_scope);
    tcase_add_test(tc, test_assign_frees_the_old_value);
    tcase_add_test(tc, test_view_keeps_storage_alive);
    tcase_add_test(tc, test_use_after_scope_end_is_caught);
    tcase_add_test(tc, test_double_free_is_caught);
    tcase_add_test(tc, test_scope_end_without_begin);
    tcase_add_test(tc, test_too_many_scopes);
    tcase_add_test(tc, test_negative_size);
    tcase_add_test(tc, test_free_null_is_a_no_op);
    tcase_add_test(tc, test_new_shape_errors_in_order);
    tcase_add_test(tc, test_new_tensor_bytes);
    tcase_add_test(tc, test_recycled_headers_are_new);
    tcase_add_test(tc, test_memory_is_flat_over_10000_epochs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

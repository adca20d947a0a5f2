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
    volatile int opened = 0;
    CT_EXPECT_ERROR("torch_scope_begin: too many nested scopes (at most 64); is a "
                    "torch_scope_end() missing?",
                    for (;;) {
                        torch_scope_begin();
                        opened++;
                    });
    for (int i = 0; i < opened; i++) torch_scope_end();
}
END_TEST

START_TEST(test_negative_size) {
    CT_EXPECT_ERROR("torch_zeros: Trying to create tensor with negative dimension -2: [3, -2]",
                    torch_zeros(SHAPE(3, -2)));
}
END_TEST

START_TEST(test_free_null_is_a_no_op) { torch_free(NULL); }
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
    tcase_add_test(tc, test_memory_is_flat_over_10000_epochs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

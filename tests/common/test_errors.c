/* test_errors.c: how errors are reported, caught, and what the default handler does. */
#include <stdlib.h>
#include <string.h>

#include "ct_test.h"

START_TEST(test_message_names_op_and_shapes) {
    Tensor *x = torch_zeros(SHAPE(100, 3)), *w2 = torch_zeros(SHAPE(32, 1));
    CT_EXPECT_ERROR("torch_mm: mat1 and mat2 shapes cannot be multiplied (100x3 and 32x1)",
                    torch_mm(x, w2));
}
END_TEST

START_TEST(test_null_tensor) {
    CT_EXPECT_ERROR("torch_sum: expected a Tensor but got NULL", torch_sum(NULL));
}
END_TEST

START_TEST(test_data_is_kept_after_a_caught_error) {
    Tensor *t = torch_ones(SHAPE(2, 3));
    CT_EXPECT_ERROR("torch_sub_: output with shape [2, 3] doesn't match the broadcast shape "
                    "[4, 2, 3]",
                    torch_sub_(t, torch_ones(SHAPE(4, 2, 3))));
    ck_assert_float_eq(torch_item(torch_sum(t)), 6.0f);
}
END_TEST

START_TEST(test_catching_is_disarmed_after_an_error) {
    jmp_buf on_error;
    if (setjmp(on_error) == 0) {
        torch_catch_errors(&on_error);
        torch_item(torch_zeros(SHAPE(2)));
        ck_abort_msg("torch_item on two elements did not fail");
    }
    ck_assert_ptr_null(torch_catch_errors(NULL));
    ck_assert_str_eq(torch_last_error(),
                     "torch_item: a Tensor with 2 elements cannot be converted to Scalar");
}
END_TEST

/* The default handler: message on stderr, exit status 1. (ct_tcase's tests fail on an error
 * instead: this one puts the default back.) */
START_TEST(test_default_handler_exits_with_1) {
    torch_set_error_handler(NULL);
    torch_mm(torch_zeros(SHAPE(2, 3)), torch_zeros(SHAPE(2, 3)));
}
END_TEST

static void exit_with_7(const char *message) {
    if (strcmp(message, "torch_sum: expected a Tensor but got NULL") == 0) exit(7);
}

START_TEST(test_custom_handler_is_called) {
    torch_set_error_handler(exit_with_7);
    torch_sum(NULL);
}
END_TEST

/* The harness (ct_test.c): an error a test does not catch fails that test with the error's
 * message, and a message of several lines stays on one TAP line. Run as a suite of their own. */
START_TEST(inner_uncaught_error) {
    torch_mm(torch_zeros(SHAPE(2, 3)), torch_zeros(SHAPE(2, 3)));
}
END_TEST

START_TEST(inner_two_lines) { ck_assert_str_eq("Error in torch_mm\n", "two\nlines\n"); }
END_TEST

START_TEST(test_uncaught_error_fails_its_test) {
    Suite *inner = suite_create("inner");
    TCase *tc = ct_tcase("inner");
    tcase_add_test(tc, inner_uncaught_error);
    tcase_add_test(tc, inner_two_lines);
    suite_add_tcase(inner, tc);
    SRunner *sr = srunner_create(inner);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_SILENT);
    TestResult **results = srunner_results(sr);
    ck_assert_int_eq(srunner_ntests_failed(sr), 2);
    ck_assert_str_eq(tr_msg(results[0]),
                     "Error in torch_mm: mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)");
    ck_assert_ptr_nonnull(strstr(tr_msg(results[1]), "\\n\", "));
    ck_assert_ptr_null(strchr(tr_msg(results[1]), '\n'));
    free(results);
    srunner_free(sr);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("errors");
    TCase *tc = ct_tcase("errors");
    tcase_add_test(tc, test_message_names_op_and_shapes);
    tcase_add_test(tc, test_null_tensor);
    tcase_add_test(tc, test_data_is_kept_after_a_caught_error);
    tcase_add_test(tc, test_catching_is_disarmed_after_an_error);
    /* it forks the inner suite's tests, which a test run under CK_FORK=no cannot do */
    ct_add_exit_test(tc, test_uncaught_error_fails_its_test, 0);
    ct_add_exit_test(tc, test_default_handler_exits_with_1, 1);
    ct_add_exit_test(tc, test_custom_handler_is_called, 7);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

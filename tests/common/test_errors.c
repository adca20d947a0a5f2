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

/* The default handler: message on stderr, exit status 1. */
START_TEST(test_default_handler_exits_with_1) {
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

static Suite *suite(void) {
    Suite *s = suite_create("errors");
    TCase *tc = ct_tcase("errors");
    tcase_add_test(tc, test_message_names_op_and_shapes);
    tcase_add_test(tc, test_null_tensor);
    tcase_add_test(tc, test_data_is_kept_after_a_caught_error);
    tcase_add_test(tc, test_catching_is_disarmed_after_an_error);
    ct_add_exit_test(tc, test_default_handler_exits_with_1, 1);
    ct_add_exit_test(tc, test_custom_handler_is_called, 7);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

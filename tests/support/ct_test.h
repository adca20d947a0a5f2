/*
 * ct_test.h: what every ctorch test file uses on top of Check.
 *
 *   CT_ASSERT_BITS_EQ(actual, expected)      same shape, dtype and bits (first mismatch named)
 *   CT_ASSERT_CLOSE(actual, expected, rtol, atol)
 *   CT_EXPECT_ERROR("torch_mm: mat1 and mat2 ...", torch_mm(a, b));
 *   int main(void) { return ct_run(my_suite()); }
 *
 * Each test runs inside a scope (ct_setup/ct_teardown, added by ct_tcase), so tensors made in
 * a test are released at its end, as in a training epoch (ct_outside_any_scope runs a part of a
 * test with none open, as a learner's own program runs). An error the test does not catch
 * (torch_error) fails the test with its message, "Error in exercise 1.2: not implemented yet:
 * ..." in a student copy, instead of ending the test's process.
 */
#ifndef CTORCH_CT_TEST_H
#define CTORCH_CT_TEST_H

#include <check.h>
#include <setjmp.h>

#include "fixture.h"
#include "tensor.h"

/* A TCase whose tests each run inside a fresh scope, with uncaught errors failing the test. */
TCase *ct_tcase(const char *name);

/* Every Check failure goes through ct_assert_failed, which writes a newline in the message as
 * "\n": a message holding a program's output stays one TAP line (meson reports any other line
 * as "Unknown TAP output"). */
_Noreturn void ct_assert_failed(const char *file, int line, const char *expr, const char *msg, ...)
    __attribute__((format(printf, 4, 5)));
#undef ck_assert_msg
#define ck_assert_msg(expr, ...)                                                               \
    (expr) ? _mark_point(__FILE__, __LINE__)                                                   \
           : ct_assert_failed(__FILE__, __LINE__, "Assertion '" #expr "' failed", __VA_ARGS__)
#undef ck_abort_msg
#define ck_abort_msg(...) ct_assert_failed(__FILE__, __LINE__, "Failed", __VA_ARGS__)

/* Adds a test that must end the process with `status` (the default error handler's exit).
 * Needs Check's fork mode: under CK_FORK=no (valgrind) the test is left out, and says so. */
void ct_add_exit_test(TCase *tc, const TTest *test, int status);

/* Runs the suite with TAP on stdout (for meson); returns non-zero only if no test ran. */
int ct_run(Suite *s);

void ct_assert_bits_eq(Tensor *actual, Tensor *expected, const char *what, const char *file,
                       int line);
void ct_assert_close(Tensor *actual, Tensor *expected, double rtol, double atol, const char *what,
                     const char *file, int line);

#define CT_ASSERT_BITS_EQ(actual, expected)                                                    \
    ct_assert_bits_eq((actual), (expected), #actual, __FILE__, __LINE__)
#define CT_ASSERT_CLOSE(actual, expected, rtol, atol)                                          \
    ct_assert_close((actual), (expected), (rtol), (atol), #actual, __FILE__, __LINE__)

/* Runs the statements, which must raise exactly this error ("op: message"). */
#define CT_EXPECT_ERROR(expected, ...)                                                         \
    do {                                                                                       \
        jmp_buf ct_on_error_;                                                                  \
        if (setjmp(ct_on_error_) == 0) {                                                       \
            torch_catch_errors(&ct_on_error_);                                                 \
            __VA_ARGS__;                                                                       \
            torch_catch_errors(NULL);                                                          \
            ck_abort_msg("expected the error \"%s\", but no error was raised", (expected));  \
        } else {                                                                               \
            ck_assert_str_eq(torch_last_error(), (expected));                                  \
        }                                                                                      \
    } while (0)

/* Runs fn(ctx) with no scope open, as a learner's own program runs at its top level: there
 * a tensor's ->scope is 0 and nothing is released unless the code releases it, so a forward
 * that frees what a graph still holds, or keeps what nobody will free, shows. The test's own
 * scope (ct_tcase's) ends first, releasing what the test made so far, and a new one opens
 * after. Tensors fn makes live until torch_free. */
void ct_outside_any_scope(void (*fn)(void *), void *ctx);

/* Runs the statements with stdout captured; returns the text (malloc'ed, caller frees). */
char *ct_capture_stdout(void (*fn)(void *), void *ctx);



/* Runs a shell command; returns its exit status and, if out is not NULL, its stdout
 * (malloc'ed). For tests of the stage programs. A command starting with an absolute path
 * runs under $CT_PROGRAM_WRAPPER when set (the valgrind setup sets it). The program's stderr
 * is passed on to the test's; a program that stopped at an exercise not written yet ("Error in
 * exercise 1.4: not implemented yet") fails the test with that line. */
int ct_system(const char *command, char **out);

/* Reads a stage program's CSV (header epoch,loss): returns the number of rows, losses in
 * loss[0..max-1]. */
int ct_read_loss_csv(const char *path, double *loss, int max);
#endif

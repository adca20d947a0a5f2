/*
 * error.h: how ctorch reports misuse.
 *
 * Every operation checks its inputs before it touches any data. On bad input it calls
 * torch_error with its own name and a message worded like libtorch's, for example
 *     torch_mm: mat1 and mat2 shapes cannot be multiplied (100x3 and 32x1)
 * The default handler prints "Error in <that message>" to stderr and exits with status 1.
 * Tests, the grader, the fuzzer and a learner's program may catch errors instead:
 *
 *     jmp_buf on_error;
 *     if (setjmp(on_error) == 0) {
 *         torch_catch_errors(&on_error);
 *         torch_scope_begin();
 *         with_no_grad(torch_mm(x, w));     // fails: jumps to the else branch
 *         torch_scope_end();
 *         torch_catch_errors(NULL);
 *     } else {
 *         puts(torch_last_error());         // "torch_mm: mat1 and mat2 shapes ..."
 *     }                                     // the scope has ended, grad mode is back on
 *
 * The guarantee: a caught error leaves ctorch as it was when the catch was armed, as if the
 * failing code had never run (libtorch's guards unwind so; R torch has on.exit):
 *   - scopes opened since are closed and their tensors released (the tensors of the scopes
 *     open at the catch stay: you may hold them; they go when their scope ends);
 *   - with_no_grad scopes opened since end, so grad mode is what it was;
 *   - a backward that stops part-way leaves every grad as it was before the call;
 *   - optim_step checks everything before it changes anything: a step that stops on an error
 *     has changed no parameter and no optimizer state (out of memory half-way excepted: then
 *     the parameters before the failing one have had their step);
 *   - an error found on a worker thread is raised again on the calling thread, with the same
 *     message, once every worker has finished: no error crosses threads.
 * Data, versions and everything else the failing call did not change stay as they were. The
 * same holds for a handler (torch_set_error_handler) that long-jumps: the state comes back to
 * what it was when the handler was set, before the handler is called. docs/reliability.md
 * lists the tests.
 */
#ifndef CTORCH_ERROR_H
#define CTORCH_ERROR_H

#include <setjmp.h>

/* Reports an error in operation `op`. Does not return. */
_Noreturn void torch_error(const char *op, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The last error as "op: message" ("" before the first). */
const char *torch_last_error(void);

/* From now on, errors longjmp to *target (with value 1) instead of exiting; NULL restores the
 * default. Each error also restores the default, so a second error exits unless re-armed.
 * Arming records the state an error brings back (above). Returns the previous target. */
jmp_buf *torch_catch_errors(jmp_buf *target);

/* A custom handler: called with the whole "op: message" text. If it returns, the process
 * exits with status 1. NULL restores the default (print to stderr, exit 1). Setting a handler
 * records the state an error brings back before calling it (for a handler that long-jumps:
 * set it after your setjmp). */
typedef void (*TorchErrorHandler)(const char *message);
void torch_set_error_handler(TorchErrorHandler handler);

#endif

/*
 * error.h: how ctorch reports misuse.
 *
 * Every operation checks its inputs before it touches any data. On bad input it calls
 * torch_error with its own name and a message worded like libtorch's, for example
 *     torch_mm: mat1 and mat2 shapes cannot be multiplied (100x3 and 32x1)
 * The default handler prints "Error in <that message>" to stderr and exits with status 1.
 * Tests, the grader and the fuzzer catch errors instead, and the process keeps its data:
 *
 *     jmp_buf on_error;
 *     if (setjmp(on_error) == 0) {
 *         torch_catch_errors(&on_error);
 *         Tensor *z = torch_mm(x, w);       // fails: jumps to the else branch
 *         torch_catch_errors(NULL);
 *     } else {
 *         puts(torch_last_error());         // "torch_mm: mat1 and mat2 shapes ..."
 *     }
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
 * Returns the previous target. */
jmp_buf *torch_catch_errors(jmp_buf *target);

/* A custom handler: called with the whole "op: message" text. If it returns, the process
 * exits with status 1. NULL restores the default (print to stderr, exit 1). */
typedef void (*TorchErrorHandler)(const char *message);
void torch_set_error_handler(TorchErrorHandler handler);

#endif

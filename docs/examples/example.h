/*
 * example.h: the little that every docs example shares.
 *
 * Each program in docs/examples is one section of a chapter. The chapter shows its code
 * (the lines between a "docs:begin NAME" and a "docs:end NAME" comment) and, right below,
 * what that code printed: tools/docs.py cuts the program's output at the "==> NAME" lines
 * that part() prints. Run a program yourself to see the same text, part lines included.
 */
#ifndef CTORCH_DOCS_EXAMPLE_H
#define CTORCH_DOCS_EXAMPLE_H

#include <setjmp.h>
#include <stdio.h>

#include "tensor.h"

/* Starts the part of the output that the chapter shows under the snippet NAME. */
static inline void part(const char *name) { printf("==> %s\n", name); }

/*
 * SHOW_ERROR(expression): evaluates the expression; if ctorch raises an error, prints it as
 * the default handler would ("Error in op: message"), but to stdout, and carries on instead
 * of exiting. Operations check their inputs before touching anything, so nothing leaks and
 * no data changes when they fail.
 */
#define SHOW_ERROR(expression)                                                             \
    do {                                                                                   \
        jmp_buf on_error_;                                                                 \
        if (setjmp(on_error_) == 0) {                                                      \
            torch_catch_errors(&on_error_);                                                \
            (void)(expression);                                                            \
            torch_catch_errors(NULL);                                                      \
        } else {                                                                           \
            printf("Error in %s\n", torch_last_error());                                   \
        }                                                                                  \
    } while (0)

#endif

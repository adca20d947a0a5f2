/* error.c: one path for every error: format, remember, then jump, call the handler or exit. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static char last_error[1024];
static jmp_buf *catch_target;
static TorchErrorHandler handler;

const char *torch_last_error(void) { return last_error; }

jmp_buf *torch_catch_errors(jmp_buf *target) {
    jmp_buf *previous = catch_target;
    catch_target = target;
    return previous;
}

void torch_set_error_handler(TorchErrorHandler h) { handler = h; }

void torch_error(const char *op, const char *fmt, ...) {
    int n = snprintf(last_error, sizeof last_error, "%s: ", op);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error + n, sizeof last_error - (size_t)n, fmt, ap);
    va_end(ap);

    if (catch_target) {
        jmp_buf *target = catch_target;
        catch_target = NULL; /* an error while handling this one must not loop */
        longjmp(*target, 1);
    }
    if (handler) handler(last_error);
    fflush(stdout);
    fprintf(stderr, "Error in %s\n", last_error);
    exit(1);
}

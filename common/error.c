/*
 * error.c: one path for every error: format, remember, roll the library back to the state it
 * had when the catch was armed, then jump, call the handler or exit.
 *
 * Rolling back is what libtorch's guards do as an exception passes them (NoGradGuard, the
 * autograd engine's) and what R torch does with on.exit. The state that has to come back is
 * of two kinds (internal.h):
 *   - depths that begin/end pairs open (scopes, with_no_grad), each tracked by the file that
 *     owns it: an error closes what was opened since the catch;
 *   - operations in progress (a backward walk) that registered an undo: an error runs those
 *     registered since the catch, newest first, before the rest comes back.
 * A worker thread of a parallel kernel has a catch of its own (parallel.c), so that its error
 * goes back to the thread that split the work, and rolls nothing back itself.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TRACKED 4

/* Per thread: a worker formats its own message and jumps to its own catch. */
static _Thread_local char last_error[1024];
static _Thread_local jmp_buf *worker_target;

static jmp_buf *catch_target;
static TorchErrorHandler handler;

/* The tracked state, and the undos of operations in progress (a stack of records that live
 * in their operations' frames). */
static const TorchTracked *tracked[MAX_TRACKED];
static int n_tracked;
static TorchUndo *undo_top;
static int undo_count;

/* What an error rolls back to. A depth tracked only after the catch was armed was 0 then. */
typedef struct Checkpoint {
    int depth[MAX_TRACKED];
    int undo_count;
} Checkpoint;
static Checkpoint at_catch, at_handler;
static bool restoring; /* an error while restoring (a library bug) must not restore again */

static Checkpoint checkpoint_now(void) {
    restoring = false;
    Checkpoint c = {.undo_count = undo_count};
    for (int i = 0; i < n_tracked; i++) c.depth[i] = tracked[i]->depth();
    return c;
}

/* Undoes the operations begun since c (newest first), then closes what was opened since c. */
static void checkpoint_restore(const Checkpoint *c) {
    if (restoring) return;
    restoring = true;
    while (undo_count > c->undo_count) {
        TorchUndo *u = undo_top;
        torch_undo_pop(u);
        u->undo(u);
    }
    for (int i = n_tracked - 1; i >= 0; i--) tracked[i]->unwind_to(c->depth[i]);
    restoring = false;
}

void torch_track(const TorchTracked *t) {
    for (int i = 0; i < n_tracked; i++)
        if (tracked[i] == t) return;
    if (n_tracked == MAX_TRACKED) abort(); /* a library bug: MAX_TRACKED is too small */
    tracked[n_tracked++] = t;
}

void torch_undo_push(TorchUndo *u, void (*undo)(TorchUndo *self)) {
    u->undo = undo;
    u->below = undo_top;
    undo_top = u;
    undo_count++;
}

void torch_undo_pop(TorchUndo *u) {
    if (undo_top != u) abort(); /* a library bug: pushes and pops must pair */
    undo_top = u->below;
    undo_count--;
}

const char *torch_last_error(void) { return last_error; }

jmp_buf *torch_catch_errors(jmp_buf *target) {
    jmp_buf *previous = catch_target;
    catch_target = target;
    if (target) at_catch = checkpoint_now();
    return previous;
}

void torch_set_error_handler(TorchErrorHandler h) {
    handler = h;
    if (h) at_handler = checkpoint_now();
}

jmp_buf *torch_catch_worker_errors(jmp_buf *target) {
    jmp_buf *previous = worker_target;
    worker_target = target;
    return previous;
}

/* Sends last_error on: to the worker's catch, the program's catch, the handler, or exit. */
static _Noreturn void raise_last_error(void) {
    if (worker_target) { /* a parallel kernel's worker: its caller raises the error again */
        jmp_buf *target = worker_target;
        worker_target = NULL;
        longjmp(*target, 1);
    }
    if (catch_target) {
        jmp_buf *target = catch_target;
        catch_target = NULL; /* an error while handling this one must not loop */
        checkpoint_restore(&at_catch);
        longjmp(*target, 1);
    }
    if (handler) {
        checkpoint_restore(&at_handler); /* for a handler that long-jumps; harmless if it exits */
        handler(last_error);
    }
    fflush(stdout);
    fprintf(stderr, "Error in %s\n", last_error);
    exit(1);
}

void torch_error(const char *op, const char *fmt, ...) {
    int n = snprintf(last_error, sizeof last_error, "%s: ", op);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error + n, sizeof last_error - (size_t)n, fmt, ap);
    va_end(ap);
    raise_last_error();
}

void torch_error_again(const char *message) {
    snprintf(last_error, sizeof last_error, "%s", message);
    raise_last_error();
}

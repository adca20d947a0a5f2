/* ct_test.c: the shared Check harness (see ct_test.h). */
#include "ct_test.h"
#include "internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* An error no test caught: the test fails with its message (its process carries on with the
 * next test when Check does not fork). */
static void ct_fail_on_error(const char *message) {
    ct_assert_failed(__FILE__, __LINE__, "torch_error", "Error in %s", message);
}

static void ct_setup(void) {
    torch_scope_begin();
    torch_set_error_handler(ct_fail_on_error); /* after: an error rolls back to the test's scope */
}

static void ct_teardown(void) {
    if (torch_scope_depth() > 0) torch_scope_end(); /* none if ct_outside_any_scope failed */
    torch_set_error_handler(NULL);
}

void ct_assert_failed(const char *file, int line, const char *expr, const char *msg, ...) {
    char text[4096], one_line[8192];
    if (msg) {
        va_list ap;
        va_start(ap, msg);
        vsnprintf(text, sizeof text, msg, ap);
        va_end(ap);
    } else {
        snprintf(text, sizeof text, "%s", expr);
    }
    size_t n = 0;
    for (const char *c = text; *c && n + 3 < sizeof one_line; c++) {
        if (*c == '\n' || *c == '\r') {
            one_line[n++] = '\\';
            one_line[n++] = *c == '\n' ? 'n' : 'r';
        } else {
            one_line[n++] = *c;
        }
    }
    one_line[n] = '\0';
    _ck_assert_failed(file, line, expr, "%s", one_line);
}

TCase *ct_tcase(const char *name) {
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, ct_setup, ct_teardown);
    tcase_set_timeout(tc, 60); /* Check's 4 s would fail a sound test on a busy machine */
    return tc;
}

void ct_outside_any_scope(void (*fn)(void *), void *ctx) {
    ck_assert_msg(torch_scope_depth() == 1,
                  "ct_outside_any_scope: expected the test's own scope alone, found %d open",
                  torch_scope_depth());
    torch_scope_end();
    fn(ctx);
    torch_scope_begin();
}

void ct_add_exit_test(TCase *tc, const TTest *test, int status) {
    const char *fork = getenv("CK_FORK");
    if (fork && strcmp(fork, "no") == 0) {
        fprintf(stderr, "# %s left out: it needs CK_FORK=yes\n", test->name);
        return;
    }
    tcase_add_exit_test(tc, test, status);
}

int ct_run(Suite *s) {
    SRunner *sr = srunner_create(s);
    srunner_set_tap(sr, "-");
    srunner_run_all(sr, CK_SILENT);
    int ran = srunner_ntests_run(sr);
    srunner_free(sr);
    if (ran == 0) {
        fprintf(stderr, "no test ran (is CK_RUN_SUITE or CK_RUN_CASE misspelled?)\n");
        return 1;
    }
    return 0; /* failures are reported through TAP */
}

static void same_shape(Tensor *a, Tensor *e, const char *what, const char *file, int line) {
    char sa[128], se[128];
    ck_assert_msg(a != NULL && e != NULL, "%s:%d: %s is NULL", file, line, what);
    ck_assert_msg(a->dtype == e->dtype && shape_equal(a->shape, e->shape),
                  "%s:%d: %s has shape %s (dtype %d), expected %s (dtype %d)", file, line, what,
                  shape_str(a->shape, sa, sizeof sa), a->dtype, shape_str(e->shape, se, sizeof se),
                  e->dtype);
}

/* Reads element i (row-major) of any tensor as a double (and its raw bits, for floats). */
static double value_at(Tensor *t, int64_t i, uint32_t *bits) {
    int64_t off = strided_offset(t, i);
    switch (t->dtype) {
    case TORCH_FLOAT32:
        if (bits) memcpy(bits, &tensor_f32(t)[off], 4);
        return tensor_f32(t)[off];
    case TORCH_INT64: return (double)tensor_i64(t)[off];
    case TORCH_BOOL: return tensor_bool(t)[off];
    }
    return 0;
}

void ct_assert_bits_eq(Tensor *actual, Tensor *expected, const char *what, const char *file,
                       int line) {
    same_shape(actual, expected, what, file, line);
    int64_t n = torch_numel(expected);
    for (int64_t i = 0; i < n; i++) {
        uint32_t ba = 0, be = 0;
        double va = value_at(actual, i, &ba), ve = value_at(expected, i, &be);
        bool equal = actual->dtype == TORCH_FLOAT32 ? ba == be : va == ve;
        ck_assert_msg(equal,
                      "%s:%d: %s differs at flat index %lld: got %.9g (0x%08x), expected %.9g "
                      "(0x%08x)",
                      file, line, what, (long long)i, va, ba, ve, be);
    }
}

void ct_assert_close(Tensor *actual, Tensor *expected, double rtol, double atol, const char *what,
                     const char *file, int line) {
    same_shape(actual, expected, what, file, line);
    int64_t n = torch_numel(expected);
    for (int64_t i = 0; i < n; i++) {
        double va = value_at(actual, i, NULL), ve = value_at(expected, i, NULL);
        bool both_nan = isnan(va) && isnan(ve);
        bool ok = both_nan || va == ve || fabs(va - ve) <= atol + rtol * fabs(ve);
        ck_assert_msg(ok, "%s:%d: %s differs at flat index %lld: got %.9g, expected %.9g "
                          "(|diff| %.3g > atol %.3g + rtol %.3g * |expected|)",
                      file, line, what, (long long)i, va, ve, fabs(va - ve), atol, rtol);
    }
}

char *ct_capture_stdout(void (*fn)(void *), void *ctx) {
    fflush(stdout);
    FILE *tmp = tmpfile();
    ck_assert_ptr_nonnull(tmp);
    int saved = dup(fileno(stdout));
    dup2(fileno(tmp), fileno(stdout));
    fn(ctx);
    fflush(stdout);
    dup2(saved, fileno(stdout));
    close(saved);
    long n = ftell(tmp);
    rewind(tmp);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, tmp);
    buf[got] = '\0';
    fclose(tmp);
    return buf;
}

/* The line of text that holds a stub's message ("... exercise 1.4: not implemented yet ..."),
 * copied to line; false if there is none. */
static bool stub_message(const char *text, char *line, size_t len) {
    const char *hit = text ? strstr(text, ": not implemented yet") : NULL;
    if (!hit) return false;
    const char *start = hit, *end = strchr(hit, '\n');
    while (start > text && start[-1] != '\n') start--;
    if (!end) end = hit + strlen(hit);
    snprintf(line, len, "%.*s", (int)(end - start), start);
    return strstr(line, "exercise ") != NULL;
}

/* What a pipe or file holds, to the end (malloc'ed, NUL-terminated). */
static char *read_all(FILE *f) {
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap);
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n < 2) buf = realloc(buf, cap *= 2);
    }
    buf[n] = '\0';
    return buf;
}

/* "stage1_tensors/train" for "/path/build/stage1_tensors/train --seed 1 ...". */
static const char *program_name(const char *command, char *buf, size_t len) {
    size_t n = strcspn(command, " ");
    snprintf(buf, len, "%.*s", (int)n, command);
    char *last = strrchr(buf, '/');
    if (last) {
        *last = '\0';
        char *dir = strrchr(buf, '/');
        *last = '/';
        return dir ? dir + 1 : buf;
    }
    return buf;
}

int ct_system(const char *command, char **out) {
    fflush(stdout);
    fflush(stderr);
    /* Under `meson test --setup=valgrind` the programs a test runs go under valgrind too. */
    const char *wrapper = getenv("CT_PROGRAM_WRAPPER");
    if (!wrapper || !*wrapper || command[0] != '/') wrapper = "";
    char err_path[] = "/tmp/ct_system_XXXXXX", wrapped[8192];
    int err_fd = mkstemp(err_path);
    ck_assert_msg(err_fd >= 0, "cannot make a temporary file for %s", command);
    close(err_fd);
    /* the program's stderr to err_path (a redirection inside the command comes later, and wins) */
    snprintf(wrapped, sizeof wrapped, "{ %s %s; } 2>%s", wrapper, command, err_path);
    FILE *p = popen(wrapped, "r");
    ck_assert_msg(p != NULL, "cannot run %s", command);
    char *buf = read_all(p);
    int status = pclose(p);
    FILE *e = fopen(err_path, "r");
    char *err = e ? read_all(e) : NULL;
    if (e) fclose(e);
    remove(err_path);
    if (err) fputs(err, stderr);
    char stub[512], name[256];
    bool stopped = stub_message(err, stub, sizeof stub) || stub_message(buf, stub, sizeof stub);
    free(err);
    if (stopped) {
        free(buf);
        ck_abort_msg("%s stopped: %s", program_name(command, name, sizeof name), stub);
    }
    if (out) *out = buf;
    else free(buf);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int ct_read_loss_csv(const char *path, double *loss, int max) {
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    char header[64];
    ck_assert(fgets(header, sizeof header, f) != NULL);
    ck_assert_str_eq(header, "epoch,loss\n");
    int epoch, rows = 0;
    double v;
    while (fscanf(f, "%d,%lf", &epoch, &v) == 2) {
        ck_assert_int_eq(epoch, rows + 1);
        if (rows < max) loss[rows] = v;
        rows++;
    }
    fclose(f);
    return rows;
}

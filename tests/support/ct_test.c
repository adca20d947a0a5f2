/* ct_test.c: the shared Check harness (see ct_test.h). */
#include "ct_test.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void ct_setup(void) { torch_scope_begin(); }
static void ct_teardown(void) { torch_scope_end(); }

TCase *ct_tcase(const char *name) {
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, ct_setup, ct_teardown);
    return tc;
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

int ct_system(const char *command, char **out) {
    fflush(stdout);
    /* Under `meson test --setup=valgrind` the programs a test runs go under valgrind too. */
    const char *wrapper = getenv("CT_PROGRAM_WRAPPER");
    char wrapped[8192];
    if (wrapper && *wrapper && command[0] == '/') {
        snprintf(wrapped, sizeof wrapped, "%s %s", wrapper, command);
        command = wrapped;
    }
    FILE *p = popen(command, "r");
    ck_assert_msg(p != NULL, "cannot run %s", command);
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (cap - n < 2) buf = realloc(buf, cap *= 2);
    }
    buf[n] = '\0';
    int status = pclose(p);
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

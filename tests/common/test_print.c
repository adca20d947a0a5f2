/*
 * test_print.c: tensors print byte for byte as libtorch 1.13's operator<< and R torch's
 * print() show them.
 *
 * tests/fixtures/print.txt is written by tools/gen_print_fixtures.sh, which prints each
 * case's tensor with libtorch's own operator<< (C++). For every case the fixture holds the
 * tensor (exact bits) and the text; the tests rebuild the tensor and compare every byte.
 */
#include "ct_test.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define FIXTURE   "print.txt"
#define MAX_CASES 256
#define MAX_NAME  100

/* ---- helpers ---------------------------------------------------------------------------- */

/* The lines of a fixture text record (case names), one entry per line. */
typedef struct NameList {
    int count;
    char names[MAX_CASES][MAX_NAME];
} NameList;

static void read_lines(Fixtures *fx, const char *record, NameList *out) {
    const char *s = fixture_text(fx, record);
    out->count = 0;
    while (*s) {
        const char *end = strchr(s, '\n');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        ck_assert_int_lt(out->count, MAX_CASES);
        ck_assert_uint_lt(len, MAX_NAME);
        memcpy(out->names[out->count], s, len);
        out->names[out->count][len] = '\0';
        out->count++;
        s += len + (end ? 1 : 0);
    }
}

typedef enum PrintKind { AS_LIBTORCH, AS_R_DEFAULT, AS_R_N } PrintKind;

/* What a print function wrote, as a malloc'ed NUL-terminated string. */
static char *printed(PrintKind kind, Tensor *t, int n) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    switch (kind) {
    case AS_LIBTORCH: torch_fprint_libtorch(f, t); break;
    case AS_R_DEFAULT: torch_fprint(f, t); break;
    case AS_R_N: torch_fprint_n(f, t, n); break;
    }
    fclose(f);
    return text;
}

/* Fails naming the case and the first differing byte, with both texts. */
static void assert_same_text(const char *what, const char *actual, const char *expected) {
    size_t i = 0;
    while (actual[i] && actual[i] == expected[i]) i++;
    ck_assert_msg(actual[i] == expected[i],
                  "%s: first difference at byte %zu (got 0x%02x, expected 0x%02x)\n"
                  "--- expected ---\n%s\n--- got ---\n%s\n---",
                  what, i, (unsigned char)actual[i], (unsigned char)expected[i], expected, actual);
}

static void check_printed(const char *what, PrintKind kind, Tensor *t, int n,
                          const char *expected) {
    char *text = printed(kind, t, n);
    assert_same_text(what, text, expected);
    free(text);
}

/* How many lines the text record `record` of the fixture has, read with plain stdio: the
 * suite is built outside any test, where Check's assertions (and so fixtures_load) cannot
 * run. Returns 1 when the file or record is missing, so that the loop test runs once and
 * fails with the fixture loader's message. */
static int count_record_lines(const char *record) {
    const char *dir = getenv("FIXTURE_DIR");
    char path[1024], header[256];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : ".", FIXTURE);
    FILE *f = fopen(path, "rb");
    if (f == NULL) return 1;
    int count = 1;
    while (fgets(header, sizeof header, f)) {
        char kind[16], name[MAX_NAME];
        size_t nbytes;
        if (sscanf(header, "%15s %99s %zu", kind, name, &nbytes) != 3) continue;
        if (strcmp(kind, "text") != 0 || strcmp(name, record) != 0) continue;
        count = 0;
        for (size_t i = 0; i < nbytes; i++)
            if (fgetc(f) == '\n') count++;
        break;
    }
    fclose(f);
    return count > 0 ? count : 1;
}

static int count_cases(void) { return count_record_lines("cases"); }
static int count_r_cases(void) { return count_record_lines("r_cases"); }

/* ---- libtorch's operator<< text, one loop iteration per fixture case -------------------- */

START_TEST(test_libtorch_case) {
    Fixtures *fx = fixtures_load(FIXTURE);
    NameList *cases = malloc(sizeof *cases);
    read_lines(fx, "cases", cases);
    ck_assert_int_lt(_i, cases->count);
    const char *name = cases->names[_i];
    char key[MAX_NAME + 8];
    snprintf(key, sizeof key, "%s.txt", name);
    check_printed(name, AS_LIBTORCH, fixture_tensor(fx, name), 0, fixture_text(fx, key));
    free(cases);
    fixtures_free(fx);
}
END_TEST

/* The fixture covers every rule of the spec (names listed so a regenerated file that lost
 * one fails here rather than silently testing less). */
START_TEST(test_fixture_covers_the_rules) {
    Fixtures *fx = fixtures_load(FIXTURE);
    const char *required[] = {
        "int_1d",
        "int_9_digits",
        "int_10_digits",
        "int_negative_quirk",
        "float_emax0",
        "float_emax5",
        "float_negative_quirk",
        "sci_wide_range",
        "sci_tiny",
        "scale_up_1e5",
        "scale_up_1e10",
        "scale_down_001",
        "scale_down_1e-5",
        "scale_negative_first",
        "wrap_3x12",
        "wrap_scale_2x15",
        "wrap_sci_2x8",
        "row_1x32",
        "nd_3d_randn",
        "nd_4d_arange",
        "nd_carry_float_then_int",
        "nd_carry_4d",
        "nd_wrap_2x2x12",
        "nan_float",
        "nan_negative",
        "inf_int",
        "neg_inf_first",
        "neg_zero_int",
        "neg_zero_float",
        "all_nan",
        "scalar_pi",
        "scalar_long",
        "scalar_bool",
        "one_element",
        "empty_1d",
        "empty_2x0",
        "empty_3d",
        "long_big",
        "long_max",
        "bool_2d",
        "randn_100x3",
    };
    for (size_t i = 0; i < sizeof required / sizeof *required; i++) {
        char key[MAX_NAME + 8];
        snprintf(key, sizeof key, "%s.txt", required[i]);
        ck_assert_msg(fixture_has(fx, required[i]) && fixture_has(fx, key),
                      "fixture case %s is missing", required[i]);
    }
    ck_assert_int_ge(count_cases(), 40);
    fixtures_free(fx);
}
END_TEST

/* A few texts spelled out, so that a reader sees the quirks without opening the fixture. */
START_TEST(test_quirks_spelled_out) {
    Fixtures *fx = fixtures_load(FIXTURE);
    check_printed("float_negative_quirk", AS_LIBTORCH, fixture_tensor(fx, "float_negative_quirk"),
                  0, " 1.0000\n-1000.5000\n[ CPUFloatType{2} ]");
    check_printed("scale_down_2d", AS_LIBTORCH, fixture_tensor(fx, "scale_down_2d"), 0,
                  "0.01 *\n 1.2340  5.6780\n -9.9900  0.1000\n  0.2000  0.3000\n"
                  "[ CPUFloatType{3,2} ]");
    check_printed("nd_carry_float_then_int", AS_LIBTORCH,
                  fixture_tensor(fx, "nd_carry_float_then_int"), 0,
                  "(1,.,.) = \n  0.5000  1.5000\n\n(2,.,.) = \n 1.235e+06        2\n"
                  "[ CPUFloatType{2,1,2} ]");
    check_printed("row_1x32", AS_LIBTORCH, fixture_tensor(fx, "row_1x32"), 0,
                  fixture_text(fx, "row_1x32.txt"));
    char *text = printed(AS_LIBTORCH, fixture_tensor(fx, "row_1x32"), 0);
    ck_assert_msg(strncmp(text, "Columns 1 to 10-0.0766  0.3599", 30) == 0, "got %s", text);
    free(text);
    fixtures_free(fx);
}
END_TEST

/* Tensors made in C (not from the fixture) print as the equal fixture tensors do. */
START_TEST(test_scalar_and_empty_from_c) {
    Fixtures *fx = fixtures_load(FIXTURE);
    check_printed("torch_scalar(2)", AS_LIBTORCH, torch_scalar(2.0f), 0,
                  fixture_text(fx, "scalar_int.txt"));
    check_printed("torch_zeros(2, 0)", AS_LIBTORCH, torch_zeros(SHAPE(2, 0)), 0,
                  fixture_text(fx, "empty_2x0.txt"));
    check_printed("torch_empty_dtype(0, bool)", AS_LIBTORCH,
                  torch_empty_dtype(SHAPE(0), TORCH_BOOL), 0, "[ CPUBoolType{0} ]");
    fixtures_free(fx);
}
END_TEST

/* ---- non-contiguous views print their logical values ------------------------------------ */

/* base (r, c) -> the transposed view (c, r), built by hand: same storage, swapped strides. */
static Tensor *transposed_view(Tensor *base) {
    Shape s = SHAPE(base->shape.size[1], base->shape.size[0]);
    int64_t stride[2] = {base->stride[1], base->stride[0]};
    return tensor_view_of(base, s, stride, base->offset);
}

START_TEST(test_transposed_views) {
    Fixtures *fx = fixtures_load(FIXTURE);
    const char *names[] = {"int_2d",     "scale_down_2d", "wrap_3x12",
                           "randn_3x32", "bool_2d",       "long_small"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        Tensor *view = transposed_view(fixture_tensor(fx, names[i]));
        ck_assert(!torch_is_contiguous(view));
        char key[MAX_NAME + 8];
        snprintf(key, sizeof key, "%s.t.txt", names[i]);
        check_printed(key, AS_LIBTORCH, view, 0, fixture_text(fx, key));
        /* the same text as its contiguous copy */
        char *copy_text = printed(AS_LIBTORCH, tensor_contiguous_raw(view), 0);
        check_printed(key, AS_LIBTORCH, view, 0, copy_text);
        free(copy_text);
    }
    fixtures_free(fx);
}
END_TEST

/* nd_3d_randn (2, 3, 4).transpose(0, 2) -> (4, 3, 2), a non-contiguous 3-d view. */
START_TEST(test_transposed_3d_view) {
    Fixtures *fx = fixtures_load(FIXTURE);
    Tensor *base = fixture_tensor(fx, "nd_3d_randn");
    int64_t stride[3] = {base->stride[2], base->stride[1], base->stride[0]};
    Tensor *view = tensor_view_of(base, SHAPE(4, 3, 2), stride, base->offset);
    check_printed("nd_3d_randn.t02", AS_LIBTORCH, view, 0, fixture_text(fx, "nd_3d_randn.t02.txt"));
    fixtures_free(fx);
}
END_TEST

/* The same views made by the library's own torch_t and torch_transpose. */
START_TEST(test_torch_t_views) {
    Fixtures *fx = fixtures_load(FIXTURE);
    check_printed("torch_t(wrap_3x12)", AS_LIBTORCH, torch_t(fixture_tensor(fx, "wrap_3x12")), 0,
                  fixture_text(fx, "wrap_3x12.t.txt"));
    check_printed("torch_t(scale_down_2d)", AS_LIBTORCH,
                  torch_t(fixture_tensor(fx, "scale_down_2d")), 0,
                  fixture_text(fx, "scale_down_2d.t.txt"));
    check_printed("torch_transpose(nd_3d_randn, 0, 2)", AS_LIBTORCH,
                  torch_transpose(fixture_tensor(fx, "nd_3d_randn"), 0, 2), 0,
                  fixture_text(fx, "nd_3d_randn.t02.txt"));
    fixtures_free(fx);
}
END_TEST

/* ---- R torch's print(x, n), built in the generator from the libtorch text ---------------- */

START_TEST(test_r_print_case) {
    Fixtures *fx = fixtures_load(FIXTURE);
    NameList *cases = malloc(sizeof *cases);
    read_lines(fx, "r_cases", cases);
    ck_assert_int_lt(_i, cases->count);
    char name[MAX_NAME], key[MAX_NAME + 16];
    int n = 0;
    ck_assert(sscanf(cases->names[_i], "%99s %d", name, &n) == 2);
    if (n < 0)
        snprintf(key, sizeof key, "%s.rm%d", name, -n);
    else
        snprintf(key, sizeof key, "%s.r%d", name, n);
    Tensor *t = fixture_tensor(fx, name);
    check_printed(key, AS_R_N, t, n, fixture_text(fx, key));
    if (n == 30) check_printed(key, AS_R_DEFAULT, t, 0, fixture_text(fx, key));
    free(cases);
    fixtures_free(fx);
}
END_TEST

/* R's rule on the two edges: 31 lines show the notice though nothing is cut; 30 do not. */
START_TEST(test_r_truncation_edges) {
    Fixtures *fx = fixtures_load(FIXTURE);
    const char *notice = "... [the output was truncated (use n=-1 to disable)]\n";
    char *text = printed(AS_R_DEFAULT, fixture_tensor(fx, "arange_30"), 0); /* 31 lines */
    /* (not ck_assert_ptr_*: gcc 12 takes the pointer it prints for one into printed()'s text) */
    ck_assert(strstr(text, notice) != NULL);
    ck_assert(strstr(text, " 7.2500\n... [the output") != NULL);
    free(text);
    text = printed(AS_R_DEFAULT, fixture_tensor(fx, "arange_29"), 0); /* 30 lines */
    ck_assert(strstr(text, "truncated") == NULL);
    free(text);
    text = printed(AS_R_N, fixture_tensor(fx, "randn_100x3"), -1);
    ck_assert(strstr(text, "truncated") == NULL);
    free(text);
    fixtures_free(fx);
}
END_TEST

static void print_randn_100x3(void *ctx) { torch_print((Tensor *)ctx); }

START_TEST(test_torch_print_to_stdout) {
    Fixtures *fx = fixtures_load(FIXTURE);
    char *out = ct_capture_stdout(print_randn_100x3, fixture_tensor(fx, "randn_100x3"));
    assert_same_text("torch_print(randn_100x3)", out, fixture_text(fx, "randn_100x3.r30"));
    free(out);
    fixtures_free(fx);
}
END_TEST

/* The autograd suffix goes on the type line, before R's final newline. */
static void fake_suffix(FILE *f, const Tensor *t) {
    (void)t;
    fputs(" [ grad_fn = <MmBackward0> ]", f);
}

START_TEST(test_autograd_suffix) {
    static const TorchAutogradHooks hooks = {.print_suffix = fake_suffix};
    const TorchAutogradHooks *saved = torch_autograd_hooks;
    torch_install_autograd_hooks(&hooks);
    char *text = printed(AS_R_DEFAULT, torch_scalar(2.0f), 0);
    torch_install_autograd_hooks(saved);
    assert_same_text("suffix", text,
                     "torch_tensor\n2\n[ CPUFloatType{} ] [ grad_fn = <MmBackward0> ]\n");
    free(text);
    /* hooks without print_suffix: no suffix */
    static const TorchAutogradHooks no_suffix = {.record = NULL};
    torch_install_autograd_hooks(&no_suffix);
    text = printed(AS_R_DEFAULT, torch_scalar(2.0f), 0);
    torch_install_autograd_hooks(saved);
    assert_same_text("no suffix", text, "torch_tensor\n2\n[ CPUFloatType{} ]\n");
    free(text);
}
END_TEST

/* ---- errors ----------------------------------------------------------------------------- */

START_TEST(test_errors_null_tensor) {
    CT_EXPECT_ERROR("torch_fprint: expected a Tensor but got NULL", torch_fprint(stdout, NULL));
    CT_EXPECT_ERROR("torch_fprint_n: expected a Tensor but got NULL",
                    torch_fprint_n(stdout, NULL, 30));
    CT_EXPECT_ERROR("torch_fprint_libtorch: expected a Tensor but got NULL",
                    torch_fprint_libtorch(stdout, NULL));
    CT_EXPECT_ERROR("torch_print: expected a Tensor but got NULL", torch_print(NULL));
}
END_TEST

START_TEST(test_errors_null_file) {
    Tensor *t = torch_ones(SHAPE(2));
    CT_EXPECT_ERROR("torch_fprint: expected a FILE* but got NULL", torch_fprint(NULL, t));
    CT_EXPECT_ERROR("torch_fprint_n: expected a FILE* but got NULL", torch_fprint_n(NULL, t, 5));
    CT_EXPECT_ERROR("torch_fprint_libtorch: expected a FILE* but got NULL",
                    torch_fprint_libtorch(NULL, t));
}
END_TEST

START_TEST(test_errors_released_tensor) {
    Tensor *t = torch_ones(SHAPE(2, 2));
    torch_free(t);
    const char *released = "a tensor was used after it was released (its scope ended or it was "
                           "freed); keep it with torch_keep() to use it longer";
    char expected[256];
    snprintf(expected, sizeof expected, "torch_fprint: %s", released);
    CT_EXPECT_ERROR(expected, torch_fprint(stdout, t));
    snprintf(expected, sizeof expected, "torch_print: %s", released);
    CT_EXPECT_ERROR(expected, torch_print(t));
}
END_TEST

/* A failed call writes nothing. */
START_TEST(test_error_writes_nothing) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CT_EXPECT_ERROR("torch_fprint: expected a Tensor but got NULL", torch_fprint(f, NULL));
    fclose(f);
    ck_assert_uint_eq(len, 0);
    free(text);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("print");
    TCase *tc = ct_tcase("libtorch");
    tcase_add_loop_test(tc, test_libtorch_case, 0, count_cases());
    tcase_add_test(tc, test_fixture_covers_the_rules);
    tcase_add_test(tc, test_quirks_spelled_out);
    tcase_add_test(tc, test_scalar_and_empty_from_c);
    suite_add_tcase(s, tc);

    tc = ct_tcase("views");
    tcase_add_test(tc, test_transposed_views);
    tcase_add_test(tc, test_transposed_3d_view);
    tcase_add_test(tc, test_torch_t_views);
    suite_add_tcase(s, tc);

    tc = ct_tcase("r_print");
    tcase_add_loop_test(tc, test_r_print_case, 0, count_r_cases());
    tcase_add_test(tc, test_r_truncation_edges);
    tcase_add_test(tc, test_torch_print_to_stdout);
    tcase_add_test(tc, test_autograd_suffix);
    suite_add_tcase(s, tc);

    tc = ct_tcase("errors");
    tcase_add_test(tc, test_errors_null_tensor);
    tcase_add_test(tc, test_errors_null_file);
    tcase_add_test(tc, test_errors_released_tensor);
    tcase_add_test(tc, test_error_writes_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

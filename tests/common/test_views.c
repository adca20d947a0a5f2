/*
 * test_views.c: common/views.c against torch 1.13.
 *
 * The golden values come from tools/gen_views_fixtures.py (tests/fixtures/views.txt). For each
 * case of each op the fixture holds the input (a base tensor, or a view of one with particular
 * strides), the arguments, and torch's result: its values, its strides, its storage offset,
 * and whether it shares the input's storage. The suite runs the same op in ctorch and checks
 * all four, so a view here is the same view torch makes, not just the same numbers.
 * Then: writes through views land in the base, copy_ broadcasts and converts like torch (and
 * so do to_dtype, as_array, item and fill_, at the edges of the conversions too), every
 * error message is libtorch's word for word, and each op describes itself to autograd.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ct_test.h"
#include "internal.h"

static Fixtures *fixtures(void) {
    static Fixtures *fx;
    if (!fx) fx = fixtures_load("views.txt");
    return fx;
}

/* ---- helpers ----------------------------------------------------------------------------- */

/* The fixture tensor "<prefix>.<i>.<field>", e.g. "view.3.out". */
static Tensor *case_tensor(const char *prefix, int i, const char *field) {
    char name[128];
    snprintf(name, sizeof name, "%s.%d.%s", prefix, i, field);
    return fixture_tensor(fixtures(), name);
}

static double fx_scalar(const char *fmt, const char *op, int i) {
    char name[128];
    snprintf(name, sizeof name, fmt, op, i);
    return fixture_scalar(fixtures(), name);
}

/* "op: <libtorch's message from the fixture>", the full text ctorch must raise. */
static const char *torch_message(const char *op, const char *fixture_name) {
    static char buf[512];
    char name[128];
    snprintf(name, sizeof name, "err.%s", fixture_name);
    snprintf(buf, sizeof buf, "%s: %s", op, fixture_text(fixtures(), name));
    return buf;
}

static Tensor *base(const char *name) {
    char full[64];
    snprintf(full, sizeof full, "base.%s", name);
    return fixture_tensor(fixtures(), full);
}

/* The inputs of the generator's INPUTS table: bases, or views of them built with ctorch. */
static Tensor *prepare(const char *name) {
    if (strcmp(name, "x46t") == 0) return torch_t(base("x46"));
    if (strcmp(name, "x46c") == 0) return torch_slice(base("x46"), 1, 1, 5, 1);
    if (strcmp(name, "x416c") == 0) return torch_slice(base("x416"), 2, 1, 4, 1);
    if (strcmp(name, "x46s") == 0)
        return torch_slice(torch_slice(base("x46"), 0, 0, INT64_MAX, 2), 1, 0, INT64_MAX, 3);
    if (strcmp(name, "x46r") == 0) return torch_slice(base("x46"), 0, 0, INT64_MAX, 2);
    if (strcmp(name, "x31e") == 0) return torch_expand(base("x31"), SHAPE(3, 4));
    if (strcmp(name, "x1e") == 0) return torch_expand(base("x1"), SHAPE(6));
    return base(name);
}

/* Strides of t equal the i64 fixture `name`. */
static void assert_strides(const Tensor *t, const char *name, const char *what) {
    Tensor *e = fixture_tensor(fixtures(), name);
    ck_assert_msg(torch_numel(e) == t->shape.ndim, "%s: %d strides, expected %" PRId64, what,
                  t->shape.ndim, torch_numel(e));
    for (int d = 0; d < t->shape.ndim; d++)
        ck_assert_msg(t->stride[d] == tensor_i64(e)[d],
                      "%s: stride[%d] is %" PRId64 ", torch has %" PRId64, what, d, t->stride[d],
                      tensor_i64(e)[d]);
}

static Shape shape_of(const int64_t *a, int n) {
    Shape s = {n, {0}};
    for (int i = 0; i < n; i++) s.size[i] = a[i];
    return s;
}

/* One op applied to a prepared input with the case's arguments. */
typedef Tensor *(*ApplyFn)(Tensor *in, const int64_t *a, int n);

/*
 * Runs every case "<op>.<i>" of the fixture: checks the prepared input's strides, applies the
 * op, and compares values (bit for bit), strides, storage offset, storage sharing, and (for
 * contiguous) whether the very input came back. Returns the number of cases run.
 */
static int run_cases(const char *op, ApplyFn apply) {
    Fixtures *fx = fixtures();
    int i = 0;
    for (;; i++) {
        char name[128], what[160];
        snprintf(name, sizeof name, "%s.%d.input", op, i);
        if (!fixture_has(fx, name)) break;
        const char *input = fixture_text(fx, name);
        snprintf(what, sizeof what, "%s case %d (input %s)", op, i, input);

        Tensor *in = prepare(input);
        snprintf(name, sizeof name, "input.%s.stride", input);
        assert_strides(in, name, what);

        Tensor *args = case_tensor(op, i, "args");
        Tensor *out = apply(in, tensor_i64(args), (int)torch_numel(args));

        Tensor *expected = case_tensor(op, i, "out");
        ct_assert_bits_eq(out, expected, what, __FILE__, __LINE__);
        snprintf(name, sizeof name, "%s.%d.stride", op, i);
        assert_strides(out, name, what);
        bool shares = fx_scalar("%s.%d.shares", op, i) != 0;
        ck_assert_msg((out->storage == in->storage) == shares, "%s: shares storage: %d, torch: %d",
                      what, out->storage == in->storage, shares);
        if (shares) /* the offset is only comparable within the same storage */
            ck_assert_msg(out->offset == (int64_t)fx_scalar("%s.%d.offset", op, i),
                          "%s: offset %" PRId64 ", torch has %.0f", what, out->offset,
                          fx_scalar("%s.%d.offset", op, i));
        bool same = fx_scalar("%s.%d.same", op, i) != 0;
        ck_assert_msg((out == in) == same, "%s: returned its input: %d, torch: %d", what,
                      out == in, same);
    }
    ck_assert_msg(i > 0, "no %s cases in the fixture", op);
    return i;
}

static Tensor *apply_select(Tensor *in, const int64_t *a, int n) {
    ck_assert_int_eq(n, 2);
    return torch_select(in, (int)a[0], a[1]);
}
static Tensor *apply_narrow(Tensor *in, const int64_t *a, int n) {
    ck_assert_int_eq(n, 3);
    return torch_narrow(in, (int)a[0], a[1], a[2]);
}
static Tensor *apply_slice(Tensor *in, const int64_t *a, int n) {
    ck_assert_int_eq(n, 4);
    return torch_slice(in, (int)a[0], a[1], a[2], a[3]);
}
static Tensor *apply_view(Tensor *in, const int64_t *a, int n) {
    return torch_view(in, shape_of(a, n));
}
static Tensor *apply_reshape(Tensor *in, const int64_t *a, int n) {
    return torch_reshape(in, shape_of(a, n));
}
static Tensor *apply_expand(Tensor *in, const int64_t *a, int n) {
    return torch_expand(in, shape_of(a, n));
}
static Tensor *apply_squeeze(Tensor *in, const int64_t *a, int n) {
    (void)a;
    ck_assert_int_eq(n, 0);
    return torch_squeeze(in);
}
static Tensor *apply_squeeze_dim(Tensor *in, const int64_t *a, int n) {
    ck_assert_int_eq(n, 1);
    return torch_squeeze_dim(in, (int)a[0]);
}
static Tensor *apply_unsqueeze(Tensor *in, const int64_t *a, int n) {
    ck_assert_int_eq(n, 1);
    return torch_unsqueeze(in, (int)a[0]);
}
static Tensor *apply_transpose(Tensor *in, const int64_t *a, int n) {
    ck_assert_int_eq(n, 2);
    return torch_transpose(in, (int)a[0], (int)a[1]);
}
static Tensor *apply_t(Tensor *in, const int64_t *a, int n) {
    (void)a;
    ck_assert_int_eq(n, 0);
    return torch_t(in);
}
static Tensor *apply_contiguous(Tensor *in, const int64_t *a, int n) {
    (void)a;
    ck_assert_int_eq(n, 0);
    return torch_contiguous(in);
}
static Tensor *apply_clone(Tensor *in, const int64_t *a, int n) {
    (void)a;
    ck_assert_int_eq(n, 0);
    return torch_clone(in);
}

/* ---- the ops against torch, case by case ------------------------------------------------- */

START_TEST(test_select) { run_cases("select", apply_select); }
END_TEST
START_TEST(test_narrow) { run_cases("narrow", apply_narrow); }
END_TEST
START_TEST(test_slice) { run_cases("slice", apply_slice); }
END_TEST
START_TEST(test_view) { run_cases("view", apply_view); }
END_TEST
START_TEST(test_reshape) { run_cases("reshape", apply_reshape); }
END_TEST
START_TEST(test_squeeze) { run_cases("squeeze", apply_squeeze); }
END_TEST
START_TEST(test_squeeze_dim) { run_cases("squeeze_dim", apply_squeeze_dim); }
END_TEST
START_TEST(test_unsqueeze) { run_cases("unsqueeze", apply_unsqueeze); }
END_TEST
START_TEST(test_transpose) { run_cases("transpose", apply_transpose); }
END_TEST
START_TEST(test_t) { run_cases("t", apply_t); }
END_TEST
START_TEST(test_expand) { run_cases("expand", apply_expand); }
END_TEST
START_TEST(test_contiguous) { run_cases("contiguous", apply_contiguous); }
END_TEST
START_TEST(test_clone) { run_cases("clone", apply_clone); }
END_TEST

/* R's column and row keeping, spelled out: x[, 1, drop = FALSE] and x[1, , drop = FALSE]
 * are (3, 1) and (1, 4) views; x[, 1] drops the dim. */
START_TEST(test_r_style_keep) {
    Tensor *x = base("x34");
    Tensor *col = torch_narrow(x, 1, 0, 1);
    Tensor *row = torch_slice(x, 0, 0, 1, 1);
    Tensor *dropped = torch_select(x, 1, 0);
    ck_assert(shape_equal(col->shape, SHAPE(3, 1)));
    ck_assert(shape_equal(row->shape, SHAPE(1, 4)));
    ck_assert(shape_equal(dropped->shape, SHAPE(3)));
    for (int i = 0; i < 3; i++) {
        float v = tensor_f32(x)[i * 4];
        ck_assert(tensor_f32(col)[i * col->stride[0]] == v);
        ck_assert(tensor_f32(dropped)[i * dropped->stride[0]] == v);
    }
    CT_ASSERT_BITS_EQ(torch_reshape(col, SHAPE(3)), dropped);
    CT_ASSERT_BITS_EQ(torch_squeeze_dim(row, 0), torch_select(x, 0, 0));
}
END_TEST

/* ---- writes through views ------------------------------------------------------------------ */

/* The views of the generator's `writes` list, in the same order. */
static Tensor *write_view(int i, Tensor *b) {
    switch (i) {
    case 0: return torch_narrow(b, 1, 1, 2);
    case 1: return torch_select(b, 0, -1);
    case 2: return torch_select(b, 1, 0);
    case 3: return torch_t(b);
    case 4: return torch_slice(b, 1, 0, 6, 2);
    case 5: return torch_view(b, SHAPE(2, 12));
    case 6: return torch_narrow(torch_select(b, 2, 1), 0, 1, 1);
    }
    ck_abort_msg("no write case %d", i);
    return NULL;
}

START_TEST(test_write_through_views) {
    Fixtures *fx = fixtures();
    int i = 0;
    for (;; i++) {
        char name[64];
        snprintf(name, sizeof name, "write.%d.base", i);
        if (!fixture_has(fx, name)) break;
        Tensor *b = base(fixture_text(fx, name)); /* a fresh tensor: safe to write */
        Tensor *v = write_view(i, b);
        ck_assert(v->storage == b->storage);
        Tensor *src = case_tensor("write", i, "src");
        ck_assert_ptr_eq(torch_copy_(v, src), v);
        char what[64];
        snprintf(what, sizeof what, "base after write case %d", i);
        ct_assert_bits_eq(b, case_tensor("write", i, "expected"), what, __FILE__, __LINE__);
    }
    ck_assert_int_eq(i, 7);
}
END_TEST

/* A view and its base see each other's writes, both ways. */
START_TEST(test_views_share_storage) {
    Tensor *x = base("x34");
    Tensor *v = torch_view(torch_t(x), SHAPE(2, 2, 3)); /* (4, 3) transposed, split */
    tensor_f32(v)[1 * v->stride[0] + 0 * v->stride[1] + 2 * v->stride[2]] = 42.0f;
    ck_assert(tensor_f32(x)[2 * 4 + 2] == 42.0f); /* v[1, 0, 2] is t(x)[2, 2] = x[2, 2] */
    tensor_f32(x)[0 * 4 + 3] = -7.0f;
    Tensor *e = torch_select(torch_expand(x, SHAPE(5, 3, 4)), 0, 4); /* x, seen through expand */
    ck_assert(torch_item(torch_select(torch_select(e, 0, 0), 0, 3)) == -7.0f);
}
END_TEST

/* The accessors chapter 1 shows: R's x$stride(), x$storage_offset(), x$storage()$data_ptr(). */
START_TEST(test_stride_accessors) {
    Tensor *x = torch_zeros(SHAPE(3, 4));
    ck_assert_int_eq(torch_stride(x, 0), 4);
    ck_assert_int_eq(torch_stride(x, -1), 1);
    Tensor *t = torch_t(x), *row = torch_select(x, 0, 2), *v = torch_view(x, SHAPE(2, 6));
    ck_assert_int_eq(torch_stride(t, 0), 1);
    ck_assert_int_eq(torch_stride(t, 1), 4);
    ck_assert_int_eq(torch_storage_offset(row), 8);
    ck_assert_int_eq(torch_stride(v, 0), 6);
    ck_assert_ptr_eq(torch_data_ptr(row), torch_data_ptr(x));
    ck_assert_ptr_eq(torch_data_ptr(v), torch_data_ptr(t));
    ck_assert_ptr_ne(torch_data_ptr(torch_clone(x)), torch_data_ptr(x));
    CT_EXPECT_ERROR("torch_stride: Dimension out of range (expected to be in range of "
                    "[-2, 1], but got 2)", torch_stride(x, 2));
}
END_TEST

/* ---- copy_ ---------------------------------------------------------------------------------- */

START_TEST(test_copy_broadcast_and_convert) {
    Fixtures *fx = fixtures();
    int i = 0;
    for (;; i++) {
        char name[64], what[64];
        snprintf(name, sizeof name, "copy.%d.src", i);
        if (!fixture_has(fx, name)) break;
        Tensor *expected = case_tensor("copy", i, "expected");
        Tensor *dst = torch_empty_dtype(expected->shape, expected->dtype);
        Tensor *src = fixture_tensor(fx, name);
        uint32_t version = dst->storage->version;
        ck_assert_ptr_eq(torch_copy_(dst, src), dst);
        ck_assert_uint_eq(dst->storage->version, version + 1);
        snprintf(what, sizeof what, "copy case %d", i);
        ct_assert_bits_eq(dst, expected, what, __FILE__, __LINE__);
    }
    ck_assert_int_eq(i, 10);
}
END_TEST

/* Overlaps libtorch accepts: x onto itself (nothing changes), and non-dense views of one
 * storage, which ctorch reads from a snapshot of src so the copy order never matters. */
START_TEST(test_copy_overlaps_allowed) {
    float v[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    Tensor *y = torch_tensor(SHAPE(3, 3), v);
    ck_assert_ptr_eq(torch_copy_(y, y), y);
    Tensor *flat1 = torch_view(y, SHAPE(9)), *flat2 = torch_reshape(y, SHAPE(9));
    ck_assert_ptr_eq(torch_copy_(flat1, flat2), flat1); /* same data, two views: a no-op */
    CT_ASSERT_BITS_EQ(y, torch_tensor(SHAPE(3, 3), v));
    /* y[, 1:2] <- y[, 2:3]: the columns overlap; both are non-dense */
    torch_copy_(torch_slice(y, 1, 0, 2, 1), torch_slice(y, 1, 1, 3, 1));
    float expected[9] = {1, 2, 2, 4, 5, 5, 7, 8, 8};
    CT_ASSERT_BITS_EQ(y, torch_tensor(SHAPE(3, 3), expected));
}
END_TEST

/* ---- errors: libtorch's messages, and nothing changed --------------------------------------- */

START_TEST(test_errors_select_narrow_slice) {
    Tensor *x = base("x34"), *s = base("s"), *z5 = torch_zeros(SHAPE(5));
    CT_EXPECT_ERROR(torch_message("torch_select", "select_range"), torch_select(x, 0, 5));
    CT_EXPECT_ERROR(torch_message("torch_select", "select_neg"), torch_select(x, 1, -5));
    CT_EXPECT_ERROR(torch_message("torch_select", "select_0d"), torch_select(s, 0, 0));
    CT_EXPECT_ERROR(torch_message("torch_select", "select_dim"), torch_select(x, 2, 0));
    CT_EXPECT_ERROR(torch_message("torch_narrow", "narrow_exceeds"), torch_narrow(z5, 0, 4, 2));
    CT_EXPECT_ERROR(torch_message("torch_narrow", "narrow_negative_length"),
                    torch_narrow(z5, 0, 1, -1));
    CT_EXPECT_ERROR(torch_message("torch_narrow", "narrow_start"), torch_narrow(x, 1, 5, 2));
    CT_EXPECT_ERROR(torch_message("torch_narrow", "narrow_start_neg"), torch_narrow(z5, 0, -6, 1));
    CT_EXPECT_ERROR(torch_message("torch_narrow", "narrow_0d"), torch_narrow(s, 0, 0, 1));
    CT_EXPECT_ERROR(torch_message("torch_slice", "slice_step"), torch_slice(z5, 0, 0, 5, 0));
    CT_EXPECT_ERROR(torch_message("torch_slice", "slice_step_neg"), torch_slice(z5, 0, 0, 5, -1));
    CT_EXPECT_ERROR(torch_message("torch_slice", "slice_0d"), torch_slice(s, 0, 0, 1, 1));
    /* the literal texts, for the reader */
    CT_EXPECT_ERROR("torch_select: select(): index 5 out of range for tensor of size [3, 4] at "
                    "dimension 0",
                    torch_select(x, 0, 5));
    CT_EXPECT_ERROR("torch_narrow: start (4) + length (2) exceeds dimension size (5).",
                    torch_narrow(z5, 0, 4, 2));
    CT_EXPECT_ERROR("torch_slice: slice step must be positive", torch_slice(z5, 0, 0, 5, 0));
}
END_TEST

START_TEST(test_errors_view_reshape) {
    Tensor *x = base("x34");
    CT_EXPECT_ERROR(torch_message("torch_view", "view_invalid"), torch_view(x, SHAPE(4, 4)));
    CT_EXPECT_ERROR("torch_view: shape '[4, 4]' is invalid for input of size 12",
                    torch_view(x, SHAPE(4, 4)));
    CT_EXPECT_ERROR(torch_message("torch_view", "view_two_inferred"), torch_view(x, SHAPE(-1, -1)));
    CT_EXPECT_ERROR(torch_message("torch_view", "view_not_divisible"), torch_view(x, SHAPE(-1, 5)));
    CT_EXPECT_ERROR(torch_message("torch_view", "view_negative"), torch_view(x, SHAPE(-2, 6)));
    CT_EXPECT_ERROR(torch_message("torch_view", "view_strides"), torch_view(torch_t(x), SHAPE(12)));
    CT_EXPECT_ERROR("torch_view: view size is not compatible with input tensor's size and stride "
                    "(at least one dimension spans across two contiguous subspaces). Use "
                    ".reshape(...) instead.",
                    torch_view(torch_t(x), SHAPE(12)));
    CT_EXPECT_ERROR(torch_message("torch_view", "view_zero_ambiguous"),
                    torch_view(torch_zeros(SHAPE(0)), SHAPE(-1, 0)));
    CT_EXPECT_ERROR(torch_message("torch_view", "view_to_scalar"),
                    torch_view(torch_zeros(SHAPE(2)), SHAPE_SCALAR));
    /* reshape checks the shape the same way (only the strides never stop it) */
    CT_EXPECT_ERROR(torch_message("torch_reshape", "view_invalid"), torch_reshape(x, SHAPE(4, 4)));
    CT_EXPECT_ERROR(torch_message("torch_reshape", "view_two_inferred"),
                    torch_reshape(x, SHAPE(-1, -1)));
    CT_EXPECT_ERROR(torch_message("torch_reshape", "view_negative"), torch_reshape(x, SHAPE(-2, 6)));
    /* a shape with too many dims (ctorch's own limit) */
    Shape nine = {9, {0}};
    CT_EXPECT_ERROR("torch_view: a tensor has at most 8 dimensions, got 9", torch_view(x, nine));
}
END_TEST

START_TEST(test_errors_squeeze_transpose_expand) {
    Tensor *x = base("x34"), *s = base("s");
    CT_EXPECT_ERROR(torch_message("torch_squeeze_dim", "squeeze_dim"), torch_squeeze_dim(x, 2));
    CT_EXPECT_ERROR(torch_message("torch_unsqueeze", "unsqueeze_dim"), torch_unsqueeze(x, 3));
    CT_EXPECT_ERROR(torch_message("torch_unsqueeze", "unsqueeze_dim_neg"), torch_unsqueeze(x, -4));
    CT_EXPECT_ERROR(torch_message("torch_unsqueeze", "unsqueeze_0d"), torch_unsqueeze(s, 1));
    CT_EXPECT_ERROR(torch_message("torch_transpose", "transpose_dim"), torch_transpose(x, 0, 2));
    CT_EXPECT_ERROR(torch_message("torch_t", "t_3d"), torch_t(base("x234")));
    CT_EXPECT_ERROR("torch_t: t() expects a tensor with <= 2 dimensions, but self is 3D",
                    torch_t(base("x234")));
    CT_EXPECT_ERROR(torch_message("torch_expand", "expand_mismatch"),
                    torch_expand(torch_zeros(SHAPE(3)), SHAPE(2, 4)));
    CT_EXPECT_ERROR("torch_expand: The expanded size of the tensor (4) must match the existing "
                    "size (3) at non-singleton dimension 1.  Target sizes: [2, 4].  Tensor "
                    "sizes: [3]",
                    torch_expand(torch_zeros(SHAPE(3)), SHAPE(2, 4)));
    CT_EXPECT_ERROR(torch_message("torch_expand", "expand_mismatch_3d"),
                    torch_expand(torch_zeros(SHAPE(2, 3)), SHAPE(2, 3, 4)));
    CT_EXPECT_ERROR(torch_message("torch_expand", "expand_too_few"),
                    torch_expand(torch_zeros(SHAPE(2, 3)), SHAPE(3)));
    CT_EXPECT_ERROR(torch_message("torch_expand", "expand_leading_minus1"),
                    torch_expand(torch_zeros(SHAPE(3)), SHAPE(-1, 3)));
    /* where libtorch only fails later (an overflow), ctorch says why */
    CT_EXPECT_ERROR("torch_expand: Trying to create tensor with negative dimension -2: [2, -2]",
                    torch_expand(torch_zeros(SHAPE(3, 1)), SHAPE(2, -2)));
    CT_EXPECT_ERROR("torch_expand: The expanded size of the tensor (-1) isn't allowed in a "
                    "leading, non-existing dimension 0",
                    torch_expand(s, SHAPE(-1)));
    /* ctorch's dimension limit */
    Tensor *x8 = torch_zeros(SHAPE(1, 1, 1, 1, 1, 1, 1, 1));
    CT_EXPECT_ERROR("torch_unsqueeze: a tensor has at most 8 dimensions, got 9",
                    torch_unsqueeze(x8, 0));
}
END_TEST

START_TEST(test_errors_copy_leave_data_intact) {
    Tensor *y = base("x34"), *before = torch_clone(y);
    uint32_t version = y->storage->version;
    CT_EXPECT_ERROR(torch_message("torch_copy_", "copy_broadcast"),
                    torch_copy_(torch_zeros(SHAPE(2, 3)), torch_zeros(SHAPE(4))));
    CT_EXPECT_ERROR(torch_message("torch_copy_", "copy_output_shape"),
                    torch_copy_(torch_zeros(SHAPE(3)), torch_zeros(SHAPE(2, 3))));
    CT_EXPECT_ERROR(torch_message("torch_copy_", "copy_internal_overlap"),
                    torch_copy_(torch_expand(torch_zeros(SHAPE(1)), SHAPE(3)),
                                torch_zeros(SHAPE(3))));
    Tensor *sq = torch_narrow(y, 1, 0, 3); /* (3, 3) */
    CT_EXPECT_ERROR(torch_message("torch_copy_", "copy_partial_overlap"),
                    torch_copy_(torch_narrow(y, 0, 0, 2), torch_narrow(y, 0, 1, 2)));
    Tensor *z = torch_zeros(SHAPE(3, 3));
    CT_EXPECT_ERROR(torch_message("torch_copy_", "copy_transposed_self"),
                    torch_copy_(z, torch_t(z)));
    CT_EXPECT_ERROR("torch_copy_: The size of tensor a (4) must match the size of tensor b (3) "
                    "at non-singleton dimension 1",
                    torch_copy_(y, torch_t(sq)));
    CT_ASSERT_BITS_EQ(y, before);
    ck_assert_uint_eq(y->storage->version, version);
}
END_TEST

/* Every op checks its tensor argument first. */
START_TEST(test_errors_released_and_null) {
    Tensor *x = torch_zeros(SHAPE(2, 2));
    torch_free(x);
    CT_EXPECT_ERROR("torch_select: a tensor was used after it was released (its scope ended or "
                    "it was freed); keep it with torch_keep() to use it longer",
                    torch_select(x, 0, 0));
    CT_EXPECT_ERROR("torch_view: expected a Tensor but got NULL", torch_view(NULL, SHAPE(1)));
    CT_EXPECT_ERROR("torch_copy_: expected a Tensor but got NULL",
                    torch_copy_(torch_zeros(SHAPE(1)), NULL));
    CT_EXPECT_ERROR("torch_contiguous: expected a Tensor but got NULL", torch_contiguous(NULL));
}
END_TEST

/* ---- conversions at their edges ------------------------------------------------------------- */

/* The sources of views.txt's convert.* cases ("f32", "i64", "bool") and torch's conversions of
 * them: NaN, infinities and values outside int64 become INT64_MIN (x86-64's rule, which C
 * leaves undefined), -0.0 is false, integers beyond 2^24 round to the nearest float. */
static const char *const convert_sources[] = {"f32", "i64", "bool"};
static const Dtype convert_dtypes[] = {TORCH_FLOAT32, TORCH_INT64, TORCH_BOOL};
static const char *const convert_words[] = {"float", "long", "bool"};

static Tensor *converted(const char *source, int to) {
    char name[64];
    snprintf(name, sizeof name, "convert.%s.to_%s", source, convert_words[to]);
    return fixture_tensor(fixtures(), name);
}

/* torch_to_dtype and copy_ convert every source to every dtype as torch does, from a
 * contiguous source, a strided view (every other element) and an expanded one (stride 0). */
START_TEST(test_convert_to_dtype_and_copy) {
    for (int s = 0; s < 3; s++) {
        char name[64];
        snprintf(name, sizeof name, "convert.%s", convert_sources[s]);
        Tensor *src = fixture_tensor(fixtures(), name);
        int64_t n = torch_numel(src);
        Tensor *wide = torch_zeros(SHAPE(n, 2));
        wide = torch_to_dtype(wide, src->dtype);
        Tensor *strided = torch_select(wide, 1, 1); /* stride 2 */
        torch_copy_(strided, src);
        Tensor *expanded = torch_expand(torch_unsqueeze(src, 0), SHAPE(3, n));
        for (int to = 0; to < 3; to++) {
            Tensor *expected = converted(convert_sources[s], to);
            CT_ASSERT_BITS_EQ(torch_to_dtype(src, convert_dtypes[to]), expected);
            CT_ASSERT_BITS_EQ(torch_to_dtype(strided, convert_dtypes[to]), expected);
            Tensor *rows = torch_to_dtype(expanded, convert_dtypes[to]);
            for (int i = 0; i < 3; i++) CT_ASSERT_BITS_EQ(torch_select(rows, 0, i), expected);
            Tensor *dst = torch_empty_dtype(SHAPE(n), convert_dtypes[to]);
            torch_copy_(dst, strided);
            CT_ASSERT_BITS_EQ(dst, expected);
        }
    }
}
END_TEST

/* as_array, item and fill_ convert through the same rules. */
START_TEST(test_convert_as_array_item_fill) {
    for (int s = 0; s < 3; s++) {
        char name[64];
        snprintf(name, sizeof name, "convert.%s", convert_sources[s]);
        Tensor *src = fixture_tensor(fixtures(), name);
        int64_t n = torch_numel(src);
        Tensor *as_float = converted(convert_sources[s], 0);
        Tensor *as_long = converted(convert_sources[s], 1);
        float floats[16];
        int64_t longs[16];
        ck_assert_int_le(n, 16);
        Tensor *reversed = tensor_view_of(src, SHAPE(n), (int64_t[]){-1}, src->offset + n - 1);
        torch_to_array(src, floats);
        torch_to_array_i64(src, longs);
        for (int64_t i = 0; i < n; i++) {
            ck_assert_int_eq(longs[i], tensor_i64(as_long)[i]);
            ck_assert_mem_eq(&floats[i], &tensor_f32(as_float)[i], sizeof(float));
            Tensor *one = torch_select(src, 0, i);
            ck_assert_int_eq(torch_item_i64(one), tensor_i64(as_long)[i]);
            float item = torch_item(one);
            ck_assert_mem_eq(&item, &tensor_f32(as_float)[i], sizeof(float));
        }
        torch_to_array_i64(reversed, longs); /* a negative stride */
        for (int64_t i = 0; i < n; i++) ck_assert_int_eq(longs[i], tensor_i64(as_long)[n - 1 - i]);
        if (src->dtype != TORCH_FLOAT32) continue;
        /* fill_ of an int64 or bool tensor (an expanded one too) converts its float value */
        Tensor *as_bool = converted(convert_sources[s], 2);
        for (int64_t i = 0; i < n; i++) {
            float value = tensor_f32(src)[i];
            Tensor *l = torch_expand(torch_tensor_i64(SHAPE(1), (int64_t[]){7}), SHAPE(4));
            Tensor *b = torch_tensor_bool(SHAPE(2), (bool[]){false, true});
            torch_fill_(l, value);
            torch_fill_(b, value);
            ck_assert_int_eq(tensor_i64(l)[0], tensor_i64(as_long)[i]);
            ck_assert(tensor_bool(b)[0] == tensor_bool(as_bool)[i]);
            ck_assert(tensor_bool(b)[1] == tensor_bool(as_bool)[i]);
        }
    }
}
END_TEST

/* ---- empty tensors ----------------------------------------------------------------------------- */

START_TEST(test_empty_tensors) {
    Tensor *e = torch_zeros(SHAPE(0, 3));
    Tensor *v = torch_view(e, SHAPE(-1));
    ck_assert(shape_equal(v->shape, SHAPE(0)));
    ck_assert(shape_equal(torch_view(e, SHAPE(3, 0))->shape, SHAPE(3, 0)));
    ck_assert(shape_equal(torch_narrow(torch_zeros(SHAPE(0)), 0, 0, 0)->shape, SHAPE(0)));
    ck_assert(shape_equal(torch_slice(torch_zeros(SHAPE(5, 6)), 1, 7, 9, 1)->shape, SHAPE(5, 0)));
    ck_assert(shape_equal(torch_slice(torch_zeros(SHAPE(5)), 0, 1, 5, INT64_MAX)->shape,
                          SHAPE(1)));
    ck_assert(shape_equal(torch_expand(torch_zeros(SHAPE(1, 3)), SHAPE(0, 3))->shape,
                          SHAPE(0, 3)));
    ck_assert(shape_equal(torch_clone(torch_t(e))->shape, SHAPE(3, 0)));
    torch_copy_(torch_zeros(SHAPE(0, 3)), torch_zeros(SHAPE(3)));
    CT_EXPECT_ERROR("torch_select: select(): index 0 out of range for tensor of size [0] at "
                    "dimension 0",
                    torch_select(torch_zeros(SHAPE(0)), 0, 0));
}
END_TEST

/* ---- what the ops tell autograd ------------------------------------------------------------ */

static TorchOp recorded[8];
static int n_recorded;
static void record_hook(const TorchOp *op) {
    if (n_recorded < 8) recorded[n_recorded] = *op;
    n_recorded++;
}
static const TorchAutogradHooks hooks = {.record = record_hook};

/* The one op recorded since the last call. */
static TorchOp last_op(void) {
    ck_assert_int_eq(n_recorded, 1);
    n_recorded = 0;
    return recorded[0];
}

START_TEST(test_records_for_autograd) {
    Tensor *x = base("x234");
    torch_install_autograd_hooks(&hooks);
    n_recorded = 0;

    Tensor *o = torch_select(x, -1, -2);
    TorchOp op = last_op();
    ck_assert(op.kind == TORCH_OP_SELECT && op.out == o && op.n_in == 1 && op.in[0] == x);
    ck_assert(op.dim == 2 && op.start == 2);

    o = torch_slice(x, 2, -3, 100, 2);
    op = last_op();
    ck_assert(op.kind == TORCH_OP_SLICE && op.out == o && op.in[0] == x);
    ck_assert(op.dim == 2 && op.start == 1 && op.length == 2 && op.step == 2);

    o = torch_narrow(x, 1, -2, 2);
    op = last_op();
    ck_assert(op.kind == TORCH_OP_SLICE && op.dim == 1 && op.start == 1 && op.length == 2 &&
              op.step == 1);

    o = torch_transpose(x, -1, 0);
    op = last_op();
    ck_assert(op.kind == TORCH_OP_TRANSPOSE && op.dim == 2 && op.dim2 == 0 && op.in[0] == x);

    Tensor *m = base("x34");
    n_recorded = 0;
    o = torch_t(m);
    op = last_op();
    ck_assert(op.kind == TORCH_OP_T && op.out == o && op.in[0] == m);

    o = torch_expand(m, SHAPE(2, 3, 4));
    ck_assert(last_op().kind == TORCH_OP_EXPAND);

    TorchOpKind view_kinds[4];
    torch_view(m, SHAPE(12));
    view_kinds[0] = last_op().kind;
    torch_squeeze(x);
    view_kinds[1] = last_op().kind;
    torch_squeeze_dim(x, 0);
    view_kinds[2] = last_op().kind;
    torch_unsqueeze(x, 0);
    view_kinds[3] = last_op().kind;
    ck_assert(view_kinds[0] == TORCH_OP_VIEW);
    ck_assert(view_kinds[1] == TORCH_OP_SQUEEZE);
    ck_assert(view_kinds[2] == TORCH_OP_SQUEEZE_DIM);
    ck_assert(view_kinds[3] == TORCH_OP_UNSQUEEZE);

    /* reshape: a view when possible, else a clone that is then viewed */
    torch_reshape(m, SHAPE(2, 6));
    ck_assert(last_op().kind == TORCH_OP_RESHAPE);
    Tensor *mt = torch_t(m);
    n_recorded = 0;
    o = torch_reshape(mt, SHAPE(12));
    ck_assert_int_eq(n_recorded, 2);
    ck_assert(recorded[0].kind == TORCH_OP_CLONE && recorded[0].in[0] == mt);
    ck_assert(recorded[1].kind == TORCH_OP_UNSAFE_VIEW && recorded[1].in[0] == recorded[0].out &&
              recorded[1].out == o);
    n_recorded = 0;

    /* contiguous: nothing to record when t is returned itself */
    ck_assert_ptr_eq(torch_contiguous(m), m);
    ck_assert_int_eq(n_recorded, 0);
    o = torch_contiguous(mt);
    op = last_op();
    ck_assert(op.kind == TORCH_OP_CLONE && op.out == o && op.in[0] == mt);
    o = torch_clone(m);
    ck_assert(last_op().kind == TORCH_OP_CLONE);

    torch_install_autograd_hooks(NULL);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("views");
    TCase *tc = ct_tcase("against_torch");
    tcase_add_test(tc, test_select);
    tcase_add_test(tc, test_narrow);
    tcase_add_test(tc, test_slice);
    tcase_add_test(tc, test_view);
    tcase_add_test(tc, test_reshape);
    tcase_add_test(tc, test_squeeze);
    tcase_add_test(tc, test_squeeze_dim);
    tcase_add_test(tc, test_unsqueeze);
    tcase_add_test(tc, test_transpose);
    tcase_add_test(tc, test_t);
    tcase_add_test(tc, test_expand);
    tcase_add_test(tc, test_contiguous);
    tcase_add_test(tc, test_clone);
    tcase_add_test(tc, test_r_style_keep);
    suite_add_tcase(s, tc);

    tc = ct_tcase("writes");
    tcase_add_test(tc, test_write_through_views);
    tcase_add_test(tc, test_views_share_storage);
    tcase_add_test(tc, test_stride_accessors);
    tcase_add_test(tc, test_copy_broadcast_and_convert);
    tcase_add_test(tc, test_copy_overlaps_allowed);
    suite_add_tcase(s, tc);

    tc = ct_tcase("errors");
    tcase_add_test(tc, test_errors_select_narrow_slice);
    tcase_add_test(tc, test_errors_view_reshape);
    tcase_add_test(tc, test_errors_squeeze_transpose_expand);
    tcase_add_test(tc, test_errors_copy_leave_data_intact);
    tcase_add_test(tc, test_errors_released_and_null);
    suite_add_tcase(s, tc);

    tc = ct_tcase("conversions");
    tcase_add_test(tc, test_convert_to_dtype_and_copy);
    tcase_add_test(tc, test_convert_as_array_item_fill);
    suite_add_tcase(s, tc);

    tc = ct_tcase("edges");
    tcase_add_test(tc, test_empty_tensors);
    tcase_add_test(tc, test_records_for_autograd);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

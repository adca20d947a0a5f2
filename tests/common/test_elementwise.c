/*
 * test_elementwise.c: common/elementwise.c against PyTorch 1.13.
 *
 * Most cases are data: tests/fixtures/elementwise.txt (tools/gen_elementwise_fixtures.py)
 * holds inputs, expected outputs and a list of cases, one a line:
 *     <exact|close> <op> <expected> <args...>
 * and each test below runs the cases of a few ops. "exact" compares bits; "close" (exp, log,
 * pow with a general exponent, where libtorch calls SLEEF and we call libm) allows 3e-7
 * relative (2 ULPs). An argument "name@T" is the transpose of a stored matrix and "name@s2" takes
 * every other element of its last dim, both views built here with tensor_view_of, so every
 * kernel is also run on strided operands.
 * The hand-written tests check what fixtures cannot: storage sharing, in-place ops through
 * views, stride independence, each position's formula on every broadcast and stride pattern,
 * the strided walk itself, what is recorded for autograd, and every error message. In a fast
 * build (backend.h) the two kernels, elementwise_reference and fast_elementwise, are also
 * compared bit for bit on the same inputs, at every instruction set and at 1, 2 and 3 threads.
 */
#include "backend.h"
#include "ct_test.h"
#include "elementwise_ops.h"
#include "internal.h"
#include "walk.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FIXTURE "elementwise.txt"

/* ---- views built without common/views.c -------------------------------------------------- */

/* The 2-d transpose of t: a view with the strides swapped. */
static Tensor *transposed(Tensor *t) {
    int64_t stride[2] = {t->stride[1], t->stride[0]};
    return tensor_view_of(t, SHAPE(t->shape.size[1], t->shape.size[0]), stride, t->offset);
}

/* Every other element of t's last dim (t[..., ::2]): a view with the last stride doubled. */
static Tensor *every_other(Tensor *t) {
    Shape s = t->shape;
    int64_t stride[TORCH_MAX_DIMS];
    memcpy(stride, t->stride, sizeof stride);
    s.size[s.ndim - 1] = (s.size[s.ndim - 1] + 1) / 2;
    stride[s.ndim - 1] *= 2;
    return tensor_view_of(t, s, stride, t->offset);
}

/* The fixture tensor named by ref ("a34", "m43@T", "w38@s2"); *base receives the stored
 * tensor the view was made of (or ref's tensor itself). */
static Tensor *input(Fixtures *fx, const char *ref, Tensor **base) {
    char name[128];
    const char *at = strchr(ref, '@');
    size_t len = at ? (size_t)(at - ref) : strlen(ref);
    ck_assert_uint_lt(len, sizeof name);
    memcpy(name, ref, len);
    name[len] = '\0';
    Tensor *t = fixture_tensor(fx, name);
    if (base) *base = t;
    if (!at) return t;
    if (strcmp(at, "@T") == 0) return transposed(t);
    ck_assert_str_eq(at, "@s2");
    return every_other(t);
}

/* ---- the fixture cases --------------------------------------------------------------------- */

typedef struct Case {
    char text[256]; /* the whole line, for messages */
    char check[8], op[32], out[64];
    char arg[4][64];
    int n_args;
} Case;

static bool parse_case(const char *line, Case *c) {
    memset(c, 0, sizeof *c);
    snprintf(c->text, sizeof c->text, "%s", line);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", line);
    char *save = NULL, *w = strtok_r(buf, " ", &save);
    if (!w) return false;
    snprintf(c->check, sizeof c->check, "%s", w);
    snprintf(c->op, sizeof c->op, "%s", strtok_r(NULL, " ", &save));
    snprintf(c->out, sizeof c->out, "%s", strtok_r(NULL, " ", &save));
    while ((w = strtok_r(NULL, " ", &save)) && c->n_args < 4)
        snprintf(c->arg[c->n_args++], sizeof c->arg[0], "%s", w);
    return true;
}

static float scalar_arg(const Case *c, int i) { return (float)strtod(c->arg[i], NULL); }

static Tensor *to_float(Tensor *t) { return torch_to_dtype(t, TORCH_FLOAT32); }
static Tensor *to_long(Tensor *t) { return torch_to_dtype(t, TORCH_INT64); }
static Tensor *to_bool(Tensor *t) { return torch_to_dtype(t, TORCH_BOOL); }

typedef Tensor *(*TensorTensorFn)(Tensor *, Tensor *);
typedef Tensor *(*TensorScalarFn)(Tensor *, float);
typedef Tensor *(*TensorFn)(Tensor *);

static const struct { const char *name; TensorTensorFn fn; } TENSOR_TENSOR[] = {
    {"add", torch_add}, {"sub", torch_sub}, {"mul", torch_mul}, {"div", torch_div},
    {"lt", torch_lt}, {"le", torch_le}, {"gt", torch_gt}, {"ge", torch_ge},
    {"eq", torch_eq}, {"ne", torch_ne},
    {"add_", torch_add_}, {"sub_", torch_sub_}, {"mul_", torch_mul_},
};
static const struct { const char *name; TensorScalarFn fn; } TENSOR_SCALAR[] = {
    {"add_scalar", torch_add_scalar}, {"sub_scalar", torch_sub_scalar},
    {"mul_scalar", torch_mul_scalar}, {"div_scalar", torch_div_scalar},
    {"pow", torch_pow}, {"clamp_min", torch_clamp_min},
    {"lt_scalar", torch_lt_scalar}, {"le_scalar", torch_le_scalar},
    {"gt_scalar", torch_gt_scalar}, {"ge_scalar", torch_ge_scalar},
    {"eq_scalar", torch_eq_scalar}, {"ne_scalar", torch_ne_scalar},
    {"mul_scalar_", torch_mul_scalar_}, {"fill_", torch_fill_},
};
static const struct { const char *name; TensorFn fn; } TENSOR_ONLY[] = {
    {"neg", torch_neg}, {"abs", torch_abs}, {"relu", torch_relu}, {"sqrt", torch_sqrt},
    {"exp", torch_exp}, {"log", torch_log}, {"zero_", torch_zero_},
    {"to_float", to_float}, {"to_long", to_long}, {"to_bool", to_bool},
};
#define COUNT(a) (int)(sizeof(a) / sizeof((a)[0]))

static bool is_inplace(const char *op) { return op[strlen(op) - 1] == '_'; }

/* Runs one case; *target receives the tensor an in-place op wrote and *base its base. */
static Tensor *run_case(Fixtures *fx, const Case *c, Tensor **target, Tensor **base) {
    Tensor *a = input(fx, c->arg[0], base);
    *target = a;
    for (int i = 0; i < COUNT(TENSOR_TENSOR); i++)
        if (strcmp(c->op, TENSOR_TENSOR[i].name) == 0)
            return TENSOR_TENSOR[i].fn(a, input(fx, c->arg[1], NULL));
    for (int i = 0; i < COUNT(TENSOR_SCALAR); i++)
        if (strcmp(c->op, TENSOR_SCALAR[i].name) == 0)
            return TENSOR_SCALAR[i].fn(a, scalar_arg(c, 1));
    for (int i = 0; i < COUNT(TENSOR_ONLY); i++)
        if (strcmp(c->op, TENSOR_ONLY[i].name) == 0) return TENSOR_ONLY[i].fn(a);
    if (strcmp(c->op, "clamp") == 0) return torch_clamp(a, scalar_arg(c, 1), scalar_arg(c, 2));
    if (strcmp(c->op, "where") == 0)
        return torch_where(a, input(fx, c->arg[1], NULL), input(fx, c->arg[2], NULL));
    if (strcmp(c->op, "masked_fill") == 0)
        return torch_masked_fill(a, input(fx, c->arg[1], NULL), scalar_arg(c, 2));
    if (strcmp(c->op, "masked_fill_") == 0)
        return torch_masked_fill_(a, input(fx, c->arg[1], NULL), scalar_arg(c, 2));
    ck_abort_msg("unknown op in case: %s", c->text);
    return NULL;
}

/* Runs and checks every case whose op is one of `ops`; returns how many ran. */
static int run_cases(const char *const *ops, int n_ops) {
    Fixtures *fx = fixtures_load(FIXTURE);
    const char *text = fixture_text(fx, "cases");
    int ran = 0;
    while (*text) {
        const char *end = strchr(text, '\n');
        size_t len = end ? (size_t)(end - text) : strlen(text);
        char line[256];
        ck_assert_uint_lt(len, sizeof line);
        memcpy(line, text, len);
        line[len] = '\0';
        text += len + (end ? 1 : 0);
        Case c;
        if (!parse_case(line, &c)) continue;
        bool wanted = false;
        for (int i = 0; i < n_ops; i++) wanted = wanted || strcmp(c.op, ops[i]) == 0;
        if (!wanted) continue;

        Tensor *target, *base;
        Tensor *result = run_case(fx, &c, &target, &base);
        Tensor *expected = fixture_tensor(fx, c.out);
        if (is_inplace(c.op)) ck_assert_msg(result == target, "%s: must return t", c.text);
        else ck_assert_msg(result != target, "%s: must return a new tensor", c.text);
        if (strcmp(c.check, "exact") == 0) {
            ct_assert_bits_eq(result, expected, c.text, __FILE__, __LINE__);
        } else {
            ck_assert_str_eq(c.check, "close");
            ct_assert_close(result, expected, 3e-7, 1e-37, c.text, __FILE__, __LINE__);
        }
        char base_name[80];
        snprintf(base_name, sizeof base_name, "%s.base", c.out);
        if (fixture_has(fx, base_name)) /* an in-place op on a view: the base changed too */
            ct_assert_bits_eq(base, fixture_tensor(fx, base_name), c.text, __FILE__, __LINE__);
        ran++;
    }
    fixtures_free(fx);
    return ran;
}

#define RUN_CASES(...)                                                                         \
    do {                                                                                       \
        static const char *const ops_[] = {__VA_ARGS__};                                       \
        ck_assert_int_gt(run_cases(ops_, COUNT(ops_)), 0);                                     \
    } while (0)

START_TEST(test_fixture_binary_arithmetic) { RUN_CASES("add", "sub", "mul", "div"); }
END_TEST

START_TEST(test_fixture_scalar_arithmetic) {
    RUN_CASES("add_scalar", "sub_scalar", "mul_scalar", "div_scalar");
}
END_TEST

START_TEST(test_fixture_unary) { RUN_CASES("neg", "abs", "relu", "sqrt", "exp", "log"); }
END_TEST

START_TEST(test_fixture_pow) { RUN_CASES("pow"); }
END_TEST

START_TEST(test_fixture_clamp) { RUN_CASES("clamp_min", "clamp"); }
END_TEST

START_TEST(test_fixture_comparisons) {
    RUN_CASES("lt", "le", "gt", "ge", "eq", "ne", "lt_scalar", "le_scalar", "gt_scalar",
              "ge_scalar", "eq_scalar", "ne_scalar");
}
END_TEST

START_TEST(test_fixture_where) { RUN_CASES("where"); }
END_TEST

START_TEST(test_fixture_masked_fill) { RUN_CASES("masked_fill", "masked_fill_"); }
END_TEST

START_TEST(test_fixture_inplace) {
    RUN_CASES("add_", "sub_", "mul_", "mul_scalar_", "fill_", "zero_");
}
END_TEST

START_TEST(test_fixture_to_dtype) { RUN_CASES("to_float", "to_long", "to_bool"); }
END_TEST

/* Every case in the file belongs to one of the tests above (none is silently skipped). */
START_TEST(test_fixture_every_case_is_run) {
    Fixtures *fx = fixtures_load(FIXTURE);
    const char *text = fixture_text(fx, "cases");
    static const char *known[] = {
        "add", "sub", "mul", "div", "add_scalar", "sub_scalar", "mul_scalar", "div_scalar",
        "neg", "abs", "relu", "sqrt", "exp", "log", "pow", "clamp_min", "clamp", "lt", "le",
        "gt", "ge", "eq", "ne", "lt_scalar", "le_scalar", "gt_scalar", "ge_scalar", "eq_scalar",
        "ne_scalar", "where", "masked_fill", "masked_fill_", "add_", "sub_", "mul_",
        "mul_scalar_", "fill_", "zero_", "to_float", "to_long", "to_bool"};
    int lines = 0;
    for (const char *p = text; *p; lines++) {
        char check[8], op[32];
        ck_assert_int_eq(sscanf(p, "%7s %31s", check, op), 2);
        bool found = false;
        for (int i = 0; i < COUNT(known); i++) found = found || strcmp(op, known[i]) == 0;
        ck_assert_msg(found, "case with an untested op: %s", op);
        p = strchr(p, '\n');
        ck_assert_ptr_nonnull(p);
        p++;
    }
    ck_assert_int_gt(lines, 300);
    fixtures_free(fx);
}
END_TEST

/* ---- storage, views and strides ------------------------------------------------------------- */

/* A tensor of `shape` with varied values of both signs (a fixed sequence, not random). */
static Tensor *varied(Shape shape, unsigned seed) {
    Tensor *t = torch_empty(shape);
    float *d = tensor_f32(t);
    uint32_t x = seed * 2654435761u + 1;
    for (int64_t i = 0; i < shape_numel(shape); i++) {
        x = x * 1664525u + 1013904223u;
        d[i] = ((float)(x >> 8) / 16777216.0f - 0.5f) * 6.0f;
    }
    return t;
}

static Tensor *t34(float first) {
    float v[12];
    for (int i = 0; i < 12; i++) v[i] = first + (float)i * 0.5f - 2.0f;
    return torch_tensor(SHAPE(3, 4), v);
}

/* R: grad_h[h < 0] <- 0 changes grad_h's own storage, and only the masked elements. */
START_TEST(test_masked_fill_inplace_shares_storage) {
    Fixtures *fx = fixtures_load(FIXTURE);
    Tensor *h = fixture_tensor(fx, "x100_32");
    Tensor *grad_h = fixture_tensor(fx, "x100_32");
    Tensor *mask = torch_lt_scalar(h, 0);
    CT_ASSERT_BITS_EQ(mask, fixture_tensor(fx, "x100_32_neg"));
    Storage *storage = grad_h->storage;
    void *data = storage->data;
    uint32_t version = storage->version;
    Tensor *r = torch_masked_fill_(grad_h, mask, 0.0f);
    ck_assert_ptr_eq(r, grad_h);
    ck_assert_ptr_eq(grad_h->storage, storage);
    ck_assert_ptr_eq(grad_h->storage->data, data);
    ck_assert_uint_eq(storage->version, version + 1);
    const float *g = tensor_f32(grad_h), *x = tensor_f32(h);
    int filled = 0;
    for (int i = 0; i < 3200; i++) {
        if (x[i] < 0) {
            ck_assert(g[i] == 0.0f && !signbit(g[i]));
            filled++;
        } else {
            ck_assert(memcmp(&g[i], &x[i], sizeof(float)) == 0); /* untouched, bit for bit */
        }
    }
    ck_assert_int_gt(filled, 1000);
    ck_assert_int_lt(filled, 2200);
    fixtures_free(fx);
}
END_TEST

START_TEST(test_masked_fill_out_of_place_leaves_input) {
    Tensor *t = t34(0);
    Tensor *copy = t34(0);
    Tensor *mask = torch_gt_scalar(t, 0);
    Tensor *out = torch_masked_fill(t, mask, -7.0f);
    ck_assert_ptr_ne(out->storage, t->storage);
    CT_ASSERT_BITS_EQ(t, copy);
    /* out is -7 exactly where the mask is true (t has no -7 of its own) */
    CT_ASSERT_BITS_EQ(torch_eq_scalar(out, -7), mask);
}
END_TEST

/* In-place ops on a view write through to the base. */
START_TEST(test_inplace_on_view_changes_base) {
    Tensor *base = torch_zeros(SHAPE(3, 4));
    Tensor *tv = transposed(base); /* (4, 3) */
    torch_add_(tv, torch_tensor(SHAPE(3), (float[]){1, 2, 3}));
    const float *b = tensor_f32(base);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) ck_assert_float_eq(b[i * 4 + j], (float)(i + 1));

    /* a row view (offset 4, the second row): only that row changes */
    Tensor *row = tensor_view_of(base, SHAPE(4), (int64_t[]){1}, 4);
    torch_mul_scalar_(row, 10.0f);
    torch_sub_(row, torch_scalar(1.0f));
    for (int j = 0; j < 4; j++) {
        ck_assert_float_eq(b[j], 1.0f);
        ck_assert_float_eq(b[4 + j], 19.0f);
        ck_assert_float_eq(b[8 + j], 3.0f);
    }
    /* every other column of the base, filled and zeroed */
    Tensor *cols = every_other(base);
    torch_fill_(cols, 5.0f);
    torch_mul_(cols, torch_tensor(SHAPE(2), (float[]){2, 3}));
    for (int i = 0; i < 3; i++) {
        ck_assert_float_eq(b[i * 4 + 0], 10.0f);
        ck_assert_float_eq(b[i * 4 + 2], 15.0f);
    }
    ck_assert_float_eq(b[1], 1.0f);
    torch_zero_(cols);
    ck_assert_float_eq(b[0], 0.0f);
    ck_assert_float_eq(b[5], 19.0f);
    /* masked_fill_ through a transposed view */
    torch_masked_fill_(tv, torch_tensor_bool(SHAPE(3), (bool[]){false, true, false}), -1.0f);
    for (int j = 0; j < 4; j++) ck_assert_float_eq(b[4 + j], -1.0f);
}
END_TEST

/* x$add_(x): the same view as input and output is fine (each element is read, then written). */
START_TEST(test_inplace_with_itself) {
    Tensor *x = t34(1);
    Tensor *expected = torch_mul(t34(1), t34(1));
    torch_mul_(x, x);
    CT_ASSERT_BITS_EQ(x, expected);
    Tensor *y = transposed(t34(1));
    Tensor *y2 = torch_add(y, y);
    torch_add_(y, y);
    CT_ASSERT_BITS_EQ(y, y2);
}
END_TEST

/* The same op on a strided view and on its contiguous copy gives the same bits. */
START_TEST(test_results_do_not_depend_on_strides) {
    Tensor *m = varied(SHAPE(40, 30), 3);
    Tensor *view = transposed(m);              /* (30, 40), strides (1, 30) */
    Tensor *copy = tensor_contiguous_raw(view); /* (30, 40), strides (40, 1) */
    ck_assert_ptr_ne(copy, view);
    Tensor *b = varied(SHAPE(30, 40), 4);
    Tensor *row = varied(SHAPE(1, 40), 5);
    TensorTensorFn fns[] = {torch_add, torch_sub, torch_mul, torch_div};
    for (int i = 0; i < 4; i++) {
        CT_ASSERT_BITS_EQ(fns[i](view, b), fns[i](copy, b));
        CT_ASSERT_BITS_EQ(fns[i](b, view), fns[i](b, copy));
        CT_ASSERT_BITS_EQ(fns[i](view, row), fns[i](copy, row));
    }
    CT_ASSERT_BITS_EQ(torch_pow(view, 2), torch_pow(copy, 2));
    CT_ASSERT_BITS_EQ(torch_pow(view, 1.5f), torch_pow(copy, 1.5f));
    CT_ASSERT_BITS_EQ(torch_exp(view), torch_exp(copy));
    CT_ASSERT_BITS_EQ(torch_clamp_min(view, 0), torch_clamp_min(copy, 0));
    CT_ASSERT_BITS_EQ(torch_mul_scalar(view, 1e-4f), torch_mul_scalar(copy, 1e-4f));
    CT_ASSERT_BITS_EQ(torch_lt(view, b), torch_lt(copy, b));
    Tensor *cond = torch_gt_scalar(b, 0);
    CT_ASSERT_BITS_EQ(torch_where(cond, view, b), torch_where(cond, copy, b));
    CT_ASSERT_BITS_EQ(torch_masked_fill(view, cond, 1), torch_masked_fill(copy, cond, 1));
    /* in place: a strided target and a contiguous one end up equal */
    torch_sub_(view, torch_mul_scalar(b, 1e-4f));
    torch_sub_(copy, torch_mul_scalar(b, 1e-4f));
    CT_ASSERT_BITS_EQ(view, copy);
}
END_TEST

/* The same through the public views of common/views.c (torch_t, torch_expand). */
START_TEST(test_with_public_views) {
    Tensor *m = varied(SHAPE(4, 3), 7), *b = varied(SHAPE(3, 4), 8);
    CT_ASSERT_BITS_EQ(torch_add(torch_t(m), b), torch_add(transposed(m), b));
    CT_ASSERT_BITS_EQ(torch_pow(torch_t(m), 2), torch_pow(transposed(m), 2));
    Tensor *expected = torch_sub(transposed(m), b);
    torch_sub_(torch_t(m), b); /* writes through the view into m */
    CT_ASSERT_BITS_EQ(transposed(m), expected);
    Tensor *row = varied(SHAPE(1, 4), 9);
    CT_ASSERT_BITS_EQ(torch_mul(torch_expand(row, SHAPE(3, 4)), b), torch_mul(row, b));
    CT_EXPECT_ERROR("torch_mul_: unsupported operation: more than one element of the written-to "
                    "tensor refers to a single memory location. Please clone() the tensor "
                    "before performing the operation.",
                    torch_mul_(torch_expand(row, SHAPE(3, 4)), b));
}
END_TEST

/* A scalar op equals the same op with a 0-dim operand; pow's shortcuts equal their formulas. */
START_TEST(test_scalar_forms_agree) {
    Tensor *a = varied(SHAPE(7, 9), 6);
    Tensor *s = torch_scalar(0.1f);
    CT_ASSERT_BITS_EQ(torch_add_scalar(a, 0.1f), torch_add(a, s));
    CT_ASSERT_BITS_EQ(torch_sub_scalar(a, 0.1f), torch_sub(a, s));
    CT_ASSERT_BITS_EQ(torch_mul_scalar(a, 0.1f), torch_mul(a, s));
    CT_ASSERT_BITS_EQ(torch_div_scalar(a, 0.1f), torch_div(a, s));
    CT_ASSERT_BITS_EQ(torch_lt_scalar(a, 0.1f), torch_lt(a, s));
    CT_ASSERT_BITS_EQ(torch_ne_scalar(a, 0.1f), torch_ne(a, s));
    CT_ASSERT_BITS_EQ(torch_pow(a, 2), torch_mul(a, a));
    CT_ASSERT_BITS_EQ(torch_pow(a, 3), torch_mul(torch_mul(a, a), a));
    CT_ASSERT_BITS_EQ(torch_pow(a, 1), a);
    CT_ASSERT_BITS_EQ(torch_pow(a, 0), torch_ones(SHAPE(7, 9)));
    Tensor *pos = torch_abs(a);
    CT_ASSERT_BITS_EQ(torch_pow(pos, 0.5f), torch_sqrt(pos));
    CT_ASSERT_BITS_EQ(torch_relu(a), torch_clamp_min(a, 0));
    CT_ASSERT_BITS_EQ(torch_neg(a), torch_mul_scalar(a, -1));
    Tensor *x = varied(SHAPE(7, 9), 6);
    CT_ASSERT_BITS_EQ(torch_mul_scalar_(x, 0.1f), torch_mul_scalar(a, 0.1f));
}
END_TEST

START_TEST(test_empty_and_zero_dim) {
    Tensor *e = torch_zeros(SHAPE(0, 3));
    Tensor *r = torch_add(e, torch_ones(SHAPE(1, 3)));
    ck_assert_int_eq(r->shape.ndim, 2);
    ck_assert_int_eq(r->shape.size[0], 0);
    ck_assert_int_eq(r->shape.size[1], 3);
    ck_assert_int_eq(torch_numel(torch_exp(e)), 0);
    ck_assert_int_eq(torch_numel(torch_lt_scalar(e, 0)), 0);
    torch_add_(e, torch_ones(SHAPE(3)));
    Tensor *s = torch_mul(torch_scalar(3), torch_scalar(-2));
    ck_assert_int_eq(s->shape.ndim, 0);
    ck_assert_float_eq(torch_item(s), -6.0f);
}
END_TEST

/* fill_ and zero_ take any dtype; fill_ may write an expanded view (like libtorch). */
START_TEST(test_fill_any_dtype) {
    Tensor *l = torch_tensor_i64(SHAPE(3), (int64_t[]){1, 2, 3});
    torch_fill_(l, -2.75f);
    for (int i = 0; i < 3; i++) ck_assert_int_eq(tensor_i64(l)[i], -2);
    torch_zero_(l);
    for (int i = 0; i < 3; i++) ck_assert_int_eq(tensor_i64(l)[i], 0);
    Tensor *b = torch_tensor_bool(SHAPE(2), (bool[]){false, true});
    torch_fill_(b, 0.5f);
    ck_assert(tensor_bool(b)[0] && tensor_bool(b)[1]);
    torch_zero_(b);
    ck_assert(!tensor_bool(b)[0] && !tensor_bool(b)[1]);
    Tensor *base = torch_zeros(SHAPE(3));
    Tensor *expanded = tensor_view_of(base, SHAPE(2, 3), (int64_t[]){0, 1}, 0);
    torch_fill_(expanded, 4.0f);
    for (int i = 0; i < 3; i++) ck_assert_float_eq(tensor_f32(base)[i], 4.0f);
}
END_TEST

/* Temporaries do not pile up: one call, one live tensor (compare_scalar's 0-dim is freed). */
START_TEST(test_no_leftover_tensors) {
    Tensor *a = t34(0);
    int64_t before = torch_memory_stats().live_tensors;
    torch_lt_scalar(a, 0);
    torch_add(a, a);
    torch_masked_fill(a, torch_gt_scalar(a, 0), 1);
    torch_to_dtype(a, TORCH_INT64);
    ck_assert_int_eq(torch_memory_stats().live_tensors, before + 5);
}
END_TEST

/* ---- what autograd is told ------------------------------------------------------------------- */

/* ---- each position's formula, on every broadcast and stride pattern ------------------------ */
/* Each result here is checked, bit for bit, against the formula applied one element at a time
 * in the test itself, reading each operand through its strides as broadcasting says: the
 * patterns the fast kernel gives loops of its own (contiguous operands, a broadcast scalar or
 * bias, a bool mask), merged dims, transposed views. Both builds run these. */

/* varied() with NaN, infinities and signed zeros sprinkled in. */
static Tensor *special(Shape shape, unsigned seed) {
    Tensor *t = varied(shape, seed);
    float *d = tensor_f32(t);
    const float specials[] = {NAN, -0.0f, 0.0f, INFINITY, -INFINITY, -NAN};
    for (int64_t i = seed % 5; i < shape_numel(shape); i += 7) d[i] = specials[i % 6];
    return t;
}

/* The element of t at position idx of `shape`, to which t broadcasts. */
static float element_at(const Tensor *t, Shape shape, const int64_t *idx) {
    int lead = shape.ndim - t->shape.ndim;
    int64_t off = 0;
    for (int d = lead; d < shape.ndim; d++)
        if (t->shape.size[d - lead] != 1) off += idx[d] * t->stride[d - lead];
    if (t->dtype == TORCH_BOOL) return tensor_bool(t)[off] ? 1.0f : 0.0f;
    return tensor_f32(t)[off];
}

/* Position i (row-major) of shape, as an index tuple. */
static void index_of(Shape shape, int64_t i, int64_t *idx) {
    for (int d = shape.ndim - 1; d >= 0; d--) {
        idx[d] = i % shape.size[d];
        i /= shape.size[d];
    }
}

typedef float (*Formula)(float x, float y, float z);
static float f_add(float x, float y, float z) { (void)z; return x + y; }
static float f_sub(float x, float y, float z) { (void)z; return x - y; }
static float f_mul(float x, float y, float z) { (void)z; return x * y; }
static float f_div(float x, float y, float z) { (void)z; return x / y; }
static float f_lt(float x, float y, float z) { (void)z; return x < y; }
static float f_le(float x, float y, float z) { (void)z; return x <= y; }
static float f_gt(float x, float y, float z) { (void)z; return x > y; }
static float f_ge(float x, float y, float z) { (void)z; return x >= y; }
static float f_eq(float x, float y, float z) { (void)z; return x == y; }
static float f_ne(float x, float y, float z) { (void)z; return x != y; }
static float f_fill(float mask, float x, float value) { return mask != 0.0f ? value : x; }
static float f_where(float cond, float x, float y) { return cond != 0.0f ? x : y; }

/* out (shape) equals f(x[p], y[p], z[p]) at every position, bit for bit (x, y, z broadcast;
 * z may be NULL: f gets 0). */
static void assert_elementwise(Tensor *out, Tensor *x, Tensor *y, Tensor *z, Formula f,
                               const char *what) {
    Shape shape = out->shape;
    int64_t idx[TORCH_MAX_DIMS];
    for (int64_t i = 0; i < shape_numel(shape); i++) {
        index_of(shape, i, idx);
        float want = f(element_at(x, shape, idx), element_at(y, shape, idx),
                       z ? element_at(z, shape, idx) : 0.0f);
        float got = element_at(out, shape, idx);
        uint32_t wb, gb;
        memcpy(&wb, &want, 4);
        memcpy(&gb, &got, 4);
        if (isnan(want) && isnan(got)) continue; /* the NaN's payload is the CPU's */
        ck_assert_msg(wb == gb, "%s: element %lld is %a, expected %a", what, (long long)i,
                      (double)got, (double)want);
    }
}

/* Shapes that broadcast to (4, 6, 10): every pattern the row loops special-case. */
static const Shape broadcast_shapes_4_6_10[] = {
    {3, {4, 6, 10}}, {0, {0}},         {1, {1}},          {1, {10}},
    {2, {6, 1}},     {3, {4, 1, 10}}, {3, {1, 6, 10}}, {3, {4, 6, 1}},
};
#define N_BROADCAST_SHAPES ((int)(sizeof broadcast_shapes_4_6_10 / sizeof *broadcast_shapes_4_6_10))

START_TEST(test_formula_binary) {
    Tensor *(*fns[])(Tensor *, Tensor *) = {torch_add, torch_sub, torch_mul, torch_div};
    Formula formulas[] = {f_add, f_sub, f_mul, f_div};
    Tensor *full_t = torch_transpose(special(SHAPE(10, 6, 4), 40), 0, 2); /* (4, 6, 10) view */
    for (int s = 0; s < N_BROADCAST_SHAPES; s++) {
        Tensor *other = special(broadcast_shapes_4_6_10[s], 41 + (unsigned)s);
        Tensor *full = special(SHAPE(4, 6, 10), 50 + (unsigned)s);
        for (int op = 0; op < 4; op++) {
            char what[64];
            snprintf(what, sizeof what, "op %d, shape %d, full op other", op, s);
            assert_elementwise(fns[op](full, other), full, other, NULL, formulas[op], what);
            snprintf(what, sizeof what, "op %d, shape %d, other op full", op, s);
            assert_elementwise(fns[op](other, full), other, full, NULL, formulas[op], what);
            snprintf(what, sizeof what, "op %d, shape %d, transposed", op, s);
            assert_elementwise(fns[op](full_t, other), full_t, other, NULL, formulas[op], what);
        }
        /* in place, through a transposed view of a fresh copy */
        Tensor *dst = torch_transpose(special(SHAPE(10, 6, 4), 60), 0, 2);
        Tensor *before = torch_clone(dst);
        torch_add_(dst, other);
        assert_elementwise(dst, before, other, NULL, f_add, "add_ in place");
    }
}
END_TEST

START_TEST(test_formula_compare) {
    Tensor *(*fns[])(Tensor *, Tensor *) = {torch_lt, torch_le, torch_gt, torch_ge, torch_eq,
                                            torch_ne};
    Tensor *(*scalar_fns[])(Tensor *, float) = {torch_lt_scalar, torch_le_scalar,
                                                torch_gt_scalar, torch_ge_scalar,
                                                torch_eq_scalar, torch_ne_scalar};
    Formula formulas[] = {f_lt, f_le, f_gt, f_ge, f_eq, f_ne};
    Tensor *full = special(SHAPE(4, 6, 10), 70);
    Tensor *full_t = torch_transpose(special(SHAPE(10, 6, 4), 71), 0, 2);
    const float scalars[] = {0.0f, -0.0f, 1.25f, NAN, INFINITY};
    for (int op = 0; op < 6; op++) {
        for (int s = 0; s < N_BROADCAST_SHAPES; s++) {
            Tensor *other = special(broadcast_shapes_4_6_10[s], 72 + (unsigned)s);
            assert_elementwise(torch_to_dtype(fns[op](full, other), TORCH_FLOAT32), full, other,
                               NULL, formulas[op], "compare, broadcast");
            assert_elementwise(torch_to_dtype(fns[op](full_t, other), TORCH_FLOAT32), full_t,
                               other, NULL, formulas[op], "compare, transposed");
        }
        for (int k = 0; k < 5; k++) {
            Tensor *sc = torch_scalar(scalars[k]);
            assert_elementwise(torch_to_dtype(scalar_fns[op](full, scalars[k]), TORCH_FLOAT32),
                               full, sc, NULL, formulas[op], "compare with a scalar");
            assert_elementwise(torch_to_dtype(scalar_fns[op](full_t, scalars[k]), TORCH_FLOAT32),
                               full_t, sc, NULL, formulas[op], "compare a view with a scalar");
        }
    }
}
END_TEST

/* masked_fill (the copy and the fill in one pass, a branch-free choice) and where. */
START_TEST(test_formula_select) {
    const float values[] = {0.0f, -0.0f, NAN, 2.5f};
    Tensor *sources[] = {special(SHAPE(4, 6, 10), 80), special(SHAPE(1, 6, 10), 81),
                         torch_transpose(special(SHAPE(10, 6, 4), 82), 0, 2),
                         special(SHAPE(10), 83)};
    Tensor *masks[] = {torch_lt_scalar(special(SHAPE(4, 6, 10), 84), 0),
                       torch_gt_scalar(special(SHAPE(6, 10), 85), 0),
                       torch_lt_scalar(special(SHAPE(4, 1, 10), 86), 0.5f),
                       torch_transpose(torch_lt_scalar(special(SHAPE(10, 6, 4), 87), 0), 0, 2)};
    for (int si = 0; si < 4; si++)
        for (int mi = 0; mi < 4; mi++)
            for (int vi = 0; vi < 4; vi++) {
                char what[64];
                snprintf(what, sizeof what, "masked_fill source %d mask %d value %d", si, mi, vi);
                Tensor *out = torch_masked_fill(sources[si], masks[mi], values[vi]);
                ck_assert_int_eq(out->shape.size[out->shape.ndim - 1], 10);
                Tensor *v = torch_scalar(values[vi]);
                assert_elementwise(out, masks[mi], sources[si], v, f_fill, what);
                /* in place, on a transposed copy when the source has the full shape */
                if (si == 0 || si == 2) {
                    Tensor *copy = torch_contiguous(torch_transpose(sources[si], 0, 2));
                    Tensor *dst = torch_transpose(copy, 0, 2);
                    torch_masked_fill_(dst, masks[mi], values[vi]);
                    assert_elementwise(dst, masks[mi], sources[si], v, f_fill, what);
                }
                snprintf(what, sizeof what, "where source %d mask %d", si, mi);
                Tensor *other = special(SHAPE(6, 1), 90 + (unsigned)vi);
                assert_elementwise(torch_where(masks[mi], sources[si], other), masks[mi],
                                   sources[si], other, f_where, what);
            }
}
END_TEST

/* threshold_backward (ReLU's backward in one pass) against its definition: the values torch
 * gives, and the same bits as masked_fill(grad, x <= threshold, 0) on special values (NaN,
 * -0, infinities), broadcasts and transposed views. */
START_TEST(test_threshold_backward) {
    Tensor *g = torch_tensor(SHAPE(6), (float[]){1, 2, 3, 4, 5, 6});
    Tensor *x = torch_tensor(SHAPE(6), (float[]){-1.0f, 0.0f, 0.5f, NAN, -0.0f, INFINITY});
    float want[] = {0, 0, 3, 4, 0, 6}; /* torch.ops.aten.threshold_backward(g, x, 0) */
    Tensor *out = torch_threshold_backward(g, x, 0);
    for (int i = 0; i < 6; i++) ck_assert_float_eq(tensor_f32(out)[i], want[i]);
    ck_assert_ptr_null(out->autograd);
    Tensor *grads[] = {special(SHAPE(4, 6, 10), 120), special(SHAPE(6, 10), 121),
                       torch_transpose(special(SHAPE(10, 6, 4), 122), 0, 2)};
    Tensor *xs[] = {special(SHAPE(4, 6, 10), 123), special(SHAPE(4, 1, 10), 124),
                    torch_transpose(special(SHAPE(10, 6, 4), 125), 0, 2)};
    const float thresholds[] = {0.0f, -0.0f, 0.5f, NAN};
    for (int gi = 0; gi < 3; gi++)
        for (int xi = 0; xi < 3; xi++)
            for (int ti = 0; ti < 4; ti++) {
                Tensor *fused = torch_threshold_backward(grads[gi], xs[xi], thresholds[ti]);
                Tensor *mask = torch_le_scalar(xs[xi], thresholds[ti]);
                CT_ASSERT_BITS_EQ(fused, torch_masked_fill(grads[gi], mask, 0));
            }
}
END_TEST

/* Unary ops on views (rows with strides) and on contiguous data (flat loops). */
static float f_relu(float x, float y, float z) { (void)y, (void)z; return x < 0.0f ? 0.0f : x; }
static float f_clamp(float x, float y, float z) {
    (void)y, (void)z;
    float lo = x < -1.0f ? -1.0f : x;
    return 1.5f < lo ? 1.5f : lo;
}
static float f_mul3(float x, float y, float z) { (void)y, (void)z; return x * 3.0f; }

START_TEST(test_formula_unary) {
    Tensor *inputs[] = {special(SHAPE(4, 6, 10), 100),
                        torch_transpose(special(SHAPE(10, 6, 4), 101), 0, 2),
                        torch_slice(special(SHAPE(4, 6, 20), 102), 2, 1, INT64_MAX, 2)};
    Tensor *none = torch_scalar(0);
    for (int i = 0; i < 3; i++) {
        assert_elementwise(torch_relu(inputs[i]), inputs[i], none, NULL, f_relu, "relu");
        assert_elementwise(torch_clamp(inputs[i], -1.0f, 1.5f), inputs[i], none, NULL, f_clamp,
                           "clamp");
        assert_elementwise(torch_mul_scalar(inputs[i], 3.0f), inputs[i], none, NULL, f_mul3,
                           "mul_scalar");
    }
}
END_TEST

/* Small 2-D ops with one transposed input (the fast kernel copies such an input, in the
 * output's order, before a flat loop: fast/elementwise.c's staged_input), each position against
 * its formula: every kind, in place, at and past the size it copies (1024 positions); and the
 * operands it leaves to the walk: a transposed bool mask, two transposed inputs. */
START_TEST(test_formula_transposed_2d) {
    Tensor *(*fns[])(Tensor *, Tensor *) = {torch_add, torch_sub, torch_mul, torch_div};
    Formula formulas[] = {f_add, f_sub, f_mul, f_div};
    const int64_t sizes[][2] = {{32, 3}, {3, 32}, {5, 7}, {1, 9}, {32, 32}, {33, 32}};
    Tensor *none = torch_scalar(0), *value = torch_scalar(1.5f);
    for (unsigned s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        int64_t r = sizes[s][0], c = sizes[s][1];
        Tensor *xt = transposed(special(SHAPE(c, r), 200 + s)); /* (r, c), strides (1, r) */
        Tensor *y = special(SHAPE(r, c), 210 + s);
        char what[64];
        for (int op = 0; op < 4; op++) {
            snprintf(what, sizeof what, "%lldx%lld op %d, transposed first", (long long)r,
                     (long long)c, op);
            assert_elementwise(fns[op](xt, y), xt, y, NULL, formulas[op], what);
            snprintf(what, sizeof what, "%lldx%lld op %d, transposed second", (long long)r,
                     (long long)c, op);
            assert_elementwise(fns[op](y, xt), y, xt, NULL, formulas[op], what);
        }
        Tensor *dst = special(SHAPE(r, c), 220 + s), *before = torch_clone(dst);
        torch_add_(dst, xt); /* w1$grad += t(g) */
        assert_elementwise(dst, before, xt, NULL, f_add, "add_ of a transposed input");
        assert_elementwise(torch_lt(xt, y), xt, y, NULL, f_lt, "lt, transposed");
        assert_elementwise(torch_relu(xt), xt, none, NULL, f_relu, "relu, transposed");
        Tensor *mask = torch_gt_scalar(y, 0);
        Tensor *mask_t = transposed(torch_lt_scalar(special(SHAPE(c, r), 230 + s), 0));
        assert_elementwise(torch_where(mask, xt, y), mask, xt, y, f_where, "where, transposed");
        assert_elementwise(torch_masked_fill(xt, mask, 1.5f), mask, xt, value, f_fill,
                           "masked_fill, transposed source");
        assert_elementwise(torch_masked_fill(y, mask_t, 1.5f), mask_t, y, value, f_fill,
                           "masked_fill, transposed mask");
        CT_ASSERT_BITS_EQ(torch_threshold_backward(xt, y, 0),
                          torch_masked_fill(xt, torch_le_scalar(y, 0), 0));
        Tensor *xt2 = transposed(special(SHAPE(c, r), 240 + s));
        assert_elementwise(torch_add(xt, xt2), xt, xt2, NULL, f_add, "two transposed inputs");
    }
}
END_TEST

/* Inputs of one element (a 0-dim gradient, a (1, 1), a 1-element mask or condition) beside
 * contiguous ones: the fast kernel runs them as one row, reading the single element at step 0
 * (fast/elementwise.c's flat_steps). Each position against its formula, for every kind. */
START_TEST(test_formula_single_element_operands) {
    const Shape singles[] = {{0, {0}}, {1, {1}}, {2, {1, 1}}};
    Tensor *x = special(SHAPE(100, 1), 300), *value = torch_scalar(-2.5f);
    for (unsigned s = 0; s < 3; s++) {
        Tensor *one = special(singles[s], 301 + s);
        assert_elementwise(torch_mul(x, one), x, one, NULL, f_mul, "x * single");
        assert_elementwise(torch_div(one, x), one, x, NULL, f_div, "single / x");
        assert_elementwise(torch_ge(x, one), x, one, NULL, f_ge, "x >= single");
        for (int truth = 0; truth < 2; truth++) {
            Tensor *cond = truth ? torch_ge_scalar(torch_abs(one), 0) /* true unless NaN */
                                 : torch_lt_scalar(torch_abs(one), -1);
            assert_elementwise(torch_where(cond, x, one), cond, x, one, f_where, "where");
            assert_elementwise(torch_masked_fill(x, cond, -2.5f), cond, x, value, f_fill,
                               "masked_fill");
        }
        Tensor *dst = special(SHAPE(100, 1), 310 + s), *before = torch_clone(dst);
        torch_sub_(dst, one);
        assert_elementwise(dst, before, one, NULL, f_sub, "sub_ of a single element");
    }
}
END_TEST

static TorchOp records[16];
static int n_records;
static const char *inplace_names[16];
static Tensor *inplace_tensors[16];
static int n_inplace;

static void record_hook(const TorchOp *op) {
    ck_assert_int_lt(n_records, 16);
    records[n_records++] = *op;
}

static void before_inplace_hook(const char *name, Tensor *t, const Tensor *source) {
    (void)source;
    ck_assert_int_lt(n_inplace, 16);
    inplace_names[n_inplace] = name;
    inplace_tensors[n_inplace++] = t;
}

static const TorchAutogradHooks test_hooks = {.record = record_hook,
                                              .before_inplace = before_inplace_hook};

static TorchOp *last_record(int expected_count) {
    ck_assert_int_eq(n_records, expected_count);
    return &records[n_records - 1];
}

START_TEST(test_records_for_autograd) {
    Tensor *a = t34(0), *b = t34(1);
    Tensor *mask = torch_gt_scalar(a, 0); /* comparisons record nothing */
    n_records = n_inplace = 0;
    torch_install_autograd_hooks(&test_hooks);

    Tensor *out = torch_add(a, b);
    TorchOp *op = last_record(1);
    ck_assert_int_eq(op->kind, TORCH_OP_ADD);
    ck_assert_ptr_eq(op->out, out);
    ck_assert_int_eq(op->n_in, 2);
    ck_assert_ptr_eq(op->in[0], a);
    ck_assert_ptr_eq(op->in[1], b);

    torch_sub(a, b);
    ck_assert_int_eq(last_record(2)->kind, TORCH_OP_SUB);
    torch_div(a, b);
    ck_assert_int_eq(last_record(3)->kind, TORCH_OP_DIV);

    out = torch_mul_scalar(a, 0.25f);
    op = last_record(4);
    ck_assert_int_eq(op->kind, TORCH_OP_MUL_SCALAR);
    ck_assert_int_eq(op->n_in, 1);
    ck_assert_ptr_eq(op->in[0], a);
    ck_assert_float_eq(op->scalar, 0.25f);

    torch_pow(a, 2); /* the exponent is recorded even when a shortcut computed it */
    op = last_record(5);
    ck_assert_int_eq(op->kind, TORCH_OP_POW);
    ck_assert_float_eq(op->scalar, 2.0f);

    torch_clamp(a, -1, 2);
    op = last_record(6);
    ck_assert_int_eq(op->kind, TORCH_OP_CLAMP);
    ck_assert_float_eq(op->scalar, -1.0f);
    ck_assert_float_eq(op->scalar2, 2.0f);

    torch_clamp_min(a, 0);
    ck_assert_int_eq(last_record(7)->kind, TORCH_OP_CLAMP_MIN);
    torch_relu(a);
    ck_assert_int_eq(last_record(8)->kind, TORCH_OP_RELU);

    out = torch_masked_fill(a, mask, 3.5f);
    op = last_record(9);
    ck_assert_int_eq(op->kind, TORCH_OP_MASKED_FILL);
    ck_assert_ptr_eq(op->out, out);
    ck_assert_ptr_eq(op->in[0], a);
    ck_assert_ptr_eq(op->extra, mask);
    ck_assert_float_eq(op->scalar, 3.5f);

    out = torch_where(mask, a, b);
    op = last_record(10);
    ck_assert_int_eq(op->kind, TORCH_OP_WHERE);
    ck_assert_int_eq(op->n_in, 2);
    ck_assert_ptr_eq(op->in[0], a);
    ck_assert_ptr_eq(op->in[1], b);
    ck_assert_ptr_eq(op->extra, mask);

    torch_to_dtype(a, TORCH_FLOAT32);
    ck_assert_int_eq(last_record(11)->kind, TORCH_OP_TO_FLOAT);

    /* not differentiable: nothing recorded */
    torch_to_dtype(a, TORCH_INT64);
    torch_to_dtype(mask, TORCH_FLOAT32);
    torch_lt(a, b);
    torch_eq_scalar(a, 0);
    ck_assert_int_eq(n_records, 11);

    /* in place: announced before the change, never recorded */
    Tensor *t = t34(2);
    torch_sub_(t, a);
    torch_add_(t, a);
    torch_mul_(t, a);
    torch_mul_scalar_(t, 2);
    torch_masked_fill_(t, mask, 0);
    torch_fill_(t, 1);
    torch_zero_(t);
    ck_assert_int_eq(n_records, 11);
    const char *names[] = {"torch_sub_", "torch_add_", "torch_mul_", "torch_mul_scalar_",
                           "torch_masked_fill_", "torch_fill_", "torch_zero_"};
    ck_assert_int_eq(n_inplace, 7);
    for (int i = 0; i < 7; i++) {
        ck_assert_str_eq(inplace_names[i], names[i]);
        ck_assert_ptr_eq(inplace_tensors[i], t);
    }
    torch_install_autograd_hooks(NULL);
}
END_TEST

/* ---- errors -------------------------------------------------------------------------------- */

START_TEST(test_errors_dtype) {
    Tensor *f = t34(0);
    Tensor *l = torch_tensor_i64(SHAPE(2), (int64_t[]){1, 2});
    Tensor *b = torch_tensor_bool(SHAPE(2), (bool[]){true, false});
    CT_EXPECT_ERROR("torch_add: expected scalar type Float but found Long", torch_add(l, f));
    CT_EXPECT_ERROR("torch_mul: expected scalar type Float but found Bool", torch_mul(f, b));
    CT_EXPECT_ERROR("torch_mul_scalar: expected scalar type Float but found Long",
                    torch_mul_scalar(l, 2));
    CT_EXPECT_ERROR("torch_pow: expected scalar type Float but found Bool", torch_pow(b, 2));
    CT_EXPECT_ERROR("torch_lt: expected scalar type Float but found Bool", torch_lt(b, b));
    CT_EXPECT_ERROR("torch_gt_scalar: expected scalar type Float but found Long",
                    torch_gt_scalar(l, 0));
    CT_EXPECT_ERROR("torch_sub_: expected scalar type Float but found Long", torch_sub_(f, l));
    CT_EXPECT_ERROR("torch_mul_scalar_: expected scalar type Float but found Bool",
                    torch_mul_scalar_(b, 2));
    CT_EXPECT_ERROR("torch_where: expected scalar type Float but found Long",
                    torch_where(b, l, l));
    CT_EXPECT_ERROR("torch_masked_fill_: expected scalar type Float but found Long",
                    torch_masked_fill_(l, b, 0));
}
END_TEST

START_TEST(test_errors_masks) {
    Tensor *f = t34(0);
    Tensor *l = torch_tensor_i64(SHAPE(4), (int64_t[]){1, 0, 1, 0});
    CT_EXPECT_ERROR("torch_masked_fill_: masked_fill_ only supports boolean masks, but got mask "
                    "with dtype long",
                    torch_masked_fill_(f, l, 0));
    CT_EXPECT_ERROR("torch_masked_fill: masked_fill_ only supports boolean masks, but got mask "
                    "with dtype float",
                    torch_masked_fill(f, torch_ones(SHAPE(4)), 0));
    CT_EXPECT_ERROR("torch_where: where expected condition to be a boolean tensor, but got a "
                    "tensor with dtype Float",
                    torch_where(f, f, f));
    CT_EXPECT_ERROR("torch_where: where expected condition to be a boolean tensor, but got a "
                    "tensor with dtype Long",
                    torch_where(l, f, f));
    Tensor *m23 = torch_tensor_bool(SHAPE(2, 3), (bool[]){1, 0, 1, 0, 1, 0});
    Tensor *t3 = torch_zeros(SHAPE(3));
    CT_EXPECT_ERROR("torch_masked_fill_: output with shape [3] doesn't match the broadcast "
                    "shape [2, 3]",
                    torch_masked_fill_(t3, m23, 1));
    Tensor *m4 = torch_tensor_bool(SHAPE(4), (bool[]){1, 0, 1, 0});
    CT_EXPECT_ERROR("torch_masked_fill_: The size of tensor a (3) must match the size of tensor "
                    "b (4) at non-singleton dimension 0",
                    torch_masked_fill_(t3, m4, 1));
    CT_EXPECT_ERROR("torch_masked_fill: The size of tensor a (4) must match the size of tensor "
                    "b (3) at non-singleton dimension 0",
                    torch_masked_fill(t3, m4, 1));
    /* where broadcasts the condition with a, then with b (libtorch's order) */
    Tensor *c2 = torch_tensor_bool(SHAPE(2), (bool[]){1, 0});
    CT_EXPECT_ERROR("torch_where: The size of tensor a (2) must match the size of tensor b (3) "
                    "at non-singleton dimension 1",
                    torch_where(c2, torch_zeros(SHAPE(3, 1)), torch_zeros(SHAPE(1, 3))));
    CT_EXPECT_ERROR("torch_where: The size of tensor a (2) must match the size of tensor b (3) "
                    "at non-singleton dimension 0",
                    torch_where(c2, t3, t3));
    /* nothing was changed by the failed calls */
    for (int i = 0; i < 3; i++) ck_assert_float_eq(tensor_f32(t3)[i], 0.0f);
}
END_TEST

START_TEST(test_errors_threshold_backward) {
    CT_EXPECT_ERROR("torch_threshold_backward: The size of tensor a (3) must match the size of "
                    "tensor b (4) at non-singleton dimension 1",
                    torch_threshold_backward(torch_zeros(SHAPE(2, 3)), torch_zeros(SHAPE(4)), 0));
    CT_EXPECT_ERROR("torch_threshold_backward: expected scalar type Float but found Long",
                    torch_threshold_backward(torch_zeros(SHAPE(3)),
                                             torch_empty_dtype(SHAPE(3), TORCH_INT64), 0));
}
END_TEST

START_TEST(test_errors_broadcast) {
    CT_EXPECT_ERROR("torch_add: The size of tensor a (3) must match the size of tensor b (4) at "
                    "non-singleton dimension 1",
                    torch_add(torch_zeros(SHAPE(2, 3)), torch_zeros(SHAPE(4))));
    CT_EXPECT_ERROR("torch_div: The size of tensor a (5) must match the size of tensor b (2) at "
                    "non-singleton dimension 0",
                    torch_div(torch_zeros(SHAPE(5, 1)), torch_zeros(SHAPE(2, 3))));
    CT_EXPECT_ERROR("torch_ge: The size of tensor a (3) must match the size of tensor b (4) at "
                    "non-singleton dimension 0",
                    torch_ge(torch_zeros(SHAPE(3)), torch_zeros(SHAPE(4))));
}
END_TEST

/* In-place errors leave t untouched: same values, same version. */
START_TEST(test_errors_inplace) {
    Tensor *b1 = torch_ones(SHAPE(1, 32));
    uint32_t version = b1->storage->version;
    CT_EXPECT_ERROR("torch_add_: output with shape [1, 32] doesn't match the broadcast shape "
                    "[100, 32]",
                    torch_add_(b1, torch_ones(SHAPE(100, 32))));
    CT_EXPECT_ERROR("torch_sub_: output with shape [1, 32] doesn't match the broadcast shape "
                    "[100, 32]",
                    torch_sub_(b1, torch_ones(SHAPE(100, 32))));
    CT_EXPECT_ERROR("torch_mul_: The size of tensor a (32) must match the size of tensor b (3) at "
                    "non-singleton dimension 1",
                    torch_mul_(b1, torch_ones(SHAPE(3))));
    for (int i = 0; i < 32; i++) ck_assert_float_eq(tensor_f32(b1)[i], 1.0f);
    ck_assert_uint_eq(b1->storage->version, version);

    /* an expanded view cannot be written: one memory location per several elements */
    Tensor *base = torch_zeros(SHAPE(3));
    Tensor *expanded = tensor_view_of(base, SHAPE(2, 3), (int64_t[]){0, 1}, 0);
    const char *internal = "unsupported operation: more than one element of the written-to tensor "
                           "refers to a single memory location. Please clone() the tensor before "
                           "performing the operation.";
    char msg[300];
    snprintf(msg, sizeof msg, "torch_add_: %s", internal);
    CT_EXPECT_ERROR(msg, torch_add_(expanded, torch_ones(SHAPE(2, 3))));
    snprintf(msg, sizeof msg, "torch_add_: %s", internal); /* checked before the shapes */
    CT_EXPECT_ERROR(msg, torch_add_(expanded, torch_ones(SHAPE(4))));
    snprintf(msg, sizeof msg, "torch_mul_scalar_: %s", internal);
    CT_EXPECT_ERROR(msg, torch_mul_scalar_(expanded, 2));

    /* the input is another view of the memory being written */
    Tensor *x = t34(0);
    Tensor *copy = t34(0);
    const char *partial = "unsupported operation: some elements of the input tensor and the "
                          "written-to tensor refer to a single memory location. Please clone() "
                          "the tensor before performing the operation.";
    Tensor *row0 = tensor_view_of(x, SHAPE(4), (int64_t[]){1}, 0);
    snprintf(msg, sizeof msg, "torch_add_: %s", partial);
    CT_EXPECT_ERROR(msg, torch_add_(x, row0));
    Tensor *sq = torch_zeros(SHAPE(3, 3));
    snprintf(msg, sizeof msg, "torch_sub_: %s", partial);
    CT_EXPECT_ERROR(msg, torch_sub_(sq, transposed(sq)));
    CT_ASSERT_BITS_EQ(x, copy);
    /* disjoint views of one storage are fine: x[1, ] += x[2, ] */
    Tensor *row1 = tensor_view_of(x, SHAPE(4), (int64_t[]){1}, 4);
    Tensor *row2 = tensor_view_of(x, SHAPE(4), (int64_t[]){1}, 8);
    torch_add_(row1, row2);
    for (int j = 0; j < 4; j++)
        ck_assert_float_eq(tensor_f32(x)[4 + j], tensor_f32(copy)[4 + j] + tensor_f32(copy)[8 + j]);
}
END_TEST

START_TEST(test_errors_released_and_null) {
    CT_EXPECT_ERROR("torch_add: expected a Tensor but got NULL", torch_add(NULL, t34(0)));
    CT_EXPECT_ERROR("torch_where: expected a Tensor but got NULL", torch_where(NULL, NULL, NULL));
    CT_EXPECT_ERROR("torch_to_dtype: expected a Tensor but got NULL",
                    torch_to_dtype(NULL, TORCH_FLOAT32));
    CT_EXPECT_ERROR("torch_zero_: expected a Tensor but got NULL", torch_zero_(NULL));
    CT_EXPECT_ERROR("torch_to_dtype: unknown dtype 7", torch_to_dtype(t34(0), (Dtype)7));
    Tensor *gone = t34(0);
    torch_free(gone);
    CT_EXPECT_ERROR("torch_exp: a tensor was used after it was released (its scope ended or it "
                    "was freed); keep it with torch_keep() to use it longer",
                    torch_exp(gone));
}
END_TEST

/* ---- the strided walk ------------------------------------------------------------------------ */

/* walk.h's promise: every position of the shape once, in row-major order, with each operand's
 * offset there (a broadcast operand's too), one position at a time or a row at a time. Checked
 * against strided_offset, on views that merge into one row, transposed, sliced, expanded
 * (stride 0), selected, 0-dim and empty. */
START_TEST(test_walk_visits_row_major) {
    Tensor *base = varied(SHAPE(4, 6, 10), 3);
    Tensor *views[] = {base,
                       torch_transpose(base, 0, 2),
                       torch_slice(base, 2, 1, 10, 3),
                       torch_expand(torch_narrow(base, 1, 2, 1), SHAPE(4, 5, 10)),
                       torch_select(base, 1, 2),
                       torch_unsqueeze(torch_select(base, 2, 7), 1),
                       torch_scalar(1),
                       torch_zeros(SHAPE(0, 3))};
    for (int v = 0; v < (int)(sizeof views / sizeof *views); v++) {
        Tensor *t = views[v];
        int64_t n = torch_numel(t), last = t->shape.ndim ? t->shape.size[t->shape.ndim - 1] : 1;
        /* a second operand: one row of `last` elements, broadcast down every other dim */
        Tensor *row = t->shape.ndim ? varied(SHAPE(last), 4) : torch_scalar(2);
        const Tensor *ops[] = {t, row};
        StridedWalk w;
        walk_start(&w, &t->shape, 2, ops);
        for (int64_t p = 0; p < n; p++) {
            if (w.offset[0] != strided_offset(t, p) || w.offset[1] != p % last)
                ck_abort_msg("view %d, position %lld: offsets %lld and %lld, expected %lld and "
                             "%lld", v, (long long)p, (long long)w.offset[0],
                             (long long)w.offset[1], (long long)strided_offset(t, p),
                             (long long)(p % last));
            if (walk_next(&w) != (p + 1 < n))
                ck_abort_msg("view %d: walk_next wrong at position %lld", v, (long long)p);
        }
        if (n == 0) continue;
        walk_start(&w, &t->shape, 2, ops);
        int64_t p = 0;
        do {
            for (int64_t i = 0; i < walk_row_length(&w); i++, p++)
                if (w.offset[0] + i * walk_row_stride(&w, 0) != strided_offset(t, p) ||
                    w.offset[1] + i * walk_row_stride(&w, 1) != p % last)
                    ck_abort_msg("view %d: the rows differ at position %lld", v, (long long)p);
        } while (walk_next_row(&w));
        ck_assert_int_eq(p, n);
    }
    /* a contiguous (4, 6, 10) is one row; the transposed view is not */
    StridedWalk w;
    walk_start(&w, &base->shape, 1, (const Tensor *[]){base});
    ck_assert_int_eq(w.shape.ndim, 1);
    ck_assert_int_eq(walk_row_length(&w), 240);
    walk_start(&w, &views[1]->shape, 1, (const Tensor *[]){views[1]});
    ck_assert_int_eq(w.shape.ndim, 3);
}
END_TEST

#if CTORCH_FAST
/* ---- the two backends on the same inputs (fast builds) ----------------------------------- */

/* A view of t (same shape, strides and offset) over a copy of t's whole storage. */
static Tensor *storage_copy(const Tensor *t) {
    size_t es = dtype_size(t->dtype);
    int64_t elements = (int64_t)(t->storage->nbytes / es);
    Tensor *base = torch_empty_dtype(SHAPE(elements), t->dtype);
    memcpy(base->storage->data, t->storage->data, t->storage->nbytes);
    return tensor_view_of(base, t->shape, t->stride, t->offset);
}

/* e with its output replaced by out (and every input that was the output, as in place). */
static ElementwiseOp with_output(const ElementwiseOp *e, const Tensor *out) {
    ElementwiseOp r = *e;
    for (int k = 0; k < e->n_operands; k++)
        if (e->operand[k] == e->operand[0]) r.operand[k] = out;
    return r;
}

/* The storage elements from the first to the last that t can reach, [*first, *end). */
static void storage_span(const Tensor *t, int64_t *first, int64_t *end) {
    *first = *end = t->offset;
    for (int d = 0; d < t->shape.ndim; d++) {
        int64_t span = (t->shape.size[d] - 1) * t->stride[d];
        if (span < 0) *first += span;
        else *end += span;
    }
    *end += 1;
}

/* The storages behind two outputs hold the same elements over the span the output reaches
 * (the positions it has, and those between them that it skips), bit for bit, except that two
 * NaNs are equal whatever their sign and payload: of two NaN operands, x + y returns one, and
 * which one depends on the order the compiler gave the instruction its operands (in a vector
 * loop or not), as in libtorch. One check per comparison, naming the first element that
 * differs. */
static void assert_same_storage(const Tensor *fast, const Tensor *ref, const char *what,
                                const char *isa, int threads) {
    if (torch_numel(ref) == 0) return;
    int64_t first, end;
    storage_span(ref, &first, &end);
    size_t es = dtype_size(ref->dtype);
    const unsigned char *a = fast->storage->data, *b = ref->storage->data;
    if (memcmp(a + first * es, b + first * es, (size_t)(end - first) * es) == 0) return;
    for (size_t i = (size_t)first; i < (size_t)end; i++) {
        if (memcmp(a + i * es, b + i * es, es) == 0) continue;
        uint32_t fa = 0, fb = 0;
        memcpy(&fa, a + i * es, es < 4 ? es : 4);
        memcpy(&fb, b + i * es, es < 4 ? es : 4);
        if (ref->dtype == TORCH_FLOAT32 && isnan(((const float *)a)[i]) &&
            isnan(((const float *)b)[i]))
            continue;
        ck_abort_msg("%s (%s, %d threads): storage element %zu is 0x%08x, the reference "
                     "wrote 0x%08x", what, isa, threads, i, fa, fb);
    }
}

/* Runs e with elementwise_reference, then with fast_elementwise at every instruction set this
 * CPU has and at 1, 2 and 3 threads, each time into a fresh copy of the output's storage (so
 * elements the output view skips must stay as they were too); the bytes must be the same. */
static void assert_backends_agree(const ElementwiseOp *e, const char *what) {
    static const char *const isas[] = {"portable", "avx2", "avx512"};
    const char *saved_isa = fast_isa_name();
    int saved_threads = torch_get_num_threads(), runs = 0;
    Tensor *ref = storage_copy(e->operand[0]);
    ElementwiseOp r = with_output(e, ref);
    elementwise_reference(&r);
    for (int i = 0; i < 3; i++) {
        if (!fast_isa_use(isas[i])) continue; /* this CPU cannot run it */
        for (int threads = 1; threads <= 3; threads++, runs++) {
            Tensor *fast = storage_copy(e->operand[0]);
            ElementwiseOp f = with_output(e, fast);
            torch_set_num_threads(threads);
            fast_elementwise(&f);
            assert_same_storage(fast, ref, what, isas[i], threads);
            torch_free(fast);
        }
    }
    torch_set_num_threads(saved_threads);
    ck_assert(fast_isa_use(saved_isa));
    ck_assert_int_ge(runs, 3);
    torch_free(ref);
}

/* Outputs for an input of shape (4, 6, 10): a fresh contiguous tensor, and a transposed
 * view of one (written with strides). */
static Tensor *fresh_output(int which, Dtype dtype) {
    Tensor *t = torch_empty_dtype(SHAPE(10, 6, 4), dtype);
    memset(t->storage->data, 0x5a, t->storage->nbytes); /* neither backend's doing */
    if (which == 0) return torch_reshape(t, SHAPE(4, 6, 10));
    return torch_transpose(t, 0, 2);
}

/* Every unary op, with a few scalar pairs, on contiguous, transposed, sliced and expanded
 * inputs, into new outputs and in place; 0-dim and empty tensors; fill_ into an expanded
 * view (each location written many times, never split over threads). */
START_TEST(test_backends_unary) {
    Tensor *base = special(SHAPE(10, 6, 4), 200);
    Tensor *inputs[] = {special(SHAPE(4, 6, 10), 201), torch_transpose(base, 0, 2),
                        torch_slice(special(SHAPE(4, 6, 20), 202), 2, 1, INT64_MAX, 2),
                        torch_expand(special(SHAPE(6, 1), 203), SHAPE(4, 6, 10))};
    const float scalars[][2] = {{0.5f, 2.0f}, {-0.0f, NAN}, {INFINITY, -1.0f}, {3.0f, 1.5f}};
    char what[96];
    for (int op = U_ADD; op <= U_CLAMP; op++)
        for (int in = 0; in < 4; in++)
            for (int sc = 0; sc < 4; sc++) {
                ElementwiseOp e = {.kind = EW_UNARY, .op = op, .s = scalars[sc][0],
                                   .s2 = scalars[sc][1], .n_operands = 2};
                snprintf(what, sizeof what, "unary op %d, input %d, scalars %d", op, in, sc);
                for (int out = 0; out < 2; out++) {
                    e.operand[0] = fresh_output(out, TORCH_FLOAT32);
                    e.operand[1] = inputs[in];
                    assert_backends_agree(&e, what);
                }
                if (in < 3) { /* in place: the input is the output (its copy, each run) */
                    e.operand[0] = e.operand[1] = inputs[in];
                    assert_backends_agree(&e, what);
                }
            }
    Tensor *zero_dim = torch_scalar(NAN), *empty = torch_zeros(SHAPE(0, 6, 10));
    ElementwiseOp e = {.kind = EW_UNARY, .op = U_EXP, .n_operands = 2,
                       .operand = {torch_empty(SHAPE_SCALAR), zero_dim}};
    assert_backends_agree(&e, "0-dim");
    e.operand[0] = torch_empty(SHAPE(0, 6, 10));
    e.operand[1] = empty;
    assert_backends_agree(&e, "empty");
    Tensor *expanded = torch_expand(torch_zeros(SHAPE(6, 1)), SHAPE(4, 6, 10));
    e = (ElementwiseOp){.kind = EW_UNARY, .op = U_FILL, .s = -2.5f, .n_operands = 2,
                        .operand = {expanded, expanded}};
    assert_backends_agree(&e, "fill_ into an expanded view");
}
END_TEST

/* Every binary op and comparison on each broadcast pattern of (4, 6, 10), in both operand
 * orders and with a transposed operand, into new outputs (a transposed one too) and in
 * place. */
START_TEST(test_backends_binary_compare) {
    Tensor *full = special(SHAPE(4, 6, 10), 210);
    Tensor *full_t = torch_transpose(special(SHAPE(10, 6, 4), 211), 0, 2);
    char what[96];
    for (int s = 0; s < N_BROADCAST_SHAPES; s++) {
        Tensor *other = special(broadcast_shapes_4_6_10[s], 212 + (unsigned)s);
        Tensor *pairs[][2] = {{full, other}, {other, full}, {full_t, other}, {other, full_t}};
        for (int p = 0; p < 4; p++)
            for (int kind = EW_BINARY; kind <= EW_COMPARE; kind++) {
                int n_ops = kind == EW_BINARY ? 4 : 6;
                Dtype dtype = kind == EW_BINARY ? TORCH_FLOAT32 : TORCH_BOOL;
                for (int op = 0; op < n_ops; op++)
                    for (int out = 0; out < 2; out++) {
                        snprintf(what, sizeof what, "kind %d op %d, shape %d, pair %d, out %d",
                                 kind, op, s, p, out);
                        ElementwiseOp e = {.kind = (ElementwiseKind)kind, .op = op,
                                           .n_operands = 3,
                                           .operand = {fresh_output(out, dtype), pairs[p][0],
                                                       pairs[p][1]}};
                        assert_backends_agree(&e, what);
                    }
            }
        for (int op = B_ADD; op <= B_DIV; op++) { /* in place, the full operand written */
            snprintf(what, sizeof what, "binary op %d in place, shape %d", op, s);
            ElementwiseOp e = {.kind = EW_BINARY, .op = op, .n_operands = 3,
                               .operand = {full_t, full_t, other}};
            assert_backends_agree(&e, what);
        }
    }
}
END_TEST

/* masked_fill (new output and in place), threshold_backward and where, with broadcast and
 * transposed sources, masks and conditions. */
START_TEST(test_backends_masks) {
    const float values[] = {0.0f, -0.0f, NAN, 2.5f};
    Tensor *sources[] = {special(SHAPE(4, 6, 10), 220), special(SHAPE(1, 6, 10), 221),
                         torch_transpose(special(SHAPE(10, 6, 4), 222), 0, 2),
                         special(SHAPE(10), 223)};
    Tensor *masks[] = {torch_lt_scalar(special(SHAPE(4, 6, 10), 224), 0),
                       torch_gt_scalar(special(SHAPE(6, 10), 225), 0),
                       torch_lt_scalar(special(SHAPE(4, 1, 10), 226), 0.5f),
                       torch_transpose(torch_lt_scalar(special(SHAPE(10, 6, 4), 227), 0), 0, 2)};
    Tensor *other = special(SHAPE(6, 1), 228);
    char what[96];
    for (int si = 0; si < 4; si++)
        for (int mi = 0; mi < 4; mi++)
            for (int vi = 0; vi < 4; vi++) {
                snprintf(what, sizeof what, "source %d, mask %d, value %d", si, mi, vi);
                ElementwiseOp fill = {.kind = EW_MASKED_FILL, .s = values[vi], .n_operands = 3,
                                      .operand = {fresh_output(vi % 2, TORCH_FLOAT32),
                                                  sources[si], masks[mi]}};
                assert_backends_agree(&fill, what);
                if (si == 0 || si == 2) { /* in place */
                    fill.operand[0] = fill.operand[1] = sources[si];
                    assert_backends_agree(&fill, what);
                }
                ElementwiseOp threshold = {.kind = EW_THRESHOLD_BACKWARD, .s = values[vi],
                                           .n_operands = 3,
                                           .operand = {fresh_output(vi % 2, TORCH_FLOAT32),
                                                       sources[si], sources[3 - mi % 4]}};
                assert_backends_agree(&threshold, what);
                ElementwiseOp where = {.kind = EW_WHERE, .n_operands = 4,
                                       .operand = {fresh_output(vi % 2, TORCH_FLOAT32),
                                                   masks[mi], sources[si], other}};
                assert_backends_agree(&where, what);
            }
}
END_TEST

/* Sizes past the thread grain, so that 2 and 3 threads split the positions (in the middle of
 * rows): (700, 300) is 210,000 positions, 70,000 per thread at 3. A broadcast bias, a
 * transposed operand, a comparison with a 0-dim scalar, the fills, an in-place update of a
 * transposed view, and a short last dim that the fast kernel swaps with the one before it. */
START_TEST(test_backends_large) {
    torch_manual_seed(7);
    Tensor *x = torch_randn(SHAPE(700, 300));
    Tensor *xt = torch_t(torch_randn(SHAPE(300, 700)));
    Tensor *bias = torch_randn(SHAPE(300));
    Tensor *zero = torch_scalar(0);
    Tensor *mask = torch_lt_scalar(x, 0);
    Tensor *out = torch_empty(SHAPE(700, 300));
    Tensor *narrow = torch_t(torch_randn(SHAPE(5, 42000))); /* (42000, 5), strides (1, 42000) */
    ElementwiseOp ops[] = {
        {.kind = EW_BINARY, .op = B_ADD, .n_operands = 3, .operand = {out, xt, bias}},
        {.kind = EW_BINARY, .op = B_SUB, .n_operands = 3, .operand = {xt, xt, x}},
        {.kind = EW_COMPARE, .op = C_LT, .n_operands = 3,
         .operand = {torch_empty_dtype(SHAPE(700, 300), TORCH_BOOL), x, zero}},
        {.kind = EW_MASKED_FILL, .s = 0.5f, .n_operands = 3, .operand = {out, xt, mask}},
        {.kind = EW_THRESHOLD_BACKWARD, .s = 0.25f, .n_operands = 3, .operand = {out, x, xt}},
        {.kind = EW_WHERE, .n_operands = 4, .operand = {out, mask, xt, bias}},
        {.kind = EW_UNARY, .op = U_EXP, .n_operands = 2, .operand = {out, xt}},
        {.kind = EW_UNARY, .op = U_MUL, .s = 3.0f, .n_operands = 2,
         .operand = {torch_empty(SHAPE(42000, 5)), narrow}},
    };
    char what[64];
    for (int i = 0; i < (int)(sizeof ops / sizeof *ops); i++) {
        snprintf(what, sizeof what, "large op %d", i);
        assert_backends_agree(&ops[i], what);
    }
}
END_TEST
#endif

static Suite *suite(void) {
    Suite *s = suite_create("elementwise");
    TCase *fx = ct_tcase("fixtures");
    tcase_set_timeout(fx, 30);
    tcase_add_test(fx, test_fixture_binary_arithmetic);
    tcase_add_test(fx, test_fixture_scalar_arithmetic);
    tcase_add_test(fx, test_fixture_unary);
    tcase_add_test(fx, test_fixture_pow);
    tcase_add_test(fx, test_fixture_clamp);
    tcase_add_test(fx, test_fixture_comparisons);
    tcase_add_test(fx, test_fixture_where);
    tcase_add_test(fx, test_fixture_masked_fill);
    tcase_add_test(fx, test_fixture_inplace);
    tcase_add_test(fx, test_fixture_to_dtype);
    tcase_add_test(fx, test_fixture_every_case_is_run);
    suite_add_tcase(s, fx);

    TCase *sem = ct_tcase("semantics");
    tcase_add_test(sem, test_masked_fill_inplace_shares_storage);
    tcase_add_test(sem, test_masked_fill_out_of_place_leaves_input);
    tcase_add_test(sem, test_inplace_on_view_changes_base);
    tcase_add_test(sem, test_inplace_with_itself);
    tcase_add_test(sem, test_results_do_not_depend_on_strides);
    tcase_add_test(sem, test_with_public_views);
    tcase_add_test(sem, test_scalar_forms_agree);
    tcase_add_test(sem, test_empty_and_zero_dim);
    tcase_add_test(sem, test_fill_any_dtype);
    tcase_add_test(sem, test_no_leftover_tensors);
    tcase_add_test(sem, test_records_for_autograd);
    suite_add_tcase(s, sem);

    TCase *formulas = ct_tcase("formulas");
    tcase_add_test(formulas, test_formula_binary);
    tcase_add_test(formulas, test_formula_compare);
    tcase_add_test(formulas, test_formula_select);
    tcase_add_test(formulas, test_formula_unary);
    tcase_add_test(formulas, test_formula_transposed_2d);
    tcase_add_test(formulas, test_formula_single_element_operands);
    tcase_add_test(formulas, test_threshold_backward);
    tcase_add_test(formulas, test_walk_visits_row_major);
    suite_add_tcase(s, formulas);

#if CTORCH_FAST
    TCase *backends = ct_tcase("backends");
    tcase_add_test(backends, test_backends_unary);
    tcase_add_test(backends, test_backends_binary_compare);
    tcase_add_test(backends, test_backends_masks);
    tcase_add_test(backends, test_backends_large);
    suite_add_tcase(s, backends);
#endif

    TCase *err = ct_tcase("errors");
    tcase_add_test(err, test_errors_dtype);
    tcase_add_test(err, test_errors_masks);
    tcase_add_test(err, test_errors_broadcast);
    tcase_add_test(err, test_errors_threshold_backward);
    tcase_add_test(err, test_errors_inplace);
    tcase_add_test(err, test_errors_released_and_null);
    suite_add_tcase(s, err);
    return s;
}

int main(void) { return ct_run(suite()); }

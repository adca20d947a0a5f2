/*
 * test_random.c: common/random.c draws the same bits as libtorch 1.13.
 *
 * The golden values come from tools/gen_random_fixtures.py (tests/fixtures/random.txt). The
 * file holds small programs ("seed 42", "randn [100,3] -> name", ...); this suite runs each
 * program through ctorch and compares every output with torch's, bit for bit. Very long runs
 * are compared through a checksum of their bits (mixsum64, defined in the generator).
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ct_test.h"
#include "internal.h" /* tensor_view_of: the strided views the programs ask for */

#define DEFAULT_SEED UINT64_C(67280421310721) /* libtorch's default_rng_seed_val */

static Fixtures *fixtures(void) {
    static Fixtures *fx;
    if (!fx) fx = fixtures_load("random.txt");
    return fx;
}

/* ---- helpers ----------------------------------------------------------------------------- */

/* "[100,3]" -> SHAPE(100, 3); "[]" -> a 0-dim shape. */
static Shape parse_list(const char *tok) {
    Shape s = {0, {0}};
    ck_assert_msg(tok[0] == '[', "bad list %s", tok);
    const char *p = tok + 1;
    while (*p && *p != ']') {
        char *end;
        ck_assert_int_lt(s.ndim, TORCH_MAX_DIMS);
        s.size[s.ndim++] = strtoll(p, &end, 10);
        ck_assert_msg(end != p, "bad list %s", tok);
        p = *end == ',' ? end + 1 : end;
    }
    return s;
}

static int64_t parse_i64(const char *tok) { return strtoll(tok, NULL, 10); }
static uint64_t parse_u64(const char *tok) { return strtoull(tok, NULL, 10); }

/* Exact int64 comparison (the harness compares int64 through double, exact only < 2^53). */
static void assert_i64_eq(Tensor *actual, Tensor *expected, const char *what) {
    ck_assert_msg(actual->dtype == TORCH_INT64 && shape_equal(actual->shape, expected->shape),
                  "%s: wrong dtype or shape", what);
    int64_t n = shape_numel(expected->shape);
    for (int64_t i = 0; i < n; i++) {
        int64_t a = tensor_i64(actual)[strided_offset(actual, i)];
        int64_t e = tensor_i64(expected)[i];
        ck_assert_msg(a == e, "%s differs at flat index %" PRId64 ": got %" PRId64
                              ", expected %" PRId64, what, i, a, e);
    }
}

/* Compares an output of a program with the fixture of the same name; returns its numel. */
static int64_t check_output(const char *name, Tensor *actual) {
    Tensor *expected = fixture_tensor(fixtures(), name);
    if (expected->dtype == TORCH_INT64)
        assert_i64_eq(actual, expected, name);
    else
        ct_assert_bits_eq(actual, expected, name, __FILE__, __LINE__);
    return shape_numel(expected->shape);
}

/*
 * Runs a strided fill the way the fixture describes it: a base of base_n floats, all set to a
 * sentinel, viewed with size/stride/offset; the fill must leave every element outside the view
 * alone.
 */
static Tensor *strided_fill(bool normal, double a, double b, int64_t base_n, Shape size,
                            Shape stride, int64_t offset) {
    const float sentinel = -12345.0f;
    Tensor *base = torch_full(SHAPE(base_n), sentinel);
    Tensor *view = tensor_view_of(base, size, stride.size, offset);
    ck_assert(!torch_is_contiguous(view));
    if (normal)
        ck_assert_ptr_eq(torch_normal_(view, a, b), view);
    else
        ck_assert_ptr_eq(torch_uniform_(view, a, b), view);
    int64_t untouched = 0;
    for (int64_t i = 0; i < base_n; i++) untouched += tensor_f32(base)[i] == sentinel;
    ck_assert_int_eq(untouched, base_n - shape_numel(size));
    return view;
}

/* Executes one statement of a case program; returns the number of values it verified. */
static int64_t run_statement(const char *case_name, char **w, int nw) {
    if (strcmp(w[0], "seed") == 0) {
        ck_assert_int_eq(nw, 2);
        torch_manual_seed(parse_u64(w[1]));
        return 0;
    }
    ck_assert_msg(nw >= 3 && strcmp(w[nw - 2], "->") == 0, "%s: bad statement %s", case_name,
                  w[0]);
    const char *out = w[nw - 1], *op = w[0];
    char **a = w + 1;
    Tensor *t = NULL;
    if (strcmp(op, "rand") == 0) {
        t = torch_rand(parse_list(a[0]));
    } else if (strcmp(op, "randn") == 0) {
        t = torch_randn(parse_list(a[0]));
    } else if (strcmp(op, "randint") == 0) {
        t = torch_randint(parse_i64(a[0]), parse_i64(a[1]), parse_list(a[2]));
    } else if (strcmp(op, "randperm") == 0) {
        t = torch_randperm(parse_i64(a[0]));
    } else if (strcmp(op, "uniform_") == 0) {
        t = torch_uniform_(torch_empty(parse_list(a[2])), atof(a[0]), atof(a[1]));
    } else if (strcmp(op, "normal_") == 0) {
        t = torch_normal_(torch_empty(parse_list(a[2])), atof(a[0]), atof(a[1]));
    } else if (strcmp(op, "uniform_strided") == 0 || strcmp(op, "normal_strided") == 0) {
        t = strided_fill(op[0] == 'n', atof(a[0]), atof(a[1]), parse_i64(a[2]),
                         parse_list(a[3]), parse_list(a[4]), parse_i64(a[5]));
    } else if (strcmp(op, "initial_seed") == 0) {
        char got[32];
        snprintf(got, sizeof got, "%" PRIu64, torch_initial_seed());
        ck_assert_str_eq(got, fixture_text(fixtures(), out));
        return 1;
    } else {
        ck_abort_msg("%s: unknown operation %s", case_name, op);
    }
    return check_output(out, t);
}

/* Runs the program of one case; returns the number of values verified. */
static int64_t run_case(const char *case_name) {
    char key[160];
    snprintf(key, sizeof key, "case.%s", case_name);
    char *program = strdup(fixture_text(fixtures(), key));
    int64_t verified = 0;
    char *save_line, *save_word;
    for (char *line = strtok_r(program, "\n", &save_line); line;
         line = strtok_r(NULL, "\n", &save_line)) {
        char *w[16];
        int nw = 0;
        for (char *word = strtok_r(line, " ", &save_word); word && nw < 16;
             word = strtok_r(NULL, " ", &save_word))
            w[nw++] = word;
        if (nw > 0) verified += run_statement(case_name, w, nw);
    }
    free(program);
    return verified;
}

/* Runs every case whose name starts with prefix (at least one must exist). */
static int64_t run_cases(const char *prefix) {
    char *names = strdup(fixture_text(fixtures(), "cases"));
    int64_t verified = 0;
    int ran = 0;
    char *save;
    for (char *name = strtok_r(names, "\n", &save); name; name = strtok_r(NULL, "\n", &save)) {
        if (strncmp(name, prefix, strlen(prefix)) != 0) continue;
        verified += run_case(name);
        ran++;
    }
    free(names);
    ck_assert_msg(ran > 0, "no fixture case starts with %s", prefix);
    ck_assert_int_gt(verified, 0);
    return verified;
}

/* The prefixes the tests below run; every case in the file must match one of them. */
static const char *const case_prefixes[] = {
    "matrix_", "seed_low32", "initial_seed", "seed42_randn_100x3", "tutorial_data", "seq_",
    "strided", "randint", "randperm", "bulk_values",
};

/* The generator's checksum over float32 bit patterns (see tools/gen_random_fixtures.py). */
static uint64_t mixsum64(Tensor *t) {
    uint64_t sum = 0;
    const float *d = tensor_f32(t);
    for (int64_t i = 0, n = torch_numel(t); i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &d[i], sizeof bits);
        uint64_t z = (uint64_t)bits | ((uint64_t)i << 32);
        z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
        sum += z ^ (z >> 31);
    }
    return sum;
}

static bool same_bits(Tensor *a, Tensor *b) {
    size_t nb = (size_t)torch_numel(a) * dtype_size(a->dtype);
    return a->dtype == b->dtype && shape_equal(a->shape, b->shape) &&
           memcmp(a->storage->data, b->storage->data, nb) == 0;
}

/* ---- the default generator ------------------------------------------------------------- */

/* Must run before anything seeds (it is the suite's first test). */
START_TEST(test_default_seed) {
    ck_assert_uint_eq(torch_initial_seed(), DEFAULT_SEED);
    Tensor *unseeded = torch_rand(SHAPE(5));
    torch_manual_seed(DEFAULT_SEED);
    Tensor *seeded = torch_rand(SHAPE(5));
    ck_assert(same_bits(unseeded, seeded));
}
END_TEST

/* ---- bit-exact against torch ----------------------------------------------------------- */

START_TEST(test_seed_shape_matrix) {
    /* rand, randn, uniform_(-2, 3), normal_(0.5, 2) for every seed and shape */
    ck_assert_int_ge(run_cases("matrix_"), 10000);
}
END_TEST

START_TEST(test_seeds) {
    run_cases("seed_low32");   /* seed 5 and 2^32 + 5 give the same stream */
    run_cases("initial_seed"); /* but initial_seed reports the full 64-bit value */
    Fixtures *fx = fixtures();
    ck_assert(same_bits(fixture_tensor(fx, "low32.a"), fixture_tensor(fx, "low32.b")));
    torch_manual_seed(UINT64_MAX);
    ck_assert_uint_eq(torch_initial_seed(), UINT64_MAX);
}
END_TEST

START_TEST(test_tutorial_data) {
    run_cases("seed42_randn_100x3");
    run_cases("tutorial_data");
}
END_TEST

START_TEST(test_normal_cache_sequences) {
    /* the cached second sample: across block calls, reseeding, mean/std, other draws */
    run_cases("seq_");
}
END_TEST

START_TEST(test_strided_fills) {
    /* non-contiguous views: memory order, normal_ by the scalar path */
    run_cases("strided");
}
END_TEST

START_TEST(test_randint) { run_cases("randint"); }
END_TEST

START_TEST(test_randperm) {
    run_cases("randperm");
    /* and it is a permutation */
    torch_manual_seed(5);
    Tensor *p = torch_randperm(1000);
    bool seen[1000] = {false};
    for (int i = 0; i < 1000; i++) {
        int64_t v = tensor_i64(p)[i];
        ck_assert(v >= 0 && v < 1000 && !seen[v]);
        seen[v] = true;
    }
}
END_TEST

START_TEST(test_bulk_values) { ck_assert_int_eq(run_cases("bulk_values"), 40000); }
END_TEST

START_TEST(test_every_case_is_run) {
    char *names = strdup(fixture_text(fixtures(), "cases"));
    char *save;
    int n = 0;
    for (char *name = strtok_r(names, "\n", &save); name; name = strtok_r(NULL, "\n", &save)) {
        bool known = false;
        for (size_t i = 0; i < sizeof case_prefixes / sizeof *case_prefixes; i++)
            known |= strncmp(name, case_prefixes[i], strlen(case_prefixes[i])) == 0;
        ck_assert_msg(known, "fixture case %s is run by no test", name);
        n++;
    }
    free(names);
    ck_assert_int_ge(n, 15);
}
END_TEST

/* 1,000,003 randn then 1,000,003 uniform_(-2, 3) per seed, compared by checksum. */
START_TEST(test_bulk_checksums) {
    Fixtures *fx = fixtures();
    const uint64_t seeds[] = {0, 1, 42, 123456789};
    int64_t n = (int64_t)fixture_scalar(fx, "bulk_n");
    ck_assert_int_eq(n, 1000003);
    for (size_t k = 0; k < sizeof seeds / sizeof *seeds; k++) {
        char key[64];
        torch_manual_seed(seeds[k]);
        Tensor *a = torch_randn(SHAPE(n));
        Tensor *b = torch_uniform_(torch_empty(SHAPE(n)), -2, 3);
        snprintf(key, sizeof key, "bulk.seed%" PRIu64 ".randn_tail", seeds[k]);
        Tensor *tail = tensor_view_of(a, SHAPE(32), (int64_t[]){1}, a->offset + n - 32);
        CT_ASSERT_BITS_EQ(tail, fixture_tensor(fx, key));
        snprintf(key, sizeof key, "bulk.seed%" PRIu64 ".randn", seeds[k]);
        ck_assert_uint_eq(mixsum64(a), strtoull(fixture_text(fx, key), NULL, 10));
        snprintf(key, sizeof key, "bulk.seed%" PRIu64 ".uniform", seeds[k]);
        ck_assert_uint_eq(mixsum64(b), strtoull(fixture_text(fx, key), NULL, 10));
    }
}
END_TEST

/* ---- determinism ------------------------------------------------------------------------ */

START_TEST(test_same_seed_same_bits) {
    Tensor *first[6], *second[6];
    for (int round = 0; round < 2; round++) {
        Tensor **r = round == 0 ? first : second;
        torch_manual_seed(314159);
        r[0] = torch_rand(SHAPE(7, 3));
        r[1] = torch_randn(SHAPE(5));        /* scalar path: leaves a cached sample */
        r[2] = torch_randn(SHAPE(37));       /* block path with a tail */
        r[3] = torch_randn(SHAPE(1));        /* takes the cached sample */
        r[4] = torch_randint(-3, 1000, SHAPE(9));
        r[5] = torch_randperm(50);
    }
    for (int i = 0; i < 6; i++) ck_assert_msg(same_bits(first[i], second[i]), "result %d", i);
    torch_manual_seed(314160);
    ck_assert(!same_bits(first[0], torch_rand(SHAPE(7, 3))));
}
END_TEST

START_TEST(test_uniform_range_and_version) {
    torch_manual_seed(8);
    Tensor *t = torch_empty(SHAPE(2000));
    uint32_t version = t->storage->version;
    ck_assert_ptr_eq(torch_uniform_(t, -2, 3), t);
    ck_assert_uint_eq(t->storage->version, version + 1);
    for (int i = 0; i < 2000; i++) ck_assert(tensor_f32(t)[i] >= -2 && tensor_f32(t)[i] < 3);
    ck_assert_ptr_eq(torch_normal_(t, 0, 1), t);
    ck_assert_uint_eq(t->storage->version, version + 2);
    /* from == to is allowed and gives that value */
    torch_uniform_(t, 1.5, 1.5);
    for (int i = 0; i < 2000; i++) ck_assert_float_eq(tensor_f32(t)[i], 1.5f);
    /* std = 0 gives the mean */
    torch_normal_(t, 4, 0);
    for (int i = 0; i < 2000; i++) ck_assert_float_eq(tensor_f32(t)[i], 4.0f);
    /* empty tensors are fine and draw nothing */
    torch_manual_seed(8);
    Tensor *e = torch_randn(SHAPE(0, 3));
    ck_assert_int_eq(torch_numel(e), 0);
    Tensor *after = torch_rand(SHAPE(2));
    torch_manual_seed(8);
    ck_assert(same_bits(after, torch_rand(SHAPE(2))));
}
END_TEST

/* ---- errors ------------------------------------------------------------------------------ */

START_TEST(test_errors_randint_randperm) {
    CT_EXPECT_ERROR("torch_randint: random_ expects 'from' to be less than 'to', but got "
                    "from=5 >= to=5",
                    torch_randint(5, 5, SHAPE(3)));
    CT_EXPECT_ERROR("torch_randint: random_ expects 'from' to be less than 'to', but got "
                    "from=-3 >= to=-5",
                    torch_randint(-3, -5, SHAPE(3)));
    CT_EXPECT_ERROR("torch_randint: random_ expects 'from' to be less than 'to', but got "
                    "from=5 >= to=5",
                    torch_randint(5, 5, SHAPE(0)));
    CT_EXPECT_ERROR("torch_randint: Trying to create tensor with negative dimension -1: [-1]",
                    torch_randint(5, 5, SHAPE(-1)));
    CT_EXPECT_ERROR("torch_randperm: Trying to create tensor with negative dimension -1: [-1]",
                    torch_randperm(-1));
    CT_EXPECT_ERROR("torch_rand: Trying to create tensor with negative dimension -2: [3, -2]",
                    torch_rand(SHAPE(3, -2)));
    CT_EXPECT_ERROR("torch_randn: Trying to create tensor with negative dimension -1: [-1]",
                    torch_randn(SHAPE(-1)));
}
END_TEST

START_TEST(test_errors_uniform) {
    Tensor *t = torch_tensor(SHAPE(3), (float[]){1, 2, 3});
    CT_EXPECT_ERROR("torch_uniform_: uniform_ expects to return a [from, to) range, but found "
                    "from=2 > to=1",
                    torch_uniform_(t, 2, 1));
    CT_EXPECT_ERROR("torch_uniform_: from is out of bounds for float",
                    torch_uniform_(t, -1e39, 1));
    CT_EXPECT_ERROR("torch_uniform_: from is out of bounds for float",
                    torch_uniform_(t, NAN, 1));
    CT_EXPECT_ERROR("torch_uniform_: to is out of bounds for float",
                    torch_uniform_(t, 0, INFINITY));
    CT_EXPECT_ERROR("torch_uniform_: to is out of bounds for float",
                    torch_uniform_(t, 3, -INFINITY));
    CT_EXPECT_ERROR("torch_uniform_: uniform_ expects to-from <= "
                    "std::numeric_limits<Float>::max(), but found to=3e+38 and from=-3e+38 "
                    "which result in to-from to exceed the limit",
                    torch_uniform_(t, -3e38, 3e38));
    Tensor *l = torch_tensor_i64(SHAPE(3), (int64_t[]){1, 2, 3});
    CT_EXPECT_ERROR("torch_uniform_: \"check_uniform_bounds\" not implemented for 'Long'",
                    torch_uniform_(l, 0, 1));
    CT_EXPECT_ERROR("torch_uniform_: \"check_uniform_bounds\" not implemented for 'Bool'",
                    torch_uniform_(torch_tensor_bool(SHAPE(1), (bool[]){true}), 0, 1));
    /* an expanded view (stride 0) would write one element several times */
    Tensor *one = torch_tensor(SHAPE(1), (float[]){7});
    Tensor *expanded = tensor_view_of(one, SHAPE(3), (int64_t[]){0}, 0);
    CT_EXPECT_ERROR("torch_uniform_: unsupported operation: more than one element of the "
                    "written-to tensor refers to a single memory location. Please clone() the "
                    "tensor before performing the operation.",
                    torch_uniform_(expanded, 0, 1));
    /* nothing was changed: values and versions */
    float v[3];
    torch_to_array(t, v);
    ck_assert(v[0] == 1 && v[1] == 2 && v[2] == 3);
    ck_assert_uint_eq(t->storage->version, 0);
    ck_assert_uint_eq(one->storage->version, 0);
    ck_assert_float_eq(tensor_f32(one)[0], 7.0f);
}
END_TEST

START_TEST(test_errors_normal) {
    Tensor *t = torch_tensor(SHAPE(3), (float[]){1, 2, 3});
    CT_EXPECT_ERROR("torch_normal_: normal expects std >= 0.0, but found std -1",
                    torch_normal_(t, 0, -1));
    CT_EXPECT_ERROR("torch_normal_: normal expects std >= 0.0, but found std -1.5",
                    torch_normal_(t, 0, -1.5));
    CT_EXPECT_ERROR("torch_normal_: normal expects std >= 0.0, but found std nan",
                    torch_normal_(t, 0, NAN));
    Tensor *l = torch_tensor_i64(SHAPE(3), (int64_t[]){1, 2, 3});
    CT_EXPECT_ERROR("torch_normal_: \"normal_kernel_cpu\" not implemented for 'Long'",
                    torch_normal_(l, 0, 1));
    /* the std check comes first, as in libtorch */
    CT_EXPECT_ERROR("torch_normal_: normal expects std >= 0.0, but found std -1",
                    torch_normal_(l, 0, -1));
    Tensor *one = torch_tensor(SHAPE(1, 16), (float[16]){0});
    Tensor *expanded = tensor_view_of(one, SHAPE(3, 16), (int64_t[]){0, 1}, 0);
    CT_EXPECT_ERROR("torch_normal_: unsupported operation: more than one element of the "
                    "written-to tensor refers to a single memory location. Please clone() the "
                    "tensor before performing the operation.",
                    torch_normal_(expanded, 0, 1));
    float v[3];
    torch_to_array(t, v);
    ck_assert(v[0] == 1 && v[1] == 2 && v[2] == 3 && t->storage->version == 0);
}
END_TEST

START_TEST(test_errors_leave_stream_alone) {
    /* a failed call draws nothing: the stream continues as if it never happened */
    torch_manual_seed(77);
    Tensor *a = torch_randn(SHAPE(3)); /* leaves a cached sample */
    CT_EXPECT_ERROR("torch_randint: random_ expects 'from' to be less than 'to', but got "
                    "from=1 >= to=0",
                    torch_randint(1, 0, SHAPE(4)));
    CT_EXPECT_ERROR("torch_normal_: normal expects std >= 0.0, but found std -2",
                    torch_normal_(torch_empty(SHAPE(2)), 0, -2));
    Tensor *b = torch_randn(SHAPE(1));
    torch_manual_seed(77);
    ck_assert(same_bits(a, torch_randn(SHAPE(3))));
    ck_assert(same_bits(b, torch_randn(SHAPE(1))));
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("random");
    TCase *tc = ct_tcase("default_generator");
    tcase_add_test(tc, test_default_seed);
    suite_add_tcase(s, tc);

    tc = ct_tcase("bit_exact");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_seed_shape_matrix);
    tcase_add_test(tc, test_seeds);
    tcase_add_test(tc, test_tutorial_data);
    tcase_add_test(tc, test_normal_cache_sequences);
    tcase_add_test(tc, test_strided_fills);
    tcase_add_test(tc, test_randint);
    tcase_add_test(tc, test_randperm);
    tcase_add_test(tc, test_bulk_values);
    tcase_add_test(tc, test_every_case_is_run);
    tcase_add_test(tc, test_bulk_checksums);
    suite_add_tcase(s, tc);

    tc = ct_tcase("determinism");
    tcase_add_test(tc, test_same_seed_same_bits);
    tcase_add_test(tc, test_uniform_range_and_version);
    suite_add_tcase(s, tc);

    tc = ct_tcase("errors");
    tcase_add_test(tc, test_errors_randint_randperm);
    tcase_add_test(tc, test_errors_uniform);
    tcase_add_test(tc, test_errors_normal);
    tcase_add_test(tc, test_errors_leave_stream_alone);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

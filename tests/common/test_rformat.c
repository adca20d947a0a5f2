/* test_rformat.c: numbers printed as R's cat() prints them (golden text from real R). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ct_test.h"
#include "rformat.h"

START_TEST(test_matches_r_cat) {
    FILE *f = fopen(FIXTURE_DIR "/rformat.tsv", "r");
    ck_assert_msg(f != NULL, "cannot open rformat.tsv (run tools/gen_rformat_fixtures.R)");
    char line[256], got[64];
    int checked = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        line[strcspn(line, "\n")] = '\0';
        char *tab = strchr(line, '\t');
        ck_assert_ptr_nonnull(tab);
        *tab = '\0';
        double v = strtod(line, NULL);
        r_format_double(v, got, sizeof got);
        ck_assert_msg(strcmp(got, tab + 1) == 0, "%s (%.17g): R prints \"%s\", we print \"%s\"",
                      line, v, tab + 1, got);
        checked++;
    }
    fclose(f);
    ck_assert_int_ge(checked, 600);
}
END_TEST

START_TEST(test_special_values) {
    char got[64];
    ck_assert_str_eq(r_format_double(NAN, got, sizeof got), "NaN");
    ck_assert_str_eq(r_format_double(INFINITY, got, sizeof got), "Inf");
    ck_assert_str_eq(r_format_double(-INFINITY, got, sizeof got), "-Inf");
    ck_assert_str_eq(r_format_double(0.0, got, sizeof got), "0");
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("rformat");
    TCase *tc = ct_tcase("rformat");
    tcase_add_test(tc, test_matches_r_cat);
    tcase_add_test(tc, test_special_values);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

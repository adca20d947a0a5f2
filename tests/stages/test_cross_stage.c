/*
 * test_cross_stage.c: the cross-stage contract (docs/internals/cross-stage.md), proved on the
 * four stage programs themselves, for seeds 1, 42 and 7 and for another size (--n 64 --d-in 5
 * --hidden 16):
 *
 *   - the same data in every stage: the four train.c files hold the same lines, letter for
 *     letter, from torch_manual_seed to the end of their "generate training data" section, and
 *     a copy of those lines (ct_tutorial_data) reproduces every program's first loss bit for bit;
 *   - stage 1 = stage 2: their loss files (--csv) are identical, byte for byte;
 *   - stage 3 = stage 4 run with --optim sgd --lr 1e-4: identical loss files;
 *   - stage 2 = stage 3 started from the same weights: copies of the two training loops
 *     (tests/support/ct_tutorial_loops.c) reproduce the stage-2 and stage-3 programs' losses
 *     bit for bit, and the stage-3 loop started from stage 2's initial weights gives the
 *     stage-2 loop's losses bit for bit
 *     (tests/stages/test_modules.c also compares the final weights, for the default size);
 *   - stage 4 with its defaults (Adam, lr 0.08) ends below the final loss of stages 1 to 3;
 *   - neighbouring train.c files differ only in what the chapter changes (what `./course diff`
 *     shows): 3 -> 4 in the loss, the optimizer and their includes, stage 4 making its
 *     optimizer in one line and computing its loss in one, with no branch for --optim sgd.
 *
 * No program has a hidden flag for this: the programs run exactly as a student runs them.
 */
#include <stdlib.h>
#include <string.h>

#include "autograd.h"
#include "ct_test.h"
#include "ct_tutorial.h"
#include "ct_tutorial_loops.h"
#include "nn.h"

#if !defined(STAGE1_TRAIN) || !defined(STAGE2_TRAIN) || !defined(STAGE3_TRAIN) ||            \
    !defined(STAGE4_TRAIN) || !defined(SOURCE_ROOT)
#error "STAGE1_TRAIN ... STAGE4_TRAIN and SOURCE_ROOT must be defined by the build"
#endif

#define EPOCHS 200

/* One run of the contract: a seed and the sizes (--n, --d-in, --hidden). */
typedef struct Config {
    uint64_t seed;
    int64_t n, d_in, hidden;
} Config;

static const Config configs[] = {
    {1, 100, 3, 32},
    {42, 100, 3, 32},
    {7, 100, 3, 32},
    {1, 64, 5, 16},
};
#define N_CONFIGS ((int)(sizeof configs / sizeof configs[0]))

static const char *const train_sources[4] = {
    SOURCE_ROOT "/stage1_tensors/train.c",
    SOURCE_ROOT "/stage2_autograd/train.c",
    SOURCE_ROOT "/stage3_modules/train.c",
    SOURCE_ROOT "/stage4_losses_optim/train.c",
};

/* ---- helpers --------------------------------------------------------------------------------- */

/* A stage program's loss file: its text (malloc'ed) and the losses it holds. */
typedef struct Run {
    char *csv;
    double loss[EPOCHS];
} Run;

/* Runs program for `epochs` epochs with the config's flags plus `extra`, silently; reads its
 * CSV. */
static Run run_program(const char *program, const Config *c, int epochs, const char *extra) {
    char flags[512];
    snprintf(flags, sizeof flags, "--seed %llu --n %lld --d-in %lld --hidden %lld --epochs %d %s",
             (unsigned long long)c->seed, (long long)c->n, (long long)c->d_in,
             (long long)c->hidden, epochs, extra);
    Run run;
    /* the tests of this file run one at a time: one CSV name serves */
    run.csv = ct_program_csv(program, flags, "cross_stage_run.csv", run.loss, epochs);
    return run;
}

/* The first line on which two texts differ (1-based), or 0 if they are equal. */
static int first_different_line(const char *a, const char *b) {
    int line = 1;
    for (; *a && *a == *b; a++, b++)
        if (*a == '\n') line++;
    return *a == *b ? 0 : line;
}

static uint32_t float_bits(float v) {
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    return bits;
}

/* The programs print losses with %.9g, which gives a float back exactly. */
static void assert_same_losses(const double *program, const float *copied, int epochs,
                               const char *what, const Config *c) {
    for (int t = 0; t < epochs; t++)
        ck_assert_msg(float_bits((float)program[t]) == float_bits(copied[t]),
                      "seed %llu, n %lld: %s: epoch %d: %.9g vs %.9g", (unsigned long long)c->seed,
                      (long long)c->n, what, t + 1, program[t], (double)copied[t]);
}

/* ---- copies of the programs' lines ----------------------------------------------------------- */

/* The data lines of every train.c (test_data_lines_are_one_text checks that they are one
 * text), copied in ct_tutorial_data: torch_manual_seed, then "generate training data". */
static void chapter_data(const Config *c, Tensor **x_out, Tensor **y_out) {
    ct_tutorial_data(c->seed, c->n, c->d_in, x_out, y_out);
}

/* Stages 1 and 2's weights, drawn right after the data as their train.c draws them. */
static void tensor_weights(const Config *c, Tensor **w1, Tensor **w2, Tensor **b1, Tensor **b2) {
    ct_tutorial_tensor_weights(c->d_in, c->hidden, w1, w2, b1, b2);
}

/* Stages 3 and 4's model. */
static Module *chapter_model(const Config *c) { return ct_tutorial_model(c->d_in, c->hidden); }

/* The stage-2 and stage-3 loops copied from train.c: ct_stage2_loop and ct_stage3_loop
 * (tests/support/ct_tutorial_loops.c, shared with test_modules.c). */

/* ---- 1. the same data in every stage --------------------------------------------------------- */

/* The lines of a train.c from its torch_manual_seed call to the end of its "generate training
 * data" section (the next section comment), malloc'ed. */
static char *data_lines(const char *path) {
    char *text = ct_read_text(path);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    char *start = strstr(text, "    torch_manual_seed(");
    ck_assert_msg(start != NULL, "%s: no torch_manual_seed call", path);
    char *section = strstr(start, "/* ### generate training data");
    ck_assert_msg(section != NULL, "%s: no \"generate training data\" section", path);
    char *end = strstr(section + 1, "/* ###");
    ck_assert_msg(end != NULL, "%s: nothing after \"generate training data\"", path);
    size_t len = (size_t)(end - start);
    char *lines = malloc(len + 1);
    ck_assert_ptr_nonnull(lines);
    memcpy(lines, start, len);
    lines[len] = '\0';
    free(text);
    return lines;
}

START_TEST(test_data_lines_are_one_text) {
    char *first = data_lines(train_sources[0]);
    ck_assert_ptr_nonnull(strstr(first, "Tensor *x = torch_randn(SHAPE(n, d_in));"));
    ck_assert_ptr_nonnull(strstr(first, "torch_randn(SHAPE(n, 1))"));
    for (int k = 1; k < 4; k++) {
        char *other = data_lines(train_sources[k]);
        ck_assert_msg(strcmp(first, other) == 0,
                      "the data lines of %s differ from %s's at their line %d", train_sources[k],
                      train_sources[0], first_different_line(first, other));
        free(other);
    }
    free(first);
}
END_TEST

/* The first loss (before any update) of each program, from the data lines copied here: stages
 * 1 and 2 with their torch_randn weights, stages 3 and 4 with nn_linear's, bit for bit. So
 * every program trains on the data drawn here. */
START_TEST(test_first_loss_from_the_same_data) {
    const Config *c = &configs[_i];
    Tensor *x, *y, *w1, *w2, *b1, *b2;
    chapter_data(c, &x, &y);
    tensor_weights(c, &w1, &w2, &b1, &b2);
    Tensor *h_relu = torch_clamp_min(torch_add(torch_mm(x, w1), b1), 0);
    Tensor *y_pred = torch_add(torch_mm(h_relu, w2), b2);
    float tensors_first = torch_item(torch_sum(torch_pow(torch_sub(y_pred, y), 2)));

    chapter_data(c, &x, &y);
    Module *model = chapter_model(c);
    float modules_first = torch_item(torch_sum(torch_pow(torch_sub(nn_forward(model, x), y), 2)));
    nn_free(model);

    const char *programs[4] = {STAGE1_TRAIN, STAGE2_TRAIN, STAGE3_TRAIN, STAGE4_TRAIN};
    for (int k = 0; k < 4; k++) {
        Run run = run_program(programs[k], c, 1, "");
        char what[64];
        snprintf(what, sizeof what, "stage %d's first loss", k + 1);
        assert_same_losses(run.loss, k < 2 ? &tensors_first : &modules_first, 1, what, c);
        free(run.csv);
    }
}
END_TEST

/* Two stage programs run with config c (b with extra flags) write the same CSV, byte for byte. */
static void assert_same_csv(const char *a, const char *b, const char *b_flags, const Config *c,
                            const char *what) {
    Run ra = run_program(a, c, EPOCHS, ""), rb = run_program(b, c, EPOCHS, b_flags);
    ck_assert_msg(strcmp(ra.csv, rb.csv) == 0, "seed %llu, n %lld: %s differ at line %d",
                  (unsigned long long)c->seed, (long long)c->n, what,
                  first_different_line(ra.csv, rb.csv));
    free(ra.csv);
    free(rb.csv);
}

/* ---- 2. stage 1 = stage 2 -------------------------------------------------------------------- */

START_TEST(test_stage1_is_stage2) {
    assert_same_csv(STAGE1_TRAIN, STAGE2_TRAIN, "", &configs[_i], "stage 1's and stage 2's CSVs");
}
END_TEST

/* ---- 3. stage 3 = stage 4 with SGD ----------------------------------------------------------- */

START_TEST(test_stage3_is_stage4_with_sgd) {
    assert_same_csv(STAGE3_TRAIN, STAGE4_TRAIN, "--optim sgd --lr 1e-4", &configs[_i],
                    "stage 3's and stage 4 (sgd)'s CSVs");
}
END_TEST

/* ---- 4. stage 2 = stage 3 from the same weights ---------------------------------------------- */

START_TEST(test_stage2_is_stage3_from_the_same_weights) {
    const Config *c = &configs[_i];
    /* the copied stage-2 loop is the stage-2 program */
    Tensor *x, *y, *w1, *w2, *b1, *b2;
    chapter_data(c, &x, &y);
    tensor_weights(c, &w1, &w2, &b1, &b2);
    /* a model holding the same initial weights (nn_linear stores its weight as (out, in)) */
    Module *same = chapter_model(c);
    ct_tutorial_model_from_weights(same, w1, w2, b1, b2);
    float loss2[EPOCHS], loss3_same[EPOCHS], loss3[EPOCHS];
    ct_stage2_loop(x, y, w1, w2, b1, b2, EPOCHS, loss2);
    Run s2 = run_program(STAGE2_TRAIN, c, EPOCHS, "");
    assert_same_losses(s2.loss, loss2, EPOCHS, "stage 2 program vs its copied loop", c);

    /* the copied stage-3 loop is the stage-3 program */
    Tensor *x3, *y3;
    chapter_data(c, &x3, &y3);
    Module *model = chapter_model(c);
    ct_stage3_loop(x3, y3, model, EPOCHS, loss3);
    Run s3 = run_program(STAGE3_TRAIN, c, EPOCHS, "");
    assert_same_losses(s3.loss, loss3, EPOCHS, "stage 3 program vs its copied loop", c);

    /* and the stage-3 loop from stage 2's weights trains exactly as stage 2 */
    ct_stage3_loop(x, y, same, EPOCHS, loss3_same);
    for (int t = 0; t < EPOCHS; t++)
        ck_assert_msg(float_bits(loss2[t]) == float_bits(loss3_same[t]),
                      "seed %llu, n %lld: epoch %d: stage 2 %.9g, stage 3 from its weights %.9g",
                      (unsigned long long)c->seed, (long long)c->n, t + 1, (double)loss2[t],
                      (double)loss3_same[t]);
    nn_free(same);
    nn_free(model);
    free(s2.csv);
    free(s3.csv);
}
END_TEST

/* ---- 5. Adam ends lowest --------------------------------------------------------------------- */

START_TEST(test_adam_ends_below_every_other_stage) {
    const Config *c = &configs[_i];
    Run adam = run_program(STAGE4_TRAIN, c, EPOCHS, "");
    const char *programs[3] = {STAGE1_TRAIN, STAGE2_TRAIN, STAGE3_TRAIN};
    for (int k = 0; k < 3; k++) {
        Run other = run_program(programs[k], c, EPOCHS, "");
        ck_assert_msg(adam.loss[EPOCHS - 1] < other.loss[EPOCHS - 1],
                      "seed %llu, n %lld: stage 4 (Adam) ends at %.9g, stage %d at %.9g",
                      (unsigned long long)c->seed, (long long)c->n, adam.loss[EPOCHS - 1], k + 1,
                      other.loss[EPOCHS - 1]);
        free(other.csv);
    }
    fprintf(stderr, "# seed %llu, n %lld, d_in %lld, hidden %lld: stage 4 (Adam) final loss %.9g\n",
            (unsigned long long)c->seed, (long long)c->n, (long long)c->d_in,
            (long long)c->hidden, adam.loss[EPOCHS - 1]);
    free(adam.csv);
}
END_TEST

/* ---- 6. neighbouring train.c files differ only in what the chapter changes ------------------ */

/* What a chapter may change in its train.c, from the stage before. A line is placed by the
 * section comment it follows ("### NAME ---"); lines before the first one are in "set-up",
 * lines after the training loop's torch_scope_end() in "closing". */
typedef struct ChapterChange {
    const char *includes[4]; /* headers the chapter may add or drop */
    const char *sections[6]; /* sections whose lines may change */
    const char *closing[2];  /* lines it may add or drop after the loop */
} ChapterChange;

static const ChapterChange chapter_changes[3] = {
    /* 1 -> 2, autograd: the weights ask for gradients, backward() replaces the chain rule */
    {{"autograd.h"}, {"initialize weights", "compute loss", "Backpropagation", "Update weights"},
     {NULL}},
    /* 2 -> 3, modules: one model holds the weights and does the forward pass */
    {{"nn.h"},
     {"initialize weights", "define the network", "Forward pass", "Backpropagation",
      "Update weights"},
     {"nn_free(model);"}},
    /* 3 -> 4, losses and optimizers: the loss, the optimizer and their includes */
    {{"losses.h", "optim.h", "train_optim.h"},
     {"network parameters", "compute loss", "Backpropagation", "Update weights"},
     {"optim_free(optimizer);"}},
};

#define MAX_LINES 400

/* A train.c as lines (pointers into its text, each ended by '\0'), with each line's place:
 * "include NAME", a section's name, "set-up" or "closing". */
typedef struct Source {
    char *text;
    char stub[8]; /* the exercise whose region in this file is still a stub, or "" */
    int count;
    char *line[MAX_LINES];
    char place[MAX_LINES][64];
} Source;

/* The line without its leading spaces. */
static const char *trimmed(const char *line) {
    while (*line == ' ') line++;
    return line;
}

/* A section comment's name ("### -------- Forward pass --------" -> "Forward pass"); false if
 * the line is not one. */
static bool section_name(const char *line, char *name, size_t size) {
    const char *p = trimmed(line);
    if (strncmp(p, "/* ###", 6) != 0) return false;
    p += 6;
    while (*p == ' ' || *p == '-') p++;
    size_t len = strlen(p);
    while (len > 0 && strchr(" -*/", p[len - 1])) len--;
    snprintf(name, size, "%.*s", (int)len, p);
    return true;
}

static Source *source_read(const char *path) {
    Source *src = calloc(1, sizeof *src);
    ck_assert_ptr_nonnull(src);
    src->text = ct_read_text(path);
    ck_assert_msg(src->text != NULL, "cannot read %s", path);
    char place[64] = "set-up";
    for (char *p = src->text; *p;) {
        ck_assert_msg(src->count < MAX_LINES, "%s: more than %d lines", path, MAX_LINES);
        char *end = strchr(p, '\n');
        if (end) *end = '\0';
        const char *t = trimmed(p);
        /* exercise markers differ between stages (1.6, 2.8, ...): not part of the program */
        bool comment = strncmp(t, "/* ", 3) == 0;
        if (comment && (strncmp(t + 3, "BEGIN EXERCISE ", 15) == 0 ||
                        strncmp(t + 3, "END EXERCISE ", 13) == 0)) {
            if (!end) break;
            p = end + 1;
            continue;
        }
        const char *stub = strstr(t, "torch_error(\"exercise ");
        if (stub) sscanf(stub + 21, "%7[0-9.]", src->stub);
        char name[64];
        if (section_name(p, name, sizeof name)) snprintf(place, sizeof place, "%s", name);
        if (strncmp(t, "#include ", 9) == 0)
            snprintf(src->place[src->count], sizeof src->place[0], "include %.*s",
                     (int)strcspn(t + 10, "\">"), t + 10);
        else snprintf(src->place[src->count], sizeof src->place[0], "%s", place);
        if (strcmp(t, "torch_scope_end();") == 0) snprintf(place, sizeof place, "closing");
        src->line[src->count++] = p;
        if (!end) break;
        p = end + 1;
    }
    return src;
}

static void source_free(Source *src) {
    free(src->text);
    free(src);
}

static bool listed(const char *const *names, int n, const char *name) {
    for (int i = 0; i < n && names[i]; i++)
        if (strcmp(names[i], name) == 0) return true;
    return false;
}

/* May the chapter change this line of either file (its place there)? Blank lines may move. */
static bool chapter_may_change(const ChapterChange *c, const Source *src, int i) {
    const char *place = src->place[i], *t = trimmed(src->line[i]);
    if (*t == '\0') return true;
    /* an exercise's marker lines name their chapter's exercise, so they differ in every stage
     * (the words are apart here, so that this line is no marker itself) */
    if ((strncmp(t, "/* BEGIN ", 9) == 0 || strncmp(t, "/* END ", 7) == 0) &&
        strncmp(t + (t[3] == 'B' ? 9 : 7), "EXERCISE ", 9) == 0)
        return true;
    if (strncmp(place, "include ", 8) == 0) return listed(c->includes, 4, place + 8);
    if (strcmp(place, "closing") == 0) return listed(c->closing, 2, t);
    return listed(c->sections, 6, place);
}

/* The lines of a and b outside their longest common subsequence: kept[i] is false for a line
 * of a that the diff removes (same for b, added). */
static void diff_lines(const Source *a, const Source *b, bool *kept_a, bool *kept_b) {
    int n = a->count, m = b->count;
    int *lcs = calloc((size_t)(n + 1) * (size_t)(m + 1), sizeof *lcs); /* lcs of a[i..], b[j..] */
    ck_assert_ptr_nonnull(lcs);
#define LCS(i, j) lcs[(size_t)(i) * (size_t)(m + 1) + (size_t)(j)]
    for (int i = n - 1; i >= 0; i--)
        for (int j = m - 1; j >= 0; j--)
            LCS(i, j) = strcmp(a->line[i], b->line[j]) == 0 ? LCS(i + 1, j + 1) + 1
                        : LCS(i + 1, j) >= LCS(i, j + 1)   ? LCS(i + 1, j)
                                                           : LCS(i, j + 1);
    memset(kept_a, 0, (size_t)n * sizeof *kept_a);
    memset(kept_b, 0, (size_t)m * sizeof *kept_b);
    for (int i = 0, j = 0; i < n && j < m;) {
        if (strcmp(a->line[i], b->line[j]) == 0) kept_a[i++] = kept_b[j++] = true;
        else if (LCS(i + 1, j) >= LCS(i, j + 1)) i++;
        else j++;
    }
#undef LCS
    free(lcs);
}

/* Every line the diff from stage _i + 1 to stage _i + 2 removes or adds is one the chapter may
 * change: so the header comment, the train_options line, the data and the loop's frame agree. */
START_TEST(test_neighbours_differ_in_the_chapter_alone) {
    const ChapterChange *c = &chapter_changes[_i];
    Source *a = source_read(train_sources[_i]), *b = source_read(train_sources[_i + 1]);
    /* a student copy's stub in either file: the chapters' code cannot be compared yet */
    const char *stub = a->stub[0] ? a->stub : b->stub;
    ck_assert_msg(stub[0] == '\0', "stage %d -> %d: exercise %s: not implemented yet (its train.c "
                  "region is a stub)", _i + 1, _i + 2, stub);
    static bool kept_a[MAX_LINES], kept_b[MAX_LINES];
    diff_lines(a, b, kept_a, kept_b);
    int changed = 0;
    for (int side = 0; side < 2; side++) {
        const Source *src = side ? b : a;
        const bool *kept = side ? kept_b : kept_a;
        for (int i = 0; i < src->count; i++) {
            if (kept[i]) continue;
            changed++;
            ck_assert_msg(chapter_may_change(c, src, i),
                          "stage %d -> %d: %s line %d (%s) is not what chapter %d changes: %s",
                          _i + 1, _i + 2, train_sources[_i + side], i + 1, src->place[i], _i + 2,
                          src->line[i]);
        }
    }
    ck_assert_msg(changed > 0, "stage %d -> %d: no difference at all", _i + 1, _i + 2);
    source_free(a);
    source_free(b);
}
END_TEST

/* The code lines (not comments) of a source that mention `word`. */
static int code_lines_with(const Source *src, const char *word, int *first) {
    int count = 0;
    for (int i = 0; i < src->count; i++) {
        const char *t = trimmed(src->line[i]);
        if (t[0] == '/' || t[0] == '*' || !strstr(t, word)) continue;
        if (count++ == 0) *first = i;
    }
    return count;
}

/* R's `optimizer <- optim_adam(model$parameters, lr = learning_rate)` and
 * `loss <- nnf_mse_loss(y_pred, y, reduction = "sum")` are one line each in stage 4, and
 * --optim sgd takes no branch there: optim_sgd comes from the harness. */
START_TEST(test_stage4_optimizer_and_loss_are_one_line_each) {
    Source *src = source_read(train_sources[3]);
    int line = -1;
    ck_assert_int_eq(code_lines_with(src, "optim_adam", &line), 1);
    ck_assert_ptr_nonnull(strstr(src->line[line], "Optimizer *optimizer = "));
    ck_assert_ptr_nonnull(strstr(src->line[line], "(nn_parameters(model), learning_rate)"));
    ck_assert_int_eq(code_lines_with(src, "nnf_mse_loss", &line), 1);
    ck_assert_ptr_nonnull(strstr(src->line[line], "Tensor *loss = nnf_mse_loss(y_pred, y, "));
    ck_assert_ptr_nonnull(strstr(src->line[line], "\"sum\""));
    ck_assert_int_eq(code_lines_with(src, "optim_sgd", &line), 0);
    ck_assert_int_eq(code_lines_with(src, "strcmp", &line), 0);
    source_free(src);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("cross_stage");
    TCase *tc = ct_tcase("cross_stage");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_data_lines_are_one_text);
    tcase_add_loop_test(tc, test_first_loss_from_the_same_data, 0, N_CONFIGS);
    tcase_add_loop_test(tc, test_stage1_is_stage2, 0, N_CONFIGS);
    tcase_add_loop_test(tc, test_stage3_is_stage4_with_sgd, 0, N_CONFIGS);
    tcase_add_loop_test(tc, test_stage2_is_stage3_from_the_same_weights, 0, N_CONFIGS);
    tcase_add_loop_test(tc, test_adam_ends_below_every_other_stage, 0, N_CONFIGS);
    tcase_add_loop_test(tc, test_neighbours_differ_in_the_chapter_alone, 0, 3);
    tcase_add_test(tc, test_stage4_optimizer_and_loss_are_one_line_each);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

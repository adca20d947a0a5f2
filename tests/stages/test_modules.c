/*
 * test_modules.c: chapter 3, modules, against PyTorch 1.13 (tests/fixtures/stage3.txt, made by
 * tools/gen_stage3_fixtures.py) and against stage 2.
 *
 *   - nn_linear's initialization, bit for bit, alone and inside nn_sequential;
 *   - forward, loss and every parameter's gradient of the chapter's network;
 *   - zero_grad, parameter names, printing as R torch prints a module;
 *   - stage 3 started from stage 2's weights gives stage 2's losses bit for bit;
 *   - the stage-3 program's trajectory against PyTorch's chapter-3 loop;
 *   - a custom module written as the chapter writes my_linear;
 *   - errors with their exact messages, and memory that stays flat.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "autograd.h"
#include "ct_test.h"
#include "ct_tutorial.h"
#include "ct_tutorial_loops.h"
#include "nn.h"

#ifndef STAGE2_TRAIN
#error "STAGE2_TRAIN must be defined by the build"
#endif
#ifndef STAGE3_TRAIN
#error "STAGE3_TRAIN must be defined by the build"
#endif

#define EPOCHS 200
static const char *const chapter_names[4] = {"0.weight", "0.bias", "2.weight", "2.bias"};

/* ---- helpers --------------------------------------------------------------------------------- */

/* The chapter's network, as stage3_modules/train.c builds it. */
static Module *chapter_model(void) { return ct_tutorial_model(3, 32); }

/* The data lines shared by every stage's train.c (the chapter's size). */
static void chapter_data(uint64_t seed, Tensor **x_out, Tensor **y_out) {
    ct_tutorial_data(seed, 100, 3, x_out, y_out);
}

/* Overwrites a parameter's values (R: with_no_grad(p$copy_(value))). */
static void set_parameter(Tensor *p, Tensor *value) { with_no_grad(torch_copy_(p, value)); }

/* The text nn_fprint writes, malloc'ed. */
static char *print_text(Module *m) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    nn_fprint(f, m);
    fclose(f);
    return text;
}

static uint32_t float_bits(float v) {
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

/* Runs a stage program with --every 0 and reads its CSV: 200 losses. */
static void run_program(const char *program, const char *tag, int seed, double *loss) {
    char flags[64], csv[64];
    snprintf(csv, sizeof csv, "modules_%s_seed%d.csv", tag, seed);
    snprintf(flags, sizeof flags, "--seed %d", seed);
    ct_program_losses(program, flags, csv, loss, EPOCHS);
}

/* The autograd graph below fn as the fixture writes it: one node name a line, indented two
 * spaces a level, "None" for an input that needs no grad. */
static void graph_text(const GradFn *fn, int depth, char *out, size_t len) {
    size_t used = strlen(out);
    snprintf(out + used, len - used, "%*s%s\n", 2 * depth, "", fn ? grad_fn_name(fn) : "None");
    if (!fn) return;
    for (int i = 0; i < grad_fn_num_next(fn); i++)
        graph_text(grad_fn_next(fn, i), depth + 1, out, len);
}

/* ---- 1. nn_linear's initialization, bit for bit ---------------------------------------------- */

/* nn_linear(in, out) right after torch_manual_seed(seed) draws exactly torch.nn.Linear's
 * weight, then bias, and leaves the random stream where PyTorch leaves it. */
START_TEST(test_linear_init_matches_pytorch) {
    Fixtures *fx = fixtures_load("stage3.txt");
    const int64_t sizes[][2] = {{3, 32}, {32, 1}, {7, 1000}, {1, 1}, {5, 0}, {0, 5}, {100, 3}};
    const uint64_t seeds[] = {1, 42, 123456789};
    for (size_t s = 0; s < 3; s++) {
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            char key[96], name[128];
            snprintf(key, sizeof key, "linear_s%llu_%lldx%lld", (unsigned long long)seeds[s],
                     (long long)sizes[k][0], (long long)sizes[k][1]);
            torch_manual_seed(seeds[s]);
            Module *linear = nn_linear(sizes[k][0], sizes[k][1]);
            snprintf(name, sizeof name, "%s_weight", key);
            CT_ASSERT_BITS_EQ(nn_get_parameter(linear, "weight"), fixture_tensor(fx, name));
            snprintf(name, sizeof name, "%s_bias", key);
            CT_ASSERT_BITS_EQ(nn_get_parameter(linear, "bias"), fixture_tensor(fx, name));
            snprintf(name, sizeof name, "%s_next", key);
            CT_ASSERT_BITS_EQ(torch_randn(SHAPE(3)), fixture_tensor(fx, name));
            ck_assert(torch_requires_grad(nn_get_parameter(linear, "weight")));
            ck_assert(torch_is_leaf(nn_get_parameter(linear, "bias")));
            nn_free(linear);
        }
    }
    fixtures_free(fx);
}
END_TEST

/* Consecutive modules continue the stream: the chapter's nn_sequential is nn.Sequential. */
START_TEST(test_sequential_init_matches_pytorch) {
    Fixtures *fx = fixtures_load("stage3.txt");
    const uint64_t seeds[] = {1, 42, 123456789};
    for (size_t s = 0; s < 3; s++) {
        torch_manual_seed(seeds[s]);
        Module *model = chapter_model();
        ParameterList params = nn_parameters(model);
        ck_assert_int_eq(params.count, 4);
        for (int i = 0; i < 4; i++) {
            char name[96];
            snprintf(name, sizeof name, "seq_s%llu_%s", (unsigned long long)seeds[s],
                     chapter_names[i]);
            ck_assert_str_eq(params.names[i], chapter_names[i]);
            CT_ASSERT_BITS_EQ(params.items[i], fixture_tensor(fx, name));
        }
        nn_free(model);
    }
    fixtures_free(fx);
}
END_TEST

/* The chapter's order: data drawn first, then the model from the same stream. */
START_TEST(test_data_then_model_matches_pytorch) {
    Fixtures *fx = fixtures_load("stage3.txt");
    for (int seed = 1; seed <= 42; seed += 41) {
        char name[96];
        Tensor *x, *y;
        chapter_data((uint64_t)seed, &x, &y);
        Module *model = chapter_model();
        snprintf(name, sizeof name, "chapter_s%d_x", seed);
        CT_ASSERT_BITS_EQ(x, fixture_tensor(fx, name));
        snprintf(name, sizeof name, "chapter_s%d_y", seed);
        CT_ASSERT_BITS_EQ(y, fixture_tensor(fx, name));
        ParameterList params = nn_parameters(model);
        for (int i = 0; i < 4; i++) {
            snprintf(name, sizeof name, "chapter_s%d_%s", seed, chapter_names[i]);
            CT_ASSERT_BITS_EQ(params.items[i], fixture_tensor(fx, name));
        }
        nn_free(model);
    }
    fixtures_free(fx);
}
END_TEST

/* ---- 2. forward and gradients ---------------------------------------------------------------- */

/* One forward, the hand-written loss and backward, on PyTorch's data and weights. */
START_TEST(test_forward_and_gradients_match_pytorch) {
    Fixtures *fx = fixtures_load("stage3.txt");
    for (int seed = 1; seed <= 42; seed += 41) {
        char name[96];
        Module *model = chapter_model();
        ParameterList params = nn_parameters(model);
        for (int i = 0; i < 4; i++) {
            snprintf(name, sizeof name, "chapter_s%d_%s", seed, chapter_names[i]);
            set_parameter(params.items[i], fixture_tensor(fx, name));
        }
        snprintf(name, sizeof name, "chapter_s%d_x", seed);
        Tensor *x = fixture_tensor(fx, name);
        snprintf(name, sizeof name, "chapter_s%d_y", seed);
        Tensor *y = fixture_tensor(fx, name);

        Tensor *y_pred = nn_forward(model, x);
        ck_assert_str_eq(grad_fn_name(torch_grad_fn(y_pred)), "AddmmBackward0");
        char graph[2048] = "";
        graph_text(torch_grad_fn(y_pred), 0, graph, sizeof graph);
        ck_assert_str_eq(graph, fixture_text(fx, "chapter_graph"));
        Tensor *loss = torch_sum(torch_pow(torch_sub(y_pred, y), 2));
        torch_backward(loss);

        snprintf(name, sizeof name, "chapter_s%d_y_pred", seed);
        CT_ASSERT_CLOSE(y_pred, fixture_tensor(fx, name), 1e-5, 0);
        snprintf(name, sizeof name, "chapter_s%d_loss", seed);
        CT_ASSERT_CLOSE(loss, fixture_tensor(fx, name), 1e-5, 0);
        for (int i = 0; i < 4; i++) {
            snprintf(name, sizeof name, "chapter_s%d_grad_%s", seed, chapter_names[i]);
            Tensor *grad = torch_grad(params.items[i]);
            ck_assert_msg(grad != NULL, "%s has no grad", chapter_names[i]);
            CT_ASSERT_CLOSE(grad, fixture_tensor(fx, name), 1e-5, 1e-6);
        }
        nn_free(model);
    }
    fixtures_free(fx);
}
END_TEST

/* model$parameters: names and shapes in order; 161 numbers; the list is the parameters
 * themselves (not copies) and is reused between calls. */
START_TEST(test_parameters_names_shapes_count) {
    Module *model = chapter_model();
    ParameterList params = nn_parameters(model);
    ck_assert_int_eq(params.count, 4);
    const Shape shapes[4] = {SHAPE(32, 3), SHAPE(32), SHAPE(1, 32), SHAPE(1)};
    for (int i = 0; i < 4; i++) {
        ck_assert_str_eq(params.names[i], chapter_names[i]);
        ck_assert(shape_equal(torch_shape(params.items[i]), shapes[i]));
        ck_assert(torch_requires_grad(params.items[i]));
    }
    ck_assert_ptr_eq(params.items[0], nn_get_parameter(model->children[0], "weight"));
    ck_assert_ptr_eq(params.items[3], nn_get_parameter(model->children[2], "bias"));
    ck_assert_int_eq(nn_num_parameters(model), 161);
    ck_assert_int_eq(nn_num_parameters(model->children[1]), 0);
    ck_assert_int_eq(model->n_children, 3);
    ck_assert_str_eq(model->child_names[2], "2");
    ck_assert_str_eq(model->class_name, "nn_sequential");
    ck_assert_str_eq(model->children[1]->class_name, "nn_relu");
    ParameterList again = nn_parameters(model);
    ck_assert_ptr_eq(again.items, params.items);
    ck_assert_int_eq(nn_parameters(model->children[1]).count, 0);
    nn_free(model);
}
END_TEST

/* A module made inside a scope outlives the scope: its parameters are kept. */
START_TEST(test_module_outlives_its_scope) {
    torch_manual_seed(1);
    torch_scope_begin();
    Module *model = chapter_model();
    torch_scope_end();
    Tensor *y_pred = nn_forward(model, torch_randn(SHAPE(5, 3)));
    ck_assert(shape_equal(torch_shape(y_pred), SHAPE(5, 1)));
    nn_free(model);
}
END_TEST

/* ---- 3. zero_grad ---------------------------------------------------------------------------- */

/* Gradients accumulate (+=) until zero_grad: two backwards without it give twice the
 * gradient; zero_grad sets every one to 0. */
START_TEST(test_zero_grad_and_accumulation) {
    Tensor *x, *y;
    chapter_data(1, &x, &y);
    Module *model = chapter_model();
    nn_zero_grad(model); /* before any backward: nothing to zero, no error */
    ParameterList params = nn_parameters(model);
    for (int i = 0; i < 4; i++) ck_assert_ptr_null(torch_grad(params.items[i]));

    torch_backward(torch_sum(torch_pow(torch_sub(nn_forward(model, x), y), 2)));
    Tensor *once[4];
    for (int i = 0; i < 4; i++) once[i] = torch_clone(torch_grad(params.items[i]));
    torch_backward(torch_sum(torch_pow(torch_sub(nn_forward(model, x), y), 2)));
    for (int i = 0; i < 4; i++)
        CT_ASSERT_BITS_EQ(torch_grad(params.items[i]), torch_mul_scalar(once[i], 2));

    nn_zero_grad(model);
    for (int i = 0; i < 4; i++) {
        Tensor *g = torch_grad(params.items[i]);
        ck_assert_ptr_nonnull(g);
        CT_ASSERT_BITS_EQ(g, torch_zeros(torch_shape(params.items[i])));
    }
    /* after zero_grad, one backward gives the single gradient again */
    torch_backward(torch_sum(torch_pow(torch_sub(nn_forward(model, x), y), 2)));
    for (int i = 0; i < 4; i++) CT_ASSERT_BITS_EQ(torch_grad(params.items[i]), once[i]);
    nn_free(model);
}
END_TEST

/* ---- 4. stage 2 and stage 3 agree ------------------------------------------------------------ */

/* The stage-2 loop copied into this file is the stage-2 program (bit for bit). */
START_TEST(test_stage2_copy_is_stage2_program) {
    double program[EPOCHS];
    run_program(STAGE2_TRAIN, "stage2", 1, program);
    Tensor *x, *y, *w1, *w2, *b1, *b2;
    chapter_data(1, &x, &y);
    ct_tutorial_tensor_weights(3, 32, &w1, &w2, &b1, &b2);
    float losses[EPOCHS];
    ct_stage2_loop(x, y, w1, w2, b1, b2, EPOCHS, losses);
    for (int t = 0; t < EPOCHS; t++)
        ck_assert_msg(float_bits((float)program[t]) == float_bits(losses[t]),
                      "epoch %d: stage 2 program %.9g, copied loop %.9g", t + 1, program[t],
                      (double)losses[t]);
}
END_TEST

/* Stage 3 started from stage 2's initial weights (w1^T, b1, w2^T, b2) trains exactly as
 * stage 2: every epoch's loss and the final weights, bit for bit. */
static void check_stage3_is_stage2(uint64_t seed) {
    Tensor *x, *y, *w1, *w2, *b1, *b2;
    chapter_data(seed, &x, &y);
    ct_tutorial_tensor_weights(3, 32, &w1, &w2, &b1, &b2);

    Module *model = chapter_model();
    ParameterList params = nn_parameters(model);
    ct_tutorial_model_from_weights(model, w1, w2, b1, b2);

    float loss2[EPOCHS], loss3[EPOCHS];
    ct_stage2_loop(x, y, w1, w2, b1, b2, EPOCHS, loss2);
    ct_stage3_loop(x, y, model, EPOCHS, loss3);
    for (int t = 0; t < EPOCHS; t++)
        ck_assert_msg(float_bits(loss2[t]) == float_bits(loss3[t]),
                      "seed %llu epoch %d: stage 2 loss %.9g, stage 3 loss %.9g",
                      (unsigned long long)seed, t + 1, (double)loss2[t], (double)loss3[t]);
    CT_ASSERT_BITS_EQ(params.items[0], torch_t(w1));
    CT_ASSERT_BITS_EQ(params.items[1], torch_reshape(b1, SHAPE(32)));
    CT_ASSERT_BITS_EQ(params.items[2], torch_t(w2));
    CT_ASSERT_BITS_EQ(params.items[3], torch_reshape(b2, SHAPE(1)));
    nn_free(model);
}

START_TEST(test_stage3_from_stage2_weights_seed1) { check_stage3_is_stage2(1); }
END_TEST

START_TEST(test_stage3_from_stage2_weights_seed42) { check_stage3_is_stage2(42); }
END_TEST

/* ---- 5. the stage-3 program against PyTorch -------------------------------------------------- */

/* The program's losses equal the loop copied here bit for bit, and PyTorch's chapter-3 loop
 * within 1e-5 relative at every epoch. */
static void check_trajectory(int seed) {
    double program[EPOCHS];
    run_program(STAGE3_TRAIN, "stage3", seed, program);

    Tensor *x, *y;
    chapter_data((uint64_t)seed, &x, &y);
    Module *model = chapter_model();
    float copied[EPOCHS];
    ct_stage3_loop(x, y, model, EPOCHS, copied);
    nn_free(model);

    Fixtures *fx = fixtures_load("stage3.txt");
    char name[64];
    snprintf(name, sizeof name, "chapter_s%d_losses", seed);
    float want[EPOCHS];
    Tensor *golden = fixture_tensor(fx, name);
    ck_assert_int_eq(torch_numel(golden), EPOCHS);
    torch_to_array(golden, want);
    for (int t = 0; t < EPOCHS; t++)
        ck_assert_msg(float_bits((float)program[t]) == float_bits(copied[t]),
                      "seed %d epoch %d: program %.9g, copied loop %.9g", seed, t + 1, program[t],
                      (double)copied[t]);
    ct_assert_near_pytorch(program, want, EPOCHS, 1e-5, seed);
    fixtures_free(fx);
}

START_TEST(test_trajectory_seed1_matches_pytorch) { check_trajectory(1); }
END_TEST

START_TEST(test_trajectory_seed42_matches_pytorch) { check_trajectory(42); }
END_TEST

/* The program's flags: other sizes give the copied loop's losses bit for bit, one thread
 * gives the same losses as every core, progress lines are R's, stage 4's flags are refused. */
START_TEST(test_program_sizes_and_threads) {
    double program[30];
    ct_program_losses(STAGE3_TRAIN, "--seed 5 --n 50 --d-in 5 --hidden 8 --epochs 30", "sized.csv",
                      program, 30);
    Tensor *x, *y;
    ct_tutorial_data(5, 50, 5, &x, &y);
    Module *model = ct_tutorial_model(5, 8);
    float copied[30];
    ct_stage3_loop(x, y, model, 30, copied);
    nn_free(model);
    for (int t = 0; t < 30; t++)
        ck_assert_msg(float_bits((float)program[t]) == float_bits(copied[t]),
                      "epoch %d: program %.9g, copied loop %.9g", t + 1, program[t],
                      (double)copied[t]);

    double all_cores[EPOCHS], one_thread[EPOCHS];
    run_program(STAGE3_TRAIN, "cores", 1, all_cores);
    ct_program_losses(STAGE3_TRAIN, "--threads 1", "one_thread.csv", one_thread, EPOCHS);
    for (int t = 0; t < EPOCHS; t++) ck_assert(all_cores[t] == one_thread[t]);
}
END_TEST

START_TEST(test_program_progress_and_flags) {
    char cmd[1024], *out;
    ct_check_progress_lines(STAGE3_TRAIN, "progress.csv");

    snprintf(cmd, sizeof cmd, "%s --optim sgd 2>&1 >/dev/null", STAGE3_TRAIN);
    ck_assert_int_eq(ct_system(cmd, &out), 2);
    ck_assert_str_eq(out, "stage3_modules/train: unknown flag '--optim' (see --help)\n");
    free(out);
    snprintf(cmd, sizeof cmd, "%s --help", STAGE3_TRAIN);
    ck_assert_int_eq(ct_system(cmd, &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: stage3_modules/train [--seed S]"));
    free(out);
}
END_TEST

/* ---- 6. printing, as R torch prints a module ------------------------------------------------- */

/* cli::cat_rule("Modules") at R's default width of 80 columns (checked with R 4 and cli 3.6). */
#define RULE_MODULES                                                                               \
    "── Modules ─────────────────────────────────────────────────────────────────────\n"
#define RULE_PARAMETERS                                                                            \
    "── Parameters ──────────────────────────────────────────────────────────────────\n"

START_TEST(test_print_chapter_model) {
    Module *model = chapter_model();
    char *text = print_text(model);
    ck_assert_str_eq(text, "An `nn_module` containing 161 parameters.\n"
                           "\n" RULE_MODULES "• 0: <nn_linear> #128 parameters\n"
                           "• 1: <nn_relu> #0 parameters\n"
                           "• 2: <nn_linear> #33 parameters\n");
    free(text);
    nn_free(model);
}
END_TEST

/* The rule is 80 columns: 80 characters, each "─" being 3 bytes of UTF-8. */
START_TEST(test_print_rule_is_80_columns) {
    const char *rules[] = {RULE_MODULES, RULE_PARAMETERS};
    for (int r = 0; r < 2; r++) {
        int columns = 0;
        for (const unsigned char *p = (const unsigned char *)rules[r]; *p != '\n'; p++)
            columns += (*p & 0xC0) != 0x80; /* count the first byte of each character */
        ck_assert_int_eq(columns, 80);
    }
}
END_TEST

START_TEST(test_print_linear_parameters) {
    Module *linear = nn_linear(3, 1);
    char *text = print_text(linear);
    ck_assert_str_eq(text, "An `nn_module` containing 4 parameters.\n"
                           "\n" RULE_PARAMETERS "• weight: Float [1:1, 1:3]\n"
                           "• bias: Float [1:1]\n");
    free(text);
    nn_free(linear);
}
END_TEST

/* format(n, big.mark = ","): 4,033 and 1,001,000; a module without parameters or children
 * prints only its first line. */
START_TEST(test_print_counts_with_thousands_separators) {
    Module *model = nn_sequential(nn_linear(4032, 1), nn_relu());
    char *text = print_text(model);
    ck_assert_str_eq(text, "An `nn_module` containing 4,033 parameters.\n"
                           "\n" RULE_MODULES "• 0: <nn_linear> #4,033 parameters\n"
                           "• 1: <nn_relu> #0 parameters\n");
    free(text);
    nn_free(model);

    Module *big = nn_linear(1000, 1000);
    text = print_text(big);
    ck_assert_str_eq(text, "An `nn_module` containing 1,001,000 parameters.\n"
                           "\n" RULE_PARAMETERS "• weight: Float [1:1000, 1:1000]\n"
                           "• bias: Float [1:1000]\n");
    free(text);
    nn_free(big);

    Module *small = nn_linear(99, 10); /* 1,000 exactly */
    text = print_text(small);
    ck_assert_ptr_nonnull(strstr(text, "containing 1,000 parameters.\n"));
    free(text);
    nn_free(small);

    Module *relu = nn_relu();
    text = print_text(relu);
    ck_assert_str_eq(text, "An `nn_module` containing 0 parameters.\n");
    free(text);
    nn_free(relu);
}
END_TEST

static void print_to_stdout(void *m) { nn_print(m); }

/* nn_print writes the same text to stdout. */
START_TEST(test_print_goes_to_stdout) {
    Module *model = chapter_model();
    char *want = print_text(model);
    char *got = ct_capture_stdout(print_to_stdout, model);
    ck_assert_str_eq(got, want);
    free(want);
    free(got);
    nn_free(model);
}
END_TEST

/* ---- 7. a custom module, as the chapter writes my_linear ------------------------------------- */

/*
 * R:  my_linear <- nn_module(
 *       initialize = function(in_features, out_features) {
 *         self$w <- nn_parameter(torch_randn(in_features, out_features))
 *         self$b <- nn_parameter(torch_zeros(out_features))
 *       },
 *       forward = function(input) input$mm(self$w) + self$b)
 */
typedef struct MyLinear {
    Module module; /* first, so a MyLinear * is a Module * */
    Tensor *w, *b;
    int *extra; /* something of its own, freed by free_extra */
} MyLinear;

static int extra_frees;

static Tensor *my_linear_forward(Module *self, Tensor *input) {
    MyLinear *m = (MyLinear *)self;
    return torch_add(torch_mm(input, m->w), m->b);
}

static void my_linear_free_extra(Module *self) {
    free(((MyLinear *)self)->extra);
    extra_frees++;
}

static Module *my_linear(int64_t in_features, int64_t out_features) {
    MyLinear *m = calloc(1, sizeof *m);
    ck_assert_ptr_nonnull(m);
    nn_module_init(&m->module, "my_linear", my_linear_forward);
    m->w = nn_register_parameter(&m->module, "w", torch_randn(SHAPE(in_features, out_features)));
    m->b = nn_register_parameter(&m->module, "b", torch_zeros(SHAPE(out_features)));
    m->extra = malloc(16 * sizeof *m->extra);
    m->module.free_extra = my_linear_free_extra;
    return &m->module;
}

START_TEST(test_custom_module_matches_pytorch) {
    Fixtures *fx = fixtures_load("stage3.txt");
    torch_manual_seed(7);
    Module *m = my_linear(3, 2);
    Tensor *x = torch_randn(SHAPE(4, 3));
    CT_ASSERT_BITS_EQ(x, fixture_tensor(fx, "custom_x"));
    CT_ASSERT_BITS_EQ(nn_get_parameter(m, "w"), fixture_tensor(fx, "custom_w"));
    CT_ASSERT_BITS_EQ(nn_get_parameter(m, "b"), fixture_tensor(fx, "custom_b"));

    ParameterList params = nn_parameters(m);
    ck_assert_int_eq(params.count, 2);
    ck_assert_str_eq(params.names[0], "w");
    ck_assert_str_eq(params.names[1], "b");
    ck_assert_ptr_eq(params.items[0], ((MyLinear *)m)->w);
    ck_assert_int_eq(nn_num_parameters(m), 8);
    ck_assert(torch_requires_grad(params.items[1]));

    Tensor *out = nn_forward(m, x);
    ck_assert_str_eq(grad_fn_name(torch_grad_fn(out)), "AddBackward0");
    CT_ASSERT_CLOSE(out, fixture_tensor(fx, "custom_out"), 1e-6, 0);
    torch_backward(torch_sum(torch_pow(out, 2)));
    CT_ASSERT_CLOSE(torch_grad(params.items[0]), fixture_tensor(fx, "custom_grad_w"), 1e-5, 1e-6);
    CT_ASSERT_CLOSE(torch_grad(params.items[1]), fixture_tensor(fx, "custom_grad_b"), 1e-5, 1e-6);

    char *text = print_text(m);
    ck_assert_str_eq(text, "An `nn_module` containing 8 parameters.\n"
                           "\n" RULE_PARAMETERS "• w: Float [1:3, 1:2]\n"
                           "• b: Float [1:2]\n");
    free(text);
    nn_free(m);
    fixtures_free(fx);
}
END_TEST

/* nn_free frees the custom module's parameters (and their grads) and calls its free_extra. */
START_TEST(test_custom_module_freed) {
    TorchMemoryStats before = torch_memory_stats();
    int frees = extra_frees;
    Module *m = my_linear(3, 2);
    torch_scope_begin();
    torch_backward(torch_sum(nn_forward(m, torch_ones(SHAPE(4, 3)))));
    torch_scope_end();
    ck_assert_ptr_nonnull(torch_grad(nn_get_parameter(m, "w")));
    nn_free(m);
    TorchMemoryStats after = torch_memory_stats();
    ck_assert_int_eq(after.live_tensors, before.live_tensors);
    ck_assert_int_eq(after.live_bytes, before.live_bytes);
    ck_assert_int_eq(extra_frees, frees + 1);
}
END_TEST

/* Custom modules nest: inside nn_sequential, and holding children of their own. */
typedef struct TwoLayer {
    Module module;
    Module *fc1, *fc2;
} TwoLayer;

static Tensor *two_layer_forward(Module *self, Tensor *input) {
    TwoLayer *m = (TwoLayer *)self;
    return nn_forward(m->fc2, torch_relu(nn_forward(m->fc1, input)));
}

START_TEST(test_custom_modules_nest) {
    Module *seq = nn_sequential(my_linear(3, 2), nn_relu(), nn_linear(2, 1));
    ParameterList params = nn_parameters(seq);
    const char *names[] = {"0.w", "0.b", "2.weight", "2.bias"};
    ck_assert_int_eq(params.count, 4);
    for (int i = 0; i < 4; i++) ck_assert_str_eq(params.names[i], names[i]);
    ck_assert_int_eq(nn_num_parameters(seq), 11);
    Tensor *out = nn_forward(seq, torch_randn(SHAPE(5, 3)));
    ck_assert(shape_equal(torch_shape(out), SHAPE(5, 1)));
    char *text = print_text(seq);
    ck_assert_str_eq(text, "An `nn_module` containing 11 parameters.\n"
                           "\n" RULE_MODULES "• 0: <my_linear> #8 parameters\n"
                           "• 1: <nn_relu> #0 parameters\n"
                           "• 2: <nn_linear> #3 parameters\n");
    free(text);
    nn_free(seq);

    TwoLayer *net = calloc(1, sizeof *net);
    nn_module_init(&net->module, "two_layer", two_layer_forward);
    net->fc1 = nn_register_module(&net->module, "fc1", nn_linear(3, 4));
    net->fc2 = nn_register_module(&net->module, "fc2", my_linear(4, 1));
    params = nn_parameters(&net->module);
    const char *net_names[] = {"fc1.weight", "fc1.bias", "fc2.w", "fc2.b"};
    ck_assert_int_eq(params.count, 4);
    for (int i = 0; i < 4; i++) ck_assert_str_eq(params.names[i], net_names[i]);
    out = nn_forward(&net->module, torch_randn(SHAPE(2, 3)));
    ck_assert(shape_equal(torch_shape(out), SHAPE(2, 1)));
    /* registering another child changes the list */
    nn_register_module(&net->module, "fc3", nn_linear(1, 1));
    ck_assert_int_eq(nn_parameters(&net->module).count, 6);
    ck_assert_str_eq(nn_parameters(&net->module).names[5], "fc3.bias");
    nn_free(&net->module);
}
END_TEST

/* ---- 8. errors ------------------------------------------------------------------------------- */

START_TEST(test_error_shape_mismatch) {
    Module *model = chapter_model();
    Tensor *x = torch_randn(SHAPE(100, 4));
    CT_EXPECT_ERROR("nn_linear: mat1 and mat2 shapes cannot be multiplied (100x4 and 3x32)",
                    nn_forward(model, x));
    Module *linear = nn_linear(32, 1);
    CT_EXPECT_ERROR("nn_linear: mat1 and mat2 shapes cannot be multiplied (100x3 and 32x1)",
                    nn_forward(linear, torch_randn(SHAPE(100, 3))));
    nn_free(linear);
    /* the model is intact and still works */
    ck_assert(
        shape_equal(torch_shape(nn_forward(model, torch_randn(SHAPE(100, 3)))), SHAPE(100, 1)));
    nn_free(model);
}
END_TEST

/* nn_linear_from takes weight (out, in) and bias (out), float, with the sizes agreeing. */
START_TEST(test_error_linear_from) {
    Tensor *w = torch_zeros(SHAPE(2, 3)), *b = torch_zeros(SHAPE(2));
    CT_EXPECT_ERROR("nn_linear_from: expected weight (out_features, in_features) and bias "
                    "(out_features), got [2, 3] and [3]",
                    nn_linear_from(w, torch_zeros(SHAPE(3))));
    CT_EXPECT_ERROR("nn_linear_from: expected weight (out_features, in_features) and bias "
                    "(out_features), got [6] and [2]",
                    nn_linear_from(torch_zeros(SHAPE(6)), b));
    CT_EXPECT_ERROR("nn_linear_from: expected scalar type Float but found Long",
                    nn_linear_from(torch_empty_dtype(SHAPE(2, 3), TORCH_INT64), b));
    /* the layer holds copies: changing w afterwards changes nothing */
    Module *l = nn_linear_from(w, b);
    torch_fill_(w, 1);
    CT_ASSERT_BITS_EQ(nn_get_parameter(l, "weight"), torch_zeros(SHAPE(2, 3)));
    ck_assert(torch_requires_grad(nn_get_parameter(l, "weight")));
    nn_free(l);
}
END_TEST

/* nn_two_layer_net: libtorch's message for the first weight with a negative size. */
START_TEST(test_error_two_layer_net_negative) {
    CT_EXPECT_ERROR("nn_two_layer_net: Trying to create tensor with negative dimension -1: [-1, 4]",
                    nn_two_layer_net(-1, 4, 1));
    CT_EXPECT_ERROR("nn_two_layer_net: Trying to create tensor with negative dimension -2: [4, -2]",
                    nn_two_layer_net(4, 4, -2));
}
END_TEST

START_TEST(test_error_input_not_2d) {
    Module *model = chapter_model();
    CT_EXPECT_ERROR("nn_linear: expected a 2-d input (batch, 3 features), got [3]",
                    nn_forward(model, torch_randn(SHAPE(3))));
    CT_EXPECT_ERROR("nn_linear: expected a 2-d input (batch, 3 features), got [2, 5, 3]",
                    nn_forward(model, torch_randn(SHAPE(2, 5, 3))));
    CT_EXPECT_ERROR("nn_linear: expected a Tensor but got NULL", nn_forward(model, NULL));
    nn_free(model);
}
END_TEST

START_TEST(test_error_used_after_free) {
    Module *model = chapter_model();
    Module *first = model->children[0];
    nn_free(model);
    Tensor *x = torch_randn(SHAPE(100, 3));
    CT_EXPECT_ERROR("nn_forward: a module was used after it was freed", nn_forward(model, x));
    CT_EXPECT_ERROR("nn_forward: a module was used after it was freed", nn_forward(first, x));
    CT_EXPECT_ERROR("nn_parameters: a module was used after it was freed", nn_parameters(model));
    CT_EXPECT_ERROR("nn_zero_grad: a module was used after it was freed", nn_zero_grad(model));
    CT_EXPECT_ERROR("nn_fprint: a module was used after it was freed", nn_fprint(stderr, model));
    CT_EXPECT_ERROR("nn_free: a module was used after it was freed", nn_free(model));
}
END_TEST

START_TEST(test_error_empty_sequential) {
    CT_EXPECT_ERROR("nn_sequential: needs at least one module, got none",
                    nn_sequential_of((Module *[]){NULL}));
    CT_EXPECT_ERROR("nn_sequential: needs at least one module, got none", nn_sequential_of(NULL));
}
END_TEST

START_TEST(test_error_unknown_parameter) {
    Module *linear = nn_linear(3, 1);
    CT_EXPECT_ERROR("nn_get_parameter: nn_linear has no parameter named 'weights'",
                    nn_get_parameter(linear, "weights"));
    Module *relu = nn_relu();
    CT_EXPECT_ERROR("nn_get_parameter: nn_relu has no parameter named 'weight'",
                    nn_get_parameter(relu, "weight"));
    CT_EXPECT_ERROR("nn_get_parameter: a name must have 1 to 63 characters",
                    nn_get_parameter(linear, NULL));
    nn_free(relu);
    nn_free(linear);
}
END_TEST

START_TEST(test_error_null_module) {
    Tensor *x = torch_randn(SHAPE(2, 3));
    CT_EXPECT_ERROR("nn_forward: expected a module but got NULL", nn_forward(NULL, x));
    CT_EXPECT_ERROR("nn_parameters: expected a module but got NULL", nn_parameters(NULL));
    CT_EXPECT_ERROR("nn_num_parameters: expected a module but got NULL", nn_num_parameters(NULL));
    CT_EXPECT_ERROR("nn_zero_grad: expected a module but got NULL", nn_zero_grad(NULL));
    CT_EXPECT_ERROR("nn_fprint: expected a module but got NULL", nn_fprint(stderr, NULL));
    CT_EXPECT_ERROR("nn_get_parameter: expected a module but got NULL",
                    nn_get_parameter(NULL, "weight"));
    CT_EXPECT_ERROR("nn_module_init: expected a module but got NULL",
                    nn_module_init(NULL, "m", NULL));
    CT_EXPECT_ERROR("nn_register_parameter: expected a module but got NULL",
                    nn_register_parameter(NULL, "w", x));
    Module *seq = nn_sequential(nn_relu());
    CT_EXPECT_ERROR("nn_register_module: expected a module but got NULL",
                    nn_register_module(seq, "1", NULL));
    nn_free(seq);
    nn_free(NULL); /* like free(NULL): nothing happens */
    Module garbage;
    memset(&garbage, 0, sizeof garbage);
    CT_EXPECT_ERROR("nn_forward: expected a module but got an invalid pointer",
                    nn_forward(&garbage, x));
}
END_TEST

START_TEST(test_error_negative_features) {
    TorchMemoryStats before = torch_memory_stats();
    CT_EXPECT_ERROR("nn_linear: Trying to create tensor with negative dimension -1: [-1, 3]",
                    nn_linear(3, -1));
    CT_EXPECT_ERROR("nn_linear: Trying to create tensor with negative dimension -2: [3, -2]",
                    nn_linear(-2, 3));
    CT_EXPECT_ERROR("nn_linear: Trying to create tensor with negative dimension -3: [-3, -2]",
                    nn_linear(-2, -3));
    ck_assert_int_eq(torch_memory_stats().live_tensors, before.live_tensors);
}
END_TEST

/* Building a module wrongly: bad names, too many parameters or children, a parameter that
 * cannot require grad, a module without a forward. The tensor is left as it was. */
START_TEST(test_error_building_modules) {
    Module *m = calloc(1, sizeof *m);
    nn_module_init(m, "my_module", NULL);
    Tensor *x = torch_zeros(SHAPE(2));
    CT_EXPECT_ERROR("nn_register_parameter: a name must have 1 to 63 characters",
                    nn_register_parameter(m, "", x));
    char long_name[80];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    CT_EXPECT_ERROR("nn_register_parameter: a name must have 1 to 63 characters",
                    nn_register_parameter(m, long_name, x));
    CT_EXPECT_ERROR("nn_register_module: a name must have 1 to 63 characters",
                    nn_register_module(m, NULL, m));
    CT_EXPECT_ERROR("nn_register_parameter: expected a Tensor but got NULL",
                    nn_register_parameter(m, "w", NULL));
    Tensor *idx = torch_tensor_i64(SHAPE(2), (int64_t[]){1, 2});
    CT_EXPECT_ERROR("nn_register_parameter: Only Tensors of floating point and complex dtype can "
                    "require gradients",
                    nn_register_parameter(m, "idx", idx));
    ck_assert_int_eq(idx->scope, torch_scope_depth()); /* still the scope's, not kept */
    ck_assert_int_eq(m->n_parameters, 0);
    ck_assert(!torch_requires_grad(x));
    CT_EXPECT_ERROR("nn_forward: my_module has no forward function", nn_forward(m, x));

    for (int i = 0; i < NN_MAX_PARAMETERS; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", i);
        nn_register_parameter(m, name, torch_zeros(SHAPE(1)));
    }
    CT_EXPECT_ERROR("nn_register_parameter: a module holds at most 16 parameters",
                    nn_register_parameter(m, "one_more", torch_zeros(SHAPE(1))));
    ck_assert_int_eq(nn_num_parameters(m), 16);

    for (int i = 0; i < NN_MAX_CHILDREN; i++) {
        char name[16];
        snprintf(name, sizeof name, "c%d", i);
        nn_register_module(m, name, nn_relu());
    }
    Module *extra = nn_relu();
    CT_EXPECT_ERROR("nn_register_module: a module holds at most 64 children",
                    nn_register_module(m, "one_more", extra));
    nn_free(extra);
    nn_free(m);
}
END_TEST

/* Full names ("child.grandchild.param") that would not fit in NN_NAME_LEN are an error, not
 * a cut name; asking again after the error gives the error again. */
START_TEST(test_error_long_full_names) {
    char a[41], b[41];
    memset(a, 'a', 40);
    memset(b, 'b', 40);
    a[40] = b[40] = '\0';
    Module *outer = nn_sequential(nn_relu());
    Module *inner = nn_sequential(nn_relu());
    nn_register_module(inner, b, nn_linear(2, 1));
    nn_register_module(outer, a, inner);
    ck_assert_int_eq(nn_num_parameters(outer), 3);
    ck_assert_int_eq(nn_parameters(inner).count, 2); /* "bbb...b.weight" fits */
    CT_EXPECT_ERROR("nn_parameters: a parameter's full name must have at most 63 characters",
                    nn_parameters(outer));
    CT_EXPECT_ERROR("nn_parameters: a parameter's full name must have at most 63 characters",
                    nn_parameters(outer));
    nn_free(outer);
}
END_TEST

/* A child freed on its own is caught when its parent is used. */
START_TEST(test_error_child_freed_before_parent) {
    Module *seq = nn_sequential(nn_linear(3, 1), nn_relu());
    nn_free(seq->children[0]);
    CT_EXPECT_ERROR("nn_parameters: a module was used after it was freed", nn_parameters(seq));
    CT_EXPECT_ERROR("nn_forward: a module was used after it was freed",
                    nn_forward(seq, torch_randn(SHAPE(2, 3))));
    seq->children[0] = nn_relu(); /* a live child again, so that the parent can be freed */
    nn_free(seq);
}
END_TEST

/* In-place changes of a parameter need with_no_grad, as in stage 2. */
START_TEST(test_error_update_outside_no_grad) {
    Module *linear = nn_linear(3, 1);
    Tensor *w = nn_get_parameter(linear, "weight");
    CT_EXPECT_ERROR("torch_sub_: a leaf Variable that requires grad is being used in an "
                    "in-place operation.",
                    torch_sub_(w, torch_ones(SHAPE(1, 3))));
    nn_free(linear);
}
END_TEST

/* ---- 9. memory ------------------------------------------------------------------------------- */

/* nn_free releases every parameter and every gradient. */
START_TEST(test_free_releases_parameters) {
    Tensor *x, *y;
    chapter_data(1, &x, &y);
    TorchMemoryStats before = torch_memory_stats();
    Module *model = chapter_model();
    ck_assert_int_eq(torch_memory_stats().live_tensors, before.live_tensors + 4);
    torch_scope_begin();
    torch_backward(torch_sum(torch_pow(torch_sub(nn_forward(model, x), y), 2)));
    torch_scope_end();
    ck_assert_int_eq(torch_memory_stats().live_tensors, before.live_tensors + 8); /* + grads */
    nn_free(model);
    TorchMemoryStats after = torch_memory_stats();
    ck_assert_int_eq(after.live_tensors, before.live_tensors);
    ck_assert_int_eq(after.live_bytes, before.live_bytes);
}
END_TEST

/* 10,000 epochs of the chapter's loop: after the first epoch, no tensor, byte or malloc
 * more. */
START_TEST(test_memory_flat_over_10000_epochs) {
    Tensor *x, *y;
    chapter_data(1, &x, &y);
    Module *model = chapter_model();
    ct_stage3_loop(x, y, model, 1, NULL);
    TorchMemoryStats first = torch_memory_stats();
    ct_stage3_loop(x, y, model, 9999, NULL);
    TorchMemoryStats last = torch_memory_stats();
    ck_assert_int_eq(last.live_tensors, first.live_tensors);
    ck_assert_int_eq(last.live_bytes, first.live_bytes);
    ck_assert_int_eq(last.mallocs, first.mallocs);
    ck_assert(isfinite(torch_item(torch_sum(nn_get_parameter(model->children[2], "weight")))));
    nn_free(model);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("modules");
    TCase *tc = ct_tcase("modules");
    tcase_set_timeout(tc, 120);
    /* 1. initialization */
    tcase_add_test(tc, test_linear_init_matches_pytorch);
    tcase_add_test(tc, test_sequential_init_matches_pytorch);
    tcase_add_test(tc, test_data_then_model_matches_pytorch);
    /* 2. forward, gradients, parameters */
    tcase_add_test(tc, test_forward_and_gradients_match_pytorch);
    tcase_add_test(tc, test_parameters_names_shapes_count);
    tcase_add_test(tc, test_module_outlives_its_scope);
    /* 3. zero_grad */
    tcase_add_test(tc, test_zero_grad_and_accumulation);
    /* 4. stage 2 = stage 3 */
    tcase_add_test(tc, test_stage2_copy_is_stage2_program);
    tcase_add_test(tc, test_stage3_from_stage2_weights_seed1);
    tcase_add_test(tc, test_stage3_from_stage2_weights_seed42);
    /* 5. trajectories */
    tcase_add_test(tc, test_trajectory_seed1_matches_pytorch);
    tcase_add_test(tc, test_trajectory_seed42_matches_pytorch);
    tcase_add_test(tc, test_program_sizes_and_threads);
    tcase_add_test(tc, test_program_progress_and_flags);
    /* 6. printing */
    tcase_add_test(tc, test_print_chapter_model);
    tcase_add_test(tc, test_print_rule_is_80_columns);
    tcase_add_test(tc, test_print_linear_parameters);
    tcase_add_test(tc, test_print_counts_with_thousands_separators);
    tcase_add_test(tc, test_print_goes_to_stdout);
    /* 7. custom modules */
    tcase_add_test(tc, test_custom_module_matches_pytorch);
    tcase_add_test(tc, test_custom_module_freed);
    tcase_add_test(tc, test_error_linear_from);
    tcase_add_test(tc, test_error_two_layer_net_negative);
    tcase_add_test(tc, test_custom_modules_nest);
    /* 8. errors */
    tcase_add_test(tc, test_error_shape_mismatch);
    tcase_add_test(tc, test_error_input_not_2d);
    tcase_add_test(tc, test_error_used_after_free);
    tcase_add_test(tc, test_error_empty_sequential);
    tcase_add_test(tc, test_error_unknown_parameter);
    tcase_add_test(tc, test_error_null_module);
    tcase_add_test(tc, test_error_negative_features);
    tcase_add_test(tc, test_error_building_modules);
    tcase_add_test(tc, test_error_long_full_names);
    tcase_add_test(tc, test_error_child_freed_before_parent);
    tcase_add_test(tc, test_error_update_outside_no_grad);
    /* 9. memory */
    tcase_add_test(tc, test_free_releases_parameters);
    tcase_add_test(tc, test_memory_flat_over_10000_epochs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ct_run(suite()); }

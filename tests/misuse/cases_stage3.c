/*
 * cases_stage3.c: misuse of modules (chapter 3), one function per case; the table at the
 * end pairs each with its exact message. Modules a case makes go to misuse_module, which
 * frees them after the case.
 */
#include <stdio.h>
#include <stdlib.h>

#include "misuse.h"

#define MODULE_FREED "a module was used after it was freed"

/* the chapter's network: 3 -> 32 -> 1 */
static Module *chapter_model(void) {
    return misuse_module(nn_sequential(nn_linear(3, 32), nn_relu(), nn_linear(32, 1)));
}

/* a module of one's own with no parameters yet (R: nn_module("my_module", ...)) */
static Module *custom_module(ModuleForward forward) {
    Module *m = calloc(1, sizeof *m);
    nn_module_init(m, "my_module", forward);
    return misuse_module(m);
}

/* ---- the wrong input --------------------------------------------------------------------- */

static void linear_wrong_features(void) {
    Module *l = misuse_module(nn_linear(3, 2));
    Tensor *x = torch_ones(SHAPE(4, 5));
    misuse_watch(NULL);
    nn_forward(l, x);
}
/* --d-in 4 data into the chapter's model */
static void model_wrong_features(void) {
    Module *model = chapter_model();
    Tensor *x = torch_randn(SHAPE(100, 4));
    misuse_watch(NULL);
    nn_forward(model, x);
}
static void linear_vector_input(void) {
    nn_forward(misuse_module(nn_linear(3, 2)), torch_ones(SHAPE(3)));
}
static void linear_long_input(void) {
    Module *l = misuse_module(nn_linear(3, 2));
    Tensor *x = torch_to_dtype(torch_ones(SHAPE(4, 3)), TORCH_INT64);
    misuse_watch(NULL);
    nn_forward(l, x);
}
static void forward_null_input(void) { nn_forward(misuse_module(nn_linear(3, 2)), NULL); }
static void relu_null_input(void) { nn_forward(misuse_module(nn_relu()), NULL); }
static void forward_released_input(void) {
    Module *l = misuse_module(nn_linear(3, 2));
    Tensor *x = torch_keep(torch_ones(SHAPE(4, 3)));
    torch_free(x);
    nn_forward(l, x);
}

/* ---- modules used wrongly ----------------------------------------------------------------- */

static void linear_negative_features(void) { nn_linear(-1, 3); }
static void forward_after_free(void) {
    Module *model = nn_sequential(nn_linear(3, 32), nn_relu(), nn_linear(32, 1));
    Tensor *x = torch_ones(SHAPE(4, 3));
    nn_free(model);
    misuse_watch(NULL);
    nn_forward(model, x);
}
static void freed_twice(void) {
    Module *l = nn_linear(3, 2);
    nn_free(l);
    nn_free(l);
}
static void parameters_after_free(void) {
    Module *l = nn_linear(3, 2);
    nn_free(l);
    nn_parameters(l);
}
static void zero_grad_after_free(void) {
    Module *l = nn_linear(3, 2);
    nn_free(l);
    nn_zero_grad(l);
}
static void empty_sequential(void) { nn_sequential_of((Module *[]){NULL}); }
static void null_module(void) { nn_forward(NULL, torch_ones(SHAPE(4, 3))); }
static void zero_grad_null(void) { nn_zero_grad(NULL); }
static void unknown_parameter(void) {
    Module *l = misuse_module(nn_linear(3, 2));
    misuse_watch(NULL);
    nn_get_parameter(l, "weights"); /* R's name is weight */
}
static void parameter_of_sequential(void) {
    nn_get_parameter(chapter_model(), "0.weight"); /* the children own the parameters */
}
static void module_without_forward(void) { nn_forward(custom_module(NULL), torch_ones(SHAPE(2))); }

/* ---- building a module of one's own -------------------------------------------------------- */

static void register_long_parameter(void) {
    Module *m = custom_module(NULL);
    nn_register_parameter(m, "steps", torch_tensor_i64(SHAPE(2), (int64_t[]){1, 2}));
}
static void register_unnamed_parameter(void) {
    nn_register_parameter(custom_module(NULL), "", torch_ones(SHAPE(2)));
}
static void register_null_parameter(void) {
    nn_register_parameter(custom_module(NULL), "w", NULL);
}
static void register_too_many_parameters(void) {
    Module *m = custom_module(NULL);
    for (int i = 0; i <= NN_MAX_PARAMETERS; i++) {
        char name[16];
        snprintf(name, sizeof name, "w%d", i);
        nn_register_parameter(m, name, torch_ones(SHAPE(1)));
    }
}
static void register_null_child(void) { nn_register_module(custom_module(NULL), "fc1", NULL); }

/* ---- the update ------------------------------------------------------------------------------- */

/* model$parameters updated without with_no_grad() */
static void update_outside_no_grad(void) {
    Module *model = chapter_model();
    ParameterList params = nn_parameters(model);
    Tensor *step = torch_full(SHAPE(32, 3), 0.01f);
    misuse_watch(params.items[0]);
    torch_sub_(params.items[0], step);
}
/* the update of a parameter with a gradient of another layer's shape */
static void update_wrong_gradient(void) {
    Module *model = chapter_model();
    ParameterList params = nn_parameters(model);
    Tensor *step = torch_full(SHAPE(1, 32), 0.01f); /* 2.weight's shape, for 0.weight */
    misuse_watch(params.items[0]); /* before with_no_grad: the error ends it (error.h) */
    torch_no_grad_begin();
    torch_sub_(params.items[0], step);
    torch_no_grad_end();
}

const MisuseCase misuse_stage3[] = {
    /* the wrong input */
    {"linear_wrong_features", "nn_linear: mat1 and mat2 shapes cannot be multiplied (4x5 and 3x2)",
     linear_wrong_features, true},
    {"model_wrong_features",
     "nn_linear: mat1 and mat2 shapes cannot be multiplied (100x4 and 3x32)",
     model_wrong_features, true},
    {"linear_vector_input", "nn_linear: expected a 2-d input (batch, 3 features), got [3]",
     linear_vector_input, false},
    {"linear_long_input", "nn_linear: mat1 and mat2 must have the same dtype, but got Long and Float",
     linear_long_input, false},
    {"forward_null_input", "nn_linear: expected a Tensor but got NULL", forward_null_input,
     false},
    {"relu_null_input", "torch_relu: expected a Tensor but got NULL", relu_null_input, false},
    {"forward_released_input",
     "nn_linear: a tensor was used after it was released (its scope ended or it was freed); "
     "keep it with torch_keep() to use it longer",
     forward_released_input, false},
    /* modules used wrongly */
    {"linear_negative_features",
     "nn_linear: Trying to create tensor with negative dimension -1: [3, -1]",
     linear_negative_features, false},
    {"forward_after_free", "nn_forward: " MODULE_FREED, forward_after_free, true},
    {"module_freed_twice", "nn_free: " MODULE_FREED, freed_twice, false},
    {"parameters_after_free", "nn_parameters: " MODULE_FREED, parameters_after_free, false},
    {"zero_grad_after_free", "nn_zero_grad: " MODULE_FREED, zero_grad_after_free, false},
    {"empty_sequential", "nn_sequential: needs at least one module, got none", empty_sequential,
     true},
    {"null_module", "nn_forward: expected a module but got NULL", null_module, false},
    {"zero_grad_null", "nn_zero_grad: expected a module but got NULL", zero_grad_null, false},
    {"unknown_parameter", "nn_get_parameter: nn_linear has no parameter named 'weights'",
     unknown_parameter, true},
    {"parameter_of_sequential",
     "nn_get_parameter: nn_sequential has no parameter named '0.weight'",
     parameter_of_sequential, false},
    {"module_without_forward", "nn_forward: my_module has no forward function",
     module_without_forward, false},
    /* building a module of one's own */
    {"register_long_parameter",
     "nn_register_parameter: Only Tensors of floating point and complex dtype can require "
     "gradients",
     register_long_parameter, false},
    {"register_unnamed_parameter", "nn_register_parameter: a name must have 1 to 63 characters",
     register_unnamed_parameter, false},
    {"register_null_parameter", "nn_register_parameter: expected a Tensor but got NULL",
     register_null_parameter, false},
    {"register_too_many_parameters", "nn_register_parameter: a module holds at most 16 parameters",
     register_too_many_parameters, false},
    {"register_null_child", "nn_register_module: expected a module but got NULL",
     register_null_child, false},
    /* the update */
    {"parameter_update_outside_no_grad",
     "torch_sub_: a leaf Variable that requires grad is being used in an in-place operation.",
     update_outside_no_grad, true},
    {"parameter_update_wrong_gradient",
     "torch_sub_: The size of tensor a (3) must match the size of tensor b (32) at "
     "non-singleton dimension 1",
     update_wrong_gradient, false},
    {NULL, NULL, NULL, false},
};

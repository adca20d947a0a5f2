/*
 * nn.h: chapter 3, modules. A module holds parameters and knows its forward pass:
 *
 *     Module *model = nn_sequential(nn_linear(d_in, d_hidden), nn_relu(),
 *                                   nn_linear(d_hidden, d_out));
 *     Tensor *y_pred = nn_forward(model, x);          // R: model(x)
 *     nn_zero_grad(model);                             // R: model$zero_grad()
 *     ParameterList params = nn_parameters(model);     // R: model$parameters
 *     nn_print(model);                                 // R: print(model)
 *     nn_free(model);                                  // frees its parameters and children
 *
 * Your own module is a struct whose first member is a Module, an init that registers
 * parameters (nn_register_parameter) and child modules (nn_register_module), and a forward
 * function: see docs/chapter3-modules.md and tests/stages/test_modules.c (my_linear).
 */
#ifndef CTORCH_NN_H
#define CTORCH_NN_H

#include "autograd.h"
#include "tensor.h"

#define NN_MAX_PARAMETERS 16 /* per module */
#define NN_MAX_CHILDREN 64
#define NN_NAME_LEN 64

typedef struct Module Module;
typedef Tensor *(*ModuleForward)(Module *self, Tensor *input);

struct Module {
    uint32_t magic;         /* catches a module used after nn_free */
    const char *class_name; /* "nn_linear", shown by print */
    ModuleForward forward;
    void (*free_extra)(Module *self); /* optional: frees what a custom module added */
    int n_parameters;
    char parameter_names[NN_MAX_PARAMETERS][NN_NAME_LEN];
    Tensor *parameters[NN_MAX_PARAMETERS];
    int n_children;
    char child_names[NN_MAX_CHILDREN][NN_NAME_LEN];
    Module *children[NN_MAX_CHILDREN];
    struct ParameterList *collected; /* nn_parameters' answer, kept for the next call */
};

/* ---- building a module ------------------------------------------------------------------ */

/* Prepares a module (self may be the first member of a larger struct you allocated). */
void nn_module_init(Module *self, const char *class_name, ModuleForward forward);
/* R: self$weight <- nn_parameter(x). The module takes x (it now requires grad and lives
 * until nn_free). Returns x. */
Tensor *nn_register_parameter(Module *self, const char *name, Tensor *x);
/* R: self$fc1 <- nn_linear(...). The module takes the child. Returns child. */
Module *nn_register_module(Module *self, const char *name, Module *child);
/* A parameter by name, e.g. nn_get_parameter(linear, "weight") (R: linear$weight). */
Tensor *nn_get_parameter(Module *self, const char *name);

/* ---- using a module ----------------------------------------------------------------------- */

Tensor *nn_forward(Module *self, Tensor *input); /* R: model(x) */

typedef struct ParameterList {
    int count;
    Tensor **items;     /* the parameters themselves (not copies) */
    char (*names)[NN_NAME_LEN]; /* "0.weight", "0.bias", "2.weight", ... */
} ParameterList;
/* R: model$parameters (and names(model$parameters)): the module's own parameters, then each
 * child's, depth first. The list belongs to the module: valid until it changes or is freed. */
ParameterList nn_parameters(Module *self);
int64_t nn_num_parameters(Module *self); /* 161 for the chapter's network */
void nn_zero_grad(Module *self);         /* R: model$zero_grad(): grads to 0 */

void nn_print(Module *self); /* R: print(model) */
void nn_fprint(FILE *f, Module *self);

/* Frees the module, its parameters and its children. */
void nn_free(Module *self);

/* ---- the modules of chapter 3 -------------------------------------------------------------- */

/* y = x W^T + b, with W (out_features, in_features) and b (out_features), initialized as
 * libtorch does: kaiming-uniform W then uniform b, both within 1/sqrt(in_features). */
Module *nn_linear(int64_t in_features, int64_t out_features);
/* A linear layer whose weight (out_features, in_features) and bias (out_features) are copies
 * of the given ones, as torch's nn.Linear after weight.copy_() and bias.copy_(): no random
 * draw. For loading known weights, and for tests of the forward alone. */
Module *nn_linear_from(Tensor *weight, Tensor *bias);
Module *nn_relu(void);
/* Chapter 2's network as a module: parameters w1 (d_in, d_hidden), w2 (d_hidden, d_out) drawn
 * from torch_randn, b1 (1, d_hidden), b2 (1, d_out) zeros, in that order; forward
 * relu(x w1 + b1) w2 + b2. */
Module *nn_two_layer_net(int64_t d_in, int64_t d_hidden, int64_t d_out);
/* R: nn_sequential(m1, m2, ...): each module's output is the next one's input. The
 * children are named "0", "1", ...
 * Note: C does not fix the order in which the items of an initializer list are evaluated.
 * GCC and Clang go left to right, which is the order the random stream needs to match
 * torch's initialization; with another compiler, create the layers first, then pass them. */
#define nn_sequential(...) nn_sequential_of((Module *[]){__VA_ARGS__, NULL})
Module *nn_sequential_of(Module **modules); /* a NULL-terminated array */

#endif

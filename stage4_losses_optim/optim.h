/*
 * optim.h: chapter 4, optimizers. An optimizer holds the parameters it updates and does the
 * update for you:
 *
 *     Optimizer *optimizer = optim_adam(nn_parameters(model), learning_rate);
 *                                           // R: optim_adam(model$parameters, lr = learning_rate)
 *     optim_zero_grad(optimizer);           // R: optimizer$zero_grad()
 *     torch_backward(loss);                 // R: loss$backward()
 *     optim_step(optimizer);                // R: optimizer$step()
 *     optim_free(optimizer);                // frees its state (not the parameters)
 *
 * Every option of torch's optimizers, starting from the defaults:
 *
 *     AdamOptions options = ADAM_DEFAULTS;  // lr 0.001, betas (0.9, 0.999), eps 1e-8, ...
 *     options.lr = 0.01;
 *     options.amsgrad = true;
 *     Optimizer *optimizer = optim_adam_with(nn_parameters(model), options);
 *
 * The structure is torch's (torch/optim/optimizer.py): the parameters sit in param groups,
 * each with its own copy of its optimizer's hyperparameters, and each parameter has its own
 * state (the step count, Adam's running averages, SGD's momentum buffer), created at its first
 * step and kept until optim_free. A group's learning rate is every optimizer's:
 *
 *     param_group_set_lr(optim_param_group(optimizer, 0), 0.005);
 *                                           // R: optimizer$param_groups[[1]]$lr <- 0.005
 *
 * and its other hyperparameters are its optimizer's own, an AdamOptions for optim_adam:
 *
 *     param_group_adam(optim_param_group(optimizer, 0))->betas[0] = 0.95;
 *                                           // R: optimizer$param_groups[[1]]$betas[1] <- 0.95
 *
 * The updates are torch.optim 1.13's single-tensor implementations, operation for operation
 * (sgd.c, adam.c).
 */
#ifndef CTORCH_OPTIM_H
#define CTORCH_OPTIM_H

#include <math.h>
#include <stdio.h>

#include "nn.h"
#include "tensor.h"

/* A hyperparameter that has no default and must be given (R's optim_required()). */
#define OPTIM_REQUIRED NAN

/* ---- the options of each optimizer ------------------------------------------------------- */

/* Each optimizer has its own options struct, and each begins with the learning rate (lr), the
 * one hyperparameter every optimizer has: param_group_lr reads it whatever the optimizer. */

/* R: optim_sgd(params, lr, momentum = 0, dampening = 0, weight_decay = 0, nesterov = FALSE) */
typedef struct SgdOptions {
    double lr;           /* required */
    double momentum;     /* 0: plain gradient descent */
    double dampening;    /* scales the new gradient's share of the momentum buffer by 1 - this */
    double weight_decay; /* L2 penalty: adds weight_decay * param to the gradient */
    bool nesterov;       /* Nesterov momentum (needs momentum > 0 and dampening 0) */
} SgdOptions;
#define SGD_DEFAULTS                                                                           \
    ((SgdOptions){.lr = OPTIM_REQUIRED, .momentum = 0, .dampening = 0, .weight_decay = 0,      \
                  .nesterov = false})

/* R: optim_adam(params, lr = 0.001, betas = c(0.9, 0.999), eps = 1e-08, weight_decay = 0,
 *               amsgrad = FALSE) */
typedef struct AdamOptions {
    double lr;
    double betas[2];     /* decay rates of the running averages of grad and grad^2 */
    double eps;          /* added to the denominator */
    double weight_decay; /* L2 penalty: adds weight_decay * param to the gradient */
    bool amsgrad;        /* divide by the largest grad^2 average so far */
} AdamOptions;
#define ADAM_DEFAULTS                                                                          \
    ((AdamOptions){.lr = 0.001, .betas = {0.9, 0.999}, .eps = 1e-8, .weight_decay = 0,         \
                   .amsgrad = false})

/* ---- param groups and state -------------------------------------------------------------- */

/* One parameter's state (R: optimizer$state$get(param)); NULL tensors are not in use. */
typedef struct ParamState {
    int64_t step;             /* how many updates this parameter has had */
    Tensor *exp_avg;          /* Adam: running average of grad */
    Tensor *exp_avg_sq;       /* Adam: running average of grad^2 */
    Tensor *max_exp_avg_sq;   /* Adam with amsgrad: the largest exp_avg_sq so far */
    Tensor *momentum_buffer;  /* SGD with momentum */
} ParamState;

/* What makes optim_adam Adam: its name, its options, its update, its print (optim_internal.h). */
typedef struct OptimizerClass OptimizerClass;

/* R: optimizer$param_groups[[i]]: parameters and their hyperparameters. */
typedef struct ParamGroup {
    int n_params;
    Tensor **params;            /* the parameters themselves (the model's own tensors) */
    char (*names)[NN_NAME_LEN]; /* their names ("0.weight", ...), or "" when unnamed */
    ParamState *state;          /* state[i] belongs to params[i] */
    const OptimizerClass *cls;  /* the optimizer whose hyperparameters these are */
    void *options;              /* this group's own copy of them: an SgdOptions for optim_sgd,
                                 * an AdamOptions for optim_adam (see param_group_sgd, ...) */
} ParamGroup;

typedef struct Optimizer {
    uint32_t magic;            /* catches an optimizer used after optim_free */
    const OptimizerClass *cls;
    void *defaults;            /* R: optimizer$defaults: the options (of cls's type) that a
                                * new group starts with */
    int n_groups;
    ParamGroup **groups;       /* R: optimizer$param_groups */
} Optimizer;

/* ---- building ---------------------------------------------------------------------------- */

/* Plain SGD with this learning rate (R: optim_sgd(params, lr = lr)). */
Optimizer *optim_sgd(ParameterList params, double lr);
Optimizer *optim_sgd_with(ParameterList params, SgdOptions options);

/* Adam with this learning rate and torch's other defaults (R: optim_adam(params, lr = lr)). */
Optimizer *optim_adam(ParameterList params, double lr);
Optimizer *optim_adam_with(ParameterList params, AdamOptions options);

/* R: optimizer$add_param_group(list(params = params)): a new group with the optimizer's
 * defaults. Returns it, so its hyperparameters can be changed:
 *     param_group_set_lr(optim_add_param_group(optimizer, nn_parameters(head)), 1e-4); */
ParamGroup *optim_add_param_group(Optimizer *optimizer, ParameterList params);

/* Wraps a C array of tensors as an unnamed parameter list (R: list(w, b)); the array must
 * outlive the call that takes the list. */
ParameterList optim_tensor_list(Tensor **tensors, int count);

/* ---- using ------------------------------------------------------------------------------- */

/* R: optimizer$zero_grad(): every gradient of every group to 0 (undefined ones stay so). */
void optim_zero_grad(Optimizer *optimizer);

/* R: optimizer$step(): one update of every parameter whose gradient is defined, without
 * recording anything for autograd. Parameters without a gradient are skipped. */
void optim_step(Optimizer *optimizer);

/* R: optimizer$param_groups[[i + 1]] (i is 0-based). */
ParamGroup *optim_param_group(Optimizer *optimizer, int i);

/* R: group$params: the group's parameters as a list (valid while the group lives). */
ParameterList param_group_params(const ParamGroup *group);

/* R: group$lr and group$lr <- lr: the group's learning rate, whatever its optimizer. The
 * setter checks lr as the optimizers do ("Invalid learning rate: -0.1"). */
double param_group_lr(const ParamGroup *group);
void param_group_set_lr(ParamGroup *group, double lr);

/* R: group$momentum, group$betas, ...: the group's own hyperparameters, to read or change,
 * for a group of optim_sgd and of optim_adam. Asked of another optimizer's group, each stops
 * with an error naming both ("param_group_sgd: the param group holds optim_adam's options,
 * not optim_sgd's"). */
SgdOptions *param_group_sgd(ParamGroup *group);
AdamOptions *param_group_adam(ParamGroup *group);

/* R: optimizer$state$get(param): param's state, NULL before its first step. */
const ParamState *optim_state(Optimizer *optimizer, Tensor *param);

/* Frees the optimizer and its state tensors. The parameters belong to the model. */
void optim_free(Optimizer *optimizer);

/* ---- printing, as R prints --------------------------------------------------------------- */

/* R: print(optimizer), its R6 summary:
 *     <optim_adam>
 *       Inherits from: <torch_optimizer>
 *       Public:
 *         add_param_group: function (param_group)
 *         ... */
void optim_print(Optimizer *optimizer);
void optim_fprint(FILE *f, Optimizer *optimizer);

/* R: print(optimizer$param_groups[[i + 1]]): $params, then $lr, $betas, ... */
void optim_print_param_group(Optimizer *optimizer, int i);
void optim_fprint_param_group(FILE *f, Optimizer *optimizer, int i);

/* R: print(model$parameters) (prefix "") or print(group$params) inside a group's print
 * (prefix "$params"): "$weight", the tensor, a blank line, "$bias", ... Unnamed entries show
 * as [[1]], [[2]], ... */
void parameters_print(ParameterList params);
void parameters_fprint(FILE *f, const char *prefix, ParameterList params);

#endif

/*
 * optim_internal.h: what optimizer.c shares with each optimizer (sgd.c, adam.c); not part of
 * the public API. An optimizer is the shared machinery (groups, state, zero_grad, the step
 * loop, printing) plus an OptimizerClass that says what one update does.
 */
#ifndef CTORCH_OPTIM_INTERNAL_H
#define CTORCH_OPTIM_INTERNAL_H

#include "autograd.h"
#include "internal.h"
#include "optim.h"

struct OptimizerClass {
    const char *name;       /* R's class: "optim_adam" */
    const char *initialize; /* the first line of R's initialize signature, as print shows it */
    /* Updates group->params[i], whose gradient grad is defined (torch's per-parameter loop
     * body). Runs with grad mode off, inside a scope: temporaries vanish after the step, and
     * state tensors must be kept (torch_keep). */
    void (*update)(ParamGroup *group, int i, Tensor *grad);
    /* Prints the group's hyperparameters as R prints those list entries ($lr ... ). */
    void (*fprint_hyperparameters)(FILE *f, const ParamGroup *group);
};

/* Checks a parameter list before anything is built: not empty ("optimizer got an empty
 * parameter list"), every entry a live, contiguous leaf, no tensor twice, none already in
 * one of optimizer's groups (optimizer may be NULL). */
void optimizer_check_params(const char *op, ParameterList params, const Optimizer *optimizer);

/* A new optimizer of this class with no groups; the caller sets its defaults, then adds the
 * first group with optimizer_add_group. */
Optimizer *optimizer_new(const char *op, const OptimizerClass *cls);
ParamGroup *optimizer_add_group(const char *op, Optimizer *optimizer, ParameterList params);

/* Formats a hyperparameter for an error message as R would show it: -0.1, 1e-08. */
const char *optim_number(double x, char *buf, size_t len);

/* One entry of an R list, as print(list) shows it: "$lr", "[1] 0.01", then a blank line.
 * Several numbers share R's common format: "[1] 0.900 0.999". */
void r_fprint_entry_numbers(FILE *f, const char *name, const double *x, int n);
void r_fprint_entry_logical(FILE *f, const char *name, bool value);

#endif

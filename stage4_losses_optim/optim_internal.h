/*
 * optim_internal.h: what optimizer.c shares with each optimizer (sgd.c, adam.c); not part of
 * the public API. An optimizer is the shared machinery (groups, state, zero_grad, the step
 * loop, printing) plus an OptimizerClass that says what one update does.
 */
#ifndef CTORCH_OPTIM_INTERNAL_H
#define CTORCH_OPTIM_INTERNAL_H

#include "autograd.h"
#include "backend.h"
#include "internal.h"
#include "optim.h"

struct OptimizerClass {
    const char *name;       /* R's class: "optim_adam" */
    const char *initialize; /* the first line of R's initialize signature, as print shows it */
    /* Its options: a struct of this size (AdamOptions), beginning with the double lr. Each
     * group holds its own copy. */
    size_t options_size;
    /* Stops with torch's error, naming op, if the options are not valid ones. */
    void (*check_options)(const char *op, const void *options);
    /* Updates group->params[i], whose gradient grad is defined (torch's per-parameter loop
     * body). Runs with grad mode off, inside a scope: temporaries vanish after the step, and
     * state tensors must be kept (torch_keep). */
    void (*update)(ParamGroup *group, int i, Tensor *grad);
    /* Prints the options as R prints those entries of a param group ($lr ... ). */
    void (*fprint_options)(FILE *f, const void *options);
};

/* Checks a parameter list before anything is built: not empty ("optimizer got an empty
 * parameter list"), every entry a live, contiguous leaf, no tensor twice, none already in
 * one of optimizer's groups (optimizer may be NULL). */
void optimizer_check_params(const char *op, ParameterList params, const Optimizer *optimizer);

/* A new optimizer of class cls: checks options (cls's type) and params, in torch's order,
 * then makes options its defaults and params its first group. The constructors (optim_sgd,
 * ...) call it, op naming them in errors. */
Optimizer *optimizer_new(const char *op, const OptimizerClass *cls, ParameterList params,
                         const void *options);

/* group's options if they are cls's, else stops with the error naming both classes; op is
 * the typed accessor that asks (param_group_adam). */
void *param_group_options(const char *op, ParamGroup *group, const OptimizerClass *cls);

/* Formats a hyperparameter for an error message as R would show it: -0.1, 1e-08. */
const char *optim_number(double x, char *buf, size_t len);

/* One entry of an R list, as print(list) shows it: "$lr", "[1] 0.01", then a blank line.
 * Several numbers share R's common format: "[1] 0.900 0.999". */
void r_fprint_entry_numbers(FILE *f, const char *name, const double *x, int n);
void r_fprint_entry_logical(FILE *f, const char *name, bool value);

/* ---- the reference loops over a parameter's elements (adam.c, sgd.c) ------------------------- */

/* The code the chapter teaches, one element after another, each operation as torch's kernels
 * do it. A step runs them, or the fast backend's copies with the same bits (common/backend.h);
 * the tests compare the two. */

/* One Adam step over e's elements (AdamElements: common/backend.h). */
void adam_reference(const AdamElements *e);

/* Plain SGD's step: p = p - d_p * lr over n elements, the product rounded first. */
void sgd_step_reference(float *p, const float *d_p, float lr, int64_t n);

#endif

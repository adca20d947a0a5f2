/*
 * optimizer.c: what every optimizer shares, as torch.optim.Optimizer does: param groups,
 * per-parameter state, zero_grad, the step loop that skips parameters without a gradient,
 * freeing, and printing as R prints an optimizer and its param groups.
 *
 * What one update does is each optimizer's own business (OptimizerClass.update, in sgd.c and
 * adam.c).
 */
#include "optim_internal.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "rformat.h"

#define OPTIM_ALIVE 0x0917A11Eu
#define OPTIM_DEAD 0xDEAD0917u

static void check_optimizer(const char *op, const Optimizer *optimizer) {
    if (optimizer == NULL) torch_error(op, "expected an optimizer but got NULL");
    if (optimizer->magic == OPTIM_DEAD) torch_error(op, "an optimizer was used after it was freed");
    if (optimizer->magic != OPTIM_ALIVE)
        torch_error(op, "expected an optimizer but got an invalid pointer");
}

const char *optim_number(double x, char *buf, size_t len) { return r_format_double(x, buf, len); }

ParameterList optim_tensor_list(Tensor **tensors, int count) {
    return (ParameterList){.count = count, .items = tensors, .names = NULL};
}

/* ---- building ---------------------------------------------------------------------------- */

static bool in_optimizer(const Optimizer *optimizer, const Tensor *t) {
    for (int g = 0; optimizer && g < optimizer->n_groups; g++)
        for (int i = 0; i < optimizer->groups[g]->n_params; i++)
            if (optimizer->groups[g]->params[i] == t) return true;
    return false;
}

void optimizer_check_params(const char *op, ParameterList params, const Optimizer *optimizer) {
    if (params.count <= 0 || params.items == NULL)
        torch_error(op, "optimizer got an empty parameter list");
    for (int i = 0; i < params.count; i++) {
        Tensor *p = params.items[i];
        tensor_check_dtype(op, p, TORCH_FLOAT32);
        if (!torch_is_leaf(p)) torch_error(op, "can't optimize a non-leaf Tensor");
        /* The updates write the parameter's buffer in place, element by element. */
        if (!torch_is_contiguous(p))
            torch_error(op, "can only optimize contiguous tensors (parameter %d is a strided "
                            "view; optimize a contiguous tensor instead)",
                        i + 1);
        for (int j = 0; j < i; j++)
            if (params.items[j] == p)
                torch_error(op, "optimizer contains a parameter group with duplicate parameters");
        if (in_optimizer(optimizer, p))
            torch_error(op, "some parameters appear in more than one parameter group");
    }
}

/* A copy of options (cls's type), for a group or the defaults to own. */
static void *options_copy(const char *op, const OptimizerClass *cls, const void *options) {
    void *copy = malloc(cls->options_size);
    if (!copy) torch_error(op, "out of memory");
    return memcpy(copy, options, cls->options_size);
}

/* A group holds its own copies of the parameter list (the model's list may change), of the
 * optimizer's defaults, and one empty state per parameter. */
static ParamGroup *optimizer_add_group(const char *op, Optimizer *optimizer, ParameterList params) {
    size_t n = (size_t)params.count;
    ParamGroup **groups =
        realloc(optimizer->groups, sizeof *groups * (size_t)(optimizer->n_groups + 1));
    if (!groups) torch_error(op, "out of memory");
    optimizer->groups = groups;
    ParamGroup *group = calloc(1, sizeof *group);
    Tensor **items = calloc(n, sizeof *items);
    char (*names)[NN_NAME_LEN] = calloc(n, sizeof *names);
    ParamState *state = calloc(n, sizeof *state);
    if (!group || !items || !names || !state) torch_error(op, "out of memory");
    for (int i = 0; i < params.count; i++) {
        items[i] = params.items[i];
        if (params.names) snprintf(names[i], NN_NAME_LEN, "%s", params.names[i]);
    }
    *group = (ParamGroup){.n_params = params.count, .params = items, .names = names,
                          .state = state, .cls = optimizer->cls,
                          .options = options_copy(op, optimizer->cls, optimizer->defaults)};
    optimizer->groups[optimizer->n_groups++] = group;
    return group;
}

Optimizer *optimizer_new(const char *op, const OptimizerClass *cls, ParameterList params,
                         const void *options) {
    cls->check_options(op, options);
    optimizer_check_params(op, params, NULL);
    Optimizer *optimizer = calloc(1, sizeof *optimizer);
    if (!optimizer) torch_error(op, "out of memory");
    optimizer->magic = OPTIM_ALIVE;
    optimizer->cls = cls;
    optimizer->defaults = options_copy(op, cls, options);
    optimizer_add_group(op, optimizer, params);
    return optimizer;
}

ParamGroup *optim_add_param_group(Optimizer *optimizer, ParameterList params) {
    check_optimizer("optim_add_param_group", optimizer);
    optimizer_check_params("optim_add_param_group", params, optimizer);
    return optimizer_add_group("optim_add_param_group", optimizer, params);
}

/* ---- using ------------------------------------------------------------------------------- */

ParamGroup *optim_param_group(Optimizer *optimizer, int i) {
    check_optimizer("optim_param_group", optimizer);
    if (i < 0 || i >= optimizer->n_groups)
        torch_error("optim_param_group", "param group %d does not exist (the optimizer has %d)",
                    i, optimizer->n_groups);
    return optimizer->groups[i];
}

static void check_group(const char *op, const ParamGroup *group) {
    if (group == NULL) torch_error(op, "expected a param group but got NULL");
}

ParameterList param_group_params(const ParamGroup *group) {
    check_group("param_group_params", group);
    return (ParameterList){.count = group->n_params, .items = group->params,
                           .names = group->names};
}

void *param_group_options(const char *op, ParamGroup *group, const OptimizerClass *cls) {
    check_group(op, group);
    if (group->cls != cls)
        torch_error(op, "the param group holds %s's options, not %s's", group->cls->name,
                    cls->name);
    return group->options;
}

/* Every class's options begin with the double lr (OptimizerClass.options_size), so the
 * group's options, seen as a double, are its learning rate. */
double param_group_lr(const ParamGroup *group) {
    check_group("param_group_lr", group);
    return *(const double *)group->options;
}

void param_group_set_lr(ParamGroup *group, double lr) {
    check_group("param_group_set_lr", group);
    char num[64];
    if (!(lr >= 0))
        torch_error("param_group_set_lr", "Invalid learning rate: %s",
                    optim_number(lr, num, sizeof num));
    *(double *)group->options = lr;
}

const ParamState *optim_state(Optimizer *optimizer, Tensor *param) {
    check_optimizer("optim_state", optimizer);
    for (int g = 0; g < optimizer->n_groups; g++)
        for (int i = 0; i < optimizer->groups[g]->n_params; i++)
            if (optimizer->groups[g]->params[i] == param)
                return optimizer->groups[g]->state[i].step ? &optimizer->groups[g]->state[i]
                                                           : NULL;
    torch_error("optim_state", "the tensor is not one of the optimizer's parameters");
}

void optim_zero_grad(Optimizer *optimizer) {
    check_optimizer("optim_zero_grad", optimizer);
    for (int g = 0; g < optimizer->n_groups; g++)
        for (int i = 0; i < optimizer->groups[g]->n_params; i++) {
            Tensor *grad = torch_grad(optimizer->groups[g]->params[i]);
            if (grad) torch_zero_(grad);
        }
}

/* torch's step: under no_grad, each group, each parameter with a gradient, one update.
 * Every parameter and gradient is checked before anything changes, so that a step that stops
 * on an error has changed nothing (error.h): after the checks, an update can only fail by
 * running out of memory. */
void optim_step(Optimizer *optimizer) {
    check_optimizer("optim_step", optimizer);
    for (int g = 0; g < optimizer->n_groups; g++)
        for (int i = 0; i < optimizer->groups[g]->n_params; i++) {
            Tensor *param = optimizer->groups[g]->params[i];
            tensor_check("optim_step", param);
            Tensor *grad = torch_grad(param);
            if (grad) tensor_check_dtype("optim_step", grad, TORCH_FLOAT32);
        }
    torch_scope_begin();
    torch_no_grad_begin();
    for (int g = 0; g < optimizer->n_groups; g++) {
        ParamGroup *group = optimizer->groups[g];
        for (int i = 0; i < group->n_params; i++) {
            Tensor *grad = torch_grad(group->params[i]);
            if (grad == NULL) continue; /* as torch: no gradient, no update, no state */
            optimizer->cls->update(group, i, grad);
        }
    }
    torch_no_grad_end();
    torch_scope_end();
}

/* ---- freeing ----------------------------------------------------------------------------- */

static void free_state(ParamState *s) {
    torch_free(s->exp_avg);
    torch_free(s->exp_avg_sq);
    torch_free(s->max_exp_avg_sq);
    torch_free(s->momentum_buffer);
}

/* Freed optimizers wait here, marked dead, before their memory goes back to the system, so
 * that using one soon after optim_free is caught by check_optimizer (as nn_free does). */
#define GRAVEYARD 16
static Optimizer *graveyard[GRAVEYARD];
static int graveyard_next;

void optim_free(Optimizer *optimizer) {
    if (optimizer == NULL) return;
    check_optimizer("optim_free", optimizer);
    for (int g = 0; g < optimizer->n_groups; g++) {
        ParamGroup *group = optimizer->groups[g];
        for (int i = 0; i < group->n_params; i++) free_state(&group->state[i]);
        free(group->params);
        free(group->names);
        free(group->state);
        free(group->options);
        free(group);
    }
    free(optimizer->groups);
    free(optimizer->defaults);
    optimizer->groups = NULL;
    optimizer->defaults = NULL;
    optimizer->n_groups = 0;
    optimizer->magic = OPTIM_DEAD;
    free(graveyard[graveyard_next]);
    graveyard[graveyard_next] = optimizer;
    graveyard_next = (graveyard_next + 1) % GRAVEYARD;
}

/* ---- printing, as R prints --------------------------------------------------------------- */

/*
 * R6's print of an optimizer: the class, what it inherits from, then every public and private
 * member in alphabetical order, a function shown as the first line of deparse(args(f)) (hence
 * the trailing space), a list as "list", an R6 object as its classes.
 */
void optim_fprint(FILE *f, Optimizer *optimizer) {
    check_optimizer("optim_fprint", optimizer);
    fprintf(f, "<%s>\n", optimizer->cls->name);
    fputs("  Inherits from: <torch_optimizer>\n", f);
    fputs("  Public:\n", f);
    fputs("    add_param_group: function (param_group) \n", f);
    fputs("    clone: function (deep = FALSE) \n", f);
    fputs("    defaults: list\n", f);
    fprintf(f, "    initialize: %s\n", optimizer->cls->initialize);
    fputs("    load_state_dict: function (state_dict, ..., .refer_to_state_dict = FALSE) \n", f);
    fputs("    param_groups: list\n", f);
    fputs("    state: State, R6\n", f);
    fputs("    state_dict: function () \n", f);
    fputs("    step: function (closure = NULL) \n", f);
    fputs("    zero_grad: function (set_to_none = FALSE) \n", f);
    fputs("  Private:\n", f);
    fputs("    deep_clone: function (name, value) \n", f);
    fputs("    step_helper: function (closure, loop_fun) \n", f);
}

void optim_print(Optimizer *optimizer) { optim_fprint(stdout, optimizer); }

/* Whether R can write name without backquotes: a letter, or a dot not followed by a digit,
 * then letters, digits, dots and underscores, and not a reserved word. */
static bool r_syntactic_name(const char *name) {
    static const char *const reserved[] = {"if", "else", "repeat", "while", "function", "for",
                                           "in", "next", "break", "TRUE", "FALSE", "NULL", "Inf",
                                           "NaN", "NA"};
    bool letter = isalpha((unsigned char)name[0]);
    bool dot = name[0] == '.' && !isdigit((unsigned char)name[1]);
    if (!letter && !dot) return false;
    for (const char *c = name; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '.' && *c != '_') return false;
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(name, reserved[i]) == 0) return false;
    return true;
}

/* R's print of a list of tensors: each entry's tag (after the enclosing list's tag: $weight,
 * $`0.weight` for a name R must quote, [[1]] when unnamed), the tensor as torch_print shows
 * it, and a blank line. */
void parameters_fprint(FILE *f, const char *prefix, ParameterList params) {
    if (params.count == 0) {
        fputs("list()\n", f);
        return;
    }
    for (int i = 0; i < params.count; i++) {
        const char *name = params.names ? params.names[i] : "";
        if (!name[0]) fprintf(f, "%s[[%d]]\n", prefix, i + 1);
        else if (r_syntactic_name(name)) fprintf(f, "%s$%s\n", prefix, name);
        else fprintf(f, "%s$`%s`\n", prefix, name);
        torch_fprint(f, params.items[i]);
        fputc('\n', f);
    }
}

void parameters_print(ParameterList params) { parameters_fprint(stdout, "", params); }

/* A group as R prints the list: $params (a list inside the list, so one more blank line after
 * it), then its options. */
void optim_fprint_param_group(FILE *f, Optimizer *optimizer, int i) {
    ParamGroup *group = optim_param_group(optimizer, i);
    fputs("$params\n", f);
    parameters_fprint(f, "$params", param_group_params(group));
    fputc('\n', f);
    group->cls->fprint_options(f, group->options);
}

void optim_print_param_group(Optimizer *optimizer, int i) {
    optim_fprint_param_group(stdout, optimizer, i);
}

/* ---- R's number format for a vector ------------------------------------------------------ */

/* What R's formatReal needs to know of one number at 7 significant digits: its decimal
 * exponent and how many significant digits remain once trailing zeros go. */
typedef struct Significand {
    int kpower, nsig;
    bool neg;
} Significand;

static Significand significand(double x) {
    Significand s = {0, 1, x < 0};
    if (x == 0) return s;
    char sci[64];
    snprintf(sci, sizeof sci, "%.6e", x); /* "-9.000000e-01" */
    char *e = strchr(sci, 'e');
    s.kpower = atoi(e + 1);
    s.nsig = 7;
    for (char *p = e - 1; *p == '0' && s.nsig > 1; p--) s.nsig--;
    return s;
}

/* R prints a numeric vector in one common format: fixed notation with as many decimals as
 * the most demanding element needs, unless scientific notation is narrower; every element
 * right-aligned to the common width. c(0.9, 0.999) -> "0.900 0.999". */
static void fprint_r_numbers(FILE *f, const double *x, int n) {
    if (n == 1) { /* one number: exactly r_format_double */
        char buf[64];
        fputs(r_format_double(x[0], buf, sizeof buf), f);
        return;
    }
    int left = 0, rgt = 0, max_sig = 1, max_pow = INT_MIN, min_pow = INT_MAX;
    bool neg = false;
    for (int i = 0; i < n; i++) {
        Significand s = significand(x[i]);
        int sleft = (int)s.neg + (s.kpower >= 0 ? s.kpower + 1 : 1);
        int decimals = s.nsig - s.kpower - 1;
        if (sleft > left) left = sleft;
        if (decimals > rgt) rgt = decimals;
        if (s.nsig > max_sig) max_sig = s.nsig;
        if (s.kpower > max_pow) max_pow = s.kpower;
        if (s.kpower < min_pow) min_pow = s.kpower;
        neg |= s.neg;
    }
    int fixed_width = left + rgt + (rgt != 0);
    int exp_digits = (max_pow >= 100 || min_pow <= -100) ? 2 : 1;
    int mantissa = max_sig - 1;
    int sci_width = (int)neg + (mantissa > 0) + mantissa + 4 + exp_digits;
    for (int i = 0; i < n; i++) {
        if (i) fputc(' ', f);
        if (fixed_width <= sci_width) fprintf(f, "%*.*f", fixed_width, rgt, x[i]);
        else fprintf(f, "%*.*e", sci_width, mantissa, x[i]);
    }
}

void r_fprint_entry_numbers(FILE *f, const char *name, const double *x, int n) {
    fprintf(f, "$%s\n[1] ", name);
    fprint_r_numbers(f, x, n);
    fputs("\n\n", f);
}

void r_fprint_entry_logical(FILE *f, const char *name, bool value) {
    fprintf(f, "$%s\n[1] %s\n\n", name, value ? "TRUE" : "FALSE");
}

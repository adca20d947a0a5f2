/*
 * module.c: what every module shares: registering parameters and children, calling the
 * forward, collecting parameters, zero_grad, printing as R prints, and freeing.
 */
#include "nn.h"
#include "internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void forget_collected(Module *m);

#define MODULE_ALIVE 0x4D0D01E5u
#define MODULE_DEAD 0xDEADD00Du

/* Stops with a clear message for NULL and for a module used after nn_free. */
static void module_check(const char *op, const Module *m) {
    if (m == NULL) torch_error(op, "expected a module but got NULL");
    if (m->magic == MODULE_DEAD) torch_error(op, "a module was used after it was freed");
    if (m->magic != MODULE_ALIVE) torch_error(op, "expected a module but got an invalid pointer");
}

static void check_name(const char *op, const char *name) {
    if (!name || !*name || strlen(name) >= NN_NAME_LEN)
        torch_error(op, "a name must have 1 to %d characters", NN_NAME_LEN - 1);
}

void nn_module_init(Module *self, const char *class_name, ModuleForward forward) {
    if (!self) torch_error("nn_module_init", "expected a module but got NULL");
    memset(self, 0, sizeof *self);
    self->magic = MODULE_ALIVE;
    self->class_name = class_name;
    self->forward = forward;
}

Tensor *nn_register_parameter(Module *self, const char *name, Tensor *x) {
    module_check("nn_register_parameter", self);
    check_name("nn_register_parameter", name);
    tensor_check("nn_register_parameter", x);
    /* checked here, before torch_keep moves x out of its scope */
    if (x->dtype != TORCH_FLOAT32)
        torch_error("nn_register_parameter", "Only Tensors of floating point and complex dtype "
                                             "can require gradients");
    if (self->n_parameters == NN_MAX_PARAMETERS)
        torch_error("nn_register_parameter", "a module holds at most %d parameters",
                    NN_MAX_PARAMETERS);
    forget_collected(self);
    snprintf(self->parameter_names[self->n_parameters], NN_NAME_LEN, "%s", name);
    self->parameters[self->n_parameters++] = torch_requires_grad_(torch_keep(x), true);
    return x;
}

Module *nn_register_module(Module *self, const char *name, Module *child) {
    module_check("nn_register_module", self);
    check_name("nn_register_module", name);
    module_check("nn_register_module", child);
    if (self->n_children == NN_MAX_CHILDREN)
        torch_error("nn_register_module", "a module holds at most %d children", NN_MAX_CHILDREN);
    forget_collected(self);
    snprintf(self->child_names[self->n_children], NN_NAME_LEN, "%s", name);
    self->children[self->n_children++] = child;
    return child;
}

Tensor *nn_get_parameter(Module *self, const char *name) {
    module_check("nn_get_parameter", self);
    check_name("nn_get_parameter", name);
    for (int i = 0; i < self->n_parameters; i++)
        if (strcmp(self->parameter_names[i], name) == 0) return self->parameters[i];
    torch_error("nn_get_parameter", "%s has no parameter named '%s'", self->class_name, name);
}

Tensor *nn_forward(Module *self, Tensor *input) {
    module_check("nn_forward", self);
    if (!self->forward) torch_error("nn_forward", "%s has no forward function", self->class_name);
    return self->forward(self, input);
}

static int count_parameters(const Module *m) {
    int n = m->n_parameters;
    for (int i = 0; i < m->n_children; i++) n += count_parameters(m->children[i]);
    return n;
}

/* A full name such as "0.weight" must fit in NN_NAME_LEN: a cut name would be a wrong one. */
static void check_full_name(int length) {
    if (length >= NN_NAME_LEN)
        torch_error("nn_parameters", "a parameter's full name must have at most %d characters",
                    NN_NAME_LEN - 1);
}

/* Depth first: a module's own parameters, then each child's, named "child.param". */
static void collect(Module *m, const char *prefix, ParameterList *out) {
    /* BEGIN EXERCISE 3.4: nn_parameters, the traversal */
    for (int param = 0; param < m->n_parameters; param++) {
        check_full_name(snprintf(out->names[out->count], NN_NAME_LEN, "%s%s", prefix,
                                 m->parameter_names[param]));
        out->items[out->count++] = m->parameters[param];
    }
    for (int child = 0; child < m->n_children; child++) {
        char child_prefix[NN_NAME_LEN];
        check_full_name(
            snprintf(child_prefix, sizeof child_prefix, "%s%s.", prefix, m->child_names[child]));
        module_check("nn_parameters", m->children[child]);
        collect(m->children[child], child_prefix, out);
    }
    /* END EXERCISE 3.4 */
}

static void forget_collected(Module *m) {
    if (!m->collected) return;
    free(m->collected->items);
    free(m->collected->names);
    free(m->collected);
    m->collected = NULL;
}

ParameterList nn_parameters(Module *self) {
    module_check("nn_parameters", self);
    int n = count_parameters(self);
    if (self->collected && self->collected->count == n) return *self->collected;
    forget_collected(self);
    ParameterList *list = calloc(1, sizeof *list);
    if (list) list->items = calloc((size_t)n + 1, sizeof *list->items);
    if (list && list->items) list->names = calloc((size_t)n + 1, sizeof *list->names);
    if (!list || !list->items || !list->names) torch_error("nn_parameters", "out of memory");
    self->collected = list; /* first, so that an error inside collect leaks nothing */
    collect(self, "", list);
    return *list;
}

int64_t nn_num_parameters(Module *self) {
    module_check("nn_num_parameters", self);
    int64_t n = 0;
    for (int i = 0; i < self->n_parameters; i++) n += torch_numel(self->parameters[i]);
    for (int i = 0; i < self->n_children; i++) n += nn_num_parameters(self->children[i]);
    return n;
}

/* Stops with module_check's error if any module of the tree is NULL or was freed. */
static void check_tree(const char *op, const Module *m) {
    module_check(op, m);
    for (int i = 0; i < m->n_children; i++) check_tree(op, m->children[i]);
}

void nn_zero_grad(Module *self) {
    check_tree("nn_zero_grad", self); /* first, so that an error changes nothing */
    /* A gradient is not part of any graph, even if someone asked it for gradients: it is
     * zeroed unrecorded, as PyTorch's zero_grad detaches it first. */
    torch_no_grad_begin();
    /* BEGIN EXERCISE 3.3: zero_grad, down the tree */
    for (int i = 0; i < self->n_parameters; i++) {
        Tensor *g = torch_grad(self->parameters[i]);
        if (g) torch_zero_(g);
    }
    for (int i = 0; i < self->n_children; i++) nn_zero_grad(self->children[i]);
    /* END EXERCISE 3.3 */
    torch_no_grad_end();
}

/* ---- printing, as R torch's print method for nn_module ------------------------------------ */

/* 4033 -> "4,033" (R's format(big.mark = ",")). */
static char *with_commas(int64_t n, char *buf, size_t len) {
    char digits[32];
    int nd = snprintf(digits, sizeof digits, "%" PRId64, n), j = 0;
    for (int i = 0; i < nd && (size_t)j + 2 < len; i++) {
        if (i > 0 && (nd - i) % 3 == 0) buf[j++] = ',';
        buf[j++] = digits[i];
    }
    buf[j] = '\0';
    return buf;
}

/* cli's rule: "── Title ───...", 80 columns wide. */
static void rule(FILE *f, const char *title) {
    fprintf(f, "── %s ", title);
    for (int i = (int)strlen(title) + 4; i < 80; i++) fputs("─", f);
    fputc('\n', f);
}

void nn_fprint(FILE *f, Module *self) {
    module_check("nn_fprint", self);
    char count[40];
    fprintf(f, "An `nn_module` containing %s parameters.\n",
            with_commas(nn_num_parameters(self), count, sizeof count));
    if (self->n_children > 0) {
        fputc('\n', f);
        rule(f, "Modules");
        for (int i = 0; i < self->n_children; i++)
            fprintf(f, "• %s: <%s> #%s parameters\n", self->child_names[i],
                    self->children[i]->class_name,
                    with_commas(nn_num_parameters(self->children[i]), count, sizeof count));
    }
    if (self->n_parameters > 0) {
        fputc('\n', f);
        rule(f, "Parameters");
        for (int i = 0; i < self->n_parameters; i++) {
            Tensor *p = self->parameters[i];
            fprintf(f, "• %s: Float [", self->parameter_names[i]);
            for (int d = 0; d < p->shape.ndim; d++)
                fprintf(f, d ? ", 1:%" PRId64 : "1:%" PRId64, p->shape.size[d]);
            fprintf(f, "]\n");
        }
    }
}

void nn_print(Module *self) { nn_fprint(stdout, self); }

/* Freed modules wait here, marked dead, before their memory goes back to the system, so
 * that using one soon after nn_free is caught by module_check instead of reading freed
 * memory. */
#define GRAVEYARD 256
static Module *graveyard[GRAVEYARD];
static int graveyard_next;

void nn_free(Module *self) {
    if (!self) return;
    module_check("nn_free", self);
    for (int i = 0; i < self->n_children; i++) nn_free(self->children[i]);
    for (int i = 0; i < self->n_parameters; i++) torch_free(self->parameters[i]);
    if (self->free_extra) self->free_extra(self);
    forget_collected(self);
    self->magic = MODULE_DEAD;
    free(graveyard[graveyard_next]);
    graveyard[graveyard_next] = self;
    graveyard_next = (graveyard_next + 1) % GRAVEYARD;
}

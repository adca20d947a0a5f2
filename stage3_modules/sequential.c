/* sequential.c: nn_sequential, modules applied one after the other. */
#include "nn.h"

#include <stdio.h>
#include <stdlib.h>

static Tensor *sequential_forward(Module *self, Tensor *x) {
    for (int i = 0; i < self->n_children; i++) x = nn_forward(self->children[i], x);
    return x;
}

Module *nn_sequential_of(Module **modules) {
    if (!modules || !modules[0])
        torch_error("nn_sequential", "needs at least one module, got none");
    Module *m = calloc(1, sizeof *m);
    if (!m) torch_error("nn_sequential", "out of memory");
    nn_module_init(m, "nn_sequential", sequential_forward);
    for (int i = 0; modules[i]; i++) {
        char name[16];
        snprintf(name, sizeof name, "%d", i);
        nn_register_module(m, name, modules[i]);
    }
    return m;
}

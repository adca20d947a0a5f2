/* sequential.c: nn_sequential, modules applied one after the other. */
#include "nn.h"

#include <stdio.h>
#include <stdlib.h>

static Tensor *sequential_forward(Module *self, Tensor *x) {
    /* BEGIN EXERCISE 3.2: nn_sequential's forward */
    Tensor *input = x;
    for (int i = 0; i < self->n_children; i++) {
        Tensor *next = nn_forward(self->children[i], x);
        /* Outside any scope nothing would ever release an intermediate result: release it
         * now, unless a recorded graph holds it (a view of it keeps its data anyway). */
        if (x != input && x != next && x->scope == 0 && !torch_requires_grad(next))
            torch_free(x);
        x = next;
    }
    return x;
    /* END EXERCISE 3.2 */
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

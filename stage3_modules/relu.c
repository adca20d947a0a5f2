/* relu.c: nn_relu, max(x, 0) elementwise; no parameters. */
#include "nn.h"

#include <stdlib.h>

static Tensor *relu_forward(Module *self, Tensor *x) {
    (void)self;
    return torch_relu(x);
}

Module *nn_relu(void) {
    Module *m = calloc(1, sizeof *m);
    if (!m) torch_error("nn_relu", "out of memory");
    nn_module_init(m, "nn_relu", relu_forward);
    return m;
}

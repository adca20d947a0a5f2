/* Chapter 3, "Your own module": my_linear, then inside an nn_sequential. */
#include <stdlib.h>

#include "example.h"
#include "nn.h"

/* docs:begin my-linear */
/*
 * R: my_linear <- nn_module(
 *      initialize = function(in_features, out_features) {
 *        self$w <- nn_parameter(torch_randn(in_features, out_features))
 *        self$b <- nn_parameter(torch_zeros(out_features))
 *      },
 *      forward = function(input) {
 *        input$mm(self$w) + self$b
 *      })
 */
typedef struct MyLinear {
    Module module; /* first, so a MyLinear * is also a Module * */
    Tensor *w, *b; /* handy direct pointers; the module owns them */
} MyLinear;

static Tensor *my_linear_forward(Module *self, Tensor *input) {
    MyLinear *m = (MyLinear *)self;
    return torch_add(torch_mm(input, m->w), m->b);
}

static Module *my_linear(int64_t in_features, int64_t out_features) {
    MyLinear *m = calloc(1, sizeof *m);
    if (!m) abort();
    nn_module_init(&m->module, "my_linear", my_linear_forward);
    m->w = nn_register_parameter(&m->module, "w", torch_randn(SHAPE(in_features, out_features)));
    m->b = nn_register_parameter(&m->module, "b", torch_zeros(SHAPE(out_features)));
    return &m->module;
}
/* docs:end my-linear */

int main(void) {
    torch_manual_seed(1);

    part("use");
    /* docs:begin use */
    /* R: model <- nn_sequential(my_linear(3, 32), nn_relu(), my_linear(32, 1)) */
    Module *model = nn_sequential(my_linear(3, 32), nn_relu(), my_linear(32, 1));
    nn_print(model);

    /* R: names(model$parameters) */
    ParameterList params = nn_parameters(model);
    for (int i = 0; i < params.count; i++) printf(i ? " %s" : "%s", params.names[i]);
    printf("\n");
    /* docs:end use */

    nn_free(model); /* frees our MyLinear structs too: each starts with its Module */
    return 0;
}

/* Chapter 3, "A linear module": nn_linear, its parameters, and calling it. */
#include "example.h"
#include "nn.h"

int main(void) {
    torch_manual_seed(1);

    part("parameters");
    /* docs:begin parameters */
    /* R: l <- nn_linear(3, 1) -- 3 features in, 1 out: weight (1, 3) and bias (1),
     * already initialized with small random values */
    Module *l = nn_linear(3, 1);

    /* R: l$parameters -- a named list */
    ParameterList params = nn_parameters(l);
    for (int i = 0; i < params.count; i++) {
        printf("$%s\n", params.names[i]);
        torch_print(params.items[i]);
    }
    /* docs:end parameters */

    torch_scope_begin(); /* the data and results below are released at its end */

    part("call");
    /* docs:begin call */
    /* R: data <- torch_randn(10, 3); out <- l(data) -- calling a module runs its forward:
     * data$mm(weight$t()) + bias */
    Tensor *data = torch_randn(SHAPE(10, 3));
    Tensor *out = nn_forward(l, data);
    torch_print(out);
    /* docs:end call */

    part("backward");
    /* docs:begin backward */
    /* R: out$backward() -- out has 10 values; backward() wants a single number */
    SHOW_ERROR(torch_backward(out));

    /* R: d <- out$sum(); d$backward(); l$weight$grad; l$bias$grad */
    Tensor *d = torch_sum(out);
    torch_backward(d);
    torch_print(torch_grad(nn_get_parameter(l, "weight")));
    torch_print(torch_grad(nn_get_parameter(l, "bias")));
    /* docs:end backward */

    part("backward-with");
    /* docs:begin backward-with */
    /* R: l$zero_grad(); out <- l(data)
     *    out$backward(gradient = torch_ones(10, 1)) -- a gradient for each of the 10 outputs */
    nn_zero_grad(l);
    out = nn_forward(l, data); /* the first backward freed out's graph: record it again */
    torch_backward_with(out, torch_ones(SHAPE(10, 1)), false);
    torch_print(torch_grad(nn_get_parameter(l, "weight")));
    torch_print(torch_grad(nn_get_parameter(l, "bias")));

    /* R: the same with gradient = torch_full(c(10, 1), 0.1): the gradients of out$mean() */
    nn_zero_grad(l);
    out = nn_forward(l, data);
    torch_backward_with(out, torch_full(SHAPE(10, 1), 0.1f), false);
    torch_print(torch_grad(nn_get_parameter(l, "bias")));
    /* docs:end backward-with */

    torch_scope_end();
    nn_free(l); /* a module lives until freed, with its parameters and their grads */
    return 0;
}

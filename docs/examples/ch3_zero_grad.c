/* Chapter 3, "zero_grad": one call for every parameter of a model. */
#include "example.h"
#include "nn.h"

/* Prints the gradient of the model's last bias (a single number, easy to follow). */
static void show_bias_grad(Module *model, const char *when) {
    ParameterList params = nn_parameters(model);
    Tensor *g = torch_grad(params.items[params.count - 1]);
    printf("%-26s %s.grad = %g\n", when, params.names[params.count - 1], torch_item(g));
}

int main(void) {
    torch_manual_seed(1);
    Module *model = nn_sequential(nn_linear(3, 32), nn_relu(), nn_linear(32, 1));
    Tensor *x = torch_randn(SHAPE(10, 3)); /* lives until freed */

    part("zero-grad");
    /* docs:begin zero-grad */
    for (int pass = 1; pass <= 2; pass++) {
        torch_scope_begin();
        /* R: model(x)$sum()$backward() -- the last bias adds 1 per row: gradient 10 */
        torch_backward(torch_sum(nn_forward(model, x)));
        torch_scope_end();
        show_bias_grad(model, pass == 1 ? "after one backward:" : "after a second backward:");
    }

    /* R: model$zero_grad() -- every parameter's gradient back to 0, however deep */
    nn_zero_grad(model);
    show_bias_grad(model, "after zero_grad:");
    /* docs:end zero-grad */

    torch_free(x);
    nn_free(model);
    return 0;
}

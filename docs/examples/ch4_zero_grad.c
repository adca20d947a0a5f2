/* Chapter 4, "zero_grad": the optimizer resets the gradients, and why they add up at all. */
#include "autograd.h"
#include "example.h"
#include "losses.h"
#include "optim.h"

int main(void) {
    torch_manual_seed(1);
    /* R: model <- nn_linear(3, 1); optimizer <- optim_sgd(model$parameters, lr = 0.01) */
    Module *model = nn_linear(3, 1);
    Optimizer *optimizer = optim_sgd(nn_parameters(model), 0.01);
    Tensor *x = torch_randn(SHAPE(10, 3)), *y = torch_randn(SHAPE(10, 1)); /* live until freed */
    Tensor *weight = nn_get_parameter(model, "weight");

    part("zero-grad");
    /* docs:begin zero-grad */
    /* R: optimizer$zero_grad() -- every parameter the optimizer holds: grad to 0 */
    for (int pass = 1; pass <= 2; pass++) {
        torch_scope_begin();
        /* R: nnf_mse_loss(model(x), y, reduction = "sum")$backward() */
        torch_backward(nnf_mse_loss(nn_forward(model, x), y, "sum"));
        torch_scope_end();
        printf("after backward %d:\n", pass);
        torch_print(torch_grad(weight));
    }
    optim_zero_grad(optimizer);
    printf("after optimizer$zero_grad():\n");
    torch_print(torch_grad(weight));
    /* docs:end zero-grad */

    part("accumulate");
    /* docs:begin accumulate */
    /* The whole batch at once ... */
    torch_scope_begin();
    torch_backward(nnf_mse_loss(nn_forward(model, x), y, "sum"));
    printf("all 10 rows in one backward:\n");
    torch_print(torch_grad(weight));
    torch_scope_end();
    optim_zero_grad(optimizer);

    /* ... or in two halves, letting the gradients add up: R's x[1:5, ], then x[6:10, ] */
    for (int half = 0; half < 2; half++) {
        torch_scope_begin();
        Tensor *xs = torch_slice(x, 0, 5 * half, 5 * half + 5, 1);
        Tensor *ys = torch_slice(y, 0, 5 * half, 5 * half + 5, 1);
        torch_backward(nnf_mse_loss(nn_forward(model, xs), ys, "sum"));
        torch_scope_end();
    }
    printf("rows 1-5, then rows 6-10, no zero_grad in between:\n");
    torch_print(torch_grad(weight));
    optim_step(optimizer); /* one update from the accumulated gradient */
    /* docs:end accumulate */

    optim_free(optimizer);
    nn_free(model);
    torch_free(x);
    torch_free(y);
    return 0;
}

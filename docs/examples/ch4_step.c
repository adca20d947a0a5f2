/* Chapter 4, "SGD and Adam": one step of each, by the numbers. */
#include "autograd.h"
#include "example.h"
#include "optim.h"

/* R: loss <- (w * w)$sum(); loss$backward() -- the gradient is 2 * w: 2, 4, 6 */
static void compute_gradient(Tensor *w) {
    torch_scope_begin();
    torch_backward(torch_sum(torch_mul(w, w)));
    torch_scope_end();
}

int main(void) {
    /* docs:begin sgd */
    /* R: w <- torch_tensor(c(1, 2, 3), requires_grad = TRUE) */
    Tensor *w = torch_requires_grad_(torch_tensor(SHAPE(3), (float[]){1, 2, 3}), true);
    /* R: optimizer <- optim_sgd(list(w), lr = 0.1) */
    Optimizer *sgd = optim_sgd(optim_tensor_list(&w, 1), 0.1);
    /* docs:end sgd */

    part("sgd");
    /* docs:begin sgd-step */
    compute_gradient(w);
    torch_print(torch_grad(w));
    /* R: optimizer$step(); w -- w - lr * grad: 1 - 0.1 * 2, 2 - 0.1 * 4, 3 - 0.1 * 6 */
    optim_step(sgd);
    torch_print(w);
    /* docs:end sgd-step */
    optim_free(sgd);
    torch_free(w);

    part("adam");
    /* docs:begin adam-step */
    /* R: w <- torch_tensor(c(1, 2, 3), requires_grad = TRUE)
     *    optimizer <- optim_adam(list(w), lr = 0.1) */
    w = torch_requires_grad_(torch_tensor(SHAPE(3), (float[]){1, 2, 3}), true);
    Optimizer *adam = optim_adam(optim_tensor_list(&w, 1), 0.1);
    for (int step = 1; step <= 3; step++) {
        optim_zero_grad(adam); /* R: optimizer$zero_grad() */
        compute_gradient(w);
        optim_step(adam); /* R: optimizer$step() */
        printf("after step %d:\n", step);
        torch_print(w);
    }
    /* docs:end adam-step */

    part("state");
    /* docs:begin state */
    /* R: optimizer$state$get(w) -- what Adam keeps for each parameter */
    const ParamState *state = optim_state(adam, w);
    printf("step = %lld\n", (long long)state->step);
    printf("exp_avg (running average of grad):\n");
    torch_print(state->exp_avg);
    printf("exp_avg_sq (running average of grad^2):\n");
    torch_print(state->exp_avg_sq);
    /* docs:end state */

    optim_free(adam);
    torch_free(w);
    return 0;
}

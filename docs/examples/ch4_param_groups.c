/* Chapter 4, "Param groups": one optimizer, parts of the model with their own learning rates. */
#include "autograd.h"
#include "example.h"
#include "losses.h"
#include "optim.h"

/* Prints each param group: its learning rate and its parameters' names and sizes. */
static void show_groups(Optimizer *optimizer) {
    for (int g = 0; g < optimizer->n_groups; g++) {
        ParamGroup *group = optim_param_group(optimizer, g);
        printf("group %d: lr %g,", g + 1, param_group_lr(group)); /* R: group$lr */
        for (int i = 0; i < group->n_params; i++)
            printf(" %s (%lld)", group->names[i], (long long)torch_numel(group->params[i]));
        printf("\n");
    }
}

int main(void) {
    torch_manual_seed(1);
    Module *model = nn_sequential(nn_linear(3, 32), nn_relu(), nn_linear(32, 1));

    part("groups");
    /* docs:begin groups */
    /* R: optimizer <- optim_adam(model[[1]]$parameters, lr = 0.01) */
    Optimizer *optimizer = optim_adam(nn_parameters(model->children[0]), 0.01);
    /* R: optimizer$add_param_group(list(params = model[[3]]$parameters, lr = 0.001)) */
    ParamGroup *output_layer = optim_add_param_group(optimizer, nn_parameters(model->children[2]));
    param_group_set_lr(output_layer, 0.001);
    show_groups(optimizer);
    /* docs:end groups */

    part("step");
    /* docs:begin step */
    /* keep a copy of every parameter, to see how far the step moves it */
    ParameterList params = nn_parameters(model);
    Tensor *before[4];
    for (int i = 0; i < params.count; i++) before[i] = torch_clone(torch_detach(params.items[i]));

    torch_scope_begin();
    Tensor *x = torch_randn(SHAPE(10, 3)), *y = torch_randn(SHAPE(10, 1));
    torch_backward(nnf_mse_loss(nn_forward(model, x), y, "sum"));
    optim_step(optimizer); /* R: optimizer$step() */
    for (int i = 0; i < params.count; i++) {
        /* R: (param - before)$abs()$max() */
        Tensor *moved = torch_max(torch_abs(torch_sub(torch_detach(params.items[i]), before[i])));
        printf("%-9s moved by at most %.4f\n", params.names[i], torch_item(moved));
    }
    torch_scope_end();
    /* docs:end step */

    part("change");
    /* docs:begin change */
    /* R: optimizer$param_groups[[1]]$lr <- 0.005 -- e.g. to slow down later in training */
    param_group_set_lr(optim_param_group(optimizer, 0), 0.005);
    show_groups(optimizer);
    /* docs:end change */

    for (int i = 0; i < params.count; i++) torch_free(before[i]);
    optim_free(optimizer);
    nn_free(model);
    return 0;
}

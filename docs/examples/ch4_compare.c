/* Chapter 4, "SGD or Adam": the chapter's network trained with each optimizer, learning rate
 * and reduction, on the chapter's data. */
#include <string.h>

#include "example.h"
#include "losses.h"
#include "optim.h"

#define EPOCHS 200

/* Trains the chapter's network (stage4_losses_optim/train.c with seed 1) and writes the loss
 * after each epoch to losses[], always as a sum of squares so that the rows compare. */
static void train(const char *optim, double lr, const char *reduction, float *losses) {
    torch_manual_seed(1);
    int64_t n = 100;
    Tensor *x = torch_randn(SHAPE(n, 3));
    Tensor *y = torch_add(torch_sub(torch_sub(torch_mul_scalar(torch_narrow(x, 1, 0, 1), 0.2f),
                                              torch_mul_scalar(torch_narrow(x, 1, 1, 1), 1.3f)),
                                    torch_mul_scalar(torch_narrow(x, 1, 2, 1), 0.5f)),
                          torch_randn(SHAPE(n, 1)));
    Module *model = nn_sequential(nn_linear(3, 32), nn_relu(), nn_linear(32, 1));
    Optimizer *optimizer = strcmp(optim, "adam") == 0 ? optim_adam(nn_parameters(model), lr)
                                                      : optim_sgd(nn_parameters(model), lr);
    float scale = strcmp(reduction, "mean") == 0 ? (float)n : 1; /* mean * n = sum */
    for (int t = 1; t <= EPOCHS; t++) {
        torch_scope_begin();
        Tensor *loss = nnf_mse_loss(nn_forward(model, x), y, reduction);
        losses[t - 1] = torch_item(loss) * scale;
        optim_zero_grad(optimizer);
        torch_backward(loss);
        optim_step(optimizer);
        torch_scope_end();
    }
    optim_free(optimizer);
    nn_free(model);
    torch_free(x);
    torch_free(y);
}

int main(void) {
    /* docs:begin runs */
    struct { const char *optim; double lr; const char *reduction; } runs[] = {
        {"sgd", 1e-4, "sum"},   /* chapter 3's update: stage 3 */
        {"sgd", 1e-4, "mean"},  /* the same lr, but gradients 100 times smaller */
        {"sgd", 1e-2, "mean"},  /* lr 100 times larger: the first row again */
        {"adam", 0.08, "sum"},  /* the chapter's choice: stage 4 */
        {"adam", 0.08, "mean"}, /* Adam hardly minds the gradients' scale */
        {"adam", 0.001, "sum"}, /* Adam's default lr: too careful for 200 epochs */
    };
    /* docs:end runs */
    const int shown[] = {1, 10, 50, 100, 200};

    part("table");
    printf("%-9s  %-6s  %-9s  loss (as a sum of squares) after epoch\n", "optimizer", "lr",
           "reduction");
    printf("%28s", "");
    for (int e = 0; e < 5; e++) printf("%9d", shown[e]);
    printf("\n");
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        float losses[EPOCHS];
        train(runs[r].optim, runs[r].lr, runs[r].reduction, losses);
        printf("%-9s  %-6g  %-9s", runs[r].optim, runs[r].lr, runs[r].reduction);
        for (int e = 0; e < 5; e++) printf("%9.2f", losses[shown[e] - 1]);
        printf("\n");
    }
    return 0;
}

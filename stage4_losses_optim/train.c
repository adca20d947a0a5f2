/*
 * Chapter 4, losses and optimizers: the same network, now with torch's loss function and
 * an optimizer that updates the parameters.
 *
 * This is the chapter's R program, line for line, with the same names and section
 * comments as stages 1 to 3 (docs/chapter4-losses-optim.md shows them side by side), so
 * `./course diff 3 4` shows what losses and optimizers take away: the hand-written loss
 * becomes nnf_mse_loss, and the update loop over model$parameters becomes optimizer$step().
 *
 * Flags beyond stage 3's: --optim adam|sgd (adam) and --reduction sum|mean (sum). The
 * default --lr depends on the optimizer: 0.08 for adam (the chapter's), 1e-4 for sgd
 * (chapter 3's, with which --optim sgd reproduces stage 3 bit for bit).
 */
#include <math.h>
#include <string.h>

#include "autograd.h"
#include "cli.h"
#include "losses.h"
#include "nn.h"
#include "optim.h"
#include "tensor.h"

int main(int argc, char **argv) {
    TrainOptions opt = train_options(argc, argv, "stage4_losses_optim/train", NAN,
                                     TRAIN_WITH_OPTIM);
    torch_set_num_threads(opt.threads);
    torch_manual_seed(opt.seed);

    /* ### generate training data ---------------------------------------------------- */

    /* input dimensionality (number of input features) */
    int64_t d_in = opt.d_in;
    /* output dimensionality (number of predicted features) */
    int64_t d_out = 1;
    /* number of observations in training set */
    int64_t n = opt.n;

    /* create random data */
    Tensor *x = torch_randn(SHAPE(n, d_in));
    /* y <- x[, 1, NULL] * 0.2 - x[, 2, NULL] * 1.3 - x[, 3, NULL] * 0.5 + torch_randn(n, 1) */
    Tensor *y = torch_add(torch_sub(torch_sub(torch_mul_scalar(torch_narrow(x, 1, 0, 1), 0.2f),
                                              torch_mul_scalar(torch_narrow(x, 1, 1, 1), 1.3f)),
                                    torch_mul_scalar(torch_narrow(x, 1, 2, 1), 0.5f)),
                          torch_randn(SHAPE(n, 1)));

    /* ### define the network ------------------------------------------------------ */

    /* dimensionality of hidden layer */
    int64_t d_hidden = opt.hidden;

    Module *model = nn_sequential(nn_linear(d_in, d_hidden),
                                  nn_relu(),
                                  nn_linear(d_hidden, d_out));

    /* ### network parameters -------------------------------------------------------- */

    bool adam = strcmp(opt.optim, "adam") == 0;
    /* for adam, need to choose a much higher learning rate in this problem */
    double learning_rate = !isnan(opt.lr) ? opt.lr : adam ? 0.08 : 1e-4;

    Optimizer *optimizer = adam ? optim_adam(nn_parameters(model), learning_rate)
                                : optim_sgd(nn_parameters(model), learning_rate);

    /* ### training loop ------------------------------------------------------------- */

    TrainRun run = train_begin(&opt);
    for (int t = 1; t <= opt.epochs; t++) {
        torch_scope_begin(); /* this epoch's tensors are released at torch_scope_end */

        /* ### -------- Forward pass -------- */

        Tensor *y_pred = nn_forward(model, x);

        /* ### -------- compute loss -------- */

        Tensor *loss = nnf_mse_loss(y_pred, y, opt.reduction);

        /* if (t %% 10 == 0) cat("Epoch: ", t, "   Loss: ", loss$item(), "\n") */
        train_report(&run, t, torch_item(loss));

        /* ### -------- Backpropagation -------- */

        /* Still need to zero out the gradients before the backward pass, only this time,
         * on the optimizer object */
        optim_zero_grad(optimizer);

        /* gradients are still computed on the loss tensor (no change here) */
        torch_backward(loss);

        /* ### -------- Update weights -------- */

        /* use the optimizer to update model parameters */
        optim_step(optimizer);

        torch_scope_end();
    }
    train_end(&run);
    optim_free(optimizer);
    nn_free(model);
    return 0;
}

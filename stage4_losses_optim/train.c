/*
 * A chapter's final program: the R code of its chapter of "Getting familiar with torch", line
 * for line, with the same names and section comments (the chapter, in docs/, shows the two
 * side by side). The four stages' train.c have this shape and this header, so
 * `./course diff 1 2` (2 3, 3 4) shows exactly what a chapter changes. What C adds: SHAPE(...)
 * for sizes, 0-based dimensions, one scope per epoch that releases the epoch's temporaries
 * (R's garbage collector does that job there), and the harness (harness/train_harness.h): the
 * flags, R's progress lines, the loss CSV.
 */
#include "autograd.h"
#include "losses.h"
#include "nn.h"
#include "optim.h"
#include "tensor.h"
#include "train_harness.h"
#include "train_optim.h"

int main(int argc, char **argv) {
    TrainOptions opt = train_options(argc, argv);
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

    /* for adam, need to choose a much higher learning rate in this problem */
    double learning_rate = train_lr(&opt, 0.08);

    /* optimizer <- optim_adam(model$parameters, lr = learning_rate): train_optim gives back
     * optim_adam, or optim_sgd when the command line says --optim sgd (and 1e-4 is then
     * train_lr's default), so trying SGD takes no branch here */
    Optimizer *optimizer = train_optim(&opt, optim_adam)(nn_parameters(model), learning_rate);

    /* ### training loop ------------------------------------------------------------- */

    TrainRun run = train_begin(&opt);
    for (int t = 1; t <= opt.epochs; t++) {
        torch_scope_begin(); /* this epoch's tensors are released at torch_scope_end */

        /* ### -------- Forward pass -------- */

        /* BEGIN EXERCISE 4.8: the training loop of stage 4 (forward pass) */
        Tensor *y_pred = nn_forward(model, x);
        /* END EXERCISE 4.8 */

        /* ### -------- compute loss -------- */

        /* BEGIN EXERCISE 4.8: the training loop of stage 4 (loss) */
        Tensor *loss = nnf_mse_loss(y_pred, y, train_reduction(&opt, "sum"));
        /* END EXERCISE 4.8 */

        /* if (t %% 10 == 0) cat("Epoch: ", t, "   Loss: ", loss$item(), "\n") */
        train_report(&run, t, torch_item(loss));

        /* ### -------- Backpropagation -------- */

        /* BEGIN EXERCISE 4.8: the training loop of stage 4 (zero_grad and backward) */
        /* Still need to zero out the gradients before the backward pass, only this time,
         * on the optimizer object */
        optim_zero_grad(optimizer);

        /* gradients are still computed on the loss tensor (no change here) */
        torch_backward(loss);
        /* END EXERCISE 4.8 */

        /* ### -------- Update weights -------- */

        /* BEGIN EXERCISE 4.8: the training loop of stage 4 (update) */
        /* use the optimizer to update model parameters */
        optim_step(optimizer);
        /* END EXERCISE 4.8 */

        torch_scope_end();
    }
    train_end(&run);
    optim_free(optimizer);
    nn_free(model);
    return 0;
}

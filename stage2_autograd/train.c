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
#include "tensor.h"
#include "train_harness.h"

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

    /* ### initialize weights -------------------------------------------------------- */

    /* dimensionality of hidden layer */
    int64_t d_hidden = opt.hidden;
    /* weights connecting input to hidden layer */
    Tensor *w1 = torch_requires_grad_(torch_randn(SHAPE(d_in, d_hidden)), true);
    /* weights connecting hidden to output layer */
    Tensor *w2 = torch_requires_grad_(torch_randn(SHAPE(d_hidden, d_out)), true);

    /* hidden layer bias */
    Tensor *b1 = torch_requires_grad_(torch_zeros(SHAPE(1, d_hidden)), true);
    /* output layer bias */
    Tensor *b2 = torch_requires_grad_(torch_zeros(SHAPE(1, d_out)), true);

    /* ### network parameters -------------------------------------------------------- */

    float learning_rate = (float)train_lr(&opt, 1e-4);

    /* ### training loop ------------------------------------------------------------- */

    TrainRun run = train_begin(&opt);
    for (int t = 1; t <= opt.epochs; t++) {
        torch_scope_begin(); /* this epoch's tensors are released at torch_scope_end */

        /* ### -------- Forward pass -------- */

        /* BEGIN EXERCISE 2.8: the training loop of stage 2 (forward pass) */
        /* compute pre-activations of hidden layers (dim: 100 x 32) */
        Tensor *h = torch_add(torch_mm(x, w1), b1);
        /* apply activation function (dim: 100 x 32) */
        Tensor *h_relu = torch_clamp_min(h, 0);
        /* compute output (dim: 100 x 1) */
        Tensor *y_pred = torch_add(torch_mm(h_relu, w2), b2);
        /* END EXERCISE 2.8 */

        /* ### -------- compute loss -------- */

        /* BEGIN EXERCISE 2.8: the training loop of stage 2 (loss) */
        Tensor *loss = torch_sum(torch_pow(torch_sub(y_pred, y), 2));
        /* END EXERCISE 2.8 */

        /* if (t %% 10 == 0) cat("Epoch: ", t, "   Loss: ", loss$item(), "\n") */
        train_report(&run, t, torch_item(loss));

        /* ### -------- Backpropagation -------- */

        /* BEGIN EXERCISE 2.8: the training loop of stage 2 (backward) */
        /* compute gradient of loss w.r.t. all tensors with requires_grad = TRUE */
        torch_backward(loss);
        /* END EXERCISE 2.8 */

        /* ### -------- Update weights -------- */

        /* BEGIN EXERCISE 2.8: the training loop of stage 2 (update) */
        /* Wrap in with_no_grad() because this is a part we DON'T want to record for
         * automatic gradient computation */
        with_no_grad({
            torch_sub_(w1, torch_mul_scalar(torch_grad(w1), learning_rate));
            torch_sub_(w2, torch_mul_scalar(torch_grad(w2), learning_rate));
            torch_sub_(b1, torch_mul_scalar(torch_grad(b1), learning_rate));
            torch_sub_(b2, torch_mul_scalar(torch_grad(b2), learning_rate));

            /* Zero gradients after every pass, as they'd accumulate otherwise */
            torch_zero_(torch_grad(w1));
            torch_zero_(torch_grad(w2));
            torch_zero_(torch_grad(b1));
            torch_zero_(torch_grad(b2));
        });
        /* END EXERCISE 2.8 */

        torch_scope_end();
    }
    train_end(&run);
    return 0;
}

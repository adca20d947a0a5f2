/*
 * A chapter's final program: the R code of its chapter of "Getting familiar with torch", line
 * for line, with the same names and section comments (the chapter, in docs/, shows the two
 * side by side). The four stages' train.c have this shape and this header, so
 * `./course diff 1 2` (2 3, 3 4) shows exactly what a chapter changes. What C adds: SHAPE(...)
 * for sizes, 0-based dimensions, one scope per epoch that releases the epoch's temporaries
 * (R's garbage collector does that job there), and the harness (harness/train_harness.h): the
 * flags, R's progress lines, the loss CSV.
 */
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
    Tensor *w1 = torch_randn(SHAPE(d_in, d_hidden));
    /* weights connecting hidden to output layer */
    Tensor *w2 = torch_randn(SHAPE(d_hidden, d_out));

    /* hidden layer bias */
    Tensor *b1 = torch_zeros(SHAPE(1, d_hidden));
    /* output layer bias */
    Tensor *b2 = torch_zeros(SHAPE(1, d_out));

    /* ### network parameters -------------------------------------------------------- */

    float learning_rate = (float)train_lr(&opt, 1e-4);

    /* ### training loop ------------------------------------------------------------- */

    TrainRun run = train_begin(&opt);
    for (int t = 1; t <= opt.epochs; t++) {
        torch_scope_begin(); /* this epoch's tensors are released at torch_scope_end */

        /* ### -------- Forward pass -------- */

        /* compute pre-activations of hidden layers (dim: 100 x 32) */
        Tensor *h = torch_add(torch_mm(x, w1), b1);
        /* apply activation function (dim: 100 x 32) */
        Tensor *h_relu = torch_clamp_min(h, 0);
        /* compute output (dim: 100 x 1) */
        Tensor *y_pred = torch_add(torch_mm(h_relu, w2), b2);

        /* ### -------- compute loss -------- */

        float loss = torch_item(torch_sum(torch_pow(torch_sub(y_pred, y), 2)));

        /* if (t %% 10 == 0) cat("Epoch: ", t, "   Loss: ", loss, "\n") */
        train_report(&run, t, loss);

        /* ### -------- Backpropagation -------- */

        /* BEGIN EXERCISE 1.6: the gradients, by hand */
        /* gradient of loss w.r.t. prediction (dim: 100 x 1) */
        Tensor *grad_y_pred = torch_mul_scalar(torch_sub(y_pred, y), 2);
        /* gradient of loss w.r.t. w2 (dim: 32 x 1) */
        Tensor *grad_w2 = torch_mm(torch_t(h_relu), grad_y_pred);
        /* gradient of loss w.r.t. hidden activation (dim: 100 x 32) */
        Tensor *grad_h_relu = torch_mm(grad_y_pred, torch_t(w2));
        /* gradient of loss w.r.t. hidden pre-activation (dim: 100 x 32) */
        Tensor *grad_h = torch_clone(grad_h_relu);

        /* grad_h[h < 0] <- 0 */
        torch_masked_fill_(grad_h, torch_lt_scalar(h, 0), 0);

        /* gradient of loss w.r.t. b2 (shape: ()) */
        Tensor *grad_b2 = torch_sum(grad_y_pred);

        /* gradient of loss w.r.t. w1 (dim: 3 x 32) */
        Tensor *grad_w1 = torch_mm(torch_t(x), grad_h);
        /* gradient of loss w.r.t. b1 (shape: (32, )); R's dim = 1 is C's dim 0 */
        Tensor *grad_b1 = torch_sum_dim(grad_h, 0, false);
        /* END EXERCISE 1.6 */

        /* ### -------- Update weights -------- */

        /* w2 <- w2 - learning_rate * grad_w2, and so on: torch_assign keeps the new value
         * beyond this epoch's scope and frees the old one. */
        torch_assign(&w2, torch_sub(w2, torch_mul_scalar(grad_w2, learning_rate)));
        torch_assign(&b2, torch_sub(b2, torch_mul_scalar(grad_b2, learning_rate)));
        torch_assign(&w1, torch_sub(w1, torch_mul_scalar(grad_w1, learning_rate)));
        torch_assign(&b1, torch_sub(b1, torch_mul_scalar(grad_b1, learning_rate)));

        torch_scope_end();
    }
    train_end(&run);
    return 0;
}

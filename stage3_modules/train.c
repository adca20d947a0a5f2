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
#include "nn.h"
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

    /* ### define the network ------------------------------------------------------ */

    /* dimensionality of hidden layer */
    int64_t d_hidden = opt.hidden;

    Module *model = nn_sequential(nn_linear(d_in, d_hidden),
                                  nn_relu(),
                                  nn_linear(d_hidden, d_out));

    /* ### network parameters -------------------------------------------------------- */

    float learning_rate = (float)train_lr(&opt, 1e-4);

    /* ### training loop ------------------------------------------------------------- */

    TrainRun run = train_begin(&opt);
    for (int t = 1; t <= opt.epochs; t++) {
        torch_scope_begin(); /* this epoch's tensors are released at torch_scope_end */

        /* ### -------- Forward pass -------- */

        /* BEGIN EXERCISE 3.7: the training loop of stage 3 (forward pass) */
        Tensor *y_pred = nn_forward(model, x);
        /* END EXERCISE 3.7 */

        /* ### -------- compute loss -------- */

        /* BEGIN EXERCISE 3.7: the training loop of stage 3 (loss) */
        Tensor *loss = torch_sum(torch_pow(torch_sub(y_pred, y), 2));
        /* END EXERCISE 3.7 */

        /* if (t %% 10 == 0) cat("Epoch: ", t, "   Loss: ", loss$item(), "\n") */
        train_report(&run, t, torch_item(loss));

        /* ### -------- Backpropagation -------- */

        /* BEGIN EXERCISE 3.7: the training loop of stage 3 (zero_grad and backward) */
        /* Zero the gradients before running the backward pass. */
        nn_zero_grad(model);

        /* compute gradient of the loss w.r.t. all learnable parameters of the model */
        torch_backward(loss);
        /* END EXERCISE 3.7 */

        /* ### -------- Update weights -------- */

        /* BEGIN EXERCISE 3.7: the training loop of stage 3 (update) */
        /* Wrap in with_no_grad() because this is a part we DON'T want to record for
         * automatic gradient computation. Update each parameter by its `grad` */
        with_no_grad({
            ParameterList params = nn_parameters(model);
            for (int i = 0; i < params.count; i++)
                torch_sub_(params.items[i], torch_mul_scalar(torch_grad(params.items[i]),
                                                             learning_rate));
        });
        /* END EXERCISE 3.7 */

        torch_scope_end();
    }
    train_end(&run);
    nn_free(model);
    return 0;
}

/*
 * optimizer_demo.c: chapter 4's walkthrough, printed as an R session would print it.
 *
 * First the two ways to call a loss (nnf_mse_loss(x, y) and nn_mse_loss()(x, y), the same
 * value); then one optimizer step on a tiny model: the parameters, the optimizer and its
 * param group, a forward and backward pass that leave the parameters alone, and the step
 * that moves each of them by about the learning rate (Adam's first step is lr * sign(grad)).
 *
 * usage: optimizer_demo [--seed S]      (default seed 1; bad flags exit with status 2)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autograd.h"
#include "losses.h"
#include "nn.h"
#include "optim.h"
#include "tensor.h"

static const char *prog = "stage4_losses_optim/optimizer_demo";

static _Noreturn void bad_flag(const char *what, const char *value) {
    fprintf(stderr, "%s: %s '%s' (see --help)\n", prog, what, value);
    exit(2);
}

/* --seed S is the only flag. */
static uint64_t parse_seed(int argc, char **argv) {
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: %s [--seed S]\n", prog);
            exit(0);
        }
        if (strcmp(argv[i], "--seed") != 0) bad_flag("unknown flag", argv[i]);
        if (i + 1 >= argc) {
            fprintf(stderr, "%s: --seed needs a value (see --help)\n", prog);
            exit(2);
        }
        const char *s = argv[++i];
        char *end;
        errno = 0;
        seed = s[0] == '-' ? (uint64_t)strtoll(s, &end, 10) : strtoull(s, &end, 10);
        if (errno || *s == '\0' || *end != '\0') bad_flag("--seed needs a 64-bit integer, got", s);
    }
    return seed;
}

/* R echoes each command after its prompt. */
static void command(const char *r_code) { printf("> %s\n", r_code); }

int main(int argc, char **argv) {
    torch_manual_seed(parse_seed(argc, argv));

    /* ## Losses and loss functions --------------------------------------------------------- */

    torch_scope_begin(); /* this section's tensors are released at its end */
    command("x <- torch_randn(c(3, 2, 3))");
    Tensor *x = torch_randn(SHAPE(3, 2, 3));
    command("y <- torch_zeros(c(3, 2, 3))");
    Tensor *y = torch_zeros(SHAPE(3, 2, 3));
    command("nnf_mse_loss(x, y)");
    torch_print(nnf_mse_loss(x, y, "mean"));

    command("loss <- nn_mse_loss()");
    Module *loss = nn_mse_loss("mean");
    command("loss(x, y)");
    torch_print(nn_loss(loss, x, y));
    nn_free(loss);
    torch_scope_end();

    /* ## Optimizers ------------------------------------------------------------------------ */

    /* docs:begin walkthrough */
    command("data <- torch_randn(1, 3)");
    Tensor *data = torch_randn(SHAPE(1, 3));
    command("model <- nn_linear(3, 1)");
    Module *model = nn_linear(3, 1);
    command("model$parameters");
    parameters_print(nn_parameters(model));

    /* When we create an optimizer, we tell it what parameters it is supposed to work on. */
    command("optimizer <- optim_adam(model$parameters, lr = 0.01)");
    Optimizer *optimizer = optim_adam(nn_parameters(model), 0.01);
    command("optimizer");
    optim_print(optimizer);
    command("optimizer$param_groups[[1]]");
    optim_print_param_group(optimizer, 0);

    /* The backward pass computes the gradients, but does not update the parameters, as both
     * the model and the optimizer show. */
    command("out <- model(data)");
    Tensor *out = nn_forward(model, data);
    command("out$backward()");
    torch_backward(out);
    command("optimizer$param_groups[[1]]$params");
    parameters_print(param_group_params(optim_param_group(optimizer, 0)));
    command("model$parameters");
    parameters_print(nn_parameters(model));

    /* Calling step() on the optimizer performs the update, seen by both again. */
    command("optimizer$step()");
    optim_step(optimizer);
    printf("NULL\n");
    command("optimizer$param_groups[[1]]$params");
    parameters_print(param_group_params(optim_param_group(optimizer, 0)));
    command("model$parameters");
    parameters_print(nn_parameters(model));
    /* docs:end walkthrough */

    optim_free(optimizer);
    nn_free(model);
    torch_free(out);
    torch_free(data);
    return 0;
}

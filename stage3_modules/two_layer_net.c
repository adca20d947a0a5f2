/*
 * two_layer_net.c: chapter 2's network as a module of its own. Chapter 2 kept four loose
 * tensors and wrote the forward pass inside the training loop; here the module owns them and
 * nn_forward runs that same forward, so that nn_parameters, nn_zero_grad and an optimizer see
 * them:
 *
 *   R: two_layer_net <- nn_module(
 *        initialize = function(d_in, d_hidden, d_out) {
 *          self$w1 <- nn_parameter(torch_randn(d_in, d_hidden))
 *          self$w2 <- nn_parameter(torch_randn(d_hidden, d_out))
 *          self$b1 <- nn_parameter(torch_zeros(1, d_hidden))
 *          self$b2 <- nn_parameter(torch_zeros(1, d_out))
 *        },
 *        forward = function(x) {
 *          x$mm(self$w1)$add(self$b1)$clamp(min = 0)$mm(self$w2)$add(self$b2)
 *        })
 */
#include "nn.h"

#include <stdlib.h>

typedef struct TwoLayerNet {
    Module module; /* first, so a TwoLayerNet * is a Module * */
    Tensor *w1, *w2, *b1, *b2;
} TwoLayerNet;

/* x (n, d_in) -> (n, d_out): chapter 2's forward pass. */
static Tensor *two_layer_net_forward(Module *self, Tensor *x) {
    TwoLayerNet *net = (TwoLayerNet *)self;
    /* BEGIN EXERCISE 3.6: a custom module (forward) */
    Tensor *h = torch_add(torch_mm(x, net->w1), net->b1);
    Tensor *h_relu = torch_clamp_min(h, 0);
    return torch_add(torch_mm(h_relu, net->w2), net->b2);
    /* END EXERCISE 3.6 */
}

/* libtorch's message for a weight (rows, cols) with a negative size. */
static void check_sizes(int64_t rows, int64_t cols) {
    if (rows < 0 || cols < 0)
        torch_error("nn_two_layer_net",
                    "Trying to create tensor with negative dimension %lld: [%lld, %lld]",
                    (long long)(rows < 0 ? rows : cols), (long long)rows, (long long)cols);
}

Module *nn_two_layer_net(int64_t d_in, int64_t d_hidden, int64_t d_out) {
    check_sizes(d_in, d_hidden); /* w1, then w2: the order torch makes them in */
    check_sizes(d_hidden, d_out);
    TwoLayerNet *net = calloc(1, sizeof *net);
    if (!net) torch_error("nn_two_layer_net", "out of memory");
    nn_module_init(&net->module, "two_layer_net", two_layer_net_forward);
    Module *self = &net->module;
    /* BEGIN EXERCISE 3.6: a custom module (its parameters) */
    net->w1 = nn_register_parameter(self, "w1", torch_randn(SHAPE(d_in, d_hidden)));
    net->w2 = nn_register_parameter(self, "w2", torch_randn(SHAPE(d_hidden, d_out)));
    net->b1 = nn_register_parameter(self, "b1", torch_zeros(SHAPE(1, d_hidden)));
    net->b2 = nn_register_parameter(self, "b2", torch_zeros(SHAPE(1, d_out)));
    /* END EXERCISE 3.6 */
    return self;
}

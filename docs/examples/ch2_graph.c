/* Chapter 2: the graph autograd records for one forward pass of the chapter's network,
 * written in Graphviz's language (tools/docs.py renders it as docs/img/graph.svg). */
#include "autograd.h"
#include "example.h"

int main(void) {
    torch_scope_begin();
    torch_manual_seed(1);

    /* the chapter's data and weights, as in stage2_autograd/train.c */
    int64_t d_in = 3, d_out = 1, n = 100, d_hidden = 32;
    Tensor *x = torch_randn(SHAPE(n, d_in));
    Tensor *y = torch_randn(SHAPE(n, d_out)); /* any target will do for the picture */
    Tensor *w1 = torch_requires_grad_(torch_randn(SHAPE(d_in, d_hidden)), true);
    Tensor *w2 = torch_requires_grad_(torch_randn(SHAPE(d_hidden, d_out)), true);
    Tensor *b1 = torch_requires_grad_(torch_zeros(SHAPE(1, d_hidden)), true);
    Tensor *b2 = torch_requires_grad_(torch_zeros(SHAPE(1, d_out)), true);

    part("names");
    /* docs:begin names */
    Tensor *h = torch_add(torch_mm(x, w1), b1);
    Tensor *h_relu = torch_clamp_min(h, 0);
    Tensor *y_pred = torch_add(torch_mm(h_relu, w2), b2);
    Tensor *loss = torch_sum(torch_pow(torch_sub(y_pred, y), 2));

    /* R: loss$grad_fn, y_pred$grad_fn, h_relu$grad_fn, h$grad_fn */
    Tensor *made[] = {loss, y_pred, h_relu, h};
    for (int i = 0; i < 4; i++) printf("%s\n", grad_fn_name(torch_grad_fn(made[i])));
    /* docs:end names */

    part("dot");
    /* docs:begin dot */
    torch_autograd_dot(stdout, loss); /* the whole graph below loss, for Graphviz */
    /* docs:end dot */

    torch_scope_end();
    return 0;
}

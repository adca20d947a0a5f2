/* Chapter 2, "Inside backward()" and "backward with a given gradient": the order of the walk,
 * a node reached by two paths, gradients summed back over a broadcast, and
 * torch_backward_with as a vector-Jacobian product. */
#include <string.h>

#include "autograd.h"
#include "example.h"

/* docs:begin spy */
/* spy(x, "name"): the identity, recorded as one node whose backward prints the gradient it
 * was given. The forward passes its input through; the backward passes the gradient on. */
typedef struct SpyArgs {
    char name[8];
} SpyArgs;

static Tensor *spy_forward(AutogradContext *ctx, Tensor **inputs, int n_inputs) {
    (void)ctx, (void)n_inputs;
    return torch_clone(inputs[0]);
}

static void spy_backward(AutogradContext *ctx, Tensor *grad_output, Tensor **grad_inputs) {
    const SpyArgs *args = ctx->args;
    float g[8];
    int64_t n = torch_numel(grad_output);
    torch_to_array(grad_output, g);
    printf("backward reaches %s with gradient", args->name);
    for (int64_t i = 0; i < n; i++) printf(" %g", g[i]);
    printf("\n");
    grad_inputs[0] = grad_output;
}

static const AutogradFunction spy_fn = {
    .name = "SpyBackward",
    .forward = spy_forward,
    .backward = spy_backward,
    .args_size = sizeof(SpyArgs),
};

static Tensor *spy(Tensor *x, const char *name) {
    SpyArgs args = {{0}};
    strncpy(args.name, name, sizeof args.name - 1);
    return autograd_function_apply(&spy_fn, &x, 1, &args);
}
/* docs:end spy */

/* Prints a gradient's values on one line: "name: v1 v2 ...". */
static void show(const char *name, Tensor *t) {
    float v[16];
    int64_t n = torch_numel(t);
    torch_to_array(t, v);
    printf("%s:", name);
    for (int64_t i = 0; i < n; i++) printf(" %g", v[i]);
    printf("\n");
}

int main(void) {
    torch_scope_begin();

    part("two-paths");
    /* docs:begin two-paths */
    /* R: x <- torch_tensor(c(1, 2), requires_grad = TRUE) */
    Tensor *x = torch_requires_grad_(torch_tensor(SHAPE(2), (float[]){1, 2}), true);
    Tensor *a = spy(torch_mul_scalar(x, 2), "a");         /* a = 2x       = 2, 4  */
    Tensor *b = spy(torch_add_scalar(a, 1), "b");         /* b = a + 1    = 3, 5  */
    Tensor *c = spy(torch_mul_scalar(a, 3), "c");         /* c = 3a       = 6, 12 */
    Tensor *out = spy(torch_sum(torch_mul(b, c)), "out"); /* sum(b * c) = 18 + 60 */
    torch_backward(out);
    show("x$grad", torch_grad(x));
    /* docs:end two-paths */

    part("broadcast");
    /* docs:begin broadcast */
    /* R: bias <- torch_tensor(c(10, 20, 30), requires_grad = TRUE)       -- shape (3)
     *    scale <- torch_tensor(matrix(c(1, 2), 2, 1), requires_grad = TRUE) -- shape (2, 1) */
    Tensor *bias = torch_requires_grad_(torch_tensor(SHAPE(3), (float[]){10, 20, 30}), true);
    Tensor *scale = torch_requires_grad_(torch_tensor(SHAPE(2, 1), (float[]){1, 2}), true);
    /* R: y <- torch_zeros(2, 3) + bias + scale -- both stretched to (2, 3) */
    Tensor *y = torch_add(torch_add(torch_zeros(SHAPE(2, 3)), bias), scale);
    /* R: g <- torch_tensor(matrix(1:6, 2, 3, byrow = TRUE)); y$backward(gradient = g) */
    Tensor *g = torch_tensor(SHAPE(2, 3), (float[]){1, 2, 3, 4, 5, 6});
    torch_backward_with(y, g, false);
    torch_print(torch_grad(bias));  /* each column summed:  1+4, 2+5, 3+6 */
    torch_print(torch_grad(scale)); /* each row summed:     1+2+3, 4+5+6 */
    /* docs:end broadcast */

    part("vjp");
    /* docs:begin vjp */
    /* R: w <- torch_tensor(c(1, 2, 3), requires_grad = TRUE); s <- w * w -- three outputs */
    Tensor *w = torch_requires_grad_(torch_tensor(SHAPE(3), (float[]){1, 2, 3}), true);
    Tensor *s = torch_mul(w, w);

    /* R: s$backward() -- which of the three outputs? torch will not guess */
    SHOW_ERROR(torch_backward(s));

    /* R: s$backward(gradient = v, retain_graph = TRUE) for three choices of v */
    float vs[3][3] = {{1, 1, 1}, {1, 0, 0}, {0.1f, 1, 10}};
    for (int k = 0; k < 3; k++) {
        Tensor *v = torch_tensor(SHAPE(3), vs[k]);
        torch_backward_with(s, v, true);
        printf("v = %g %g %g  ->  ", vs[k][0], vs[k][1], vs[k][2]);
        show("w$grad", torch_grad(w));
        torch_zero_(torch_grad(w));
    }

    /* R: s$sum()$backward() -- the same as v = ones */
    torch_backward(torch_sum(s));
    show("after s$sum()$backward(), w$grad", torch_grad(w));

    /* R: s$backward(gradient = torch_ones(2)) -- v must have s's shape */
    SHOW_ERROR(torch_backward_with(s, torch_ones(SHAPE(2)), true));
    /* docs:end vjp */

    torch_scope_end();
    return 0;
}

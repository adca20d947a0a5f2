/* Chapter 2, "Not recording": with_no_grad() and detach(). */
#include "autograd.h"
#include "example.h"

int main(void) {
    torch_scope_begin();

    /* R: w <- torch_tensor(c(1, 2, 3), requires_grad = TRUE) */
    Tensor *w = torch_requires_grad_(torch_tensor(SHAPE(3), (float[]){1, 2, 3}), true);

    part("no-grad");
    /* docs:begin no-grad */
    /* R: a <- w * 2 -- recorded: a has a grad_fn */
    Tensor *a = torch_mul_scalar(w, 2);
    printf("a: requires_grad %d, grad_fn %s\n", torch_requires_grad(a),
           torch_grad_fn(a) ? grad_fn_name(torch_grad_fn(a)) : "NULL");

    /* R: with_no_grad({ b <- w * 2 }) -- not recorded: just numbers */
    Tensor *b;
    with_no_grad({ b = torch_mul_scalar(w, 2); });
    printf("b: requires_grad %d, grad_fn %s\n", torch_requires_grad(b),
           torch_grad_fn(b) ? grad_fn_name(torch_grad_fn(b)) : "NULL");
    /* docs:end no-grad */

    part("update");
    /* docs:begin update */
    Tensor *step = torch_full(SHAPE(3), 0.5f);

    /* R: w$sub_(step) -- changing a leaf that requires grad, in place, while recording,
     * would corrupt the graph that uses it; torch refuses */
    SHOW_ERROR(torch_sub_(w, step));

    /* R: with_no_grad({ w$sub_(step) }) -- allowed: this is how weights are updated */
    with_no_grad({ torch_sub_(w, step); });
    torch_print(w);
    /* docs:end update */

    part("detach");
    /* docs:begin detach */
    /* R: d <- a$detach() -- the same values (the same storage, even), cut off the graph */
    Tensor *d = torch_detach(a);
    torch_print(d);
    printf("d: requires_grad %d\n", torch_requires_grad(d));
    /* docs:end detach */

    torch_scope_end();
    return 0;
}

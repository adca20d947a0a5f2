/* Chapter 1, "Operations and broadcasting". */
#include "example.h"

int main(void) {
    torch_scope_begin();

    part("elementwise");
    /* docs:begin elementwise */
    /* R: t1 <- torch_tensor(c(1, 2)); t2 <- torch_tensor(c(3, 4)) */
    Tensor *t1 = torch_tensor(SHAPE(2), (float[]){1, 2});
    Tensor *t2 = torch_tensor(SHAPE(2), (float[]){3, 4});

    /* R: t1 + t2 (or t1$add(t2), or torch_add(t1, t2)): element by element */
    torch_print(torch_add(t1, t2));

    /* R: t1 * t2 and 2 * t1 + 1 -- a number mixes in through the _scalar functions */
    torch_print(torch_mul(t1, t2));
    torch_print(torch_add_scalar(torch_mul_scalar(t1, 2), 1));
    /* docs:end elementwise */

    part("broadcasting");
    /* docs:begin broadcasting */
    /* R: m <- torch_ones(3, 5) -- a 3 x 5 matrix */
    Tensor *m = torch_ones(SHAPE(3, 5));
    /* R: v <- torch_arange(1, 5) -- 5 values */
    Tensor *v = torch_arange(1, 5, 1);

    /* R: m + v. Shapes are lined up from the right: (3, 5) and (5) agree on the last
     * dimension; v lacks the first, so it is reused for every row. */
    torch_print(torch_add(m, v));

    /* R: torch_arange(1, 3)$view(c(3, 1)) * v -- a size of 1 stretches too:
     * (3, 1) times (5) gives (3, 5), every row of one times the other */
    torch_print(torch_mul(torch_view(torch_arange(1, 3, 1), SHAPE(3, 1)), v));
    /* docs:end broadcasting */

    part("broadcast-error");
    /* docs:begin broadcast-error */
    /* R: m + torch_ones(3) -- (3, 5) and (3) disagree on the last dimension: an error */
    SHOW_ERROR(torch_add(m, torch_ones(SHAPE(3))));
    /* docs:end broadcast-error */

    torch_scope_end();
    return 0;
}

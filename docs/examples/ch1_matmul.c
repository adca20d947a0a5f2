/* Chapter 1, "Matrix products". */
#include "example.h"

int main(void) {
    torch_scope_begin();

    part("mm");
    /* docs:begin mm */
    /* R: a <- torch_tensor(rbind(c(1, 2, 3), c(4, 5, 6))) -- 2 x 3 */
    Tensor *a = torch_tensor(SHAPE(2, 3), (float[]){1, 2, 3,
                                                    4, 5, 6});
    /* R: b <- torch_ones(3, 2) -- 3 x 2 */
    Tensor *b = torch_ones(SHAPE(3, 2));

    /* R: a$mm(b) -- (2, 3) times (3, 2) gives (2, 2); the inner sizes must agree */
    torch_print(torch_mm(a, b));

    /* R: a$mm(a) -- (2, 3) times (2, 3): the inner sizes 3 and 2 differ */
    SHOW_ERROR(torch_mm(a, a));

    /* R: a$mm(a$t()) -- transposing one side fixes it: (2, 3) times (3, 2) */
    torch_print(torch_mm(a, torch_t(a)));
    /* docs:end mm */

    part("matmul");
    /* docs:begin matmul */
    /* R: v <- torch_tensor(c(1, 0, -1)); torch_matmul(v, v) -- 1-d with 1-d: the dot product */
    Tensor *v = torch_tensor(SHAPE(3), (float[]){1, 0, -1});
    torch_print(torch_matmul(v, v));

    /* R: torch_matmul(a, v) -- a matrix times a vector: a vector of 2 */
    torch_print(torch_matmul(a, v));
    /* docs:end matmul */

    torch_scope_end();
    return 0;
}

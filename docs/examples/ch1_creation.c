/* Chapter 1, "Creating tensors": from values you type, then from a shape alone. */
#include "example.h"

int main(void) {
    torch_scope_begin(); /* every tensor made below is released at torch_scope_end() */
    torch_manual_seed(1);

    part("from-values");
    /* docs:begin from-values */
    /* R: torch_tensor(c(1, 2)) */
    torch_print(torch_tensor(SHAPE(2), (float[]){1, 2}));

    /* R: torch_tensor(c(TRUE, FALSE)) */
    torch_print(torch_tensor_bool(SHAPE(2), (bool[]){true, false}));

    /* R: torch_tensor(rbind(c(1, 2, 0), c(3, 0, 0), c(4, 5, 6))) */
    torch_print(torch_tensor(SHAPE(3, 3), (float[]){1, 2, 0,
                                                    3, 0, 0,
                                                    4, 5, 6}));
    /* docs:end from-values */

    part("dtypes");
    /* docs:begin dtypes */
    /* R: torch_tensor(1:3) is a long (int64) tensor */
    Tensor *i = torch_tensor_i64(SHAPE(3), (int64_t[]){1, 2, 3});
    torch_print(i);
    /* R: i$to(dtype = torch_float()) */
    torch_print(torch_to_dtype(i, TORCH_FLOAT32));
    /* docs:end dtypes */

    part("from-shape");
    /* docs:begin from-shape */
    /* R: torch_randn(3, 3): standard normal */
    torch_print(torch_randn(SHAPE(3, 3)));

    /* R: torch_zeros(4, 2, 2): a 3-d tensor, printed one 2 x 2 slice at a time */
    torch_print(torch_zeros(SHAPE(4, 2, 2)));

    /* R: torch_ones(2, 3) and torch_rand(2, 3) (uniform on [0, 1)) */
    torch_print(torch_ones(SHAPE(2, 3)));
    torch_print(torch_rand(SHAPE(2, 3)));
    /* docs:end from-shape */

    part("sequences");
    /* docs:begin sequences */
    /* R: torch_arange(1, 9, 2): R torch includes the end, as R's seq() does */
    torch_print(torch_arange(1, 9, 2));

    /* R: torch_eye(3) */
    torch_print(torch_eye(3));
    /* docs:end sequences */

    part("randint");
    /* docs:begin randint */
    /* R: torch_randint(low = 3, high = 7, size = c(2, 3)) -- whole numbers from 3 to 6:
     * high itself is never drawn. ctorch, like PyTorch, gives int64; R torch gives floats
     * unless you pass a dtype (the post prints CPUFloatType) */
    torch_manual_seed(1);
    torch_print(torch_randint(3, 7, SHAPE(2, 3)));
    /* docs:end randint */

    torch_scope_end();
    return 0;
}

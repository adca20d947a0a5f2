/* Chapter 1, "Back to C arrays": as_array() and item(). */
#include "example.h"

int main(void) {
    torch_scope_begin();

    part("as-array");
    /* docs:begin as-array */
    /* R: t <- torch_tensor(matrix(1:6, ncol = 3, byrow = TRUE), dtype = torch_float()) */
    Tensor *t = torch_tensor(SHAPE(2, 3), (float[]){1, 2, 3, 4, 5, 6});

    /* R: as_array(t). C has no matrix type: you get numel floats, row by row, in an array
     * you own. Element (i, j) of a 2 x 3 tensor is values[i * 3 + j]. */
    float values[6];
    torch_to_array(t, values);
    for (int i = 0; i < 2; i++)
        printf("%g %g %g\n", values[i * 3 + 0], values[i * 3 + 1], values[i * 3 + 2]);
    /* docs:end as-array */

    part("item");
    /* docs:begin item */
    /* R: t$sum()$item(): one element, as a plain number */
    float total = torch_item(torch_sum(t));
    printf("sum = %g\n", total);

    /* int64 tensors have their own pair: torch_to_array_i64 and torch_item_i64 */
    Tensor *counts = torch_tensor_i64(SHAPE(2), (int64_t[]){7, 35});
    printf("first count = %lld\n", (long long)torch_item_i64(torch_select(counts, 0, 0)));
    /* docs:end item */

    torch_scope_end();
    return 0;
}

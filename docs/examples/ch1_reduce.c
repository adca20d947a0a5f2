/* Chapter 1, "Reductions": sums and means, over everything or along one dimension. */
#include "example.h"

int main(void) {
    torch_scope_begin();

    /* R: t <- torch_tensor(rbind(c(1, 2, 3), c(4, 5, 6))) */
    Tensor *t = torch_tensor(SHAPE(2, 3), (float[]){1, 2, 3,
                                                    4, 5, 6});

    part("sum");
    /* docs:begin sum */
    /* R: t$sum() -- everything: a 0-dim tensor */
    torch_print(torch_sum(t));

    /* R: t$sum(dim = 1) -- R's first dimension is C's dimension 0. Summing over the rows
     * leaves one value per column */
    torch_print(torch_sum_dim(t, 0, false));

    /* R: t$sum(dim = 2) -- over the columns: one value per row */
    torch_print(torch_sum_dim(t, 1, false));
    /* docs:end sum */

    part("keepdim");
    /* docs:begin keepdim */
    /* R: t$mean(dim = 2, keepdim = TRUE) -- the summed dimension stays, with size 1, so
     * the result still broadcasts against t: here, each row minus its mean */
    Tensor *row_means = torch_mean_dim(t, 1, true);
    torch_print(row_means);
    torch_print(torch_sub(t, row_means));
    /* docs:end keepdim */

    part("max");
    /* docs:begin max */
    /* R: t$max(dim = 1) -- the largest value of each column, and (with R's 1-based
     * counting, or C's 0-based here) the row it is in */
    Tensor *where;
    torch_print(torch_max_dim(t, 0, false, &where));
    torch_print(where);
    /* docs:end max */

    torch_scope_end();
    return 0;
}

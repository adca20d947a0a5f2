/* Chapter 1, "Indexing and slicing": R's 1-based [ ] becomes 0-based calls. */
#include "example.h"

int main(void) {
    torch_scope_begin();

    /* R: t <- torch_tensor(rbind(c(1, 2, 3), c(4, 5, 6))) */
    Tensor *t = torch_tensor(SHAPE(2, 3), (float[]){1, 2, 3,
                                                    4, 5, 6});

    part("select");
    /* docs:begin select */
    /* R: t[1, 1] -- a single value is a 0-dim tensor */
    torch_print(torch_select(torch_select(t, 0, 0), 0, 0));

    /* R: t[1, ] -- the first row; the row dimension is dropped, a 1-d tensor remains */
    torch_print(torch_select(t, 0, 0));
    /* docs:end select */

    part("slice");
    /* docs:begin slice */
    /* R: t[1, 1:2] -- R's 1:2 is inclusive; C's start 0, end 2 excludes the end */
    torch_print(torch_slice(torch_select(t, 0, 0), 0, 0, 2, 1));

    /* R: t[, 1:3:2] -- every second column, a step of 2 */
    torch_print(torch_slice(t, 1, 0, 3, 2));
    /* docs:end slice */

    part("negative");
    /* docs:begin negative */
    /* R: t[, -1] -- in torch a negative index counts from the end (in base R it would
     * remove an element): the last column */
    torch_print(torch_select(t, 1, -1));

    /* R: t[, 1:-2] -- all columns but the last. R's end is inclusive, C's exclusive, so
     * R's -2 ("up to the second-to-last") is C's -1 ("stop before the last") */
    torch_print(torch_slice(t, 1, 0, -1, 1));
    /* docs:end negative */

    part("drop");
    /* docs:begin drop */
    /* R: t[, 1] drops the column dimension: a 1-d tensor of 2 values */
    torch_print(torch_select(t, 1, 0));

    /* R: t[, 1, drop = FALSE] keeps it: a 2 x 1 matrix. The chapter's y is built this way */
    torch_print(torch_narrow(t, 1, 0, 1));
    /* docs:end drop */

    part("ellipsis");
    /* docs:begin ellipsis */
    /* R: t3 <- torch_randint(-7, 7, size = c(2, 2, 2)) -- int64 here, floats in R */
    torch_manual_seed(1);
    Tensor *t3 = torch_randint(-7, 7, SHAPE(2, 2, 2));

    /* R: t3[.., 1] -- ".." stands for every dimension before the last one. C names the
     * dimension instead: -1 is the last, whatever the number of dimensions */
    torch_print(torch_select(t3, -1, 0));

    /* R: t3[2, ..] -- the first dimension, and everything after it untouched */
    torch_print(torch_select(t3, 0, 1));
    /* docs:end ellipsis */

    part("new-axis");
    /* docs:begin new-axis */
    /* R: t[, NULL] (or t[, newaxis]) -- a new axis of size 1 second: (2, 3) becomes
     * (2, 1, 3). C: torch_unsqueeze, given the new axis's position */
    char buf[64];
    printf("%s\n", shape_str(torch_shape(torch_unsqueeze(t, 1)), buf, sizeof buf));

    /* R: t$unsqueeze(1) -- the same, in front: (1, 2, 3) */
    printf("%s\n", shape_str(torch_shape(torch_unsqueeze(t, 0)), buf, sizeof buf));
    /* docs:end new-axis */

    part("view-shares");
    /* docs:begin view-shares */
    /* An index is a view: no copy, the same storage. Writing through it changes t. */
    Tensor *row = torch_select(t, 0, 1);
    torch_fill_(row, 0);
    torch_print(t);
    /* docs:end view-shares */

    torch_scope_end();
    return 0;
}

/* Chapter 1, "Reshaping": view, reshape, squeeze, unsqueeze and t. */
#include "example.h"

int main(void) {
    torch_scope_begin();

    part("view");
    /* docs:begin view */
    /* R: t <- torch_arange(1, 6) -- 1-d, 6 values */
    Tensor *t = torch_arange(1, 6, 1);

    /* R: t$view(c(2, 3)) -- the same 6 values read as 2 rows of 3; no copy */
    Tensor *m = torch_view(t, SHAPE(2, 3));
    torch_print(m);

    /* R: t$view(c(3, -1)) -- -1 means "whatever size makes the numbers add up" */
    torch_print(torch_view(t, SHAPE(3, -1)));
    /* docs:end view */

    part("squeeze");
    /* docs:begin squeeze */
    /* R: m$unsqueeze(1) -- a new dimension of size 1 in front: 2 x 3 becomes 1 x 2 x 3 */
    Tensor *u = torch_unsqueeze(m, 0);
    printf("unsqueezed: %d dims, sizes %lld %lld %lld\n", torch_dim(u),
           (long long)torch_size(u, 0), (long long)torch_size(u, 1), (long long)torch_size(u, 2));

    /* R: u$squeeze() -- every size-1 dimension goes away again */
    Tensor *s = torch_squeeze(u);
    printf("squeezed:   %d dims, sizes %lld %lld\n", torch_dim(s), (long long)torch_size(s, 0),
           (long long)torch_size(s, 1));
    /* docs:end squeeze */

    part("transpose");
    /* docs:begin transpose */
    /* R: m$t() -- rows become columns. Still no copy: only the strides are swapped */
    Tensor *mt = torch_t(m);
    torch_print(mt);
    printf("contiguous? m: %s, m$t(): %s\n", torch_is_contiguous(m) ? "yes" : "no",
           torch_is_contiguous(mt) ? "yes" : "no");
    /* docs:end transpose */

    part("reshape");
    /* docs:begin reshape */
    /* R: mt$view(6) -- fails: mt's elements are not in row order in memory */
    SHOW_ERROR(torch_view(mt, SHAPE(6)));

    /* R: mt$reshape(6) -- a view when possible, otherwise a copy in the new order */
    torch_print(torch_reshape(mt, SHAPE(6)));
    /* docs:end reshape */

    torch_scope_end();
    return 0;
}

/* Chapter 1, "Strides": how a view reads its storage (R: $stride(), $storage_offset(),
 * $storage()$data_ptr(), $contiguous()). Its "figure" part is docs/img/strides.dot, drawn
 * as docs/img/strides.svg by tools/docs.py. */
#include <string.h>

#include "example.h"

/* Prints "name  size (3, 4), stride (4, 1), offset 0": R's x$size(), x$stride() and
 * x$storage_offset(). */
static void show(const char *name, Tensor *t) {
    printf("%-8s size (", name);
    for (int d = 0; d < torch_dim(t); d++)
        printf("%s%lld", d ? ", " : "", (long long)torch_size(t, d));
    printf("), stride (");
    for (int d = 0; d < torch_dim(t); d++)
        printf("%s%lld", d ? ", " : "", (long long)torch_stride(t, d));
    printf("), offset %lld\n", (long long)torch_storage_offset(t));
}

/* One view as a Graphviz table: its sizes, strides and offset, and each element as
 * "value" over "[storage index]", so the figure shows where every element is read from. */
static void dot_view(const char *id, const char *title, Tensor *t) {
    const float *data = torch_data_ptr(t);
    int64_t rows = torch_dim(t) == 2 ? torch_size(t, 0) : 1, cols = torch_size(t, -1);
    int64_t s0 = torch_dim(t) == 2 ? torch_stride(t, 0) : 0, s1 = torch_stride(t, -1);
    printf("  %s [label=<<table border=\"0\" cellborder=\"1\" cellspacing=\"0\" "
           "cellpadding=\"4\">\n    <tr><td colspan=\"%lld\" bgcolor=\"#f6f8fa\"><b>%s</b>",
           id, (long long)cols, title);
    if (strcmp(id, "storage") != 0) {
        printf("<br/>stride (");
        if (torch_dim(t) == 2) printf("%lld, ", (long long)s0);
        printf("%lld), offset %lld", (long long)s1, (long long)torch_storage_offset(t));
    }
    printf("</td></tr>\n");
    for (int64_t i = 0; i < rows; i++) {
        printf("    <tr>");
        for (int64_t j = 0; j < cols; j++) {
            int64_t at = torch_storage_offset(t) + i * s0 + j * s1;
            printf("<td>%g<br/><font point-size=\"9\" color=\"#59636e\">[%lld]</font></td>",
                   data[at], (long long)at);
        }
        printf("</tr>\n");
    }
    printf("  </table>>];\n");
}

int main(void) {
    torch_scope_begin();

    part("strides");
    /* docs:begin strides */
    /* R: x <- torch_arange(1, 12)$view(c(3, 4)) -- 12 values in one storage, read as 3 x 4 */
    Tensor *x = torch_view(torch_arange(1, 12, 1), SHAPE(3, 4));
    show("x", x);                             /* R: x$stride() is 4 1 */

    /* R: x$t() -- the same storage, the two strides swapped */
    show("x$t()", torch_t(x));

    /* R: x[, 2:3] -- columns 2 and 3: the strides stay, the start moves one element on */
    show("x[, 2:3]", torch_slice(x, 1, 1, 3, 1));

    /* R: x[2, ] -- one row: dimension 0 is gone, the start moves one row (4 elements) on */
    show("x[2, ]", torch_select(x, 0, 1));

    /* R: x$view(c(2, 6)) -- the same storage read as rows of 6 */
    show("view", torch_view(x, SHAPE(2, 6)));
    /* docs:end strides */

    part("shared");
    /* docs:begin shared */
    /* R: x$t()$storage()$data_ptr() == x$storage()$data_ptr() -- views share the storage */
    Tensor *views[] = {torch_t(x), torch_slice(x, 1, 1, 3, 1), torch_view(x, SHAPE(2, 6)),
                       torch_clone(x)};
    const char *names[] = {"x$t()", "x[, 2:3]", "view", "x$clone()"};
    for (int i = 0; i < 4; i++)
        printf("%-9s shares x's storage: %s\n", names[i],
               torch_data_ptr(views[i]) == torch_data_ptr(x) ? "yes" : "no");
    /* docs:end shared */

    part("contiguous");
    /* docs:begin contiguous */
    /* R: xt <- x$t(); xt$is_contiguous() -- FALSE: its rows are not one after another */
    Tensor *xt = torch_t(x);
    printf("x$t() contiguous: %s\n", torch_is_contiguous(xt) ? "yes" : "no");

    /* R: xc <- xt$contiguous() -- a copy laid out in xt's own row order, new strides */
    Tensor *xc = torch_contiguous(xt);
    show("xc", xc);
    bool shares = torch_data_ptr(xc) == torch_data_ptr(x);
    printf("xc shares x's storage: %s\n", shares ? "yes" : "no");

    /* R: xc$view(12) -- now a view works (xt$view(12) is the error shown above) */
    torch_print(torch_view(xc, SHAPE(12)));

    /* R: x$contiguous() -- already contiguous: the same tensor comes back, no copy */
    printf("x$contiguous() is x: %s\n", torch_contiguous(x) == x ? "yes" : "no");
    /* docs:end contiguous */

    part("figure");
    printf("digraph strides {\n  nodesep=0.3; ranksep=0.6;\n"
           "  node [shape=plaintext, fontname=\"sans-serif\", fontsize=11,"
           " fontcolor=\"#1f2328\"];\n"
           "  edge [color=\"#0b5cad\", arrowsize=0.7];\n");
    dot_view("storage", "the storage: 12 floats, [index]", torch_view(x, SHAPE(12)));
    dot_view("x", "x: 3 x 4", x);
    dot_view("xt", "x$t(): 4 x 3", torch_t(x));
    dot_view("slice", "x[, 2:3]: 3 x 2", torch_slice(x, 1, 1, 3, 1));
    dot_view("view", "x$view(c(2, 6)): 2 x 6", torch_view(x, SHAPE(2, 6)));
    printf("  { rank=same; x; xt; slice; view; }\n");
    printf("  x -> storage; xt -> storage; slice -> storage; view -> storage;\n}\n");

    torch_scope_end();
    return 0;
}

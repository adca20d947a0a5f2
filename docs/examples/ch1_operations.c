/* Chapter 1, "Operations and broadcasting". Its "figure" part is docs/img/broadcasting.dot,
 * drawn as docs/img/broadcasting.svg by tools/docs.py. */
#include "example.h"

/* A 2-d tensor as a Graphviz table: its size and strides, then its values; a value that a
 * stride of 0 reuses (a stretched copy, not in memory) is grey. */
static void dot_grid(const char *id, const char *title, Tensor *t) {
    int64_t rows = torch_size(t, 0), cols = torch_size(t, 1);
    float values[64];
    torch_to_array(t, values);
    printf("  %s [label=<<table border=\"0\" cellborder=\"1\" cellspacing=\"0\" "
           "cellpadding=\"5\">\n    <tr><td colspan=\"%lld\" bgcolor=\"#f6f8fa\"><b>%s</b><br/>"
           "size (%lld, %lld), stride (%lld, %lld)</td></tr>\n", id, (long long)cols, title,
           (long long)rows, (long long)cols, (long long)torch_stride(t, 0),
           (long long)torch_stride(t, 1));
    for (int64_t i = 0; i < rows; i++) {
        printf("    <tr>");
        for (int64_t j = 0; j < cols; j++) {
            bool reused = (torch_stride(t, 0) == 0 && i > 0) ||
                          (torch_stride(t, 1) == 0 && j > 0);
            printf(reused ? "<td><font color=\"#8c959f\">%g</font></td>" : "<td>%g</td>",
                   values[i * cols + j]);
        }
        printf("</tr>\n");
    }
    printf("  </table>>];\n");
}

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

    part("four-dims");
    /* docs:begin four-dims */
    /* R: t1 <- torch_ones(8, 1, 6, 1); t2 <- torch_ones(7, 1, 5); (t1 + t2)$shape
     * Lined up from the right:   8 1 6 1
     *                              7 1 5
     * each pair is equal or has a 1, and t2's missing first size counts as 1: 8 7 6 5 */
    Tensor *sum4 = torch_add(torch_ones(SHAPE(8, 1, 6, 1)), torch_ones(SHAPE(7, 1, 5)));
    char buf[64];
    printf("%s\n", shape_str(torch_shape(sum4), buf, sizeof buf));
    /* docs:end four-dims */

    part("figure");
    /* (3, 1) + (1, 4): both stretch to (3, 4), as torch_expand shows with strides of 0 */
    Tensor *a = torch_tensor(SHAPE(3, 1), (float[]){10, 20, 30});
    Tensor *b = torch_tensor(SHAPE(1, 4), (float[]){1, 2, 3, 4});
    printf("digraph broadcasting {\n  rankdir=LR; nodesep=0.3; ranksep=0.45;\n"
           "  node [shape=plaintext, fontname=\"sans-serif\", fontsize=11,"
           " fontcolor=\"#1f2328\"];\n"
           "  edge [color=\"#0b5cad\", arrowsize=0.7, fontname=\"sans-serif\", fontsize=10,"
           " fontcolor=\"#59636e\"];\n");
    dot_grid("a", "a", a);
    dot_grid("b", "b", b);
    dot_grid("ea", "a stretched", torch_expand(a, SHAPE(3, 4)));
    dot_grid("eb", "b stretched", torch_expand(b, SHAPE(3, 4)));
    dot_grid("sum", "a + b", torch_add(a, b));
    printf("  rule [label=\"(3, 1) and (1, 4), lined up from the right:\\l"
           "each pair of sizes is equal or has a 1,\\lwhich stretches (a missing size counts"
           " as 1).\\lResult: (3, 4). Grey: reused through\\la stride of 0, never copied.\\l\","
           " fontcolor=\"#59636e\"];\n");
    printf("  a -> ea [label=\"stride 0\"]; b -> eb [label=\"stride 0\"];\n"
           "  ea -> sum; eb -> sum;\n  { rank=same; a; b; }\n  { rank=same; ea; eb; }\n"
           "  { rank=same; sum; rule; }\n}\n");

    torch_scope_end();
    return 0;
}

/* Chapter 3, "Containers": nn_sequential, its parameters, its print and its tree. */
#include "example.h"
#include "nn.h"

/* docs:begin tree-function */
/* Draws a module and everything inside it, one line per module, parameters with shapes. */
static void print_tree(Module *m, const char *name, int depth) {
    printf("%*s%s%s<%s>", 4 * depth, "", name, *name ? ": " : "", m->class_name);
    for (int i = 0; i < m->n_parameters; i++) {
        Tensor *p = m->parameters[i];
        printf("  %s (", m->parameter_names[i]);
        for (int d = 0; d < torch_dim(p); d++)
            printf(d ? ", %lld" : "%lld", (long long)torch_size(p, d));
        printf(")");
    }
    printf("\n");
    for (int i = 0; i < m->n_children; i++)
        print_tree(m->children[i], m->child_names[i], depth + 1);
}
/* docs:end tree-function */

int main(void) {
    torch_manual_seed(1);

    part("build");
    /* docs:begin build */
    /* R: model <- nn_sequential(nn_linear(3, 32), nn_relu(), nn_linear(32, 1)) */
    Module *model = nn_sequential(nn_linear(3, 32), nn_relu(), nn_linear(32, 1));

    /* R: model(torch_randn(4, 3)) -- each module's output is the next one's input */
    torch_scope_begin();
    torch_print(nn_forward(model, torch_randn(SHAPE(4, 3))));
    torch_scope_end();
    /* docs:end build */

    part("named");
    /* docs:begin named */
    /* R: names(model$parameters), and how many numbers each one holds */
    ParameterList params = nn_parameters(model);
    for (int i = 0; i < params.count; i++)
        printf("%-9s %3lld\n", params.names[i], (long long)torch_numel(params.items[i]));
    /* docs:end named */

    part("print");
    /* docs:begin print */
    /* 3 * 32 weights + 32 biases + 32 * 1 weights + 1 bias */
    printf("%lld parameters\n\n", (long long)nn_num_parameters(model));

    /* R: model, or print(model) */
    nn_print(model);
    /* docs:end print */

    part("tree");
    /* docs:begin tree */
    print_tree(model, "", 0);
    /* docs:end tree */

    nn_free(model); /* frees the children and all their parameters too */
    return 0;
}

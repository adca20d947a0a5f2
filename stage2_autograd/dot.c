/*
 * dot.c: the recorded graph as a Graphviz picture.
 * Boxes are backward nodes (libtorch's names), ellipses the leaves that receive gradients
 * (AccumulateGrad, with the leaf's shape). Edges point the way the gradient flows.
 */
#include "graph.h"

#include <inttypes.h>

static void node_id(FILE *f, const GradFn *fn) { fprintf(f, "n%" PRIxPTR, (uintptr_t)fn); }

static void emit(FILE *f, const GradFn *fn, uint64_t walk) {
    /* fn is marked visited through its output tensor's meta */
    Tensor *owner = fn->leaf ? fn->leaf : fn->op.out;
    if (owner->autograd->visit == walk) return;
    owner->autograd->visit = walk;
    char shape[96];
    node_id(f, fn);
    if (fn->leaf)
        fprintf(f, " [label=\"AccumulateGrad\\n%s\", shape=ellipse, style=filled, "
                   "fillcolor=lightblue];\n",
                shape_str(fn->leaf->shape, shape, sizeof shape));
    else
        fprintf(f, " [label=\"%s\\n%s\", shape=box];\n", fn->name,
                shape_str(fn->op.out->shape, shape, sizeof shape));
    for (int i = 0; i < grad_fn_num_next(fn); i++) {
        GradFn *next = grad_fn_next(fn, i);
        if (!next) continue;
        node_id(f, fn);
        fprintf(f, " -> ");
        node_id(f, next);
        fprintf(f, ";\n");
        emit(f, next, walk);
    }
}

void torch_autograd_dot(FILE *f, Tensor *t) {
    tensor_check("torch_autograd_dot", t);
    static uint64_t walk = (uint64_t)1 << 62; /* apart from backward's walk ids */
    walk++;
    fprintf(f, "digraph autograd {\n  rankdir=BT;\n  node [fontname=\"Helvetica\"];\n");
    GradFn *root = torch_grad_fn(t);
    if (root) emit(f, root, walk);
    else if (torch_requires_grad(t)) emit(f, &t->autograd->accumulate, walk);
    fprintf(f, "}\n");
}

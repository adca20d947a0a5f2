/* misuse_support.c: the list of catalogues and what the harness needs (see misuse.h). */
#include "misuse.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h" /* the storage's version and bytes, to check that nothing changed */

const MisuseCatalogue misuse_catalogues[] = {
    {"stage1", misuse_stage1},
    {"stage2", misuse_stage2},
    {"stage3", misuse_stage3},
    {NULL, NULL},
};

const MisuseCase *misuse_find(const char *name, const char **stage) {
    for (const MisuseCatalogue *cat = misuse_catalogues; cat->stage; cat++)
        for (const MisuseCase *c = cat->cases; c->name; c++)
            if (strcmp(c->name, name) == 0) {
                if (stage) *stage = cat->stage;
                return c;
            }
    return NULL;
}

MisuseWatch misuse_watched;

/* The raw bytes of t's elements in row-major order (whatever its strides and dtype). */
static unsigned char *element_bytes(const Tensor *t, long long n) {
    size_t es = dtype_size(t->dtype);
    unsigned char *out = malloc(n > 0 ? (size_t)n * es : 1);
    const unsigned char *base = (const unsigned char *)t->storage->data + (size_t)t->offset * es;
    for (long long i = 0; i < n; i++)
        memcpy(out + (size_t)i * es, base + (size_t)strided_offset(t, i) * es, es);
    return out;
}

void misuse_reset(void) {
    free(misuse_watched.bytes);
    memset(&misuse_watched, 0, sizeof misuse_watched);
}

void misuse_watch(Tensor *t) {
    misuse_reset();
    misuse_watched.armed = true;
    misuse_watched.depth = torch_scope_depth();
    misuse_watched.grad = torch_is_grad_enabled();
    if (t == NULL) return;
    misuse_watched.t = t;
    misuse_watched.version = t->storage->version;
    misuse_watched.n = shape_numel(t->shape);
    misuse_watched.bytes = element_bytes(t, misuse_watched.n);
}

const char *misuse_changed(void) {
    const MisuseWatch *w = &misuse_watched;
    if (!w->armed) return NULL;
    if (torch_scope_depth() != w->depth) return "the scope depth changed";
    if (torch_is_grad_enabled() != w->grad) return "the grad mode changed";
    if (!w->t) return NULL;
    if (w->t->magic != TENSOR_ALIVE) return "the tensor was released";
    if (w->t->storage->version != w->version) return "the tensor's version changed";
    unsigned char *now = element_bytes(w->t, w->n);
    bool same = memcmp(now, w->bytes, (size_t)w->n * dtype_size(w->t->dtype)) == 0;
    free(now);
    return same ? NULL : "the tensor's values changed";
}

static Module *modules[64];
static int n_modules;

Module *misuse_module(Module *m) {
    if (n_modules < 64) modules[n_modules++] = m;
    return m;
}

void misuse_free_modules(void) {
    while (n_modules > 0) nn_free(modules[--n_modules]);
}

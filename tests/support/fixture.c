/* fixture.c: a small reader for the fixture format of tools/fixtures.py. */
#include "fixture.h"

#include <check.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#ifndef FIXTURE_DIR
#error "FIXTURE_DIR must be defined by the build"
#endif

typedef struct Record {
    char name[128];
    char kind[16]; /* tensor, text, scalar */
    Dtype dtype;
    Shape shape;
    void *values; /* tensor values, text bytes (NUL-terminated) */
    double scalar;
} Record;

struct Fixtures {
    char file[256];
    Record *records;
    int count, cap;
};

static void grow(Fixtures *fx) {
    if (fx->count < fx->cap) return;
    fx->cap = fx->cap ? 2 * fx->cap : 64;
    fx->records = realloc(fx->records, sizeof(Record) * (size_t)fx->cap);
    ck_assert_ptr_nonnull(fx->records);
}

Fixtures *fixtures_load(const char *file) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", FIXTURE_DIR, file);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open fixture file %s (run the generator in tools/)", path);
    Fixtures *fx = calloc(1, sizeof *fx);
    snprintf(fx->file, sizeof fx->file, "%s", file);
    char kind[16];
    while (fscanf(f, " %15s", kind) == 1) {
        if (kind[0] == '#') {
            int c;
            while ((c = fgetc(f)) != '\n' && c != EOF) {}
            continue;
        }
        grow(fx);
        Record *r = &fx->records[fx->count++];
        memset(r, 0, sizeof *r);
        snprintf(r->kind, sizeof r->kind, "%s", kind);
        ck_assert_msg(fscanf(f, " %127s", r->name) == 1, "%s: record without a name", file);
        if (strcmp(kind, "scalar") == 0) {
            ck_assert_msg(fscanf(f, " %lf", &r->scalar) == 1, "%s: bad scalar %s", file, r->name);
        } else if (strcmp(kind, "text") == 0) {
            size_t n;
            ck_assert_msg(fscanf(f, " %zu", &n) == 1 && fgetc(f) == '\n', "%s: bad text %s", file,
                          r->name);
            char *s = malloc(n + 1);
            ck_assert_msg(fread(s, 1, n, f) == n, "%s: short text %s", file, r->name);
            s[n] = '\0';
            r->values = s;
        } else if (strcmp(kind, "tensor") == 0) {
            char dt[8];
            ck_assert_msg(fscanf(f, " %7s %d", dt, &r->shape.ndim) == 2, "%s: bad tensor %s",
                          file, r->name);
            for (int i = 0; i < r->shape.ndim; i++)
                ck_assert(fscanf(f, " %" SCNd64, &r->shape.size[i]) == 1);
            int64_t n = shape_numel(r->shape);
            if (strcmp(dt, "f32") == 0) {
                r->dtype = TORCH_FLOAT32;
                uint32_t *v = malloc(sizeof *v * (size_t)(n ? n : 1));
                for (int64_t i = 0; i < n; i++) ck_assert(fscanf(f, " %" SCNx32, &v[i]) == 1);
                r->values = v;
            } else if (strcmp(dt, "i64") == 0) {
                r->dtype = TORCH_INT64;
                int64_t *v = malloc(sizeof *v * (size_t)(n ? n : 1));
                for (int64_t i = 0; i < n; i++) ck_assert(fscanf(f, " %" SCNd64, &v[i]) == 1);
                r->values = v;
            } else {
                ck_assert_msg(strcmp(dt, "bool") == 0, "%s: unknown dtype %s", file, dt);
                r->dtype = TORCH_BOOL;
                bool *v = malloc(sizeof *v * (size_t)(n ? n : 1));
                for (int64_t i = 0; i < n; i++) {
                    int b;
                    ck_assert(fscanf(f, " %d", &b) == 1);
                    v[i] = b != 0;
                }
                r->values = v;
            }
        } else {
            ck_abort_msg("%s: unknown record kind %s", file, kind);
        }
    }
    fclose(f);
    return fx;
}

void fixtures_free(Fixtures *fx) {
    if (!fx) return;
    for (int i = 0; i < fx->count; i++) free(fx->records[i].values);
    free(fx->records);
    free(fx);
}

static Record *find(Fixtures *fx, const char *name, const char *kind) {
    for (int i = 0; i < fx->count; i++)
        if (strcmp(fx->records[i].name, name) == 0 && strcmp(fx->records[i].kind, kind) == 0)
            return &fx->records[i];
    ck_abort_msg("fixture %s has no %s named %s (regenerate it with tools/)", fx->file, kind, name);
    return NULL;
}

bool fixture_has(Fixtures *fx, const char *name) {
    for (int i = 0; i < fx->count; i++)
        if (strcmp(fx->records[i].name, name) == 0) return true;
    return false;
}

Tensor *fixture_tensor(Fixtures *fx, const char *name) {
    Record *r = find(fx, name, "tensor");
    switch (r->dtype) {
    case TORCH_FLOAT32: return torch_tensor(r->shape, (const float *)r->values);
    case TORCH_INT64: return torch_tensor_i64(r->shape, (const int64_t *)r->values);
    case TORCH_BOOL: return torch_tensor_bool(r->shape, (const bool *)r->values);
    }
    return NULL;
}

const char *fixture_text(Fixtures *fx, const char *name) {
    return (const char *)find(fx, name, "text")->values;
}

double fixture_scalar(Fixtures *fx, const char *name) { return find(fx, name, "scalar")->scalar; }

/*
 * memory.c: where tensors come from and where they go.
 *
 * Two lifetimes (see tensor.h): scope-owned tensors are released together at
 * torch_scope_end; the others live until torch_free. Three pools make a training epoch
 * allocation-free once the first epoch has run:
 *   - tensor headers come from slabs and go back to a FIFO free list, so a released header
 *     stays poisoned (magic = TENSOR_DEAD) for as long as possible: that is what lets
 *     tensor_check catch a use after release;
 *   - Storage records are recycled the same way;
 *   - data buffers are cached by exact byte size, because a training loop asks for the same
 *     sizes every epoch. Debug builds fill cached buffers with 0xFF (NaN) as poison.
 * Poison mode (tensor.h; graded runs turn it on) fills a released buffer at once, by its
 * tensor's dtype, and holds it in a quarantine before the cache may hand it out again, so that
 * a raw pointer kept past torch_keep's reach reads NaN, not the numbers of a newer tensor.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SCOPES 64
#define SLAB_TENSORS 256
#define CACHE_BUCKETS 1024
#define CACHE_LIMIT_BYTES ((int64_t)512 << 20)
#define BUFFER_ALIGN 64
#define QUARANTINE_BYTES ((int64_t)64 << 20) /* poison mode: about many epochs' worth */

static TorchMemoryStats stats;

static void out_of_memory(const char *op, size_t nbytes) {
    torch_error(op, "out of memory: could not allocate %zu bytes", nbytes);
}

/* ---- tensor headers: slabs and a FIFO free list ---------------------------------------- */

typedef struct Slab {
    struct Slab *next;
    Tensor tensors[SLAB_TENSORS];
} Slab;

static Slab *slabs;
static Tensor *free_head, *free_tail; /* linked through scope_next */

/* A new slab's headers, appended to the free list (once in a long while: COLD). */
static COLD void slab_add(void) {
    Slab *s = calloc(1, sizeof *s);
    if (!s) out_of_memory("torch_empty", sizeof *s);
    s->next = slabs;
    slabs = s;
    for (int i = 0; i < SLAB_TENSORS; i++) {
        Tensor *t = &s->tensors[i];
        t->magic = TENSOR_DEAD;
        if (free_tail) free_tail->scope_next = t;
        else free_head = t;
        free_tail = t;
    }
}

static Tensor *header_get(void) {
    if (!free_head) slab_add();
    Tensor *t = free_head;
    free_head = t->scope_next;
    if (!free_head) free_tail = NULL;
    return t;
}

static void header_put(Tensor *t) {
    /* Only the magic matters: tensor_check stops at it, and header_new clears the rest. */
    t->magic = TENSOR_DEAD;
    t->autograd = NULL;
    t->scope_next = NULL;
    if (free_tail) free_tail->scope_next = t;
    else free_head = t;
    free_tail = t;
}

/* ---- data buffers: cached by size ---------------------------------------------------------- */

typedef struct CacheEntry {
    size_t nbytes;
    void *data;
    struct CacheEntry *next;
} CacheEntry;

static CacheEntry *cache[CACHE_BUCKETS];
static CacheEntry *spare_entries;

static size_t bucket_of(size_t nbytes) { return (nbytes / BUFFER_ALIGN) % CACHE_BUCKETS; }

static size_t round_up(size_t nbytes) {
    if (nbytes == 0) nbytes = 1;
    return (nbytes + BUFFER_ALIGN - 1) / BUFFER_ALIGN * BUFFER_ALIGN;
}

static void *buffer_get(size_t nbytes) {
    for (CacheEntry **p = &cache[bucket_of(nbytes)]; *p; p = &(*p)->next) {
        if ((*p)->nbytes != nbytes) continue;
        CacheEntry *e = *p;
        *p = e->next;
        e->next = spare_entries;
        spare_entries = e;
        stats.cached_bytes -= (int64_t)nbytes;
        return e->data;
    }
    void *data = aligned_alloc(BUFFER_ALIGN, nbytes);
    if (!data) out_of_memory("torch_empty", nbytes);
    stats.mallocs++;
    return data;
}

static void cache_put(void *data, size_t nbytes) {
    CacheEntry *e = spare_entries;
    if (stats.cached_bytes + (int64_t)nbytes > CACHE_LIMIT_BYTES || (!e && !(e = malloc(sizeof *e)))) {
        free(data);
        return;
    }
    if (e == spare_entries) spare_entries = e->next;
#ifdef TORCH_DEBUG
    memset(data, 0xFF, nbytes); /* poison: every float reads as NaN */
#endif
    e->nbytes = nbytes;
    e->data = data;
    e->next = cache[bucket_of(nbytes)];
    cache[bucket_of(nbytes)] = e;
    stats.cached_bytes += (int64_t)nbytes;
}

/* ---- poison mode ------------------------------------------------------------------------------ */

static int poison = -1; /* -1: not decided yet, CTORCH_POISON decides on first use */

void torch_set_poison(bool on) { poison = on; }

bool torch_poison_enabled(void) {
    if (poison < 0) {
        const char *env = getenv("CTORCH_POISON");
        poison = env && *env && strcmp(env, "0") != 0;
    }
    return poison;
}

/* Oldest first: a buffer leaves the quarantine (for the cache) after QUARANTINE_BYTES more. */
static CacheEntry *quarantine_head, *quarantine_tail;
static int64_t quarantine_bytes;

/* Fills nbytes with what reads as unmistakably released: quiet NaN floats, int64s of
 * 0xDEADBEEFDEADBEEF, bools of byte 0xDE (a value a bool never has: UBSan stops at it). */
static void poison_fill(void *data, size_t nbytes, Dtype dtype) {
    if (dtype == TORCH_FLOAT32) {
        float *f = data;
        for (size_t i = 0; i < nbytes / sizeof(float); i++) f[i] = NAN;
    } else if (dtype == TORCH_INT64) {
        int64_t *v = data;
        for (size_t i = 0; i < nbytes / sizeof(int64_t); i++) v[i] = (int64_t)0xDEADBEEFDEADBEEFull;
    } else {
        memset(data, 0xDE, nbytes);
    }
}

static void quarantine_put(void *data, size_t nbytes) {
    CacheEntry *e = malloc(sizeof *e);
    if (!e) {
        cache_put(data, nbytes);
        return;
    }
    *e = (CacheEntry){.nbytes = nbytes, .data = data};
    if (quarantine_tail) quarantine_tail->next = e;
    else quarantine_head = e;
    quarantine_tail = e;
    quarantine_bytes += (int64_t)nbytes;
    while (quarantine_bytes > QUARANTINE_BYTES) {
        CacheEntry *old = quarantine_head;
        quarantine_head = old->next;
        if (!quarantine_head) quarantine_tail = NULL;
        quarantine_bytes -= (int64_t)old->nbytes;
        cache_put(old->data, old->nbytes);
        free(old);
    }
}

/* A buffer no tensor uses any more: to the cache, or poisoned into the quarantine. */
static void buffer_put(void *data, size_t nbytes, Dtype dtype) {
    if (!torch_poison_enabled()) {
        cache_put(data, nbytes);
        return;
    }
    poison_fill(data, nbytes, dtype);
    quarantine_put(data, nbytes);
}

void torch_memory_trim(void) {
    while (quarantine_head) {
        CacheEntry *e = quarantine_head;
        quarantine_head = e->next;
        free(e->data);
        free(e);
    }
    quarantine_tail = NULL;
    quarantine_bytes = 0;
    for (int b = 0; b < CACHE_BUCKETS; b++) {
        while (cache[b]) {
            CacheEntry *e = cache[b];
            cache[b] = e->next;
            free(e->data);
            free(e);
        }
    }
    while (spare_entries) {
        CacheEntry *e = spare_entries;
        spare_entries = e->next;
        free(e);
    }
    stats.cached_bytes = 0;
}

/* ---- storages -------------------------------------------------------------------------------- */

static Storage *spare_storages; /* recycled records, linked through data */

static Storage *storage_new(size_t nbytes) {
    size_t rounded = round_up(nbytes);
    Storage *s = spare_storages;
    if (s) spare_storages = (Storage *)s->data;
    else if (!(s = malloc(sizeof *s))) out_of_memory("torch_empty", sizeof *s);
    s->data = buffer_get(rounded);
    s->nbytes = rounded;
    s->refcount = 1;
    s->version = 0;
    stats.live_bytes += (int64_t)rounded;
    if (stats.live_bytes > stats.peak_bytes) stats.peak_bytes = stats.live_bytes;
    return s;
}

/* dtype: the dtype of the tensors over s (views keep their base's), for poison mode. */
static void storage_release(Storage *s, Dtype dtype) {
    if (--s->refcount > 0) return;
    stats.live_bytes -= (int64_t)s->nbytes;
    buffer_put(s->data, s->nbytes, dtype);
    s->data = spare_storages;
    spare_storages = s;
}

/* ---- scopes ----------------------------------------------------------------------------------- */

/* scopes[0] lists the tensors that live until freed; scopes[d] those of the scope at depth d. */
static Tensor *scopes[MAX_SCOPES + 1];
static int depth;

int torch_scope_depth(void) { return depth; }

static void list_add(Tensor *t, int scope) {
    t->scope = scope;
    t->scope_prev = NULL;
    t->scope_next = scopes[scope];
    if (scopes[scope]) scopes[scope]->scope_prev = t;
    scopes[scope] = t;
}

static void list_remove(Tensor *t) {
    if (t->scope_prev) t->scope_prev->scope_next = t->scope_next;
    else scopes[t->scope] = t->scope_next;
    if (t->scope_next) t->scope_next->scope_prev = t->scope_prev;
    t->scope_prev = t->scope_next = NULL;
}

static void tensor_release(Tensor *t) {
    if (t->autograd && torch_autograd_hooks && torch_autograd_hooks->release)
        torch_autograd_hooks->release(t);
    list_remove(t);
    storage_release(t->storage, t->dtype);
    stats.live_tensors--;
    header_put(t);
}

/* ---- rolling back after an error (error.c) ------------------------------------------------- */

/* Closes the scopes opened since the catch, releasing their tensors. The tensors of the scopes
 * open then stay: the program may still hold them, and they go when their scope ends. */
static void scopes_unwind_to(int to) {
    while (depth > to) torch_scope_end();
}

static const TorchTracked scopes_tracked = {torch_scope_depth, scopes_unwind_to};

void torch_scope_begin(void) {
    if (depth == MAX_SCOPES)
        torch_error("torch_scope_begin", "too many nested scopes (at most %d); is a "
                                         "torch_scope_end() missing?", MAX_SCOPES);
    if (depth == 0) torch_track(&scopes_tracked); /* cheap, and a program opens one early */
    scopes[++depth] = NULL;
}

void torch_scope_end(void) {
    if (depth == 0) torch_error("torch_scope_end", "no scope is open");
    /* Release newest first: the autograd release hook may still look at older tensors. */
    while (scopes[depth]) tensor_release(scopes[depth]);
    depth--;
}

Tensor *torch_keep(Tensor *t) {
    tensor_check("torch_keep", t);
    if (t->scope == 0) return t;
    if (torch_autograd_hooks && torch_autograd_hooks->keep) torch_autograd_hooks->keep(t);
    list_remove(t);
    list_add(t, 0);
    return t;
}

void torch_assign(Tensor **var, Tensor *value) {
    tensor_check("torch_assign", value);
    Tensor *old = *var;
    *var = torch_keep(value);
    if (old && old != value) torch_free(old);
}

void torch_free(Tensor *t) {
    if (t == NULL) return;
    tensor_check("torch_free", t);
    tensor_release(t);
}

TorchMemoryStats torch_memory_stats(void) { return stats; }

/* ---- making tensors ---------------------------------------------------------------------------- */

/* A header for a tensor of *shape over storage, in the current scope, at offset 0. The caller
 * fills its strides (only the first ndim are ever read). The fields are set one by one: a
 * header is about 190 bytes, and clearing all of it cost more than the rest of its making.
 * The sizes too, one at a time (shape_copy, internal.h): *shape was usually written a moment
 * ago, a size at a time. */
static inline Tensor *header_new(const Shape *shape, Dtype dtype, Storage *storage) {
    Tensor *t = header_get();
    t->magic = TENSOR_ALIVE;
    t->dtype = dtype;
    shape_copy(&t->shape, shape);
    t->offset = 0;
    t->storage = storage;
    t->autograd = NULL;
    list_add(t, depth);
    stats.live_tensors++;
    return t;
}

/* *product = x * y for x, y >= 0; true (and *product unset) when it does not fit in int64. */
static bool mul_overflows(int64_t x, int64_t y, int64_t *product) {
#if defined(__GNUC__)
    return __builtin_mul_overflow(x, y, product);
#else
    if (y != 0 && x > INT64_MAX / y) return true;
    *product = x * y;
    return false;
#endif
}

void check_new_shape(const char *op, Shape shape, Dtype dtype) {
    char s[160];
    if (shape.ndim < 0 || shape.ndim > TORCH_MAX_DIMS)
        torch_error(op, "a tensor has at most %d dimensions, got %d", TORCH_MAX_DIMS, shape.ndim);
    for (int i = 0; i < shape.ndim; i++)
        if (shape.size[i] < 0)
            torch_error(op, "Trying to create tensor with negative dimension %lld: %s",
                        (long long)shape.size[i], shape_str(shape, s, sizeof s));
    /* The byte count must fit in an int64. Multiplied one size at a time, so that two huge
     * sizes overflow even when a later size is 0, as in libtorch. (Checked by multiplying,
     * not dividing: a division costs more than the rest of a tensor's making.) */
    int64_t numel = 1, bytes;
    for (int i = 0; i < shape.ndim; i++)
        if (mul_overflows(numel, shape.size[i], &numel) ||
            mul_overflows(numel, (int64_t)dtype_size(dtype), &bytes))
            torch_error(op, "Storage size calculation overflowed with sizes=%s",
                        shape_str(shape, s, sizeof s));
}

/* The bytes of a new tensor of *shape, after check_new_shape's checks, in one pass: the running
 * product starts from the element size, so it overflows exactly when check_new_shape's element
 * count or byte count would. On any failure check_new_shape runs, to raise its own error. */
static size_t new_tensor_bytes(const char *op, const Shape *shape, Dtype dtype) {
    int64_t bytes = (int64_t)dtype_size(dtype);
    bool bad = shape->ndim < 0 || shape->ndim > TORCH_MAX_DIMS;
    for (int i = 0; i < shape->ndim && !bad; i++)
        bad = shape->size[i] < 0 || mul_overflows(bytes, shape->size[i], &bytes);
    if (bad) check_new_shape(op, *shape, dtype); /* does not return */
    return (size_t)bytes;
}

Tensor *tensor_alloc_p(const Shape *shape, Dtype dtype) {
    Storage *s = storage_new(new_tensor_bytes("torch_empty", shape, dtype));
    Tensor *t = header_new(shape, dtype, s);
    contiguous_strides_p(&t->shape, t->stride);
    return t;
}

Tensor *tensor_view_of_p(Tensor *base, const Shape *shape, const int64_t *stride,
                         int64_t offset) {
    base->storage->refcount++;
    Tensor *t = header_new(shape, base->dtype, base->storage);
    sizes_copy(t->stride, stride, shape->ndim); /* just written a stride at a time, usually */
    t->offset = offset;
    return t;
}

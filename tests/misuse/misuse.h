/*
 * misuse.h: the misuse catalogue, the mistakes students make with ctorch and the exact
 * message each one must stop with.
 *
 * A case is a function that sets something up, then commits one misuse, plus the whole
 * "op: message" that misuse must raise. Two programs run the cases:
 *   - test_misuse.c catches each error (CT_EXPECT_ERROR) and checks the message, and that
 *     the caught error left the data and the process as they were;
 *   - misuse_driver.c runs one case by name with the default handler, so a test can check
 *     the process stops with status 1 and "Error in <message>" on stderr.
 *
 * The catalogue is one table per stage (cases_stageN.c), listed in misuse_catalogues.
 * Adding stage 4: write a new file cases_stage4.c with `const MisuseCase misuse_stage4[]`,
 * declare it below, add it to misuse_catalogues (misuse_support.c) and to
 * tests/misuse/meson.build.
 */
#ifndef CTORCH_MISUSE_H
#define CTORCH_MISUSE_H

#include <stdbool.h>

#include "nn.h"
#include "tensor.h"

typedef struct MisuseCase {
    const char *name;    /* short and unique: the driver's argument ("mm_inner_sizes") */
    const char *message; /* the exact error, "op: message" */
    void (*run)(void);   /* sets up, calls misuse_watch, then commits the misuse */
    bool driver;         /* also run by misuse_driver under the default handler */
} MisuseCase;

/* Called by a case right before its misuse. Records the scope depth and grad mode, and the
 * values and version of t (the tensor the misuse would write, or NULL), which the caught
 * error must leave exactly as they were. */
void misuse_watch(Tensor *t);

/* Hands a module the case made to the harness, which frees it after the case. Returns m. */
Module *misuse_module(Module *m);

/* One table per stage, each ended by an entry with name NULL. */
extern const MisuseCase misuse_stage1[]; /* the tensor kernel: common/ */
extern const MisuseCase misuse_stage2[]; /* autograd: stage2_autograd/ */
extern const MisuseCase misuse_stage3[]; /* modules: stage3_modules/ */

typedef struct MisuseCatalogue {
    const char *stage; /* "stage1", ... */
    const MisuseCase *cases;
} MisuseCatalogue;
extern const MisuseCatalogue misuse_catalogues[]; /* ended by {NULL, NULL} */

/* The case of this name, or NULL. */
const MisuseCase *misuse_find(const char *name, const char **stage);

/* ---- for the harness --------------------------------------------------------------------- */

typedef struct MisuseWatch {
    bool armed;       /* misuse_watch was called */
    int depth;        /* scope depth then */
    bool grad;        /* grad mode then */
    Tensor *t;        /* the watched tensor, or NULL */
    unsigned version; /* its storage version then */
    long long n;      /* its number of elements */
    unsigned char *bytes; /* its elements' bytes, row-major (malloc'ed) */
} MisuseWatch;
extern MisuseWatch misuse_watched;

/* Forgets the last watch (before a case runs). */
void misuse_reset(void);
/* Whether the watched tensor still has the values and version it had: NULL if so, else a
 * description of what changed. */
const char *misuse_changed(void);
/* Frees the modules handed over by the case. */
void misuse_free_modules(void);

#endif

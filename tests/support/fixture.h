/*
 * fixture.h: golden values generated from PyTorch by the scripts in tools/ (see
 * tools/fixtures.py for the file format). Tests load them; they never need torch.
 */
#ifndef CTORCH_FIXTURE_H
#define CTORCH_FIXTURE_H

#include "tensor.h"

typedef struct Fixtures Fixtures;

/* Loads tests/fixtures/<file>. A missing or malformed file fails the test that asked. */
Fixtures *fixtures_load(const char *file);
void fixtures_free(Fixtures *fx);

/* A new tensor (owned by the current scope) with the stored values, bit for bit. */
Tensor *fixture_tensor(Fixtures *fx, const char *name);
/* The stored text, NUL-terminated, owned by fx. */
const char *fixture_text(Fixtures *fx, const char *name);
double fixture_scalar(Fixtures *fx, const char *name);
bool fixture_has(Fixtures *fx, const char *name);

#endif

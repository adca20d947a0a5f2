/*
 * rformat.h: numbers formatted as R shows them, so progress lines match the chapter's output.
 * R's cat() and print() give a double at most 7 significant digits (options(digits = 7)),
 * drop trailing zeros, and pick fixed or scientific notation, whichever is narrower
 * (fixed wins a tie): 83.68217, 1e-05, 123456792, 3.5e+15.
 */
#ifndef CTORCH_RFORMAT_H
#define CTORCH_RFORMAT_H

#include <stddef.h>

/* Writes x as R's cat(x) would (digits = 7) into buf; returns buf. */
char *r_format_double(double x, char *buf, size_t len);

#endif

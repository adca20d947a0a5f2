/* rformat.c: R's formatReal for one number, with R's default of 7 significant digits. */
#include "rformat.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define R_DIGITS 7

char *r_format_double(double x, char *buf, size_t len) {
    if (isnan(x)) return snprintf(buf, len, "NaN"), buf;
    if (isinf(x)) return snprintf(buf, len, x > 0 ? "Inf" : "-Inf"), buf;
    if (x == 0) return snprintf(buf, len, "0"), buf;

    /* Scientific form with 7 significant digits, e.g. "8.368217e+01": its mantissa tells how
     * many digits are significant once trailing zeros go, its exponent where the point is. */
    char sci[64];
    snprintf(sci, sizeof sci, "%.*e", R_DIGITS - 1, x);
    char *e = strchr(sci, 'e');
    int kpower = atoi(e + 1);
    int nsig = R_DIGITS;
    for (char *p = e - 1; *p == '0' && nsig > 1; p--) nsig--;

    int neg = x < 0;
    /* Fixed form: digits left of the point and decimals needed for nsig significant digits. */
    int left = kpower >= 0 ? kpower + 1 : 1;
    int rgt = nsig - kpower - 1;
    if (rgt < 0) rgt = 0;
    int fixed_width = neg + left + (rgt > 0 ? rgt + 1 : 0);
    int sci_width = neg + (nsig > 1 ? nsig + 1 : nsig) + (abs(kpower) >= 100 ? 5 : 4);

    if (fixed_width <= sci_width) snprintf(buf, len, "%.*f", rgt, x);
    else snprintf(buf, len, "%.*e", nsig - 1, x);
    return buf;
}

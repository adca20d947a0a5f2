/*
 * print.c: tensors printed exactly as libtorch's operator<< and R torch's print() show them.
 *
 * R torch prints a tensor in two layers, and so does this file:
 *   1. libtorch formats the values (torch_fprint_libtorch): every value is converted to
 *      double, a format (style, width, scale) is chosen per 1-d tensor, per matrix and per
 *      2-d block of an N-d tensor, and the text ends with a type line such as
 *      "[ CPUFloatType{2,3} ]" (no newline after it).
 *   2. R's print(x, n = 30) (torch_fprint_n) writes "torch_tensor", then that text cut to
 *      the first n lines plus the type line, then the autograd suffix and a newline.
 * The rules, quirks included, are described in docs/internals/printing.md; the tests compare
 * the output byte for byte with text printed by libtorch 1.13 (tests/fixtures/print.txt).
 */
#include "internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LINE_SIZE       80 /* libtorch's default line width for wrapping columns */
#define R_DEFAULT_LINES 30
#define R_TRUNCATED     "... [the output was truncated (use n=-1 to disable)]\n"

/* How the values of one block are written: printf("%*.*<conv>", width, precision, x / scale). */
typedef struct Format {
    char conv;     /* 'g' (int mode), 'f' (fixed) or 'e' (scientific) */
    int width;     /* libtorch's `sz` */
    int precision; /* digits after the point ('f', 'e') or significant digits ('g') */
    double scale;  /* values are divided by it; a line "0.01 *" announces it when != 1 */
} Format;

/* One print call. The precision is stream state in libtorch: it starts at 6 and becomes 4
 * once any block uses fixed or scientific style, and stays 4 for the later blocks. */
typedef struct Printer {
    FILE *f;
    int precision;
} Printer;

/* ---- input checks --------------------------------------------------------------------- */

static void check_args(const char *op, FILE *f, const Tensor *t) {
    if (f == NULL) torch_error(op, "expected a FILE* but got NULL");
    tensor_check(op, t);
}

/* ---- values as doubles ---------------------------------------------------------------- */

/* Element i (row-major, logical order) of t as a double, whatever t's dtype and strides. */
static double value_at(const Tensor *t, int64_t i) {
    int64_t off = strided_offset(t, i);
    switch (t->dtype) {
    case TORCH_FLOAT32: return (double)tensor_f32(t)[off];
    case TORCH_INT64: return (double)tensor_i64(t)[off];
    case TORCH_BOOL: return tensor_bool(t)[off] ? 1.0 : 0.0;
    }
    return 0.0;
}

/* A malloc'ed row-major copy of t's values in double, as libtorch's
 * tensor.to(kDouble).contiguous(): non-contiguous views give their logical values.
 * NULL when t has no elements. */
static double *values_as_double(const char *op, const Tensor *t) {
    int64_t n = shape_numel(t->shape);
    if (n == 0) return NULL;
    double *v = malloc(sizeof *v * (size_t)n);
    if (v == NULL)
        torch_error(op, "out of memory: could not allocate %zu bytes", sizeof *v * (size_t)n);
    for (int64_t i = 0; i < n; i++) v[i] = value_at(t, i);
    return v;
}

/* ---- choosing a format ---------------------------------------------------------------- */

/* libtorch's "number of digits before the point": floor(log10(x)) + 1, and 1 for 0. */
static double digits_of(double x) { return x != 0 ? floor(log10(x)) + 1 : 1; }

/* True when every finite value is an integer (NaN and infinities do not count). */
static bool all_integers(const double *v, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (isfinite(v[i]) && v[i] != ceil(v[i])) return false;
    return true;
}

/* Digits of the smallest |x| (*emin) and of the "largest" value (*emax) over the finite
 * values; both 1 when there is none. Quirk kept from libtorch: emax starts at |first finite
 * value| and is raised only by a signed x > emax, so a later large negative never raises it. */
static void exponent_range(const double *v, int64_t n, double *emin, double *emax) {
    int64_t first = 0;
    while (first < n && !isfinite(v[first])) first++;
    if (first == n) {
        *emin = *emax = 1;
        return;
    }
    double lo = fabs(v[first]), hi = fabs(v[first]);
    for (int64_t i = first; i < n; i++) {
        if (!isfinite(v[i])) continue;
        if (fabs(v[i]) < lo) lo = fabs(v[i]);
        if (v[i] > hi) hi = fabs(v[i]);
    }
    *emin = digits_of(lo);
    *emax = digits_of(hi);
}

/* The format of one block of n values (a 1-d tensor, a matrix, or one 2-d slice).
 * Updates p->precision as libtorch's stream does. */
static Format choose_format(Printer *p, const double *v, int64_t n) {
    double emin, emax;
    exponent_range(v, n, &emin, &emax);
    Format fmt = {'f', 7, 4, 1.0};
    if (all_integers(v, n)) {
        if (emax > 9) {
            fmt.conv = 'e';
            fmt.width = 11;
        } else {
            fmt.conv = 'g'; /* libtorch's defaultfloat: the precision is left as it was */
            fmt.width = (int)emax + 1;
        }
    } else if (emax - emin > 4) {
        fmt.conv = 'e';
        fmt.width = fabs(emax) > 99 || fabs(emin) > 99 ? 12 : 11;
    } else if (emax > 5 || emax < 0) {
        fmt.width = 7;
        fmt.scale = pow(10, emax - 1);
    } else {
        fmt.width = emax == 0 ? 7 : (int)emax + 6;
    }
    if (fmt.conv != 'g') p->precision = 4;
    fmt.precision = p->precision;
    return fmt;
}

/* ---- writing values and lines --------------------------------------------------------- */

static void print_value(Printer *p, const Format *fmt, double x) {
    double y = x / fmt->scale;
    switch (fmt->conv) {
    case 'e': fprintf(p->f, "%*.*e", fmt->width, fmt->precision, y); break;
    case 'f': fprintf(p->f, "%*.*f", fmt->width, fmt->precision, y); break;
    default: fprintf(p->f, "%*.*g", fmt->width, fmt->precision, y); break;
    }
}

/* The scale line, e.g. "0.01 *" or "1e+05 *" (libtorch writes it with precision 4). */
static void print_scale(Printer *p, double scale) { fprintf(p->f, "%.4g *\n", scale); }

static void print_indent(Printer *p, int indent) {
    for (int i = 0; i < indent; i++) fputc(' ', p->f);
}

/* One chunk of columns [first, last] of a matrix: every row, values separated by a space.
 * Quirk kept from libtorch: with a scale, rows after the first get one extra space. */
static void print_chunk(Printer *p, const Format *fmt, const double *v, int64_t rows, int64_t cols,
                        int64_t first, int64_t last, int indent) {
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t c = first; c <= last; c++) {
            print_value(p, fmt, v[r * cols + c]);
            fputc(c == last ? '\n' : ' ', p->f);
        }
        if (r != rows - 1) {
            print_indent(p, indent);
            if (fmt->scale != 1) fputc(' ', p->f);
        }
    }
}

/* v (rows, cols), row-major -> the matrix's lines. Used with indent 0 for a 2-d tensor and
 * indent 1 for each block of an N-d tensor. When the columns do not fit in LINE_SIZE, each
 * chunk starts with "Columns a to b" and, quirk kept from libtorch, no newline after it: the
 * first row (or the scale line) follows on the same line. The indent is written once, before
 * the first chunk only. */
static void print_matrix(Printer *p, const double *v, int64_t rows, int64_t cols, int indent) {
    Format fmt = choose_format(p, v, rows * cols);
    print_indent(p, indent);
    int64_t per_line = (LINE_SIZE - indent) / (fmt.width + 1);
    for (int64_t first = 0; first < cols; first += per_line) {
        int64_t last = (first + per_line < cols ? first + per_line : cols) - 1;
        if (per_line < cols) {
            if (first != 0) fputc('\n', p->f);
            fprintf(p->f, "Columns %" PRId64 " to %" PRId64, first + 1, last + 1);
            print_indent(p, indent);
        }
        if (fmt.scale != 1) {
            print_scale(p, fmt.scale);
            print_indent(p, indent);
        }
        print_chunk(p, &fmt, v, rows, cols, first, last, indent);
    }
}

/* v (n) -> an optional scale line, then one value per line. */
static void print_vector(Printer *p, const double *v, int64_t n) {
    Format fmt = choose_format(p, v, n);
    if (fmt.scale != 1) print_scale(p, fmt.scale);
    for (int64_t i = 0; i < n; i++) {
        print_value(p, &fmt, v[i]);
        fputc('\n', p->f);
    }
}

/* v (d0, ..., dk, rows, cols) -> one block per 2-d slice, headed "(i,j,.,.) = ", the FIRST
 * leading index varying fastest (libtorch's counter order), blocks separated by a blank line.
 * Each block chooses its own format; only the precision carries over. */
static void print_blocks(Printer *p, const double *v, Shape shape) {
    int lead = shape.ndim - 2;
    int64_t rows = shape.size[lead], cols = shape.size[lead + 1];
    int64_t nblocks = 1;
    for (int d = 0; d < lead; d++) nblocks *= shape.size[d];
    for (int64_t b = 0; b < nblocks; b++) {
        if (b > 0) fputc('\n', p->f);
        fputc('(', p->f);
        int64_t rest = b, block_offset = 0, stride = rows * cols;
        /* b's digits in the mixed radix (d0, d1, ...) give the indices, d0 fastest. Row-major
         * strides grow from the last leading dim to the first, so walk both directions. */
        int64_t index[TORCH_MAX_DIMS];
        for (int d = 0; d < lead; d++) {
            index[d] = rest % shape.size[d];
            rest /= shape.size[d];
            fprintf(p->f, "%" PRId64 ",", index[d] + 1);
        }
        for (int d = lead - 1; d >= 0; d--) {
            block_offset += index[d] * stride;
            stride *= shape.size[d];
        }
        fputs(".,.) = \n", p->f);
        print_matrix(p, v + block_offset, rows, cols, 1);
    }
}

/* "[ CPUFloatType{2,3} ]", without a newline (libtorch writes none). */
static void print_type_line(FILE *f, const Tensor *t) {
    fprintf(f, "[ CPU%sType{", dtype_name(t->dtype));
    for (int d = 0; d < t->shape.ndim; d++)
        fprintf(f, d ? ",%" PRId64 : "%" PRId64, t->shape.size[d]);
    fputs("} ]", f);
}

/* libtorch's operator<< text of t (already checked) on f. */
static void write_libtorch(const char *op, FILE *f, const Tensor *t) {
    Printer p = {f, 6};
    double *v = values_as_double(op, t);
    int ndim = t->shape.ndim;
    if (ndim == 0) {
        fprintf(f, "%.6g\n", v[0]); /* a fresh stream's default precision */
    } else if (v != NULL) {         /* an empty tensor prints only its type line */
        if (ndim == 1)
            print_vector(&p, v, t->shape.size[0]);
        else if (ndim == 2)
            print_matrix(&p, v, t->shape.size[0], t->shape.size[1], 0);
        else
            print_blocks(&p, v, t->shape);
    }
    free(v);
    print_type_line(f, t);
}

/* ---- R torch's print() ------------------------------------------------------------------ */

/* The libtorch text of t in a malloc'ed buffer (*len bytes, NUL-terminated). */
static char *libtorch_text(const char *op, const Tensor *t, size_t *len) {
    char *text = NULL;
    FILE *mem = open_memstream(&text, len);
    if (mem == NULL) torch_error(op, "could not open a memory stream");
    write_libtorch(op, mem, t);
    fclose(mem);
    return text;
}

/* Writes text the way R torch's cpp_torch_tensor_print does: the text is cut into lines at
 * '\n' (a final empty line is dropped); when there are more than n lines and n > 1, the
 * first n lines and the last (type) line are kept, with the truncation notice on its own
 * line before the type line. Quirks kept from R: with exactly n + 1 lines the notice
 * appears although nothing was removed, and any n <= 1 (n = -1 by convention) keeps all. */
static void write_r_lines(FILE *f, const char *text, size_t len, int n) {
    if (len > 0 && text[len - 1] == '\n') len--;
    size_t lines = 1, cut = 0, last = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] != '\n') continue;
        if (n > 1 && lines == (size_t)n) cut = i + 1; /* just after the n-th line */
        lines++;
        last = i + 1; /* the start of the last line */
    }
    if (n > 1 && lines > (size_t)n) {
        fwrite(text, 1, cut, f);
        fputs(R_TRUNCATED, f);
        fwrite(text + last, 1, len - last, f);
    } else {
        fwrite(text, 1, len, f);
    }
}

/* R's print(x, n) for a checked t. */
static void write_r_print(const char *op, FILE *f, const Tensor *t, int n) {
    size_t len = 0;
    char *text = libtorch_text(op, t, &len);
    fputs("torch_tensor\n", f);
    write_r_lines(f, text, len, n);
    free(text);
    if (torch_autograd_hooks && torch_autograd_hooks->print_suffix)
        torch_autograd_hooks->print_suffix(f, t); /* " [ grad_fn = <MmBackward0> ]" */
    fputc('\n', f);
}

/* ---- the public entry points ------------------------------------------------------------ */

/* libtorch's operator<< text: no "torch_tensor" header, no truncation, no final newline. */
void torch_fprint_libtorch(FILE *f, Tensor *t) {
    check_args("torch_fprint_libtorch", f, t);
    write_libtorch("torch_fprint_libtorch", f, t);
}

/* R: print(x, n = n). */
void torch_fprint_n(FILE *f, Tensor *t, int n) {
    check_args("torch_fprint_n", f, t);
    write_r_print("torch_fprint_n", f, t, n);
}

/* R: print(x) to a file (n = 30). */
void torch_fprint(FILE *f, Tensor *t) {
    check_args("torch_fprint", f, t);
    write_r_print("torch_fprint", f, t, R_DEFAULT_LINES);
}

/* R: print(x). */
void torch_print(Tensor *t) {
    check_args("torch_print", stdout, t);
    write_r_print("torch_print", stdout, t, R_DEFAULT_LINES);
}

/*
 * gradcheck.c: is backward() right? Ask finite differences.
 *
 * For a fixed random weighting r of f's output, L(x) = sum(r * f(x)) is a scalar whose
 * gradient backward() gives directly (backward with gradient r). Finite differences give
 * the same numbers one element at a time: dL/dx_i ~ (L(x + eps e_i) - L(x - eps e_i)) / 2eps,
 * with L summed in double from f's float outputs.
 */
#include "graph.h"

#include <math.h>
#include <stdlib.h>

/* r: fixed pseudo-random weights in [0.5, 1.5) (a local generator: torch's stream is left
 * alone, so a test's random numbers do not depend on whether it checked gradients). */
static Tensor *weights(Shape shape) {
    Tensor *r = torch_empty(shape);
    uint32_t state = 12345;
    float *d = tensor_f32(r);
    for (int64_t i = 0, n = shape_numel(shape); i < n; i++) {
        state = state * 1664525u + 1013904223u;
        d[i] = 0.5f + (float)(state >> 8) / 16777216.0f;
    }
    return r;
}

/* L = sum(r * f(inputs)), in double. */
static double weighted_sum(GradcheckFn f, Tensor **inputs, int n, void *ctx, Tensor *r) {
    torch_scope_begin();
    torch_no_grad_begin();
    Tensor *out = f(inputs, n, ctx);
    int64_t count = torch_numel(out);
    double sum = 0;
    for (int64_t i = 0; i < count; i++)
        sum += (double)tensor_f32(out)[strided_offset(out, i)] * tensor_f32(r)[i];
    torch_no_grad_end();
    torch_scope_end();
    return sum;
}

bool torch_gradcheck(GradcheckFn f, Tensor **inputs, int n, void *ctx, double eps, double atol,
                     double rtol, char *report, size_t report_len) {
    if (report && report_len) report[0] = '\0';
    torch_scope_begin();
    /* analytic: one backward with gradient r */
    for (int k = 0; k < n; k++)
        if (torch_grad(inputs[k])) torch_zero_(torch_grad(inputs[k]));
    Tensor *out = f(inputs, n, ctx);
    Tensor *r = weights(out->shape);
    torch_backward_with(out, r, false);

    bool ok = true;
    for (int k = 0; k < n && ok; k++) {
        Tensor *x = inputs[k];
        if (!torch_requires_grad(x)) continue;
        Tensor *analytic = torch_grad(x);
        int64_t count = torch_numel(x);
        for (int64_t i = 0; i < count && ok; i++) {
            float *xi = &tensor_f32(x)[strided_offset(x, i)];
            float saved = *xi;
            *xi = saved + (float)eps;
            double up = weighted_sum(f, inputs, n, ctx, r);
            *xi = saved - (float)eps;
            double down = weighted_sum(f, inputs, n, ctx, r);
            *xi = saved;
            double h = ((double)(saved + (float)eps) - (double)(saved - (float)eps));
            double numeric = (up - down) / h;
            double got = analytic ? tensor_f32(analytic)[strided_offset(analytic, i)] : 0.0;
            if (fabs(got - numeric) > atol + rtol * fabs(numeric)) {
                ok = false;
                if (report)
                    snprintf(report, report_len,
                             "input %d, element %lld: backward gives %.6g, finite differences "
                             "give %.6g (|diff| %.3g > atol %.3g + rtol %.3g * |numeric|)",
                             k, (long long)i, got, numeric, fabs(got - numeric), atol, rtol);
            }
        }
    }
    torch_scope_end();
    return ok;
}

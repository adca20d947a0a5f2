/* linear.c: nn_linear, y = x W^T + b, initialized exactly as libtorch does. */
#include "nn.h"
#include "internal.h"

#include <math.h>
#include <stdlib.h>

typedef struct Linear {
    Module module; /* first, so a Linear * is a Module * */
    int64_t in_features, out_features;
} Linear;

/* x (n, in_features) -> (n, out_features). R: nnf_linear(x, self$weight, self$bias). */
static Tensor *linear_forward(Module *self, Tensor *x) {
    Linear *l = (Linear *)self;
    tensor_check("nn_linear", x);
    if (x->dtype != TORCH_FLOAT32) /* checked first, as libtorch's addmm does */
        torch_error("nn_linear", "mat1 and mat2 must have the same dtype, but got %s and Float",
                    dtype_name(x->dtype));
    char xs[96];
    if (x->shape.ndim != 2)
        torch_error("nn_linear", "expected a 2-d input (batch, %lld features), got %s",
                    (long long)l->in_features, shape_str(x->shape, xs, sizeof xs));
    if (x->shape.size[1] != l->in_features) {
        torch_error("nn_linear", "mat1 and mat2 shapes cannot be multiplied (%s and %lldx%lld)",
                    shape_str_x(x->shape, xs, sizeof xs), (long long)l->in_features,
                    (long long)l->out_features);
    }
    /* BEGIN EXERCISE 3.1: nn_linear's forward */
    Tensor *weight = self->parameters[0], *bias = self->parameters[1];
    Tensor *weight_t = torch_t(weight);
    Tensor *out = torch_addmm(bias, x, weight_t); /* AddmmBackward0, as libtorch */
    /* Outside any scope nothing would ever release the transposed view: release it now,
     * unless autograd recorded the product and its node holds the view. */
    if (weight_t->scope == 0 && !torch_requires_grad(out)) torch_free(weight_t);
    return out;
    /* END EXERCISE 3.1 */
}

/* A Linear whose parameters are weight (out, in) and bias (out), taken as
 * nn_register_parameter takes them. */
static Module *linear_new(Tensor *weight, Tensor *bias) {
    Linear *l = calloc(1, sizeof *l);
    if (!l) torch_error("nn_linear", "out of memory");
    nn_module_init(&l->module, "nn_linear", linear_forward);
    l->out_features = weight->shape.size[0];
    l->in_features = weight->shape.size[1];
    nn_register_parameter(&l->module, "weight", weight);
    nn_register_parameter(&l->module, "bias", bias);
    return &l->module;
}

Module *nn_linear(int64_t in_features, int64_t out_features) {
    if (in_features < 0 || out_features < 0)
        torch_error("nn_linear", "Trying to create tensor with negative dimension %lld: [%lld, %lld]",
                    (long long)(out_features < 0 ? out_features : in_features),
                    (long long)out_features, (long long)in_features);
    /* weight first, then bias: the random stream depends on the order */
    Tensor *weight = torch_empty(SHAPE(out_features, in_features));
    Tensor *bias = torch_empty(SHAPE(out_features));
    /* kaiming_uniform_(weight, a = sqrt(5)), fan_in mode, leaky_relu gain, in double */
    /* BEGIN EXERCISE 3.5: nn_linear's initialization */
    double fan_in = (double)in_features, a = sqrt(5.0);
    double gain = sqrt(2.0 / (1.0 + a * a));
    double bound = fan_in > 0 ? sqrt(3.0) * (gain / sqrt(fan_in)) : 0.0;
    torch_uniform_(weight, -bound, bound);
    double bias_bound = fan_in > 0 ? 1.0 / sqrt(fan_in) : 0.0;
    torch_uniform_(bias, -bias_bound, bias_bound);
    /* END EXERCISE 3.5 */
    return linear_new(weight, bias);
}

Module *nn_linear_from(Tensor *weight, Tensor *bias) {
    tensor_check_dtype("nn_linear_from", weight, TORCH_FLOAT32);
    tensor_check_dtype("nn_linear_from", bias, TORCH_FLOAT32);
    char ws[96], bs[96];
    if (weight->shape.ndim != 2 || bias->shape.ndim != 1 ||
        bias->shape.size[0] != weight->shape.size[0])
        torch_error("nn_linear_from",
                    "expected weight (out_features, in_features) and bias "
                    "(out_features), got %s and %s",
                    shape_str(weight->shape, ws, sizeof ws), shape_str(bias->shape, bs, sizeof bs));
    torch_no_grad_begin(); /* copies, not recorded: the layer's own leaves */
    Tensor *w = torch_clone(weight), *b = torch_clone(bias);
    torch_no_grad_end();
    return linear_new(w, b);
}

/* ct_tutorial_loops.c: the tutorial's stage-2 and stage-3 loops, copied from train.c. */
#include "ct_tutorial_loops.h"

void ct_tutorial_tensor_weights(int64_t d_in, int64_t hidden, Tensor **w1, Tensor **w2,
                                Tensor **b1, Tensor **b2) {
    *w1 = torch_requires_grad_(torch_randn(SHAPE(d_in, hidden)), true);
    *w2 = torch_requires_grad_(torch_randn(SHAPE(hidden, 1)), true);
    *b1 = torch_requires_grad_(torch_zeros(SHAPE(1, hidden)), true);
    *b2 = torch_requires_grad_(torch_zeros(SHAPE(1, 1)), true);
}

Module *ct_tutorial_model(int64_t d_in, int64_t hidden) {
    return nn_sequential(nn_linear(d_in, hidden), nn_relu(), nn_linear(hidden, 1));
}

void ct_tutorial_model_from_weights(Module *model, Tensor *w1, Tensor *w2, Tensor *b1,
                                    Tensor *b2) {
    ParameterList params = nn_parameters(model);
    int64_t hidden = torch_shape(w1).size[1];
    Tensor *initial[4] = {torch_t(w1), torch_reshape(b1, SHAPE(hidden)), torch_t(w2),
                          torch_reshape(b2, SHAPE(1))};
    /* R: with_no_grad(p$copy_(value)) */
    for (int i = 0; i < 4; i++) with_no_grad(torch_copy_(params.items[i], initial[i]));
}

void ct_stage2_loop(Tensor *x, Tensor *y, Tensor *w1, Tensor *w2, Tensor *b1, Tensor *b2,
                    int epochs, float *losses) {
    float learning_rate = 1e-4f;
    for (int t = 1; t <= epochs; t++) {
        torch_scope_begin();
        Tensor *h = torch_add(torch_mm(x, w1), b1);
        Tensor *h_relu = torch_clamp_min(h, 0);
        Tensor *y_pred = torch_add(torch_mm(h_relu, w2), b2);
        Tensor *loss = torch_sum(torch_pow(torch_sub(y_pred, y), 2));
        losses[t - 1] = torch_item(loss);
        torch_backward(loss);
        with_no_grad({
            torch_sub_(w1, torch_mul_scalar(torch_grad(w1), learning_rate));
            torch_sub_(w2, torch_mul_scalar(torch_grad(w2), learning_rate));
            torch_sub_(b1, torch_mul_scalar(torch_grad(b1), learning_rate));
            torch_sub_(b2, torch_mul_scalar(torch_grad(b2), learning_rate));
            torch_zero_(torch_grad(w1));
            torch_zero_(torch_grad(w2));
            torch_zero_(torch_grad(b1));
            torch_zero_(torch_grad(b2));
        });
        torch_scope_end();
    }
}

/* p = p - learning_rate * grad, the product rounded first, as stage 3's update computes it. */
static void sub_scaled_grad_(Tensor *p, float learning_rate) {
    torch_sub_(p, torch_mul_scalar(torch_grad(p), learning_rate));
}

void ct_stage3_loop(Tensor *x, Tensor *y, Module *model, int epochs, float *losses) {
    float learning_rate = 1e-4f;
    for (int t = 1; t <= epochs; t++) {
        torch_scope_begin();
        Tensor *y_pred = nn_forward(model, x);
        Tensor *loss = torch_sum(torch_pow(torch_sub(y_pred, y), 2));
        if (losses) losses[t - 1] = torch_item(loss);
        nn_zero_grad(model);
        torch_backward(loss);
        with_no_grad({
            ParameterList params = nn_parameters(model);
            for (int i = 0; i < params.count; i++) sub_scaled_grad_(params.items[i], learning_rate);
        });
        torch_scope_end();
    }
}

/*
 * ct_tutorial_loops.h: the stage-2 and stage-3 training loops of the tutorial, copied from
 * their train.c, for the suites that prove a program equals its copy (test_modules.c,
 * test_cross_stage.c). Compiled into those suites only: it needs autograd and nn.
 */
#ifndef CTORCH_CT_TUTORIAL_LOOPS_H
#define CTORCH_CT_TUTORIAL_LOOPS_H

#include "autograd.h"
#include "nn.h"

/* Stages 1 and 2's weights, drawn right after the data as their train.c draws them:
 * w1 (d_in, hidden), w2 (hidden, 1) from torch_randn, b1 (1, hidden), b2 (1, 1) zeros. */
void ct_tutorial_tensor_weights(int64_t d_in, int64_t hidden, Tensor **w1, Tensor **w2,
                                Tensor **b1, Tensor **b2);

/* Stages 3 and 4's model: nn_sequential(nn_linear(d_in, hidden), nn_relu(),
 * nn_linear(hidden, 1)). */
Module *ct_tutorial_model(int64_t d_in, int64_t hidden);

/* Sets the model's parameters to stage 2's weights (nn_linear stores its weight as
 * (out, in)): w1^T, b1, w2^T, b2. */
void ct_tutorial_model_from_weights(Module *model, Tensor *w1, Tensor *w2, Tensor *b1,
                                    Tensor *b2);

/* Stage 2's training loop (stage2_autograd/train.c), copied: `epochs` epochs on the four
 * weight tensors, each epoch's loss into losses[t - 1]. */
void ct_stage2_loop(Tensor *x, Tensor *y, Tensor *w1, Tensor *w2, Tensor *b1, Tensor *b2,
                    int epochs, float *losses);

/* Stage 3's training loop (stage3_modules/train.c), copied: the model holds the weights;
 * losses may be NULL. */
void ct_stage3_loop(Tensor *x, Tensor *y, Module *model, int epochs, float *losses);

#endif

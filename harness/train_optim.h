/*
 * train_optim.h: chapter 4's optimizer, or the one the command line names (--optim). Stage 4
 * only: it needs the optimizers of stage4_losses_optim/.
 *
 *     Optimizer *optimizer = train_optim(&opt, optim_adam)(nn_parameters(model), learning_rate);
 *                          // R: optimizer <- optim_adam(model$parameters, lr = learning_rate)
 */
#ifndef CTORCH_TRAIN_OPTIM_H
#define CTORCH_TRAIN_OPTIM_H

#include "optim.h"
#include "train_harness.h"

/* What optim_adam and optim_sgd are: R's optim_adam(params, lr = lr) as a C function. */
typedef Optimizer *(*OptimConstructor)(ParameterList params, double lr);

/* The program's optimizer, `chosen` (optim_adam in stage 4), unless --optim names another:
 * optim_sgd for --optim sgd. A bad --optim stops the program with status 2. */
OptimConstructor train_optim(TrainOptions *opt, OptimConstructor chosen);

#endif

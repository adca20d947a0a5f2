/* train_optim.c: --optim's optimizer (see train_optim.h). */
#include "train_optim.h"

#include <string.h>

OptimConstructor train_optim(TrainOptions *opt, OptimConstructor chosen) {
    const char *name = train_optim_name(opt); /* "adam", "sgd", or NULL when not given */
    if (!name) return chosen;
    return strcmp(name, "sgd") == 0 ? optim_sgd : optim_adam;
}

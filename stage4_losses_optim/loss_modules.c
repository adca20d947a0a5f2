/*
 * loss_modules.c: the loss objects, R's nn_*_loss. Each is a Module without parameters that
 * remembers its options (reduction, ignore_index) and which nnf_ function to call:
 *
 *     Module *loss_fn = nn_mse_loss("mean");    // R: loss_fn <- nn_mse_loss()
 *     nn_loss(loss_fn, x, y);                   // R: loss_fn(x, y)
 *
 * A Module's forward takes one input, a loss takes two, so losses are called with nn_loss.
 */
#include "loss_internal.h"

#include <stdlib.h>
#include <string.h>

#define LOSS_ALIVE 0x1055F00Du
#define LOSS_DEAD 0xDEAD1055u

typedef struct LossModule LossModule;
typedef Tensor *(*LossCall)(const LossModule *self, Tensor *input, Tensor *target);

struct LossModule {
    Module base;      /* first, so a LossModule * is a Module * */
    uint32_t magic;   /* LOSS_ALIVE while usable: tells a loss object from other modules */
    char reduction[16];
    int64_t ignore_index;
    LossCall call;
};

/* ---- the calls: each loss object's nnf_ function with its stored options ----------------- */

static Tensor *call_mse(const LossModule *self, Tensor *input, Tensor *target) {
    return nnf_mse_loss(input, target, self->reduction);
}
static Tensor *call_l1(const LossModule *self, Tensor *input, Tensor *target) {
    return nnf_l1_loss(input, target, self->reduction);
}
static Tensor *call_bce(const LossModule *self, Tensor *input, Tensor *target) {
    return nnf_binary_cross_entropy(input, target, self->reduction);
}
static Tensor *call_bce_with_logits(const LossModule *self, Tensor *input, Tensor *target) {
    return nnf_binary_cross_entropy_with_logits(input, target, self->reduction);
}
static Tensor *call_nll(const LossModule *self, Tensor *input, Tensor *target) {
    return nnf_nll_loss_ignore_index(input, target, self->ignore_index, self->reduction);
}
static Tensor *call_cross_entropy(const LossModule *self, Tensor *input, Tensor *target) {
    return nnf_cross_entropy_ignore_index(input, target, self->ignore_index, self->reduction);
}
static Tensor *call_kl_div(const LossModule *self, Tensor *input, Tensor *target) {
    return nnf_kl_div(input, target, self->reduction);
}

/* ---- building ---------------------------------------------------------------------------- */

/* nn_forward(loss_fn, x) has no target to compare with: say how to call a loss. */
static Tensor *forward_needs_target(Module *self, Tensor *input) {
    (void)input;
    torch_error("nn_forward", "%s takes an input and a target: call nn_loss(loss_fn, input, "
                              "target)",
                self->class_name);
}

static void mark_dead(Module *self) { ((LossModule *)self)->magic = LOSS_DEAD; }

/* A loss object named class_name; reduction is checked now, with the class's name. */
static Module *loss_module(const char *class_name, LossCall call, const char *reduction,
                           bool batchmean_allowed, int64_t ignore_index) {
    if (reduction == NULL) reduction = "mean";
    reduction_parse(class_name, reduction, batchmean_allowed);
    LossModule *m = calloc(1, sizeof *m);
    if (!m) torch_error(class_name, "out of memory");
    nn_module_init(&m->base, class_name, forward_needs_target);
    m->base.free_extra = mark_dead;
    m->magic = LOSS_ALIVE;
    snprintf(m->reduction, sizeof m->reduction, "%s", reduction);
    m->ignore_index = ignore_index;
    m->call = call;
    return &m->base;
}

Module *nn_mse_loss(const char *reduction) {
    return loss_module("nn_mse_loss", call_mse, reduction, false, 0);
}
Module *nn_l1_loss(const char *reduction) {
    return loss_module("nn_l1_loss", call_l1, reduction, false, 0);
}
Module *nn_bce_loss(const char *reduction) {
    return loss_module("nn_bce_loss", call_bce, reduction, false, 0);
}
Module *nn_bce_with_logits_loss(const char *reduction) {
    return loss_module("nn_bce_with_logits_loss", call_bce_with_logits, reduction, false, 0);
}
Module *nn_nll_loss_ignore_index(int64_t ignore_index, const char *reduction) {
    return loss_module("nn_nll_loss", call_nll, reduction, false, ignore_index);
}
Module *nn_nll_loss(const char *reduction) {
    return nn_nll_loss_ignore_index(LOSS_IGNORE_INDEX, reduction);
}
Module *nn_cross_entropy_loss_ignore_index(int64_t ignore_index, const char *reduction) {
    return loss_module("nn_cross_entropy_loss", call_cross_entropy, reduction, false,
                       ignore_index);
}
Module *nn_cross_entropy_loss(const char *reduction) {
    return nn_cross_entropy_loss_ignore_index(LOSS_IGNORE_INDEX, reduction);
}
Module *nn_kl_div_loss(const char *reduction) {
    return loss_module("nn_kl_div_loss", call_kl_div, reduction, true, 0);
}

/* ---- calling ----------------------------------------------------------------------------- */

Tensor *nn_loss(Module *loss_fn, Tensor *input, Tensor *target) {
    if (loss_fn == NULL) torch_error("nn_loss", "expected a loss module but got NULL");
    LossModule *m = (LossModule *)loss_fn;
    if (loss_fn->forward != forward_needs_target)
        torch_error("nn_loss", "expected a loss module (nn_mse_loss(), ...) but got %s",
                    loss_fn->class_name ? loss_fn->class_name : "an invalid pointer");
    if (m->magic == LOSS_DEAD) torch_error("nn_loss", "a module was used after it was freed");
    return m->call(m, input, target);
}

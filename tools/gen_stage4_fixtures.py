#!/usr/bin/python3
"""Golden values for stage 4 (chapter 4: loss functions and optimizers), from PyTorch 1.13.

Run from anywhere with Debian's python3-torch:
    /usr/bin/python3 tools/gen_stage4_fixtures.py
Writes three files in tests/fixtures/:
  stage4_losses.txt  every loss with every reduction: inputs, targets, the gradient fed to
                     backward, the loss, the gradients of input (and target), the node name;
  stage4_optim.txt   SGD and Adam, one case per option, 100 steps on a fixed quadratic, the
                     parameters after steps 1, 10 and 100;
  stage4_train.txt   chapter 4's training loop (Adam, lr 0.08, mse_loss sum) per seed, the
                     least-squares loss of the same data, and the walkthrough's values.
"""
import os
import sys
import warnings

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from fixtures import FixtureWriter  # noqa: E402
from torch_mirror import EPOCHS, N, chapter_data, chapter_model  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")
GENERATOR = "tools/gen_stage4_fixtures.py"


def node_name(t):
    return type(t.grad_fn).__name__


# ---- losses ---------------------------------------------------------------------------------

def loss_case(fx, name, fn, inp, target, reductions, target_grad):
    """Stores inputs once, then per reduction: value, gradients and the node's name."""
    fx.tensor(f"{name}_input", inp)
    fx.tensor(f"{name}_target", target)
    for red in reductions:
        x = inp.clone().requires_grad_(True)
        t = target.clone().requires_grad_(target_grad)
        out = fn(x, t, red)
        grad_out = torch.randn(out.shape)
        out.backward(grad_out)
        key = f"{name}_{red}"
        fx.tensor(f"{key}_value", out.detach())
        fx.tensor(f"{key}_grad_out", grad_out)
        fx.tensor(f"{key}_grad_input", x.grad)
        if target_grad:
            fx.tensor(f"{key}_grad_target", t.grad)
        fx.text(f"{key}_grad_fn", node_name(out))


def losses():
    torch.manual_seed(4)
    path = os.path.join(FIXTURES, "stage4_losses.txt")
    basic = ["none", "mean", "sum"]
    with FixtureWriter(path, GENERATOR) as fx:
        loss_case(fx, "mse", lambda x, t, r: F.mse_loss(x, t, reduction=r),
                  torch.randn(4, 3), torch.randn(4, 3), basic, True)
        loss_case(fx, "l1", lambda x, t, r: F.l1_loss(x, t, reduction=r),
                  torch.randn(4, 3), torch.randn(4, 3), basic, True)
        loss_case(fx, "bce", lambda x, t, r: F.binary_cross_entropy(x, t, reduction=r),
                  torch.sigmoid(torch.randn(4, 3)), torch.rand(4, 3), basic, True)
        # Probabilities of exactly 0 and 1: the logs are clamped at -100.
        edge = torch.sigmoid(torch.randn(2, 3))
        edge[0, 0], edge[0, 1], edge[1, 2] = 0.0, 1.0, 1.0
        edge_t = torch.tensor([[0.0, 1.0, 0.3], [0.5, 0.25, 0.0]])
        loss_case(fx, "bce_edge", lambda x, t, r: F.binary_cross_entropy(x, t, reduction=r),
                  edge, edge_t, basic, False)
        loss_case(fx, "bce_logits",
                  lambda x, t, r: F.binary_cross_entropy_with_logits(x, t, reduction=r),
                  torch.randn(4, 3) * 4, torch.rand(4, 3), basic, True)
        loss_case(fx, "nll", lambda x, t, r: F.nll_loss(x, t, reduction=r),
                  F.log_softmax(torch.randn(5, 4), 1), torch.tensor([1, 0, 3, -100, 2]),
                  basic, False)
        loss_case(fx, "nll_ignore2", lambda x, t, r: F.nll_loss(x, t, ignore_index=2, reduction=r),
                  F.log_softmax(torch.randn(5, 4), 1), torch.tensor([2, 0, 3, 1, 2]),
                  basic, False)
        loss_case(fx, "cross_entropy", lambda x, t, r: F.cross_entropy(x, t, reduction=r),
                  torch.randn(5, 4) * 2, torch.tensor([3, 1, -100, 0, 2]), basic, False)
        kl_target = F.softmax(torch.randn(4, 5), 1)
        kl_target[1, 2] = 0.0  # xlogy(0, 0) = 0
        loss_case(fx, "kl_div", lambda x, t, r: F.kl_div(x, t, reduction=r),
                  F.log_softmax(torch.randn(4, 5), 1), kl_target, basic + ["batchmean"], False)
        for dim in (0, 1):
            x = (torch.randn(3, 5) * 3).requires_grad_(True)
            out = F.log_softmax(x, dim)
            grad_out = torch.randn(out.shape)
            out.backward(grad_out)
            fx.tensor(f"log_softmax{dim}_input", x.detach())
            fx.tensor(f"log_softmax{dim}_value", out.detach())
            fx.tensor(f"log_softmax{dim}_grad_out", grad_out)
            fx.tensor(f"log_softmax{dim}_grad_input", x.grad)
            fx.text(f"log_softmax{dim}_grad_fn", node_name(out))


# ---- optimizers -----------------------------------------------------------------------------

# Each case: the optimizer and its first group's options, and (optionally) options for a
# second group holding b instead of the first group holding both parameters.
OPTIM_CASES = [
    ("sgd_plain", torch.optim.SGD, dict(lr=0.05), None),
    ("sgd_momentum", torch.optim.SGD, dict(lr=0.05, momentum=0.9), None),
    ("sgd_dampening", torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.5), None),
    ("sgd_nesterov", torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True), None),
    ("sgd_weight_decay", torch.optim.SGD, dict(lr=0.05, weight_decay=0.1), None),
    ("sgd_all", torch.optim.SGD, dict(lr=0.03, momentum=0.8, weight_decay=0.05, nesterov=True),
     None),
    ("sgd_groups", torch.optim.SGD, dict(lr=0.05), dict(lr=0.01, momentum=0.9)),
    ("adam_plain", torch.optim.Adam, dict(lr=0.05), None),
    ("adam_weight_decay", torch.optim.Adam, dict(lr=0.05, weight_decay=0.1), None),
    ("adam_amsgrad", torch.optim.Adam, dict(lr=0.05, amsgrad=True), None),
    ("adam_betas_eps", torch.optim.Adam, dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6), None),
    ("adam_all", torch.optim.Adam,
     dict(lr=0.02, betas=(0.85, 0.995), eps=1e-7, weight_decay=0.05, amsgrad=True), None),
    ("adam_groups", torch.optim.Adam, dict(lr=0.05), dict(lr=0.01, amsgrad=True)),
]
SNAPSHOTS = (1, 10, 100)


def quadratic(w, b, problem):
    """sum(a_w * (w - t_w)^2) + sum(a_b * (b - t_b)^2): gradients 2 a (p - t), exact in both."""
    return ((problem["a_w"] * (w - problem["t_w"]).pow(2)).sum()
            + (problem["a_b"] * (b - problem["t_b"]).pow(2)).sum())


def optim():
    torch.manual_seed(5)
    # w has 40 elements (torch's vectorized kernel path), b has 8 (its scalar path).
    problem = {
        "w0": torch.randn(5, 8), "b0": torch.randn(8),
        "a_w": torch.rand(5, 8) * 1.5 + 0.5, "t_w": torch.randn(5, 8),
        "a_b": torch.rand(8) * 1.5 + 0.5, "t_b": torch.randn(8),
    }
    path = os.path.join(FIXTURES, "stage4_optim.txt")
    with FixtureWriter(path, GENERATOR) as fx:
        for key, value in problem.items():
            fx.tensor(key, value)
        for name, cls, options, second in OPTIM_CASES:
            w = problem["w0"].clone().requires_grad_(True)
            b = problem["b0"].clone().requires_grad_(True)
            if second is None:
                opt = cls([w, b], **options)
            else:
                opt = cls([w], **options)
                opt.add_param_group(dict(params=[b], **second))
            for step in range(1, 101):
                opt.zero_grad()
                quadratic(w, b, problem).backward()
                opt.step()
                if step in SNAPSHOTS:
                    fx.tensor(f"{name}_step{step}_w", w.detach())
                    fx.tensor(f"{name}_step{step}_b", b.detach())


# ---- chapter 4's program and walkthrough ----------------------------------------------------

SEEDS = [1, 42]


def chapter4_loop(seed):
    """The chapter's final program: data first, then the model, from the same seed."""
    torch.manual_seed(seed)
    x, y = chapter_data()
    model = chapter_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.08)
    losses = []
    for t in range(1, EPOCHS + 1):
        y_pred = model(x)
        loss = F.mse_loss(y_pred, y, reduction="sum")
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    # The best a linear model y ~ x b + c can do on this data: least squares on [x, 1].
    design = torch.cat([x, torch.ones(N, 1)], 1).double()
    coef = torch.linalg.lstsq(design, y.double()).solution
    lstsq_loss = ((design @ coef - y.double()) ** 2).sum().item()
    # LAPACK's last bit varies between runs; 10 digits keep the file reproducible.
    return torch.tensor(losses, dtype=torch.float32), float(f"{lstsq_loss:.10g}")


def walkthrough(seed):
    """The chapter's walkthrough, in its order of random draws."""
    torch.manual_seed(seed)
    x = torch.randn(3, 2, 3)
    y = torch.zeros(3, 2, 3)
    mse = F.mse_loss(x, y)
    data = torch.randn(1, 3)
    model = torch.nn.Linear(3, 1)
    before = (model.weight.detach().clone(), model.bias.detach().clone())
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    model(data).backward()  # out$backward() on the 1 x 1 output
    optimizer.step()
    return mse.detach(), before, (model.weight.detach(), model.bias.detach())


def train():
    torch.set_num_threads(1)
    path = os.path.join(FIXTURES, "stage4_train.txt")
    with FixtureWriter(path, GENERATOR) as fx:
        for seed in SEEDS:
            losses, lstsq_loss = chapter4_loop(seed)
            fx.tensor(f"adam_seed{seed}_loss", losses)
            fx.scalar(f"lstsq_seed{seed}_loss", lstsq_loss)
            mse, before, after = walkthrough(seed)
            fx.tensor(f"demo_seed{seed}_mse", mse)
            fx.tensor(f"demo_seed{seed}_weight_before", before[0])
            fx.tensor(f"demo_seed{seed}_bias_before", before[1])
            fx.tensor(f"demo_seed{seed}_weight_after", after[0])
            fx.tensor(f"demo_seed{seed}_bias_after", after[1])


def main():
    torch.set_num_threads(1)
    # kl_div's "mean" is tested on purpose; torch's advice to use "batchmean" is noise here.
    warnings.filterwarnings("ignore", message="reduction: 'mean' divides")
    losses()
    optim()
    train()


if __name__ == "__main__":
    main()

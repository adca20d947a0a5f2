#!/usr/bin/python3
"""Golden values for chapter 3 (modules), from PyTorch 1.13.

Run from anywhere with Debian's python3-torch:
    /usr/bin/python3 tools/gen_stage3_fixtures.py
Writes tests/fixtures/stage3.txt, read by tests/stages/test_modules.c:

  linear_s<seed>_<in>x<out>_weight / _bias / _next
      nn.Linear(in, out) right after torch.manual_seed(seed): its weight and bias, and
      torch.randn(3) drawn after it (so the test sees where the random stream stands).
  seq_s<seed>_<name>
      nn.Sequential(Linear(3, 32), ReLU(), Linear(32, 1)) right after manual_seed: each
      parameter ("0.weight", "0.bias", "2.weight", "2.bias").
  chapter_s<seed>_x / _y / _<name> / _y_pred / _loss / _grad_<name>
      the chapter's order: data x, y drawn first, then the model; one forward, the loss
      (y_pred - y)^2 summed, backward, and every parameter's gradient.
  chapter_graph
      the autograd graph below y_pred (seed 1), one node name a line, depth first.
  chapter_s<seed>_losses
      the chapter-3 training loop, 200 epochs, one thread: the loss of every epoch.
  custom_x / custom_w / custom_b / custom_out / custom_grad_w / custom_grad_b
      the chapter's my_linear (w = randn(in, out), b = zeros(out), forward x.mm(w) + b)
      after manual_seed(7) with in = 3, out = 2, on x = randn(4, 3) drawn after the module;
      loss = out.pow(2).sum().
"""
import os
import sys
import warnings

import torch

sys.path.insert(0, os.path.dirname(__file__))
from fixtures import FixtureWriter  # noqa: E402
from torch_mirror import EPOCHS, chapter_model, make_data  # noqa: E402

LINEAR_SIZES = [(3, 32), (32, 1), (7, 1000), (1, 1), (5, 0), (0, 5), (100, 3)]
LINEAR_SEEDS = [1, 42, 123456789]
CHAPTER_SEEDS = [1, 42]
NAMES = ["0.weight", "0.bias", "2.weight", "2.bias"]


def check_names(model):
    names = [name for name, _ in model.named_parameters()]
    assert names == NAMES, names


def linear_inits(fx):
    for seed in LINEAR_SEEDS:
        for d_in, d_out in LINEAR_SIZES:
            torch.manual_seed(seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "Initializing zero-element tensors is a no-op"
                layer = torch.nn.Linear(d_in, d_out)
            key = f"linear_s{seed}_{d_in}x{d_out}"
            fx.tensor(f"{key}_weight", layer.weight)
            fx.tensor(f"{key}_bias", layer.bias)
            fx.tensor(f"{key}_next", torch.randn(3))


def sequential_inits(fx):
    for seed in LINEAR_SEEDS:
        torch.manual_seed(seed)
        model = chapter_model()
        check_names(model)
        for name, p in model.named_parameters():
            fx.tensor(f"seq_s{seed}_{name}", p)


def graph_text(fn, depth=0):
    """The autograd graph below fn, one node a line, indented two spaces a level, with
    libtorch's node names (Python shows AccumulateGrad without its C++ namespace)."""
    if fn is None:
        return "  " * depth + "None\n"
    name = type(fn).__name__
    if name == "AccumulateGrad":
        name = "torch::autograd::AccumulateGrad"
    text = "  " * depth + name + "\n"
    for child, _ in fn.next_functions:
        text += graph_text(child, depth + 1)
    return text


def chapter_step(fx, seed):
    """One forward and backward of the chapter's network, data drawn first."""
    x, y = make_data(seed)
    model = chapter_model()
    check_names(model)
    key = f"chapter_s{seed}"
    fx.tensor(f"{key}_x", x)
    fx.tensor(f"{key}_y", y)
    for name, p in model.named_parameters():
        fx.tensor(f"{key}_{name}", p)
    y_pred = model(x)
    assert type(y_pred.grad_fn).__name__ == "AddmmBackward0"
    loss = (y_pred - y).pow(2).sum()
    loss.backward()
    if seed == CHAPTER_SEEDS[0]:
        fx.text("chapter_graph", graph_text(y_pred.grad_fn))
    fx.tensor(f"{key}_y_pred", y_pred)
    fx.tensor(f"{key}_loss", loss)
    for name, p in model.named_parameters():
        fx.tensor(f"{key}_grad_{name}", p.grad)


def chapter_losses(seed):
    """Chapter 3's training loop: nn.Sequential, loss by hand, update under no_grad."""
    x, y = make_data(seed)
    model = chapter_model()
    learning_rate = 1e-4
    losses = []
    for t in range(1, EPOCHS + 1):
        y_pred = model(x)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param.sub_(learning_rate * param.grad)
    return torch.tensor(losses, dtype=torch.float32)


def custom_module(fx):
    """The chapter's own module: my_linear with w (in, out) and b (out)."""

    class MyLinear(torch.nn.Module):
        def __init__(self, d_in, d_out):
            super().__init__()
            self.w = torch.nn.Parameter(torch.randn(d_in, d_out))
            self.b = torch.nn.Parameter(torch.zeros(d_out))

        def forward(self, x):
            return x.mm(self.w) + self.b

    torch.manual_seed(7)
    module = MyLinear(3, 2)
    x = torch.randn(4, 3)
    assert [name for name, _ in module.named_parameters()] == ["w", "b"]
    out = module(x)
    out.pow(2).sum().backward()
    fx.tensor("custom_x", x)
    fx.tensor("custom_w", module.w)
    fx.tensor("custom_b", module.b)
    fx.tensor("custom_out", out)
    fx.tensor("custom_grad_w", module.w.grad)
    fx.tensor("custom_grad_b", module.b.grad)


def main():
    torch.set_num_threads(1)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                       "stage3.txt")
    with FixtureWriter(out, "tools/gen_stage3_fixtures.py") as fx:
        linear_inits(fx)
        sequential_inits(fx)
        for seed in CHAPTER_SEEDS:
            chapter_step(fx, seed)
            fx.tensor(f"chapter_s{seed}_losses", chapter_losses(seed))
        custom_module(fx)


if __name__ == "__main__":
    main()

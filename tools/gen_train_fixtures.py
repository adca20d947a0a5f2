#!/usr/bin/python3
"""Golden training trajectories: each chapter's loop run in PyTorch 1.13.

Run from the repository root with Debian's python3-torch:
    /usr/bin/python3 tools/gen_train_fixtures.py
Writes tests/fixtures/train.txt: for each stage and seed, the loss of every epoch
(tensor "stageK_seedS_loss", float32), plus the data x, y and the initial weights for
seed 1 so tests can check that every stage draws the same data.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from fixtures import FixtureWriter  # noqa: E402
from torch_mirror import D_HIDDEN, D_IN, D_OUT, EPOCHS, N, make_data  # noqa: E402

SEEDS = [1, 42]


def stage1(seed, n=N, d_in=D_IN, hidden=D_HIDDEN, epochs=EPOCHS, learning_rate=1e-4):
    """Chapter 1: gradients written by hand. The loss of every epoch."""
    x, y = make_data(seed, n, d_in)
    w1 = torch.randn(d_in, hidden)
    w2 = torch.randn(hidden, D_OUT)
    b1 = torch.zeros(1, hidden)
    b2 = torch.zeros(1, D_OUT)
    losses = []
    for t in range(1, epochs + 1):
        h = x.mm(w1) + b1
        h_relu = h.clamp(min=0)
        y_pred = h_relu.mm(w2) + b2
        losses.append((y_pred - y).pow(2).sum().item())
        grad_y_pred = 2 * (y_pred - y)
        grad_w2 = h_relu.t().mm(grad_y_pred)
        grad_h_relu = grad_y_pred.mm(w2.t())
        grad_h = grad_h_relu.clone()
        grad_h[h < 0] = 0
        grad_b2 = grad_y_pred.sum()
        grad_w1 = x.t().mm(grad_h)
        grad_b1 = grad_h.sum(dim=0)
        w2 = w2 - learning_rate * grad_w2
        b2 = b2 - learning_rate * grad_b2
        w1 = w1 - learning_rate * grad_w1
        b1 = b1 - learning_rate * grad_b1
    return torch.tensor(losses, dtype=torch.float32)


def main():
    torch.set_num_threads(1)
    out = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "train.txt")
    with FixtureWriter(out, "tools/gen_train_fixtures.py") as fx:
        x, y = make_data(1)
        fx.tensor("seed1_x", x)
        fx.tensor("seed1_y", y)
        for seed in SEEDS:
            fx.tensor(f"stage1_seed{seed}_loss", stage1(seed))


if __name__ == "__main__":
    main()

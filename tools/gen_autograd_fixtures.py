#!/usr/bin/python3
"""Golden values for chapter 2's autograd engine (tests/stages/test_autograd.c).

Run from anywhere with Debian's python3-torch:
    /usr/bin/python3 tools/gen_autograd_fixtures.py
Writes tests/fixtures/autograd.txt:
  - for every op case C below: its inputs C_in0.. (and C_extra, a bool mask, where the op
    takes one), the forward value C_out, the upstream gradient C_gout that backward is seeded
    with, the inputs' gradients C_grad0.. and the node name C_name (grad_fn.name());
  - the R chapter's worked example (ex_*): values, gradients and the next_functions tree;
  - the edges of the chapter's 2-layer network graph (net_edges);
  - the chapter-2 training loop run with autograd (stage2_seedS_loss).
The C test runs each case with the same C function; the tables must stay in step.
"""
import os
import sys

import torch

aten = torch.ops.aten

sys.path.insert(0, os.path.dirname(__file__))
from fixtures import FixtureWriter  # noqa: E402
from torch_mirror import make_data  # noqa: E402

GEN = torch.Generator().manual_seed(20240601)


def randn(*shape):
    return torch.randn(shape, generator=GEN)


def positive(*shape):
    """Away from 0 and positive: log, sqrt, fractional powers."""
    return randn(*shape).abs() + 0.5


def nonzero(*shape):
    """Either sign, at least 0.5 from 0: divisors, pow(-1)."""
    x = randn(*shape)
    return torch.where(x < 0, x - 0.5, x + 0.5)


def off_kink(*shape):
    """Either sign, at least 0.1 from 0: relu, clamp_min(0), abs (finite differences use
    eps = 1e-3, so no perturbation crosses the kink)."""
    x = randn(*shape)
    return torch.where(x < 0, x - 0.1, x + 0.1)


def off_clamp(*shape):
    """At least 0.05 from the clamp bounds -0.5 and 0.5."""
    x = randn(*shape)
    x = torch.where((x - 0.5).abs() < 0.05, x + 0.1, x)
    return torch.where((x + 0.5).abs() < 0.05, x - 0.1, x)


def tie(sign):
    """(3, 4) with its maximum (sign 1) or minimum (sign -1) reached twice: torch splits the
    gradient evenly between the two."""
    x = randn(3, 4)
    top = x.max() + 0.5 if sign > 0 else x.min() - 0.5
    x[0, 3] = top
    x[2, 1] = top
    return x


def lanes(dim, sign):
    """(3, 4) whose extreme along dim is at least 0.1 clear of the runner-up (no ties and no
    finite-difference step changes the winner)."""
    x = randn(3, 4)
    idx = (x.argmax if sign > 0 else x.argmin)(dim=dim, keepdim=True)
    return x.scatter_add(dim, idx, torch.full(idx.shape, 0.1 * sign))


def mask(*shape):
    return torch.rand(shape, generator=GEN) > 0.5


# name -> (inputs, extra mask or None, function(inputs, extra)). The C test mirrors this table.
CASES = {
    # broadcasting arithmetic
    "add_same": ([randn(3, 4), randn(3, 4)], None, lambda a, b, m: a + b),
    "add_bcast": ([randn(100, 32), randn(1, 32)], None, lambda a, b, m: a + b),
    "add_0d": ([randn(3, 4), randn()], None, lambda a, b, m: a + b),
    "sub_bcast": ([randn(3, 1), randn(1, 4)], None, lambda a, b, m: a - b),
    "sub_0d": ([randn(), randn(2, 3)], None, lambda a, b, m: a - b),
    "mul_bcast": ([randn(3, 1), randn(1, 4)], None, lambda a, b, m: a * b),
    "mul_0d": ([randn(2, 3), randn()], None, lambda a, b, m: a * b),
    "div_bcast": ([randn(3, 4), nonzero(4)], None, lambda a, b, m: a / b),
    "div_0d": ([randn(2, 3), nonzero()], None, lambda a, b, m: a / b),
    # scalar operands and unary ops. R torch calls libtorch's Scalar overloads (AddBackward1,
    # MulBackward1, ...); Python's `a + 2.5` would wrap 2.5 in a tensor (AddBackward0).
    "add_scalar": ([randn(3, 4)], None, lambda a, m: aten.add.Scalar(a, 2.5)),
    "sub_scalar": ([randn(3, 4)], None, lambda a, m: aten.sub.Scalar(a, 1.5)),
    "mul_scalar": ([randn(3, 4)], None, lambda a, m: aten.mul.Scalar(a, -3.0)),
    "div_scalar": ([randn(3, 4)], None, lambda a, m: aten.div.Scalar(a, 4.0)),
    "neg": ([randn(3, 4)], None, lambda a, m: -a),
    "pow_2": ([randn(3, 4)], None, lambda a, m: a.pow(2)),
    "pow_3": ([randn(3, 4)], None, lambda a, m: a.pow(3)),
    "pow_0_5": ([positive(3, 4)], None, lambda a, m: a.pow(0.5)),
    "pow_m1": ([nonzero(3, 4)], None, lambda a, m: a.pow(-1)),
    "pow_1_5": ([positive(3, 4)], None, lambda a, m: a.pow(1.5)),
    "clamp_min": ([off_kink(3, 4)], None, lambda a, m: a.clamp(min=0.0)),
    "clamp": ([off_clamp(3, 4)], None, lambda a, m: a.clamp(min=-0.5, max=0.5)),
    "relu": ([off_kink(3, 4)], None, lambda a, m: a.relu()),
    "exp": ([randn(3, 4)], None, lambda a, m: a.exp()),
    "log": ([positive(3, 4)], None, lambda a, m: a.log()),
    "sqrt": ([positive(3, 4)], None, lambda a, m: a.sqrt()),
    "abs": ([off_kink(3, 4)], None, lambda a, m: a.abs()),
    "where": ([randn(3, 4), randn(1, 4)], mask(3, 4), lambda a, b, m: torch.where(m, a, b)),
    "masked_fill": ([randn(3, 4)], mask(4), lambda a, m: a.masked_fill(m, 0.5)),
    "masked_fill_bcast": ([randn(1, 4)], mask(3, 4), lambda a, m: torch.masked_fill(a, m, 0.5)),
    # reductions
    "sum": ([randn(3, 4)], None, lambda a, m: a.sum()),
    "sum_dim1": ([randn(3, 4)], None, lambda a, m: a.sum(1)),
    "sum_dim0_keep": ([randn(3, 4)], None, lambda a, m: a.sum(0, keepdim=True)),
    "mean": ([randn(3, 4)], None, lambda a, m: a.mean()),
    "mean_dim1": ([randn(3, 4)], None, lambda a, m: a.mean(1)),
    "mean_dim0_keep": ([randn(3, 4)], None, lambda a, m: a.mean(0, keepdim=True)),
    "max_tie": ([tie(1)], None, lambda a, m: a.max()),
    "min_tie": ([tie(-1)], None, lambda a, m: a.min()),
    "max_dim1": ([lanes(1, 1)], None, lambda a, m: a.max(1)[0]),
    "max_dim0_keep": ([lanes(0, 1)], None, lambda a, m: a.max(0, keepdim=True)[0]),
    "min_dim1": ([lanes(1, -1)], None, lambda a, m: a.min(1)[0]),
    "min_dim0_keep": ([lanes(0, -1)], None, lambda a, m: a.min(0, keepdim=True)[0]),
    # matrix products
    "mm": ([randn(3, 4), randn(4, 5)], None, lambda a, b, m: a.mm(b)),
    "matmul_dot": ([randn(4), randn(4)], None, lambda a, b, m: a.matmul(b)),
    "matmul_mv": ([randn(3, 4), randn(4)], None, lambda a, b, m: a.matmul(b)),
    "matmul_vm": ([randn(4), randn(4, 5)], None, lambda a, b, m: a.matmul(b)),
    "matmul_mm": ([randn(3, 4), randn(4, 5)], None, lambda a, b, m: a.matmul(b)),
    "addmm": ([randn(1, 5), randn(3, 4), randn(4, 5)], None,
              lambda c, a, b, m: torch.addmm(c, a, b)),
    "addmm_vec": ([randn(5), randn(3, 4), randn(4, 5)], None,
                  lambda c, a, b, m: torch.addmm(c, a, b)),
    # views and copies
    "view": ([randn(3, 4)], None, lambda a, m: a.view(2, 6)),
    "reshape": ([randn(3, 4)], None, lambda a, m: a.reshape(12)),
    "reshape_copy": ([randn(3, 4)], None, lambda a, m: a.t().reshape(12)),
    "squeeze": ([randn(3, 1, 4)], None, lambda a, m: a.squeeze()),
    "squeeze_dim": ([randn(3, 1, 4)], None, lambda a, m: a.squeeze(1)),
    "unsqueeze": ([randn(3, 4)], None, lambda a, m: a.unsqueeze(1)),
    "transpose": ([randn(2, 3, 4)], None, lambda a, m: a.transpose(0, 2)),
    "t": ([randn(3, 4)], None, lambda a, m: a.t()),
    "expand": ([randn(1, 4)], None, lambda a, m: a.expand(3, 4)),
    "expand_new_dims": ([randn(4)], None, lambda a, m: a.expand(2, 3, 4)),
    "select": ([randn(3, 4)], None, lambda a, m: a.select(1, 2)),
    "select_neg": ([randn(3, 4)], None, lambda a, m: a.select(0, -1)),
    "slice_step": ([randn(3, 6)], None, lambda a, m: a[:, 1:6:2]),
    "narrow": ([randn(4, 3)], None, lambda a, m: a.narrow(0, 1, 2)),
    "clone": ([randn(3, 4)], None, lambda a, m: a.clone()),
    # compositions: a value used twice, views in a chain, a reduction over a broadcast
    "diamond": ([randn(3, 4)], None, lambda x, m: x * x + x),
    "chain_views": ([randn(12), randn(2, 3)], None,
                    lambda a, b, m: (a.view(3, 4).t().narrow(0, 1, 2) * b).sum(1)),
    "bcast_reduce": ([randn(3, 1), randn(1, 4)], None, lambda a, b, m: (a * b).mean(0)),
}


def write_cases(fx):
    for name, (inputs, extra, fn) in CASES.items():
        leaves = [x.clone().requires_grad_(True) for x in inputs]
        for i, x in enumerate(inputs):
            fx.tensor(f"{name}_in{i}", x)
        if extra is not None:
            fx.tensor(f"{name}_extra", extra)
        out = fn(*leaves, extra)
        gout = randn(*out.shape)
        out.backward(gout)
        fx.tensor(f"{name}_out", out)
        fx.tensor(f"{name}_gout", gout)
        fx.text(f"{name}_name", out.grad_fn.name())
        for i, x in enumerate(leaves):
            fx.tensor(f"{name}_grad{i}", x.grad)


def tree(fn):
    """grad_fn's node names, depth first, skipping None: Name(child,child)."""
    kids = [tree(f) for f, _ in fn.next_functions if f is not None]
    return fn.name() + ("(" + ",".join(kids) + ")" if kids else "")


def write_worked_example(fx):
    """The R chapter's example, with R's torch_tensor(1.1) being a 1-element 1-d tensor."""
    x1 = torch.ones(2, 2, requires_grad=True)
    x2 = torch.tensor([1.1], requires_grad=True)
    y = x1 * aten.add.Scalar(x2, 2)  # R's x2 + 2: the Scalar overload, AddBackward1
    y.retain_grad()
    z = aten.mul.Scalar(y.pow(2), 3)  # R's y$pow(2) * 3: MulBackward1
    z.retain_grad()
    out = z.mean()
    fx.text("ex_tree", tree(out.grad_fn))
    out.backward()
    fx.tensor("ex_y", y)
    fx.tensor("ex_z", z)
    fx.tensor("ex_out", out)
    fx.tensor("ex_z_grad", z.grad)
    fx.tensor("ex_y_grad", y.grad)
    fx.tensor("ex_x1_grad", x1.grad)
    fx.tensor("ex_x2_grad", x2.grad)


def write_network_graph(fx):
    """The edges of the 2-layer network's graph, one 'Parent -> Child' per line, sorted.
    A leaf is shown as AccumulateGrad with its shape, e.g. 'AccumulateGrad [3, 32]'."""
    x, y = torch.randn(100, 3), torch.randn(100, 1)
    w1 = torch.randn(3, 32, requires_grad=True)
    w2 = torch.randn(32, 1, requires_grad=True)
    b1 = torch.zeros(1, 32, requires_grad=True)
    b2 = torch.zeros(1, 1, requires_grad=True)
    h = x.mm(w1) + b1
    h_relu = h.clamp(min=0)
    y_pred = h_relu.mm(w2) + b2
    loss = (y_pred - y).pow(2).sum()

    def label(fn):
        if hasattr(fn, "variable"):
            return "AccumulateGrad [" + ", ".join(str(s) for s in fn.variable.shape) + "]"
        return fn.name()

    edges, seen, todo = [], set(), [loss.grad_fn]
    while todo:
        fn = todo.pop()
        if fn in seen:
            continue
        seen.add(fn)
        for child, _ in fn.next_functions:
            if child is not None:
                edges.append(f"{label(fn)} -> {label(child)}")
                todo.append(child)
    fx.text("net_edges", "\n".join(sorted(edges)) + "\n")


def stage2(seed):
    """Chapter 2's loop: the same network, gradients from autograd."""
    x, y = make_data(seed)
    w1 = torch.randn(3, 32, requires_grad=True)
    w2 = torch.randn(32, 1, requires_grad=True)
    b1 = torch.zeros(1, 32, requires_grad=True)
    b2 = torch.zeros(1, 1, requires_grad=True)
    learning_rate = 1e-4
    losses = []
    for t in range(1, 201):
        h = x.mm(w1) + b1
        h_relu = h.clamp(min=0)
        y_pred = h_relu.mm(w2) + b2
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for w in (w1, w2, b1, b2):
                w.sub_(learning_rate * w.grad)
            for w in (w1, w2, b1, b2):
                w.grad.zero_()
    return torch.tensor(losses, dtype=torch.float32)


def main():
    torch.set_num_threads(1)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                       "autograd.txt")
    with FixtureWriter(out, "tools/gen_autograd_fixtures.py") as fx:
        write_cases(fx)
        write_worked_example(fx)
        write_network_graph(fx)
        for seed in (1, 42):
            fx.tensor(f"stage2_seed{seed}_loss", stage2(seed))


if __name__ == "__main__":
    main()

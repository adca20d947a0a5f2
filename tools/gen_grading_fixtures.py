#!/usr/bin/python3
"""Golden values for the graded exercises (docs/exercises.md), from PyTorch 1.13.

Run from the repository root with Debian's python3-torch:
    /usr/bin/python3 tools/gen_grading_fixtures.py
Writes two files:
    tests/fixtures/grading.txt   read by the visible graded tests (tests/graded/)
    tests/hidden/hidden.txt      read by the hidden tests (tests/hidden/), instructors only
Instructors only: ./course student leaves this script out of the student copy, since it shows
the hidden tests' cases.

Where ctorch defines its numbers more tightly than torch does, the expected values follow
ctorch's definition and are computed here in numpy, operation by operation in float32:
  - mm_reference: c[i][j] = ((0 + a[i][0]*b[0][j]) + a[i][1]*b[1][j]) + ..., each product and
    each sum rounded to float (names *_def);
  - sums and means: accumulated in double in row-major order, rounded to float once.
Everything else is what torch computes (gradients, module outputs, losses, optimizer steps).
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from fixtures import FixtureWriter  # noqa: E402
from gen_train_fixtures import stage1 as stage1_losses  # noqa: E402
from torch_mirror import D_HIDDEN, D_IN, D_OUT, EPOCHS, N, make_data  # noqa: E402

# 3.5: nn_linear(d_in, 4) after manual_seed(35) for these fan_in values: with each, a bound
# computed in float instead of double draws at least one other weight or bias.
KAIMING_FAN_INS = [4, 6, 7, 13, 100]

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


# ---- ctorch's definitions, in numpy --------------------------------------------------------

def mm_def(a, b):
    """a (n, k) @ b (k, m) summed in ascending p, in float32 (mm_reference's definition)."""
    a, b = a.numpy().astype(np.float32), b.numpy().astype(np.float32)
    n, k = a.shape
    m = b.shape[1]
    out = np.zeros((n, m), dtype=np.float32)
    for i in range(n):
        for j in range(m):
            acc = np.float32(0.0)
            for p in range(k):
                acc = np.float32(acc + np.float32(a[i, p] * b[p, j]))
            out[i, j] = acc
    return torch.from_numpy(out)


def sum_def(x, dim=None, keepdim=False, mean=False):
    """Sum (or mean) along dim (all dims: None), accumulated in double in row-major order."""
    a = x.numpy().astype(np.float64)
    if dim is None:
        acc = 0.0
        for v in a.reshape(-1):
            acc += float(v)
        r = np.float32(acc / a.size) if mean else np.float32(acc)
        return torch.tensor(r, dtype=torch.float32)
    moved = np.moveaxis(a, dim, -1)
    out = np.zeros(moved.shape[:-1], dtype=np.float32)
    for idx in np.ndindex(*moved.shape[:-1]):
        acc = 0.0
        for v in moved[idx]:
            acc += float(v)
        n = moved.shape[-1]
        out[idx] = np.float32(acc / n) if mean else np.float32(acc)
    t = torch.from_numpy(out)
    return t.unsqueeze(dim) if keepdim else t


# ---- helpers --------------------------------------------------------------------------------

def grads_of(fn, *inputs, gradient=None):
    """The gradients of fn(*inputs) (backward with `gradient`, or of a scalar), per input."""
    leaves = [t.clone().requires_grad_(True) for t in inputs]
    out = fn(*leaves)
    out.backward(gradient)
    return out.detach(), [l.grad for l in leaves]


def trajectory(make_optimizer, p0, target, steps):
    """The parameter after each step of minimizing sum((p - target)^2): (steps, *p0.shape)."""
    p = p0.clone().requires_grad_(True)
    opt = make_optimizer([p])
    after = []
    for _ in range(steps):
        opt.zero_grad()
        ((p - target) ** 2).sum().backward()
        opt.step()
        after.append(p.detach().clone())
    return torch.stack(after)


def linear_with(weight, bias):
    lin = torch.nn.Linear(weight.shape[1], weight.shape[0])
    with torch.no_grad():
        lin.weight.copy_(weight)
        lin.bias.copy_(bias)
    return lin


def view_geometry(fx, name, v):
    """A view's values (made contiguous), its strides and its storage offset, as torch has them."""
    fx.tensor(f"{name}", v.contiguous())
    fx.tensor(f"{name}_stride", torch.tensor(v.stride(), dtype=torch.int64))
    fx.tensor(f"{name}_offset", torch.tensor([v.storage_offset()], dtype=torch.int64))


def stage2(seed, n=N, d_in=D_IN, hidden=D_HIDDEN, epochs=EPOCHS, learning_rate=1e-4):
    """Chapter 2's loop: autograd computes the gradients, the update runs under no_grad. The
    loss of every epoch."""
    x, y = make_data(seed, n, d_in)
    w1 = torch.randn(d_in, hidden, requires_grad=True)
    w2 = torch.randn(hidden, D_OUT, requires_grad=True)
    b1 = torch.zeros(1, hidden, requires_grad=True)
    b2 = torch.zeros(1, D_OUT, requires_grad=True)
    losses = []
    for t in range(1, epochs + 1):
        y_pred = (x.mm(w1) + b1).clamp(min=0).mm(w2) + b2
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for p in (w1, w2, b1, b2):
                p -= learning_rate * p.grad
            for p in (w1, w2, b1, b2):
                p.grad.zero_()
    return torch.tensor(losses, dtype=torch.float32)


class TwoLayerNet(torch.nn.Module):
    """Exercise 3.6's module: chapter 2's network, its parameters drawn in chapter 2's order."""

    def __init__(self, d_in, d_hidden, d_out):
        super().__init__()
        self.w1 = torch.nn.Parameter(torch.randn(d_in, d_hidden))
        self.w2 = torch.nn.Parameter(torch.randn(d_hidden, d_out))
        self.b1 = torch.nn.Parameter(torch.zeros(1, d_hidden))
        self.b2 = torch.nn.Parameter(torch.zeros(1, d_out))

    def forward(self, x):
        return x.mm(self.w1).add(self.b1).clamp(min=0).mm(self.w2).add(self.b2)


class WithBias(torch.nn.Module):
    """The graded tests' with_bias module: one parameter p, then named children."""

    def __init__(self, size, children=()):
        super().__init__()
        self.p = torch.nn.Parameter(torch.zeros(size))
        for name, child in children:
            self.add_module(name, child)


def parameter_names(fx, key, module):
    """names(model$parameters) as one line, and each parameter's numel, in torch's order."""
    named = list(module.named_parameters())
    fx.text(f"{key}_names", " ".join(n for n, _ in named))
    fx.tensor(f"{key}_numels", torch.tensor([p.numel() for _, p in named]))


def two_layer_net_case(fx, key, seed, d_in, d_hidden, d_out, n):
    """A TwoLayerNet drawn after manual_seed(seed), x (n, d_in) drawn after it, the output and
    the gradients of sum(out^2)."""
    torch.manual_seed(seed)
    net = TwoLayerNet(d_in, d_hidden, d_out)
    x = torch.randn(n, d_in)
    out = net(x)
    (out ** 2).sum().backward()
    fx.tensor(f"{key}_x", x)
    fx.tensor(f"{key}_out", out)
    for name, p in net.named_parameters():
        fx.tensor(f"{key}_{name}", p)
        fx.tensor(f"{key}_grad_{name}", p.grad)


# ---- the visible cases ----------------------------------------------------------------------

def visible(fx):
    torch.manual_seed(2024)
    # 1.3 broadcasting: (2, 1, 3) + (4, 1) -> (2, 4, 3)
    a, b = torch.randn(2, 1, 3), torch.randn(4, 1)
    fx.tensor("ex1_3_a", a)
    fx.tensor("ex1_3_b", b)
    fx.tensor("ex1_3_sum", a + b)

    # 1.4 the matrix product, by definition; and a narrow product through torch_mm
    a, b = torch.randn(5, 4), torch.randn(4, 3)
    fx.tensor("ex1_4_a", a)
    fx.tensor("ex1_4_b", b)
    fx.tensor("ex1_4_ab", mm_def(a, b))
    fx.tensor("ex1_4_torch_ab", a.mm(b))
    x, w = torch.randn(6, 32), torch.randn(32, 1)
    fx.tensor("ex1_4_x", x)
    fx.tensor("ex1_4_w", w)
    fx.tensor("ex1_4_xw", mm_def(x, w))

    # 1.5 sums and means
    x = torch.randn(4, 5, 3)
    fx.tensor("ex1_5_x", x)
    fx.tensor("ex1_5_sum", sum_def(x))
    fx.tensor("ex1_5_sum_dim0", sum_def(x, 0))
    fx.tensor("ex1_5_sum_dim1_keepdim", sum_def(x, 1, keepdim=True))
    fx.tensor("ex1_5_sum_dim2", sum_def(x, 2))
    fx.tensor("ex1_5_mean", sum_def(x, mean=True))
    fx.tensor("ex1_5_mean_dim1", sum_def(x, 1, mean=True))
    fx.tensor("ex1_5_torch_sum_dim0", x.sum(0))

    # 1.6: tests/fixtures/train.txt (tools/gen_train_fixtures.py) has seed 1's trajectory

    # 2.5 a graph with shared nodes: a = exp(x); c = a * 3 + a; loss = sum(c^2) + sum(a)
    x = torch.randn(4)
    fx.tensor("ex2_5_x", x)
    a_fn = lambda x: (lambda a: (a * 3 + a).pow(2).sum() + a.sum())(torch.exp(x))
    _, (g,) = grads_of(a_fn, x)
    fx.tensor("ex2_5_grad", g)

    # 2.5: gradients accumulate (no values needed beyond x)
    fx.tensor("ex2_5_acc_x", torch.randn(3))

    # 2.1 mul: out = a * b, backward with gradient r
    a, b, r = torch.randn(3, 4), torch.randn(3, 4), torch.randn(3, 4)
    _, (ga, gb) = grads_of(torch.mul, a, b, gradient=r)
    for name, t in [("a", a), ("b", b), ("r", r), ("grad_a", ga), ("grad_b", gb)]:
        fx.tensor(f"ex2_1_{name}", t)

    # 2.3 mm: out = a.mm(b), backward with gradient r
    a, b, r = torch.randn(5, 3), torch.randn(3, 4), torch.randn(5, 4)
    _, (ga, gb) = grads_of(torch.mm, a, b, gradient=r)
    for name, t in [("a", a), ("b", b), ("r", r), ("grad_a", ga), ("grad_b", gb)]:
        fx.tensor(f"ex2_3_{name}", t)

    # 2.2 clamp(min = 0) with exact zeros and a NaN: ClampBackward1 lets g through where
    # x >= 0, and only there (not at the NaN)
    x = torch.tensor([-1.5, 0.0, 0.7, -0.0, 2.0, -0.2, float("nan"), 1e-8, -1e-8, 3.0])
    r = torch.randn(10)
    _, (g,) = grads_of(lambda x: x.clamp(min=0), x, gradient=r)
    fx.tensor("ex2_2_x", x)
    fx.tensor("ex2_2_r", r)
    fx.tensor("ex2_2_grad", g)

    # 2.4 a broadcast add: a (3, 4) + b (1, 4), and a (3, 4) + c (4)
    a, b, c, r = torch.randn(3, 4), torch.randn(1, 4), torch.randn(4), torch.randn(3, 4)
    _, (_, gb) = grads_of(torch.add, a, b, gradient=r)
    _, (_, gc) = grads_of(torch.add, a, c, gradient=r)
    for name, t in [("a", a), ("b", b), ("c", c), ("r", r), ("grad_b", gb), ("grad_c", gc)]:
        fx.tensor(f"ex2_4_{name}", t)

    # 1.1 transpose as new strides: a (2, 3, 4) tensor, dims (0, 2) and (-1, 1); a matrix's t()
    torch.manual_seed(11)
    x = torch.randn(2, 3, 4)
    fx.tensor("ex1_1_x", x)
    view_geometry(fx, "ex1_1_x_t02", x.transpose(0, 2))
    view_geometry(fx, "ex1_1_x_tm11", x.transpose(-1, 1))
    view_geometry(fx, "ex1_1_x_t02_t01", x.transpose(0, 2).transpose(0, 1))
    m = torch.randn(3, 5)
    fx.tensor("ex1_1_m", m)
    view_geometry(fx, "ex1_1_m_t", m.t())

    # 1.2 select and narrow as new strides, on x (4, 5, 3) and on a view of it
    x = torch.randn(4, 5, 3)
    fx.tensor("ex1_2_x", x)
    view_geometry(fx, "ex1_2_select_1_2", x.select(1, 2))
    view_geometry(fx, "ex1_2_select_0_m1", x.select(0, -1))
    view_geometry(fx, "ex1_2_select_2_0", x.select(2, 0))
    view_geometry(fx, "ex1_2_narrow_1_1_3", x.narrow(1, 1, 3))
    view_geometry(fx, "ex1_2_narrow_2_2_1", x.narrow(2, 2, 1))
    view_geometry(fx, "ex1_2_narrow_select", x.narrow(0, 1, 2).select(2, 1))
    view_geometry(fx, "ex1_2_t_narrow", x.transpose(0, 1).narrow(1, 2, 2))

    # 2.2 clamp with both bounds: on each bound, just past it, far past it, a NaN (gradient 0)
    x = torch.tensor([float("nan"), -1.0, -1.0000001, -0.99, 0.0, 1.0, 1.01, 3.0, -3.0])
    r = torch.randn(9)
    _, (g,) = grads_of(lambda x: x.clamp(min=-1, max=1), x, gradient=r)
    fx.tensor("ex2_2_x2", x)
    fx.tensor("ex2_2_r2", r)
    fx.tensor("ex2_2_grad_both", g)

    # 2.6 backward with a given gradient: out = a.mm(b) * c (3, 2) with gradient v; a leaf
    # root; a one-element root with a gradient of 2.5
    a, b, c, v = torch.randn(3, 4), torch.randn(4, 2), torch.randn(3, 2), torch.randn(3, 2)
    _, (ga, gb) = grads_of(lambda a, b: a.mm(b) * c, a, b, gradient=v)
    for name, t in [("a", a), ("b", b), ("c", c), ("v", v), ("grad_a", ga), ("grad_b", gb)]:
        fx.tensor(f"ex2_6_{name}", t)
    _, (gs,) = grads_of(lambda a: (a * a).sum(), a, gradient=torch.tensor(2.5))
    fx.tensor("ex2_6_grad_sum", gs)

    # 2.7 sigmoid as a custom function: values, and the gradient with r
    x = torch.randn(3, 4) * 3
    r = torch.randn(3, 4)
    y, (g,) = grads_of(torch.sigmoid, x, gradient=r)
    for name, t in [("x", x), ("r", r), ("y", y), ("grad", g)]:
        fx.tensor(f"ex2_7_{name}", t)

    # 2.8 chapter 2's loop, seed 1, in PyTorch (autograd)
    fx.tensor("ex2_8_seed1_loss", stage2(seed=1))

    # 3.5 nn_linear(3, 32) after torch_manual_seed(1)
    torch.manual_seed(1)
    lin = torch.nn.Linear(3, 32)
    fx.tensor("ex3_5_weight", lin.weight)
    fx.tensor("ex3_5_bias", lin.bias)

    # 3.1 a linear layer with given weights applied to x (5, 4)
    torch.manual_seed(32)
    w, bias, x = torch.randn(3, 4), torch.randn(3), torch.randn(5, 4)
    for name, t in [("weight", w), ("bias", bias), ("x", x), ("out", linear_with(w, bias)(x))]:
        fx.tensor(f"ex3_1_{name}", t)

    # 3.2 nn_sequential(linear(3, 4), relu, linear(4, 2)) with given weights, on x (6, 3)
    w1, b1, w2, b2 = torch.randn(4, 3), torch.randn(4), torch.randn(2, 4), torch.randn(2)
    x = torch.randn(6, 3)
    model = torch.nn.Sequential(linear_with(w1, b1), torch.nn.ReLU(), linear_with(w2, b2))
    for name, t in [("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2), ("x", x), ("out", model(x))]:
        fx.tensor(f"ex3_2_{name}", t)

    # 3.4 names(model$parameters) of a tree: own parameter first, then each child's
    parameter_names(fx, "ex3_4_tree", WithBias(3, [
        ("body", torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(),
                                     torch.nn.Linear(4, 2))),
        ("head", WithBias(2))]))

    # 3.5 the Kaiming bound in double: fan_in values whose bound computed in float draws other
    # weights (tests/graded/test_graded_stage3.c)
    for d_in in KAIMING_FAN_INS:
        torch.manual_seed(35)
        lin = torch.nn.Linear(d_in, 4)
        fx.tensor(f"ex3_5_w{d_in}", lin.weight)
        fx.tensor(f"ex3_5_b{d_in}", lin.bias)

    # 3.6 chapter 2's network as a module
    two_layer_net_case(fx, "ex3_6", 36, 3, 5, 2, 4)

    # 4.1 the MSE forward, reduction "none": a matrix, a 3-d input, a 0-dim one
    torch.manual_seed(410)
    F = torch.nn.functional
    for name, shape in [("m", (4, 3)), ("c", (2, 3, 4)), ("s", ())]:
        inp, tgt = torch.randn(shape), torch.randn(shape)
        fx.tensor(f"ex4_1_{name}_input", inp)
        fx.tensor(f"ex4_1_{name}_target", tgt)
        fx.tensor(f"ex4_1_{name}_out", F.mse_loss(inp, tgt, reduction="none"))

    # 4.2 mse_loss with each reduction
    torch.manual_seed(41)
    inp, tgt = torch.randn(4, 3), torch.randn(4, 3)
    fx.tensor("ex4_2_input", inp)
    fx.tensor("ex4_2_target", tgt)
    for red in ["none", "mean", "sum"]:
        fx.tensor(f"ex4_2_mse_{red}", torch.nn.functional.mse_loss(inp, tgt, reduction=red))

    # 4.3 mse_loss's gradient, "mean" and "sum"
    for red in ["mean", "sum"]:
        _, (g, _) = grads_of(lambda i, t: torch.nn.functional.mse_loss(i, t, reduction=red),
                             inp, tgt)
        fx.tensor(f"ex4_3_grad_{red}", g)
    # ... and with an incoming gradient other than 1: r (4, 3) for "none", -2.5 otherwise
    r = torch.randn(4, 3)
    fx.tensor("ex4_3_r", r)
    _, (g, gt) = grads_of(lambda i, t: torch.nn.functional.mse_loss(i, t, reduction="none"),
                          inp, tgt, gradient=r)
    fx.tensor("ex4_3_grad_none_r", g)
    fx.tensor("ex4_3_grad_target_none_r", gt)
    for red in ["mean", "sum"]:
        _, (g, _) = grads_of(lambda i, t: torch.nn.functional.mse_loss(i, t, reduction=red),
                             inp, tgt, gradient=torch.tensor(-2.5))
        fx.tensor(f"ex4_3_grad_{red}_g", g)

    # 4.6 log_softmax over dim 1, and logits large enough to overflow exp
    x = torch.randn(4, 5)
    big = torch.tensor([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]])
    fx.tensor("ex4_6_x", x)
    fx.tensor("ex4_6_out", torch.log_softmax(x, 1))
    fx.tensor("ex4_6_big", big)
    fx.tensor("ex4_6_big_out", torch.log_softmax(big, 1))
    y = torch.randn(2, 3, 4)
    fx.tensor("ex4_6_y", y)
    for dim in range(3):
        fx.tensor(f"ex4_6_y_dim{dim}", torch.log_softmax(y, dim))

    # 4.7 nll_loss of log-probabilities (5, 4) with each reduction
    logp = torch.log_softmax(torch.randn(5, 4), 1)
    target = torch.tensor([3, 0, 1, 1, 2])
    fx.tensor("ex4_7_logp", logp)
    fx.tensor("ex4_7_target", target)
    for red in ["none", "mean", "sum"]:
        fx.tensor(f"ex4_7_nll_{red}", torch.nn.functional.nll_loss(logp, target, reduction=red))
        fx.tensor(f"ex4_7_ignore3_{red}",
                  torch.nn.functional.nll_loss(logp, target, ignore_index=3, reduction=red))

    # 4.4 and 4.5: 5 steps on sum((p - t)^2)
    p0, tgt = torch.randn(3, 4), torch.randn(3, 4)
    fx.tensor("ex4_opt_p0", p0)
    fx.tensor("ex4_opt_target", tgt)
    fx.tensor("ex4_4_sgd", trajectory(lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9),
                                      p0, tgt, 5))
    fx.tensor("ex4_4_sgd_dampening", trajectory(
        lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9, dampening=0.3, weight_decay=0.2),
        p0, tgt, 6))
    fx.tensor("ex4_5_adam", trajectory(lambda ps: torch.optim.Adam(ps, lr=0.05), p0, tgt, 5))
    fx.tensor("ex4_5_adam_weight_decay", trajectory(
        lambda ps: torch.optim.Adam(ps, lr=0.05, betas=(0.8, 0.99), weight_decay=0.3),
        p0, tgt, 6))


# ---- the hidden cases -----------------------------------------------------------------------

def hidden(fx):
    torch.manual_seed(777)
    # 1.4 strided operands: a = t(at), at (4, 6); b (4, 2); and k = 0
    at, b = torch.randn(4, 6), torch.randn(4, 2)
    fx.tensor("ex1_4_at", at)
    fx.tensor("ex1_4_b", b)
    fx.tensor("ex1_4_atb", mm_def(at.t(), b))
    x = torch.randn(7, 3)
    fx.tensor("ex1_4_x", x)
    fx.tensor("ex1_4_xxt", mm_def(x, x.t()))

    # 1.5 a middle dim of (2, 3, 4), a transposed input, cancellation that needs a double sum
    x = torch.randn(2, 3, 4)
    fx.tensor("ex1_5_x", x)
    fx.tensor("ex1_5_sum_dim1", sum_def(x, 1))
    fx.tensor("ex1_5_mean_dim_neg1", sum_def(x, 2, mean=True))
    y = torch.randn(5, 3)
    fx.tensor("ex1_5_y", y)
    fx.tensor("ex1_5_yt_sum_dim1", sum_def(y.t().contiguous(), 1))

    # 1.6 chapter 1's loop with other sizes and seed
    fx.tensor("ex1_6_seed7_loss", stage1_losses(seed=7, n=20, d_in=4, hidden=5, epochs=50))

    # 2.1 a * a (the same tensor twice), backward with gradient r
    a, r = torch.randn(2, 5), torch.randn(2, 5)
    _, (ga,) = grads_of(lambda a: a * a, a, gradient=r)
    for name, t in [("a", a), ("r", r), ("grad_a", ga)]:
        fx.tensor(f"ex2_1_{name}", t)

    # 2.3 mm of a transposed view: out = t(xt).mm(b), only b requires grad; and x.mm(x^T)
    xt, b, r = torch.randn(3, 5), torch.randn(3, 2), torch.randn(5, 2)
    xt_c = xt.clone()
    bl = b.clone().requires_grad_(True)
    xt_c.t().mm(bl).backward(r)
    for name, t in [("xt", xt), ("b", b), ("r", r), ("grad_b", bl.grad)]:
        fx.tensor(f"ex2_3_{name}", t)
    x, r2 = torch.randn(4, 3), torch.randn(4, 4)
    _, (gx,) = grads_of(lambda x: x.mm(x.t()), x, gradient=r2)
    for name, t in [("x", x), ("r2", r2), ("grad_x", gx)]:
        fx.tensor(f"ex2_3_{name}", t)

    # 2.2 clamp with both bounds, values on and past each bound, and a NaN (gradient 0)
    x = torch.tensor([float("nan"), -0.5, -0.49, 0.0, 0.5, 0.51, 2.0, -0.5000001])
    r = torch.randn(8)
    _, (g,) = grads_of(lambda x: x.clamp(min=-0.5, max=0.5), x, gradient=r)
    fx.tensor("ex2_2_x", x)
    fx.tensor("ex2_2_r", r)
    fx.tensor("ex2_2_grad", g)
    _, (g_min,) = grads_of(lambda x: x.clamp(min=-0.5), x, gradient=r)
    fx.tensor("ex2_2_grad_min", g_min)

    # 2.4 both operands stretched, a 0-dim operand, and an added leading dim
    a, b, r = torch.randn(3, 1), torch.randn(1, 4), torch.randn(3, 4)
    _, (ga, gb) = grads_of(torch.add, a, b, gradient=r)
    for name, t in [("a", a), ("b", b), ("r", r), ("grad_a", ga), ("grad_b", gb)]:
        fx.tensor(f"ex2_4_{name}", t)
    s, m, r2 = torch.randn(()), torch.randn(2, 3), torch.randn(2, 3)
    _, (gs, _) = grads_of(torch.add, s, m, gradient=r2)
    for name, t in [("s", s), ("m", m), ("r2", r2), ("grad_s", gs)]:
        fx.tensor(f"ex2_4_{name}", t)
    u, v, r3 = torch.randn(2, 1, 4), torch.randn(3, 1), torch.randn(2, 3, 4)
    _, (gu, gv) = grads_of(torch.sub, u, v, gradient=r3)
    for name, t in [("u", u), ("v", v), ("r3", r3), ("grad_u", gu), ("grad_v", gv)]:
        fx.tensor(f"ex2_4_{name}", t)

    # 1.1 transpose of a 4-d tensor, of a non-contiguous view, and of a dim with itself
    torch.manual_seed(111)
    x = torch.randn(2, 3, 1, 4)
    fx.tensor("ex1_1_x", x)
    view_geometry(fx, "ex1_1_x_t13", x.transpose(1, 3))
    view_geometry(fx, "ex1_1_x_t22", x.transpose(2, 2))
    view_geometry(fx, "ex1_1_x_n_t03", x.narrow(3, 1, 2).transpose(0, -1))

    # 1.2 select and narrow with negative arguments, empty narrows, a 1-d select to 0-dim
    x = torch.randn(3, 4, 5)
    fx.tensor("ex1_2_x", x)
    view_geometry(fx, "ex1_2_select_m1_m2", x.select(-1, -2))
    view_geometry(fx, "ex1_2_narrow_m2_m3_2", x.narrow(-2, -3, 2))
    view_geometry(fx, "ex1_2_narrow_0_3_0", x.narrow(0, 3, 0))
    view_geometry(fx, "ex1_2_select_chain", x.select(2, 4).select(0, 1).select(0, 3))
    view_geometry(fx, "ex1_2_t_select", x.transpose(0, 2).select(1, 3))

    # 2.6 backward with a given gradient through a broadcast and a 0-dim root
    a, b, v = torch.randn(2, 1, 3), torch.randn(4, 1), torch.randn(2, 4, 3)
    _, (ga, gb) = grads_of(lambda a, b: (a * b).clamp(min=-0.5), a, b, gradient=v)
    for name, t in [("a", a), ("b", b), ("v", v), ("grad_a", ga), ("grad_b", gb)]:
        fx.tensor(f"ex2_6_{name}", t)

    # 2.7 sigmoid far in the tails, of a 0-dim input, twice in a row
    x = torch.tensor([-100.0, -20.0, -1e-3, 0.0, 1e-3, 20.0, 100.0])
    r = torch.randn(7)
    y, (g,) = grads_of(torch.sigmoid, x, gradient=r)
    for name, t in [("x", x), ("r", r), ("y", y), ("grad", g)]:
        fx.tensor(f"ex2_7_{name}", t)
    s0 = torch.tensor(0.75)
    _, (gs,) = grads_of(lambda s: torch.sigmoid(torch.sigmoid(s)), s0)
    fx.tensor("ex2_7_s", s0)
    fx.tensor("ex2_7_grad_twice", gs)

    # 2.8 chapter 2's loop with other sizes and seed
    fx.tensor("ex2_8_seed5_loss", stage2(seed=5, n=30, d_in=3, hidden=6, epochs=40))

    # 3.5 other sizes, and the random stream after them
    torch.manual_seed(5)
    l1, l2 = torch.nn.Linear(1, 1), torch.nn.Linear(7, 5)
    after = torch.randn(3)
    for name, t in [("w11", l1.weight), ("b11", l1.bias), ("w75", l2.weight), ("b75", l2.bias),
                    ("after", after)]:
        fx.tensor(f"ex3_5_{name}", t)

    # 3.1 gradients through a linear layer: backward with gradient r
    torch.manual_seed(320)
    w, bias, x, r = torch.randn(3, 4), torch.randn(3), torch.randn(5, 4), torch.randn(5, 3)
    lin = linear_with(w, bias)
    xl = x.clone().requires_grad_(True)
    lin(xl).backward(r)
    for name, t in [("weight", w), ("bias", bias), ("x", x), ("r", r), ("grad_weight",
                    lin.weight.grad), ("grad_bias", lin.bias.grad), ("grad_x", xl.grad)]:
        fx.tensor(f"ex3_1_{name}", t)

    # 3.2 nested: sequential(sequential(linear(2, 3), relu), linear(3, 1))
    w1, b1, w2, b2 = torch.randn(3, 2), torch.randn(3), torch.randn(1, 3), torch.randn(1)
    x = torch.randn(4, 2)
    model = torch.nn.Sequential(torch.nn.Sequential(linear_with(w1, b1), torch.nn.ReLU()),
                                linear_with(w2, b2))
    for name, t in [("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2), ("x", x), ("out", model(x))]:
        fx.tensor(f"ex3_2_{name}", t)

    # 3.4 a deeper tree: nested sequentials, a module with no parameter of its own
    parameter_names(fx, "ex3_4_deep", WithBias(2, [
        ("a", torch.nn.Sequential(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU()),
                                  torch.nn.Linear(3, 1))),
        ("b", torch.nn.Sequential(torch.nn.ReLU())),
        ("c", WithBias(1, [("d", WithBias(4))]))]))

    # 3.6 other sizes and seed; a single unit everywhere
    two_layer_net_case(fx, "ex3_6_other", 360, 4, 7, 3, 6)
    two_layer_net_case(fx, "ex3_6_unit", 361, 1, 1, 1, 1)

    # 4.1 the MSE forward: a row vector, 5-d, equal inputs, values whose square is large
    torch.manual_seed(411)
    for name, (inp, tgt) in [("row", (torch.randn(1, 7), torch.randn(1, 7))),
                             ("five", (torch.randn(2, 1, 3, 1, 2), torch.randn(2, 1, 3, 1, 2))),
                             ("same", (torch.full((3,), 0.75), torch.full((3,), 0.75))),
                             ("large", (torch.randn(5) * 1e15, torch.randn(5) * 1e15))]:
        fx.tensor(f"ex4_1_{name}_input", inp)
        fx.tensor(f"ex4_1_{name}_target", tgt)
        fx.tensor(f"ex4_1_{name}_out", torch.nn.functional.mse_loss(inp, tgt, reduction="none"))

    # 4.2 the other losses' reductions: l1_loss, kl_div (batchmean too), on 0-dim inputs
    torch.manual_seed(410)
    inp, tgt = torch.randn(3, 5), torch.randn(3, 5)
    logq, p = torch.log_softmax(torch.randn(3, 5), 1), torch.softmax(torch.randn(3, 5), 1)
    fx.tensor("ex4_2_input", inp)
    fx.tensor("ex4_2_target", tgt)
    fx.tensor("ex4_2_logq", logq)
    fx.tensor("ex4_2_p", p)
    F = torch.nn.functional
    for red in ["none", "mean", "sum"]:
        fx.tensor(f"ex4_2_l1_{red}", F.l1_loss(inp, tgt, reduction=red))
        fx.tensor(f"ex4_2_kl_{red}", F.kl_div(logq, p, reduction=red))
    fx.tensor("ex4_2_kl_batchmean", F.kl_div(logq, p, reduction="batchmean"))
    s0, t0 = torch.tensor(1.5), torch.tensor(-0.25)
    fx.tensor("ex4_2_mse0_mean", F.mse_loss(s0, t0))

    # 4.3 mse_loss with reduction "none" and gradient r; the target's gradient too
    inp, tgt, r = torch.randn(2, 3), torch.randn(2, 3), torch.randn(2, 3)
    _, (gi, gt) = grads_of(lambda i, t: F.mse_loss(i, t, reduction="none"), inp, tgt, gradient=r)
    _, (gi_mean, gt_mean) = grads_of(lambda i, t: F.mse_loss(i, t), inp, tgt)
    for name, t in [("input", inp), ("target", tgt), ("r", r), ("grad_input_none", gi),
                    ("grad_target_none", gt), ("grad_input_mean", gi_mean),
                    ("grad_target_mean", gt_mean)]:
        fx.tensor(f"ex4_3_{name}", t)

    # 4.6 log_softmax over dim 0, a 3-d input over dim 1, and -inf logits
    x = torch.randn(3, 4)
    y = torch.randn(2, 3, 4)
    z = torch.tensor([[float("-inf"), 0.0, 1.0], [2.0, float("-inf"), -3.0]])
    for name, t in [("x", x), ("x_dim0", torch.log_softmax(x, 0)), ("y", y),
                    ("y_dim1", torch.log_softmax(y, 1)), ("z", z),
                    ("z_out", torch.log_softmax(z, 1))]:
        fx.tensor(f"ex4_6_{name}", t)

    # 4.7 ignore_index, every row ignored, and cross_entropy's value and gradient
    logp = torch.log_softmax(torch.randn(4, 3), 1)
    target = torch.tensor([2, 1, 0, 1])
    fx.tensor("ex4_7_logp", logp)
    fx.tensor("ex4_7_target", target)
    for red in ["none", "mean", "sum"]:
        fx.tensor(f"ex4_7_ignore1_{red}",
                  F.nll_loss(logp, target, ignore_index=1, reduction=red))
    logits = torch.randn(4, 3)
    v, (g, ) = grads_of(lambda x: F.cross_entropy(x, target), logits)
    fx.tensor("ex4_7_logits", logits)
    fx.tensor("ex4_7_ce", v)
    fx.tensor("ex4_7_ce_grad", g)

    # 4.4 SGD: dampening, nesterov, weight decay with momentum; 20 steps each
    p0, tgt = torch.randn(2, 3), torch.randn(2, 3)
    fx.tensor("ex4_opt_p0", p0)
    fx.tensor("ex4_opt_target", tgt)
    SGD, Adam = torch.optim.SGD, torch.optim.Adam
    fx.tensor("ex4_4_dampening", trajectory(
        lambda ps: SGD(ps, lr=0.02, momentum=0.8, dampening=0.5), p0, tgt, 20))
    fx.tensor("ex4_4_nesterov", trajectory(
        lambda ps: SGD(ps, lr=0.02, momentum=0.7, nesterov=True), p0, tgt, 20))
    fx.tensor("ex4_4_weight_decay", trajectory(
        lambda ps: SGD(ps, lr=0.02, momentum=0.9, weight_decay=0.1), p0, tgt, 20))

    # 4.5 Adam: other betas and eps, amsgrad, weight decay; 30 steps each
    fx.tensor("ex4_5_betas", trajectory(
        lambda ps: Adam(ps, lr=0.1, betas=(0.5, 0.6), eps=1e-3), p0, tgt, 30))
    fx.tensor("ex4_5_amsgrad", trajectory(
        lambda ps: Adam(ps, lr=0.1, amsgrad=True), p0, tgt, 30))
    fx.tensor("ex4_5_weight_decay", trajectory(
        lambda ps: Adam(ps, lr=0.1, weight_decay=0.5), p0, tgt, 30))


def main():
    torch.set_num_threads(1)
    with FixtureWriter(os.path.join(ROOT, "tests", "fixtures", "grading.txt"),
                       "tools/gen_grading_fixtures.py") as fx:
        visible(fx)
    hidden_dir = os.path.join(ROOT, "tests", "hidden")
    os.makedirs(hidden_dir, exist_ok=True)
    with FixtureWriter(os.path.join(hidden_dir, "hidden.txt"),
                       "tools/gen_grading_fixtures.py") as fx:
        hidden(fx)


if __name__ == "__main__":
    main()

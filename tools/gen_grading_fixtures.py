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
    # 1.1 broadcasting: (2, 1, 3) + (4, 1) -> (2, 4, 3)
    a, b = torch.randn(2, 1, 3), torch.randn(4, 1)
    fx.tensor("ex1_1_a", a)
    fx.tensor("ex1_1_b", b)
    fx.tensor("ex1_1_sum", a + b)

    # 1.2 the matrix product, by definition; and a narrow product through torch_mm
    a, b = torch.randn(5, 4), torch.randn(4, 3)
    fx.tensor("ex1_2_a", a)
    fx.tensor("ex1_2_b", b)
    fx.tensor("ex1_2_ab", mm_def(a, b))
    fx.tensor("ex1_2_torch_ab", a.mm(b))
    x, w = torch.randn(6, 32), torch.randn(32, 1)
    fx.tensor("ex1_2_x", x)
    fx.tensor("ex1_2_w", w)
    fx.tensor("ex1_2_xw", mm_def(x, w))

    # 1.3 sums and means
    x = torch.randn(4, 5, 3)
    fx.tensor("ex1_3_x", x)
    fx.tensor("ex1_3_sum", sum_def(x))
    fx.tensor("ex1_3_sum_dim0", sum_def(x, 0))
    fx.tensor("ex1_3_sum_dim1_keepdim", sum_def(x, 1, keepdim=True))
    fx.tensor("ex1_3_sum_dim2", sum_def(x, 2))
    fx.tensor("ex1_3_mean", sum_def(x, mean=True))
    fx.tensor("ex1_3_mean_dim1", sum_def(x, 1, mean=True))
    fx.tensor("ex1_3_torch_sum_dim0", x.sum(0))

    # 1.4: tests/fixtures/train.txt (tools/gen_train_fixtures.py) has seed 1's trajectory

    # 2.1 a graph with shared nodes: a = exp(x); c = a * 3 + a; loss = sum(c^2) + sum(a)
    x = torch.randn(4)
    fx.tensor("ex2_1_x", x)
    a_fn = lambda x: (lambda a: (a * 3 + a).pow(2).sum() + a.sum())(torch.exp(x))
    _, (g,) = grads_of(a_fn, x)
    fx.tensor("ex2_1_grad", g)

    # 2.1: gradients accumulate (no values needed beyond x)
    fx.tensor("ex2_1_acc_x", torch.randn(3))

    # 2.2 mul: out = a * b, backward with gradient r
    a, b, r = torch.randn(3, 4), torch.randn(3, 4), torch.randn(3, 4)
    _, (ga, gb) = grads_of(torch.mul, a, b, gradient=r)
    for name, t in [("a", a), ("b", b), ("r", r), ("grad_a", ga), ("grad_b", gb)]:
        fx.tensor(f"ex2_2_{name}", t)

    # 2.3 mm: out = a.mm(b), backward with gradient r
    a, b, r = torch.randn(5, 3), torch.randn(3, 4), torch.randn(5, 4)
    _, (ga, gb) = grads_of(torch.mm, a, b, gradient=r)
    for name, t in [("a", a), ("b", b), ("r", r), ("grad_a", ga), ("grad_b", gb)]:
        fx.tensor(f"ex2_3_{name}", t)

    # 2.4 clamp(min = 0) with exact zeros and a NaN: ClampBackward1 lets g through where
    # x >= 0, and only there (not at the NaN)
    x = torch.tensor([-1.5, 0.0, 0.7, -0.0, 2.0, -0.2, float("nan"), 1e-8, -1e-8, 3.0])
    r = torch.randn(10)
    _, (g,) = grads_of(lambda x: x.clamp(min=0), x, gradient=r)
    fx.tensor("ex2_4_x", x)
    fx.tensor("ex2_4_r", r)
    fx.tensor("ex2_4_grad", g)

    # 2.5 a broadcast add: a (3, 4) + b (1, 4), and a (3, 4) + c (4)
    a, b, c, r = torch.randn(3, 4), torch.randn(1, 4), torch.randn(4), torch.randn(3, 4)
    _, (_, gb) = grads_of(torch.add, a, b, gradient=r)
    _, (_, gc) = grads_of(torch.add, a, c, gradient=r)
    for name, t in [("a", a), ("b", b), ("c", c), ("r", r), ("grad_b", gb), ("grad_c", gc)]:
        fx.tensor(f"ex2_5_{name}", t)

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
    # 1.2 strided operands: a = t(at), at (4, 6); b (4, 2); and k = 0
    at, b = torch.randn(4, 6), torch.randn(4, 2)
    fx.tensor("ex1_2_at", at)
    fx.tensor("ex1_2_b", b)
    fx.tensor("ex1_2_atb", mm_def(at.t(), b))
    x = torch.randn(7, 3)
    fx.tensor("ex1_2_x", x)
    fx.tensor("ex1_2_xxt", mm_def(x, x.t()))

    # 1.3 a middle dim of (2, 3, 4), a transposed input, cancellation that needs a double sum
    x = torch.randn(2, 3, 4)
    fx.tensor("ex1_3_x", x)
    fx.tensor("ex1_3_sum_dim1", sum_def(x, 1))
    fx.tensor("ex1_3_mean_dim_neg1", sum_def(x, 2, mean=True))
    y = torch.randn(5, 3)
    fx.tensor("ex1_3_y", y)
    fx.tensor("ex1_3_yt_sum_dim1", sum_def(y.t().contiguous(), 1))

    # 1.4 chapter 1's loop with other sizes and seed
    fx.tensor("ex1_4_seed7_loss", stage1_losses(seed=7, n=20, d_in=4, hidden=5, epochs=50))

    # 2.2 a * a (the same tensor twice), backward with gradient r
    a, r = torch.randn(2, 5), torch.randn(2, 5)
    _, (ga,) = grads_of(lambda a: a * a, a, gradient=r)
    for name, t in [("a", a), ("r", r), ("grad_a", ga)]:
        fx.tensor(f"ex2_2_{name}", t)

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

    # 2.4 clamp with both bounds, values on and past each bound, and a NaN (gradient 0)
    x = torch.tensor([float("nan"), -0.5, -0.49, 0.0, 0.5, 0.51, 2.0, -0.5000001])
    r = torch.randn(8)
    _, (g,) = grads_of(lambda x: x.clamp(min=-0.5, max=0.5), x, gradient=r)
    fx.tensor("ex2_4_x", x)
    fx.tensor("ex2_4_r", r)
    fx.tensor("ex2_4_grad", g)
    _, (g_min,) = grads_of(lambda x: x.clamp(min=-0.5), x, gradient=r)
    fx.tensor("ex2_4_grad_min", g_min)

    # 2.5 both operands stretched, a 0-dim operand, and an added leading dim
    a, b, r = torch.randn(3, 1), torch.randn(1, 4), torch.randn(3, 4)
    _, (ga, gb) = grads_of(torch.add, a, b, gradient=r)
    for name, t in [("a", a), ("b", b), ("r", r), ("grad_a", ga), ("grad_b", gb)]:
        fx.tensor(f"ex2_5_{name}", t)
    s, m, r2 = torch.randn(()), torch.randn(2, 3), torch.randn(2, 3)
    _, (gs, _) = grads_of(torch.add, s, m, gradient=r2)
    for name, t in [("s", s), ("m", m), ("r2", r2), ("grad_s", gs)]:
        fx.tensor(f"ex2_5_{name}", t)
    u, v, r3 = torch.randn(2, 1, 4), torch.randn(3, 1), torch.randn(2, 3, 4)
    _, (gu, gv) = grads_of(torch.sub, u, v, gradient=r3)
    for name, t in [("u", u), ("v", v), ("r3", r3), ("grad_u", gu), ("grad_v", gv)]:
        fx.tensor(f"ex2_5_{name}", t)

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

#!/usr/bin/python3
"""PyTorch's side of ./course bench: the same loops as ctorch's, timed the same way.

Run with Debian's torch 1.13 (python3-torch):
    /usr/bin/python3 tools/bench_torch.py --threads T mm SIZE...       > mm.csv
    /usr/bin/python3 tools/bench_torch.py --threads T overhead          > overhead.csv
    /usr/bin/python3 tools/bench_torch.py --threads T stage K --n N --d-in D --hidden H
                                          --epochs E [--lr X]            > one CSV row
    /usr/bin/python3 tools/bench_torch.py --threads T breakdown --n N --d-in D --hidden H
                                                                         > breakdown.csv

The thread count is fixed before torch is imported: torch.set_num_threads for torch's own
kernels, and OPENBLAS_NUM_THREADS (or OMP_NUM_THREADS) for the BLAS behind its matrix
products, which would otherwise use every core whatever torch says.

CSV columns match bench/bench_ops.c: mm "size,threads,isa,seconds,gflops"; overhead
"op,ns_per_op"; stage "stage,n,d_in,hidden,threads,seconds_per_epoch,final_loss";
breakdown "part,seconds,multiply_adds" (the same parts as bench_ops breakdown).
Timings are wall-clock, the best of several repetitions.
"""
import argparse
import os
import sys
import time


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("what", choices=["mm", "overhead", "stage", "breakdown"])
    p.add_argument("rest", nargs="*")
    p.add_argument("--n", type=int, default=100)
    p.add_argument("--d-in", type=int, default=3)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--epochs", type=int, default=2000)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--repeat", type=int, default=3)
    return p.parse_args()


ARGS = parse()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import torch  # noqa: E402  (after the thread variables)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_mirror import chapter_model, make_data  # noqa: E402

torch.set_num_threads(ARGS.threads)


def best_of(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


# ---- mm: GFLOPS by size ------------------------------------------------------------------

def bench_mm(sizes):
    torch.manual_seed(1)
    print("size,threads,isa,seconds,gflops")
    for n in sizes:
        a, b = torch.randn(n, n), torch.randn(n, n)
        a.mm(b)  # warm up (the BLAS starts its threads)
        best, spent, reps = float("inf"), 0.0, 0
        while reps < 3 or (spent < 0.5 and reps < 1000):
            t = time.perf_counter()
            a.mm(b)
            t = time.perf_counter() - t
            best, spent, reps = min(best, t), spent + t, reps + 1
        print(f"{n},{ARGS.threads},torch,{best:.6g},{2 * n ** 3 / best / 1e9:.2f}", flush=True)


# ---- per-op overhead -----------------------------------------------------------------------

def ns_per_op(fn, calls):
    return best_of(lambda: [fn() for _ in range(calls)], 5) / calls * 1e9


def bench_overhead():
    torch.manual_seed(1)
    one, h = torch.randn(1), torch.randn(100, 32)
    x, w, w2 = torch.randn(100, 3), torch.randn(3, 32), torch.randn(32, 1)
    mask = h < 0
    print("op,ns_per_op")
    print(f"add 1 element,{ns_per_op(lambda: one + one, 100000):.1f}")
    print(f"add (100 32),{ns_per_op(lambda: h + h, 20000):.1f}")
    print(f"relu (100 32),{ns_per_op(lambda: torch.relu(h), 20000):.1f}")
    print(f"lt_scalar (100 32),{ns_per_op(lambda: h < 0, 20000):.1f}")
    print(f"masked_fill (100 32),{ns_per_op(lambda: h.masked_fill(mask, 0), 20000):.1f}")
    print(f"sum_dim 0 (100 32),{ns_per_op(lambda: h.sum(dim=0), 20000):.1f}")
    print(f"mm (100 3)(3 32),{ns_per_op(lambda: x.mm(w), 20000):.1f}")
    print(f"mm (100 32)(32 1),{ns_per_op(lambda: h.mm(w2), 20000):.1f}")


# ---- the chapters' loops -------------------------------------------------------------------

def stage1(n, d_in, hidden, lr):
    """Chapter 1: gradients by hand."""
    x, y = make_data(1, n, d_in)
    w1, w2 = torch.randn(d_in, hidden), torch.randn(hidden, 1)
    b1, b2 = torch.zeros(1, hidden), torch.zeros(1, 1)
    state = [w1, w2, b1, b2]

    def epoch():
        w1, w2, b1, b2 = state
        h = x.mm(w1) + b1
        h_relu = h.clamp(min=0)
        y_pred = h_relu.mm(w2) + b2
        loss = (y_pred - y).pow(2).sum().item()
        grad_y_pred = 2 * (y_pred - y)
        grad_w2 = h_relu.t().mm(grad_y_pred)
        grad_h_relu = grad_y_pred.mm(w2.t())
        grad_h = grad_h_relu.clone()
        grad_h[h < 0] = 0
        grad_b2 = grad_y_pred.sum()
        grad_w1 = x.t().mm(grad_h)
        grad_b1 = grad_h.sum(dim=0)
        state[:] = [w1 - lr * grad_w1, w2 - lr * grad_w2, b1 - lr * grad_b1, b2 - lr * grad_b2]
        return loss
    return epoch


def stage2(n, d_in, hidden, lr):
    """Chapter 2: autograd."""
    x, y = make_data(1, n, d_in)
    w1 = torch.randn(d_in, hidden, requires_grad=True)
    w2 = torch.randn(hidden, 1, requires_grad=True)
    b1 = torch.zeros(1, hidden, requires_grad=True)
    b2 = torch.zeros(1, 1, requires_grad=True)

    def epoch():
        y_pred = x.mm(w1).add(b1).clamp(min=0).mm(w2).add(b2)
        loss = (y_pred - y).pow(2).sum()
        value = loss.item()
        loss.backward()
        with torch.no_grad():
            for w in (w1, w2, b1, b2):
                w.sub_(lr * w.grad)
                w.grad.zero_()
        return value
    return epoch


def stage3(n, d_in, hidden, lr):
    """Chapter 3: modules, the update by hand."""
    x, y = make_data(1, n, d_in)
    model = chapter_model(d_in, hidden)

    def epoch():
        y_pred = model(x)
        loss = (y_pred - y).pow(2).sum()
        value = loss.item()
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p.sub_(lr * p.grad)
        return value
    return epoch


def stage4(n, d_in, hidden, lr):
    """Chapter 4: mse_loss and Adam."""
    x, y = make_data(1, n, d_in)
    model = chapter_model(d_in, hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    def epoch():
        loss = torch.nn.functional.mse_loss(model(x), y, reduction="sum")
        value = loss.item()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return value
    return epoch


def bench_stage(k):
    lr = ARGS.lr if ARGS.lr is not None else (0.08 if k == 4 else 1e-4)
    epoch = [stage1, stage2, stage3, stage4][k - 1](ARGS.n, ARGS.d_in, ARGS.hidden, lr)
    epoch()  # the first epoch (allocations, lazy set-up), as ctorch's timing leaves it out
    loss = [0.0]

    def run():
        for _ in range(ARGS.epochs):
            loss[0] = epoch()
    best = best_of(run, ARGS.repeat)
    print("stage,n,d_in,hidden,threads,seconds_per_epoch,final_loss")
    print(f"{k},{ARGS.n},{ARGS.d_in},{ARGS.hidden},{ARGS.threads},{best / ARGS.epochs:.9g},"
          f"{loss[0]:.9g}")


def bench_breakdown(n, d_in, hidden, repeat):
    """The parts of chapter 4's epoch, each timed alone on the epoch's shapes, as
    bench_ops breakdown times ctorch's: the ops autograd runs for them."""
    torch.manual_seed(1)
    x, w1, b1 = torch.randn(n, d_in), torch.randn(hidden, d_in), torch.randn(hidden)
    h, g = torch.relu(torch.randn(n, hidden)), torch.randn(n, hidden)
    xs, y = make_data(1, n, d_in)
    model = chapter_model(d_in, hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.08)

    def epoch():
        loss = torch.nn.functional.mse_loss(model(xs), y, reduction="sum")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    epoch()  # Adam's state exists from now on, as in an epoch
    big = n * d_in * hidden
    parts = [
        ("mm forward (x w1^T + b1)", lambda: torch.addmm(b1, x, w1.t()), big),
        ("relu", lambda: torch.relu(h), 0),
        ("relu backward", lambda: torch.ops.aten.threshold_backward(g, h, 0), 0),
        ("mm backward (g^T x)", lambda: torch.mm(g.t(), x), big),
        ("bias gradient (sum over rows)", lambda: g.sum(0), 0),
        ("adam step", optimizer.step, 0),
        ("epoch", epoch, 2 * big + 3 * n * hidden),
    ]
    print("part,seconds,multiply_adds")
    with torch.no_grad():
        for name, fn, macs in parts[:-1]:
            print(f"{name},{best_of(fn, repeat):.9g},{macs}")
    name, fn, macs = parts[-1]
    print(f"{name},{best_of(fn, repeat):.9g},{macs}")


def main():
    if ARGS.what == "breakdown":
        bench_breakdown(ARGS.n, ARGS.d_in, ARGS.hidden, ARGS.repeat)
    elif ARGS.what == "mm":
        bench_mm([int(s) for s in ARGS.rest] or [64, 128, 256, 512, 1024, 2048])
    elif ARGS.what == "overhead":
        bench_overhead()
    else:
        if len(ARGS.rest) != 1 or ARGS.rest[0] not in "1234":
            sys.exit("bench_torch.py: stage needs K in 1..4")
        bench_stage(int(ARGS.rest[0]))


if __name__ == "__main__":
    main()

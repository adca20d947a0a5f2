#!/usr/bin/python3
"""Golden values for common/reduce.c: sum, mean, max, min, argmax.

Run from anywhere with Debian's torch 1.13:
    /usr/bin/python3 tools/gen_reduce_fixtures.py
Writes tests/fixtures/reduce.txt.

The file holds the input tensors, then one case per line in the text record "cases":
    <check> <op> <out> <input> [<dim> <keepdim>]
<op> is sum, mean, max, min (every element) or sum_dim, mean_dim, max_dim, min_dim, argmax
(along <dim>, keepdim 0 or 1). <out> is the expected result; max_dim and min_dim also store
their int64 indices as "<out>.idx". <check> is "close" for sums and means (libtorch adds
float32 in a cascade order, ctorch in double in row-major order: they agree to about 1e-7
relative) and "exact" for max, min and argmax (only comparisons: bit for bit; but a NaN from
max or min over every element is only checked to be a NaN, see below). An input named
"name@T" is the transpose of a stored matrix, a strided view built in the test.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import FixtureWriter  # noqa: E402
from torch_mirror import view_of  # noqa: E402

OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                    "fixtures", "reduce.txt"))
NAN, INF = float("nan"), float("inf")


def make_inputs():
    torch.manual_seed(31337)
    t = {}
    t["r234"] = torch.randn(2, 3, 4)
    t["y100"] = torch.randn(100, 1) * 3            # the tutorial's (100, 1) columns
    t["g100_32"] = torch.randn(100, 32)            # grad_h: grad_b1 = grad_h.sum(dim 0)
    t["m43"] = torch.randn(4, 3)                   # m43@T is a (3, 4) transposed view
    t["w257_5"] = torch.randn(257, 5) + 0.5        # longer lanes
    t["ties"] = torch.randint(0, 3, (4, 5)).float()  # many ties: the first one must win
    t["ties"][0, 0] = 2.0
    t["nan35"] = torch.tensor([[1.0, NAN, 3.0, NAN, 0.5],
                               [NAN, 2.0, -1.0, 4.0, 4.0],
                               [-INF, INF, 2.0, 1.0, -INF]])
    t["infs"] = torch.tensor([INF, -INF, 1.0])
    t["zeros_signed"] = torch.tensor([[0.0, -0.0], [-0.0, 0.0]])
    t["s0"] = torch.tensor(-2.5)
    t["e03"] = torch.zeros(0, 3)
    return t


def cases():
    out = []
    add = out.append
    # Every dim of a 3-d tensor (negative dims too), with and without keepdim.
    for dim in range(-3, 3):
        for keep in (0, 1):
            for op in ["sum_dim", "mean_dim"]:
                add(("close", op, "r234", dim, keep))
            for op in ["max_dim", "min_dim", "argmax"]:
                add(("exact", op, "r234", dim, keep))
    for a in ["r234", "y100", "g100_32", "m43@T", "w257_5", "s0"]:
        add(("close", "sum", a))
        add(("close", "mean", a))
        add(("exact", "max", a))
        add(("exact", "min", a))
    # The tutorial's reductions: loss.sum(), grad_b1 = grad_h.sum(dim 0), y.sum(dim 0).
    add(("close", "sum_dim", "g100_32", 0, 0))
    add(("close", "sum_dim", "g100_32", 1, 1))
    add(("close", "mean_dim", "g100_32", 1, 0))
    add(("close", "sum_dim", "y100", 0, 0))
    add(("close", "mean_dim", "y100", 0, 1))
    add(("close", "sum_dim", "w257_5", 0, 0))
    add(("close", "mean_dim", "w257_5", -2, 1))
    # A strided input.
    for dim in (0, 1, -1):
        for keep in (0, 1):
            add(("close", "sum_dim", "m43@T", dim, keep))
            add(("close", "mean_dim", "m43@T", dim, keep))
            add(("exact", "max_dim", "m43@T", dim, keep))
            add(("exact", "min_dim", "m43@T", dim, keep))
            add(("exact", "argmax", "m43@T", dim, keep))
    # Ties (the first extreme wins), NaN (the first NaN wins), infinities.
    for a in ["ties", "nan35"]:
        for dim in (0, 1):
            add(("exact", "max_dim", a, dim, 0))
            add(("exact", "min_dim", a, dim, 1))
            add(("exact", "argmax", a, dim, 0))
    add(("exact", "max", "ties"))
    add(("exact", "min", "ties"))
    # libtorch's vectorized max over everything returns a NaN with every bit set (0xffffffff),
    # we return the input's NaN: "close" treats any two NaNs as equal.
    add(("close", "max", "nan35"))
    add(("close", "min", "nan35"))
    add(("close", "sum", "nan35"))
    add(("close", "sum_dim", "nan35", 0, 0))
    add(("close", "sum", "infs"))
    add(("exact", "max", "infs"))
    add(("exact", "min", "infs"))
    add(("exact", "max_dim", "zeros_signed", 0, 0))
    add(("exact", "min_dim", "zeros_signed", 1, 0))
    # 0-dim: dim 0 and -1 are accepted, the result stays 0-dim.
    for dim in (0, -1):
        for keep in (0, 1):
            add(("close", "sum_dim", "s0", dim, keep))
            add(("exact", "max_dim", "s0", dim, keep))
            add(("exact", "argmax", "s0", dim, keep))
    add(("close", "mean_dim", "s0", 0, 0))
    # Empty: sums are 0, means NaN; max along a non-empty dim of an empty tensor is empty.
    add(("exact", "sum", "e03"))
    add(("exact", "mean", "e03"))
    add(("exact", "sum_dim", "e03", 0, 0))
    add(("exact", "sum_dim", "e03", 1, 1))
    add(("exact", "mean_dim", "e03", 0, 1))
    add(("exact", "max_dim", "e03", 1, 0))
    add(("exact", "min_dim", "e03", 1, 1))
    add(("exact", "argmax", "e03", 1, 0))
    return out


def run(t, op, ref, dim=None, keep=None):
    a = view_of(t, ref)
    if op == "sum":
        return a.sum(), None
    if op == "mean":
        return a.mean(), None
    if op == "max":
        return a.max(), None
    if op == "min":
        return a.min(), None
    keep = bool(keep)
    if op == "sum_dim":
        return a.sum(dim, keepdim=keep), None
    if op == "mean_dim":
        return a.mean(dim, keepdim=keep), None
    if op == "max_dim":
        r = a.max(dim, keepdim=keep)
        return r.values, r.indices
    if op == "min_dim":
        r = a.min(dim, keepdim=keep)
        return r.values, r.indices
    if op == "argmax":
        return a.argmax(dim, keepdim=keep), None
    raise ValueError(op)


def main():
    t = make_inputs()
    lines = []
    with FixtureWriter(OUT, "tools/gen_reduce_fixtures.py") as w:
        for name, v in t.items():
            w.tensor(name, v)
        counts = {}
        for check, op, ref, *rest in cases():
            n = counts[op] = counts.get(op, 0) + 1
            out = f"out.{op}.{n}"
            values, indices = run(t, op, ref, *rest)
            w.tensor(out, values)
            if indices is not None:
                w.tensor(out + ".idx", indices)
            lines.append(" ".join([check, op, out, ref] + [str(v) for v in rest]))
        w.text("cases", "\n".join(lines) + "\n")
    print(f"wrote {OUT}: {len(lines)} cases")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Golden values for common/elementwise.c: arithmetic, comparisons, masks, in-place ops, casts.

Run from anywhere with Debian's torch 1.13:
    /usr/bin/python3 tools/gen_elementwise_fixtures.py
Writes tests/fixtures/elementwise.txt.

The file holds the input tensors, then one case per line in the text record "cases":
    <check> <op> <out> <arg> <arg> ...
<check> is "exact" (bit for bit: the C kernel computes the same formula as libtorch's) or
"close" (exp, log and pow with a general exponent: libtorch calls SLEEF's vectorized
expf/logf/powf, accurate to 1 ULP, and ctorch calls the C library's, so about 1 element in 10
differs in the last bit). Each <arg> is either an input tensor or a float32 scalar written as
a hex float (float.hex of the float32 value, or nan / inf / -inf). An input tensor is named as
stored, or with a suffix that makes a view of it, so every kernel path also sees strided
operands:
    name@T     the 2-d transpose (a view, strides swapped)
    name@s2    every other element of the last dim (a view, last stride doubled)
<out> is the expected result. For an in-place op it is the tensor after the op, and when the
op ran on a view, "<out>.base" holds the whole base tensor afterwards.
"""
import math
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import FixtureWriter  # noqa: E402
from torch_mirror import view_of  # noqa: E402

OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                    "fixtures", "elementwise.txt"))

NAN, INF = float("nan"), float("inf")
# Special values: zeros of both signs, NaN, infinities, a denormal, huge and tiny values.
SPECIALS = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, NAN, INF, -INF, 1e-30, -1e30, 1e-40,
            65504.0, 7.25, -0.75]


def f32(v):
    """v rounded to float32, as a Python float."""
    return struct.unpack("<f", struct.pack("<f", v))[0]


def scalar_word(v):
    v = f32(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v.hex()


def make_inputs():
    torch.manual_seed(20240)
    t = {}
    sp = torch.tensor(SPECIALS, dtype=torch.float32)
    t["sp"] = sp.reshape(4, 4)                  # every special value once
    t["sp_col"] = sp.reshape(16, 1)             # (16,1) op (1,16): every pair of specials
    t["sp_row"] = sp.flip(0).reshape(1, 16)
    t["a34"] = torch.randn(3, 4)
    t["b34"] = torch.randn(3, 4)
    t["b34"][1, 2] = 0.0                        # a division by zero among the random values
    t["x100_32"] = torch.randn(100, 32)         # the tutorial's h = x.mm(w1) + b1 shapes
    t["b1_32"] = torch.randn(1, 32)
    t["c31"] = torch.randn(3, 1)
    t["r14"] = torch.randn(1, 4)
    t["t234"] = torch.randn(2, 3, 4)
    t["v4"] = torch.randn(4)
    t["s0"] = torch.tensor(1.75)                 # a 0-dim operand
    t["m43"] = torch.randn(4, 3)                # m43@T is a (3, 4) transposed view
    t["w38"] = torch.randn(3, 8)                # w38@s2 is a (3, 4) view with stride (8, 2)
    t["pos34"] = torch.rand(3, 4) * 4 + 0.01    # positive values for log, sqrt, pow(1.5)
    t["eqa"] = torch.tensor([[1.0, 2.0, NAN, -0.0], [3.0, 3.0, INF, 5.0], [0.0, -1.0, 2.0, NAN]])
    t["eqb"] = torch.tensor([[1.0, 2.5, NAN, 0.0], [2.0, 3.0, INF, 6.0], [0.0, -2.0, 2.0, 1.0]])
    t["mask34"] = torch.rand(3, 4) < 0.5
    t["mask14"] = torch.tensor([[True, False, False, True]])
    t["mask4"] = torch.tensor([False, True, True, False])
    t["mask31"] = torch.tensor([[True], [False], [True]])
    t["mask44"] = torch.rand(4, 4) < 0.5
    t["long6"] = torch.tensor([0, 1, -5, 7, 2**53 + 1, -(2**62)], dtype=torch.int64)
    t["bool6"] = torch.tensor([True, False, False, True, True, False])
    return t


SCALAR_OPS = {"add_scalar": lambda a, s: a + s, "sub_scalar": lambda a, s: a - s,
              "mul_scalar": lambda a, s: a * s, "div_scalar": lambda a, s: a / s}
BINARY_OPS = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
              "lt": torch.lt, "le": torch.le, "gt": torch.gt, "ge": torch.ge,
              "eq": torch.eq, "ne": torch.ne}
UNARY_OPS = {"neg": torch.neg, "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt,
             "abs": torch.abs, "relu": torch.relu,
             "to_float": lambda a: a.to(torch.float32), "to_long": lambda a: a.to(torch.int64),
             "to_bool": lambda a: a.to(torch.bool)}
INPLACE_OPS = {"add_", "sub_", "mul_", "mul_scalar_", "fill_", "zero_", "masked_fill_"}


def run(t, op, args):
    """Runs one case in torch. args: tensor refs (str) and float32 scalars (float)."""
    def arg(i):
        return view_of(t, args[i]) if isinstance(args[i], str) else args[i]

    if op in INPLACE_OPS:
        # Work on a copy of the base, so the stored inputs stay as generated.
        name, _, kind = args[0].partition("@")
        work = dict(t)
        work[name] = t[name].clone()
        target = view_of(work, args[0])
        rest = [view_of(t, a) if isinstance(a, str) else a for a in args[1:]]
        if op == "add_":
            target.add_(rest[0])
        elif op == "sub_":
            target.sub_(rest[0])
        elif op == "mul_":
            target.mul_(rest[0])
        elif op == "mul_scalar_":
            target.mul_(rest[0])
        elif op == "fill_":
            target.fill_(rest[0])
        elif op == "zero_":
            target.zero_()
        elif op == "masked_fill_":
            target.masked_fill_(rest[0], rest[1])
        return target, (work[name] if kind else None)
    if op in BINARY_OPS:
        return BINARY_OPS[op](arg(0), arg(1)), None
    if op.endswith("_scalar") and op[:-7] in BINARY_OPS and op not in SCALAR_OPS:
        return BINARY_OPS[op[:-7]](arg(0), arg(1)), None        # lt_scalar ...
    if op in SCALAR_OPS:
        return SCALAR_OPS[op](arg(0), arg(1)), None
    if op in UNARY_OPS:
        return UNARY_OPS[op](arg(0)), None
    if op == "pow":
        return arg(0).pow(arg(1)), None
    if op == "clamp_min":
        return arg(0).clamp(min=arg(1)), None
    if op == "clamp":
        return arg(0).clamp(min=arg(1), max=arg(2)), None
    if op == "where":
        return torch.where(arg(0), arg(1), arg(2)), None
    if op == "masked_fill":
        return arg(0).masked_fill(arg(1), arg(2)), None
    raise ValueError(op)


def cases():
    """(check, op, args) triples."""
    out = []
    add = out.append
    # Broadcasting arithmetic: same shapes, a row vector (the tutorial's + b1), a column times a
    # row, a 1-d against a 3-d, 0-dim operands on either side, strided views on either side,
    # and every pair of special values.
    pairs = [("a34", "b34"), ("c31", "r14"),
             ("t234", "v4"), ("v4", "t234"), ("a34", "s0"), ("s0", "a34"), ("s0", "s0"),
             ("m43@T", "b34"), ("a34", "m43@T"), ("m43@T", "m43@T"), ("w38@s2", "m43@T"),
             ("w38@s2", "c31"), ("sp_col", "sp_row"), ("sp", "sp")]
    for op in ["add", "sub", "mul", "div"]:
        for a, b in pairs:
            add(("exact", op, [a, b]))
    # The tutorial's own shapes (kept few: each (100, 32) result is 29 kB of fixture).
    add(("exact", "add", ["x100_32", "b1_32"]))          # h = x.mm(w1) + b1
    add(("exact", "sub", ["b1_32", "x100_32"]))
    add(("exact", "pow", ["x100_32", 2.0]))               # (y_pred - y).pow(2)
    add(("exact", "clamp_min", ["x100_32", 0.0]))         # h.clamp(min = 0)
    add(("exact", "sub_", ["x100_32", "b1_32"]))          # w$sub_(...) with a broadcast row
    # Scalar arithmetic (float32 scalars, float32 arithmetic).
    for op in ["add_scalar", "sub_scalar", "mul_scalar", "div_scalar"]:
        for a in ["sp", "a34", "m43@T", "s0"]:
            for s in [0.1, -3.0, 1e-4]:
                add(("exact", op, [a, f32(s)]))
        add(("exact", op, ["sp", 0.0]))
        add(("exact", op, ["sp", INF]))
        add(("exact", op, ["a34", NAN]))
    # Unary functions on specials, random values and views.
    for op in ["neg", "abs", "relu", "sqrt", "exp", "log"]:
        check = "close" if op in ("exp", "log") else "exact"
        for a in ["sp", "a34", "pos34", "m43@T", "w38@s2", "s0", "t234"]:
            add((check, op, [a]))
    # pow: each exponent libtorch special-cases, and two it does not.
    for e in [0.0, 1.0, 2.0, 3.0, 0.5, -0.5, -1.0, -2.0, 1.5, -3.0]:
        check = "close" if e in (1.5, -3.0) else "exact"
        for a in ["sp", "a34", "pos34", "m43@T"]:
            add((check, "pow", [a, e]))
    add(("close", "pow", ["pos34", f32(0.3)]))
    # clamp: the tutorial's clamp(min = 0), other bounds, min > max, NaN passes through.
    for a in ["sp", "a34", "m43@T"]:
        add(("exact", "clamp_min", [a, 0.0]))
        add(("exact", "clamp_min", [a, -0.5]))
        add(("exact", "clamp", [a, -0.5, 0.5]))
    add(("exact", "clamp", ["sp", 1.0, -1.0]))
    add(("exact", "clamp", ["sp", -INF, 2.0]))
    # Comparisons, tensor-tensor (broadcast, NaN, signed zeros, views) and with a scalar.
    for op in ["lt", "le", "gt", "ge", "eq", "ne"]:
        for a, b in [("eqa", "eqb"), ("c31", "r14"), ("m43@T", "b34"), ("sp_col", "sp_row"),
                     ("a34", "s0"), ("w38@s2", "m43@T")]:
            add(("exact", op + "", [a, b]))
        for a, s in [("sp", 0.0), ("sp", -0.0), ("a34", 0.0), ("m43@T", 0.5), ("sp", NAN),
                     ("sp", INF)]:
            add(("exact", op + "_scalar", [a, s]))
    # where: broadcast condition and operands.
    for c, a, b in [("mask34", "a34", "b34"), ("mask31", "r14", "b34"), ("mask4", "s0", "a34"),
                    ("mask14", "c31", "r14"), ("mask34", "m43@T", "w38@s2"),
                    ("mask44", "sp", "s0")]:
        add(("exact", "where", [c, a, b]))
    # masked_fill (out of place: t and mask broadcast together) and masked_fill_ (in place:
    # the mask broadcasts to t).
    for a, m, v in [("a34", "mask34", 0.0), ("a34", "mask14", -1.5), ("a34", "mask4", NAN),
                    ("v4", "mask34", 2.0), ("c31", "mask14", 9.0), ("m43@T", "mask34", -0.0),
                    ("sp", "mask44", INF)]:
        add(("exact", "masked_fill", [a, m, v]))
    for a, m, v in [("a34", "mask34", 0.0), ("a34", "mask14", -1.5), ("a34", "mask4", NAN),
                    ("a34", "mask31", 2.0), ("m43@T", "mask34", 7.0), ("w38@s2", "mask4", -1.0),
                    ("x100_32", "x100_32_neg", 0.0)]:
        add(("exact", "masked_fill_", [a, m, v]))
    # In-place arithmetic: the other operand broadcasts to t; t may be a view.
    for op in ["add_", "sub_", "mul_"]:
        for a, b in [("a34", "v4"), ("a34", "s0"), ("a34", "c31"),
                     ("m43@T", "b34"), ("a34", "m43@T"), ("w38@s2", "r14"), ("a34", "a34")]:
            add(("exact", op, [a, b]))
    for a in ["a34", "m43@T", "sp"]:
        add(("exact", "mul_scalar_", [a, f32(1e-4)]))
        add(("exact", "fill_", [a, 2.5]))
        add(("exact", "zero_", [a]))
    add(("exact", "mul_scalar_", ["w38@s2", -2.0]))
    # dtype conversions.
    for a in ["sp", "a34", "m43@T"]:
        for op in ["to_float", "to_long", "to_bool"]:
            add(("exact", op, [a]))
    for a in ["long6", "bool6", "mask34", "mask31"]:
        for op in ["to_float", "to_long", "to_bool"]:
            add(("exact", op, [a]))
    return out


def main():
    t = make_inputs()
    t["x100_32_neg"] = t["x100_32"] < 0          # the tutorial's grad_h[h < 0] = 0 mask
    lines = []
    with FixtureWriter(OUT, "tools/gen_elementwise_fixtures.py") as w:
        for name, v in t.items():
            w.tensor(name, v)
        counts = {}
        for check, op, args in cases():
            n = counts[op] = counts.get(op, 0) + 1
            out = f"out.{op}.{n}"
            result, base = run(t, op, args)
            w.tensor(out, result)
            if base is not None:
                w.tensor(out + ".base", base)
            words = [a if isinstance(a, str) else scalar_word(a) for a in args]
            lines.append(" ".join([check, op, out] + words))
        w.text("cases", "\n".join(lines) + "\n")
    print(f"wrote {OUT}: {len(lines)} cases")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Golden values for tests/common/test_views.c: indexing, views, reshaping and copies.

Run with Debian's torch 1.13:  /usr/bin/python3 tools/gen_views_fixtures.py
Writes tests/fixtures/views.txt.

Layout of the file (names are read by the C test):
  base.<name>                 the tensors the cases start from (random, seeded)
  input.<name>.stride         strides of each prepared input (a base, or a view of one, see
                              INPUTS; the C test builds the same view and checks these first)
  <op>.<i>.input              text: which prepared input case i of <op> uses
  <op>.<i>.args               i64: the case's arguments (dims, indices, or a shape)
  <op>.<i>.out                the result's values (row-major, as torch shows them)
  <op>.<i>.stride / .offset   the result's strides and storage offset, as torch has them
  <op>.<i>.shares             1 if the result shares the input's storage (a view), else 0
  write.<i>.*                 writes through views: the base after copy_ into a view of it
  copy.<i>.*                  copy_ with broadcasting and dtype conversion
  convert.<dtype>[.to_<dtype>] conversions at their edges (NaN, infinities, out of range)
  err.<name>                  libtorch's error messages, word for word
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import FixtureWriter  # noqa: E402
from torch_mirror import error_of  # noqa: E402

torch.manual_seed(20240601)
BASES = {
    "x34": torch.randn(3, 4),
    "x234": torch.randn(2, 3, 4),
    "x46": torch.randn(4, 6),
    "x416": torch.randn(4, 1, 6),
    "x31": torch.randn(3, 1),
    "x1": torch.randn(1),
    "x11": torch.randn(1, 1),
    "s": torch.randn(()),
}
B = BASES

# Inputs with particular strides, built from the bases; test_views.c's prepare() builds the same.
INPUTS = dict(BASES)
INPUTS.update({
    "x46t": B["x46"].t(),                  # (6, 4), strides (1, 6): a transposed matrix
    "x46c": B["x46"][:, 1:5],              # (4, 4), strides (6, 1): a column slice
    "x416c": B["x416"][:, :, 1:4],         # (4, 1, 3), strides (6, 6, 1)
    "x46s": B["x46"][::2, ::3],            # (2, 2), strides (12, 3): stepped slices
    "x46r": B["x46"][::2],                 # (2, 6), strides (12, 1): every other row
    "x31e": B["x31"].expand(3, 4),         # (3, 4), strides (1, 0): a broadcast view
    "x1e": B["x1"].expand(6),              # (6), stride 0
})


def aslice(t, dim, start, end, step):
    return torch.ops.aten.slice(t, dim, start, end, step)


# op name -> (list of (input, args), function(input, *args))
CASES = {
    "select": ([
        ("x34", [0, 1]), ("x34", [0, -1]), ("x34", [1, 2]), ("x34", [1, -4]), ("x34", [-1, 3]),
        ("x234", [1, 2]), ("x234", [2, -1]), ("x46t", [0, 5]), ("x46t", [1, 2]),
        ("x46s", [1, 1]), ("x1e", [0, 4]), ("x31e", [1, 3]),
    ], lambda t, d, i: t.select(d, i)),
    "narrow": ([
        ("x34", [1, 0, 1]),   # R: x[, 1, drop = FALSE], a column kept as a (3, 1) matrix
        ("x34", [0, 0, 1]),   # R: x[1, , drop = FALSE], a row kept as a (1, 4) matrix
        ("x34", [1, 1, 2]), ("x34", [0, -2, 2]), ("x46t", [0, 2, 3]), ("x234", [2, 3, 1]),
        ("x34", [1, 4, 0]), ("x46c", [1, 1, 2]), ("x34", [-1, -1, 1]),
    ], lambda t, d, s, n: t.narrow(d, s, n)),
    "slice": ([
        ("x34", [1, 1, 3, 1]),      # R: x[, 2:3]
        ("x34", [1, 0, 1, 1]),      # R: x[, 1, drop = FALSE]
        ("x34", [0, -2, 100, 1]), ("x34", [1, -100, -1, 1]), ("x34", [1, 0, 4, 2]),
        ("x34", [1, 1, 4, 2]), ("x46", [1, 0, 6, 4]), ("x46", [0, 5, 1, 1]),
        ("x46t", [0, 1, 6, 2]), ("x234", [0, 1, 2, 1]), ("x46s", [0, 0, 2, 1]),
        ("x34", [1, 2, 2, 1]), ("x46", [1, 1, 6, 3]),
        ("x46", [0, 0, 2**63 - 1, 3]),  # R: x[seq(1, 4, by = 3), ] with an open end
    ], lambda t, d, s, e, st: aslice(t, d, s, e, st)),
    "view": ([
        ("x34", [12]), ("x34", [2, 6]), ("x34", [-1, 2]), ("x34", [2, -1, 3]), ("x34", [1, 3, 1, 4]),
        ("x234", [6, 4]), ("x234", [2, 12]), ("x46t", [3, 2, 4]), ("x46t", [6, 2, 2]),
        ("x46c", [4, 2, 2]), ("x46c", [2, 2, 4]), ("x416c", [4, 1, 3, 1]), ("x416c", [1, 4, 3]),
        ("x416c", [4, 3]), ("x46s", [2, 1, 2]), ("x46r", [2, 2, 3]), ("x1e", [2, 3]),
        ("x1e", [6, 1]), ("x31e", [3, 2, 2]), ("s", [1, 1]), ("s", [-1]), ("x11", []),
        ("x46t", [6, 4, 1]),
    ], lambda t, *shape: t.view(shape)),
    "reshape": ([
        ("x34", [4, 3]), ("x46t", [3, 2, 4]), ("x46t", [24]), ("x46c", [2, 8]),
        ("x46s", [4]), ("x31e", [12]), ("x46r", [12]), ("x46t", [-1, 8]), ("x11", []),
    ], lambda t, *shape: t.reshape(shape)),
    "squeeze": ([
        ("x416c", []), ("x11", []), ("x31", []), ("x34", []), ("s", []),
    ], lambda t: t.squeeze()),
    "squeeze_dim": ([
        ("x416c", [1]), ("x416c", [0]), ("x31", [-1]), ("s", [0]), ("x11", [0]), ("x416", [-2]),
    ], lambda t, d: t.squeeze(d)),
    "unsqueeze": ([
        ("x34", [0]), ("x34", [1]), ("x34", [2]), ("x34", [-1]), ("x34", [-3]), ("x46c", [1]),
        ("x46c", [2]), ("s", [0]), ("s", [-1]), ("x46t", [1]), ("x1e", [0]),
    ], lambda t, d: t.unsqueeze(d)),
    "transpose": ([
        ("x34", [0, 1]), ("x234", [0, 2]), ("x234", [-1, 1]), ("x46c", [0, 1]), ("x34", [1, 1]),
        ("s", [0, -1]),
    ], lambda t, a, b: t.transpose(a, b)),
    "t": ([
        ("x34", []), ("x46c", []), ("x46t", []), ("x1e", []), ("s", []), ("x1", []),
    ], lambda t: t.t()),
    "expand": ([
        ("x31", [3, 4]), ("x31", [2, 3, 4]), ("x31", [-1, 5]), ("x31", [2, -1, 4]),
        ("x31", [1, -1, 4]), ("x1", [6]), ("x34", [2, 3, 4]), ("x34", [-1, -1]), ("s", [2, 3]),
        ("s", [1]), ("x31", [3, 0]), ("x1e", [2, 6]), ("x46t", [2, 6, 4]),
    ], lambda t, *shape: t.expand(shape)),
    "contiguous": ([
        ("x46t", []), ("x46c", []), ("x46s", []), ("x31e", []), ("x34", []), ("x416c", []),
    ], lambda t: t.contiguous()),
    # ctorch's clone is always contiguous (tensor.h); torch's default keeps a dense input's
    # stride order, so compare with torch's contiguous-format clone.
    "clone": ([
        ("x46t", []), ("x34", []), ("x31e", []), ("s", []), ("x46c", []),
    ], lambda t: t.clone(memory_format=torch.contiguous_format)),
}


def shares(out, inp):
    """True if out is a view of inp's storage (same underlying buffer)."""
    return out.storage().data_ptr() == inp.storage().data_ptr()


def i64(values):
    return torch.tensor(values, dtype=torch.int64).reshape(len(values))


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "tests", "fixtures", "views.txt")
    with FixtureWriter(path, "tools/gen_views_fixtures.py") as w:
        for name, t in BASES.items():
            w.tensor(f"base.{name}", t)
        for name, t in INPUTS.items():
            w.tensor(f"input.{name}.stride", i64(list(t.stride())))

        for op, (cases, fn) in CASES.items():
            for i, (inp, args) in enumerate(cases):
                t = INPUTS[inp]
                out = fn(t, *args)
                w.text(f"{op}.{i}.input", inp)
                w.tensor(f"{op}.{i}.args", i64(args))
                w.tensor(f"{op}.{i}.out", out)
                w.tensor(f"{op}.{i}.stride", i64(list(out.stride())))
                w.scalar(f"{op}.{i}.offset", out.storage_offset())
                w.scalar(f"{op}.{i}.shares", 1 if shares(out, t) else 0)
                w.scalar(f"{op}.{i}.same", 1 if out is t else 0)

        # Writes through views: copy src into a view of a fresh copy of a base; the base changes.
        torch.manual_seed(7)
        writes = [
            # (base, view function, src shape), mirrored by test_views.c's write cases
            ("x34", lambda b: b.narrow(1, 1, 2), (3, 2)),          # R: x[, 2:3] <- src
            ("x34", lambda b: b.select(0, -1), (4,)),              # R: x[3, ] <- src
            ("x34", lambda b: b.select(1, 0), (1,)),               # R: x[, 1] <- a scalar, broadcast
            ("x46", lambda b: b.t(), (6, 4)),                      # through a transpose
            ("x46", lambda b: aslice(b, 1, 0, 6, 2), (4, 1)),      # every other column, broadcast
            ("x46", lambda b: b.view(2, 12), (12,)),               # through a view, broadcast rows
            ("x234", lambda b: b.select(2, 1).narrow(0, 1, 1), (1, 3)),
        ]
        for i, (base, view, src_shape) in enumerate(writes):
            b = BASES[base].clone()
            src = torch.randn(src_shape)
            view(b).copy_(src)
            w.text(f"write.{i}.base", base)
            w.tensor(f"write.{i}.src", src)
            w.tensor(f"write.{i}.expected", b)

        # copy_ with broadcasting and dtype conversion (dst starts as zeros of dst's dtype).
        copies = [
            ((2, 3), torch.float32, torch.randn(3)),
            ((2, 3), torch.float32, torch.randn(2, 1)),
            ((2, 3), torch.float32, torch.randn(1, 1)),
            ((3,), torch.float32, torch.tensor([1, -2, 1 << 40], dtype=torch.int64)),
            ((4,), torch.float32, torch.tensor([True, False, True, True])),
            ((5,), torch.int64, torch.tensor([1.5, -2.7, 3.0, -0.5, 1e10])),
            ((4,), torch.bool, torch.tensor([1.5, 0.0, -0.0, float("nan")])),
            ((3,), torch.bool, torch.tensor([0, 7, -1], dtype=torch.int64)),
            ((3,), torch.int64, torch.tensor([True, False, True])),
            ((2, 2), torch.float32, torch.tensor(2.5)),
        ]
        for i, (shape, dtype, src) in enumerate(copies):
            dst = torch.zeros(shape, dtype=dtype)
            dst.copy_(src)
            w.tensor(f"copy.{i}.src", src)
            w.tensor(f"copy.{i}.expected", dst)

        # Conversions at their edges (common/convert.c): float -> int64 truncates, and gives
        # INT64_MIN on x86-64 for NaN, infinities and values outside int64; -> bool is "not
        # zero" (NaN is true); int64 -> float rounds to the nearest float.
        nan, inf = float("nan"), float("inf")
        edges = {
            "f32": torch.tensor([nan, inf, -inf, 1e19, -1e19, 2.0**63, -2.0**63,
                                 float.fromhex("0x1.fffffep62"), 2.75, -2.75, -0.0, 0.5, -0.5,
                                 16777217.0, 1e-40, -1e30]),
            "i64": torch.tensor([0, -3, 2**24 + 1, 2**53 + 1, 2**63 - 1, -2**63],
                                dtype=torch.int64),
            "bool": torch.tensor([True, False, True]),
        }
        for name, src in edges.items():
            w.tensor(f"convert.{name}", src)
            for to, dtype in [("float", torch.float32), ("long", torch.int64),
                              ("bool", torch.bool)]:
                w.tensor(f"convert.{name}.to_{to}", src.to(dtype))

        x34, z = B["x34"], torch.zeros
        errors = {
            "select_range": lambda: x34.select(0, 5),
            "select_neg": lambda: x34.select(1, -5),
            "select_0d": lambda: B["s"].select(0, 0),
            "select_dim": lambda: x34.select(2, 0),
            "narrow_exceeds": lambda: z(5).narrow(0, 4, 2),
            "narrow_negative_length": lambda: z(5).narrow(0, 1, -1),
            "narrow_start": lambda: z(3, 4).narrow(1, 5, 2),
            "narrow_start_neg": lambda: z(5).narrow(0, -6, 1),
            "narrow_0d": lambda: B["s"].narrow(0, 0, 1),
            "slice_step": lambda: aslice(z(5), 0, 0, 5, 0),
            "slice_step_neg": lambda: aslice(z(5), 0, 0, 5, -1),
            "slice_0d": lambda: aslice(B["s"], 0, 0, 1, 1),
            "view_invalid": lambda: x34.view(4, 4),
            "view_two_inferred": lambda: x34.view(-1, -1),
            "view_not_divisible": lambda: x34.view(-1, 5),
            "view_negative": lambda: x34.view(-2, 6),
            "view_strides": lambda: x34.t().view(12),
            "view_zero_ambiguous": lambda: z(0).view(-1, 0),
            "view_to_scalar": lambda: z(2).view(()),
            "squeeze_dim": lambda: x34.squeeze(2),
            "unsqueeze_dim": lambda: x34.unsqueeze(3),
            "unsqueeze_dim_neg": lambda: x34.unsqueeze(-4),
            "unsqueeze_0d": lambda: B["s"].unsqueeze(1),
            "transpose_dim": lambda: x34.transpose(0, 2),
            "t_3d": lambda: z(2, 3, 4).t(),
            "expand_mismatch": lambda: z(3).expand(2, 4),
            "expand_mismatch_3d": lambda: z(2, 3).expand(2, 3, 4),
            "expand_too_few": lambda: z(2, 3).expand(3),
            "expand_leading_minus1": lambda: z(3).expand(-1, 3),
            "copy_broadcast": lambda: z(2, 3).copy_(z(4)),
            "copy_output_shape": lambda: z(3).copy_(z(2, 3)),
            "copy_internal_overlap": lambda: z(1).expand(3).copy_(z(3)),
            "copy_partial_overlap": lambda: (lambda y: y[0:2].copy_(y[1:3]))(z(3, 3)),
            "copy_transposed_self": lambda: (lambda y: y.copy_(y.t()))(z(3, 3)),
        }
        for name, fn in errors.items():
            w.text(f"err.{name}", error_of(fn))


if __name__ == "__main__":
    main()

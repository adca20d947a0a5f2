#!/usr/bin/python3
"""Golden values for tests/common/test_linalg.c: torch_mm, torch_matmul, torch_addmm.

Run with Debian's torch 1.13:  /usr/bin/python3 tools/gen_linalg_fixtures.py
Writes tests/fixtures/linalg.txt.

Two expected results per case:
  .torch   what torch computes (OpenBLAS: its own summation order), compared with a tolerance;
  .def     ctorch's definition, bit for bit: each element accumulated in float32 from 0, adding
           a[i][p] * b[p][j] for p = 0, 1, ..., k-1 in order, every product and sum rounded.
           Computed here with torch's elementwise float32 mul and add (correctly rounded, no
           fusing), vectorized over (i, j), looping over p.
Records per case <op>.<i>:
  .a .b (.bias)        the stored operands
  .a_how .b_how        text: how the C test turns a stored operand into the input:
                         plain | t (transpose) | every2 (columns 0, 2, 4, ... of the last dim)
  .torch .def          the results
  .atol                the tolerance for .torch: 2e-6 times the largest sum of |a[i][p] b[p][j]|
                       (an error bound scale for float sums; rtol is 1e-5 on top)
  err.<name>           libtorch's error messages, word for word
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import FixtureWriter  # noqa: E402
from torch_mirror import error_of  # noqa: E402


def how(t, h):
    """The operand the C test will see for a stored tensor t."""
    if h == "plain":
        return t
    if h == "t":
        return t.t()
    if h == "every2":
        return t[..., ::2]
    raise ValueError(h)


def stored_shape(shape, h):
    """The shape to store so that how(stored, h) has `shape`."""
    if h == "plain":
        return shape
    if h == "t":
        return tuple(reversed(shape))
    if h == "every2":
        return shape[:-1] + (2 * shape[-1],)
    raise ValueError(h)


def definition(a, b):
    """ctorch's matrix product: float32, from 0.0f, p ascending, each step rounded."""
    a2 = a if a.dim() == 2 else a.unsqueeze(0)
    b2 = b if b.dim() == 2 else b.unsqueeze(1)
    acc = torch.zeros(a2.shape[0], b2.shape[1], dtype=torch.float32)
    for p in range(a2.shape[1]):
        acc = acc + a2[:, p:p + 1] * b2[p:p + 1, :]  # two rounded float32 ops, in this order
    if a.dim() == 1:
        acc = acc.squeeze(0)
    if b.dim() == 1:
        acc = acc.squeeze(-1)
    return acc


def abs_scale(a, b):
    a2 = a if a.dim() == 2 else a.unsqueeze(0)
    b2 = b if b.dim() == 2 else b.unsqueeze(1)
    return float((a2.double().abs() @ b2.double().abs()).max()) if a2.numel() and b2.numel() else 0.0


def write_operand(w, name, shape, h):
    stored = torch.randn(stored_shape(shape, h))
    w.tensor(name, stored)
    w.text(name + "_how", h)
    return how(stored, h)


# (n, k, m, how a, how b): the shapes of the tutorial (some with 40 rows instead of 100, to
# keep the file small), odd shapes, views, and the fast kernel's block edges (tile 4 x 8,
# passes of 256 over p, blocks of 64 rows).
MM_CASES = [
    (1, 1, 1, "plain", "plain"),
    (7, 13, 5, "plain", "plain"),
    (33, 17, 65, "plain", "plain"),
    (100, 3, 32, "plain", "plain"),     # h = x.mm(w1)
    (100, 32, 1, "plain", "plain"),     # y_pred = h_relu.mm(w2)
    (32, 40, 1, "t", "plain"),          # grad_w2 = h_relu.t().mm(grad_y_pred), n = 40
    (40, 1, 32, "plain", "t"),          # grad_h_relu = grad_y_pred.mm(w2.t()), n = 40
    (3, 40, 32, "t", "plain"),          # grad_w1 = x.t().mm(grad_h), n = 40
    (9, 6, 10, "every2", "every2"),     # strided slices on both sides
    (35, 33, 30, "plain", "t"),         # large enough for the packed kernel
    (12, 300, 10, "t", "plain"),        # two passes over p (256 + 44)
    (70, 5, 9, "plain", "plain"),       # more than one 64-row block, 9 = 8 + 1 columns
    (5, 0, 4, "plain", "plain"),        # an empty sum: zeros
]

# matmul: (shape of a, shape of b, how a, how b)
MATMUL_CASES = [
    ((7,), (7,), "plain", "plain"),          # dot -> 0-dim
    ((50,), (50,), "every2", "plain"),       # dot of a strided vector
    ((5, 7), (7,), "plain", "plain"),        # matrix . vector -> (5)
    ((7,), (7, 4), "plain", "plain"),        # vector . matrix -> (4)
    ((3, 4), (4, 2), "plain", "t"),          # matrix . matrix -> (3, 2)
    ((100, 3), (3,), "plain", "every2"),
]

# addmm: (n, k, m, bias shape)
ADDMM_CASES = [
    (100, 3, 32, (32,)),      # nn_linear(3, 32) on the tutorial's x
    (40, 32, 1, (1,)),        # nn_linear(32, 1) on 40 rows
    (6, 4, 5, (1, 5)),
    (6, 4, 5, (6, 5)),
    (6, 4, 5, (6, 1)),
    (6, 4, 5, ()),
    (10, 60, 60, (60,)),      # through the packed kernel
]


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "tests", "fixtures", "linalg.txt")
    torch.manual_seed(424242)
    with FixtureWriter(path, "tools/gen_linalg_fixtures.py") as w:
        for i, (n, k, m, ha, hb) in enumerate(MM_CASES):
            a = write_operand(w, f"mm.{i}.a", (n, k), ha)
            b = write_operand(w, f"mm.{i}.b", (k, m), hb)
            w.tensor(f"mm.{i}.torch", torch.mm(a, b))
            w.tensor(f"mm.{i}.def", definition(a, b))
            w.scalar(f"mm.{i}.atol", 2e-6 * abs_scale(a, b))

        for i, (sa, sb, ha, hb) in enumerate(MATMUL_CASES):
            a = write_operand(w, f"matmul.{i}.a", sa, ha)
            b = write_operand(w, f"matmul.{i}.b", sb, hb)
            w.tensor(f"matmul.{i}.torch", torch.matmul(a, b))
            w.tensor(f"matmul.{i}.def", definition(a, b))
            w.scalar(f"matmul.{i}.atol", 2e-6 * abs_scale(a, b))

        for i, (n, k, m, bias_shape) in enumerate(ADDMM_CASES):
            a = write_operand(w, f"addmm.{i}.a", (n, k), "plain")
            b = write_operand(w, f"addmm.{i}.b", (k, m), "plain")
            bias = torch.randn(bias_shape)
            w.tensor(f"addmm.{i}.bias", bias)
            w.tensor(f"addmm.{i}.torch", torch.addmm(bias, a, b))
            w.tensor(f"addmm.{i}.def", definition(a, b) + bias)  # product first, then the bias
            w.scalar(f"addmm.{i}.atol", 2e-6 * (abs_scale(a, b) + float(bias.abs().max())))

        z = torch.zeros

        def long(*s):
            return torch.zeros(s, dtype=torch.int64)

        errors = {
            "mm_self": lambda: z(3).mm(z(3, 1)),
            "mm_mat2": lambda: z(3, 3).mm(z(3)),
            "mm_shapes": lambda: z(100, 3).mm(z(32, 1)),
            "mm_dtype_self": lambda: long(1, 3).mm(z(3, 1)),
            "mm_dtype_mat2": lambda: z(1, 3).mm(long(3, 1)),
            "matmul_0d": lambda: z(()).matmul(z(3)),
            "matmul_0d_right": lambda: z(3).matmul(z(())),
            "dot_size": lambda: z(3).matmul(z(4)),
            "dot_dtype": lambda: long(3).matmul(z(3)),
            "mv_size": lambda: z(2, 3).matmul(z(4)),
            "mv_dtype": lambda: z(2, 3).matmul(long(3)),
            "vm_size": lambda: z(3).matmul(z(4, 2)),
            "matmul_shapes": lambda: z(2, 3).matmul(z(4, 2)),
            "addmm_self_dtype": lambda: torch.addmm(long(4), z(2, 3), z(3, 4)),
            "addmm_mat1_dtype": lambda: torch.addmm(z(4), long(2, 3), z(3, 4)),
            "addmm_mat1": lambda: torch.addmm(z(4), z(3), z(3, 4)),
            "addmm_mat2": lambda: torch.addmm(z(4), z(2, 3), z(3)),
            "addmm_shapes": lambda: torch.addmm(z(5), z(2, 3), z(2, 4)),
            "addmm_bias": lambda: torch.addmm(z(5), z(2, 3), z(3, 4)),
            "addmm_bias_rows": lambda: torch.addmm(z(5, 3), z(2, 3), z(3, 4)),
            "addmm_bias_dims": lambda: torch.addmm(z(3, 2, 4), z(2, 3), z(3, 4)),
        }
        for name, fn in errors.items():
            w.text(f"err.{name}", error_of(fn))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""PyTorch's own sample inputs (OpInfo) for every ctorch operation that has an OpInfo.

Run from anywhere with Debian's python3-torch:
    /usr/bin/python3 tools/gen_opinfo_fixtures.py
Writes tests/fixtures/opinfo/<NAME>.txt, one per OpInfo (read by tests/opinfo/test_opinfo.c),
tests/fixtures/opinfo/index.txt, and the coverage table in docs/reliability.md.

Every OpInfo in torch.testing._internal.common_methods_invocations carries three generators:
sample_inputs (shapes, broadcasting, scalars, empty and non-contiguous tensors),
reference_inputs (the samples again, then extremal values, large and strided tensors) and
error_inputs (inputs that must raise). For each operation below this script takes their
float32 CPU samples, maps each onto the ctorch call that expresses it, runs PyTorch on it and
stores what PyTorch did. A sample ctorch cannot express (a rounding_mode, a batched product,
a tensor where ctorch takes a float, ...) is counted under its reason and not stored. Edge
samples written here (edge_samples) join them: the inputs where a plausible bug hides.

A fixture file holds the text record "cases", one line per stored sample:
    <case> <call> <expect> <arg>... # <which generator>: <the sample as PyTorch saw it>
<call> names the C call (tests/opinfo/test_opinfo.c has one function per call). <expect>:
    value        compare the output, then the gradients
    error        PyTorch raises; ctorch must raise with libtorch's wording (<case>.err)
    error_any    PyTorch raises; ctorch must raise, in its own words (the reason is in the
                 coverage table: ctorch does not promise libtorch's wording there)
    refuses      PyTorch computes, ctorch refuses on purpose (docs/reliability.md): it must
                 raise
    arange_end   R's arange includes `end`: ctorch gives PyTorch's values, then `end`
<arg> is one of
    T<i>  or T<i>g   input tensor i ("g": it requires grad), stored as <case>.t<i>
    f<hex>           a float32 (float.hex, or nan / inf / -inf)
    d<hex>           a double (arange's bounds)
    i<n>             an int64
    s<word>          a string (a reduction)
    L<n,n,...>       a list of sizes ("L" alone: the empty list)
Tensors are stored contiguous, except a non-contiguous input: then <case>.t<i> is its 1-d
storage (NaN where the view does not reach), the text <case>.t<i>.how the views that
rebuild the same strides from it, e.g. "narrow 0 3 40;view 5 8;narrow 1 0 4;transpose 0 1",
and the strides and storage offset PyTorch's input had (<case>.t<i>.stride, .offset).
Results: <case>.out (and <case>.out1, max/min's indices), <case>.err; for value cases whose
output is float, <case>.gseed: the gradient g fed to backward is torch.randn(out's shape)
right after torch.manual_seed(gseed), which ctorch draws bit for bit too; and <case>.grad<i>,
PyTorch's gradient of sum(out * g) with respect to input i (absent where PyTorch has none).
For sums and products, <case>.scale (and <case>.gscale<i>, also for a gradient summed over
broadcast dims) hold the same computation on |inputs| (and |g|) in float64: the size of the
terms, which sets the tolerance.

The products go through torch's BLAS: run this with the reference BLAS first on
LD_LIBRARY_PATH (tools/regenerate_fixtures.py does) to get the committed bits.
"""
import collections
import math
import os
import random
import re
import struct
import sys
import warnings
import zlib

import numpy
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import FixtureWriter  # noqa: E402
from torch_mirror import FIXTURES, ROOT, libtorch_text, load_op_db  # noqa: E402

OUT_DIR = os.path.join(FIXTURES, "opinfo")
RELIABILITY = os.path.join(ROOT, "docs", "reliability.md")
GENERATOR = "tools/gen_opinfo_fixtures.py"
MAX_NUMEL = 2048   # larger samples (PyTorch's 1029 x 917 and the like) stay out of the fixtures
MAX_DIMS = 8       # TORCH_MAX_DIMS

# ---- why a sample is not replayed -----------------------------------------------------------

REASONS = {
    "rounding_mode": "a `rounding_mode` (ctorch's division is true division)",
    "alpha": "`alpha` / `beta` scaling (ctorch's add and addmm have none)",
    "tensor_operand": "a tensor where ctorch takes a float (exponent, clamp bound, fill value)",
    "scalar_first": "a number first (`2 - x`, `2 / x`: ctorch has no reversed scalar ops)",
    "no_tensor": "no tensor operand at all",
    "batched": "a batched (more than 2-d) matrix product",
    "dtype": "a `dtype` argument, or a float64, complex or int64 result ctorch does not make",
    "memory_format": "a `memory_format` other than contiguous",
    "dims": "several dims at once, or `dim=None`",
    "large": f"more than {MAX_NUMEL} elements (kept out of the fixtures)",
    "max_dims": f"more than {MAX_DIMS} dims (TORCH_MAX_DIMS)",
    "weight": "class weights, `weight` or `pos_weight`",
    "loss_form": "a loss form ctorch does not have: 1-d or (N, C, d1, ...) input, probabilities "
                 "as targets, `label_smoothing`, `log_target`",
    "linear_form": "`linear` without bias or with an input that is not 2-d (`nn_linear` takes "
                   "(batch, features) and has a bias)",
    "eye_m": "`eye(n, m)` with m != n (ctorch's eye is square)",
    "tensor_index": "an index given as a tensor",
    "python_only": "a Python-level error (a wrong argument type): nothing C can call",
    "duplicate": "a sample the OpInfo `div.no_rounding_mode` has already (these variants' "
                 "reference inputs drop their `rounding_mode`)",
    "reversed": "`__radd__` / `__rmul__` of two tensors: the same call as `add`'s and `mul`'s "
                "own samples",
    "overlap": "an input whose elements overlap in memory (made with `as_strided`): no chain "
               "of views makes one",
}

# Errors whose wording ctorch does not promise to be libtorch's: call -> (a phrase of
# PyTorch's message, why ctorch words it itself).
OWN_WORDING = {
    "l1_loss": ("must match the size of tensor b",
                "input and target of different shapes: ctorch's losses name both shapes "
                "(losses.h)"),
}

# What ctorch does on purpose where PyTorch does otherwise (the tensor.h / losses.h promises).
DIFFERENCES = {
    "refuses": "a loss given input and target of different shapes: PyTorch warns and "
               "broadcasts, ctorch stops and names both shapes (losses.h)",
    "arange_end": "`arange(start, end, step)` reaching `end` exactly: R's arange (ctorch's) "
                  "includes it, libtorch's stops before it (tensor.h)",
}

# Errors ctorch raises in words of its own until a fix lands in a file this change may not
# touch: call -> (a phrase of PyTorch's message, the fix). Each stays "error_any" until then.
PENDING_WORDING = {
    "neg": ("Negation, the `-` operator, on a bool tensor is not supported",
            "common/elementwise.c, torch_neg: check a bool input first and raise libtorch's "
            "message"),
}


class Skip(Exception):
    def __init__(self, reason):
        assert reason in REASONS, reason
        super().__init__(reason)
        self.reason = reason


# ---- a sample mapped onto a C call ------------------------------------------------------------

class Arg:
    """One argument of the C call: a tensor of the sample (kind "T") or a plain value."""

    def __init__(self, kind, value, grad=False):
        self.kind, self.value, self.grad = kind, value, grad


def T(t, grad=True):
    return Arg("T", t, grad and t.dtype == torch.float32)


def F(v):
    if isinstance(v, complex):
        raise Skip("dtype")
    return Arg("f", float(v))


def D(v):
    """A double (arange's bounds are doubles in both)."""
    return Arg("d", float(v))


def I(v):  # noqa: E743 (the C side's int64 argument)
    return Arg("i", int(v))


def S(v):
    return Arg("s", v)


def L(v):
    return Arg("L", [int(x) for x in v])


class Call:
    """The C call a sample maps to. torch_fn, if given, computes what the call computes
    (default: the OpInfo's own op on the sample); expect as in the module docstring."""

    def __init__(self, name, args, expect="value", torch_fn=None, seed=None):
        self.name, self.args, self.expect, self.torch_fn, self.seed = name, args, expect, torch_fn, seed


def is_tensor(v):
    return isinstance(v, torch.Tensor)


def is_number(v):
    return isinstance(v, (bool, int, float)) and not isinstance(v, complex)


def number_or_skip(v):
    if is_tensor(v):
        raise Skip("tensor_operand")
    if isinstance(v, complex):
        raise Skip("dtype")
    return v


# ---- the mappings, one per OpInfo ---------------------------------------------------------------

def binary_arith(name, commutative):
    """add, sub, mul, div: tensor op tensor (broadcasting), tensor op number (name_scalar)."""
    def m(s):
        a, b = s.input, s.args[0] if s.args else s.kwargs.get("other")
        if s.kwargs.get("alpha") not in (None, 1):
            raise Skip("alpha")
        if s.kwargs.get("rounding_mode") is not None:
            raise Skip("rounding_mode")
        if is_tensor(a) and is_tensor(b):
            return Call(name, [T(a), T(b)])
        if is_tensor(a) and is_number(b):
            return Call(name + "_scalar", [T(a), F(b)])
        if is_number(a) and is_tensor(b):
            if not commutative:
                raise Skip("scalar_first")
            return Call(name + "_scalar", [T(b), F(a)])
        if isinstance(a, complex) or isinstance(b, complex):
            raise Skip("dtype")
        raise Skip("no_tensor")
    return m


def rounding_div(s):
    """div.trunc_rounding, div.floor_rounding: their reference inputs drop the rounding_mode
    and are div.no_rounding_mode's samples again."""
    if s.kwargs.get("rounding_mode") is None:
        raise Skip("duplicate")
    raise Skip("rounding_mode")


def reversed_scalar(name):
    """__radd__, __rmul__: number op tensor, which ctorch writes tensor op number. (Their
    tensor op tensor samples are the same calls as add's and mul's own.)"""
    def m(s):
        if not is_tensor(s.input):
            raise Skip("no_tensor")
        other = s.args[0]
        if is_tensor(other):
            raise Skip("reversed")
        return Call(name + "_scalar", [T(s.input), F(number_or_skip(other))])
    return m


def comparison(name):
    def m(s):
        a, b = s.input, s.args[0]
        if is_tensor(a) and is_tensor(b):
            return Call(name, [T(a), T(b)])
        if is_tensor(a) and is_number(b):
            return Call(name + "_scalar", [T(a), F(b)])
        raise Skip("no_tensor" if not is_tensor(a) else "dtype")
    return m


def unary(name):
    def m(s):
        if not is_tensor(s.input):
            raise Skip("no_tensor")
        return Call(name, [T(s.input)])
    return m


def pow_map(s):
    if not is_tensor(s.input):
        raise Skip("scalar_first" if is_number(s.input) else "no_tensor")
    return Call("pow", [T(s.input), F(number_or_skip(s.args[0]))])


def clamp_min_map(s):
    if not is_tensor(s.input):
        raise Skip("no_tensor")
    return Call("clamp_min", [T(s.input), F(number_or_skip(s.args[0]))])


def clamp_map(s):
    lo = s.args[0] if len(s.args) > 0 else s.kwargs.get("min")
    hi = s.args[1] if len(s.args) > 1 else s.kwargs.get("max")
    if is_tensor(lo) or is_tensor(hi):
        raise Skip("tensor_operand")
    if lo is None:
        lo = -math.inf
    if hi is None:
        return Call("clamp_min", [T(s.input), F(lo)])
    return Call("clamp", [T(s.input), F(lo), F(hi)])


def masked_fill_map(s):
    mask, value = s.args
    if is_tensor(value):
        raise Skip("tensor_operand")
    return Call("masked_fill", [T(s.input), T(mask), F(number_or_skip(value))])


def where_map(s):
    """OpInfo's where is op(self, condition, other) = torch.where(condition, self, other). A
    number operand is a 0-dim tensor in ctorch (torch wraps it the same way)."""
    a, cond, b = s.input, s.args[0], s.args[1]

    def operand(v):
        if is_tensor(v):
            if v.dtype != torch.float32:
                raise Skip("dtype")  # PyTorch promotes to float; ctorch takes float operands
            return T(v)
        number_or_skip(v)
        return T(torch.tensor(float(v)), grad=False)
    if isinstance(a, complex) or isinstance(b, complex):
        raise Skip("dtype")
    return Call("where", [T(cond), operand(a), operand(b)])


def reduction(name):
    """sum, mean: over everything, or along one dim (a 1-tuple is one dim)."""
    def m(s):
        if s.kwargs.get("dtype") is not None:
            raise Skip("dtype")
        dim = s.args[0] if s.args else s.kwargs.get("dim")
        keep = bool(s.args[1] if len(s.args) > 1 else s.kwargs.get("keepdim", False))
        if isinstance(dim, (tuple, list)):
            if len(dim) != 1:
                raise Skip("dims")
            dim = dim[0]
        if dim is None:
            if keep:
                raise Skip("dims")
            return Call(name, [T(s.input)])
        return Call(name + "_dim", [T(s.input), I(dim), I(keep)])
    return m


def extreme_dim(name):
    def m(s):
        dim = s.args[0] if s.args else s.kwargs["dim"]
        keep = bool(s.args[1] if len(s.args) > 1 else s.kwargs.get("keepdim", False))
        return Call(name + "_dim", [T(s.input), I(dim), I(keep)])
    return m


def extreme_all(name):
    def m(s):
        if s.args or s.kwargs:
            raise Skip("dims")
        return Call(name, [T(s.input)])
    return m


def argmax_map(s):
    dim = s.args[0] if s.args else s.kwargs.get("dim")
    keep = bool(s.args[1] if len(s.args) > 1 else s.kwargs.get("keepdim", False))
    if dim is None:
        raise Skip("dims")
    return Call("argmax", [T(s.input), I(dim), I(keep)])


def product(name, swap=False):
    """mm, matmul, dot, mv (matmul of 1-d and 2-d operands); __rmatmul__ swaps them."""
    def m(s):
        a, b = s.input, s.args[0]
        if swap:
            a, b = b, a
        if a.dim() > 2 or b.dim() > 2:
            raise Skip("batched")
        return Call(name, [T(a), T(b)], torch_fn=lambda a, b: torch.matmul(a, b))
    return m


def addmm_map(s):
    if s.kwargs.get("alpha", 1) != 1 or s.kwargs.get("beta", 1) != 1:
        raise Skip("alpha")
    return Call("addmm", [T(s.input), T(s.args[0]), T(s.args[1])])


def linear_map(s):
    x, w = s.input, s.args[0]
    b = s.args[1] if len(s.args) > 1 else s.kwargs.get("bias")
    if b is None or x.dim() != 2:
        raise Skip("linear_form")
    return Call("linear", [T(x), T(w), T(b)])


def select_map(s):
    return Call("select", [T(s.input), I(s.args[0]), I(s.args[1])])


def narrow_map(s):
    dim, start, length = s.args
    if is_tensor(start):
        raise Skip("tensor_index")
    return Call("narrow", [T(s.input), I(dim), I(start), I(length)])


def slice_map(s):
    """aten.slice(x, dim=0, start=None, end=None, step=1): None start/end are 0 and the end."""
    names = ["dim", "start", "end", "step"]
    kw = dict(zip(names, s.args))
    kw.update(s.kwargs)
    start = kw.get("start") if kw.get("start") is not None else 0
    end = kw.get("end") if kw.get("end") is not None else 2**63 - 1
    return Call("slice", [T(s.input), I(kw.get("dim", 0)), I(start), I(end), I(kw.get("step", 1))])


def shape_arg(s):
    shape = s.args[0] if len(s.args) == 1 and isinstance(s.args[0], (tuple, list, torch.Size)) \
        else s.args
    return L(shape)


def view_like(name):
    def m(s):
        return Call(name, [T(s.input), shape_arg(s)])
    return m


def squeeze_map(s):
    if not s.args and "dim" not in s.kwargs:
        return Call("squeeze", [T(s.input)])
    dim = s.args[0] if s.args else s.kwargs["dim"]
    if isinstance(dim, (tuple, list)):
        raise Skip("dims")
    return Call("squeeze_dim", [T(s.input), I(dim)])


def unsqueeze_map(s):
    return Call("unsqueeze", [T(s.input), I(s.args[0])])


def transpose_map(s):
    return Call("transpose", [T(s.input), I(s.args[0]), I(s.args[1])])


def copy_like(name):
    """clone, contiguous: ctorch's copy is always contiguous (tensor.h)."""
    def m(s):
        fmt = s.kwargs.get("memory_format")
        if fmt not in (None, torch.contiguous_format, torch.preserve_format):
            raise Skip("memory_format")
        if fmt == torch.preserve_format and not s.input.is_contiguous():
            raise Skip("memory_format")
        return Call(name, [T(s.input)])
    return m


def conversion(name):
    def m(s):
        if s.args or s.kwargs.get("memory_format") not in (None, torch.contiguous_format,
                                                            torch.preserve_format):
            raise Skip("memory_format")
        return Call(name, [T(s.input)])
    return m


def fill_map(s):
    value = s.args[0] if s.args else s.kwargs["value"]
    return Call("fill_", [T(s.input, grad=False), F(number_or_skip(value))],
                torch_fn=lambda x: x.clone().fill_(value))


def zero_map(s):
    return Call("zero_", [T(s.input, grad=False)], torch_fn=lambda x: x.clone().zero_())


def float_factory(s):
    if s.kwargs.get("dtype", torch.float32) != torch.float32:
        raise Skip("dtype")


def shape_factory(name):
    """zeros, ones: a shape (a tuple, or the sizes one by one)."""
    def m(s):
        float_factory(s)
        shape = s.input if isinstance(s.input, (tuple, list, torch.Size)) else (s.input, *s.args)
        return Call(name, [L(shape)])
    return m


def eye_map(s):
    float_factory(s)
    n = s.input
    m = s.args[0] if s.args else s.kwargs.get("m", n)
    if m != n:
        raise Skip("eye_m")
    return Call("eye", [I(n)])


def arange_map(s):
    """torch.arange(end) / (start, end) / (start, end, step); R's arange (ctorch's) includes
    end where torch stops before it."""
    float_factory(s)
    args = [s.input, *s.args]
    if "end" in s.kwargs:
        args.append(s.kwargs["end"])
    if len(args) == 1:
        args = [0, args[0]]
    if len(args) == 2:
        args.append(1)
    start, end, step = (float(v) for v in args)
    valid = (step != 0 and math.isfinite(start) and math.isfinite(end)
             and (end - start) / step >= 0)
    if s.kwargs.get("dtype") is None and all(isinstance(v, int) for v in args) and valid:
        raise Skip("dtype")  # an int64 arange; ctorch's is float32 (an invalid one raises)
    expect = "value"
    if valid:
        if math.floor((end - start) / step) + 1 > math.ceil((end - start) / step):
            expect = "arange_end"  # R's arange reaches end, where torch's stops before it
    return Call("arange", [D(start), D(end), D(step)], expect=expect,
                torch_fn=lambda: torch.arange(start, end, step, dtype=torch.float32))


def like_factory(name):
    def m(s):
        float_factory(s)
        return Call(name, [T(s.input, grad=False)])
    return m


def full_like_map(s):
    float_factory(s)
    return Call("full_like", [T(s.input, grad=False), F(number_or_skip(s.args[0]))])


def randn_map(s):
    float_factory(s)
    shape = s.input if isinstance(s.input, (tuple, list, torch.Size)) else (s.input, *s.args)
    seed = zlib.crc32(repr(tuple(shape)).encode()) & 0xFFFF
    return Call("randn", [I(seed), L(shape)], seed=seed,
                torch_fn=lambda: torch.randn(tuple(shape)))


def reduction_kw(s):
    r = s.kwargs.get("reduction", "mean")
    if not isinstance(r, str):
        raise Skip("python_only")
    return S(r)


def elementwise_loss(name, target_grad=True):
    def m(s):
        if s.kwargs.get("weight") is not None or s.kwargs.get("pos_weight") is not None:
            raise Skip("weight")
        if s.kwargs.get("log_target"):
            raise Skip("loss_form")
        target = s.args[0] if s.args else s.kwargs["target"]
        expect = "value"
        if is_tensor(target) and target.shape != s.input.shape:
            expect = "refuses"
        return Call(name, [T(s.input), T(target, grad=target_grad), reduction_kw(s)],
                    expect=expect)
    return m


def class_loss(name):
    """nll_loss, cross_entropy: (N, C) input, (N) int64 class indices; ignore_index."""
    def m(s):
        if s.kwargs.get("weight") is not None:
            raise Skip("weight")
        target = s.args[0] if s.args else s.kwargs["target"]
        if (s.input.dim() != 2 or target.dtype != torch.int64
                or s.kwargs.get("label_smoothing", 0.0) != 0.0):
            raise Skip("loss_form")
        red = reduction_kw(s)
        ii = s.kwargs.get("ignore_index", -100)
        if ii != -100:
            return Call(name + "_ignore_index", [T(s.input), T(target), I(ii), red])
        return Call(name, [T(s.input), T(target), red])
    return m


def log_softmax_map(s):
    if s.kwargs.get("dtype") is not None or len(s.args) > 1:
        raise Skip("dtype")
    dim = s.args[0] if s.args else s.kwargs["dim"]
    return Call("log_softmax", [T(s.input), I(dim)])


# OpInfo name -> (the ctorch functions it covers, mapping). The C test has one function per
# call name; the order here is the coverage table's.
OPS = collections.OrderedDict([
    ("add", ("torch_add, torch_add_scalar", binary_arith("add", True))),
    ("__radd__", ("torch_add_scalar", reversed_scalar("add"))),
    ("sub", ("torch_sub, torch_sub_scalar", binary_arith("sub", False))),
    ("mul", ("torch_mul, torch_mul_scalar", binary_arith("mul", True))),
    ("__rmul__", ("torch_mul_scalar", reversed_scalar("mul"))),
    ("div.no_rounding_mode", ("torch_div, torch_div_scalar", binary_arith("div", False))),
    ("div.trunc_rounding", ("torch_div", rounding_div)),
    ("div.floor_rounding", ("torch_div", rounding_div)),
    ("neg", ("torch_neg", unary("neg"))),
    ("abs", ("torch_abs", unary("abs"))),
    ("exp", ("torch_exp", unary("exp"))),
    ("log", ("torch_log", unary("log"))),
    ("sqrt", ("torch_sqrt", unary("sqrt"))),
    ("nn.functional.relu", ("torch_relu", unary("relu"))),
    ("pow", ("torch_pow", pow_map)),
    ("clamp_min", ("torch_clamp_min", clamp_min_map)),
    ("clamp", ("torch_clamp, torch_clamp_min", clamp_map)),
    ("eq", ("torch_eq, torch_eq_scalar", comparison("eq"))),
    ("ne", ("torch_ne, torch_ne_scalar", comparison("ne"))),
    ("lt", ("torch_lt, torch_lt_scalar", comparison("lt"))),
    ("le", ("torch_le, torch_le_scalar", comparison("le"))),
    ("gt", ("torch_gt, torch_gt_scalar", comparison("gt"))),
    ("ge", ("torch_ge, torch_ge_scalar", comparison("ge"))),
    ("masked_fill", ("torch_masked_fill", masked_fill_map)),
    ("where", ("torch_where", where_map)),
    ("sum", ("torch_sum, torch_sum_dim", reduction("sum"))),
    ("mean", ("torch_mean, torch_mean_dim", reduction("mean"))),
    ("max.reduction_no_dim", ("torch_max", extreme_all("max"))),
    ("max.reduction_with_dim", ("torch_max_dim", extreme_dim("max"))),
    ("min.reduction_no_dim", ("torch_min", extreme_all("min"))),
    ("min.reduction_with_dim", ("torch_min_dim", extreme_dim("min"))),
    ("argmax", ("torch_argmax", argmax_map)),
    ("mm", ("torch_mm", product("mm"))),
    ("matmul", ("torch_matmul", product("matmul"))),
    ("__rmatmul__", ("torch_matmul", product("matmul", swap=True))),
    ("dot", ("torch_matmul", product("matmul"))),
    ("mv", ("torch_matmul", product("matmul"))),
    ("addmm", ("torch_addmm", addmm_map)),
    ("nn.functional.linear", ("nn_linear", linear_map)),
    ("select", ("torch_select", select_map)),
    ("narrow", ("torch_narrow", narrow_map)),
    ("slice", ("torch_slice", slice_map)),
    ("view", ("torch_view", view_like("view"))),
    ("reshape", ("torch_reshape", view_like("reshape"))),
    ("squeeze", ("torch_squeeze, torch_squeeze_dim", squeeze_map)),
    ("unsqueeze", ("torch_unsqueeze", unsqueeze_map)),
    ("transpose", ("torch_transpose", transpose_map)),
    ("t", ("torch_t", unary("t"))),
    ("expand", ("torch_expand", view_like("expand"))),
    ("contiguous", ("torch_contiguous", copy_like("contiguous"))),
    ("clone", ("torch_clone", copy_like("clone"))),
    ("float", ("torch_to_dtype", conversion("to_float"))),
    ("long", ("torch_to_dtype", conversion("to_long"))),
    ("bool", ("torch_to_dtype", conversion("to_bool"))),
    ("fill", ("torch_fill_", fill_map)),
    ("zero_", ("torch_zero_", zero_map)),
    ("zeros", ("torch_zeros", shape_factory("zeros"))),
    ("ones", ("torch_ones", shape_factory("ones"))),
    ("eye", ("torch_eye", eye_map)),
    ("arange", ("torch_arange", arange_map)),
    ("zeros_like", ("torch_zeros_like", like_factory("zeros_like"))),
    ("ones_like", ("torch_ones_like", like_factory("ones_like"))),
    ("full_like", ("torch_full", full_like_map)),
    ("randn", ("torch_randn", randn_map)),
    ("nn.functional.mse_loss", ("nnf_mse_loss", elementwise_loss("mse_loss"))),
    ("nn.functional.l1_loss", ("nnf_l1_loss", elementwise_loss("l1_loss"))),
    ("nn.functional.binary_cross_entropy",
     ("nnf_binary_cross_entropy", elementwise_loss("binary_cross_entropy"))),
    ("nn.functional.binary_cross_entropy_with_logits",
     ("nnf_binary_cross_entropy_with_logits",
      elementwise_loss("binary_cross_entropy_with_logits"))),
    ("nn.functional.kl_div", ("nnf_kl_div", elementwise_loss("kl_div"))),
    ("nn.functional.nll_loss", ("nnf_nll_loss(_ignore_index)", class_loss("nll_loss"))),
    ("nn.functional.cross_entropy",
     ("nnf_cross_entropy(_ignore_index)", class_loss("cross_entropy"))),
    ("log_softmax", ("nnf_log_softmax", log_softmax_map)),
])

# Calls that take int64 or bool tensors; every other call computes in float32 only.
MIXED_DTYPES = {"masked_fill", "where", "nll_loss", "nll_loss_ignore_index", "cross_entropy",
                "cross_entropy_ignore_index", "to_float", "to_long", "to_bool", "zeros_like",
                "ones_like", "full_like"}

# Calls whose outputs are sums or products: their tolerance scales with the size of the terms.
SCALED = {"sum", "sum_dim", "mean", "mean_dim", "mm", "matmul", "addmm", "linear"}
# Calls whose gradients are sums where an input was broadcast (the gradient is summed back).
BROADCAST = {"add", "sub", "mul", "div", "where", "masked_fill", "expand"}


# ---- the samples ----------------------------------------------------------------------------------

def op_seed(name):
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def samples_of(op):
    """(generator, sample, error or None) for the float32 CPU samples of all three generators.
    reference_inputs starts with the sample inputs again (other random values): only what it
    adds is taken. A generator that fails part way (one of 1.13's does under Python 3.11)
    yields what it made before, and the failure is reported."""
    out, notes = [], []

    def take(kind, make, skip=0):
        n = 0
        try:
            for x in make():
                if n >= skip:
                    if kind == "error":
                        out.append((kind, x.sample_input, x))
                    else:
                        out.append((kind, x, None))
                n += 1
        except Exception as e:  # noqa: BLE001 (a generator's own bug)
            notes.append(f"{kind} inputs stop after {n} samples ({type(e).__name__}: {e})")
        return n

    n_sample = take("sample", lambda: op.sample_inputs("cpu", torch.float32))
    if op.reference_inputs_func is not None:
        take("reference", lambda: op.reference_inputs("cpu", torch.float32), skip=n_sample)
    if op.error_inputs_func is not None:
        take("error", lambda: op.error_inputs("cpu"))
    SampleInput = type(out[0][1]) if out else None
    if SampleInput is not None:
        out += [("edge", x, None) for x in edge_samples(op.name + (
            "." + op.variant_test_name if op.variant_test_name else ""), SampleInput)]
    return out, notes


# ---- edge samples: the inputs where a plausible bug hides ----------------------------------------

NAN, INF = float("nan"), float("inf")
# Zeros of both signs, NaN, infinities, a subnormal, huge and tiny values, exp's overflow
# (88.73) and underflow (-103.97) edges.
SPECIALS = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, NAN, INF, -INF, 1e-30, -1e30, 1e-40, 88.0, 89.0,
            -104.0, 3.0]


def edge_samples(name, SampleInput):
    """Samples written here for what OpInfo's generators do not reach: inputs exactly on a
    derivative's boundary, extremes that need the stable formulas, long dims with remainders
    past the fast kernels' blocks, empty inner dims. PyTorch is the oracle for them too."""
    sp = torch.tensor(SPECIALS).reshape(4, 4)
    g = torch.Generator().manual_seed(op_seed(name) + 7)

    def randn(*shape):
        return torch.randn(shape, generator=g)

    def positive(*shape):  # data that does not cancel: a dropped or doubled term shows
        return torch.rand(shape, generator=g) + 0.5

    on_bounds = torch.tensor([[-0.5, 0.5, -0.50000006, 0.50000006],
                              [NAN, INF, -INF, 0.0], [-0.0, 0.25, -1.0, 1.0]])
    nan_twice = torch.tensor([[1.0, NAN, 3.0], [NAN, 2.0, -INF]])
    ties = torch.tensor([[2.0, 5.0, 5.0], [-1.0, 5.0, 0.0]])
    logits = torch.tensor([[100.0, -100.0, 0.0, 3.0], [-1e4, -1e4, -1e4, -1e4],
                           [1000.0, 5.0, -1000.0, 1.0], [2.0, 7.0, -3.0, 0.5]])
    E = SampleInput
    table = {
        "abs": [E(sp)], "neg": [E(sp)], "exp": [E(sp)], "log": [E(sp)], "sqrt": [E(sp)],
        "nn.functional.relu": [E(sp), E(on_bounds)],
        "clamp": [E(on_bounds, args=(-0.5, 0.5)), E(sp, args=(-1.0, 1.0)),
                  E(on_bounds, args=(0.5, -0.5)), E(on_bounds, args=(None, 0.5))],
        "clamp_min": [E(on_bounds, args=(-0.5,)), E(on_bounds, args=(0.0,)), E(sp, args=(0.0,))],
        "pow": [E(sp, args=(e,)) for e in (0.0, 1.0, 2.0, 3.0, 0.5, -0.5, -1.0, -2.0, 1.5, -3.0)]
               + [E(on_bounds, args=(0.0,))],
        "div.no_rounding_mode": [E(sp, args=(sp.t(),)), E(sp, args=(0.0,)), E(sp, args=(-0.0,))],
        "mul": [E(sp, args=(sp.t(),))], "add": [E(sp, args=(sp.t(),))],
        "sub": [E(sp, args=(sp.t(),))],
        "max.reduction_no_dim": [E(nan_twice), E(ties), E(sp)],
        "min.reduction_no_dim": [E(nan_twice), E(ties), E(sp)],
        "max.reduction_with_dim": [E(nan_twice, args=(1,)), E(ties, args=(1, True)),
                                   E(nan_twice, args=(0,))],
        "min.reduction_with_dim": [E(nan_twice, args=(1,)), E(ties, args=(1, True))],
        "argmax": [E(nan_twice, kwargs=dict(dim=1)), E(ties, kwargs=dict(dim=1))],
        # Sums over long dims with a remainder past the fast kernels' blocks and lanes.
        "sum": [E(positive(1031)), E(positive(3, 1031), args=(1,)), E(positive(67, 5), args=(0,)),
                E(positive(2, 67, 9), args=(1, True)), E(torch.zeros(0, 3)),
                E(torch.zeros(0, 3), args=(0,))],
        "mean": [E(positive(1031)), E(positive(3, 517), args=(1,)), E(torch.zeros(0, 3)),
                 E(torch.zeros(0, 3), args=(1,)), E(torch.zeros(0, 3), args=(0,))],
        # Products with an empty inner dim, and past one tile / block of the fast kernel.
        "mm": [E(randn(5, 0), args=(randn(0, 3),)), E(randn(17, 33), args=(randn(33, 9),)),
               E(randn(65, 3), args=(randn(3, 70),))],
        "matmul": [E(randn(0), args=(randn(0),)), E(randn(3, 0), args=(randn(0),)),
                   E(randn(33), args=(randn(33, 17),))],
        "addmm": [E(randn(3), args=(randn(4, 0), randn(0, 3))),
                  E(randn(4, 3), args=(randn(4, 0), randn(0, 3))),
                  E(randn(9), args=(randn(66, 17), randn(17, 9)))],
        "nn.functional.linear": [E(randn(4, 0), args=(randn(3, 0), randn(3))),
                                 E(randn(70, 9), args=(randn(33, 9), randn(33)))],
        # The stable formulas: logits of +-100 and more, rows whose maximum is not last, rows
        # of equal very negative values.
        "log_softmax": [E(logits, args=(1,)), E(logits, args=(0,)),
                        E(torch.tensor([[-INF, 0.0, 1.0], [-INF, -INF, 2.0]]), args=(1,))],
        "nn.functional.cross_entropy": [
            E(logits, args=(torch.tensor([0, 3, 2, 1]),), kwargs=dict(reduction=r))
            for r in ("none", "mean", "sum")],
        "nn.functional.binary_cross_entropy_with_logits": [
            E(logits, args=(torch.tensor([[1.0, 0.0, 0.3, 1.0], [0.0, 1.0, 0.5, 0.0],
                                          [1.0, 0.0, 1.0, 0.7], [0.2, 0.9, 0.0, 1.0]]),),
              kwargs=dict(reduction=r)) for r in ("none", "mean", "sum")],
        "nn.functional.binary_cross_entropy": [
            E(torch.tensor([[0.0, 1.0, 0.5], [1e-30, 1.0 - 1e-7, 0.25]]),
              args=(torch.tensor([[0.0, 1.0, 0.3], [1.0, 0.0, 0.5]]),), kwargs=dict(reduction=r))
            for r in ("none", "mean", "sum")],
        # Every target ignored: a mean over no rows.
        "nn.functional.nll_loss": [
            E(randn(3, 4), args=(torch.tensor([-100, -100, -100]),), kwargs=dict(reduction=r))
            for r in ("none", "mean", "sum")],
    }
    return table.get(name, [])


def tensors_in(v):
    if is_tensor(v):
        yield v
    elif isinstance(v, (list, tuple)):
        for x in v:
            yield from tensors_in(x)
    elif isinstance(v, dict):
        for x in v.values():
            yield from tensors_in(x)


def check_supported(s, max_numel):
    every = list(tensors_in([s.input, list(s.args), s.kwargs]))
    for t in every:
        if t.dtype not in (torch.float32, torch.int64, torch.bool):
            raise Skip("dtype")
        if t.dim() > MAX_DIMS:
            raise Skip("max_dims")
        if t.numel() > max_numel:
            raise Skip("large")
        rebuild_steps(t)
    if s.kwargs.get("out") is not None:
        raise Skip("dtype")


# ---- strided inputs: the views that rebuild them --------------------------------------------

def rebuild_steps(t):
    """The views (narrow, view, select, transpose, unsqueeze, expand) that turn a 1-d storage
    into a tensor with t's sizes, strides (where they matter) and offset; None if t is
    contiguous; Skip("overlap") if no such chain exists."""
    if t.is_contiguous() or t.numel() == 0:
        return None, None
    sizes, strides, off = list(t.shape), list(t.stride()), t.storage_offset()
    real = [d for d in range(t.dim()) if sizes[d] > 1 and strides[d] > 0]
    order = sorted(real, key=lambda d: -strides[d])
    for a, b in zip(order, order[1:]):
        if strides[a] % strides[b] or strides[a] < strides[b] * sizes[b]:
            raise Skip("overlap")
    # A contiguous block whose dims have exactly these strides, then narrowed to the sizes.
    block = [sizes[order[0]]] + [strides[a] // strides[b] for a, b in zip(order, order[1:])]
    inner = strides[order[-1]]
    if inner > 1:
        block.append(inner)
    total = math.prod(block)
    steps = []
    if off:
        steps.append(f"narrow 0 {off} {total}")
    steps.append("view " + " ".join(map(str, block)))
    for i, d in enumerate(order):
        if block[i] != sizes[d]:
            steps.append(f"narrow {i} 0 {sizes[d]}")
    if inner > 1:
        steps.append(f"select {len(order)} 0")
    # Now the dims are in `order`; transposes bring them into t's order.
    cur = list(order)
    for i in range(len(cur)):
        j = cur.index(sorted(cur)[i])
        if j != i:
            steps.append(f"transpose {i} {j}")
            cur[i], cur[j] = cur[j], cur[i]
    # The dims of size 1 and the broadcast ones (stride 0) come back as new dims.
    expanded = False
    for d in range(t.dim()):
        if d not in real:
            steps.append(f"unsqueeze {d}")
            expanded |= sizes[d] > 1
    if expanded:
        steps.append("expand " + " ".join(map(str, sizes)))
    return steps, off + total


def apply_steps(base, steps):
    """The same views in PyTorch (the C test's rebuild, to check the steps)."""
    t = base
    for step in steps:
        word, *n = step.split()
        n = [int(v) for v in n]
        if word == "narrow":
            t = t.narrow(*n)
        elif word == "view":
            t = t.view(n)
        elif word == "select":
            t = t.select(*n)
        elif word == "transpose":
            t = t.transpose(*n)
        elif word == "unsqueeze":
            t = t.unsqueeze(*n)
        elif word == "expand":
            t = t.expand(n)
        else:
            raise ValueError(step)
    return t


HOLE = {torch.float32: float("nan"), torch.int64: -1, torch.bool: False}


def storage_of(t, length):
    """A 1-d tensor of `length` holding t's elements where t's view reaches them, and a
    hole value elsewhere (NaN for floats), so that a kernel reading outside the view shows."""
    base = torch.full((length,), HOLE[t.dtype], dtype=t.dtype)
    pos = torch.full(t.shape, t.storage_offset(), dtype=torch.int64)
    for d in range(t.dim()):
        shape = [1] * t.dim()
        shape[d] = t.shape[d]
        pos = pos + (torch.arange(t.shape[d]) * t.stride(d)).reshape(shape)
    base[pos.flatten()] = t.detach().flatten()
    return base


def same_layout(a, b):
    """Same sizes, values (NaN = NaN) and strides wherever a stride matters."""
    if a.shape != b.shape or a.storage_offset() != b.storage_offset():
        return False
    for d in range(a.dim()):
        if a.shape[d] > 1 and a.stride(d) != b.stride(d):
            return False
    return torch.equal(torch.nan_to_num(a, nan=7.0), torch.nan_to_num(b, nan=7.0)) \
        if a.dtype == torch.float32 else torch.equal(a, b)


# ---- running PyTorch ------------------------------------------------------------------------------

def float_word(v):
    v = struct.unpack("<f", struct.pack("<f", v))[0]
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v.hex()


def describe(v):
    if is_tensor(v):
        text = "T" + str(tuple(v.shape)).replace(" ", "")
        if v.dtype != torch.float32:
            text += str(v.dtype).replace("torch.", ":")
        if not v.is_contiguous():
            text += "s" + str(v.stride()).replace(" ", "")
        return text
    if isinstance(v, (list, tuple)):
        return "(" + ",".join(describe(x) for x in v) + ")"
    if isinstance(v, float):
        return float_word(v) if not math.isfinite(v) else f"{v:.6g}"
    return str(v).replace(" ", "")


def describe_sample(s):
    parts = [describe(s.input)] + [describe(a) for a in s.args]
    parts += [f"{k}={describe(v)}" for k, v in s.kwargs.items()]
    return ", ".join(parts)


def torch_error_text(e):
    text = libtorch_text(str(e)).strip()
    return text.splitlines()[0] if text else type(e).__name__


def run_torch(op, s, call, g_seed):
    """What PyTorch does with the sample: ("value", outputs, grads by input index, g's) or
    ("error", message)."""
    leaves = {}
    arg_of = {id(a.value): a for a in call.args if a.kind == "T"}

    def leaf(v):
        if is_tensor(v):
            if id(v) not in leaves:
                a = arg_of.get(id(v))
                x = v.detach()
                leaves[id(v)] = x.requires_grad_(True) if a is not None and a.grad else x
            return leaves[id(v)]
        if isinstance(v, (list, tuple)) and not isinstance(v, torch.Size):
            return type(v)(leaf(x) for x in v)
        return v

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if call.seed is not None:
                torch.manual_seed(call.seed)
            if call.torch_fn is not None:
                out = call.torch_fn(*[leaf(a.value) for a in call.args if a.kind == "T"])
            else:
                out = op.op(leaf(s.input), *leaf(list(s.args)),
                            **{k: leaf(v) for k, v in s.kwargs.items()})
        except TypeError as e:
            if "argument" in str(e) or "must be" in str(e):
                raise Skip("python_only")
            return ("error", torch_error_text(e))
        except (RuntimeError, IndexError, ValueError) as e:
            return ("error", torch_error_text(e))
    outs = list(out) if isinstance(out, tuple) else [out]
    float_outs = [o for o in outs if o.dtype == torch.float32 and o.requires_grad]
    grads, gs = {}, []
    if float_outs:
        torch.manual_seed(g_seed)  # ctorch draws the same g: torch_manual_seed, torch_randn
        gs = [torch.randn(o.shape) for o in float_outs]
        wanted = [(i, leaves[id(a.value)]) for i, a in enumerate(call.args)
                  if a.kind == "T" and a.grad]
        got = torch.autograd.grad(float_outs, [x for _, x in wanted], gs, allow_unused=True)
        grads = {i: g for (i, _), g in zip(wanted, got)}
    return ("value", [o.detach() for o in outs], grads, gs)


def scales(call, g):
    """The same call on |inputs| in float64 (and its gradients for |g|): for a sum or a
    product, the sum of |terms| behind each output and gradient element."""
    xs = [a.value.detach().abs().double().requires_grad_(a.grad) if a.kind == "T"
          and a.value.dtype == torch.float32 else a.value for a in call.args]
    f = {
        "sum": lambda x: x.sum(), "mean": lambda x: x.mean(),
        "sum_dim": lambda x, d, k: x.sum(d, keepdim=bool(k)),
        "mean_dim": lambda x, d, k: x.mean(d, keepdim=bool(k)),
        "mm": torch.mm, "matmul": torch.matmul, "addmm": torch.addmm,
        "linear": torch.nn.functional.linear,
        "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
        "where": torch.where, "masked_fill": torch.masked_fill, "expand": torch.Tensor.expand,
    }[call.name]
    out = f(*xs)
    grads = {}
    wanted = [i for i, a in enumerate(call.args) if a.kind == "T" and a.grad]
    if wanted and g is not None:
        got = torch.autograd.grad(out, [xs[i] for i in wanted], g.abs().double(),
                                  allow_unused=True)
        grads = {i: v for i, v in zip(wanted, got) if v is not None}
    return out.detach().float(), {i: v.abs().float() for i, v in grads.items()}


# ---- writing one operation ---------------------------------------------------------------------

class Stats:
    """What became of one OpInfo's samples. `kinds` counts the replayed cases by origin
    ("opinfo": PyTorch's samples, "edge": edge_samples, "inplace": the in-place variants) and
    kind ("values", "gradients", "errors", or a deliberate difference's name)."""

    def __init__(self, functions):
        self.functions = functions
        self.by_gen = collections.Counter()
        self.kinds = collections.defaultdict(collections.Counter)
        self.skipped = collections.Counter()
        self.notes = []
        self.pending = []
        self.own_wording = []

    def replayed(self, origin=None):
        origins = [origin] if origin else list(self.kinds)
        return sum(self.kinds[o][k] for o in origins for k in self.kinds[o] if k != "gradients")


def arg_words(call, fx, case, tensor_index):
    words = []
    for a in call.args:
        if a.kind == "T":
            i = tensor_index[id(a.value)]
            words.append(f"T{i}" + ("g" if a.grad else ""))
        elif a.kind == "f":
            words.append("f" + float_word(a.value))
        elif a.kind == "d":
            words.append("d" + (float_word(a.value) if not math.isfinite(a.value)
                                else a.value.hex()))
        elif a.kind == "i":
            words.append(f"i{a.value}")
        elif a.kind == "s":
            words.append("s" + a.value)
        elif a.kind == "L":
            words.append("L" + ",".join(map(str, a.value)))
    return words


def write_tensor_arg(fx, name, t):
    steps, length = rebuild_steps(t)
    if steps is None:
        fx.tensor(name, t.detach().contiguous())
        return
    base = storage_of(t, length)
    if not same_layout(apply_steps(base, steps), t):
        raise AssertionError(f"{name}: the views {steps} do not rebuild {t.stride()}")
    fx.tensor(name, base)
    fx.text(name + ".how", ";".join(steps))
    fx.tensor(name + ".stride", torch.tensor(t.stride(), dtype=torch.int64).reshape(t.dim()))
    fx.scalar(name + ".offset", t.storage_offset())


# The in-place variants of the calls (OpInfo's inplace_variant): same samples, self changed.
INPLACE = {"add": "add_", "sub": "sub_", "mul": "mul_", "mul_scalar": "mul_scalar_",
           "masked_fill": "masked_fill_"}


def inplace_of(op, s, call):
    """The sample's in-place variant (x.add_(y) for add(x, y)) as a Call and PyTorch's result,
    or None. It runs on a copy of self with self's strides; no gradients (ctorch refuses an
    in-place change of a leaf that requires grad, as PyTorch does)."""
    if call.name not in INPLACE or op.inplace_variant is None or call.args[0].value is not s.input:
        return None
    x = s.input
    steps, length = rebuild_steps(x)

    def layout_copy():  # x's values in a storage of its own, with x's strides
        return x.detach().clone() if steps is None else apply_steps(storage_of(x, length), steps)
    target = layout_copy()  # PyTorch writes into this one; the fixture stores x as it was
    inplace = Call(INPLACE[call.name], [Arg(a.kind, a.value, False) for a in call.args])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            op.inplace_variant(target, *s.args, **s.kwargs)
        except (RuntimeError, IndexError, ValueError) as e:
            return inplace, ("error", torch_error_text(e))
    return inplace, ("value", [target.detach().clone()], {}, [])


def write_case(fx, stats, lines, gen, s, call, result, g_seed, origin):
    """Writes one case: its inputs, what PyTorch did, and its line in "cases"."""
    case = f"c{len(lines)}"
    expect = call.expect
    kinds = stats.kinds[origin]
    if result[0] == "error":
        expect = "error"
        own, pending = OWN_WORDING.get(call.name), PENDING_WORDING.get(call.name)
        if own and own[0] in result[1]:
            expect = "error_any"
            stats.own_wording.append(f"{describe_sample(s)}: {own[1]}")
        if pending and pending[0] in result[1]:
            expect = "error_any"
            stats.pending.append(f"{describe_sample(s)}: {pending[1]}")
        fx.text(case + ".err", result[1])
        kinds["errors"] += 1
    elif expect != "value":
        kinds[expect] += 1
    else:
        kinds["values"] += 1
    tensor_index = {}
    for a in call.args:
        if a.kind == "T" and id(a.value) not in tensor_index:
            i = tensor_index[id(a.value)] = len(tensor_index)
            write_tensor_arg(fx, f"{case}.t{i}", a.value)
    if result[0] == "value":
        _, outs, grads, gs = result
        for k, o in enumerate(outs):
            fx.tensor(case + (".out" if k == 0 else f".out{k}"), o)
        if gs and expect == "value":
            fx.scalar(case + ".gseed", g_seed)
            for i, g in grads.items():
                if g is not None:
                    fx.tensor(f"{case}.grad{i}", g)
            kinds["gradients"] += 1
        if call.name in SCALED and expect == "value":
            scale, gscales = scales(call, gs[0] if gs else None)
            fx.tensor(case + ".scale", scale)
            for i, v in gscales.items():
                fx.tensor(f"{case}.gscale{i}", v)
        elif call.name in BROADCAST and gs and expect == "value":
            _, gscales = scales(call, gs[0])
            for i, v in gscales.items():  # a gradient summed over broadcast dims
                if v.shape != outs[0].shape:
                    fx.tensor(f"{case}.gscale{i}", v)
    words = arg_words(call, fx, case, tensor_index)
    lines.append(" ".join([case, call.name, expect] + words) + f" # {gen}: {describe_sample(s)}")


def write_op(name, op, functions, mapper):
    stats = Stats(functions)
    torch.manual_seed(op_seed(name))  # make_tensor draws from torch's stream,
    random.seed(op_seed(name))        # a few generators from Python's and numpy's
    numpy.random.seed(op_seed(name))
    samples, stats.notes = samples_of(op)
    lines = []
    path = os.path.join(OUT_DIR, name + ".txt")
    with FixtureWriter(path, GENERATOR) as fx:
        for gen, s, err in samples:
            stats.by_gen[gen] += 1
            try:
                check_supported(s, MAX_NUMEL if gen != "edge" else 2 * MAX_NUMEL)
                call = mapper(s)
                g_seed = op_seed(name) % 1000000 * 1000 + len(lines)
                result = run_torch(op, s, call, g_seed)
            except Skip as skip:
                stats.skipped[skip.reason] += 1
                continue
            if (result[0] != "error" and call.name not in MIXED_DTYPES
                    and any(a.kind == "T" and a.value.dtype != torch.float32 for a in call.args)):
                stats.skipped["dtype"] += 1  # PyTorch computes in int64; ctorch in float32
                continue
            write_case(fx, stats, lines, gen, s, call, result, g_seed,
                       "edge" if gen == "edge" else "opinfo")
            inplace = inplace_of(op, s, call) if result[0] == "value" else None
            if inplace:
                write_case(fx, stats, lines, gen, s, inplace[0], inplace[1], None, "inplace")
        fx.text("cases", "\n".join(lines) + "\n")
    return stats


# ---- the coverage table ------------------------------------------------------------------------------

def kinds_text(counts):
    """"103 values (103 gradients), 2 errors" for one origin's cases."""
    parts = []
    if counts["values"]:
        grads = f" ({counts['gradients']} with gradients)" if counts["gradients"] else ""
        parts.append(f"{counts['values']} values{grads}")
    if counts["errors"]:
        parts.append(f"{counts['errors']} errors")
    parts += [f"{n} {k}" for k, n in sorted(counts.items())
              if k not in ("values", "gradients", "errors")]
    return ", ".join(parts) or "-"


def coverage_table(all_stats):
    rows = ["| OpInfo | ctorch | samples: sample + reference + error | compared | skipped, by "
            "reason | also replayed | agree |",
            "|---|---|---|---|---|---|---|"]
    total = collections.Counter()
    for name, st in all_stats.items():
        n = st.by_gen["sample"] + st.by_gen["reference"] + st.by_gen["error"]
        gens = f"{n} = {st.by_gen['sample']} + {st.by_gen['reference']} + {st.by_gen['error']}"
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(st.skipped.items())) or "-"
        compared = st.replayed("opinfo")
        also = [f"{st.replayed(o)} {o.replace('inplace', 'in place')}"
                for o in ("edge", "inplace") if st.replayed(o)]
        rows.append(f"| `{name}` | `{st.functions}` | {gens} | {compared}: "
                    f"{kinds_text(st.kinds['opinfo'])} | {skipped} | {', '.join(also) or '-'} "
                    f"| all {st.replayed()} |")
        total["samples"] += n
        total["compared"] += compared
        total["skipped"] += sum(st.skipped.values())
        total["edge"] += st.replayed("edge")
        total["inplace"] += st.replayed("inplace")
        total["replayed"] += st.replayed()
        for o in st.kinds:
            for k, v in st.kinds[o].items():
                total[f"{o}.{k}"] += v
    rows.append(f"| **{len(all_stats)} OpInfos** | | **{total['samples']}** | "
                f"**{total['compared']}** | **{total['skipped']}** | **{total['edge']} edge, "
                f"{total['inplace']} in place** | **all {total['replayed']}** |")
    return rows, total


def write_docs(all_stats):
    rows, total = coverage_table(all_stats)
    reasons = collections.Counter()
    for st in all_stats.values():
        reasons.update(st.skipped)
    text = ["<!-- opinfo:begin (written by tools/gen_opinfo_fixtures.py) -->", ""] + rows + [""]
    text.append(f"Of PyTorch's {total['samples']} samples, {total['compared']} are replayed "
                f"({total['opinfo.values']} values, {total['opinfo.gradients']} of them with "
                f"their gradients, {total['opinfo.errors']} errors, "
                f"{total['compared'] - total['opinfo.values'] - total['opinfo.errors']} "
                f"deliberate differences), and {total['skipped']} skipped. Besides them, "
                f"{total['edge']} edge samples and {total['inplace']} in-place variants of the "
                f"samples (`add_`, `sub_`, `mul_`, `mul_scalar_`, `masked_fill_` on a copy of "
                f"the input with its strides). `test_opinfo` fails on any disagreement, so a "
                f"passing run means \"agree: all\". The reasons for skipping:")
    text.append("")
    for reason, n in reasons.most_common():
        text.append(f"- `{reason}` ({n}): {REASONS[reason]}")
    differs = collections.Counter()
    for st in all_stats.values():
        for counts in st.kinds.values():
            differs.update({k: v for k, v in counts.items() if k in DIFFERENCES})
    if differs:
        text += ["", "Deliberate differences (each replayed: ctorch must do what it promises "
                     "instead):", ""]
        text += [f"- `{k}` ({n}): {DIFFERENCES[k]}" for k, n in sorted(differs.items())]
    own = [f"- `{name}` ({p})" for name, st in all_stats.items() for p in st.own_wording]
    if own:
        text += ["", "Errors ctorch raises in its own words (replayed as `error_any`: ctorch "
                     "must raise):", ""] + own
    pending = [f"- `{name}` ({p})" for name, st in all_stats.items() for p in st.pending]
    if pending:
        text += ["", "Errors ctorch raises in its own words until a fix pending in the kernel "
                     "lands (replayed as `error_any` until then):", ""] + pending
    notes = [f"- `{name}`: {note}" for name, st in all_stats.items() for note in st.notes]
    if notes:
        text += ["", "Generators that fail in PyTorch 1.13 itself (what they made before is "
                     "replayed):", ""] + notes
    text += ["", "<!-- opinfo:end -->"]
    with open(RELIABILITY, encoding="utf-8") as f:
        doc = f.read()
    block = "\n".join(text)
    new, n = re.subn(r"<!-- opinfo:begin.*?<!-- opinfo:end -->", lambda m: block, doc,
                     flags=re.S)
    if n != 1:
        raise SystemExit(f"{RELIABILITY} has no <!-- opinfo:begin --> ... <!-- opinfo:end -->")
    with open(RELIABILITY, "w", encoding="utf-8") as f:
        f.write(new)
    return total


def main():
    torch.set_num_threads(1)
    db = {o.name + ("." + o.variant_test_name if o.variant_test_name else ""): o
          for o in load_op_db()}
    os.makedirs(OUT_DIR, exist_ok=True)
    all_stats = collections.OrderedDict()
    for name, (functions, mapper) in OPS.items():
        all_stats[name] = write_op(name, db[name], functions, mapper)
    with FixtureWriter(os.path.join(OUT_DIR, "index.txt"), GENERATOR) as fx:
        fx.text("ops", "\n".join(OPS) + "\n")
        for name, st in all_stats.items():
            fx.scalar(f"{name}.cases", st.replayed())
            fx.scalar(f"{name}.from_opinfo", st.replayed("opinfo"))
    total = write_docs(all_stats)
    print(f"wrote {OUT_DIR}: {len(OPS)} OpInfos, {total['samples']} samples, "
          f"{total['compared']} replayed, {total['skipped']} skipped; {total['edge']} edge "
          f"samples, {total['inplace']} in-place variants")


if __name__ == "__main__":
    main()

"""The chapters mirrored in PyTorch, for every script in tools/ that runs torch.

One copy of what the fixture generators and the benchmark share:
  - the chapters' data line and model (make_data, chapter_data, chapter_model), so that every
    generator draws exactly what stage N's train.c draws;
  - libtorch's error text (libtorch_text, error_of), as R torch and ctorch show it;
  - the operand names of the elementwise and reduction fixtures ("name@T" is a transposed
    view, "name@s2" every other element of the last dim): view_of;
  - PyTorch's own operator database (load_op_db), for tools/gen_opinfo_fixtures.py.

Import it after sys.path holds tools/ (every generator does that first). Runs under Debian's
python3-torch (/usr/bin/python3).
"""
import os
import random
import sys
import types

import torch

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")

# ---- the chapters' network and data ---------------------------------------------------------

D_IN, D_OUT, N, D_HIDDEN, EPOCHS = 3, 1, 100, 32, 200


def chapter_data(n=N, d_in=D_IN):
    """The chapters' data line, drawn from the current random stream: x, then y from x's
    first three columns plus noise (every stage's train.c draws exactly this)."""
    x = torch.randn(n, d_in)
    y = x[:, 0:1] * 0.2 - x[:, 1:2] * 1.3 - x[:, 2:3] * 0.5 + torch.randn(n, 1)
    return x, y


def make_data(seed, n=N, d_in=D_IN):
    """chapter_data right after torch.manual_seed(seed), as the programs start."""
    torch.manual_seed(seed)
    return chapter_data(n, d_in)


def chapter_model(d_in=D_IN, hidden=D_HIDDEN, d_out=D_OUT):
    """Chapters 3 and 4's model: nn_sequential(nn_linear, nn_relu, nn_linear)."""
    return torch.nn.Sequential(torch.nn.Linear(d_in, hidden), torch.nn.ReLU(),
                               torch.nn.Linear(hidden, d_out))


# ---- libtorch's error messages --------------------------------------------------------------

def libtorch_text(msg):
    """Python rewrites libtorch's type names ("CPUFloatType" -> "torch.FloatTensor") in error
    messages; R torch and C++ show libtorch's own text, which ctorch copies."""
    return msg.replace("torch.FloatTensor", "CPUFloatType")


def error_of(fn):
    """The libtorch message of the error fn() raises (it must raise)."""
    try:
        fn()
    except (RuntimeError, IndexError, ValueError) as e:
        return libtorch_text(str(e))
    raise AssertionError("expected an error")


# ---- operand names: "name", "name@T", "name@s2" ----------------------------------------------

def view_of(tensors, ref):
    """The operand a fixture line names: tensors[name], its 2-d transpose (name@T) or every
    other element of its last dim (name@s2), the views the C tests build the same way."""
    name, _, kind = ref.partition("@")
    base = tensors[name]
    if kind == "":
        return base
    if kind == "T":
        return base.t()
    if kind == "s2":
        return base[..., ::2]
    raise ValueError(f"unknown view {ref!r}")


# ---- PyTorch's operator database --------------------------------------------------------------

class _Random310:
    """Python's random module as 3.10 had it: random.sample of a set samples tuple(set).
    (1.13's cross_entropy samples call it on a set, which Python 3.11 refuses.)"""

    def __getattr__(self, name):
        return getattr(random, name)

    @staticmethod
    def sample(population, k, **kwargs):
        if isinstance(population, (set, frozenset)):
            population = tuple(population)
        return random.sample(population, k, **kwargs)


def load_op_db():
    """torch.testing._internal.common_methods_invocations.op_db: every operator's OpInfo.
    The module imports expecttest (a test-only package Debian does not ship) for two names
    it never uses here, so a stand-in module is enough."""
    if "expecttest" not in sys.modules:
        stub = types.ModuleType("expecttest")
        stub.ACCEPT = False
        stub.TestCase = type("TestCase", (), {})
        sys.modules["expecttest"] = stub
    from torch.testing._internal import common_methods_invocations
    common_methods_invocations.random = _Random310()
    return common_methods_invocations.op_db

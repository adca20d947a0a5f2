#!/usr/bin/python3
"""Golden values for common/random.c: libtorch's random numbers, bit for bit.

Run from the repository root with Debian's torch 1.13:
    /usr/bin/python3 tools/gen_random_fixtures.py
Writes tests/fixtures/random.txt.

Each case is a tiny program in a text record "case.<name>", one statement a line:
    seed <uint64>                                   torch.manual_seed
    rand <shape> -> <out>                           torch.rand(shape)
    randn <shape> -> <out>                          torch.randn(shape)
    randint <low> <high> <shape> -> <out>           torch.randint(low, high, shape) (int64)
    randperm <n> -> <out>                           torch.randperm(n) (int64)
    uniform_ <from> <to> <shape> -> <out>           torch.empty(shape).uniform_(from, to)
    normal_ <mean> <std> <shape> -> <out>           torch.empty(shape).normal_(mean, std)
    uniform_strided <from> <to> <base> <size> <stride> <offset> -> <out>
    normal_strided <mean> <std> <base> <size> <stride> <offset> -> <out>
        the same on torch.empty(base).as_strided(size, stride, offset), a view that is not
        contiguous (libtorch then fills it in memory order, and normal_ takes its scalar path)
    initial_seed -> <out>                           torch.initial_seed(), as decimal text
A shape is written [100,3] ([] is a 0-dim tensor). Every <out> is stored as a tensor (or text)
record of that name; tests/common/test_random.c runs the same program and compares bits.
The text record "cases" lists the case names, one a line.

The bulk checks are too big to store value by value. For each, the file holds the count and
a 64-bit checksum of the float32 bit patterns, computed the same way in the C test:
    mixsum64 = sum over i of mix(bits[i] | (i << 32))  (mod 2^64)
with mix the splitmix64 finalizer, a bijection, so any changed or moved value changes it.
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # for tools/fixtures.py
from fixtures import FixtureWriter  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "tests", "fixtures", "random.txt"))

SEEDS = [0, 1, 42, 123456789, 2**32 + 5, 2**63 + 7]
SHAPES = ["[1]", "[3]", "[15]", "[16]", "[17]", "[31]", "[32]", "[100]", "[300]", "[1000]",
          "[]", "[4,5]", "[2,3,4]"]
BULK_N = 1_000_003          # not a multiple of 16: exercises the tail rule too
BULK_SEEDS = [0, 1, 42, 123456789]


def parse_shape(tok):
    assert tok[0] == "[" and tok[-1] == "]", tok
    inner = tok[1:-1]
    return [int(v) for v in inner.split(",")] if inner else []


def run_program(text):
    """Runs one case program in torch; returns [(out_name, value)] in order."""
    outs = []
    for line in text.strip().splitlines():
        words = line.split()
        if words[0] == "seed":
            torch.manual_seed(int(words[1]))
            continue
        assert words[-2] == "->", line
        name, op, a = words[-1], words[0], words[1:-2]
        if op == "rand":
            v = torch.rand(parse_shape(a[0]))
        elif op == "randn":
            v = torch.randn(parse_shape(a[0]))
        elif op == "randint":
            v = torch.randint(int(a[0]), int(a[1]), parse_shape(a[2]))
        elif op == "randperm":
            v = torch.randperm(int(a[0]))
        elif op == "uniform_":
            v = torch.empty(parse_shape(a[2])).uniform_(float(a[0]), float(a[1]))
        elif op == "normal_":
            v = torch.empty(parse_shape(a[2])).normal_(float(a[0]), float(a[1]))
        elif op in ("uniform_strided", "normal_strided"):
            base = torch.empty(int(a[2]))
            view = base.as_strided(parse_shape(a[3]), parse_shape(a[4]), int(a[5]))
            assert not view.is_contiguous(), line
            if op == "uniform_strided":
                view.uniform_(float(a[0]), float(a[1]))
            else:
                view.normal_(float(a[0]), float(a[1]))
            v = view
        elif op == "initial_seed":
            v = str(torch.initial_seed())
        else:
            raise ValueError(line)
        assert v is not None
        if isinstance(v, torch.Tensor):
            assert v.dtype == (torch.int64 if op in ("randint", "randperm") else torch.float32)
        outs.append((name, v))
    return outs


def cases():
    """(name, program) pairs. Output names are unique across the file."""
    out = []

    # The seed x shape matrix: rand and randn for every seed and shape (both randn paths, the
    # tail rule at 17 / 31 / 100 / 300 / 1000), uniform_ and normal_ with non-trivial bounds.
    for si, s in enumerate(SEEDS):
        lines = [f"seed {s}"]
        for op, args in [("rand", ""), ("randn", ""), ("uniform_", "-2 3 "), ("normal_", "0.5 2 ")]:
            if op in ("uniform_", "normal_") and si % 2 == 1:
                continue  # half the seeds are enough for the scaled versions; keeps the file small
            for shape in SHAPES:
                tag = shape.strip("[]").replace(",", "x") or "0d"
                # A fresh seed before each tensor, so each result stands alone.
                lines.append(f"seed {s}")
                lines.append(f"{op} {args}{shape} -> m.s{si}.{op.rstrip('_')}.{tag}")
        out.append((f"matrix_seed{si}", "\n".join(lines)))

    def add(name, *statements):
        out.append((name, "\n".join(statements)))

    # Seeds that must give the same stream: only the low 32 bits seed the state.
    add("seed_low32", "seed 5", "randn [20] -> low32.a", "seed 4294967301", "randn [20] -> low32.b",
        "seed 5", "rand [5] -> low32.c", "seed 4294967301", "rand [5] -> low32.d")
    add("initial_seed", "seed 9223372036854775815", "initial_seed -> iseed.big",
        "seed 4294967301", "initial_seed -> iseed.low32", "seed 0", "initial_seed -> iseed.zero")

    # The tutorial's data, used by other suites too.
    add("seed42_randn_100x3", "seed 42", "randn [100,3] -> seed42_randn_100x3")
    add("tutorial_data", "seed 1", "randn [100,3] -> tut.x", "randn [100,1] -> tut.noise",
        "randn [3,32] -> tut.w1", "randn [32,1] -> tut.w2")

    # The cached second normal sample: shared between small calls, untouched by the block path,
    # cleared by manual_seed, and holding the standard normal (each call applies mean/std).
    add("seq_cache_across_block", "seed 7", "randn [5] -> seq1.a", "randn [20] -> seq1.b",
        "randn [1] -> seq1.c")
    add("seq_cache_3_3", "seed 11", "randn [3] -> seq2.a", "randn [3] -> seq2.b",
        "randn [1] -> seq2.c")
    add("seq_cache_cleared_by_seed", "seed 11", "randn [3] -> seq3.a", "seed 11",
        "randn [1] -> seq3.b")
    add("seq_cache_mean_std", "seed 13", "normal_ 10 3 [1] -> seq4.a",
        "normal_ -1 0.25 [1] -> seq4.b", "normal_ 0.1 0.3 [3] -> seq4.c", "randn [1] -> seq4.d")
    add("seq_cache_uniform_between", "seed 17", "randn [1] -> seq5.a", "rand [4] -> seq5.b",
        "randn [1] -> seq5.c", "randint 0 10 [3] -> seq5.d", "randn [2] -> seq5.e")
    add("seq_mixed_stream", "seed 123", "rand [7] -> seq6.a", "randn [33] -> seq6.b",
        "randn [2] -> seq6.c", "uniform_ -1 1 [16] -> seq6.d", "randperm 10 -> seq6.e",
        "randint -5 5 [4] -> seq6.f", "normal_ 0 1 [48] -> seq6.g", "randn [1] -> seq6.h")
    add("seq_reseed_midstream", "seed 3", "randn [10] -> seq7.a", "randn [40] -> seq7.b",
        "seed 3", "randn [10] -> seq7.c", "seed 99", "randn [40] -> seq7.d", "rand [3] -> seq7.e")

    # Non-contiguous views: libtorch fills them in memory order (TensorIterator sorts the dims
    # by stride); normal_ takes its scalar path even when numel >= 16.
    out.append(("strided", "\n".join([
        "seed 21",
        "normal_strided 0 1 12 [4,3] [1,4] 0 -> str.t4x3",          # a transposed 3x4
        "normal_strided 0.5 2 60 [6,10] [1,6] 0 -> str.t6x10",      # transposed, numel 60
        "uniform_strided -2 3 60 [6,10] [1,6] 0 -> str.u6x10",
        "normal_strided 0 1 24 [4,2,3] [1,12,4] 0 -> str.p3d",      # a permuted 3-d
        "uniform_strided 0 1 24 [4,2,3] [1,12,4] 0 -> str.u3d",
        "normal_strided 0 1 40 [4,5] [10,2] 1 -> str.slice",        # every other column
        "uniform_strided 0 1 40 [4,5] [10,2] 1 -> str.uslice",
        "normal_strided 0.1 0.3 40 [20] [2] 0 -> str.step2",        # a strided 1-d, numel 20
        "normal_strided 0 1 200 [5,4,2] [2,50,1] 0 -> str.mixed",
        "randn [1] -> str.after",
    ])))

    # randint: ranges below and above 2^32 (random() vs random64()), negative low.
    out.append(("randint", "\n".join([
        "seed 0", "randint 0 10 [20] -> ri.r10",
        "randint 0 1000008 [20] -> ri.r1000008",
        "randint 0 8589934592 [20] -> ri.r2p33",
        "randint -7 3 [4,5] -> ri.neg",
        "randint -1000000 1000008 [10] -> ri.neg2",
        "randint -8589934592 0 [10] -> ri.neg2p33",
        "randint 4294967295 4294967296 [3] -> ri.one",
        "randint 0 4294967295 [10] -> ri.below2p32",
        "randint 0 4294967296 [10] -> ri.at2p32",
        "randint -4611686018427387904 4611686018427387904 [10] -> ri.huge",
        "randint -9223372036854775808 9223372036854775807 [10] -> ri.full",
        "randint 0 10 [] -> ri.scalar",
        "seed 42", "randint 0 10 [3,4] -> ri.seed42",
    ])))
    out.append(("randperm", "\n".join([
        "seed 0", "randperm 1 -> rp.1", "randperm 10 -> rp.10", "randperm 1000 -> rp.1000",
        "randperm 0 -> rp.0", "randperm 2 -> rp.2", "seed 42", "randperm 10 -> rp.s42",
    ])))
    # A moderate bulk stored value by value (with everything else the file stays < 1 MB).
    add("bulk_values", "seed 2024", "randn [20000] -> bulk.randn",
        "uniform_ -2 3 [20000] -> bulk.uniform")
    return out


def mixsum64(t):
    """The checksum described at the top, over a float32 tensor's bit patterns."""
    bits = t.contiguous().view(torch.int32).numpy().view(np.uint32).astype(np.uint64)
    idx = np.arange(bits.size, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = bits | (idx << np.uint64(32))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
        return int(z.sum(dtype=np.uint64))


def main():
    verified = 0
    with FixtureWriter(OUT, "tools/gen_random_fixtures.py") as w:
        names = []
        for name, program in cases():
            w.text(f"case.{name}", program.strip() + "\n")
            names.append(name)
            for out, v in run_program(program):
                if isinstance(v, str):
                    w.text(out, v)
                    verified += 1
                else:
                    w.tensor(out, v)
                    verified += v.numel()
        w.text("cases", "\n".join(names) + "\n")
        # Bulk runs: seed, then randn(BULK_N), then uniform_(-2, 3) on empty(BULK_N).
        w.scalar("bulk_n", BULK_N)
        for s in BULK_SEEDS:
            torch.manual_seed(s)
            a = torch.randn(BULK_N)
            b = torch.empty(BULK_N).uniform_(-2, 3)
            w.text(f"bulk.seed{s}.randn", str(mixsum64(a)))
            w.text(f"bulk.seed{s}.uniform", str(mixsum64(b)))
            w.tensor(f"bulk.seed{s}.randn_tail", a[-32:])   # to show where a mismatch is
            verified += 2 * BULK_N
    print(f"wrote {OUT}: {os.path.getsize(OUT)} bytes, {verified} values")


if __name__ == "__main__":
    main()

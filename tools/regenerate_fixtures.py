#!/usr/bin/python3
"""Regenerates every fixture the tests read, with the generators in tools/.

    /usr/bin/python3 tools/regenerate_fixtures.py           # write them all
    /usr/bin/python3 tools/regenerate_fixtures.py --check   # then fail if any file changed

Run it with Debian's python3 (python3-torch); from anywhere. The generators run one after the
other, each in a process of its own, in the environment that makes their output the committed
bytes on any x86-64 machine:

  - one thread (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS), so no sum is split between threads;
  - the reference BLAS and LAPACK (Debian's libblas3 and liblapack3, put first on
    LD_LIBRARY_PATH): torch's matrix products go through whichever libblas.so.3 the system
    chose, and OpenBLAS sums in an order of its own, which depends on the CPU; the reference
    BLAS sums in plain loops, the same everywhere.

Two generators need tools that may be missing: gen_print_fixtures.sh (libtorch-dev and g++)
and gen_rformat_fixtures.R (R); a student copy has no gen_grading_fixtures.py. Their fixtures
are then left as they are, and this says so. --check compares the files under tests/fixtures/ and tests/hidden/hidden.txt with git's
index (git diff --exit-code) and fails if any changed.
"""
import argparse
import os
import shutil
import subprocess
import sys

TOOLS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TOOLS)
PYTHON = "/usr/bin/python3"
REFERENCE_BLAS = ["/usr/lib/x86_64-linux-gnu/blas", "/usr/lib/x86_64-linux-gnu/lapack"]

# In order: each generator writes the files named beside it.
GENERATORS = [
    ("gen_random_fixtures.py", "random.txt"),
    ("gen_elementwise_fixtures.py", "elementwise.txt"),
    ("gen_reduce_fixtures.py", "reduce.txt"),
    ("gen_views_fixtures.py", "views.txt"),
    ("gen_linalg_fixtures.py", "linalg.txt"),
    ("gen_train_fixtures.py", "train.txt"),
    ("gen_autograd_fixtures.py", "autograd.txt"),
    ("gen_stage3_fixtures.py", "stage3.txt"),
    ("gen_stage4_fixtures.py", "stage4_losses.txt, stage4_optim.txt, stage4_train.txt"),
    ("gen_grading_fixtures.py", "grading.txt, tests/hidden/hidden.txt"),
    ("gen_opinfo_fixtures.py", "opinfo/*.txt, the table in docs/reliability.md"),
    ("gen_print_fixtures.sh", "print.txt"),
    ("gen_rformat_fixtures.R", "rformat.tsv"),
]


def environment():
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    blas = [d for d in REFERENCE_BLAS if os.path.exists(os.path.join(d, "libblas.so.3"))
            or os.path.exists(os.path.join(d, "liblapack.so.3"))]
    if len(blas) < len(REFERENCE_BLAS):
        print("warning: the reference BLAS/LAPACK (libblas3, liblapack3) is missing: matrix "
              "products may differ in their last bits", file=sys.stderr)
    env["LD_LIBRARY_PATH"] = ":".join(blas + [p for p in [env.get("LD_LIBRARY_PATH")] if p])
    return env


def command_of(script):
    """The command that runs a generator, or the reason it cannot run here."""
    path = os.path.join(TOOLS, script)
    if not os.path.exists(path):
        return None, "not in this copy: instructors only"
    if script.endswith(".py"):
        return [PYTHON, path], None
    if script.endswith(".sh"):
        if not (shutil.which("g++") and os.path.isdir("/usr/include/torch")):
            return None, "needs libtorch-dev and g++"
        return ["sh", path], None
    if not shutil.which("Rscript"):
        return None, "needs R (Rscript)"
    return ["Rscript", path], None


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--check", action="store_true",
                   help="fail if a regenerated fixture differs from git's index")
    args = p.parse_args()
    env = environment()
    for script, writes in GENERATORS:
        cmd, missing = command_of(script)
        if missing:
            print(f"{script}: not run ({missing}); {writes} left as committed")
            continue
        print(f"{script} -> {writes}", flush=True)
        done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        if done.returncode != 0:
            sys.exit(f"{script} failed with status {done.returncode}")
    if args.check:
        paths = ["tests/fixtures", "tests/hidden/hidden.txt", "docs/reliability.md"]
        paths = [q for q in paths if os.path.exists(os.path.join(ROOT, q))]
        diff = subprocess.run(["git", "diff", "--stat", "--exit-code", "--"] + paths, cwd=ROOT)
        untracked = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", "--"]
                                   + paths, cwd=ROOT, capture_output=True, text=True).stdout
        if untracked:
            print("new files:\n" + untracked, end="")
        if diff.returncode != 0 or untracked:
            sys.exit("the regenerated fixtures differ from the committed ones")
        print("every regenerated fixture is the committed one, byte for byte")


if __name__ == "__main__":
    main()

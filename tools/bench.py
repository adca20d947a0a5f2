#!/usr/bin/env python3
"""./course bench: ctorch against PyTorch, side by side, on this machine.

    python3 tools/bench.py --build BUILD [--reference-build RBUILD] [--quick] [--no-torch]
                           [--threads 1,2]

Runs, for ctorch (BUILD/bench/bench_ops and the four stage programs) and, when Debian's
python3-torch is installed (/usr/bin/python3 -c 'import torch'), for PyTorch
(tools/bench_torch.py):
  - matrix products: GFLOPS by size, at each thread count;
  - the cost of small ops (a one-element add, tutorial-size ops);
  - one epoch of each stage's loop at the tutorial size (n 100, d_in 3, hidden 32, 1 thread)
    and at a scaled size (n 4096, d_in 512, hidden 2048) at each thread count;
  - memory: chapter 4's loop over 20,000 epochs (tutorial size) and a few at the scaled
    size: the bytes of tensors alive at the peak, the process's peak resident memory, and
    the buffers obtained from the system after epoch 2 and at the end.
With --reference-build (a build with -Dkernels=reference: the code the chapters teach, see
common/backend.h), the same measures of that build stand beside the fast one's: products up
to 512, the small ops, every stage's tutorial-size epoch, and chapter 4's scaled epoch at 1
thread (the full run only: its naive products take half a minute an epoch).
Writes BUILD/bench/{mm,overhead,epochs,memory}.csv, draws BUILD/bench/mm.png and
BUILD/bench/epochs.png with gnuplot (tools/bench.gp), and prints the tables with ratios.

A stage program's time per epoch leaves out its start-up: (time of an E-epoch run - time of
a 1-epoch run) / (E - 1), each time the best of a few runs, ctorch's and PyTorch's runs taking
turns. Every timing is wall-clock and the best of several: on a machine where something else
is running, the best run is the least disturbed.
Standard library only (the torch side runs in its own process).
"""
import argparse
import csv
import io
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STAGES = ["stage1_tensors", "stage2_autograd", "stage3_modules", "stage4_losses_optim"]
TORCH_PYTHON = "/usr/bin/python3"
TUTORIAL = {"n": 100, "d_in": 3, "hidden": 32}
SCALED = {"n": 4096, "d_in": 512, "hidden": 2048}


def parse():
    p = argparse.ArgumentParser(description="ctorch against PyTorch (./course bench)")
    p.add_argument("--build", default="build")
    p.add_argument("--quick", action="store_true",
                   help="fewer sizes and epochs (about a minute; less precise)")
    p.add_argument("--no-torch", action="store_true", help="ctorch only")
    p.add_argument("--reference-build", default=None,
                   help="a build with -Dkernels=reference, measured beside BUILD")
    p.add_argument("--threads", default=None,
                   help="thread counts for the large runs, e.g. 1,2 (default: 1 and every core)")
    return p.parse_args()


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, env=None):
    """Runs cmd; returns its stdout (stops the bench if it fails)."""
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
    return r.stdout


def rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def have_torch():
    if os.environ.get("CTORCH_BENCH_NO_TORCH"):
        return False
    if not os.path.exists(TORCH_PYTHON):
        return False
    r = subprocess.run([TORCH_PYTHON, "-c", "import torch"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return r.returncode == 0


def torch_cmd(threads, *args):
    return [TORCH_PYTHON, os.path.join(ROOT, "tools", "bench_torch.py"), "--threads",
            str(threads), *[str(a) for a in args]]


def seconds(cmd):
    t = time.perf_counter()
    run(cmd)
    return time.perf_counter() - t


def stage_args(build, stage, size, threads):
    """The command line of a stage program at this size, without --epochs."""
    prog = os.path.join(build, STAGES[stage - 1], "train")
    args = [prog, "--n", size["n"], "--d-in", size["d_in"], "--hidden", size["hidden"],
            "--threads", threads, "--every", 0]
    if size is SCALED and stage < 4:
        args += ["--lr", "1e-9"]  # the SGD stages diverge at this size with lr 1e-4
    return [str(a) for a in args]


def reference_epoch(rbuild, stage, size, threads, epochs, rounds):
    """Seconds per epoch of a stage in the reference build, as stage_epochs measures ctorch's
    (NaN without a reference build)."""
    if not rbuild:
        return float("nan")
    args = stage_args(rbuild, stage, size, threads)
    ones = [seconds(args + ["--epochs", "1"]) for _ in range(rounds)]
    manys = [seconds(args + ["--epochs", str(epochs)]) for _ in range(rounds)]
    return max((min(manys) - min(ones)) / (epochs - 1), 0.0)


def stage_epochs(build, stage, size, threads, epochs, torch_epochs, rounds, torch_ok):
    """Seconds per epoch of a stage, ctorch's and PyTorch's (NaN without torch), start-up left
    out. The two sides take turns, round after round, so that a slow spell of the machine
    (seconds long on a virtual machine) falls on both; each keeps its best runs. ctorch's
    epoch is (best E-epoch run - best 1-epoch run) / (E - 1): a disturbed 1-epoch run cannot
    make the E-epoch run look faster than it was."""
    args = stage_args(build, stage, size, threads)
    ones, manys, theirs = [], [], []
    extra = ["--lr", "1e-9"] if size is SCALED and stage < 4 else []
    for _ in range(rounds):
        ones.append(seconds(args + ["--epochs", "1"]))
        manys.append(seconds(args + ["--epochs", str(epochs)]))
        if torch_ok:
            r = rows(run(torch_cmd(threads, "stage", stage, "--n", size["n"], "--d-in",
                                   size["d_in"], "--hidden", size["hidden"], "--epochs",
                                   torch_epochs, "--repeat", 1, *extra)))[0]
            theirs.append(float(r["seconds_per_epoch"]))
    mine = max((min(manys) - min(ones)) / (epochs - 1), 0.0)
    return mine, min(theirs) if theirs else float("nan")


def fmt_time(s):
    if s != s:  # NaN
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.1f} us"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.3f} s"


def ratio(a, b):
    return a / b if a == a and b == b and b > 0 else float("nan")


def table(header, lines):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines)]
    out = ["  ".join(str(x).rjust(w) for x, w in zip(header, widths))]
    out += ["  ".join(str(x).rjust(w) for x, w in zip(line, widths)) for line in lines]
    return "\n".join(out)


def write_csv(path, header, lines):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(lines)


def main():
    args = parse()
    build = os.path.abspath(args.build)
    rbuild = os.path.abspath(args.reference_build) if args.reference_build else None
    out = os.path.join(build, "bench")
    os.makedirs(out, exist_ok=True)
    bench_ops = os.path.join(build, "bench", "bench_ops")
    if not os.path.exists(bench_ops):
        sys.exit(f"bench: {bench_ops} is missing; build first (./course bench does)")
    cores = os.cpu_count() or 1
    threads = [int(t) for t in args.threads.split(",")] if args.threads else \
        sorted({1, cores})
    torch_ok = not args.no_torch and have_torch()
    if not torch_ok and not args.no_torch:
        log("bench: PyTorch not found (/usr/bin/python3 -c 'import torch'); ctorch only. "
            "Install it with: apt-get install python3-torch")
    sizes = [64, 256, 1024] if args.quick else [64, 128, 256, 512, 1024, 2048]
    tut_epochs, torch_tut_epochs = (5000, 300) if args.quick else (20000, 2000)
    scaled_epochs = 3 if args.quick else 6
    repeat = 3 if args.quick else 8
    start = time.perf_counter()

    # ---- matrix products ----------------------------------------------------------------
    mm_lines = []
    def best_rows(old, new):  # the faster run of each size
        for r in new:
            if r["size"] not in old or float(r["gflops"]) > float(old[r["size"]]["gflops"]):
                old[r["size"]] = r
        return old

    ref_mm = {}  # the reference build's products, 1 thread (it runs on one)
    if rbuild:
        log("bench: mm GFLOPS, reference kernels")
        ref_mm = {r["size"]: r for r in rows(run(
            [os.path.join(rbuild, "bench", "bench_ops"), "mm", "--threads", "1"] +
            [str(s) for s in sizes if s <= 512]))}
    for t in threads:
        mine, theirs = {}, {}
        # two rounds, ctorch and PyTorch in turn: a moment when something else runs on the
        # machine then disturbs both sides, and the best of the two rounds is kept
        for rnd in range(1 if args.quick else 2):
            log(f"bench: mm GFLOPS, {t} thread(s), round {rnd + 1}")
            best_rows(mine, rows(run([bench_ops, "mm", "--threads", str(t)] +
                                     [str(s) for s in sizes])))
            if torch_ok:
                best_rows(theirs, rows(run(torch_cmd(t, "mm", *sizes))))
        for s in sizes:
            m = mine[str(s)]
            g = float(m["gflops"])
            tg = float(theirs[str(s)]["gflops"]) if str(s) in theirs else float("nan")
            rg = float(ref_mm[str(s)]["gflops"]) if t == 1 and str(s) in ref_mm else float("nan")
            mm_lines.append([s, t, m["isa"], f"{g:.2f}", f"{tg:.2f}", f"{ratio(g, tg):.2f}",
                             f"{rg:.2f}"])
    mm_header = ["size", "threads", "ctorch_isa", "ctorch_gflops", "torch_gflops",
                 "ctorch_over_torch", "reference_gflops"]
    write_csv(os.path.join(out, "mm.csv"), mm_header, mm_lines)

    # ---- small ops ----------------------------------------------------------------------
    log("bench: per-op cost")
    mine = rows(run([bench_ops, "overhead"]))
    theirs = {r["op"]: r for r in rows(run(torch_cmd(1, "overhead")))} if torch_ok else {}
    ref_ov = {r["op"]: r for r in rows(run([os.path.join(rbuild, "bench", "bench_ops"),
                                             "overhead"]))} if rbuild else {}
    ov_lines = []
    for r in mine:
        c = float(r["ns_per_op"])
        p = float(theirs[r["op"]]["ns_per_op"]) if r["op"] in theirs else float("nan")
        rc = float(ref_ov[r["op"]]["ns_per_op"]) if r["op"] in ref_ov else float("nan")
        ov_lines.append([r["op"], f"{c:.1f}", f"{p:.1f}", f"{ratio(p, c):.1f}", f"{rc:.1f}"])
    ov_header = ["op", "ctorch_ns", "torch_ns", "torch_over_ctorch", "reference_ns"]
    write_csv(os.path.join(out, "overhead.csv"), ov_header, ov_lines)

    # ---- epochs -------------------------------------------------------------------------
    ep_lines = []
    runs = [("tutorial", TUTORIAL, 1, tut_epochs, torch_tut_epochs)]
    runs += [("scaled", SCALED, t, scaled_epochs, scaled_epochs - 1) for t in threads]
    for name, size, t, epochs, t_epochs in runs:
        for k in range(1, 5):
            log(f"bench: stage {k} epoch, {name} size, {t} thread(s)")
            rounds = repeat if name == "tutorial" else (1 if args.quick else 4)
            mine_s, theirs_s = stage_epochs(build, k, size, t, epochs, t_epochs, rounds,
                                            torch_ok)
            ref_s = float("nan")
            if name == "tutorial":
                ref_s = reference_epoch(rbuild, k, size, t, epochs // 10, 3)
            elif k == 4 and t == 1 and not args.quick:
                log("bench: stage 4 epoch, scaled size, reference kernels (about 2 minutes)")
                ref_s = reference_epoch(rbuild, k, size, t, 2, 1)
            ep_lines.append([name, k, size["n"], size["d_in"], size["hidden"], t,
                             f"{mine_s:.9g}", f"{theirs_s:.9g}",
                             f"{ratio(theirs_s, mine_s):.2f}", f"{ref_s:.9g}"])
    ep_header = ["size", "stage", "n", "d_in", "hidden", "threads", "ctorch_seconds",
                 "torch_seconds", "torch_over_ctorch", "reference_seconds"]
    write_csv(os.path.join(out, "epochs.csv"), ep_header, ep_lines)

    # ---- memory -------------------------------------------------------------------------
    mem_lines = []
    for name, size, epochs in [("tutorial", TUTORIAL, 20000), ("scaled", SCALED, 4)]:
        log(f"bench: memory, chapter 4's loop, {name} size, {epochs} epochs")
        r = {x["name"]: x["value"] for x in rows(run(
            [bench_ops, "train", "--n", str(size["n"]), "--d-in", str(size["d_in"]),
             "--hidden", str(size["hidden"]), "--epochs", str(epochs), "--threads", "1"]))}
        peak_t, rss = int(r["peak_tensor_bytes"]), int(r["peak_rss_bytes"])
        needed = int(r["needed_bytes"])
        mem_lines.append([name, epochs, needed, peak_t, f"{peak_t / needed:.2f}", rss,
                          f"{rss / needed:.2f}",
                          r["mallocs_after_epoch_2"], r["mallocs_at_end"],
                          r["live_bytes_after_epoch_2"], r["live_bytes_at_end"]])
    mem_header = ["size", "epochs", "needed_bytes", "peak_tensor_bytes", "tensors_over_needed",
                  "peak_rss_bytes", "rss_over_needed", "mallocs_after_epoch_2", "mallocs_at_end",
                  "live_bytes_after_epoch_2", "live_bytes_at_end"]
    write_csv(os.path.join(out, "memory.csv"), mem_header, mem_lines)

    # ---- report -------------------------------------------------------------------------
    nan = "nan"
    print("\nMatrix products, GFLOPS (n x n x n); reference: -Dkernels=reference, the code the "
          "chapters teach")
    print(table(["size", "threads", "ctorch", "torch", "ctorch/torch", "reference"],
                [[l[0], l[1], f"{l[3]} ({l[2]})", l[4], l[5], "-" if l[6] == nan else l[6]]
                 for l in mm_lines]))
    print("\nOne op (ns), 1 thread")
    print(table(["op", "ctorch", "torch", "torch/ctorch", "reference"],
                [l[:4] + ["-" if l[4] == nan else l[4]] for l in ov_lines]))
    print("\nOne epoch (best of the runs; start-up left out)")
    print(table(["size", "stage", "threads", "ctorch", "torch", "torch/ctorch", "reference"],
                [[l[0], l[1], l[5], fmt_time(float(l[6])), fmt_time(float(l[7])), l[8],
                  fmt_time(float(l[9]))] for l in ep_lines]))
    print("\nMemory, chapter 4's loop. needed: data, parameters, gradients, Adam's state and "
          "the graph at its largest;\npeak RSS: above the process's size before the first "
          "tensor (at the tutorial size, mostly the program's code)")
    print(table(["size", "epochs", "needed MB", "peak tensors MB", "/needed", "peak RSS MB",
                 "/needed", "mallocs ep.2 -> end", "live bytes ep.2 -> end"],
                [[l[0], l[1], f"{l[2] / 1e6:.3f}", f"{l[3] / 1e6:.3f}", l[4],
                  f"{l[5] / 1e6:.3f}", l[6], f"{l[7]} -> {l[8]}", f"{l[9]} -> {l[10]}"]
                 for l in mem_lines]))

    # ---- charts -------------------------------------------------------------------------
    if shutil.which("gnuplot"):
        settings = (f"dir='{out}'; threads='{' '.join(str(t) for t in threads)}'; "
                    f"with_torch={1 if torch_ok else 0}")
        subprocess.run(["gnuplot", "-e", settings, os.path.join(ROOT, "tools", "bench.gp")],
                       check=False)
        print(f"\ncharts: {out}/mm.png {out}/epochs.png")
    else:
        log("bench: gnuplot is not installed; no charts")
    print(f"CSV: {out}/mm.csv overhead.csv epochs.csv memory.csv "
          f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""./course bench: ctorch against PyTorch, side by side, on this machine.

    python3 tools/bench.py --build BUILD [--reference-build RBUILD] [--quick] [--no-torch]
                           [--threads 1,2]

Runs, for ctorch (BUILD/bench/bench_ops and the four stage programs) and, when Debian's
python3-torch is installed (/usr/bin/python3 -c 'import torch'), for PyTorch
(tools/bench_torch.py), PyTorch at its best: as installed, and again with tcmalloc preloaded
(LD_PRELOAD, as PyTorch's CPU performance guide advises; Debian's libtcmalloc-minimal4, which
./course bench installs). Every ratio is against the faster of the two, named in the tables;
the run as installed stays beside it. What is measured:
  - matrix products: GFLOPS by size, at each thread count;
  - the cost of small ops (a one-element add, tutorial-size ops);
  - one epoch of each stage's loop at the tutorial size (n 100, d_in 3, hidden 32, 1 thread)
    and at a scaled size (n 4096, d_in 512, hidden 2048) at each thread count;
  - the scaled epoch of chapter 4, part by part (each part timed alone on the epoch's
    shapes: the two big products, ReLU and its backward, the bias gradient's sum, Adam's
    step; the rest is the epoch less the parts), set against its limit: the epoch's
    multiply-adds at the machine's peak FMA rate, measured by bench_ops peak;
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
TCMALLOC_LIB = "libtcmalloc_minimal.so.4"
TUTORIAL = {"n": 100, "d_in": 3, "hidden": 32}
SCALED = {"n": 4096, "d_in": 512, "hidden": 2048}


def parse():
    p = argparse.ArgumentParser(description="ctorch against PyTorch (./course bench)")
    p.add_argument("--build", default="build")
    p.add_argument("--quick", action="store_true",
                   help="fewer sizes and epochs (about 4 minutes; less precise)")
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


def find_tcmalloc():
    """The path of tcmalloc's shared library, or None (ldconfig's cache names it)."""
    r = subprocess.run(["ldconfig", "-p"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       text=True)
    for line in r.stdout.splitlines():
        if line.strip().startswith(TCMALLOC_LIB) and "=>" in line:
            path = line.split("=>")[1].strip()
            if os.path.exists(path):
                return path
    return None


def torch_configs(torch_ok):
    """[(name, environment)]: PyTorch as installed, and with tcmalloc when it is here."""
    if not torch_ok:
        return []
    configs = [("installed", None)]
    lib = find_tcmalloc()
    if lib:
        env = dict(os.environ)
        env["LD_PRELOAD"] = " ".join(x for x in (env.get("LD_PRELOAD"), lib) if x)
        configs.append(("tcmalloc", env))
    else:
        log(f"bench: {TCMALLOC_LIB} not found: PyTorch runs as installed only "
            "(apt-get install libtcmalloc-minimal4)")
    return configs


def best_config(times, faster=min):
    """(best value, its config's name) of {config: value}, NaN values left out."""
    known = {k: v for k, v in times.items() if v == v}
    if not known:
        return float("nan"), "-"
    name = faster(known, key=known.get)
    return known[name], name


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


def stage_epochs(build, stage, size, threads, epochs, torch_epochs, rounds, configs):
    """Seconds per epoch of a stage: ctorch's, and {config: PyTorch's} for each of its
    configurations (torch_configs), start-up left out. The sides take turns, round after
    round, so that a slow spell of the machine (seconds long on a virtual machine) falls on
    all; each keeps its best runs. ctorch's epoch is (best E-epoch run - best 1-epoch run) /
    (E - 1): a disturbed 1-epoch run cannot make the E-epoch run look faster than it was."""
    args = stage_args(build, stage, size, threads)
    ones, manys, theirs = [], [], {name: [] for name, _ in configs}
    extra = ["--lr", "1e-9"] if size is SCALED and stage < 4 else []
    for _ in range(rounds):
        ones.append(seconds(args + ["--epochs", "1"]))
        manys.append(seconds(args + ["--epochs", str(epochs)]))
        for name, env in configs:
            r = rows(run(torch_cmd(threads, "stage", stage, "--n", size["n"], "--d-in",
                                   size["d_in"], "--hidden", size["hidden"], "--epochs",
                                   torch_epochs, "--repeat", 1, *extra), env))[0]
            theirs[name].append(float(r["seconds_per_epoch"]))
    mine = max((min(manys) - min(ones)) / (epochs - 1), 0.0)
    return mine, {name: min(v) for name, v in theirs.items()}


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
    configs = torch_configs(torch_ok)
    nan = float("nan")
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
        mine, theirs = {}, {name: {} for name, _ in configs}
        # two rounds, ctorch and PyTorch in turn: a moment when something else runs on the
        # machine then disturbs both sides, and the best of the two rounds is kept
        for rnd in range(1 if args.quick else 2):
            log(f"bench: mm GFLOPS, {t} thread(s), round {rnd + 1}")
            best_rows(mine, rows(run([bench_ops, "mm", "--threads", str(t)] +
                                     [str(s) for s in sizes])))
            for name, env in configs:
                best_rows(theirs[name], rows(run(torch_cmd(t, "mm", *sizes), env)))
        for s in sizes:
            m = mine[str(s)]
            g = float(m["gflops"])
            by = {n: float(v[str(s)]["gflops"]) for n, v in theirs.items() if str(s) in v}
            tg, which = best_config(by, max)
            rg = float(ref_mm[str(s)]["gflops"]) if t == 1 and str(s) in ref_mm else nan
            mm_lines.append([s, t, m["isa"], f"{g:.2f}", f"{tg:.2f}", f"{ratio(g, tg):.2f}",
                             f"{rg:.2f}", which, f"{by.get('installed', nan):.2f}"])
    mm_header = ["size", "threads", "ctorch_isa", "ctorch_gflops", "torch_gflops",
                 "ctorch_over_torch", "reference_gflops", "torch_config",
                 "torch_installed_gflops"]
    write_csv(os.path.join(out, "mm.csv"), mm_header, mm_lines)

    # ---- small ops ----------------------------------------------------------------------
    log("bench: per-op cost")
    mine = rows(run([bench_ops, "overhead"]))
    theirs = {name: {r["op"]: r for r in rows(run(torch_cmd(1, "overhead"), env))}
              for name, env in configs}
    ref_ov = {r["op"]: r for r in rows(run([os.path.join(rbuild, "bench", "bench_ops"),
                                             "overhead"]))} if rbuild else {}
    ov_lines = []
    for r in mine:
        c = float(r["ns_per_op"])
        p, which = best_config({n: float(v[r["op"]]["ns_per_op"]) for n, v in theirs.items()
                                if r["op"] in v})
        rc = float(ref_ov[r["op"]]["ns_per_op"]) if r["op"] in ref_ov else nan
        ov_lines.append([r["op"], f"{c:.1f}", f"{p:.1f}", f"{ratio(p, c):.1f}", f"{rc:.1f}",
                         which])
    ov_header = ["op", "ctorch_ns", "torch_ns", "torch_over_ctorch", "reference_ns",
                 "torch_config"]
    write_csv(os.path.join(out, "overhead.csv"), ov_header, ov_lines)

    # ---- epochs -------------------------------------------------------------------------
    ep_lines = []
    runs = [("tutorial", TUTORIAL, 1, tut_epochs, torch_tut_epochs)]
    runs += [("scaled", SCALED, t, scaled_epochs, scaled_epochs - 1) for t in threads]
    for name, size, t, epochs, t_epochs in runs:
        for k in range(1, 5):
            log(f"bench: stage {k} epoch, {name} size, {t} thread(s)")
            rounds = repeat if name == "tutorial" else (1 if args.quick else 4)
            mine_s, by = stage_epochs(build, k, size, t, epochs, t_epochs, rounds, configs)
            theirs_s, which = best_config(by)
            ref_s = float("nan")
            if name == "tutorial":
                ref_s = reference_epoch(rbuild, k, size, t, epochs // 10, 3)
            elif k == 4 and t == 1 and not args.quick:
                log("bench: stage 4 epoch, scaled size, reference kernels (about 2 minutes)")
                ref_s = reference_epoch(rbuild, k, size, t, 2, 1)
            installed = by.get("installed", nan)
            ep_lines.append([name, k, size["n"], size["d_in"], size["hidden"], t,
                             f"{mine_s:.9g}", f"{theirs_s:.9g}",
                             f"{ratio(theirs_s, mine_s):.2f}", f"{ref_s:.9g}", which,
                             f"{installed:.9g}", f"{ratio(installed, mine_s):.2f}"])
    ep_header = ["size", "stage", "n", "d_in", "hidden", "threads", "ctorch_seconds",
                 "torch_seconds", "torch_over_ctorch", "reference_seconds", "torch_config",
                 "torch_installed_seconds", "torch_installed_over_ctorch"]
    write_csv(os.path.join(out, "epochs.csv"), ep_header, ep_lines)

    # ---- the scaled epoch, part by part, against the machine's peak ---------------------
    bd_lines = []
    for t in threads:
        log(f"bench: chapter 4's scaled epoch, part by part, {t} thread(s)")
        size_args = ["--n", SCALED["n"], "--d-in", SCALED["d_in"], "--hidden", SCALED["hidden"],
                     "--repeat", 2 if args.quick else 5]
        mine = rows(run([bench_ops, "breakdown", "--threads", str(t)] + [str(a) for a in size_args]))
        theirs = {name: {r["part"]: float(r["seconds"]) for r in
                         rows(run(torch_cmd(t, "breakdown", *size_args), env))}
                  for name, env in configs}
        peak = rows(run([bench_ops, "peak", "--threads", str(t)]))[0]
        parts = [r["part"] for r in mine]
        mine_s = {r["part"]: float(r["seconds"]) for r in mine}
        by_part = {p: best_config({n: v[p] for n, v in theirs.items() if p in v}) for p in parts}
        def rest(times):  # the epoch less its parts
            return times["epoch"] - sum(v for k, v in times.items() if k != "epoch")
        mine_s["rest"] = rest(mine_s)
        by_part["rest"] = (rest({p: by_part[p][0] for p in parts}), by_part["epoch"][1])
        macs = float(next(r["multiply_adds"] for r in mine if r["part"] == "epoch"))
        limit = 2 * macs / (float(peak["gflops"]) * 1e9)
        for p in parts[:-1] + ["rest", "epoch"]:
            bd_lines.append([t, p, f"{mine_s[p]:.9g}", f"{by_part[p][0]:.9g}", by_part[p][1],
                             f"{ratio(mine_s[p], by_part[p][0]):.2f}"])
        bd_lines.append([t, f"limit ({peak['gflops']} GFLOPS peak, {peak['isa']})",
                         f"{limit:.9g}", "nan", "-", "nan"])
    bd_header = ["threads", "part", "ctorch_seconds", "torch_seconds", "torch_config",
                 "ctorch_over_torch"]
    write_csv(os.path.join(out, "breakdown.csv"), bd_header, bd_lines)

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
    print("\nPyTorch at its best: as installed, and with tcmalloc preloaded "
          f"({'measured' if len(configs) > 1 else 'not available here'}); 'torch' is the "
          "faster of the two\n(named in brackets), 'installed' the run as installed.")
    print("\nMatrix products, GFLOPS (n x n x n); reference: -Dkernels=reference, the code the "
          "chapters teach")
    print(table(["size", "threads", "ctorch", "torch", "ctorch/torch", "installed",
                 "reference"],
                [[l[0], l[1], f"{l[3]} ({l[2]})", f"{l[4]} ({l[7]})", l[5], l[8],
                  "-" if l[6] == nan else l[6]] for l in mm_lines]))
    print("\nOne op (ns), 1 thread")
    print(table(["op", "ctorch", "torch", "torch/ctorch", "reference"],
                [[l[0], l[1], f"{l[2]} ({l[5]})", l[3], "-" if l[4] == nan else l[4]]
                 for l in ov_lines]))
    print("\nOne epoch (best of the runs; start-up left out)")
    print(table(["size", "stage", "threads", "ctorch", "torch", "torch/ctorch", "installed",
                 "installed/ctorch", "reference"],
                [[l[0], l[1], l[5], fmt_time(float(l[6])), f"{fmt_time(float(l[7]))} ({l[10]})",
                  l[8], fmt_time(float(l[11])), l[12], fmt_time(float(l[9]))]
                 for l in ep_lines]))
    print("\nChapter 4's scaled epoch (n 4096, d_in 512, hidden 2048), part by part: each part "
          "timed alone on the epoch's shapes;\nrest = the epoch less the parts; limit = the "
          "epoch's multiply-adds at the measured peak FMA rate")
    print(table(["threads", "part", "ctorch", "torch", "ctorch/torch"],
                [[l[0], l[1], fmt_time(float(l[2])),
                  fmt_time(float(l[3])) + (f" ({l[4]})" if l[4] != "-" else ""), l[5]]
                 for l in bd_lines]))
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
    print(f"CSV: {out}/mm.csv overhead.csv epochs.csv breakdown.csv memory.csv "
          f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()

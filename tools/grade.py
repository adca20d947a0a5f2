#!/usr/bin/env python3
"""grade.py: the autograder behind ./course grade.

Builds the tree, runs every graded Check test case of tests/grading/manifest.txt on its own
(CK_RUN_CASE, one process each, with a time limit, so a crash or a hang loses only that test
case's points; the whole run has a budget, so that it ends in time on Gradescope), prints a points table in the style of xv6's `make grade`, and writes
Gradescope's results.json when asked.

  tools/grade.py [--build DIR] [--no-build] [--json FILE] [--timeout S] [--budget S] [ID ...]

ID: exercises to grade ("2.3"; "2" for a whole stage); default every one.
A test case passes when its binary exits 0 and its TAP output has at least one "ok" line and
no "not ok" line (Check runs nothing, and says nothing, for a misspelled case name).
Exit status: 0 at full marks, 1 below, 2 for a usage error.
Python 3 standard library only.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import exercises  # noqa: E402

MANIFEST = os.path.join(ROOT, "tests", "grading", "manifest.txt")
NOT_IMPLEMENTED_RE = re.compile(r"exercise (\d+\.\d+): not implemented yet")
TAP_RE = re.compile(r"^(ok|not ok) \d+ - (.*)$")


class Entry:
    """One line of the manifest: a Check test case and its points."""

    def __init__(self, ex_id, points, visibility, binary, tcase, what):
        self.id, self.points, self.visibility = ex_id, points, visibility
        self.binary, self.tcase, self.what = binary, tcase, what
        # filled in by run()
        self.passed, self.seconds, self.output, self.stopped_at = False, 0.0, "", None
        self.stdout = self.stderr = ""

    @property
    def label(self):
        return f"{os.path.basename(self.binary)} {self.tcase}"


def read_manifest(path):
    entries = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            words = line.split(None, 5)
            if len(words) < 5 or words[2] not in ("visible", "hidden"):
                raise SystemExit(f"grade: {path}:{n}: expected 'exercise points visible|hidden "
                                 f"binary tcase [what]'")
            try:
                points = float(words[1])
                points = int(points) if points == int(points) else points
            except ValueError:
                raise SystemExit(f"grade: {path}:{n}: points must be a number")
            entries.append(Entry(words[0], points, words[2], words[3], words[4],
                                 words[5].strip() if len(words) > 5 else ""))
    return entries


def selected(entries, ids):
    if not ids:
        return entries
    known = {e.id for e in entries}
    for i in ids:
        if not any(e == i or e.startswith(i + ".") for e in known):
            print(f"grade: no exercise {i} in {os.path.relpath(MANIFEST, ROOT)} (exercises: "
                  f"{' '.join(sorted(known, key=exercises.id_key))})", file=sys.stderr)
            sys.exit(2)
    return [e for e in entries if any(e.id == i or e.id.startswith(i + ".") for i in ids)]


def fmt_points(x):
    return f"{x:g}"


# ---- building and running -----------------------------------------------------------------

def build(build_dir):
    """Brings the build up to date; returns (ok, the compiler's complaints)."""
    proc = subprocess.run(["ninja", "-C", build_dir], capture_output=True, text=True)
    if proc.returncode == 0:
        return True, ""
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", proc.stdout + proc.stderr)  # no colors
    keep = [l for l in text.splitlines() if not re.match(r"^\[\d+/\d+\] ", l)]
    return False, "\n".join(keep[-60:])


def stub_what_failed(build_dir, errors):
    """For a tree that is a throwaway copy (the autograder's): the exercises in the files that
    did not compile are replaced by their stubs, so the rest can still be graded. Returns the
    [(file, ids)] stubbed."""
    done = []
    for src in sorted(set(re.findall(r"\s-c\s+(\S+\.c)\b", errors))):
        rel = os.path.relpath(os.path.normpath(os.path.join(build_dir, src)), ROOT)
        try:
            lines = exercises.read_lines(os.path.join(ROOT, rel))
            regions = exercises.parse_regions(rel, lines)
        except (OSError, exercises.ExerciseError):
            continue
        ids = sorted({r.id for r in regions}, key=exercises.id_key)
        if not ids:
            continue
        stubs = [(r, exercises.stub_body(r, lines)) for r in regions]
        exercises.write_lines(os.path.join(ROOT, rel), exercises.replace_regions(lines, stubs))
        done.append((rel, ids))
    return done


def test_env(tcase, log=None):
    """The environment of one run: Check's selection and forking ours, no valgrind wrapper,
    poison mode on (common/tensor.h);
    log: a file for Check's own log, whose lines have each result's file and line."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CK_") and k != "CT_PROGRAM_WRAPPER"}
    env["CK_RUN_CASE"] = tcase
    env["CTORCH_POISON"] = "1"  # a forgotten torch_keep reads NaN, not plausible numbers
    if log:
        env["CK_LOG_FILE_NAME"] = log
    return env


def summarize(stdout, stderr):
    """The lines a student needs from a failing run: the failed tests and the errors."""
    out = []
    for line in stdout.splitlines():
        m = TAP_RE.match(line)
        if m and m.group(1) == "not ok":
            # "../tests/graded/x.c:ex1_1:test_name: message" -> "test_name: message"
            parts = m.group(2).split(":", 3)
            out.append(f"not ok: {parts[2]}: {parts[3].strip()}" if len(parts) == 4
                       else f"not ok: {m.group(2)}")
    seen = set()
    for line in stderr.splitlines():
        line = line.strip()
        if line and line not in seen and not line.startswith("#"):
            seen.add(line)
            out.append(line)
    return "\n".join(out[:20])


def kill_session(sid):
    """Kills every process of session sid: the test binary and what it forked. (Check puts
    each test it forks in a process group of its own, so killing the group is not enough.)"""
    try:
        os.killpg(sid, signal.SIGKILL)
    except OSError:
        pass
    for name in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="utf-8", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()  # state ppid pgrp session ...
            if int(fields[3]) == sid:
                os.kill(int(name), signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass


def run(entry, build_dir, timeout, log=None):
    """Runs one test case alone and fills in entry's results (log: see test_env)."""
    exe = os.path.abspath(os.path.join(build_dir, entry.binary))
    start = time.monotonic()
    if not os.path.isfile(exe):
        entry.output = f"{entry.binary} was not built"
        return
    proc = subprocess.Popen([exe], cwd=os.path.dirname(exe), env=test_env(entry.tcase, log),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            errors="replace", start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        kill_session(proc.pid)
        try:
            stdout, stderr = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # something outside the session holds the pipes
            proc.kill()
            stdout, stderr = "", ""
        timed_out = True
    entry.seconds = time.monotonic() - start
    entry.stdout, entry.stderr = stdout, stderr
    results = [TAP_RE.match(l) for l in stdout.splitlines()]
    oks = sum(1 for m in results if m and m.group(1) == "ok")
    not_oks = sum(1 for m in results if m and m.group(1) == "not ok")
    entry.passed = not timed_out and proc.returncode == 0 and oks > 0 and not_oks == 0
    m = NOT_IMPLEMENTED_RE.search(stderr)
    entry.stopped_at = m.group(1) if m else None
    if entry.passed:
        entry.output = f"{oks} test{'s' if oks != 1 else ''} passed"
    elif timed_out:
        entry.output = f"timed out after {timeout:g}s\n" + summarize(stdout, stderr)
    elif oks + not_oks == 0:
        entry.output = (f"no test ran (exit status {proc.returncode})\n" +
                        summarize(stdout, stderr)).strip()
    else:
        entry.output = f"{oks} of {oks + not_oks} tests passed\n" + summarize(stdout, stderr)


# ---- reporting ------------------------------------------------------------------------------

def titles():
    try:
        return {ex["id"]: ex["title"] for ex in exercises.exercises(ROOT)}
    except exercises.ExerciseError as e:
        print(f"grade: {e}", file=sys.stderr)
        return {}


def print_table(entries, names, score, total):
    print(f"{'exercise':<40} {'test':<30} {'result':<6} {'points':>7} {'time':>7}")
    last = None
    for e in entries:
        head = f"{e.id} {names.get(e.id, '')}"[:39] if e.id != last else ""
        last = e.id
        test = e.label + (" (hidden)" if e.visibility == "hidden" else "")
        result = "OK" if e.passed else "FAIL"
        points = f"{fmt_points(e.points if e.passed else 0)}/{fmt_points(e.points)}"
        print(f"{head:<40} {test:<30} {result:<6} {points:>7} {e.seconds:6.2f}s")
        if not e.passed:
            if e.stopped_at:
                why = ("this exercise is" if e.stopped_at == e.id else
                       f"it needs exercise {e.stopped_at}, which is")
                print(f"    | stopped: {why} not implemented yet")
            shown = e.output.splitlines()[:6 if e.visibility == "visible" else 3]
            for line in shown:  # whole: the end of a line is often "expected ..."
                print(f"    | {line}")
    print(f"Score: {fmt_points(score)}/{fmt_points(total)}")


def results_json(entries, names, score, elapsed, build_error=None):
    tests = []
    if build_error is not None:
        tests.append({"name": "Build", "status": "failed", "score": 0, "max_score": 0,
                      "output": "The build failed, so no test ran:\n\n" + build_error,
                      "visibility": "visible"})
    for e in entries:
        kind = "visible tests" if e.visibility == "visible" else "hidden tests"
        output = e.output
        if e.what:
            output = f"Checks: {e.what}.\n{output}"
        if e.stopped_at and not e.passed:
            output += (f"\nStopped: exercise {e.stopped_at} is not implemented yet "
                       f"(docs/exercises.md#{exercises.anchor(e.stopped_at)}).")
        tests.append({
            "name": f"{e.id} {names.get(e.id, '')}: {kind} ({e.label})",
            "number": e.id,
            "score": e.points if e.passed else 0,
            "max_score": e.points,
            "status": "passed" if e.passed else "failed",
            "output": output,
            "visibility": "visible" if e.visibility == "visible" else "after_published",
            "tags": [f"stage{e.id.split('.')[0]}"],
        })
    total = sum(e.points for e in entries)
    return {"score": score, "execution_time": round(elapsed, 2),
            "output": f"Score: {fmt_points(score)}/{fmt_points(total)} "
                      "(the hidden tests' results appear when grades are published)",
            "tests": tests}


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("ids", nargs="*", metavar="ID", help="exercises to grade, e.g. 2.3 or 2")
    p.add_argument("--build", default=os.path.join(ROOT, "build"), help="the build directory")
    p.add_argument("--no-build", action="store_true", help="grade the build as it is")
    p.add_argument("--json", metavar="FILE", help="write Gradescope's results.json")
    p.add_argument("--timeout", type=float, default=15, help="seconds per test case (15)")
    p.add_argument("--budget", type=float, default=480,
                   help="seconds for all test cases (480); those left then earn nothing")
    p.add_argument("--stub-on-build-failure", action="store_true",
                   help="for a throwaway tree (the autograder's): replace the exercises of the "
                        "files that do not compile by their stubs, and grade the rest")
    p.add_argument("--manifest", default=MANIFEST, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    entries = selected(read_manifest(args.manifest), args.ids)
    names = titles()
    start = time.monotonic()
    build_error = None
    build_note = None
    if not args.no_build:
        ok, errors = build(args.build)
        stubbed = []
        while not ok and args.stub_on_build_failure:
            more = stub_what_failed(args.build, errors)
            if not more:
                break
            stubbed += more
            ok, again = build(args.build)
            errors += "\n" + again if not ok else ""
        if stubbed and ok:
            build_note = ("These files did not compile, so their exercises were graded as not "
                          "implemented:\n" +
                          "\n".join(f"  {f}: exercise {', '.join(ids)}" for f, ids in stubbed) +
                          "\n\n" + errors)
            print("grade: " + build_note, file=sys.stderr)
        elif not ok:
            build_error = errors
            for e in entries:
                e.output = "not run: the build failed"
            print("grade: the build failed:\n" + errors, file=sys.stderr)
    if build_error is None:
        hidden_here = not exercises.student_copy(ROOT)
        entries = [e for e in entries if e.visibility == "visible" or hidden_here]
        for e in entries:
            left = args.budget - (time.monotonic() - start)
            if left < 1:
                e.output = f"not run: the grading ran out of time ({args.budget:g}s)"
                continue
            run(e, args.build, min(args.timeout, left))
    score = sum(e.points for e in entries if e.passed)
    total = sum(e.points for e in entries)
    print_table(entries, names, score, total)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as f:
            data = results_json(entries, names, score, time.monotonic() - start, build_error)
            if build_note:
                data["tests"].insert(0, {"name": "Build", "status": "failed", "score": 0,
                                         "max_score": 0, "output": build_note,
                                         "visibility": "visible"})
            json.dump(data, f, indent=2)
            f.write("\n")
    return 0 if build_error is None and score == total else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

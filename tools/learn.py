#!/usr/bin/env python3
"""learn.py: the learner's loop behind ./course check and ./course hint.

  tools/learn.py check [ID] [--watch] [--build DIR]
      Builds, runs the visible tests of every exercise (tests/grading/manifest.txt, each test
      case alone, as tools/grade.py does), then shows exercise ID, or without ID the first
      exercise not yet passing in the order of docs/exercises.md: where its code goes (the
      BEGIN EXERCISE marker's file and line), and its first failure, whole: the test and the
      line of the test that failed, what was called, the expected and the actual values. It
      ends with the progress table of every exercise (done, not yet, this one) and its points.
      Exit status 0 when the exercise shown passes. --watch runs it again on every save of a
      library source (the files of common/ and the stage directories), until Ctrl-C.
  tools/learn.py hint [ID] [--reset] [--build DIR]
      The exercise's next hint, one more on each call, from docs/hints/ID.md; without ID, the
      exercise ./course check showed last. What was shown is kept in BUILD/learn.json.
  tools/learn.py hints --check
      Every exercise of the manifest has a hint file with 2 to 4 hints, and every hint file
      an exercise (the `hints` test).

A hint file is markdown: a title line, then one section per hint, each under a "## Hint N"
heading. Python 3 standard library only.
"""

import argparse
import json
import os
import re
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import exercises  # noqa: E402
import grade  # noqa: E402

EXERCISES_MD = os.path.join(ROOT, "docs", "exercises.md")
HINTS_DIR = os.path.join(ROOT, "docs", "hints")
HINTS_PER_EXERCISE = (2, 4)
STATE = "learn.json"  # in the build directory: the exercise shown last, the hints shown

# A line of Check's log: "../tests/graded/x.c:78:F:ex1_2:test_name:0: message"
LOG_RE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<kind>[PFE]):(?P<tcase>[^:]*):"
                    r"(?P<test>[^:]*):\d+: (?P<msg>.*)$")
# ct_test.h's assertions start their message with the caller's place: "../tests/x.c:78: ..."
PLACE_RE = re.compile(r"^(?P<file>[^\s:]+\.c):(?P<line>\d+): (?P<msg>.*)$")
GOT_EXPECTED_RE = re.compile(r"^(?:(?P<what>.*?):? )?got (?P<got>.+?),? expected (?P<want>.+)$")
CHECK_ASSERT_RE = re.compile(r"^Assertion '(?P<what>.+?)' failed(?:: (?P<values>.+))?$")


def rel(path):
    return os.path.relpath(path, ROOT)


# ---- the exercises, in the order of docs/exercises.md ---------------------------------------

class Exercise:
    def __init__(self, ex_id, title, regions):
        self.id, self.title, self.regions = ex_id, title, regions
        self.entries = []  # its visible test cases (grade.Entry)

    @property
    def places(self):
        """Where the code goes: "common/linalg.c:52" for each region (its BEGIN marker)."""
        return [f"{r.path}:{r.begin + 1}" for r in self.regions]

    @property
    def points(self):
        return sum(e.points for e in self.entries)

    @property
    def earned(self):
        return sum(e.points for e in self.entries if e.passed)

    @property
    def done(self):
        return bool(self.entries) and all(e.passed for e in self.entries)


def docs_order():
    """The exercise ids in the order of their sections in docs/exercises.md."""
    try:
        with open(EXERCISES_MD, encoding="utf-8") as f:
            return re.findall(r"^## Exercise (\d+\.\d+)\b", f.read(), re.M)
    except OSError:
        return []


def load_exercises(manifest=grade.MANIFEST):
    """[Exercise] of the manifest's visible entries, in the order of docs/exercises.md (then
    by id for any the docs do not list)."""
    found = {ex["id"]: ex for ex in exercises.exercises(ROOT)}
    by_id = {}
    for e in grade.read_manifest(manifest):
        if e.visibility != "visible":
            continue
        if e.id not in by_id:
            ex = found.get(e.id, {"title": "", "regions": []})
            by_id[e.id] = Exercise(e.id, ex["title"], ex["regions"])
        by_id[e.id].entries.append(e)
    order = [i for i in docs_order() if i in by_id]
    order += sorted((i for i in by_id if i not in order), key=exercises.id_key)
    return [by_id[i] for i in order]


def find(exs, ex_id):
    for ex in exs:
        if ex.id == ex_id:
            return ex
    known = " ".join(ex.id for ex in exs)
    print(f"course: no exercise {ex_id} (exercises: {known})", file=sys.stderr)
    raise SystemExit(2)


# ---- state kept in the build directory -----------------------------------------------------

def load_state(build):
    try:
        with open(os.path.join(build, STATE), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def save_state(build, state):
    os.makedirs(build, exist_ok=True)
    with open(os.path.join(build, STATE), "w", encoding="utf-8") as f:
        json.dump(state, f, indent=1)
        f.write("\n")


# ---- one failure, as a learner can act on it -----------------------------------------------

class Failure:
    """The first failing test of a test case: where, what was called, the values."""

    def __init__(self, test, place, message, kind="F"):
        self.test, self.place, self.message, self.kind = test, place, message, kind


def source_line(place):
    """The statement at "file:line" (up to its ';', at most four lines), or ""."""
    path, _, line = place.rpartition(":")
    try:
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            lines = f.read().split("\n")
    except (OSError, UnicodeDecodeError):
        return ""
    i = int(line) - 1
    if not 0 <= i < len(lines):
        return ""
    out = []
    for text in lines[i:i + 4]:
        out.append(text.strip())
        if text.rstrip().endswith((";", "{", "}")):
            break
    return " ".join(out)


def test_start(test):
    """Where the test function is defined (e.g. tests/graded/test_graded_stage1.c:70) for
    START_TEST(test)."""
    head = re.compile(r"^START_TEST\(\s*" + re.escape(test) + r"\s*\)")
    for d in ("tests/graded", "tests/hidden"):
        full = os.path.join(ROOT, d)
        for name in sorted(os.listdir(full)) if os.path.isdir(full) else []:
            if name.endswith(".c"):
                with open(os.path.join(full, name), encoding="utf-8") as f:
                    for n, line in enumerate(f, 1):
                        if head.match(line):
                            return f"{d}/{name}:{n}"
    return None


def place_of(build, file, line):
    """The place of a __FILE__ and __LINE__, e.g. tests/graded/test_graded_stage1.c:78 (the
    compiler ran in the build directory, so __FILE__ is relative to it)."""
    return f"{rel(os.path.normpath(os.path.join(build, file)))}:{line}"


def first_failure(entry, log, build):
    """The first failure of a test case that did not pass, from Check's log (its text)."""
    for line in log.splitlines():
        m = LOG_RE.match(line)
        if not m or m["kind"] == "P":
            continue
        place, msg = place_of(build, m["file"], m["line"]), m["msg"]
        p = PLACE_RE.match(msg)
        if p:  # ct_test.h's assertions name the line that called them
            place, msg = place_of(build, p["file"], p["line"]), p["msg"]
        if place.startswith("tests/support/") or not place.startswith("tests/"):
            place = test_start(m["test"]) or place  # an error raised inside the library
        return Failure(m["test"], place, msg, m["kind"])
    text = entry.output.splitlines()
    return Failure(entry.tcase, None, " ".join(text[:3]) if text else "no output", "E")


def show_failure(ex, failure, places):
    """Prints the failure with what the learner needs to act on it (places: {id: places})."""
    where = f" ({failure.place})" if failure.place else ""
    print(f"FAIL {failure.test}{where}")
    stub = grade.NOT_IMPLEMENTED_RE.search(failure.message)
    if stub and stub.group(1) == ex.id:
        print(f"   stopped:  the stub of exercise {ex.id} is still there: replace it with your "
              f"code, between the markers at {', '.join(ex.places)}")
        return
    if stub:
        needed = stub.group(1)
        where = places.get(needed, []) + [f"./course check {needed}"]
        print(f"   stopped:  this test needs exercise {needed} first, which is not "
              f"implemented yet ({', '.join(where)})")
        return
    called = source_line(failure.place) if failure.place else ""
    if failure.kind == "E":  # a signal, an early exit, a time limit
        print(f"   error:    {failure.message}")
        if called:
            print(f"   after:    {called}")
        return
    if called:
        print(f"   called:   {called}")
    got = GOT_EXPECTED_RE.match(failure.message)
    check = CHECK_ASSERT_RE.match(failure.message)
    if got:
        actual, expected = got["got"], got["want"]
        word = re.match(r"([a-z]+) ", actual)  # "got shape [3, 1], expected [3, 4]"
        if word and not re.match(r"[a-z]", expected):
            expected = word.group(0) + expected
        if got["what"]:
            print(f"   what:     {got['what']}")
        print(f"   expected: {expected}")
        print(f"   actual:   {actual}")
    elif check:
        print(f"   check:    {check['what']}")
        if check["values"]:
            print(f"   values:   {check['values']}")
    else:
        print(f"   message:  {failure.message}")


# ---- check -----------------------------------------------------------------------------------

def run_tests(exs, build, logs):
    """Runs every visible test case; logs[id(entry)]: the Check log of each that failed."""
    for ex in exs:
        for e in ex.entries:
            fd, path = tempfile.mkstemp(prefix="ctorch-check-", suffix=".log")
            os.close(fd)
            try:
                grade.run(e, build, 15, log=path)
                if not e.passed:
                    with open(path, encoding="utf-8", errors="replace") as f:
                        logs[id(e)] = f.read()
            finally:
                os.unlink(path)


def progress_table(exs, current):
    width = max([len(f"{ex.id} {ex.title}") for ex in exs] + [10])
    print(f"\n  {'progress':<{width}}   {'status':<9} points")
    for ex in exs:
        status = "done" if ex.done else "this one" if ex is current else "not yet"
        mark = ">" if ex is current else " "
        print(f"{mark} {ex.id + ' ' + ex.title:<{width}}   {status:<9} "
              f"{grade.fmt_points(ex.earned):>3}/{grade.fmt_points(ex.points)}")
    done = sum(ex.done for ex in exs)
    earned, total = sum(ex.earned for ex in exs), sum(ex.points for ex in exs)
    where = ("the visible tests: the hidden ones count too when you submit"
             if exercises.student_copy(ROOT) else "the visible tests only; ./course grade "
             "adds the hidden ones")
    print(f"{done} of {len(exs)} exercises done, {grade.fmt_points(earned)} of "
          f"{grade.fmt_points(total)} points ({where})")


def show_exercise(current, exs, logs, build):
    """The exercise shown: where its code goes, its test cases, the first failure."""
    print(f"\n== exercise {current.id}: {current.title} ({grade.fmt_points(current.points)} "
          f"points, docs/exercises.md#{exercises.anchor(current.id)})")
    print(f"   your code: {', '.join(current.places) or '(no region found)'}")
    for e in current.entries:
        print(f"   tests:     {e.tcase} ({os.path.basename(e.binary)}"
              f"{', ' + e.what if e.what else ''}): {'passed' if e.passed else 'FAILED'}")
    failing = [e for e in current.entries if not e.passed]
    if not failing:
        print(f"\nexercise {current.id} passes its visible tests.")
        return
    e = failing[0]
    print()
    show_failure(current, first_failure(e, logs.get(id(e), ""), build),
                 {ex.id: ex.places for ex in exs})
    if e.output:
        print(f"   ({e.tcase}: {e.output.splitlines()[0]}; the first failure is shown. All of "
              f"it: CK_RUN_CASE={e.tcase} {rel(os.path.join(build, e.binary))})")


def check_once(args):
    """One run: build, test, show. Returns the exit status (0: the exercise shown passes)."""
    exs = load_exercises()
    if args.id:
        find(exs, args.id)
    print(f"== building ({rel(args.build) if args.build.startswith(ROOT) else args.build})")
    sys.stdout.flush()
    ok, errors = grade.build(args.build)
    if not ok:
        print(errors)
        print("\nthe build failed: fix the first error above, then ./course check again")
        return 1
    logs = {}
    run_tests(exs, args.build, logs)
    current = find(exs, args.id) if args.id else next((ex for ex in exs if not ex.done), None)
    if current is None:
        print("\nevery exercise passes its visible tests.")
        progress_table(exs, None)
        return 0
    state = load_state(args.build)
    state["current"] = current.id
    save_state(args.build, state)
    show_exercise(current, exs, logs, args.build)
    progress_table(exs, current)
    if not current.done:
        print(f"\nstuck? ./course hint {current.id}")
    return 0 if current.done else 1


def sources():
    """{path: mtime} of the library's sources, the files a learner edits."""
    found = {}
    for path in exercises.source_files(ROOT):
        try:
            found[path] = os.stat(os.path.join(ROOT, path)).st_mtime_ns
        except OSError:
            pass
    return found


def watch(args):
    runs, status = 0, 1
    try:
        while True:
            seen = sources()
            if sys.stdout.isatty():
                print("\033[2J\033[H", end="")  # a clean screen for each run
            status = check_once(args)
            runs += 1
            if args.watch_runs and runs >= args.watch_runs:
                return status
            print("\nwatching the library's sources: each save runs this again (Ctrl-C ends)")
            sys.stdout.flush()
            while sources() == seen:
                time.sleep(0.3)
            time.sleep(0.2)  # let an editor finish writing
    except KeyboardInterrupt:
        print()
        return status


def cmd_check(args):
    args.build = os.path.abspath(args.build)
    return watch(args) if args.watch or args.watch_runs else check_once(args)


# ---- hints -----------------------------------------------------------------------------------

def hint_path(ex_id):
    return os.path.join(HINTS_DIR, f"{ex_id}.md")


def read_hints(ex_id):
    """The hints of an exercise, in order: the text under each "## Hint N" heading."""
    with open(hint_path(ex_id), encoding="utf-8") as f:
        text = f.read()
    parts = re.split(r"^## Hint \d+\s*$", text, flags=re.M)
    return [p.strip() for p in parts[1:]]


def cmd_hint(args):
    build = os.path.abspath(args.build)
    state = load_state(build)
    ex_id = args.id or state.get("current")
    if not ex_id:
        print("course hint: which exercise? ./course hint 1.2 (or run ./course check first)",
              file=sys.stderr)
        return 2
    exs = load_exercises()
    ex = find(exs, ex_id)
    shown = state.setdefault("hints", {})
    if args.reset:
        shown.pop(ex_id, None)
        save_state(build, state)
        print(f"exercise {ex_id}: the hints start over (./course hint {ex_id})")
        return 0
    try:
        hints = read_hints(ex_id)
    except OSError:
        print(f"course hint: exercise {ex_id} has no hints ({rel(hint_path(ex_id))})",
              file=sys.stderr)
        return 1
    n = shown.get(ex_id, 0)
    if n >= len(hints):
        print(f"exercise {ex_id}: no more hints: you have seen all {len(hints)} "
              f"(./course hint {ex_id} --reset starts over; the text: "
              f"docs/exercises.md#{exercises.anchor(ex_id)})")
        return 0
    print(f"exercise {ex_id}, {ex.title}: hint {n + 1} of {len(hints)}\n")
    print(hints[n])
    shown[ex_id] = n + 1
    save_state(build, state)
    if n + 1 < len(hints):
        print(f"\n(another: ./course hint {ex_id})")
    else:
        print("\n(that was the last hint)")
    return 0


def cmd_hints(args):
    """The `hints` test: TAP, one line per exercise of the manifest, one for stray files."""
    ids = sorted({e.id for e in grade.read_manifest(grade.MANIFEST)}, key=exercises.id_key)
    low, high = HINTS_PER_EXERCISE
    n, failed = 0, 0
    for ex_id in ids:
        n += 1
        try:
            hints = read_hints(ex_id)
            problem = (None if low <= len(hints) <= high and all(hints) else
                       f"{len(hints)} hints (want {low} to {high}, none empty)")
        except OSError:
            problem = f"no file {rel(hint_path(ex_id))}"
        failed += problem is not None
        print(f"{'not ok' if problem else 'ok'} {n} - exercise {ex_id} has {low} to {high} "
              f"hints{': ' + problem if problem else ''}")
    stray = [f for f in sorted(os.listdir(HINTS_DIR)) if f.endswith(".md") and
             f[:-3] not in ids] if os.path.isdir(HINTS_DIR) else []
    n += 1
    failed += bool(stray)
    print(f"{'not ok' if stray else 'ok'} {n} - every file of docs/hints is an exercise's"
          f"{': not ' + ', '.join(stray) if stray else ''}")
    print(f"1..{n}")
    return 1 if failed else 0


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="build, test, show one exercise and the progress")
    c.add_argument("id", nargs="?", metavar="ID")
    c.add_argument("--watch", action="store_true", help="again on every save, until Ctrl-C")
    # --watch-runs N: --watch that ends after N runs (for the tests)
    c.add_argument("--watch-runs", type=int, default=0, help=argparse.SUPPRESS)
    h = sub.add_parser("hint", help="the next hint of an exercise")
    h.add_argument("id", nargs="?", metavar="ID")
    h.add_argument("--reset", action="store_true", help="start the hints over")
    for s in (c, h):
        s.add_argument("--build", default=os.path.join(ROOT, "build"))
    t = sub.add_parser("hints", help="check that every exercise has its hints (TAP)")
    t.add_argument("--check", action="store_true", required=True)
    args = p.parse_args(argv)
    command = {"check": cmd_check, "hint": cmd_hint, "hints": cmd_hints}[args.cmd]
    try:
        return command(args)
    except BrokenPipeError:  # ./course check | head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

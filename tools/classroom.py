#!/usr/bin/env python3
"""classroom.py: GitHub Classroom autograding for a student copy, from the same tests.

Writes, into DEST (a student copy; the current tree by default):
  .github/classroom/autograding.json   the assignment's tests, as GitHub Classroom's
                                       autograding form stores them
  .github/workflows/classroom.yml      the workflow that runs them on every push

There is one test per exercise, in the order of docs/exercises.md: it runs
`./course grade ID`, which builds the copy and runs that exercise's visible tests (the
manifest's "visible" lines), and exits 0 only at full marks. The test is worth those
visible points, all or nothing. The hidden tests never leave the instructors' tree: grade
them on Gradescope (./course gradescope) or locally (docs/instructors.md).

Usage: tools/classroom.py [DEST] [--check]
  --check   write nothing; exit 1 if DEST's files differ from what would be written.
Python 3 standard library only.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import exercises  # noqa: E402
import grade  # noqa: E402

AUTOGRADING = os.path.join(".github", "classroom", "autograding.json")
WORKFLOW = os.path.join(".github", "workflows", "classroom.yml")
# What ./course needs on GitHub's ubuntu-latest runner (its user is not root, so ./course
# cannot install them itself; sudo is passwordless there).
PACKAGES = "gcc meson ninja-build pkg-config check gnuplot-nox python3"
SETUP = f"sudo apt-get update -qq && sudo apt-get install -y -qq {PACKAGES}"
BUILD = "meson setup build && ninja -C build"  # as ./course configures it: the tests reuse it
FIRST_TIMEOUT, TIMEOUT = 15, 5  # minutes: the first test also installs and builds


def graded_exercises(root):
    """[(id, title, visible points)] in the order of docs/exercises.md. Every exercise with
    visible tests in root's manifest must have its section there."""
    manifest = os.path.join(root, "tests", "grading", "manifest.txt")
    if not os.path.isfile(manifest):
        raise SystemExit(f"classroom: {root} is not a copy of ctorch (no "
                         "tests/grading/manifest.txt); make one with ./course student DIR")
    points = {}
    for entry in grade.read_manifest(manifest):
        if entry.visibility == "visible":
            points[entry.id] = points.get(entry.id, 0) + entry.points
    order = exercises.sections(root)
    missing = sorted(set(points) - {s["id"] for s in order}, key=exercises.id_key)
    if missing:
        raise SystemExit(f"classroom: no section in docs/exercises.md for {', '.join(missing)}")
    return [(s["id"], s["title"], points[s["id"]]) for s in order if s["id"] in points]


def step_id(ex_id):
    """'2.3' -> 'ex2-3': a workflow step id (letters, digits, '-' and '_' only)."""
    return "ex" + ex_id.replace(".", "-")


def autograding_json(exs):
    tests = []
    for i, (ex_id, title, points) in enumerate(exs):
        tests.append({
            "name": f"exercise {ex_id}: {title}",
            "setup": f"{SETUP} && {BUILD}" if i == 0 else "",
            "run": f"./course grade {ex_id}",
            "input": "",
            "output": "",
            "comparison": "included",
            "timeout": FIRST_TIMEOUT if i == 0 else TIMEOUT,
            "points": points,
        })
    return json.dumps({"tests": tests}, indent=2) + "\n"


def yaml_string(s):
    """A double-quoted YAML scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(s)


def workflow_yml(exs):
    total = sum(p for _, _, p in exs)
    lines = [
        "# GitHub Classroom autograding, written by ./course classroom from",
        "# tests/grading/manifest.txt: one step per exercise, worth its visible points",
        f"# ({grade.fmt_points(total)} in all). Rewrite it with ./course classroom; do not edit.",
        "name: Autograding Tests",
        "'on':",
        "- push",
        "- workflow_dispatch",
        "- repository_dispatch",
        "permissions:",
        "  checks: write",
        "  actions: read",
        "  contents: read",
        "jobs:",
        "  run-autograding-tests:",
        "    runs-on: ubuntu-latest",
        "    if: github.actor != 'github-classroom[bot]'",
        "    steps:",
        "    - name: Checkout code",
        "      uses: actions/checkout@v4",
        "    - name: Install what ./course needs",
        f"      run: {SETUP}",
        "    - name: Build the copy",
        f"      run: {BUILD}",
    ]
    for ex_id, title, points in exs:
        lines += [
            f"    - name: {yaml_string(f'exercise {ex_id}: {title}')}",
            f"      id: {step_id(ex_id)}",
            "      uses: classroom-resources/autograding-command-grader@v1",
            "      with:",
            f"        test-name: {yaml_string(f'exercise {ex_id}')}",
            "        setup-command: ''",
            f"        command: {yaml_string(f'./course grade {ex_id}')}",
            f"        timeout: {TIMEOUT}",
            f"        max-score: {grade.fmt_points(points)}",
        ]
    lines += [
        "    - name: Autograding Reporter",
        "      uses: classroom-resources/autograding-grading-reporter@v1",
        "      env:",
    ]
    for ex_id, _, _ in exs:
        sid = step_id(ex_id)
        lines.append(f"        {sid.upper()}_RESULTS: \"${{{{steps.{sid}.outputs.result}}}}\"")
    lines += [
        "      with:",
        f"        runners: {','.join(step_id(e) for e, _, _ in exs)}",
    ]
    return "\n".join(lines) + "\n"


def main(argv):
    p = argparse.ArgumentParser(prog="./course classroom",
                                description="GitHub Classroom autograding files for a copy")
    p.add_argument("dest", nargs="?", default=".", help="the student copy (default: here)")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if the files are not up to date")
    args = p.parse_args(argv)
    dest = os.path.abspath(args.dest)
    exs = graded_exercises(dest)
    stale = []
    for rel, text in ((AUTOGRADING, autograding_json(exs)), (WORKFLOW, workflow_yml(exs))):
        path = os.path.join(dest, rel)
        try:
            with open(path, encoding="utf-8") as f:
                current = f.read()
        except OSError:
            current = None
        if current == text:
            continue
        if args.check:
            stale.append(rel)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"classroom: wrote {os.path.relpath(path)}")
    if stale:
        print(f"classroom: not up to date in {dest}: {', '.join(stale)} (run ./course classroom)",
              file=sys.stderr)
        return 1
    total = sum(pts for _, _, pts in exs)
    print(f"classroom: {len(exs)} tests, one per exercise, {grade.fmt_points(total)} points")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

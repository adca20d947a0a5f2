#!/usr/bin/env python3
"""test_instructor_tools.py: ./course classroom and tools/moss.py.

./course classroom writes one GitHub Classroom test per exercise: it writes the autograding files of the tree (tools/classroom.py) into a temporary copy of the
files they are made from (the manifest and docs/exercises.md), then reads them back and
holds them against the manifest: one test per exercise with visible tests, in the order of
docs/exercises.md, worth exactly its visible points, running `./course grade ID`; the
workflow has the same steps, scores and runners. Then --check: up to date after writing,
stale after a change of points, and an exercise without its section is refused.

tools/moss.py keeps only the students' code: two submissions (one nested a level down, one
with a changed line in one region) give one file per exercise holding exactly their regions'
lines; the base files hold the stubs.
Prints TAP.

Usage: test_instructor_tools.py --source ROOT
"""
import argparse
import contextlib
import io
import json
import os
import re
import shutil
import sys
import tempfile

results = []


def check(ok, what, detail=""):
    results.append((bool(ok), what, detail))


def check_moss(root):
    import exercises
    import moss
    reference = exercises.find_regions(root)
    expected = {}
    for rel, regions in reference.items():
        lines = exercises.read_lines(os.path.join(root, rel))
        for r in regions:
            expected.setdefault(r.id, []).extend(r.body(lines))
    first_rel, first = next(iter(reference.items()))
    with tempfile.TemporaryDirectory() as tmp:
        subs, out = os.path.join(tmp, "subs"), os.path.join(tmp, "out")
        for name, where in (("alice", "alice/ctorch"), ("bob", "bob")):
            for d in exercises.SOURCE_DIRS:
                shutil.copytree(os.path.join(root, d), os.path.join(subs, where, d))
        # bob's first region gets a line of his own
        path = os.path.join(subs, "bob", first_rel)
        lines = exercises.read_lines(path)
        mine = "    /* bob was here */"
        lines.insert(first[0].begin + 1, mine)
        exercises.write_lines(path, lines)
        quiet = io.StringIO()
        with contextlib.redirect_stdout(quiet):
            check(moss.main([subs, out]) == 0, "moss.py: runs on two submissions")

        def body(student, ex_id):
            """The file's lines but the headers moss.py writes above each region."""
            with open(os.path.join(out, student, f"exercise-{ex_id}.c"), encoding="utf-8") as f:
                return [ln for ln in f.read().split("\n")
                        if ln and not re.match(r"/\* \S+: exercise ", ln)]
        check(all(body("alice", i) == [ln for ln in want if ln] for i, want in expected.items()),
              "moss.py: a nested submission gives exactly its regions, per exercise")
        check(mine in body("bob", first[0].id) and
              all(mine not in body("alice", i) for i in expected),
              "moss.py: a student's own line is in their file only")
        check(all(any("YOUR CODE HERE" in ln for ln in body("base", i)) and
                  not {ln for ln in body("base", i)} & {ln for ln in expected[i] if ln.strip()}
                  for i in expected), "moss.py: the base files hold the stubs, no solution")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--source", required=True)
    root = os.path.abspath(p.parse_args().source)
    sys.path.insert(0, os.path.join(root, "tools"))
    import classroom
    import exercises
    import grade

    manifest = os.path.join("tests", "grading", "manifest.txt")
    visible = {}
    for e in grade.read_manifest(os.path.join(root, manifest)):
        if e.visibility == "visible":
            visible[e.id] = visible.get(e.id, 0) + e.points
    order = [s["id"] for s in exercises.sections(root) if s["id"] in visible]

    with tempfile.TemporaryDirectory() as tmp:
        for rel in (manifest, classroom.exercises.EXERCISES_MD):
            os.makedirs(os.path.dirname(os.path.join(tmp, rel)), exist_ok=True)
            shutil.copy(os.path.join(root, rel), os.path.join(tmp, rel))
        quiet = io.StringIO()
        with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            check(classroom.main([tmp, "--check"]) == 1, "--check: missing files are stale")
            check(classroom.main([tmp]) == 0, "writes the files")
            check(classroom.main([tmp, "--check"]) == 0, "--check: up to date after writing")

        with open(os.path.join(tmp, classroom.AUTOGRADING), encoding="utf-8") as f:
            tests = json.load(f)["tests"]
        ids = [re.match(r"exercise (\d+\.\d+): ", t["name"]).group(1) for t in tests]
        check(ids == order, "one test per exercise, in the order of docs/exercises.md",
              f"got {ids}, expected {order}")
        check(all(t["points"] == visible[i] for t, i in zip(tests, ids)),
              "each test is worth its exercise's visible points")
        check(sum(t["points"] for t in tests) == sum(visible.values()),
              f"the tests add up to the visible total, {sum(visible.values())}")
        check(all(t["run"] == f"./course grade {i}" for t, i in zip(tests, ids)),
              "each test runs ./course grade ID")
        check(tests[0]["setup"].startswith("sudo apt-get") and
              all(t["setup"] == "" for t in tests[1:]), "only the first test installs")

        with open(os.path.join(tmp, classroom.WORKFLOW), encoding="utf-8") as f:
            yml = f.read()
        steps = re.findall(r"      id: (\S+)\n.*?command: \"\./course grade (\S+)\"\n"
                           r".*?max-score: (\S+)\n", yml, re.S)
        check([(s, i) for s, i, _ in steps] == [(classroom.step_id(i), i) for i in order],
              "the workflow has a step per exercise", f"got {steps}")
        check(all(float(m) == visible[i] for _, i, m in steps), "each step's max-score")
        runners = re.search(r"runners: (\S+)", yml).group(1).split(",")
        check(runners == [classroom.step_id(i) for i in order], "the reporter reads every step")
        check(all(f"{classroom.step_id(i).upper()}_RESULTS: \"${{{{steps."
                  f"{classroom.step_id(i)}.outputs.result}}}}\"" in yml for i in order),
              "each step's results reach the reporter")

        # A change of points makes the files stale; a test with no section is refused.
        path = os.path.join(tmp, manifest)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        first = order[0]
        changed = re.sub(rf"^{re.escape(first)}(\s+)\d+(\s+visible)", rf"{first}\g<1>99\2",
                         text, count=1, flags=re.M)
        with open(path, "w", encoding="utf-8") as f:
            f.write(changed)
        with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            check(changed != text and classroom.main([tmp, "--check"]) == 1,
                  "--check: stale after a change of points")
        with open(path, "a", encoding="utf-8") as f:
            f.write("9.9 1 visible tests/graded_stage1 ex9_9 an exercise without a section\n")
        try:
            with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
                classroom.main([tmp])
            check(False, "an exercise without a section in docs/exercises.md is refused")
        except SystemExit as e:
            check("9.9" in str(e), "an exercise without a section in docs/exercises.md is refused",
                  str(e))

    check_moss(root)

    print(f"1..{len(results)}")
    for n, (ok, what, detail) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {n} - {what}")
        if not ok and detail:
            print(f"# {detail}")
    return 0 if all(ok for ok, _, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())

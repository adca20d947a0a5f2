#!/usr/bin/env python3
"""check_grading.py: the grading system, end to end (meson test 'grading', suite 'grading').

  1. the reference (the build under test) scores full marks;
  2. ./course student writes a copy without the instructors' files, the hidden manifest
     entries or any solution (in the code or in the docs), which builds with -Werror and
     scores 0 on every exercise, each of its test cases failing;
  3. in a copy of the reference, each exercise alone replaced by its stub fails every one of
     its own test cases (what else then fails is printed: the exercises that need it);
  4. tools/gradescope/run_autograder, given the student copy as the submission, gives 0 with
     the hidden tests marked after_published; with exercise 1.1 solved in the copy (its
     region restored from the reference) exactly 1.1's points, still so when another
     exercise's file does not compile, and the copy's own ./course grade exactly 1.1's
     visible points;
  5. in the student copy with chapter 1 solved but one exercise, chapter 1's program stops at
     that exercise, for each of them (so torch_mm runs the student's mm_reference), and with
     all of them solved it runs;
  6. the student copy builds the reference kernels, so no fast kernel bypasses an exercise:
     with every exercise solved but one whose function the fast backend also implements,
     stages 3 and 4 (nn_linear's addmm, the losses' sums) stop with that exercise's message;
     with every exercise solved, each stage program writes the same loss file, byte for byte,
     as the build under test (the fast kernels: the two backends give the same bits);
  7. the learner's loop, in the student copy as a learner uses it: in the fresh copy
     ./course check shows the first exercise of docs/exercises.md failing at its stub, with
     where its code goes and the progress table; ./course hint gives its hints one at a time
     (kept under build/), then says there are no more; the test suites' failures each name
     the exercise they need, in one TAP line. With every exercise solved but a wrong
     broadcast_shapes, ./course check shows the failing test's line, the call, the expected
     and actual values; ./course check --watch runs again when the solution is saved, and it
     passes; then every exercise is done and the docs test passes; with chapter 4's exercises
     stubbed, ./course train trains stages 1 to 3 and names the exercise stage 4 needs.
Prints TAP. Under valgrind (CT_PROGRAM_WRAPPER set) it does 1 and 2 without building the
copy: it runs no C code of its own that valgrind would check.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

results = []
start = time.monotonic()


def check(ok, what, detail=""):
    results.append(ok)
    print(f"{'ok' if ok else 'not ok'} {len(results)} - {what}")
    if detail:
        for line in detail.rstrip().splitlines():
            print(f"# {line}")
    sys.stdout.flush()
    return ok


def note(text):
    for line in text.rstrip().splitlines():
        print(f"# {line}")
    sys.stdout.flush()


def run(cmd, cwd=None, env=None, timeout=900):
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, errors="replace")
    return proc.returncode, proc.stdout + proc.stderr


def grade(tree, build, json_path, ids=(), no_build=False):
    """Runs tree's grader on build; returns (exit status, results.json, text)."""
    cmd = [sys.executable, os.path.join(tree, "tools", "grade.py"), "--build", build,
           "--json", json_path] + (["--no-build"] if no_build else []) + list(ids)
    status, out = run(cmd, cwd=tree)
    try:
        with open(json_path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        data = {"score": None, "tests": []}
    return status, data, out


def passed_by_exercise(data):
    """{exercise: (points earned, points possible, test cases failed, test cases)}"""
    by = {}
    for t in data["tests"]:
        if "number" not in t:
            continue
        e = by.setdefault(t["number"], [0, 0, 0, 0])
        e[0] += t["score"]
        e[1] += t["max_score"]
        e[2] += t["status"] != "passed"
        e[3] += 1
    return by


def main(argv):
    p = argparse.ArgumentParser()
    p.add_argument("--source", required=True)
    p.add_argument("--build", required=True)
    p.add_argument("--keep", action="store_true", help="keep the temporary trees")
    args = p.parse_args(argv)
    # Under valgrind (meson test --setup=valgrind) only the cheap part runs: this script is
    # what valgrind watches, and it only drives other programs.
    args.quick = bool(os.environ.get("CT_PROGRAM_WRAPPER"))
    src = os.path.abspath(args.source)
    sys.path.insert(0, os.path.join(src, "tools"))
    import exercises

    exs = exercises.exercises(src)
    ids = [e["id"] for e in exs]
    tmp = tempfile.mkdtemp(prefix="ctorch-grading-")
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("CK_") or k == "MESON_TEST_ITERATION":
            env.pop(k)
    try:
        return steps(args, src, exercises, ids, tmp, env)
    except Exception as e:  # a broken step fails the test, with what broke
        import traceback
        check(False, f"the check itself stopped: {e}", traceback.format_exc())
        return finish(tmp, args.keep)


def steps(args, src, exercises, ids, tmp, env):
    if True:
        # ---- 1. the reference ---------------------------------------------------------
        status, ref, out = grade(src, os.path.abspath(args.build), os.path.join(tmp, "ref.json"),
                                 no_build=True)
        total = sum(t["max_score"] for t in ref["tests"])
        check(status == 0 and ref["score"] == total and total > 0 and
              all(t["status"] == "passed" for t in ref["tests"]),
              f"the reference scores full marks ({ref['score']}/{total}, {len(ref['tests'])} "
              "test cases)", "" if status == 0 else out[-3000:])
        visible_points = {}
        all_points = {}
        for t in ref["tests"]:
            all_points[t["number"]] = all_points.get(t["number"], 0) + t["max_score"]
            if t["visibility"] == "visible":
                visible_points[t["number"]] = visible_points.get(t["number"], 0) + t["max_score"]
        same = set(all_points) == set(ids)
        check(same, f"{len(ids)} exercises, each with graded tests",
              "" if same else f"in the source: {ids}\nin the manifest: {sorted(all_points)}")
        hidden_points = {t["number"] for t in ref["tests"] if t["visibility"] != "visible"}
        lacking = [f"{e}: no {kind} tests" for e in ids
                   for kind, have in (("visible", visible_points), ("hidden", hidden_points))
                   if e not in have]
        check(not lacking, "every exercise has visible and hidden tests", "\n".join(lacking))

        # ---- 2. the student copy --------------------------------------------------------
        student = os.path.join(tmp, "student")
        status, out = run([sys.executable, os.path.join(src, "tools", "exercises.py"),
                           "student", student])
        check(status == 0, "./course student writes a copy", out[-3000:] if status else "")
        copied = exercises.list_files(student)
        leaked = [f for f in copied if exercises.instructor_only(f)]
        with open(os.path.join(student, exercises.MANIFEST), encoding="utf-8") as f:
            hidden_lines = [l for l in f if l.split()[2:3] == ["hidden"]]
        solutions = []
        ref_regions = exercises.find_regions(src)
        # A line is a solution's if the reference's code has it only inside exercise regions
        # (the docs and tools, where the copy is searched, do not count; the chapters' example
        # programs do: a line they share with a solution is an idiom the chapter teaches).
        public = set()
        for rel in exercises.list_files(src):
            if (exercises.instructor_only(rel) or rel.endswith(".md") or
                    (rel.startswith(("docs/", "tools/")) and
                     not rel.startswith("docs/examples/"))):
                continue
            try:
                lines = exercises.read_lines(os.path.join(src, rel))
            except UnicodeDecodeError:
                continue
            inside = set()
            for r in ref_regions.get(rel, []):
                inside.update(range(r.begin + 1, r.end))
            public.update(l.strip() for i, l in enumerate(lines) if i not in inside)
        docs_text = ""  # what students read: the docs, every .md, the tools
        for rel in copied:
            if rel.endswith(".md") or rel.startswith(("docs/", "tools/")):
                with open(os.path.join(student, rel), encoding="utf-8", errors="replace") as f:
                    docs_text += f.read()
        for rel, regions in ref_regions.items():
            mine = exercises.read_lines(os.path.join(student, rel))
            theirs = {(r.id, r.ordinal): r.body(mine) for r in exercises.parse_regions(rel, mine)}
            ref_lines = exercises.read_lines(os.path.join(src, rel))
            for r in regions:
                body = theirs.get((r.id, r.ordinal))
                if body is None or not any("not implemented yet" in l for l in body):
                    solutions.append(f"{rel}: exercise {r.id} is not a stub")
                code = [l.strip() for l in r.body(ref_lines)
                        if len(l.strip()) > 20 and not l.strip().startswith("/*") and
                        l.strip() not in public]
                shown = [l for l in code if l in docs_text]
                if shown:
                    solutions.append(f"the docs or tools show exercise {r.id}'s code: "
                                     f"{shown[0]}")
        check(not leaked and not hidden_lines and not solutions,
              "the copy has no instructors' file, hidden test or solution",
              "\n".join(leaked + [l.strip() for l in hidden_lines] + solutions))

        if args.quick:
            note("under valgrind: the copies are built and graded in the plain run")
            return finish(tmp, args.keep)
        sbuild = os.path.join(student, "build")
        status, out = run(["meson", "setup", sbuild, "-Dwerror=true"], cwd=student)
        if status == 0:
            status, out = run(["ninja", "-C", sbuild], cwd=student)
        if not check(status == 0, "the student copy builds with warnings as errors",
                     out[-4000:] if status else ""):
            return finish(tmp, args.keep)
        status, data, out = grade(student, sbuild, os.path.join(tmp, "student.json"),
                                  no_build=True)
        by = passed_by_exercise(data)
        check(status == 1 and data["score"] == 0 and set(by) == set(ids) and
              all(t["status"] == "failed" for t in data["tests"]) and
              all(t["visibility"] == "visible" for t in data["tests"]),
              f"the student copy scores 0 on every exercise ({len(data['tests'])} visible test "
              f"cases, all failing; {sum(visible_points.values())} points possible)",
              out[-3000:] if data["score"] != 0 else "")
        learner_unsolved(student, sbuild, exercises, env)

        # ---- 3. each exercise's stub fails its own tests ----------------------------------
        tree = os.path.join(tmp, "autograder", "source", "ctorch")
        exercises.copy_tree(src, tree, exercises.list_files(src))
        tbuild = os.path.join(tree, "build")
        status, out = run(["meson", "setup", tbuild], cwd=tree)
        if status == 0:
            status, out = run(["ninja", "-C", tbuild], cwd=tree)
        if not check(status == 0, "a copy of the reference builds (the autograder's tree)",
                     out[-3000:] if status else ""):
            return finish(tmp, args.keep)
        tool = [sys.executable, os.path.join(tree, "tools", "exercises.py")]
        for ex_id in ids:
            status, out = run(tool + ["stub", tree, ex_id])
            if status != 0:
                check(False, f"exercise {ex_id}: its stub compiles", out[-2000:])
                continue
            status, data, out = grade(tree, tbuild, os.path.join(tmp, f"stub{ex_id}.json"))
            by = passed_by_exercise(data)
            own = by.get(ex_id, [0, 0, 0, 0])
            others = sorted((e for e, v in by.items() if e != ex_id and v[2] > 0),
                            key=exercises.id_key)
            detail = f"with {ex_id} a stub, these fail too: {' '.join(others) or 'none'}"
            check(data["score"] is not None and own[3] > 0 and own[2] == own[3],
                  f"exercise {ex_id} alone a stub: its {own[3]} test cases fail",
                  detail if own[2] == own[3] else detail + "\n" + out[-2000:])
            status, out = run(tool + ["inject", src, tree, ex_id])
            if status != 0:
                check(False, f"exercise {ex_id}: restoring the reference", out[-2000:])

        # ---- 4. Gradescope's run_autograder -----------------------------------------------
        ag_root = os.path.join(tmp, "autograder")
        submission = os.path.join(ag_root, "submission")
        exercises.copy_tree(student, submission, exercises.list_files(student))
        run_ag = os.path.join(src, "tools", "gradescope", "run_autograder")
        ag_env = dict(env, AUTOGRADER_ROOT=ag_root)
        results_json = os.path.join(ag_root, "results", "results.json")

        def autograde():
            if os.path.exists(results_json):
                os.remove(results_json)
            status, out = run([run_ag], env=ag_env)
            try:
                with open(results_json, encoding="utf-8") as f:
                    return json.load(f), out
            except (OSError, ValueError):
                return {"score": None, "tests": []}, out

        data, out = autograde()
        vis = {t["visibility"] for t in data["tests"]}
        check(data["score"] == 0 and len(data["tests"]) == len(ref["tests"]) and
              vis == {"visible", "after_published"},
              f"run_autograder on the student copy: {data['score']}/{total}, hidden tests "
              "after_published", out[-3000:] if data["score"] != 0 else "")

        status, out = run(tool + ["inject", src, submission, "1.1"])
        data, out = autograde()
        by = passed_by_exercise(data)
        want = all_points.get("1.1")
        check(data["score"] == want and by.get("1.1", [0, 0, 1, 1])[2] == 0 and
              all(v[0] == 0 for e, v in by.items() if e != "1.1"),
              f"run_autograder with exercise 1.1 solved: exactly its {want} points "
              f"(got {data['score']})", out[-3000:] if data["score"] != want else "")

        # a region that does not compile costs only its own file's exercises
        rel = next(r.path for r in exercises.exercises(src)[-1]["regions"])
        last = exercises.exercises(src)[-1]["id"]
        path = os.path.join(submission, rel)
        lines = exercises.read_lines(path)
        region = [r for r in exercises.parse_regions(rel, lines) if r.id == last][0]
        lines.insert(region.begin + 1, "    this is not C;")
        exercises.write_lines(path, lines)
        data, out = autograde()
        build = [t for t in data["tests"] if t["name"] == "Build"]
        check(data["score"] == want and build and build[0]["status"] == "failed" and
              rel in build[0]["output"],
              f"run_autograder with exercise {last}'s file not compiling: still exactly 1.1's "
              f"{want} points, and a failed Build test names {rel}",
              out[-3000:] if data["score"] != want else "")

        exercises.inject(src, student, {"1.1"}, log=lambda m: None)
        status, data, out = grade(student, sbuild, os.path.join(tmp, "student11.json"))
        want = visible_points.get("1.1")
        check(data["score"] == want,
              f"the student copy with exercise 1.1 solved: exactly its {want} visible points "
              f"(got {data['score']})", out[-3000:] if data["score"] != want else "")

        # ---- 5. chapter 1's program runs the student's code ---------------------------------
        # With chapter 1 solved but one exercise, the program stops at that one; then it runs.
        stage1 = os.path.join(sbuild, "stage1_tensors", "train")
        chapter1 = [e for e in ids if e.startswith("1.")]
        exercises.inject(src, student, set(chapter1), log=lambda m: None)
        for ex_id in chapter1:
            run(tool + ["stub", student, ex_id])
            status, out = run(["ninja", "-C", sbuild, "stage1_tensors/train"])
            code, prog = run([stage1, "--epochs", "2", "--every", "0"])
            check(code == 1 and f"exercise {ex_id}: not implemented yet" in prog,
                  f"the student copy's chapter 1 program, with chapter 1 solved but {ex_id}, "
                  f"stops at exercise {ex_id}", "" if code == 1 else prog[-1000:] + out[-1000:])
            exercises.inject(src, student, {ex_id}, log=lambda m: None)
        status, out = run(["ninja", "-C", sbuild, "stage1_tensors/train"])
        code, prog = run([stage1, "--epochs", "2", "--every", "0"])
        check(code == 0, "with chapter 1 solved, the student copy's chapter 1 program runs",
              "" if code == 0 else prog[-1000:] + out[-1000:])

        # ---- 6. no fast kernel bypasses an exercise -----------------------------------------
        exercises.inject(src, student, set(ids), log=lambda m: None)
        programs = {k: os.path.join(sbuild, d, "train") for k, d in STAGES.items()}
        for ex_id, stages in SEAM_EXERCISES.items():
            run(tool + ["stub", student, ex_id])
            status, out = run(["ninja", "-C", sbuild])
            for k in stages:
                code, prog = run([programs[k], "--epochs", "2", "--every", "0"])
                check(code == 1 and f"exercise {ex_id}: not implemented yet" in prog,
                      f"every exercise solved but {ex_id}: stage {k}'s program stops with "
                      f"exercise {ex_id}'s message", "" if code == 1 else prog[-800:] + out[-800:])
            exercises.inject(src, student, {ex_id}, log=lambda m: None)
        seams = seam_files(src, exercises)
        missing = [f"{r.path}: exercise {r.id}" for e in exercises.exercises(src)
                   for r in e["regions"] if r.path in seams and r.id not in SEAM_EXERCISES
                   and r.id not in NOT_IN_FAST]
        check(not missing, "every exercise in a file with a backend seam is in SEAM_EXERCISES "
              "or NOT_IN_FAST", "\n".join(missing))
        status, out = run(["ninja", "-C", sbuild])
        for k, d in STAGES.items():
            mine, theirs = os.path.join(tmp, f"student{k}.csv"), os.path.join(tmp, f"ref{k}.csv")
            code1, out1 = run([programs[k], "--every", "0", "--csv", mine])
            code2, out2 = run([os.path.join(os.path.abspath(args.build), d, "train"), "--every",
                               "0", "--csv", theirs])
            same = code1 == 0 and code2 == 0 and open(mine).read() == open(theirs).read()
            check(same, f"every exercise solved: the student copy's stage {k} (reference "
                  "kernels) writes the same losses as the build under test, byte for byte",
                  "" if same else out1[-800:] + out2[-800:])
        learner_solving(src, student, sbuild, exercises, ids, env)
    return finish(tmp, args.keep)


# ---- 7. the learner's loop -----------------------------------------------------------------

# A wrong answer a learner could write, for the exercise region in this function: it compiles
# and fails its tests on values (the first shape, whatever the second).
WRONG_ANSWER = ("broadcast_shapes", ["(void)op;", "(void)b;", "return a; /* wrong */"])


def course(student, env, *args):
    """./course ARGS in the student copy, as a learner runs it (its build/ is the one made)."""
    return run([os.path.join(student, "course")] + list(args), cwd=student, env=env)


def docs_order(root):
    with open(os.path.join(root, "docs", "exercises.md"), encoding="utf-8") as f:
        return re.findall(r"^## Exercise (\d+\.\d+)\b", f.read(), re.M)


def places(exercises, root, ex_id):
    """"file:line" of each BEGIN marker of the exercise in root."""
    return [f"{r.path}:{r.begin + 1}" for e in exercises.exercises(root) if e["id"] == ex_id
            for r in e["regions"]]


def region_in(exercises, root, function):
    """The exercise region inside the C function of that name, or None."""
    for e in exercises.exercises(root):
        for r in e["regions"]:
            lines = exercises.read_lines(os.path.join(root, r.path))
            for i in range(r.begin, -1, -1):
                m = re.match(r"^[A-Za-z_][^;(]*\b(\w+)\s*\(", lines[i])
                if m:
                    if m.group(1) == function:
                        return r
                    break
    return None


def learner_unsolved(student, sbuild, exercises, env):
    first = docs_order(student)[0]
    where = places(exercises, student, first)
    status, out = course(student, env, "check")
    check(status == 1 and f"== exercise {first}:" in out and
          f"the stub of exercise {first} is still there" in out and
          all(p in out for p in where) and
          re.search(rf"^> {re.escape(first)} .* this one +0/\d", out, re.M) is not None and
          re.search(r"^0 of \d+ exercises done", out, re.M) is not None,
          f"./course check in the fresh copy: exercise {first}, the first of docs/exercises.md, "
          f"fails at its stub, with where its code goes ({', '.join(where)}) and the progress "
          "table", out[-3000:])

    # the hints, one at a time, kept under build/ and nowhere else
    files = set(exercises.list_files(student))
    course(student, env, "hint", first, "--reset")
    shown = [course(student, env, "hint", first)[1] for _ in range(3)]
    total = re.search(r"hint 1 of (\d+)", shown[0])
    n = int(total.group(1)) if total else 0
    third = f"hint 3 of {n}" if n >= 3 else "no more hints"
    _, again = course(student, env, "hint", "--reset")
    _, after_reset = course(student, env, "hint")
    check(n >= 2 and f"hint 2 of {n}" in shown[1] and third in shown[2] and
          f"exercise {first}" in again and f"exercise {first}" in after_reset and
          "hint 1 of" in after_reset and os.path.isfile(os.path.join(sbuild, "learn.json")) and
          set(exercises.list_files(student)) == files,
          f"./course hint {first} three times: hints 1 and 2 of {n}, then {third}; --reset "
          "(for the exercise check showed) starts over; kept in build/learn.json",
          "\n----\n".join(shown + [again, after_reset]))

    # the suites' failures each name the exercise they need, one TAP line each
    status, out = run(["meson", "test", "-C", sbuild, "errors", "stage1", "graded_stage1",
                       "fuzz_replay", "docs"], cwd=student, env=env)
    _, counted = run([sys.executable, os.path.join(student, "tools", "count_tests.py"),
                      os.path.join(sbuild, "meson-logs", "testlog.json")])
    last = counted.strip().splitlines()[-1] if counted.strip() else ""
    m = re.match(r"(\d+) passed, (\d+) failed \((\d+) of them need exercises? ", last)
    check(m is not None and int(m.group(2)) > 0 and m.group(2) == m.group(3) and
          "Unknown TAP" not in out and "SIGABRT" not in out,
          "in the fresh copy, every failure of the errors, stage1, graded_stage1, fuzz_replay "
          f"and docs suites names the exercise it needs ({last})", out[-2000:] + counted[-2000:])


def learner_solving(src, student, sbuild, exercises, ids, env):
    function, body = WRONG_ANSWER
    region = region_in(exercises, student, function)
    if not check(region is not None, f"an exercise region is in {function} (WRONG_ANSWER)"):
        return
    ex_id, path = region.id, os.path.join(student, region.path)
    lines = exercises.read_lines(path)
    exercises.write_lines(path, exercises.replace_regions(
        lines, [(region, [region.indent + l for l in body])]))
    status, out = course(student, env, "check", ex_id)
    check(status == 1 and f"your code: {region.path}:{region.begin + 1}" in out and
          re.search(r"^FAIL \w+ \(tests/graded/\w+\.c:\d+\)$", out, re.M) is not None and
          re.search(r"^   called: +\S", out, re.M) is not None and
          re.search(r"^   expected: \S", out, re.M) is not None and
          re.search(r"^   actual: +\S", out, re.M) is not None,
          f"a wrong {function}: ./course check {ex_id} shows the failing test's file:line, "
          "the call, the expected and the actual values", out[-3000:])

    # --watch: saving the solution runs the check again, which passes
    proc = subprocess.Popen([os.path.join(student, "course"), "check", ex_id, "--watch-runs=2"],
                            cwd=student, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace")
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("watching"):
            break
    exercises.inject(src, student, {ex_id}, log=lambda m: None)
    try:
        rest, _ = proc.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        proc.kill()
        rest, _ = proc.communicate()
    out = "".join(seen) + rest
    second = out.partition("watching")[2]
    check(proc.returncode == 0 and f"exercise {ex_id} passes its visible tests" in second and
          re.search(rf"^. {re.escape(ex_id)} .* done ", second, re.M) is not None,
          f"./course check {ex_id} --watch: saving the solution runs it again, and it passes",
          out[-3000:])

    status, out = course(student, env, "check")
    n = len(docs_order(student))
    check(status == 0 and "every exercise passes its visible tests" in out and
          f"{n} of {n} exercises done" in out,
          f"every exercise solved: ./course check says so, {n} of {n} done", out[-3000:])
    status, out = run(["meson", "test", "-C", sbuild, "docs", "hints"], cwd=student, env=env)
    check(status == 0, "every exercise solved: the copy's docs and hints tests pass (solving "
          "an exercise changes no snippet)", out[-3000:])

    # ./course train: the stages whose exercises are done train, the other names its exercise
    last = max(int(i.split(".")[0]) for i in ids)
    stubbed = [i for i in ids if int(i.split(".")[0]) == last]
    run([sys.executable, os.path.join(student, "tools", "exercises.py"), "stub", student] +
        stubbed)
    status, out = course(student, env, "train", "--", "--epochs", "3", "--every", "0")
    summary = out.partition("Summary")[2]
    trained = [k for k in range(1, last) if re.search(rf"^{k} \w", summary, re.M)]
    named = re.search(rf"^  stage {last}: needs exercise (\d+\.\d+)", out, re.M)
    check(status == 1 and trained == list(range(1, last)) and named is not None and
          named.group(1) in stubbed and (shutil.which("gnuplot") is None or "chart:" in out),
          f"chapter {last}'s exercises stubbed: ./course train trains stages 1 to {last - 1}, "
          f"names the exercise stage {last} needs"
          f"{' (' + named.group(1) + ')' if named else ''}, and draws the chart", out[-3000:])


STAGES = {1: "stage1_tensors", 2: "stage2_autograd", 3: "stage3_modules",
          4: "stage4_losses_optim"}
# The exercises whose function the fast backend implements too (common/backend.h), with the
# stage programs that must stop at their stub: the product (nn_linear computes torch_addmm)
# and the sums (every loss sums).
SEAM_EXERCISES = {"1.4": [1, 2, 3, 4], "1.5": [1, 2, 3, 4]}
# Adam's element loop (4.5, with its bias corrections) is the fast backend's fast_adam too.
SEAM_EXERCISES["4.5"] = [4]
# Exercises in a file with a seam whose code is not a kernel the fast backend has: SGD's
# momentum has no fast loop.
NOT_IN_FAST = {"4.4"}


def seam_files(src, exercises):
    """The library's files that choose a backend (#if CTORCH_FAST)."""
    found = set()
    for rel in exercises.list_files(src):
        if rel.endswith(".c") and not rel.startswith("tests/"):
            with open(os.path.join(src, rel), encoding="utf-8", errors="replace") as f:
                if "#if CTORCH_FAST" in f.read():
                    found.add(rel)
    return found


def finish(tmp, keep):
    print(f"1..{len(results)}")
    note(f"{time.monotonic() - start:.0f}s" + (f"; trees kept in {tmp}" if keep else ""))
    if not keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

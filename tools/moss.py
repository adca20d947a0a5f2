#!/usr/bin/env python3
"""moss.py: the students' own code, one file per exercise, ready for a plagiarism check.

Every submission shares thousands of lines of ctorch with every other one; only the code
between the exercise markers is the student's. For each submission folder in SUBMISSIONS
(one per student: an unpacked zip or a clone; the library may sit a level or two down),
this writes OUT/<student>/exercise-<ID>.c holding that student's regions of the exercise,
found the way the grader finds them (tools/exercises.py). OUT/base/ holds the stubs of a
student copy: passed to MOSS as base files, they are ignored in the comparison. Then it
prints the MOSS command to run (moss.pl, from Stanford's MOSS service: docs/instructors.md).

Usage: tools/moss.py SUBMISSIONS OUT
Python 3 standard library only.
"""

import argparse
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import exercises  # noqa: E402

ROOT = exercises.ROOT


def reference_regions(root=ROOT):
    """{(id, ordinal): (rel, Region)} of the reference tree, in source order."""
    found = {}
    for rel, regions in exercises.find_regions(root).items():
        for r in regions:
            found[(r.id, r.ordinal)] = (rel, r)
    return found


def region_text(rel, ex_id, ordinal, body):
    return [f"/* {rel}: exercise {ex_id}, region {ordinal + 1} */"] + body + [""]


def submitted_regions(src, reference):
    """{id: [lines]} of one submission: its regions' bodies, each headed by where it sits;
    a region the submission lacks is left out."""
    src = exercises.submission_root(src)
    by_file, out = {}, {}
    for (ex_id, ordinal), (rel, _) in sorted(reference.items(),
                                            key=lambda kv: exercises.id_key(kv[0][0])):
        if rel not in by_file:
            path = exercises.find_submitted_file(src, rel)
            try:
                lines = exercises.read_lines(path) if path else []
                by_file[rel] = {(r.id, r.ordinal): r.body(lines)
                                for r in exercises.parse_regions(rel, lines)}
            except exercises.ExerciseError:
                by_file[rel] = {}  # broken markers: nothing of that file is compared
        body = by_file[rel].get((ex_id, ordinal))
        if body is not None:
            out.setdefault(ex_id, []).extend(region_text(rel, ex_id, ordinal, body))
    return out


def stub_regions(reference):
    """{id: [lines]}: what a student copy holds between the markers, for MOSS's base files."""
    out = {}
    for (ex_id, ordinal), (rel, region) in reference.items():
        lines = exercises.read_lines(os.path.join(ROOT, rel))
        out.setdefault(ex_id, []).extend(
            region_text(rel, ex_id, ordinal, exercises.stub_body(region, lines)))
    return out


def write(folder, regions):
    os.makedirs(folder, exist_ok=True)
    for ex_id, lines in regions.items():
        with open(os.path.join(folder, f"exercise-{ex_id}.c"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines))


def main(argv):
    p = argparse.ArgumentParser(prog="tools/moss.py", description=__doc__.split("\n")[0])
    p.add_argument("submissions", help="one folder per student")
    p.add_argument("out", help="where the per-exercise files go (made anew)")
    args = p.parse_args(argv)
    reference = reference_regions()
    students = sorted(d for d in os.listdir(args.submissions)
                      if os.path.isdir(os.path.join(args.submissions, d)))
    if not students:
        print(f"moss: no submission folders in {args.submissions}", file=sys.stderr)
        return 2
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    write(os.path.join(args.out, "base"), stub_regions(reference))
    for name in students:
        got = submitted_regions(os.path.join(args.submissions, name), reference)
        write(os.path.join(args.out, name), got)
        print(f"moss: {name}: {len(got)} exercises")
    print(f"moss: then, in {args.out}: moss -l c -d -b base/exercise-2.5.c "
          "*/exercise-2.5.c (one exercise), or every exercise at once:")
    print("  moss -l c -d $(for f in base/*.c; do echo -b $f; done) "
          "$(ls -d */ | grep -v base/ | sed 's|$|*.c|')")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

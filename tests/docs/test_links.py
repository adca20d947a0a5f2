#!/usr/bin/env python3
"""test_links.py: the docs test's link and path check finds what is broken, and only that.

Builds a small repository in a temporary directory, with one broken thing of each kind the
check must report (a link to a missing page, an anchor no heading makes, a link out of the
repository, a stale path and a stale file name in a page and in comments, a pattern that
matches nothing, a citation of a page outside) beside the forms it must accept (existing
paths and anchors, build outputs, absolute paths, patterns and placeholders that match,
examples, code strings, commands), runs tools/docs.py's check on it and compares the
problems with the expected list, exactly. Then the same tree as a student copy (paths into
the instructors' files and bare file names are no longer checked), and with two of the
missing files created. Then the chapters' frame (tools/docs.py): the "Running the examples"
block lists every program a chapter shows, the "Exercises for this chapter" block lists the
chapter's exercises with their points, a figure no page shows is reported, and a redrawn SVG
compares without the drawing tool's version.
Prints TAP.

Usage: test_links.py --source ROOT (the repository whose tools/docs.py is tested)
"""
import argparse
import importlib
import os
import sys
import tempfile

PAGE = """\
# Present heading

<a id="custom-anchor"></a>

Good links: [a](a.md), [self](#present-heading), [custom](a.md#custom-anchor),
[up](../README.md), [dir](../common/), [web](https://example.org/x.md), [mail](mailto:x@y.z).
Broken: [missing](missing.md), [anchor](a.md#no-such-heading), [out](../../elsewhere/x.md).

Paths that exist: `common/x.h`, common/ and `tools/t.py`; a program the build makes:
common/prog; patterns that match: `docs/*.md`, `tests/fixtures/stageN.txt`,
docs/examples/PROGRAM.c and `tests/fixtures/<name>.txt`; names: `x.h`, `<stdio.h>`.
Not repository paths: build/runs/stageN.csv, /tmp/common/x.h, $root/tools/none.py,
a/common/none.h.
Examples: e.g. `common/example.h`, for example `mine.c`, your own `yours.h`.
Commands name the reader's files: `cc -c my.c` and

```sh
cc common/x.h my_program.c
```

Broken: `common/gone.h`, common/fast/also_gone.c, `docs/img/*.png`, `gone.h`, and the
citation notes/outside.md; `tests/hidden/secret.c` and tests/hidden exist only in the
instructors' tree, and `tools/gradescope/gone.py` in neither.
"""

HEADER = """\
/* x.h: see common/x.h, tests/hidden/secret.c and x.h; stale: common/old.h, tensor.h. */
static const char *path = "common/in_a_string.h"; // a string is code, not a comment
/* and a page outside: ../../elsewhere/notes.md */
"""

SCRIPT = '''\
"""t.py: a docstring naming tools/t.py and tools/none.py."""
CODE = "tools/in_code.py"  # a comment naming tools/also_none.py
'''

EXPECTED = [
    "README.md:1: link docs/missing.md: no file docs/missing.md",
    "docs/a.md:7: link missing.md: no file docs/missing.md",
    "docs/a.md:7: link a.md#no-such-heading: docs/a.md has no heading or <a id> "
    "'no-such-heading'",
    "docs/a.md:7: link ../../elsewhere/x.md leads out of the repository",
    "docs/a.md:21: common/gone.h: no such file or directory",
    "docs/a.md:21: common/fast/also_gone.c: no such file or directory",
    "docs/a.md:21: docs/img/*.png: the pattern matches no file",
    "docs/a.md:21: gone.h: no file of that name in the repository",
    "docs/a.md:22: notes/outside.md: no such page in the repository",
    "docs/a.md:23: tools/gradescope/gone.py: no such file or directory",
    "common/x.h:1: common/old.h: no such file or directory",
    "common/x.h:1: tensor.h: no file of that name in the repository",
    "common/x.h:3: ../../elsewhere/notes.md: leads out of the repository",
    "tools/t.py:1: tools/none.py: no such file or directory",
    "tools/t.py:2: tools/also_none.py: no such file or directory",
]
IN_STUDENT_COPY = "tests/hidden/secret.c"

results = []


def check(ok, what, detail=""):
    results.append(ok)
    print(f"{'ok' if ok else 'not ok'} {len(results)} - {what}")
    for line in (detail.splitlines() if not ok else []):
        print(f"# {line}")
    sys.stdout.flush()


def write(root, path, text):
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8") as f:
        f.write(text)


def make_tree(root):
    write(root, "README.md", "[docs](docs/a.md) and [broken](docs/missing.md)\n")
    write(root, "docs/a.md", PAGE)
    write(root, "docs/examples/ch1.c", "int main(void) { return 0; }\n")
    write(root, "common/x.h", HEADER)
    write(root, "common/meson.build", "prog = executable('prog', 'prog.c')\n")
    write(root, "tests/fixtures/stage1.txt", "")
    write(root, "tests/fixtures/data.txt", "")
    write(root, "tests/hidden/secret.c", "")
    write(root, "tools/t.py", SCRIPT)
    os.makedirs(os.path.join(root, "build", "meson-private"))  # a build directory: skipped
    write(root, "build/common/none.h", "")


def problems(docs):
    found = []
    for listed in docs.check_links_and_paths().values():
        found += listed
    return found


def compare(found, expected, what):
    missing = [p for p in expected if p not in found]
    extra = [p for p in found if p not in expected]
    check(not missing, f"{what}: every broken link and path is reported",
          "not reported:\n" + "\n".join(missing))
    check(not extra, f"{what}: nothing else is reported", "reported wrongly:\n" + "\n".join(extra))


# ---- the chapters' frame: the run and exercises blocks, and the figures -------------------------

CHAPTER = """\
<!-- snippet: docs/examples/ch9_a.c#part -->
<!-- end snippet -->
<!-- output: docs/examples/ch9_a.c#other -->
<!-- end output -->
<!-- snippet: stage9_x/train.c#Forward pass -->
<!-- end snippet -->
<!-- output: stage9_x/train.c --every 5 -->
<!-- end output -->
<!-- output: docs/examples/ch9_b.c -->
<!-- end output -->
"""

EXERCISES = """\
# Exercises

## Exercise 8.1: elsewhere

**Difficulty:** easy, about 10 minutes. **Teaches:** another chapter's thing.

## Exercise 9.2: the second one

**Difficulty:** hard, about 60 minutes. **Teaches:** the hard part.

## Exercise 9.1: the first one

**Difficulty:** easy, about 15 minutes. **Teaches:** the easy part.
"""

MANIFEST = """\
# exercise points visibility binary tcase what
8.1 2 visible tests/graded_stage8 ex8_1 x
9.2 3 visible tests/graded_stage9 ex9_2 x
9.2 2 hidden tests/hidden/hidden_stage9 ex9_2 x
9.1 4 visible tests/graded_stage9 ex9_1 x
"""


def check_frame(docs, root):
    """The generated blocks of each chapter's frame, and the figures' checks."""
    programs = docs.chapter_programs(CHAPTER)
    check(programs == [("docs/examples/ch9_a.c", ()), ("stage9_x/train.c", ("--every", "5")),
                       ("docs/examples/ch9_b.c", ())],
          "run block: every program a chapter shows, once, in order; a stage program only "
          "when an output runs it, with its arguments", repr(programs))
    block = docs.run_block(CHAPTER)
    commands = ["build/docs/ch9_a", "build/stage9_x/train --every 5", "build/docs/ch9_b"]
    check(all(c + "\n" in block for c in commands) and "build/stage9_x/train\n" not in block
          and "ninja -C build" in block and "Error in exercise N.M" in block,
          "run block: the build, one command per program, the student copy's note", block)

    write(root, "docs/exercises.md", EXERCISES)
    write(root, "tests/grading/manifest.txt", MANIFEST)
    block = docs.exercises_block("9")
    first, second = block.find("[Exercise 9.2: the second one](exercises.md#exercise-92)"), \
        block.find("[Exercise 9.1: the first one](exercises.md#exercise-91)")
    check(0 <= first < second and "8.1" not in block,
          "exercises block: the chapter's exercises only, linked, in the order of exercises.md",
          block)
    flat = " ".join(block.split())
    check("5 points (3 visible, 2 hidden); hard, about 60 minutes. Teaches: the hard part." in flat
          and "4 points; easy, about 15 minutes. Teaches: the easy part." in flat
          and "2 exercises, 9 points in all" in flat,
          "exercises block: points (visible + hidden), difficulty, time, what it teaches", block)
    write(root, "tests/grading/manifest.txt", MANIFEST.replace("9.1 4", "9.3 4"))
    try:
        docs.exercises_block("9")
        check(False, "exercises block: an exercise with no points in the manifest is an error")
    except docs.DocsError as e:
        check("9.1" in str(e), "exercises block: an exercise with no points in the manifest is "
              "an error", str(e))

    write(root, "docs/img/shown.svg", "<svg/>")
    write(root, "docs/img/in_code.svg", "<svg/>")
    write(root, "docs/img/nowhere.svg", "<svg/>")
    write(root, "docs/ch.md", "![a figure](img/shown.svg)\n\n```\n![not shown](img/in_code.svg)"
                              "\n```\n")
    unshown = docs.pictures_not_shown(["docs/img/shown.svg", "docs/img/in_code.svg",
                                       "docs/img/nowhere.svg"])
    check(unshown == ["docs/img/in_code.svg", "docs/img/nowhere.svg"],
          "figures: one a page shows passes; one only in a code block, or nowhere, is reported",
          repr(unshown))
    a = "<!-- Generated by graphviz version 2.43.0 (0)\n -->\n<svg><desc>Produced by GNUPLOT 5.4 " \
        "</desc><text>4, 1</text></svg>"
    b = a.replace("2.43.0", "9.0.0").replace("5.4", "6.0")
    check(docs.normalize_svg(a) == docs.normalize_svg(b) and
          docs.normalize_svg(a) != docs.normalize_svg(a.replace("4, 1", "4, 9")),
          "figures: redrawn SVGs compare without the tools' versions, and nothing else")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--source", required=True, help="the repository whose tools/docs.py is tested")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="ct_docs_links_") as root:
        make_tree(root)
        sys.path.insert(0, os.path.join(os.path.abspath(args.source), "tools"))
        docs = importlib.import_module("docs")
        docs.ROOT = root

        found = problems(docs)
        compare(found, EXPECTED, "the instructors' tree")
        check(len(docs.check_links_and_paths()) == 3,
              "three results: links in the pages, paths in the pages, paths in comments")

        os.remove(os.path.join(root, IN_STUDENT_COPY))
        os.rmdir(os.path.dirname(os.path.join(root, IN_STUDENT_COPY)))
        in_copy = [p for p in EXPECTED if "tools/gradescope/" not in p and
                   "no file of that name" not in p]
        compare(problems(docs), in_copy, "a student copy (no tests/hidden/)")

        write(root, "common/old.h", "")
        write(root, "docs/missing.md", "# Missing\n")
        fixed = [p for p in in_copy if "common/old.h" not in p and "missing.md" not in p]
        compare(problems(docs), fixed, "after creating two of the missing files")
    with tempfile.TemporaryDirectory(prefix="ct_docs_frame_") as root:
        docs.ROOT = root
        check_frame(docs, root)
    print(f"1..{len(results)}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())

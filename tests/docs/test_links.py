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
missing files created.
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
    print(f"1..{len(results)}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())

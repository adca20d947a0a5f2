#!/usr/bin/env python3
"""make_zip.py [ZIP]: the Gradescope autograder (./course gradescope calls it).

The zip holds, at its top, Gradescope's two scripts (setup.sh, run_autograder, from this
directory) and ctorch/: this whole tree as git sees it (tracked and untracked files that are
not ignored, so no build directories), with the solutions and the hidden tests. Upload it as
the programming assignment's autograder ("Zip file upload"). Default ZIP:
build/gradescope/autograder.zip. Python 3 standard library only.
"""
import os
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import exercises  # noqa: E402


def add(z, path, arcname):
    info = zipfile.ZipInfo.from_file(path, arcname)
    info.compress_type = zipfile.ZIP_DEFLATED
    with open(path, "rb") as f:
        z.writestr(info, f.read())  # keeps the mode bits (executable scripts stay so)


def main(argv):
    out = os.path.abspath(argv[0] if argv else os.path.join(ROOT, "build", "gradescope",
                                                              "autograder.zip"))
    files = exercises.list_files(ROOT)
    if not any(f.startswith("tests/hidden/") for f in files):
        print("gradescope: tests/hidden/ is missing: build the autograder from the instructors' "
              "tree, not from a student copy", file=sys.stderr)
        return 1
    found = exercises.exercises(ROOT)  # fails on a malformed region before anything is written
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with zipfile.ZipFile(out, "w") as z:
        add(z, os.path.join(HERE, "setup.sh"), "setup.sh")
        add(z, os.path.join(HERE, "run_autograder"), "run_autograder")
        for rel in files:
            add(z, os.path.join(ROOT, rel), "ctorch/" + rel)
    print(f"gradescope: {out} ({os.path.getsize(out) // 1024} KB): setup.sh, run_autograder and "
          f"ctorch/ ({len(files)} files, {len(found)} exercises, hidden tests included)")
    print("  upload it as the assignment's autograder; students submit their copy (a zip of it, "
          "or its GitHub repository)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

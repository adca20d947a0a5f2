#!/usr/bin/env python3
"""docs.py: keeps the course's documentation true to the code.

The chapters in docs/ never contain hand-copied C code or hand-copied output. They contain
blocks that this tool fills in from the sources, and checks:

    <!-- snippet: stage1_tensors/train.c#Forward pass -->      code taken from a source file
    <!-- end snippet -->
    <!-- output: docs/examples/ch1_creation.c#from-values -->  what a program printed
    <!-- end output -->
    <!-- diff-summary: 1 2 -->                                 what changed between stages
    <!-- end diff-summary -->

A snippet "FILE#NAME" is, in this order of preference:
  - the lines between "/* docs:begin NAME */" and "/* docs:end NAME */" in FILE;
  - the function NAME (its definition at column 0, with the comment just above it);
  - the section NAME: from the comment "/* ### NAME ... */" to where that section ends (the
    next section comment at the same or a lower indentation, or the end of the enclosing
    block). The stage programs share these section comments, so no markers are needed there.
"FILE" alone is the whole file. Marker comment lines never appear in what is shown.

An output "<program>.c[#PART] [ARGS...]" runs the program built from that source (ARGS passed
through) and shows its standard output, or only the part after its "==> PART" line (see
docs/examples/example.h). Programs are found from --example SRC=EXE pairs (the meson test
passes every one) or in --build DIR (build/docs/NAME, build/STAGE/train).

Two more blocks make each chapter's frame, generated so that they cannot go stale:
    <!-- run: chapter -->        how to build, and one command per program the chapter shows
    <!-- end run -->             (its docs/examples programs, and the others its outputs run);
                                 --check also runs each listed command's program
    <!-- exercises: K -->        chapter K's exercises, linked, with points (tests/grading/
    <!-- end exercises -->       manifest.txt, read by tools/grade.py), difficulty, time and
                                 what each teaches (tools/exercises.py sections())
And one for docs/instructors.md:
    <!-- schedule: weeks -->     a week per chapter: its exercises, their difficulties, the
    <!-- end schedule -->        exercises' time estimates added up, and their points

Besides the chapters, it writes and checks:
  docs/diffs/stageA-to-stageB.md    each pair of neighbouring stages: summary and unified diff
  docs/img/autograd-graph.dot       chapter 2's network graph (docs/examples/ch2_graph.c)
  docs/img/strides.dot, broadcasting.dot  chapter 1's figures (the "figure" parts of
                                    docs/examples/ch1_strides.c and ch1_operations.c)
  docs/img/losses/stageK.csv        each stage program's losses with its default flags, and
                                    stage4-sgd.csv: stage 4's with --optim sgd
  docs/img/*.svg, losses.png + docs/img/MANIFEST  the pictures drawn from those (Graphviz;
                                    gnuplot with tools/losses.gp and docs/img/sgd-vs-adam.gp);
                                    the manifest records the sha256 of each picture and of the
                                    files it was drawn from, so the check knows a picture is
                                    current without needing Graphviz or gnuplot itself; where
                                    they are installed, --check also draws each SVG again and
                                    compares it, and every picture must be shown by a page
and checks that every C name in the C column of docs/r-to-c.md exists in a header, that
every program in docs/examples is shown somewhere, and that every link and every repository
path named in the pages (README.md, docs/**/*.md) and in the sources' comments leads to a
file of the repository (the rules: "links and paths" below).

In a student copy (tools/exercises.py: no tests/hidden) --check and --write see each exercise
region of the sources as its stub's comment line, whatever the student wrote between the
markers, so that the docs never show a solution and solving an exercise changes no snippet.
The programs' outputs (and the loss files and graph drawn from them) stay the reference's:
--check runs the programs, so that one stopped by an exercise not written yet names it, but
does not compare what they print (a correct solution may round differently in the last
digit); --write leaves them as they are.

Usage:
  tools/docs.py --check [--tap] [--build DIR] [--example SRC=EXE ...]   exit 1 with a diff
  tools/docs.py --write [--build DIR] [--example SRC=EXE ...]           bring everything up to date
  tools/docs.py diff [A B] [--color auto|always|never]                  what ./course diff prints
Python 3 standard library only.
"""

import argparse
import difflib
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import exercises  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MASK = False  # a student copy's --check and --write: exercise regions read as their stubs

STAGE_TITLES = {  # what each stage adds, for headings and summaries
    1: "tensors",
    2: "autograd",
    3: "modules",
    4: "losses and optimizers",
}
GRAPH_SOURCE = "docs/examples/ch2_graph.c#dot"
GRAPH_DOT = "docs/img/autograd-graph.dot"
LOSSES_DIR = "docs/img/losses"
LOSSES_PNG = "docs/img/losses.png"
LOSSES_GP = "tools/losses.gp"
MANIFEST = "docs/img/MANIFEST"
# The chapters' figures, drawn as SVG by the build's tools (--write) and checked (--check):
# each from a file a program printed (DOT) or from the stage programs' losses (gnuplot).
GRAPH_SVG = "docs/img/graph.svg"                       # chapter 2: the autograd graph
STRIDES_SOURCE = "docs/examples/ch1_strides.c#figure"
STRIDES_DOT = "docs/img/strides.dot"
STRIDES_SVG = "docs/img/strides.svg"                   # chapter 1: four views of one storage
BROADCAST_SOURCE = "docs/examples/ch1_operations.c#figure"
BROADCAST_DOT = "docs/img/broadcasting.dot"
BROADCAST_SVG = "docs/img/broadcasting.svg"            # chapter 1: (3, 1) + (1, 4)
SGD_ARGS = ("--optim", "sgd")                          # stage 4 with SGD (lr 1e-4)
SGD_CSV = "docs/img/losses/stage4-sgd.csv"
SGD_ADAM_GP = "docs/img/sgd-vs-adam.gp"
SGD_ADAM_SVG = "docs/img/sgd-vs-adam.svg"              # chapter 4: SGD against Adam
R_TO_C = "docs/r-to-c.md"


class DocsError(Exception):
    """Something the docs refer to does not exist or does not work."""


# ---- reading sources ------------------------------------------------------------------------

MARKER_RE = re.compile(r"^\s*/\*\s*docs:(begin|end)\s+(\S+)\s*\*/\s*$")
SECTION_RE = re.compile(r"^(\s*)/\*\s*###\s*(.*?)\s*\*/\s*$")


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        text = f.read()
    if MASK and path.endswith((".c", ".h")):
        try:
            return exercises.masked_text(path, text)
        except exercises.ExerciseError as e:
            raise DocsError(str(e))
    return text


def section_title(comment_text):
    """'-------- Forward pass --------' -> 'Forward pass'."""
    return comment_text.strip("- ").strip()


def dedent(lines):
    """Removes the indentation every non-blank line shares, and blank lines at both ends."""
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    widths = [len(l) - len(l.lstrip(" ")) for l in lines if l.strip()]
    cut = min(widths) if widths else 0
    return [l[cut:] if l.strip() else "" for l in lines]


def indent_of(line):
    return len(line) - len(line.lstrip(" "))


def sections(lines):
    """For each line, the stack of sections it belongs to (outermost first).

    A section starts at its '/* ### title */' comment and ends before the first non-blank
    line indented less than the comment, or at the next section comment indented the same or
    less. So a section inside the training loop ends where the loop's block closes, and the
    section around the loop continues after it."""
    stack, result = [], []
    for line in lines:
        m = SECTION_RE.match(line)
        if m:
            depth = len(m.group(1))
            while stack and stack[-1][0] >= depth:
                stack.pop()
            stack.append((depth, section_title(m.group(2))))
        elif line.strip():
            while stack and stack[-1][0] > indent_of(line):
                stack.pop()
        result.append([name for _, name in stack])
    return result


def find_marker(lines, name):
    begin = end = None
    for i, line in enumerate(lines):
        m = MARKER_RE.match(line)
        if m and m.group(2) == name:
            if m.group(1) == "begin":
                if begin is not None:
                    raise DocsError(f"two 'docs:begin {name}' markers")
                begin = i
            else:
                end = i
    if begin is None:
        return None
    if end is None or end < begin:
        raise DocsError(f"'docs:begin {name}' has no 'docs:end {name}' after it")
    return lines[begin + 1:end]


def find_function(lines, name):
    """A function definition at column 0, with the comment block right above it, down to the
    closing brace at column 0."""
    head = re.compile(r"^[A-Za-z_].*\b" + re.escape(name) + r"\s*\(")
    for i, line in enumerate(lines):
        if not head.match(line) or line.rstrip().endswith(";"):
            continue
        start = i
        if i > 0 and lines[i - 1].rstrip().endswith("*/"):
            start = i - 1
            while start > 0 and not lines[start].lstrip().startswith("/*"):
                start -= 1
        if "{" in line and line.rstrip().endswith("}"):  # a one-line function
            return lines[start:i + 1]
        for j in range(i + 1, len(lines)):
            if lines[j].startswith("}"):
                return lines[start:j + 1]
        raise DocsError(f"function {name} has no closing brace at column 0")
    return None


def find_section(lines, name):
    owners = sections(lines)
    for i, line in enumerate(lines):
        m = SECTION_RE.match(line)
        if m and section_title(m.group(2)).lower() == name.lower():
            depth = len(owners[i])
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or
                                      (len(owners[j]) >= depth and
                                       owners[j][depth - 1].lower() == name.lower())):
                j += 1
            return lines[i:j]
    return None


def snippet(spec):
    """The code a '<!-- snippet: FILE#NAME -->' block shows."""
    path, _, name = spec.partition("#")
    path = path.strip()
    if not os.path.isfile(os.path.join(ROOT, path)):
        raise DocsError(f"snippet {spec}: no file {path}")
    lines = read(path).split("\n")
    if name:
        name = name.strip()
        found = find_marker(lines, name)
        if found is None and re.fullmatch(r"\w+", name):
            found = find_function(lines, name)
        if found is None:
            found = find_section(lines, name)
        if found is None:
            raise DocsError(f"snippet {spec}: no docs:begin marker, function or section "
                            f"named '{name}' in {path}")
    else:
        found = lines
    return "\n".join(dedent([l for l in found if not MARKER_RE.match(l)]))


# ---- running programs -----------------------------------------------------------------------

PART_RE = re.compile(r"^==> (\S+)$")


class Programs:
    """Finds and runs the built programs; each distinct run happens once."""

    def __init__(self, examples, build):
        self.examples = dict(examples)
        self.build = build
        self.cache = {}
        self.csv = {}
        # under `meson test --setup=valgrind`, run the programs under valgrind too
        self.wrapper = shlex.split(os.environ.get("CT_PROGRAM_WRAPPER", ""))

    def exe(self, src):
        if src in self.examples:
            return self.examples[src]
        if self.build:
            stem = os.path.splitext(os.path.basename(src))[0]
            if src.startswith("docs/examples/"):
                guess = os.path.join(self.build, "docs", stem)
            else:
                guess = os.path.join(self.build, os.path.dirname(src), stem)
            if os.path.isfile(guess):
                return guess
        raise DocsError(f"no program built from {src}: pass --example {src}=PATH or --build "
                        f"DIR (the meson test passes every program listed in docs/meson.build)")

    def run(self, src, args=(), want_csv=False):
        key = (src, tuple(args))
        if key in self.cache and (not want_csv or key in self.csv):
            return self.cache[key]
        exe = os.path.abspath(self.exe(src))
        cmd = self.wrapper + [exe] + list(args)
        csv_path = None
        if want_csv:
            fd, csv_path = tempfile.mkstemp(suffix=".csv")
            os.close(fd)
            cmd += ["--csv", csv_path]
        try:
            proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
            if proc.returncode != 0:
                raise DocsError(f"{src} ({exe}) exited with status {proc.returncode}:\n"
                                + proc.stderr[-2000:])
            if want_csv:
                with open(csv_path, encoding="utf-8") as f:
                    self.csv[key] = f.read()
        finally:
            if csv_path and os.path.exists(csv_path):
                os.unlink(csv_path)
        self.cache[key] = proc.stdout
        return proc.stdout

    def output(self, spec):
        """The text a '<!-- output: <program>.c[#PART] [ARGS] -->' block shows."""
        words = shlex.split(spec)
        src, _, part = words[0].partition("#")
        text = self.run(src, words[1:])
        lines = text.split("\n")
        if text.endswith("\n"):
            lines = lines[:-1]
        if not part:
            return "\n".join(l for l in lines if not PART_RE.match(l))
        chosen, inside, seen = [], False, False
        for line in lines:
            m = PART_RE.match(line)
            if m:
                inside = m.group(1) == part
                seen = seen or inside
            elif inside:
                chosen.append(line)
        if not seen:
            raise DocsError(f"output {spec}: {src} printed no '==> {part}' line")
        out = "\n".join(chosen)
        if out.startswith("digraph"):
            out = normalize_dot(out)
        return out


def normalize_dot(text):
    """Graphviz node ids come from memory addresses; number them in order of appearance."""
    ids = {}

    def rename(m):
        return ids.setdefault(m.group(0), f"n{len(ids)}")

    return re.sub(r"\bn[0-9a-f]{6,}\b", rename, text)


# ---- stage diffs ----------------------------------------------------------------------------

def stages():
    """{number: directory} for every stage whose train.c exists."""
    found = {}
    for d in sorted(os.listdir(ROOT)):
        m = re.match(r"stage(\d+)_", d)
        if m and os.path.isfile(os.path.join(ROOT, d, "train.c")):
            found[int(m.group(1))] = d
    return found


def stage_dir(arg):
    all_stages = stages()
    key = arg.rstrip("/")
    if key.isdigit() and int(key) in all_stages:
        return int(key), all_stages[int(key)]
    for k, d in all_stages.items():
        if key in (d, f"stage{k}"):
            return k, d
    raise DocsError(f"no stage '{arg}' (stages: "
                    + ", ".join(f"{k} = {d}" for k, d in all_stages.items()) + ")")


def code_only(lines):
    """Each line with its comments taken out ("" for a comment or blank line)."""
    result, in_comment = [], False
    for line in lines:
        rest, code = line, ""
        while rest:
            if in_comment:
                end = rest.find("*/")
                rest, in_comment = ("", True) if end < 0 else (rest[end + 2:], False)
                continue
            start, line_comment = rest.find("/*"), rest.find("//")
            if line_comment >= 0 and (start < 0 or line_comment < start):
                code, rest = code + rest[:line_comment], ""
            elif start < 0:
                code, rest = code + rest, ""
            else:
                code, rest, in_comment = code + rest[:start], rest[start + 2:], True
        result.append(code.rstrip())
    return result


SETUP = "set-up (before the first section)"
API_RE = re.compile(r"\b(?:torch|nn|nnf|optim|autograd)_\w+|\bwith_no_grad\b")
DECL_RE = re.compile(r"^\s*(?:Tensor|Module|float|int64_t|int|ParameterList|Optimizer)\s*\*?\s*"
                     r"(\w+)\s*=")


def diff_summary(a, b):
    """What went away and what came in between stage a's and stage b's train.c, by section."""
    (ka, da), (kb, db) = stage_dir(str(a)), stage_dir(str(b))
    old = read(f"{da}/train.c").split("\n")
    new = read(f"{db}/train.c").split("\n")
    old_sec, new_sec = sections(old), sections(new)
    old_code, new_code = code_only(old), code_only(new)
    order, counts = [], {}

    def count(name, which):
        if name not in counts:
            counts[name] = [0, 0]
            order.append(name)
        counts[name][which] += 1

    removed_lines, added_lines = [], []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for i in range(i1, i2):
            if old_code[i].strip():
                count(old_sec[i][-1] if old_sec[i] else SETUP, 0)
                removed_lines.append(old_code[i])
        for j in range(j1, j2):
            if new_code[j].strip():
                count(new_sec[j][-1] if new_sec[j] else SETUP, 1)
                added_lines.append(new_code[j])

    def names(lines, pattern):
        found = []
        for line in lines:
            for m in pattern.finditer(line):
                name = m.group(1) if m.groups() else m.group(0)
                if name not in found:
                    found.append(name)
        return found

    calls_old, calls_new = names(removed_lines, API_RE), names(added_lines, API_RE)
    all_old = set(names(old_code, API_RE))
    all_new = set(names(new_code, API_RE))
    gone = [c for c in calls_old if c not in all_new]
    came = [c for c in calls_new if c not in all_old]
    no_strings = lambda lines: [re.sub(r'"(?:[^"\\]|\\.)*"', '""', l) for l in lines]
    vars_gone = [v for v in names(removed_lines, DECL_RE)
                 if not any(re.search(r"\b" + v + r"\b", l) for l in no_strings(new_code))]
    vars_new = [v for v in names(added_lines, DECL_RE)
                if not any(re.search(r"\b" + v + r"\b", l) for l in no_strings(old_code))]

    title_a, title_b = STAGE_TITLES.get(ka, da), STAGE_TITLES.get(kb, db)
    out = [f"Stage {ka} ({title_a}) -> stage {kb} ({title_b}): lines of code removed and added,",
           "by section (comments and blank lines are not counted)", ""]
    width = max([len(n) for n in order] + [7])
    out.append(f"  {'section':<{width}}  removed  added")
    for name in order:
        r, n = counts[name]
        out.append(f"  {name:<{width}}  {r:7d}  {n:5d}")
    total_r = sum(c[0] for c in counts.values())
    total_a = sum(c[1] for c in counts.values())
    out.append(f"  {'total':<{width}}  {total_r:7d}  {total_a:5d}")
    out.append("")

    def listing(label, items):
        if items:
            out.extend(textwrap.wrap(f"{label} " + ", ".join(items), 90,
                                     subsequent_indent="    "))

    listing("Gone:    ", gone)
    listing("New:     ", came)
    listing("Variables no longer needed:", vars_gone)
    listing("New variables:", vars_new)
    # the headline, from the sections whose code shrank or grew
    less = [f"{name} ({counts[name][0]} -> {counts[name][1]})" for name in order
            if name != SETUP and counts[name][0] > counts[name][1]]
    more = [f"{name} ({counts[name][0]} -> {counts[name][1]})" for name in order
            if name != SETUP and counts[name][1] > counts[name][0]]
    call = lambda c: c if c == "with_no_grad" else f"{c}()"
    parts = []
    if less:
        parts.append("less code in " + ", ".join(less))
    if more:
        parts.append("more in " + ", ".join(more))
    if came:
        parts.append("in came " + ", ".join(call(c) for c in came))
    if gone:
        parts.append("gone are " + ", ".join(call(c) for c in gone))
    if parts:
        out.append("")
        out.extend(textwrap.wrap("In short: " + "; ".join(parts) + ".", 90,
                                 subsequent_indent="    "))
    return "\n".join(out)


def unified_diff(a, b):
    (_, da), (_, db) = stage_dir(str(a)), stage_dir(str(b))
    old = read(f"{da}/train.c").splitlines(keepends=True)
    new = read(f"{db}/train.c").splitlines(keepends=True)
    return "".join(difflib.unified_diff(old, new, f"a/{da}/train.c", f"b/{db}/train.c", n=3))


def colorize(diff_text):
    colors = {"+": "\033[32m", "-": "\033[31m", "@": "\033[36m"}
    out = []
    for line in diff_text.splitlines():
        if line.startswith(("+++", "---")):
            out.append(f"\033[1m{line}\033[0m")
        elif line[:1] in colors:
            out.append(f"{colors[line[:1]]}{line}\033[0m")
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def diff_markdown(a, b):
    (ka, da), (kb, db) = stage_dir(str(a)), stage_dir(str(b))
    title_a, title_b = STAGE_TITLES.get(ka, da), STAGE_TITLES.get(kb, db)
    return (f"# From stage {ka} to stage {kb}: {title_a} -> {title_b}\n\n"
            f"<!-- Generated by tools/docs.py from {da}/train.c and {db}/train.c; do not edit. "
            "Regenerate with ./course docs. -->\n\n"
            f"What `./course diff {ka} {kb}` prints: the summary, counted from the diff "
            "section by section, then the unified diff itself (`-` lines are only in stage "
            f"{ka}, `+` lines only in stage {kb}).\n\n"
            f"```text\n{diff_summary(a, b)}\n```\n\n"
            f"```diff\n{unified_diff(a, b)}```\n")


def neighbours():
    keys = sorted(stages())
    return list(zip(keys, keys[1:]))


# ---- the markdown blocks --------------------------------------------------------------------

BLOCK_RE = re.compile(r"^<!-- (snippet|output|diff-summary|run|exercises|schedule): (.*?) -->\n(.*?)"
                      r"^<!-- end \1 -->$", re.M | re.S)
BUILD_COMMANDS = "meson setup build    # once\nninja -C build"


def fence(lang, body):
    return f"```{lang}\n{body}\n```\n"


def chapter_programs(text):
    """[(source, args)] of the programs a chapter shows, in order of first appearance: every
    docs/examples program its snippets or outputs name (run without arguments), and every
    other program its outputs run (with the outputs' arguments)."""
    found = []
    for m in BLOCK_RE.finditer(text):
        kind, spec = m.group(1), m.group(2).strip()
        if kind not in ("snippet", "output"):
            continue
        words = shlex.split(spec)
        src = words[0].partition("#")[0]
        if src.startswith("docs/examples/"):
            entry = (src, ())
        elif kind == "output":
            entry = (src, tuple(words[1:]))
        else:
            continue
        if entry not in found:
            found.append(entry)
    return found


def program_command(src, args=()):
    """The command that runs the program built from src, from the repository's root."""
    stem = os.path.splitext(os.path.basename(src))[0]
    where = "docs" if src.startswith("docs/examples/") else os.path.dirname(src)
    return " ".join(["build/" + where + "/" + stem] + [shlex.quote(a) for a in args])


def wrap(text, indent=""):
    """A paragraph (or a list item: indent its continuation lines) at the pages' width."""
    return textwrap.fill(text, 96, subsequent_indent=indent, break_on_hyphens=False,
                         break_long_words=False)


def run_block(text):
    """What a '<!-- run: chapter -->' block shows: how to build, and one command per program
    the chapter shows (chapter_programs), so that the list cannot go stale."""
    commands = [program_command(src, args) for src, args in chapter_programs(text)]
    if not commands:
        raise DocsError("run block: the chapter shows no program")
    return (wrap("Build once, from the repository's root (`./course train` and `./course test` "
                 "build too):") + "\n\n" + fence("sh", BUILD_COMMANDS) + "\n" +
            wrap("Then run any of this chapter's programs; each prints what the chapter shows "
                 "below its code (a `==> name` line starts each part):") + "\n\n" +
            fence("sh", "\n".join(commands)) + "\n" +
            wrap("In a student copy (`./course student`), a program that reaches an exercise "
                 "you have not written yet stops there and names it: `Error in exercise N.M: "
                 "not implemented yet: see docs/exercises.md#exercise-NM`. It runs in full once "
                 "that exercise is done (`./course check N.M`).") + "\n")


def exercise_points():
    """{exercise id: (visible points, hidden points)} from tests/grading/manifest.txt, read
    by tools/grade.py."""
    import grade
    points = {}
    for e in grade.read_manifest(os.path.join(ROOT, "tests", "grading", "manifest.txt")):
        visible, hidden = points.get(e.id, (0, 0))
        points[e.id] = ((visible + e.points, hidden) if e.visibility == "visible" else
                        (visible, hidden + e.points))
    return points


def exercises_block(chapter):
    """What a '<!-- exercises: K -->' block shows: chapter K's exercises, as docs/exercises.md
    describes them (tools/exercises.py sections()), with their points from the manifest."""
    try:
        found = [s for s in exercises.sections(ROOT) if s["id"].split(".")[0] == chapter]
    except exercises.ExerciseError as e:
        raise DocsError(str(e))
    if not found:
        raise DocsError(f"exercises block: docs/exercises.md has no exercise {chapter}.N")
    points = exercise_points()
    lines = []
    for s in found:
        if s["id"] not in points:
            raise DocsError(f"exercises block: exercise {s['id']} has no line in "
                            "tests/grading/manifest.txt")
        visible, hidden = points[s["id"]]
        total = visible + hidden
        worth = (f"{total:g} points ({visible:g} visible, {hidden:g} hidden)" if hidden else
                 f"{total:g} points")
        lines.append(wrap(f"- [Exercise {s['id']}: {s['title']}](exercises.md#"
                          f"{exercises.anchor(s['id'])}): {worth}; {s['difficulty']}, about "
                          f"{s['minutes']} minutes. Teaches: {s['teaches'].rstrip('.')}.", "  "))
    total = sum(sum(points[s["id"]]) for s in found)
    return (wrap("Each is written in the library itself, between its markers. `./course check "
                 "ID` builds, runs its visible tests and shows the first failure; `./course "
                 f"hint ID` gives a hint. {len(found)} exercises, {total:g} points in all (the "
                 "hidden tests are the instructors', run at grading):") + "\n\n" +
            "\n".join(lines) + "\n")


def schedule_block():
    """What a '<!-- schedule: weeks -->' block shows: one row per chapter, from the exercises'
    sections (tools/exercises.py sections()) and the manifest's points."""
    try:
        found = exercises.sections(ROOT)
    except exercises.ExerciseError as e:
        raise DocsError(str(e))
    points = exercise_points()
    rows = ["| week | chapter | exercises | easy / moderate / hard | exercise time | points "
            "(hidden) |", "|---|---|---|---|---|---|"]
    for k in sorted({s["id"].split(".")[0] for s in found}, key=int):
        mine = [s for s in found if s["id"].split(".")[0] == k]
        count = {d: sum(s["difficulty"] == d for s in mine) for d in exercises.DIFFICULTIES}
        minutes = sum(s["minutes"] for s in mine)
        visible = sum(points.get(s["id"], (0, 0))[0] for s in mine)
        hidden = sum(points.get(s["id"], (0, 0))[1] for s in mine)
        page, title = CHAPTERS.get(k, (f"chapter{k}.md", f"chapter {k}"))
        rows.append(f"| {k} | [{title}]({page}) | "
                    f"{mine[0]['id']} to {mine[-1]['id']} | "
                    f"{' / '.join(str(count[d]) for d in exercises.DIFFICULTIES)} | "
                    f"about {minutes / 60:.1f} hours | {visible:g} (+{hidden:g}) |")
    return "\n".join(rows) + "\n"


CHAPTERS = {"1": ("chapter1-tensors.md", "Tensors"), "2": ("chapter2-autograd.md", "Autograd"),
            "3": ("chapter3-modules.md", "Modules"),
            "4": ("chapter4-losses-optim.md", "Losses and optimizers")}


def render_block(kind, spec, programs, text=""):
    if kind == "run":
        return run_block(text)
    if kind == "exercises":
        return exercises_block(spec)
    if kind == "schedule":
        return schedule_block()
    if kind == "snippet":
        return fence("c", snippet(spec))
    if kind == "output":
        return fence("text", programs.output(spec))
    a, b = spec.split()
    return fence("text", diff_summary(a, b))


def render_markdown(path, programs, shown, outputs="fill"):
    """The file with every block filled in, and how many blocks it has. outputs: "fill" (what
    the programs print), "run" (run the programs, keep the blocks' text) or "keep"."""
    text = read(path)
    errors, n = [], 0

    def fill(m):
        nonlocal n
        kind, spec = m.group(1), m.group(2).strip()
        n += 1
        if kind in ("snippet", "output"):
            shown.add(shlex.split(spec)[0].partition("#")[0])
        try:
            if kind == "output" and outputs != "fill":
                if outputs == "run":
                    programs.output(spec)
                body = m.group(3)
            elif kind == "exercises" and outputs != "fill":
                body = m.group(3)  # a student copy's manifest has lost the hidden points
            else:
                body = render_block(kind, spec, programs, text)
        except DocsError as e:
            errors.append(str(e))
            body = m.group(3)
        return f"<!-- {kind}: {spec} -->\n{body}<!-- end {kind} -->"

    new = BLOCK_RE.sub(fill, text)
    if errors:
        raise DocsError(f"{path}: " + "\n".join(errors))
    return new, n


def markdown_files():
    docs = os.path.join(ROOT, "docs")
    return sorted(f"docs/{f}" for f in os.listdir(docs) if f.endswith(".md"))


# ---- generated files and pictures -----------------------------------------------------------

def generated_files(programs):
    """[(path, expected text, whether a program prints it)] for every file this tool writes
    (pictures aside)."""
    files = []
    for a, b in neighbours():
        files.append((f"docs/diffs/stage{a}-to-stage{b}.md", lambda a=a, b=b: diff_markdown(a, b),
                      False))
    files.append((GRAPH_DOT, lambda: programs.output(GRAPH_SOURCE) + "\n", True))
    files.append((STRIDES_DOT, lambda: programs.output(STRIDES_SOURCE) + "\n", True))
    files.append((BROADCAST_DOT, lambda: programs.output(BROADCAST_SOURCE) + "\n", True))
    for k, d in stages().items():
        def losses(d=d):
            programs.run(f"{d}/train.c", [], want_csv=True)
            return programs.csv[(f"{d}/train.c", ())]
        files.append((f"{LOSSES_DIR}/stage{k}.csv", losses, True))
        if k == 4:
            def sgd_losses(d=d):
                programs.run(f"{d}/train.c", list(SGD_ARGS), want_csv=True)
                return programs.csv[(f"{d}/train.c", SGD_ARGS)]
            files.append((SGD_CSV, sgd_losses, True))
    return files


def sha(data):
    return hashlib.sha256(data if isinstance(data, bytes) else data.encode()).hexdigest()


def pictures():
    """{picture: [input files]}, and how to draw each (a function of a temp dir)."""
    csvs = [f"{LOSSES_DIR}/stage{k}.csv" for k in stages()]
    found = {
        GRAPH_SVG: [GRAPH_DOT],
        STRIDES_SVG: [STRIDES_DOT],
        BROADCAST_SVG: [BROADCAST_DOT],
        LOSSES_PNG: csvs + [LOSSES_GP],
    }
    if 4 in stages():
        found[SGD_ADAM_SVG] = [f"{LOSSES_DIR}/stage4.csv", SGD_CSV, SGD_ADAM_GP]
    return found


DOT_PICTURES = {GRAPH_SVG: GRAPH_DOT, STRIDES_SVG: STRIDES_DOT,
                BROADCAST_SVG: BROADCAST_DOT}


def normalize_svg(text):
    """An SVG without the lines that name the drawing tool's version."""
    text = re.sub(r"<!-- Generated by .*?-->", "", text, flags=re.S)
    return re.sub(r"<desc>Produced by GNUPLOT.*?</desc>", "", text, flags=re.S)


def redrawn_differs(picture):
    """For an SVG: draws it again into a temporary file and compares (tool versions aside).
    Returns a problem, or None (also when the tool is missing: the manifest still checks)."""
    if not picture.endswith(".svg") or not shutil.which(
            "dot" if picture in DOT_PICTURES else "gnuplot"):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, os.path.basename(picture))
        problem = draw(picture, out)
        if problem:
            return problem
        with open(out, encoding="utf-8") as f:
            new = normalize_svg(f.read())
    if new != normalize_svg(read(picture)):
        return (f"drawn again from its inputs, {picture} differs from the committed one "
                "(./course docs redraws it)")
    return None


def draw(picture, out=None):
    """Draws one picture from the files already written (into out, default the picture
    itself). Returns an error text or None."""
    out = out or os.path.join(ROOT, picture)
    if picture in DOT_PICTURES:
        if not shutil.which("dot"):
            return "Graphviz is not installed (apt-get install graphviz)"
        subprocess.run(["dot", "-Tsvg", os.path.join(ROOT, DOT_PICTURES[picture]), "-o", out],
                       check=True)
        return None
    if not shutil.which("gnuplot"):
        return "gnuplot is not installed (apt-get install gnuplot-nox)"
    if picture == SGD_ADAM_SVG:
        subprocess.run(["gnuplot", "-e", f"adam='{os.path.join(ROOT, LOSSES_DIR, 'stage4.csv')}'; "
                        f"sgd='{os.path.join(ROOT, SGD_CSV)}'; out='{out}'",
                        os.path.join(ROOT, SGD_ADAM_GP)], check=True, stdout=subprocess.DEVNULL)
        return None
    with tempfile.TemporaryDirectory() as tmp:
        for k in stages():
            shutil.copy(os.path.join(ROOT, LOSSES_DIR, f"stage{k}.csv"), tmp)
        keys = " ".join(str(k) for k in stages())
        subprocess.run(["gnuplot", "-e", f"runs='{tmp}'; stages='{keys}'",
                        os.path.join(ROOT, LOSSES_GP)], check=True, stdout=subprocess.DEVNULL)
        shutil.copy(os.path.join(tmp, "losses.png"), out)
    return None


def pictures_not_shown(pics):
    """The pictures (paths from the root, in docs/img/) that no page of docs/ shows, as an
    image ![...](img/x.svg) or an <img src="img/x.svg">."""
    texts = [without_code(read(p)) for p in markdown_files()]
    shown = lambda rel: any(re.search(r"(?:\]\(\s*|<img\b[^>]*\bsrc=\")" + re.escape(rel) +
                                      r"[)\"\s]", t) for t in texts)
    return [pic for pic in pics if not shown(os.path.relpath(pic, "docs"))]


def read_manifest():
    entries = {}
    path = os.path.join(ROOT, MANIFEST)
    if os.path.isfile(path):
        for line in read(MANIFEST).splitlines():
            if line.strip() and not line.startswith("#"):
                words = line.split()
                entries[words[0]] = (words[1], dict(w.split("=", 1) for w in words[2:]))
    return entries


def write_manifest(entries):
    lines = ["# Written by tools/docs.py --write: each picture, its sha256, then the sha256 of "
             "every file it was drawn from.",
             "# tools/docs.py --check compares these with the files as they are now."]
    for pic in sorted(entries):
        digest, inputs = entries[pic]
        lines.append(" ".join([pic, digest] + [f"{k}={v}" for k, v in sorted(inputs.items())]))
    with open(os.path.join(ROOT, MANIFEST), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def file_sha(path):
    full = os.path.join(ROOT, path)
    if not os.path.isfile(full):
        return None
    with open(full, "rb") as f:
        return sha(f.read())


# ---- the R-to-C map -------------------------------------------------------------------------

C_WORDS = {"float", "int", "bool", "true", "false", "NULL", "void", "for", "if", "sizeof",
           "int64_t", "return", "const", "char", "double", "i", "t", "x", "y", "w", "p", "lr"}


def header_names():
    names = set()
    for d in sorted(os.listdir(ROOT)):
        if d == "common" or re.match(r"stage\d+_", d):
            for f in os.listdir(os.path.join(ROOT, d)):
                if f.endswith(".h"):
                    names.update(re.findall(r"\b[A-Za-z_]\w*\b", read(f"{d}/{f}")))
    return names


def check_r_to_c():
    """Every function or macro called in the C column of docs/r-to-c.md exists in a header."""
    known = header_names()
    missing = []
    for line in read(R_TO_C).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) < 2:
            continue
        for span in re.findall(r"`([^`]+)`", cells[1]):
            for name in re.findall(r"\b([A-Za-z_]\w*)\s*\(", span):
                if name not in known and name not in C_WORDS and name not in missing:
                    missing.append(name)
    return missing


# ---- links and paths ------------------------------------------------------------------------
#
# Every link and every repository path named in the pages or in the code's comments must lead
# somewhere inside the repository. What is read:
#   - the pages: README.md and docs/**/*.md, code blocks included;
#   - the comments of the sources: C in common/, stage*/, tests/, bench/, harness/, tools/;
#     Python (comments and docstrings) in tools/ and tests/; the '#' comment lines of
#     meson.build files, shell, gnuplot and R scripts, ./course and .ci/run.
# The rules:
#   1. Links (pages only): every [text](target), ![alt](target), [name]: target and HTML
#      href/src without a scheme (http:, mailto: ...) is a path from the page's directory to a
#      file or directory of the repository. A #anchor into a markdown page must be one of its
#      headings (GitHub's slug) or one of its <a id="...">.
#   2. Paths: a word starting with a top-level directory (common/, docs/, tests/, .ci/ ...)
#      is a path from the root and must exist, or name a program a meson.build makes there
#      (stage1_tensors/train). A word right after a letter, '/', '.', '$' or '~' is not one
#      (build/docs/NAME, /tmp/x, a/stage1_tensors/train.c, $root/tools/x): build directories,
#      absolute and temporary paths never start with a top-level directory of the repository.
#   3. Patterns: a path with a wildcard (*, ?, [...], <...>) or a placeholder (one capital
#      after a small letter: stageN.csv, stageA-to-stageB.md; a component in capitals after a
#      directory: docs/examples/PROGRAM.c) must match at least one file.
#   4. File names: a bare source or page name (tensor.h, test_random.c, exercises.md) must be
#      the name of a file of the repository; <math.h>, in angle brackets, is the system's.
#      In the pages, code blocks and inline code of more than one word are left out:
#      commands name files the reader makes.
#   5. Pages: a relative path to a markdown page (for example notes/x.md) must resolve from
#      the file's directory or from the root, and no relative path may climb out of the
#      repository (for example ../elsewhere/x): the repository cites only itself.
#   6. Examples: a word right after "e.g.", "for example", "such as", "a new file" or
#      "your own" is an example name, not checked.
#   7. A student copy (no tests/hidden/) is the instructors' tree, checked there, minus the
#      instructors' files (INSTRUCTOR_ONLY of tools/exercises.py): in it, paths into those
#      files and bare file names (which may be theirs) are not checked.

LINKS_CHECKED_IN = ("README.md", "docs/")
C_COMMENT_DIRS = ("common", "tests", "bench", "harness", "tools")   # and every stage*/
HASH_COMMENT_FILES = ("course", ".ci/run")         # and meson.build, *.sh, *.gp, *.R
NAME_EXTS = ("c", "h", "cpp", "py", "md", "sh", "gp", "R")

LINK_RE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFDEF_RE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)", re.M)
HTML_LINK_RE = re.compile(r"<(?:a|img)\b[^>]*?\b(?:href|src)=\"([^\"]+)\"", re.I)
HTML_ID_RE = re.compile(r"<a\b[^>]*?\b(?:id|name)=\"([^\"]+)\"", re.I)
HEADING_RE = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$")
FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
WILDCARD_RE = re.compile(r"[*?\[\]{}<>]")
NOT_AFTER = r"(?<![\w./$~\-])"                     # rule 2: not after a letter, / . $ ~ -
NAME_RE = re.compile(r"(?<![\w./$~\-<])([A-Za-z0-9_][\w-]*\.(?:" + "|".join(NAME_EXTS) +
                     r"))(?![\w/-])")
PAGE_RE = re.compile(NOT_AFTER + r"((?:\.\.?/)*[\w-][\w.-]*(?:/[\w.-]+)+\.md)(?![\w/-])")
UP_RE = re.compile(NOT_AFTER + r"((?:\./)?(?:\.\./)+[\w.\-/]*)")
EXAMPLE_RE = re.compile(r"(?:\be\.g\.|\bfor example|\bsuch as|\ba new file|\byour own)"
                        r"[\s`*(\"]*$", re.I)


def is_build_dir(path):
    return (os.path.isfile(os.path.join(path, "build.ninja")) or
            os.path.isdir(os.path.join(path, "meson-private")))


class Tree:
    """The repository's files and directories (paths from the root), without .git, Python's
    caches and build directories."""

    def __init__(self, root):
        self.files, self.dirs, self.names = set(), {""}, set()
        for top, dirs, files in os.walk(root):
            rel = os.path.relpath(top, root)
            rel = "" if rel == "." else rel + "/"
            dirs[:] = [d for d in dirs if d not in (".git", "__pycache__")
                       and not is_build_dir(os.path.join(top, d))]
            self.dirs.update(rel + d for d in dirs)
            self.files.update(rel + f for f in files)
            self.names.update(files)
        self.tops = sorted(d for d in self.dirs if d and "/" not in d)
        self.student_copy = "tests/hidden" not in self.dirs
        self.anchor_cache = {}

    def exists(self, rel):
        rel = os.path.normpath(rel)
        return rel in self.files or rel in self.dirs or rel == "."

    def matches(self, glob, name_only=False):
        """Whether a glob (* any text, ? one character, [...] a class) matches at least one
        path (or, name_only, the name of at least one file)."""
        rx = re.compile("".join(".*" if c == "*" else "[^/]" if c == "?" else
                                c if c in "[]" else re.escape(c)
                                for c in glob.rstrip("/")) + "/?")
        return any(rx.fullmatch(p) for p in (self.names if name_only else self.files | self.dirs))


def as_glob(word):
    """The glob a path or name with wildcards or placeholders stands for (rule 3), or None."""
    glob = re.sub(r"<[^<>/]*>", "*", word)
    glob = re.sub(r"(?<=[a-z0-9])[A-Z](?![A-Za-z])", "*", glob)
    glob = re.sub(r"(?<=/)[A-Z][A-Z0-9_]*(?=\.\w+$|/|$)", "*", glob)
    return glob if glob != word or WILDCARD_RE.search(word) else None


def instructor_only():
    """The paths a student copy leaves out, as tools/exercises.py (beside this file) lists
    them."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    try:
        import exercises
        return tuple(exercises.INSTRUCTOR_ONLY)
    except ImportError:
        return ()
    finally:
        sys.path.pop(0)


# -- where the comments are: (start, end) spans of a source's text

def c_comments(text):
    spans, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("/*", i) or text.startswith("//", i):
            end = text.find("*/", i + 2) + 2 if text[i + 1] == "*" else text.find("\n", i)
            end = n if end < i + 2 else end
            spans.append((i, end))
            i = end
        elif text[i] in "\"'":  # a string or character literal: skip it
            quote, i = text[i], i + 1
            while i < n and text[i] not in (quote, "\n"):
                i += 2 if text[i] == "\\" else 1
            i += 1
        else:
            i += 1
    return spans


def python_comments(text):
    """Comments, and strings that stand alone as a statement (docstrings)."""
    import io
    import tokenize
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    offset = lambda row_col: starts[row_col[0] - 1] + row_col[1]
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return [(0, len(text))]
    spans, prev = [], tokenize.NEWLINE
    for k, tok in enumerate(tokens):
        alone = (prev in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT) and
                 k + 1 < len(tokens) and tokens[k + 1].type in (tokenize.NEWLINE,
                                                                tokenize.ENDMARKER))
        if tok.type == tokenize.COMMENT or (tok.type == tokenize.STRING and alone):
            spans.append((offset(tok.start), offset(tok.end)))
        if tok.type not in (tokenize.COMMENT, tokenize.NL):
            prev = tok.type
    return spans


def hash_comments(text):
    return [m.span(1) for m in re.finditer(r"^[ \t]*(#.*)$", text, re.M)]


def comments_only(text, spans):
    """text with everything outside the spans blanked (newlines kept, so lines still count)."""
    out = [c if c == "\n" else " " for c in text]
    for start, end in spans:
        out[start:end] = text[start:end]
    return "".join(out)


def comment_sources(tree):
    """{path: its comment finder} for every source whose comments are checked."""
    out = {}
    for f in sorted(tree.files):
        top, base = f.split("/")[0], os.path.basename(f)
        ext = base.rpartition(".")[2] if "." in base else ""
        if ext in ("c", "h", "cpp") and (top in C_COMMENT_DIRS or re.match(r"stage\d+_", top)):
            out[f] = c_comments
        elif ext == "py" and top in ("tools", "tests"):
            out[f] = python_comments
        elif base == "meson.build" or ext in ("sh", "gp", "R") or f in HASH_COMMENT_FILES:
            out[f] = hash_comments
    return out


def link_pages(tree):
    return sorted(f for f in tree.files if f.endswith(".md") and f.startswith(LINKS_CHECKED_IN))


# -- links (rule 1)

def without_code(text, keep_words=False):
    """Markdown with its fenced code blocks and inline code blanked (lengths kept, so positions
    still count); keep_words keeps inline code of one word (a file name, not a command)."""
    out, fence = [], None
    for line in text.split("\n"):
        m = FENCE_RE.match(line)
        if fence is None and m:
            fence = m.group(1)[:3]
        elif fence is not None:
            fence = None if line.strip().startswith(fence) else fence
        else:
            out.append(re.sub(r"(`+)(.+?)\1", lambda s: s.group(0) if keep_words and
                              not re.search(r"\s", s.group(2)) else " " * len(s.group(0)),
                              line))
            continue
        out.append(" " * len(line))
    return "\n".join(out)


def github_slug(heading, seen):
    """The anchor GitHub gives a heading; seen counts the earlier ones (duplicates get -1...)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"<[^>]+>", "", text).lower()
    slug = re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
    n = seen.get(slug, 0)
    seen[slug] = n + 1
    return slug if n == 0 else f"{slug}-{n}"


def anchors(tree, page):
    if page not in tree.anchor_cache:
        text, seen = read(page), {}
        found = {github_slug(m.group(1), seen)
                 for m in map(HEADING_RE.match, without_code(text).split("\n")) if m}
        tree.anchor_cache[page] = found | set(HTML_ID_RE.findall(text))
    return tree.anchor_cache[page]


def without_link_targets(text):
    """Markdown with the targets of its links blanked (lengths kept)."""
    def blank(m):
        start, end = m.start(1) - m.start(0), m.end(1) - m.start(0)
        return m.group(0)[:start] + " " * (end - start) + m.group(0)[end:]

    for rx in (LINK_RE, REFDEF_RE, HTML_LINK_RE):
        text = rx.sub(blank, text)
    return text


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def check_links(tree, page):
    from urllib.parse import unquote
    text = without_code(read(page))
    problems = []
    targets = sorted((m.start(1), m.group(1)) for rx in (LINK_RE, REFDEF_RE, HTML_LINK_RE)
                     for m in rx.finditer(text))
    for pos, target in targets:
        if re.match(r"[A-Za-z][\w+.-]*:|//", target):
            continue  # http:, https:, mailto: ...
        path, _, anchor = target.partition("#")
        where = f"{page}:{line_of(text, pos)}: link {target}"
        rel = os.path.normpath(os.path.join(os.path.dirname(page), unquote(path))) if path else page
        if rel == ".." or rel.startswith("../") or os.path.isabs(path):
            problems.append(f"{where} leads out of the repository")
        elif not tree.exists(rel):
            problems.append(f"{where}: no file {rel}")
        elif anchor and rel.endswith(".md") and anchor not in anchors(tree, rel):
            problems.append(f"{where}: {rel} has no heading or <a id> '{anchor}'")
    return problems


# -- paths and names (rules 2-7)

def built_programs(tree):
    """{"DIR/NAME"} for every executable('NAME', ...) in DIR/meson.build."""
    found = set()
    for f in tree.files:
        if os.path.basename(f) == "meson.build":
            d = os.path.dirname(f)
            found.update(os.path.join(d, name) for name in
                         re.findall(r"\bexecutable\(\s*'([\w.-]+)'", read(f)))
    return found


def mentions(tree, text, names_in):
    """(position, word, kind) for every path from the root ('path'), relative page path
    ('page'), climbing path ('up') in text, and every bare file name ('name') in names_in (text
    itself, or text with what may name files the reader makes blanked); examples left out."""
    root_path = re.compile(NOT_AFTER + r"(?:" + "|".join(map(re.escape, tree.tops)) +
                           r")/[\w.+\-*?\[\]{}<>/]*")
    found = []
    for m in root_path.finditer(text):
        word = re.sub(r"[.,;:)\]'\"]+$", "", m.group(0))
        found.append((m.start(), word.rstrip(">") if "<" not in word else word, "path"))
    for rx, kind, source in ((UP_RE, "up", text), (PAGE_RE, "page", text),
                             (NAME_RE, "name", names_in)):
        taken = {pos for pos, _, _ in found}  # one kind per word, the first that applies
        found += [(m.start(1), m.group(1), kind) for m in rx.finditer(source)
                  if m.start(1) not in taken]
    line_start = lambda pos: text.rfind("\n", 0, pos) + 1
    return [f for f in found if not EXAMPLE_RE.search(text[line_start(f[0]):f[0]])]


def check_mentions(tree, path, text, names_in, skip, programs):
    problems = []
    for pos, word, kind in mentions(tree, text, names_in):
        where = f"{path}:{line_of(text, pos)}: {word}"
        glob = as_glob(word)
        here = os.path.normpath(os.path.join(os.path.dirname(path), word))
        if kind == "name":
            if tree.student_copy:
                continue
            if word not in tree.names and not (glob and tree.matches(glob, name_only=True)):
                problems.append(f"{where}: no file of that name in the repository")
        elif kind == "up":
            if here == ".." or here.startswith("../"):
                problems.append(f"{where}: leads out of the repository")
        elif kind == "page":
            if not (tree.exists(here) or tree.exists(word)):
                problems.append(f"{where}: no such page in the repository")
        elif tree.exists(word) or word in programs or (tree.student_copy and any(
                word == s.rstrip("/") or word.startswith(s) for s in skip)):
            continue
        elif glob:
            if not tree.matches(glob):
                problems.append(f"{where}: the pattern matches no file")
        else:
            problems.append(f"{where}: no such file or directory")
    return problems


def check_links_and_paths():
    """{what is checked: [problems]}: the pages' links, the pages' paths, the comments' paths."""
    tree = Tree(ROOT)
    skip, programs = instructor_only(), built_programs(tree)
    pages, sources = link_pages(tree), comment_sources(tree)
    links, in_pages, in_comments = [], [], []
    for page in pages:
        links += check_links(tree, page)
        text = without_link_targets(read(page))  # links are checked from the page, above
        in_pages += check_mentions(tree, page, text, without_code(text, keep_words=True),
                                   skip, programs)
    for path, find in sources.items():
        text = read(path)
        text = comments_only(text, find(text))
        in_comments += check_mentions(tree, path, text, text, skip, programs)
    return {
        f"every relative link in the {len(pages)} pages leads to a file (and heading)": links,
        f"every repository path named in the {len(pages)} pages exists": in_pages,
        f"every path named in the comments of {len(sources)} sources exists": in_comments,
    }


# ---- check and write ------------------------------------------------------------------------

class Report:
    """Collects results; prints TAP (for meson) or plain lines."""

    def __init__(self, tap):
        self.tap, self.n, self.failed = tap, 0, 0

    def result(self, ok, what, detail=""):
        self.n += 1
        self.failed += not ok
        stub = [l.strip() for l in detail.splitlines() if ": not implemented yet" in l]
        if not ok and stub:  # a program stopped by an exercise not written yet: name it
            what += f": {stub[0]}"
        if self.tap:
            print(f"{'ok' if ok else 'not ok'} {self.n} - {what}")
            for line in (detail.splitlines() if not ok else []):
                print(f"# {line}")
        elif not ok:
            print(f"FAIL {what}")
            print(detail)
        sys.stdout.flush()

    def finish(self):
        if self.tap:
            print(f"1..{self.n}")
        if self.failed:
            print(f"{self.failed} of {self.n} docs checks failed. If the code changed on "
                  "purpose, run ./course docs (or tools/docs.py --write --build build) and "
                  "review the result.", file=sys.stderr)
        elif not self.tap:
            print(f"docs: all {self.n} checks pass")
        return 1 if self.failed else 0


def show_diff(path, old, new, limit=80):
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(),
                                      f"{path} (as committed)", f"{path} (from the code now)",
                                      lineterm=""))
    if len(lines) > limit:
        lines = lines[:limit] + [f"... ({len(lines) - limit} more diff lines)"]
    return "\n".join(lines)


def run(write, tap, programs):
    report = Report(tap)
    shown = set()
    # a student copy: outputs are run (--check) or left alone (--write), never compared
    outputs = "fill" if not MASK else "keep" if write else "run"
    matched = ("snippets and outputs match the code" if not MASK else
               "snippets match the code (exercises as stubs), its programs run (their outputs "
               "are not compared in a student copy)")

    # 1. the chapters and other pages
    for path in markdown_files():
        try:
            new, n = render_markdown(path, programs, shown, outputs)
        except DocsError as e:
            report.result(False, f"{path}: every block can be filled", str(e))
            continue
        if n == 0:
            continue
        old = read(path)
        if write and new != old:
            with open(os.path.join(ROOT, path), "w", encoding="utf-8") as f:
                f.write(new)
            print(f"wrote {path}")
        report.result(write or new == old, f"{path}: {n} {matched}",
                      "" if new == old else show_diff(path, old, new))

    # 1b. every command a chapter's "Running the examples" block lists is a built program
    # that runs (the block itself is compared above, so it lists exactly what the chapter
    # shows); --write runs nothing it need not (a student copy's runs no program at all)
    for path in ([] if write else markdown_files()):
        text = read(path)
        if not re.search(r"^<!-- run: ", text, re.M):
            continue
        problems = []
        for src, args in chapter_programs(text):
            command = program_command(src, args)
            try:
                exe = os.path.abspath(programs.exe(src)).replace(os.sep, "/")
                if not exe.endswith("/" + command.split()[0].partition("/")[2]):
                    problems.append(f"{command}: the build makes this program as {exe}")
                    continue
                programs.run(src, args)
            except DocsError as e:
                stub = re.search(r"exercise (\d+\.\d+): not implemented yet", str(e))
                problems.append(f"{command}: stops at exercise {stub.group(1)}: not implemented yet"
                                if stub else f"{command}: {e}")
        report.result(not problems, f"{path}: every command under Running the examples is a "
                      "built program that runs", "\n".join(problems))

    # 2. every example program is shown somewhere
    examples = sorted(f"docs/examples/{f}" for f in os.listdir(os.path.join(ROOT, "docs/examples"))
                      if f.endswith(".c"))
    unshown = [e for e in examples if e not in shown and e != GRAPH_SOURCE.partition("#")[0]]
    report.result(not unshown, f"all {len(examples)} programs in docs/examples are shown in a chapter",
                  "not shown anywhere: " + ", ".join(unshown))

    # 3. generated files
    for path, make, printed in generated_files(programs):
        if MASK and printed and write:
            continue
        try:
            new = make()
        except DocsError as e:
            report.result(False, f"{path} can be generated", str(e))
            continue
        if MASK and printed:
            report.result(True, f"{path}: its program runs (not compared in a student copy)")
            continue
        full = os.path.join(ROOT, path)
        old = read(path) if os.path.isfile(full) else None
        if write and new != old:
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", encoding="utf-8") as f:
                f.write(new)
            print(f"wrote {path}")
        detail = ("missing" if old is None else show_diff(path, old, new)) if new != old else ""
        report.result(write or new == old, f"{path} is current", detail)

    # 4. pictures, through the manifest
    manifest = read_manifest()
    for pic, inputs in pictures().items():
        want = {i: file_sha(i) for i in inputs}
        entry = manifest.get(pic)
        current = (entry is not None and entry[1] == want and file_sha(pic) == entry[0])
        problem = None
        if write and not current and all(want.values()):
            problem = draw(pic)
            if problem is None:
                manifest[pic] = (file_sha(pic), want)
                write_manifest(manifest)
                print(f"drew {pic}")
                current = True
        if current and not write:
            problem = redrawn_differs(pic)
            current = problem is None
        if current:
            report.result(True, f"{pic} was drawn from the current {', '.join(inputs)}")
        else:
            why = problem or ("not in docs/img/MANIFEST" if entry is None else
                              "its inputs changed since it was drawn" if entry[1] != want else
                              "the picture was changed by hand")
            report.result(False, f"{pic} was drawn from the current {', '.join(inputs)}", why)

    # 4b. every picture is shown by a page of docs/
    unshown = pictures_not_shown(pictures())
    for pic in pictures():
        rel = os.path.relpath(pic, "docs")
        report.result(pic not in unshown, f"{pic} is shown by a page of docs/ (as {rel})",
                      "no page shows it: add ![what it shows](" + rel + ") where it belongs")

    # 5. the R-to-C map names only what exists
    if not os.path.isfile(os.path.join(ROOT, R_TO_C)):
        report.result(False, f"{R_TO_C} exists")
        return report.finish()
    missing = check_r_to_c()
    report.result(not missing, f"every C function named in {R_TO_C} is declared in a header",
                  "not found in any header: " + ", ".join(missing))

    # 6. every link and every path named in the pages and the comments leads somewhere
    for what, problems in check_links_and_paths().items():
        report.result(not problems, what, "\n".join(problems))
    return report.finish()


def parse_examples(pairs):
    mapping = {}
    for pair in pairs or []:
        src, sep, exe = pair.partition("=")
        if not sep:
            raise SystemExit(f"docs.py: --example wants SRC=EXE, got '{pair}'")
        mapping[src] = exe
    return mapping


def cmd_diff(argv):
    p = argparse.ArgumentParser(prog="./course diff", description="What changes between stages.")
    p.add_argument("stages", nargs="*", help="two stages (1 2, or their directories); none: "
                   "every pair of neighbours in turn")
    p.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    args = p.parse_args(argv)
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty()
                                       and not os.environ.get("NO_COLOR"))
    if len(args.stages) == 2:
        pairs = [tuple(args.stages)]
    elif not args.stages:
        pairs = [(str(a), str(b)) for a, b in neighbours()]
    else:
        p.error("give two stages, or none")
    try:
        for i, (a, b) in enumerate(pairs):
            if i:
                print()
            d = unified_diff(a, b)
            print(colorize(d) if color else d, end="")
            print()
            summary = diff_summary(a, b)
            print(f"\033[1m{summary}\033[0m" if color else summary)
    except DocsError as e:
        print(f"course diff: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    return 0


def main(argv):
    if argv and argv[0] == "diff":
        return cmd_diff(argv[1:])
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="compare; exit 1 with a diff")
    mode.add_argument("--write", action="store_true", help="regenerate everything")
    p.add_argument("--tap", action="store_true", help="print TAP (for meson test)")
    p.add_argument("--root", help="the source tree (default: this script's parent)")
    p.add_argument("--build", help="a build directory to find the programs in")
    p.add_argument("--example", action="append", metavar="SRC=EXE",
                   help="the program built from SRC (repeatable)")
    args = p.parse_args(argv)
    global ROOT, MASK
    if args.root:
        ROOT = os.path.abspath(args.root)
    MASK = exercises.student_copy(ROOT)
    build = os.path.abspath(args.build) if args.build else None
    return run(args.write, args.tap, Programs(parse_examples(args.example), build))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

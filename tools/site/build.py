#!/usr/bin/env python3
"""build.py: the course as a static website, rendered from docs/ by pandoc (./course site).

docs/README.md becomes the home page (index.html), and every .md page it links to, directly or
through another page, a page of its own (docs/X.md -> X.html). Pandoc reads each page as
GitHub-flavoured markdown (the way the pages are written) into its syntax tree; this script
adjusts the tree, and pandoc writes the HTML through template.html, highlighting the code:

  - links between .md files become links between pages; a link to a source file
    (../common/tensor.h) leads to that file's own page, highlighted, with line numbers
    (src/common/tensor.h.html); a link to a folder (examples/) to the list of its files;
    pictures are copied (docs/img/losses.png -> img/losses.png);
  - a unified diff (a ```diff block with ---/+++ headers: docs/diffs/) becomes one
    side-by-side table per hunk, the old file on the left and the new one on the right,
    removed and added lines marked, every line highlighted as its file is;
  - inline code in a table column headed "R" or "C" (docs/r-to-c.md) is highlighted as such;
  - every page has the sidebar (docs/README.md's pages in its order; its numbered list is the
    chapters), its own table of contents, and links to the previous and next page.

style.css is the only stylesheet; no scripts, no fonts: the site works offline.

Usage: tools/site/build.py [--root TREE] [--out DIR]    (defaults: this tree, TREE/build/site)
Python 3 standard library and pandoc (Debian: apt-get install pandoc).
"""

import argparse
import concurrent.futures
import html
import itertools
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.join(HERE, "template.html")
STYLE = os.path.join(HERE, "style.css")
HOME = "docs/README.md"
MARK = ".ctorch-site"  # written into the output: this folder is a site we made, safe to replace

IMAGES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
# pandoc's highlighter, by file extension (lower case); others are shown as plain text
LANGUAGES = {".c": "c", ".h": "c", ".r": "r", ".py": "python", ".sh": "bash", ".cpp": "cpp",
             ".md": "markdown", ".dot": "dot", ".json": "json", ".css": "css", ".html": "html"}
SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# a function defined at column 0: "type name(args" with the body's "{" at the end of the line
# or of one of the next lines
DEFINITION_RE = re.compile(r"^(?!typedef\b|static\s+const\b|#)[A-Za-z_][\w\s\*]*?\b(\w+)\s*\(")


class SiteError(Exception):
    """Pandoc failed, or the output folder is not ours to replace."""


def pandoc(args, text):
    try:
        run = subprocess.run(["pandoc", *args], input=text, capture_output=True, text=True)
    except FileNotFoundError:
        raise SiteError("pandoc is not installed (Debian: apt-get install pandoc)") from None
    if run.returncode != 0:
        raise SiteError(f"pandoc {' '.join(args)}: {run.stderr.strip()}")
    return run.stdout


# ---- pandoc's syntax tree (the JSON of `pandoc -t json`) -------------------------------------

def walk(node, fn):
    """A copy of the tree with fn applied to every element, innermost first. fn returns the
    element, a replacement, or a list of elements to put in its place."""
    if isinstance(node, list):
        out = []
        for item in node:
            item = walk(item, fn)
            if isinstance(item, dict) and "t" in item:
                item = fn(item)
                if isinstance(item, list):
                    out.extend(item)
                    continue
            out.append(item)
        return out
    if isinstance(node, dict):
        return {k: walk(v, fn) for k, v in node.items()}
    return node


def elements(node, kind):
    """Every element of that kind in the tree, in document order."""
    found = []
    if isinstance(node, list):
        for item in node:
            found.extend(elements(item, kind))
    elif isinstance(node, dict):
        if node.get("t") == kind:
            found.append(node)
        for v in node.values():
            found.extend(elements(v, kind))
    return found


def stringify(node):
    """The text of some inlines."""
    if isinstance(node, list):
        return "".join(stringify(n) for n in node)
    if isinstance(node, dict):
        t, c = node.get("t"), node.get("c")
        if t in ("Str", "Code", "Math"):
            return c if t == "Str" else c[1]
        if t in ("Space", "SoftBreak", "LineBreak"):
            return " "
        return stringify(c)
    return ""


def attr(ident="", classes=()):
    return [ident, list(classes), []]


def header(level, ident, inlines):
    return {"t": "Header", "c": [level, attr(ident), inlines]}


def text_inlines(s):
    parts = []
    for word in s.split(" "):
        if parts:
            parts.append({"t": "Space"})
        parts.append({"t": "Str", "c": word})
    return parts


def raw_html(s):
    return {"t": "RawBlock", "c": ["html", s]}




# ---- where things go -------------------------------------------------------------------------

def site_path(tree_path, kind):
    """Where a file of the tree lands in the site: docs/X.md -> X.html (README: index.html),
    pictures beside them, any other file's page at src/PATH.html, a folder's at
    src/PATH/index.html."""
    if kind == "dir":
        return posixpath.join("src", tree_path, "index.html")
    if kind == "page":
        name = tree_path[len("docs/"):-len(".md")]
        return "index.html" if name == "README" else name + ".html"
    if kind == "image" and tree_path.startswith("docs/"):
        return tree_path[len("docs/"):]
    if kind == "image":
        return posixpath.join("src", tree_path)
    return posixpath.join("src", tree_path + ".html")


def relative(target, page):
    """The link from the site page `page` to the site file `target`."""
    return posixpath.relpath(target, posixpath.dirname(page) or ".")


class Site:
    def __init__(self, root, out):
        self.root, self.out = root, out
        self.pages = {}  # tree path of a .md page -> its syntax tree, as pandoc read it
        self.wanted = {}  # tree path -> kind ("page", "file", "dir", "image"): what links reach
        self.problems = []
        self.lock = threading.Lock()
        self.highlighted = {}  # tree path -> its lines, highlighted (the side-by-side diffs)
        self.api_version = None  # of pandoc's syntax tree, from its first answer
        self.order = ([], [])  # (chapters, other pages): reading_order()

    def warn(self, message):
        with self.lock:
            if message not in self.problems:
                self.problems.append(message)

    def document(self, blocks):
        """A syntax tree for pandoc to write."""
        return {"pandoc-api-version": self.api_version, "meta": {}, "blocks": blocks}

    # -- links --

    def resolve(self, url, source):
        """(tree path, fragment) of a link written in the tree file `source`; None for a link
        off the tree's files (to another site, or to a fragment of the same page)."""
        if not url or url.startswith("#") or SCHEME_RE.match(url):
            return None
        path, _, fragment = url.partition("#")
        return posixpath.normpath(posixpath.join(posixpath.dirname(source),
                                                 urllib.parse.unquote(path))), fragment

    def kind_of(self, tree_path):
        """"page", "image", "file", "dir", or None: not in the tree."""
        if tree_path == ".." or tree_path.startswith("../"):
            return None
        full = os.path.join(self.root, tree_path)
        if os.path.isdir(full):
            return "dir"
        if not os.path.isfile(full):
            return None
        ext = os.path.splitext(tree_path)[1].lower()
        if tree_path.startswith("docs/") and ext == ".md":
            return "page"
        return "image" if ext in IMAGES else "file"

    def link(self, url, source, page):
        """The site's link for `url`, written in the tree file `source` that became the site
        page `page`; what it reaches is added to the site."""
        resolved = self.resolve(url, source)
        if resolved is None:
            return url
        tree_path, fragment = resolved
        kind = self.kind_of(tree_path)
        if kind is None:
            self.warn(f"{source}: the link {url} leads nowhere in the tree")
            return url
        with self.lock:
            self.wanted.setdefault(tree_path, kind)
        if kind == "file" and re.fullmatch(r"L\d+", fragment):  # GitHub's line links
            fragment = "file-" + fragment[1:]
        href = relative(site_path(tree_path, kind), page)
        return href + ("#" + fragment if fragment else "")

    def rewrite_links(self, tree, source, page):
        def fix(el):
            t = el["t"]
            if t in ("Link", "Image"):
                el["c"][2][0] = self.link(el["c"][2][0], source, page)
            elif t in ("RawInline", "RawBlock") and el["c"][0] == "html":
                el["c"][1] = re.sub(
                    r'\b(href|src)="([^"]*)"',
                    lambda m: f'{m[1]}="{self.link(html.unescape(m[2]), source, page)}"',
                    el["c"][1])
            return el
        return walk(tree, fix)

    # -- reading the pages --

    def read_page(self, tree_path):
        with open(os.path.join(self.root, tree_path), encoding="utf-8") as f:
            tree = json.loads(pandoc(["-f", "gfm", "-t", "json"], f.read()))
        self.api_version = tree["pandoc-api-version"]
        return tree

    def crawl(self, pool):
        """Reads docs/README.md, then every page it links to, then theirs, ..."""
        wave = [HOME]
        self.wanted[HOME] = "page"
        while wave:
            for path, tree in zip(wave, pool.map(self.read_page, wave)):
                self.pages[path] = tree
            # the links are resolved for real when the page is written; here only the pages
            found = []
            for path in wave:
                for target in self.linked_pages(self.pages[path]["blocks"], path):
                    if target not in self.pages and target not in found:
                        found.append(target)
            wave = found

    def linked_pages(self, node, source):
        """The .md pages the links in this part of the page `source` lead to, in order."""
        found = []
        for el in elements(node, "Link"):
            resolved = self.resolve(el["c"][2][0], source)
            if resolved and self.kind_of(resolved[0]) == "page":
                found.append(resolved[0])
        return found

    def title(self, tree_path):
        for el in elements(self.pages[tree_path]["blocks"], "Header"):
            if el["c"][0] == 1:
                return stringify(el["c"][2])
        return posixpath.basename(tree_path)

    # -- the sidebar and the reading order --

    def reading_order(self):
        """(chapters, others): the home page's links to pages, in order; those inside its
        numbered list are the chapters. Pages reached only through other pages come last."""
        chapters, others = [], []
        for block in self.pages[HOME]["blocks"]:
            into = chapters if block["t"] == "OrderedList" else others
            for t in self.linked_pages(block, HOME):
                if t != HOME and t not in chapters and t not in others:
                    into.append(t)
        others += [p for p in sorted(self.pages) if p != HOME and p not in chapters + others]
        return chapters, others

    def sidebar(self, page):
        chapters, others = self.order

        def item(tree_path):
            target = site_path(tree_path, "page")
            current = ' aria-current="page"' if target == page else ""
            return (f'<li><a href="{relative(target, page)}"{current}>'
                    f'{html.escape(self.title(tree_path))}</a></li>')

        parts = [f'<a class="brand" href="{relative("index.html", page)}">'
                 f'{html.escape(self.title(HOME))}</a>']
        if chapters:
            parts += ['<p class="nav-heading">Chapters</p>', '<ol class="chapters">',
                      *map(item, chapters), "</ol>"]
        if others:
            parts += ['<p class="nav-heading">Beside the chapters</p>', "<ul>",
                      *map(item, others), "</ul>"]
        return "\n".join(parts)

    def neighbours(self, tree_path):
        """The previous and next pages: home, the chapters, then the other pages."""
        chapters, others = self.order
        sequence = [HOME] + chapters + others
        if tree_path not in sequence:
            return None, None
        i = sequence.index(tree_path)
        return (sequence[i - 1] if i > 0 else None,
                sequence[i + 1] if i + 1 < len(sequence) else None)

    # -- writing --

    def write_html(self, page, tree, title, toc=None, extra_vars=()):
        """Pandoc writes the tree as the site page `page` through the template."""
        args = ["-f", "json", "-t", "html5", "--standalone", f"--template={TEMPLATE}",
                "--metadata", f"pagetitle={title}",
                "--variable", f"css={relative('style.css', page)}",
                "--variable", f"sidebar={self.sidebar(page)}"]
        if toc is None:
            args += ["--toc", "--toc-depth=3"]
        elif toc:
            args += ["--variable", f"toc={toc}"]
        for name, value in extra_vars:
            args += ["--variable", f"{name}={value}"]
        out = pandoc(args, json.dumps(tree))
        target = os.path.join(self.out, page)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as f:
            f.write(out)

    def pager(self, tree_path, page):
        """The template's prev/next links."""
        before, after = self.neighbours(tree_path)
        found = []
        for name, label, other in (("prev", "Previous", before), ("next", "Next", after)):
            if other:
                found += [(f"{name}-href", relative(site_path(other, "page"), page)),
                          (f"{name}-title", html.escape(self.title(other))),
                          (f"{name}-label", label)]
        return found

    def write_page(self, tree_path):
        page = site_path(tree_path, "page")
        tree = self.pages[tree_path]
        tree = self.rewrite_links(tree, tree_path, page)
        tree["blocks"] = walk(tree["blocks"], lambda el: self.side_by_side(el, page))
        tree["blocks"] = walk(tree["blocks"], highlight_r_and_c_columns)
        wide = any(h["c"][1][0] == "side-by-side" for h in elements(tree["blocks"], "Header"))
        kind = [("kind", "wide")] if wide else []
        self.write_html(page, tree, self.title(tree_path),
                        extra_vars=self.pager(tree_path, page) + kind)

    # -- source files and folders --

    def source_lines(self, tree_path):
        """The file's lines (without the blank ones at its end, which pandoc drops too)."""
        with open(os.path.join(self.root, tree_path), encoding="utf-8") as f:
            return f.read().rstrip("\n").split("\n")

    def write_file(self, tree_path):
        """A source file's page: the file, highlighted, with line numbers (ids file-N); the
        functions it defines are its table of contents."""
        page = site_path(tree_path, "file")
        try:
            text = open(os.path.join(self.root, tree_path), encoding="utf-8").read()
        except UnicodeDecodeError:  # not text: the file itself, as it is
            target = os.path.join(self.out, "src", tree_path)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(os.path.join(self.root, tree_path), target)
            write_redirect(os.path.join(self.out, page), posixpath.basename(tree_path))
            return
        lang = LANGUAGES.get(os.path.splitext(tree_path)[1].lower())
        classes = ([lang] if lang else []) + ["numberLines"]
        lines = text.rstrip("\n").split("\n")
        blocks = [header(1, "", [{"t": "Code", "c": [attr(), tree_path]}]),
                  {"t": "Para", "c": text_inlines(f"{len(lines)} lines.")},
                  {"t": "CodeBlock", "c": [attr("file", classes), "\n".join(lines)]}]
        toc = ""
        definitions = c_definitions(lines) if lang == "c" else []
        if definitions:
            toc = "<ul>" + "".join(f'<li><a href="#file-{n}"><code>{html.escape(name)}</code>'
                                   f"</a></li>" for name, n in definitions) + "</ul>"
        self.write_html(page, self.document(blocks), tree_path, toc=toc,
                        extra_vars=[("kind", "source")])

    def folder_files(self, tree_path):
        """[(tree path, kind)] of the files in a folder (a .md the pages do not reach is shown
        as a source file)."""
        full = os.path.join(self.root, tree_path)
        files = [posixpath.join(tree_path, n) for n in sorted(os.listdir(full))
                 if not n.startswith((".", "__pycache__")) and os.path.isfile(os.path.join(full, n))]
        return [(f, "file" if self.kind_of(f) == "page" and f not in self.pages
                 else self.kind_of(f)) for f in files]

    def write_dir(self, tree_path):
        """A folder's page: its files, each linked to its page."""
        page = site_path(tree_path, "dir")
        items = []
        for f, kind in self.folder_files(tree_path):
            href = relative(site_path(f, kind), page)
            items.append([{"t": "Plain", "c": [{"t": "Link", "c": [
                attr(), [{"t": "Code", "c": [attr(), posixpath.basename(f)]}], [href, ""]]}]}])
        blocks = [header(1, "", [{"t": "Code", "c": [attr(), tree_path + "/"]}]),
                  {"t": "BulletList", "c": items}]
        self.write_html(page, self.document(blocks), tree_path + "/", toc="",
                        extra_vars=[("kind", "source")])

    def copy_image(self, tree_path):
        target = os.path.join(self.out, site_path(tree_path, "image"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(os.path.join(self.root, tree_path), target)

    # -- the side-by-side diffs --

    def highlight(self, tree_path):
        """The file's lines as highlighted HTML, one string per line (None if pandoc's output
        is not one line per source line)."""
        with self.lock:
            if tree_path in self.highlighted:
                return self.highlighted[tree_path]
        lines = self.source_lines(tree_path)
        lang = LANGUAGES.get(os.path.splitext(tree_path)[1].lower())
        block = {"t": "CodeBlock", "c": [attr("h", [lang] if lang else []), "\n".join(lines)]}
        out = pandoc(["-f", "json", "-t", "html5"], json.dumps(self.document([block])))
        code = re.search(r"<code[^>]*>(.*)</code>", out, re.S)
        result = None
        if code:
            found = [re.sub(r'^<span id="h-\d+">(?:<a [^>]*></a>)?(.*)</span>$', r"\1", l)
                     for l in code.group(1).split("\n")]
            if len(found) == len(lines):
                result = found
        with self.lock:
            self.highlighted[tree_path] = result
        return result

    def side_by_side(self, el, page):
        """A ```diff block with ---/+++ headers -> a heading and a table per hunk."""
        if el["t"] != "CodeBlock" or "diff" not in el["c"][0][1]:
            return el
        parsed = parse_unified_diff(el["c"][1])
        if parsed is None:
            return el
        old_path, new_path, hunks = parsed
        files = []
        for path in (old_path, new_path):
            if self.kind_of(path) == "file":
                with self.lock:
                    self.wanted.setdefault(path, "file")
                files.append((path, self.source_lines(path), self.highlight(path)))
            else:
                files.append((path, None, None))
        # the sections of the program (tools/docs.py's, as ./course diff counts them)
        old_sections, new_sections = (section_titles(lines) if lines else None
                                      for _, lines, _ in files)
        blocks = [header(2, "side-by-side", text_inlines("Side by side"))]
        for n, hunk in enumerate(hunks, 1):
            first, last = hunk["new_start"], hunk["new_start"] + max(hunk["new_count"], 1) - 1
            label = f"Lines {first}–{last}" if last > first else f"Line {first}"
            names = []  # the sections the hunk changes, innermost names
            for old_no, _, new_no, _, mark in hunk["rows"]:
                for no, secs in ((old_no, old_sections), (new_no, new_sections)):
                    if mark and no and secs and no <= len(secs) and secs[no - 1] \
                            and secs[no - 1][-1] not in names:
                        names.append(secs[no - 1][-1])
            if names:
                label += ": " + ", ".join(names)
            blocks.append(header(3, f"hunk-{n}", text_inlines(label)))
            blocks.append(raw_html(self.hunk_table(files, hunk, page)))
        return blocks

    def hunk_table(self, files, hunk, page):
        """One hunk as a table: line number and line of the old file, then of the new one.
        The headers and the line numbers link to the files' pages."""
        sides = []
        for path, lines, highlighted in files:
            href = relative(site_path(path, "file"), page) if lines is not None else None
            sides.append((path, lines, highlighted, href))

        def cell(side, number, text, mark):
            path, lines, highlighted, href = side
            if number is None:
                return '<td class="num empty"></td><td class="code empty"></td>'
            shown = html.escape(text)
            if highlighted and number <= len(lines) and lines[number - 1] == text:
                shown = highlighted[number - 1]
            cls = f" {mark}" if mark else ""
            num = f'<a href="{href}#file-{number}">{number}</a>' if href else str(number)
            return (f'<td class="num{cls}">{num}</td>'
                    f'<td class="code{cls}"><code>{shown}</code></td>')

        rows = ["<tr>" + cell(sides[0], old_no, old_text, "del" if mark else "")
                + cell(sides[1], new_no, new_text, "add" if mark else "") + "</tr>"
                for old_no, old_text, new_no, new_text, mark in hunk["rows"]]
        head = "".join(f'<th colspan="2"><a href="{href}">{html.escape(path)}</a></th>' if href
                       else f'<th colspan="2">{html.escape(path)}</th>'
                       for path, _, _, href in sides)
        return ('<div class="sbs"><table>'
                '<colgroup><col class="num"><col class="code"><col class="num"><col class="code">'
                f"</colgroup><thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(rows)
                + "\n</tbody></table></div>")

    # -- everything --

    def build(self):
        if os.path.exists(self.out) and os.listdir(self.out) \
                and not os.path.exists(os.path.join(self.out, MARK)):
            raise SiteError(f"{self.out} exists and is not a site made by this script; "
                            "choose another folder")
        shutil.rmtree(self.out, ignore_errors=True)
        os.makedirs(self.out)
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
            self.crawl(pool)
            self.order = self.reading_order()
            list(pool.map(self.write_page, list(self.pages)))
            # the links of the pages have named the files, folders and pictures to add; the
            # folders' pages name more files
            for d in [p for p, k in self.wanted.items() if k == "dir"]:
                for f, kind in self.folder_files(d):
                    self.wanted.setdefault(f, kind)
            jobs = {"file": self.write_file, "dir": self.write_dir, "image": self.copy_image}
            list(pool.map(lambda item: jobs[item[1]](item[0]),
                          [(p, k) for p, k in sorted(self.wanted.items()) if k in jobs]))
        shutil.copyfile(STYLE, os.path.join(self.out, "style.css"))
        with open(os.path.join(self.out, MARK), "w", encoding="utf-8") as f:
            f.write("made by tools/site/build.py; replaced by the next build\n")
        counts = {k: sum(1 for v in self.wanted.values() if v == k)
                  for k in ("page", "file", "dir", "image")}
        return counts


def write_redirect(path, target):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(f'<!DOCTYPE html><meta charset="utf-8"><title>{html.escape(target)}</title>'
                f'<meta http-equiv="refresh" content="0; url={html.escape(target)}">'
                f'<a href="{html.escape(target)}">{html.escape(target)}</a>\n')


# ---- helpers without state -------------------------------------------------------------------

HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def parse_unified_diff(text):
    """(old path, new path, hunks) of a unified diff, or None. A hunk's rows are
    (old number, old text, new number, new text, changed): unchanged lines side by side, and
    each run of removed lines beside the run of added lines that follows it."""
    lines = text.split("\n")
    if len(lines) < 3 or not lines[0].startswith("--- ") or not lines[1].startswith("+++ "):
        return None
    strip = lambda p: re.sub(r"^[ab]/", "", p[4:].split("\t")[0].strip())
    old_path, new_path = strip(lines[0]), strip(lines[1])
    hunks, i = [], 2
    while i < len(lines):
        m = HUNK_RE.match(lines[i])
        if not m:
            i += 1
            continue
        old_no, new_no = int(m[1]), int(m[3])
        hunk = {"new_start": new_no, "new_count": int(m[4] if m[4] is not None else 1),
                "rows": []}
        i += 1
        removed, added = [], []

        def flush():
            for r, a in itertools.zip_longest(removed, added):
                hunk["rows"].append((*(r or (None, None)), *(a or (None, None)), "change"))
            removed.clear()
            added.clear()

        while i < len(lines) and not HUNK_RE.match(lines[i]):
            line = lines[i]
            i += 1
            if line.startswith("-"):
                if added:
                    flush()
                removed.append((old_no, line[1:]))
                old_no += 1
            elif line.startswith("+"):
                added.append((new_no, line[1:]))
                new_no += 1
            elif line.startswith(" ") or line == "":
                if line == "" and i == len(lines):
                    break  # the text's final newline
                flush()
                hunk["rows"].append((old_no, line[1:], new_no, line[1:], ""))
                old_no += 1
                new_no += 1
            # "\ No newline at end of file": nothing to show
        flush()
        hunks.append(hunk)
    return (old_path, new_path, hunks) if hunks else None


def section_titles(lines):
    """For each line of a stage program, the sections it is in (tools/docs.py's sections, the
    same ones ./course diff counts by); None when docs.py is not at hand."""
    sys.path.insert(0, os.path.dirname(HERE))
    try:
        import docs
        return docs.sections(lines)
    except (ImportError, AttributeError):
        return None
    finally:
        sys.path.pop(0)


def highlight_r_and_c_columns(el):
    """Inline code in a table column headed "R" or "C" is that language's code."""
    if el["t"] != "Table":
        return el
    head_rows = el["c"][3][1]
    if not head_rows:
        return el
    langs = {i: stringify(cell[4]).strip().lower() for i, cell in enumerate(head_rows[0][1])}
    langs = {i: l for i, l in langs.items() if l in ("r", "c")}
    for body in el["c"][4]:
        for row in body[3]:
            for i, cell in enumerate(row[1]):
                for code in elements(cell[4], "Code") if i in langs else []:
                    code["c"][0][1] = [langs[i]]
    return el


def c_definitions(lines):
    """(name, line number) of each function defined at column 0 of a C file."""
    found = []
    for i, line in enumerate(lines):
        m = DEFINITION_RE.match(line)
        if not m or m[1] in ("if", "for", "while", "switch", "return", "sizeof"):
            continue
        for ahead in lines[i:i + 8]:  # the parameters may take a few lines
            if ahead.rstrip().endswith(";"):
                break
            if ahead.rstrip().endswith("{"):
                found.append((m[1], i + 1))
                break
    return found


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--root", default=os.path.dirname(os.path.dirname(HERE)),
                   help="the tree whose docs/ to render (default: this one)")
    p.add_argument("--out", help="the site's folder (default: ROOT/build/site)")
    args = p.parse_args(argv)
    root = os.path.abspath(args.root)
    out = os.path.abspath(args.out or os.path.join(root, "build", "site"))
    if not os.path.isfile(os.path.join(root, HOME)):
        print(f"site: {root} has no {HOME}", file=sys.stderr)
        return 1
    site = Site(root, out)
    try:
        counts = site.build()
    except SiteError as e:
        print(f"site: {e}", file=sys.stderr)
        return 1
    for problem in site.problems:
        print(f"site: warning: {problem}", file=sys.stderr)
    print(f"site: {counts['page']} pages, {counts['file']} source files, {counts['dir']} "
          f"folders, {counts['image']} pictures -> {os.path.join(out, 'index.html')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

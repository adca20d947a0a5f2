#!/usr/bin/env python3
"""check_site.py: the course site (./course site, tools/site/build.py) builds and works.

  check_site.py pages --source TREE --build DIR
      builds the site into DIR/site; checks that every link and picture between its files
      resolves (fragments included) and that nothing comes from the network; then opens every
      page in headless Chromium and fails on any console error, script error, failed load or
      picture that did not load, or if style.css was not applied; saves screenshots of the
      chapter-1 page and of a side-by-side diff in DIR/site-check/.
  check_site.py student --source TREE
      makes a student copy (tools/exercises.py) in a temporary folder and builds the copy's
      site with the copy's own tools: no line of a reference solution may appear on it, and
      the stubs must (as the chapters show exercise regions, their pages show the stubs).

Exit status 0: passed; 1: failed; 77 (meson's "skipped"): pandoc or Chromium is missing (the
last line says which), or, in a student copy, there are no solutions to look for.
Python 3 standard library; Chromium is driven through its DevTools protocol on a pipe.
"""

import argparse
import base64
import fcntl
import glob
import html
import html.parser
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

SKIP = 77
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                  "--mute-audio", "--remote-debugging-pipe"]
VIEWPORT = {"width": 1440, "height": 900, "deviceScaleFactor": 1, "mobile": False}


def skip(reason):
    print(f"SKIP: {reason}")
    sys.exit(SKIP)


def build_site(tree, out):
    """Runs the tree's own site generator; returns its warnings (links that lead nowhere)."""
    run = subprocess.run([sys.executable, os.path.join(tree, "tools", "site", "build.py"),
                          "--root", tree, "--out", out], capture_output=True, text=True)
    if run.returncode != 0:
        print(run.stdout + run.stderr)
        sys.exit(f"FAIL: the site of {tree} did not build")
    print(run.stdout.strip())
    return [l for l in run.stderr.splitlines() if l.strip()]


# ---- links -----------------------------------------------------------------------------------

class PageParser(html.parser.HTMLParser):
    """A page's ids, and what it refers to: (tag, attribute, value)."""
    REFS = {("a", "href"), ("img", "src"), ("link", "href"), ("script", "src"),
            ("source", "src"), ("iframe", "src")}

    def __init__(self):
        super().__init__()
        self.ids, self.refs = set(), []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value)
            if (tag, name) in self.REFS and value is not None:
                self.refs.append((tag, name, value))


def check_links(site):
    """Every link and resource between the site's files resolves; returns the problems."""
    parsed = {}
    for path in sorted(glob.glob(os.path.join(site, "**", "*.html"), recursive=True)):
        p = PageParser()
        with open(path, encoding="utf-8") as f:
            p.feed(f.read())
        parsed[os.path.abspath(path)] = p
    problems, external = [], 0
    for path, p in parsed.items():
        page = os.path.relpath(path, site)
        for tag, attr, value in p.refs:
            url = urllib.parse.urlsplit(value)
            if url.scheme or url.netloc:
                if tag == "a" and url.scheme in ("http", "https", "mailto"):
                    external += 1  # a link out, followed only by a reader; no resource
                else:
                    problems.append(f"{page}: <{tag} {attr}={value}> comes from outside the site")
                continue
            target = path if not url.path else os.path.normpath(
                os.path.join(os.path.dirname(path), urllib.parse.unquote(url.path)))
            if not os.path.isfile(target):
                problems.append(f"{page}: <{tag} {attr}={value}>: no such file")
            elif url.fragment and target.endswith(".html"):
                ids = parsed[target].ids if target in parsed else set()
                if urllib.parse.unquote(url.fragment) not in ids:
                    problems.append(f"{page}: <{tag} {attr}={value}>: no such anchor")
    return sorted(parsed), problems, external


# ---- Chromium, through the DevTools protocol on a pipe ---------------------------------------

def find_chromium():
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    return None


class Chromium:
    """Headless Chromium with --remote-debugging-pipe: it reads commands from its fd 3 and
    writes answers and events to its fd 4, each a JSON text ended by a NUL byte."""

    def __init__(self, exe, profile, log):
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()
        # out of the way of 3 and 4 before the child moves them there
        ends = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_browser_r,
                                                                     from_browser_w)]
        os.close(to_browser_r)
        os.close(from_browser_w)

        def child():
            for fd, target in zip(ends, (3, 4)):
                os.dup2(fd, target)
                os.set_inheritable(target, True)

        self.proc = subprocess.Popen([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                                      "about:blank"], stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=log, preexec_fn=child, close_fds=False)
        for fd in ends:
            os.close(fd)
        self.buffer, self.events, self.next_id = b"", [], 0

    def receive(self, deadline):
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.from_browser], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            data = os.read(self.from_browser, 1 << 20)
            if not data:
                raise EOFError("Chromium closed its pipe (did it crash? see the log)")
            self.buffer += data
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def send(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self.receive(deadline)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method, session, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            for e in self.events:
                if e.get("method") == method and e.get("sessionId") == session:
                    self.events.remove(e)
                    return e
            self.events.append(self.receive(deadline))

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        except (OSError, EOFError, TimeoutError, RuntimeError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_browser)
        os.close(self.from_browser)


# Run in every page once it has loaded: what the browser shows that the events do not say.
PAGE_CHECK = """(() => {
  const bad = [];
  for (const img of document.images)
    if (!img.complete || img.naturalWidth === 0) bad.push('picture not loaded: ' + img.src);
  if (getComputedStyle(document.body).marginTop !== '0px') bad.push('style.css not applied');
  return bad;
})()"""


def page_problems(events, session):
    """Console errors, exceptions, failed loads and requests off the machine."""
    urls, problems = {}, []
    for e in events:
        if e.get("sessionId") != session:
            continue
        m, p = e.get("method"), e.get("params", {})
        if m == "Network.requestWillBeSent":
            urls[p["requestId"]] = p["request"]["url"]
            if not p["request"]["url"].startswith(("file:", "data:", "about:")):
                problems.append(f"request off the machine: {p['request']['url']}")
        elif m == "Network.loadingFailed":
            problems.append(f"failed to load {urls.get(p['requestId'], '?')}: {p['errorText']}")
        elif m == "Runtime.exceptionThrown":
            problems.append(f"script error: {p['exceptionDetails'].get('text')}")
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            problems.append("console error: " + " ".join(
                str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
        elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
            problems.append(f"console error: {p['entry'].get('text')} {p['entry'].get('url', '')}")
    return problems


def open_pages(exe, pages, screenshots, out_dir):
    """Opens every page; returns {page: [problems]}; saves the screenshots asked for
    ({page: [(file name, id of the element to scroll to first, or None), ...]})."""
    found = {}
    with tempfile.TemporaryDirectory(prefix="site-chromium-") as profile, \
            open(os.path.join(out_dir, "chromium.log"), "w") as log:
        browser = Chromium(exe, profile, log)
        try:
            target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = browser.send("Target.attachToTarget",
                                   {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                browser.send(f"{domain}.enable", session=session)
            browser.send("Emulation.setDeviceMetricsOverride", VIEWPORT, session)
            for page in pages:
                browser.events.clear()
                browser.send("Page.navigate", {"url": "file://" + page}, session)
                browser.wait_for("Page.loadEventFired", session)
                checked = browser.send("Runtime.evaluate", {"expression": PAGE_CHECK,
                                                            "returnByValue": True}, session)
                problems = page_problems(browser.events, session)
                value = checked["result"].get("value")
                problems += value if isinstance(value, list) else ["the page check did not run"]
                found[page] = problems
                for name, anchor in screenshots.get(page, []):
                    if anchor:
                        scrolled = browser.send("Runtime.evaluate", {"expression": (
                            f"(e => e ? (e.scrollIntoView({{block: 'start'}}), true) : false)"
                            f"(document.getElementById({json.dumps(anchor)}))"),
                            "returnByValue": True}, session)
                        if scrolled["result"].get("value") is not True:
                            problems.append(f"no #{anchor} to take the screenshot {name} at")
                    shot = browser.send("Page.captureScreenshot", {"format": "png"}, session)
                    with open(os.path.join(out_dir, name), "wb") as f:
                        f.write(base64.b64decode(shot["data"]))
        finally:
            browser.close()
    return found


def cmd_pages(source, build):
    if not shutil.which("pandoc"):
        skip("pandoc is not installed, so the site cannot be built (Debian: apt-get install "
             "pandoc; ./course site installs it)")
    started = time.monotonic()
    site = os.path.join(build, "site")
    warnings = build_site(source, site)
    pages, problems, external = check_links(site)
    problems = warnings + problems
    for p in problems:
        print(f"  {p}")
    print(f"links: {len(pages)} pages, every link and picture between them "
          + ("resolves" if not problems else f"checked: {len(problems)} broken")
          + f" ({external} links to other sites not followed)")
    exe = find_chromium()
    if problems:
        sys.exit("FAIL: broken links")
    if not exe:
        skip("the links are fine, but Chromium is not installed, so no page was opened "
             "(Debian: apt-get install chromium)")
    out_dir = os.path.join(build, "site-check")
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    chapter1 = sorted(glob.glob(os.path.join(site, "chapter1*.html")))
    diffs = [p for p in pages if 'class="sbs"' in open(p, encoding="utf-8").read()]
    if not chapter1 or not diffs:
        sys.exit("FAIL: no chapter-1 page or no side-by-side diff in the site")
    screenshots = {chapter1[0]: [("chapter1.png", None)],
                   diffs[0]: [("diff-top.png", None), ("diff.png", "side-by-side")]}
    found = open_pages(exe, pages, screenshots, out_dir)
    bad = {p: v for p, v in found.items() if v}
    for page, page_problems_ in bad.items():
        print(f"  {os.path.relpath(page, site)}:")
        for p in page_problems_:
            print(f"    {p}")
    print(f"chromium: {len(found)} pages opened, {len(bad)} with problems; screenshots: "
          + ", ".join(os.path.join(out_dir, n) for n in ("chapter1.png", "diff-top.png",
                                                         "diff.png")))
    print(f"time: {time.monotonic() - started:.0f} s")
    sys.stdout.flush()
    if bad:
        sys.exit("FAIL: pages with console errors or missing resources")
    print("PASS")


# ---- the student copy ------------------------------------------------------------------------

def page_text(path):
    """A page's text, whitespace collapsed (tags dropped, so highlighted code reads whole)."""
    with open(path, encoding="utf-8") as f:
        text = html.unescape(re.sub(r"<[^>]*>", "", f.read()))
    return re.sub(r"\s+", " ", text)


def solution_lines(tree):
    """The lines of the reference solutions that a student copy does not otherwise contain,
    whitespace collapsed; and whether the tree is itself a student copy."""
    sys.path.insert(0, os.path.join(tree, "tools"))
    try:
        import exercises
    finally:
        sys.path.pop(0)
    lines, stubs = set(), True
    for path, regions in exercises.find_regions(tree).items():
        text = exercises.read_lines(os.path.join(tree, path))
        for r in regions:
            body = r.body(text)
            stubs = stubs and any("YOUR CODE HERE" in l for l in body)
            for line in body:
                line = re.sub(r"\s+", " ", line).strip()
                if len(line) >= 16 and not line.startswith(("/*", "*", "//")):
                    lines.add(line)
    return lines, stubs


def cmd_student(source):
    if not shutil.which("pandoc"):
        skip("pandoc is not installed, so the site cannot be built (Debian: apt-get install "
             "pandoc; ./course site installs it)")
    started = time.monotonic()
    solutions, is_copy = solution_lines(source)
    if is_copy:
        skip("this tree is a student copy: its exercises are stubs, there is no solution to "
             "look for")
    with tempfile.TemporaryDirectory(prefix="site-student-") as tmp:
        copy, site = os.path.join(tmp, "copy"), os.path.join(tmp, "site")
        run = subprocess.run([sys.executable, os.path.join(source, "tools", "exercises.py"),
                              "student", copy], capture_output=True, text=True)
        if run.returncode != 0:
            print(run.stdout + run.stderr)
            sys.exit("FAIL: the student copy could not be made")
        # a line the copy's sources still hold (outside the stubs), alone or as the start of a
        # longer line (a test's loop header), is no solution to hide
        kept = []
        for path in glob.glob(os.path.join(copy, "**", "*.[ch]"), recursive=True):
            with open(path, encoding="utf-8") as f:
                kept.extend(re.sub(r"\s+", " ", l).strip() for l in f)
        kept_text = "\n".join(kept)
        hidden = {l for l in solutions if l not in kept_text}
        # the pages that show solution lines in the instructors' docs must show stubs instead
        docs_text = " ".join(page_text(p) for p in glob.glob(
            os.path.join(source, "docs", "**", "*.md"), recursive=True))
        in_docs = {l for l in hidden if l in docs_text}
        warnings = build_site(copy, site)
        for w in warnings:
            print(f"  {w}")
        texts = {os.path.relpath(p, site): page_text(p)
                 for p in glob.glob(os.path.join(site, "**", "*.html"), recursive=True)}
        leaks = sorted((page, line) for page, text in texts.items() for line in hidden
                       if line in text)
        stub_pages = sorted(page for page, text in texts.items() if "YOUR CODE HERE" in text)
    print(f"student copy: {len(hidden)} solution lines to hide ({len(in_docs)} of them on "
          f"the instructors' pages); {len(texts)} pages in the copy's site, "
          f"{len(stub_pages)} showing stubs")
    for page, line in leaks[:20]:
        print(f"  {page}: shows the solution line: {line}")
    failed = bool(leaks)
    if in_docs and not stub_pages:
        print("  the instructors' pages show solution lines, yet no page of the copy shows "
              "a stub")
        failed = True
    if not hidden:
        print("  no solution line found in the exercise regions: nothing was checked")
        failed = True
    print(f"time: {time.monotonic() - started:.0f} s")
    if failed:
        sys.exit("FAIL: the student copy's site")
    print("PASS")


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("what", choices=["pages", "student"])
    p.add_argument("--source", required=True, help="the source tree")
    p.add_argument("--build", help="the build directory (pages: the site and screenshots)")
    args = p.parse_args(argv)
    source = os.path.abspath(args.source)
    if args.what == "pages":
        if not args.build:
            p.error("pages needs --build")
        cmd_pages(source, os.path.abspath(args.build))
    else:
        cmd_student(source)


if __name__ == "__main__":
    main(sys.argv[1:])

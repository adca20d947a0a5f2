#!/usr/bin/env python3
"""Counts the individual Check tests of the last `meson test` run and prints the closing line.

Reads build/meson-logs/testlog.json. A suite that speaks TAP counts each "ok" / "not ok" line;
a suite that died before printing TAP (a crash, a timeout) or that is not TAP counts as one
test, passed or failed by meson's verdict; a suite meson reports as SKIP (exit status 77, e.g.
a tool it needs is missing) counts as skipped, and says why it was skipped.

Before the closing line it lists what failed, each failure line whole. A failure that stopped
at an exercise not written yet (its text holds "exercise 1.2: not implemented yet", the stub's
message) is counted under "needs exercise 1.2" instead of being listed, so that a student copy
shows which exercises the failing tests wait for. Prints "N passed, N failed" (", N skipped"
when any were) as the last line and exits 1 if anything failed or nothing ran.

  tools/count_tests.py [LOG] [--max-lines N]
"""
import argparse
import json
import re
import sys

NOT_IMPLEMENTED_RE = re.compile(r"exercise (\d+\.\d+): not implemented yet")
NOT_OK_RE = re.compile(r"^not ok \d+ - (.*)$", re.M)


def id_key(ex_id):
    return tuple(int(p) for p in ex_id.split("."))


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("log", nargs="?", default="build/meson-logs/testlog.json")
    p.add_argument("--max-lines", type=int, default=40,
                   help="failure lines to list (40); the count covers them all")
    args = p.parse_args(argv)
    passed = failed = skipped = 0
    broken, skips, lines = [], [], []
    needs = {}  # exercise -> [failures that stopped at its stub]

    def failure(suite, text, full_text=None):
        m = NOT_IMPLEMENTED_RE.search(full_text or text)
        if m:
            needs.setdefault(m.group(1), []).append(f"{suite}: {text}")
        else:
            lines.append(f"{suite}: {text}")

    with open(args.log, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip("\0 \n")
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:  # e.g. two meson runs wrote the log at once
                broken.append("an unreadable line in the test log (run the tests again)")
                failed += 1
                continue
            name = rec.get("name", "?").split(" / ")[-1]
            out = rec.get("stdout") or ""
            err = rec.get("stderr") or ""
            if rec.get("result") == "SKIP":
                skipped += 1
                reason = (out.strip().splitlines() or ["no reason given"])[-1]
                skips.append(f"{rec['name']}: {reason}")
                continue
            oks = len(re.findall(r"^ok \d+", out, re.M))
            not_oks = NOT_OK_RE.findall(out)
            ok_binary = rec.get("result") in ("OK", "EXPECTEDFAIL")
            if oks + len(not_oks) == 0:
                passed += ok_binary
                failed += not ok_binary
                if not ok_binary:  # a program that is not TAP: its last words say why
                    last = (err.strip() or out.strip()).splitlines()
                    failure(name, f"{rec.get('result')}: {last[-1] if last else 'no output'}",
                            out + err)
            else:
                passed += oks
                failed += len(not_oks)
                for text in not_oks:
                    failure(name, text)
            if not ok_binary and oks > 0 and not not_oks:  # it failed after its TAP
                failed += 1
                broken.append(f"{rec['name']}: {rec.get('result')} after {oks} passed tests")
    for s in skips:
        print(f"skipped: {s}")
    if lines:
        print("failed:")
        for text in lines[:args.max_lines]:
            print(f"  {text}")
        if len(lines) > args.max_lines:
            print(f"  ... and {len(lines) - args.max_lines} more (the log: "
                  "meson-logs/testlog.txt in the build directory)")
    for b in broken:
        print(f"failed: {b}")
    waiting = sum(len(v) for v in needs.values())
    if needs:
        print("failed because an exercise is not written yet (docs/exercises.md):")
        for ex in sorted(needs, key=id_key):
            print(f"  needs exercise {ex}: {len(needs[ex])} test{'s' * (len(needs[ex]) != 1)}, "
                  f"e.g. {needs[ex][0]}")
    summary = f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else "")
    if needs:
        summary += (f" ({waiting} of them need exercise{'s' * (len(needs) != 1)} "
                    f"{', '.join(sorted(needs, key=id_key))})")
    print(summary)
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

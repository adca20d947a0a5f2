#!/usr/bin/env python3
"""Counts the individual Check tests of the last `meson test` run and prints the closing line.

Reads build/meson-logs/testlog.json. A suite that speaks TAP counts each "ok" / "not ok" line;
a suite that died before printing TAP (a crash, a timeout) or that is not TAP counts as one
test, passed or failed by meson's verdict; a suite meson reports as SKIP (exit status 77, e.g.
a tool it needs is missing) counts as skipped, and says why it was skipped. Prints
"N passed, N failed" (", N skipped" when any were) as the last line and exits 1 if anything
failed or nothing ran.
"""
import json
import re
import sys

log = sys.argv[1] if len(sys.argv) > 1 else "build/meson-logs/testlog.json"
passed = failed = skipped = 0
broken, skips = [], []
with open(log, encoding="utf-8", errors="replace") as f:
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
        out = rec.get("stdout") or ""
        if rec.get("result") == "SKIP":
            skipped += 1
            reason = (out.strip().splitlines() or ["no reason given"])[-1]
            skips.append(f"{rec['name']}: {reason}")
            continue
        oks = len(re.findall(r"^ok \d+", out, re.M))
        not_oks = len(re.findall(r"^not ok \d+", out, re.M))
        ok_binary = rec.get("result") in ("OK", "EXPECTEDFAIL")
        if oks + not_oks == 0:
            passed += ok_binary
            failed += not ok_binary
        else:
            passed += oks
            failed += not_oks
        if not ok_binary:
            failed += oks + not_oks > 0 and not_oks == 0  # a suite that failed after its TAP
            broken.append(f"{rec['name']}: {rec.get('result')}")
for s in skips:
    print(f"skipped: {s}")
for b in broken:
    print(f"failed: {b}")
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed or passed == 0 else 0)

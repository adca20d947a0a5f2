#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu or
# Debian). It installs what ctorch needs and builds the reference tree the autograder zip
# carries (ctorch/, with the solutions and the hidden tests), so that grading a submission
# recompiles only the files that hold exercises.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends gcc libc6-dev meson ninja-build pkg-config \
  check python3 python3-pip >/dev/null

# ctorch needs Meson 0.63 or later; Ubuntu 22.04's is 0.61.
if ! python3 - <<'PY'
import subprocess, sys
v = subprocess.run(["meson", "--version"], capture_output=True, text=True).stdout.strip()
sys.exit(0 if tuple(int(x) for x in v.split(".")[:2]) >= (0, 63) else 1)
PY
then
  python3 -m pip install --quiet 'meson>=0.63' || python3 -m pip install --quiet --break-system-packages 'meson>=0.63'
  hash -r
fi

cd "$(dirname "$0")/ctorch"
meson setup build >/dev/null
ninja -C build >/dev/null
echo "setup: ctorch built in $(pwd)/build"

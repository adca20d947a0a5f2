#!/bin/sh
# Regenerates tests/fixtures/print.txt from libtorch's own printer.
# Needs Debian's libtorch-dev (apt-get install libtorch-dev) and g++.
# Usage: tools/gen_print_fixtures.sh   (from anywhere; writes into the source tree)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
exe=$(mktemp /tmp/gen_print_fixtures.XXXXXX)
trap 'rm -f "$exe"' EXIT
g++ -std=c++17 -O1 -o "$exe" "$root/tools/gen_print_fixtures.cpp" \
    -I/usr/include/torch/csrc/api/include -I/usr/include \
    -ltorch -ltorch_cpu -lc10
"$exe" "$root/tests/fixtures/print.txt"

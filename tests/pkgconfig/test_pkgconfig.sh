#!/usr/bin/env bash
# An outside program compiles and links against `pkg-config ctorch` (the uninstalled .pc in
# the build tree) and reproduces torch.manual_seed(42); torch.randn(100, 3) bit for bit.
# usage: test_pkgconfig.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export PKG_CONFIG_PATH=$build/meson-uninstalled
# shellcheck disable=SC2046
# EXTRA_CFLAGS: the sanitizer flags when the library was built with them.
cc -std=c11 -Wall -Wextra -Wpedantic -Werror ${EXTRA_CFLAGS:-} -o "$tmp/seed42" \
  "$src/tests/pkgconfig/seed42.c" $(pkg-config --cflags --libs ctorch)
"$tmp/seed42" >"$tmp/got.txt"
grep -A1 '^tensor seed42_randn_100x3 ' "$src/tests/fixtures/random.txt" | tail -n 1 >"$tmp/want.txt"
if ! cmp -s "$tmp/got.txt" "$tmp/want.txt"; then
  echo "seed42 via pkg-config differs from PyTorch's torch.randn(100, 3) after manual_seed(42)"
  exit 1
fi
echo "pkg-config ctorch: seed 42 randn(100, 3) matches PyTorch bit for bit"

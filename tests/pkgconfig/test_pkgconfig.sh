#!/usr/bin/env bash
# An outside program compiles and links against `pkg-config ctorch` and reproduces
# torch.manual_seed(42); torch.randn(100, 3) bit for bit: from the build tree (the uninstalled
# .pc), then from an installation (meson install into a scratch directory), whose headers must
# be the public API alone, each one compiling by itself with only the installed headers.
# usage: test_pkgconfig.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# EXTRA_CFLAGS: the sanitizer flags when the library was built with them.
cflags=(-std=c11 -Wall -Wextra -Wpedantic -Werror ${EXTRA_CFLAGS:-})
grep -A1 '^tensor seed42_randn_100x3 ' "$src/tests/fixtures/random.txt" | tail -n 1 >"$tmp/want.txt"

# seed42 built against PKG_CONFIG_PATH's ctorch must print PyTorch's numbers.
check_seed42() {
  # shellcheck disable=SC2046
  cc "${cflags[@]}" -o "$tmp/seed42" "$src/tests/pkgconfig/seed42.c" \
    $(pkg-config --cflags --libs ctorch)
  "$tmp/seed42" >"$tmp/got.txt"
  if ! cmp -s "$tmp/got.txt" "$tmp/want.txt"; then
    echo "seed42 via pkg-config ($1) differs from PyTorch's torch.randn(100, 3) after manual_seed(42)"
    exit 1
  fi
  echo "pkg-config ctorch ($1): seed 42 randn(100, 3) matches PyTorch bit for bit"
}

PKG_CONFIG_PATH=$build/meson-uninstalled check_seed42 "build tree"

meson install -C "$build" --no-rebuild --destdir "$tmp/root" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log"; exit 1; }
pc=$(find "$tmp/root" -name ctorch.pc)
export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$tmp/root
include=$(find "$tmp/root" -type d -path '*/include/ctorch')
# The public API: these headers and no other (the harness, rformat.h, the fast kernels'
# headers and internal.h stay in the tree).
public="autograd.h autograd_hook.h error.h losses.h nn.h optim.h tensor.h"
installed=$(cd "$include" && ls | sort | tr '\n' ' ' | sed 's/ $//')
if [[ $installed != "$public" ]]; then
  echo "installed headers: $installed; the public API is: $public"
  exit 1
fi
for h in $public; do
  printf '#include "%s"\nint main(void) { return 0; }\n' "$h" >"$tmp/one.c"
  # shellcheck disable=SC2046
  if ! cc "${cflags[@]}" -fsyntax-only "$tmp/one.c" $(pkg-config --cflags ctorch); then
    echo "the installed $h does not compile alone against the installed headers"
    exit 1
  fi
done
echo "installed headers: $public, each compiles alone"
check_seed42 "installed"

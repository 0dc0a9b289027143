#!/usr/bin/env bash
# Builds the kpaudit-otelcol Collector distribution with libkpaudit.a
# linked statically: `cargo build --release --lib` at the repository root,
# then `go build` of cmd/kpaudit-otelcol, as the Go package is built.
# Honours CARGO_TARGET_DIR as go/test.sh does. Prints the binary's path.
#
#   go/otelcol/build.sh [OUTPUT]     # default: <cargo target dir>/go/kpaudit-otelcol
#
# Needs cargo, a C compiler and Go; the Collector's modules come through
# the Go module proxy on the first build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
source ./env.sh
OUT=${1:-$TARGET_DIR/go/kpaudit-otelcol}
case $OUT in /*) ;; *) OUT=$PWD/$OUT ;; esac

build_lib

# Go's build cache does not look at libkpaudit.a (it is named in #cgo
# LDFLAGS): without the old binary, go build links again with the library
# as it is now. No -trimpath: the build then shares its compiled packages
# with go vet and go test in the same build cache (test.sh runs all three).
mkdir -p "$(dirname "$OUT")"
rm -f "$OUT"
go build -tags "$(go_tags "")" \
  -ldflags "-X main.version=$(cd "$ROOT" && git describe --always --dirty 2>/dev/null || echo dev)" \
  -o "$OUT" ./cmd/kpaudit-otelcol

if ldd "$OUT" | grep -q libkpaudit; then
  ldd "$OUT" >&2
  echo "build.sh: $OUT needs a shared libkpaudit; it should link libkpaudit.a" >&2
  exit 1
fi
echo "$OUT"

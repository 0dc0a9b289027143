#!/usr/bin/env bash
# Tests of the Go hosts: for every Go module under go/ runs go vet and go
# test (with the race detector for the kpaudit module, and with
# GODEBUG=cgocheck=1), and checks that a Go binary does not need a shared
# libkpaudit at run time. Links the libkpaudit.a that `cargo build
# --release` built (scripts/test.sh builds it once for every consumer),
# in $CARGO_TARGET_DIR when that is set.
#
#   bash go/test.sh
#
# Needs cargo, a C compiler and Go; Go modules come through the module proxy
# on the first run. KPAUDIT_GO_RACE=all also runs the Benthos module under
# the race detector. go/otelcol has its own script (go/otelcol/test.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
GO_DIR=$PWD

step() { printf '\n== %s\n' "$*"; }

# Two cores: two build jobs keep the machine responsive.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-p=2"

lib=../target/release/libkpaudit.a
if [[ -n ${CARGO_TARGET_DIR:-} ]]; then
  lib=$(cd .. && mkdir -p "$CARGO_TARGET_DIR" && cd "$CARGO_TARGET_DIR" && pwd)/release/libkpaudit.a
  # The package then takes the library from the environment (link_env.go).
  export CGO_LDFLAGS="$lib${CGO_LDFLAGS:+ $CGO_LDFLAGS}"
  export GOFLAGS="$GOFLAGS -tags=kpaudit_link_env"
fi
# A no-op when scripts/test.sh has built it already.
step "cargo build --release --lib (libkpaudit.a)"
(cd .. && cargo build --release --lib --quiet)
test -f "$lib" || { echo "FAIL: $lib was not built" >&2; exit 1; }
echo "linking $lib"

for mod in $(find . -name go.mod -not -path '*/testdata/*' -not -path './otelcol/*' -printf '%h\n' | sort); do
  cd "$GO_DIR/$mod"
  name=${mod#./}
  [ "$mod" != . ] || name=kpaudit
  step "$name: go vet ./..."
  go vet ./...
  # The race detector instruments every dependency: for Benthos, a second
  # build of all of it, while its pipeline test runs a plain binary anyway.
  if [ "$mod" = . ] || [ "${KPAUDIT_GO_RACE:-}" = all ]; then
    step "$name: go test -race -count=1 ./..."
    go test -race -count=1 ./...
  fi
  step "$name: GODEBUG=cgocheck=1 go test -count=1 ./..."
  GODEBUG=cgocheck=1 go test -count=1 ./...
done

step "a Go binary links libkpaudit statically"
cd "$GO_DIR"
bin=$(mktemp "${TMPDIR:-/tmp}/kpaudit-go-test.XXXXXX")
trap 'rm -f "$bin"' EXIT
go test -c -o "$bin" .
if ldd "$bin" | grep -q libkpaudit; then
  ldd "$bin"
  echo "FAIL: the test binary needs a shared libkpaudit" >&2
  exit 1
fi
echo "no shared libkpaudit needed: $(ldd "$bin" | awk '{print $1}' | tr '\n' ' ')"

step "all Go tests passed"

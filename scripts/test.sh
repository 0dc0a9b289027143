#!/usr/bin/env bash
# Runs every test: formatting and lints, the Rust suite (with property
# tests and limits), the panic-boundary test, header drift, the C side
# (strict-warning ABI test, AddressSanitizer, example host, valgrind), and
# the Go package and Benthos processor (vet, -race, cgocheck).
# Installs the tools it needs that the machine lacks.
set -euo pipefail
cd "$(dirname "$0")/.."

CBINDGEN_VERSION=0.29.4

step() { printf '\n== %s\n' "$*"; }

step "tools"
if ! command -v cbindgen >/dev/null || [ "$(cbindgen --version)" != "cbindgen $CBINDGEN_VERSION" ]; then
  cargo install --quiet --locked cbindgen --version "$CBINDGEN_VERSION"
fi
cbindgen --version
if ! command -v valgrind >/dev/null; then
  # Debian/Ubuntu; as root (CI) or through sudo.
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq valgrind
fi
valgrind --version
if ! command -v go >/dev/null; then
  # Go's toolchain directive fetches the newer toolchain a module needs.
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq golang-go
fi
go version

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --quiet --all-targets --all-features -- -D warnings

step "cargo test"
cargo test --quiet

step "panic boundary: every export under injected panics (feature panic-injection)"
cargo test --quiet --features panic-injection --test panic_boundary

step "header drift: include/kpaudit.h against a fresh cbindgen run"
generated=$(mktemp)
trap 'rm -f "$generated"' EXIT
cbindgen --quiet --config cbindgen.toml --crate kpaudit --output "$generated"
if ! diff -u include/kpaudit.h "$generated"; then
  echo "include/kpaudit.h is stale: run scripts/header.sh and commit it" >&2
  exit 1
fi
echo "include/kpaudit.h matches"

step "C tests"
bash tests/c/run.sh

step "Go: the cgo package and the Benthos processor (go/test.sh)"
bash go/test.sh

step "all tests passed"

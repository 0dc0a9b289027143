#!/usr/bin/env bash
# Runs every test: formatting and lints, the Rust suite of every package
# (library, command, generator; property tests, limits, memory bounds), the
# panic-boundary test, header drift, the C side (strict-warning ABI test,
# AddressSanitizer, the example host, valgrind), the Fluent Bit plugin's
# item classifier, the installed library through pkg-config (the README's C
# program), the demo, the Go package and Benthos processor (vet, -race,
# cgocheck), and the OpenTelemetry Collector module (a real Kafka broker).
#
# Installs what the machine lacks: the pinned cbindgen (cargo), valgrind and
# pkg-config (apt), Go (apt); the Kafka broker's jars come from Maven
# Central (Java 17 and Maven are expected). Honours CARGO_TARGET_DIR. Each
# step prints its wall and CPU time (user + system, children included).
set -euo pipefail
cd "$(dirname "$0")/.."

CBINDGEN_VERSION=0.29.4
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}

# step NAME COMMAND...: runs COMMAND, then prints its wall and CPU time
# (bash's `time`: real, and user + system of the command and its children).
TIMES=()
step() {
  local name=$1 timing line
  shift
  printf '\n== %s\n' "$name"
  timing=$(mktemp)
  exec 3>&2
  { TIMEFORMAT='%R %U %S'; time "$@" 2>&3 3>&-; } 2> "$timing"
  exec 3>&-
  line=$(awk -v n="$name" '{ printf "%-62s %7.1f s wall %7.1f s cpu", n, $1, $2 + $3 }' "$timing")
  rm -f "$timing"
  TIMES+=("$line")
  echo "-- $line"
}

install_tools() {
  local sudo
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  local apt=()
  command -v valgrind >/dev/null || apt+=(valgrind)
  command -v pkg-config >/dev/null || apt+=(pkg-config)
  command -v go >/dev/null || apt+=(golang-go)   # Go's toolchain directive fetches a newer one if needed
  if [ ${#apt[@]} -gt 0 ]; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${apt[@]}"
  fi
  if ! command -v cbindgen >/dev/null || [ "$(cbindgen --version)" != "cbindgen $CBINDGEN_VERSION" ]; then
    # A debug build: the same header (the drift check compares it), a
    # sixth of the CPU of an optimised one.
    echo "installing cbindgen $CBINDGEN_VERSION (cargo install --debug, about 40 s of CPU)"
    cargo install --locked --debug cbindgen --version "$CBINDGEN_VERSION"
  fi
  cbindgen --version
  valgrind --version
  go version
}

header_drift() {
  local generated
  generated=$(mktemp)
  cbindgen --quiet --config cbindgen.toml --crate kpaudit --output "$generated"
  if ! diff -u include/kpaudit.h "$generated"; then
    rm -f "$generated"
    echo "include/kpaudit.h is stale: run scripts/header.sh and commit it" >&2
    return 1
  fi
  rm -f "$generated"
  echo "include/kpaudit.h matches"
}

demo() {
  bash scripts/demo.sh > "$CARGO_TARGET_DIR/demo.log"
  grep -q '^input lines: 20000$' "$CARGO_TARGET_DIR/demo.log"
  grep -q '^rejected: [1-9]' "$CARGO_TARGET_DIR/demo.log"
  tail -n 16 "$CARGO_TARGET_DIR/demo.log"
}

step "tools" install_tools
step "cargo fmt --check" cargo fmt --all -- --check
step "cargo clippy (workspace, all targets and features)" \
  cargo clippy --quiet --workspace --all-targets --all-features -- -D warnings
step "cargo test (workspace)" cargo test --quiet --workspace
step "panic boundary: every export under injected panics" \
  cargo test --quiet --features panic-injection --test panic_boundary
step "header drift: include/kpaudit.h against cbindgen" header_drift
step "C tests (ABI test, ASan, example host, valgrind)" bash tests/c/run.sh
step "Fluent Bit plugin's item classifier, randomised, ASan + UBSan" \
  bash examples/fluent-bit/test_items.sh
step "cargo build --release (library, command, generator: once for all)" \
  cargo build --quiet --release --workspace
step "installed library through pkg-config; README C program" bash tests/install/run.sh
step "demo (scripts/demo.sh)" demo
step "Go: the cgo package and the Benthos processor (go/test.sh)" bash go/test.sh
step "OpenTelemetry Collector: processor, files end to end, Kafka with kill -9 (go/otelcol/test.sh)" \
  bash go/otelcol/test.sh

printf '\n== times\n'
printf '%s\n' "${TIMES[@]}"
printf '\n== all tests passed\n'

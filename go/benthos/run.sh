#!/usr/bin/env bash
# Runs pipeline.yaml over a file of NDJSON events with a freshly built
# kpaudit-benthos, then prints a summary:
#
#   go/benthos/run.sh EVENTS.ndjson OUTDIR [CONFIG.json]
#
# Events go to OUTDIR/<route>.ndjson, rejected lines (as records of why and
# where, never their bytes) to OUTDIR/dead-letter.ndjson, which is there
# even when nothing is rejected: the layout of `kpaudit run` and of the C
# example host. OUTDIR must not exist or be empty, since the outputs append.
set -euo pipefail

usage() { echo "usage: $0 EVENTS.ndjson OUTDIR [CONFIG.json]" >&2; exit 2; }
[ $# -ge 2 ] && [ $# -le 3 ] || usage
[ -f "$1" ] || { echo "$0: no such file: $1" >&2; exit 2; }
[ $# -lt 3 ] || [ -f "$3" ] || { echo "$0: no such file: $3" >&2; exit 2; }
if [ -d "$2" ] && [ -n "$(ls -A "$2")" ]; then
  echo "$0: $2 is not empty; the outputs would append to what is there" >&2
  exit 2
fi

input=$(realpath "$1")
out=$(realpath -m "$2")
config=${3:+$(realpath "$3")}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
bin=$target/go/kpaudit-benthos

(cd "$root" && cargo build --release --lib --quiet)
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
  export CGO_LDFLAGS="$(cd "$root" && cd "$CARGO_TARGET_DIR" && pwd)/release/libkpaudit.a"
  export GOFLAGS="${GOFLAGS:+$GOFLAGS }-tags=kpaudit_link_env"
fi
# go build skips linking when the binary looks up to date, and it does not
# see a rebuilt libkpaudit.a: remove the binary so it links the new one.
rm -f "$bin"
(cd "$here" && go build -o "$bin" ./cmd/kpaudit-benthos)

mkdir -p "$out"
: > "$out/dead-letter.ndjson"
KPAUDIT_INPUT=$input KPAUDIT_OUT=$out KPAUDIT_CONFIG=$config "$bin" -c "$here/pipeline.yaml"

lines=$(wc -l < "$input")
rejected=$(wc -l < "$out/dead-letter.ndjson")
emitted=0
routes=""
for f in "$out"/*.ndjson; do
  [ "$f" != "$out/dead-letter.ndjson" ] || continue
  n=$(wc -l < "$f")
  emitted=$((emitted + n))
  routes+=$(printf '  %-20s %10d  -> %s' "$(basename "$f" .ndjson)" "$n" "$(basename "$f")")$'\n'
done
echo "kpaudit-benthos summary"
echo "input lines: $lines"
echo "emitted: $emitted"
echo "rejected: $rejected"
echo "events per route:"
printf '%s' "$routes" | sort -k2,2nr
echo "dead letters: $rejected  -> dead-letter.ndjson"
if [ "$lines" -ne $((emitted + rejected)) ]; then
  echo "$0: $lines input lines, but $emitted emitted + $rejected rejected" >&2
  exit 1
fi

#!/usr/bin/env bash
# Runs pipeline.yaml over a file of NDJSON events with a freshly built
# kpaudit-benthos, then prints the lines written per output file:
#
#   go/benthos/run.sh EVENTS.ndjson OUTDIR [CONFIG.json]
#
# Events go to OUTDIR/routes/<route>.ndjson, rejected lines (as records of
# why, without their bytes) to OUTDIR/dead-letter.ndjson. OUTDIR must not
# exist or be empty, since the outputs append.
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
bin=$root/target/go/kpaudit-benthos

(cd "$root" && cargo build --release --quiet)
# go build skips linking when the binary looks up to date, and it does not
# see a rebuilt libkpaudit.a: remove the binary so it links the new one.
rm -f "$bin"
(cd "$here" && go build -o "$bin" ./cmd/kpaudit-benthos)

KPAUDIT_INPUT=$input KPAUDIT_OUT=$out KPAUDIT_CONFIG=$config "$bin" -c "$here/pipeline.yaml"

echo "input: $(wc -l < "$input") lines"
find "$out" -type f -name '*.ndjson' | sort | while read -r f; do
  printf '%8d  %s\n' "$(wc -l < "$f")" "${f#"$out"/}"
done

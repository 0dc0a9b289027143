#!/usr/bin/env bash
# The main job on built-in defaults: build libkpaudit, generate a sample of
# Key Protect events (1% of lines corrupted, to show rejected-event
# accounting), run the C example host over it and show its summary.
#   scripts/demo.sh [EVENTS] [CONFIG_FILE]
set -euo pipefail
cd "$(dirname "$0")/.."

events=${1:-20000}
config=${2:-}
work=target/demo
mkdir -p "$work/c"
rm -rf "$work/out"

cargo build --quiet --release
cargo run --quiet --release --example gen_events -- \
  --count "$events" --seed 42 --corrupt-percent 1 > "$work/events.ndjson"
cc -std=c99 -O2 -Wall -Wextra -Wpedantic -Werror -Iinclude \
  examples/c/kpaudit_host.c target/release/libkpaudit.a -lpthread -ldl -lm \
  -o "$work/c/kpaudit_host"

echo "input: $work/events.ndjson ($(wc -l < "$work/events.ndjson") lines, $(du -h "$work/events.ndjson" | cut -f1))"
echo "output: one NDJSON file per route in $work/out/"
echo
"$work/c/kpaudit_host" ${config:+--config "$config"} "$work/out" < "$work/events.ndjson"
echo
echo "files written:"
wc -l "$work"/out/*.ndjson | sed 's/^/  /'

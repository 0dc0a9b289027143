#!/usr/bin/env bash
# Benchmark (not a test) of the kpaudit-otelcol build, in interleaved rounds
# with medians, on generated Key Protect events:
#   filelog -> kpaudit -> file
#   filelog -> file                                (no processor)
#   filelog -> transform+redaction -> file          (the OpenTelemetry-native peer)
#   kafka -> kpaudit -> kafka   and   kafka -> kafka (pass-through)
# It prints each run, then the table and the method.
#
#   bash go/otelcol/bench.sh [SIZE_MB] [ROUNDS]      # default 64 MiB, 5 rounds
#
# KPAUDIT_BENCH_KAFKA=0 leaves the Kafka pipelines out (they start a broker:
# Java 17+ and Maven, as for go/otelcol/test.sh). Run it on a quiet machine:
# on 2 cores, the collector, its input and Kafka compete for them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
source ./env.sh
SIZE_MB=${1:-64}
ROUNDS=${2:-5}

BIN=$TARGET_DIR/go/kpaudit-otelcol
bash ./build.sh "$BIN" >/dev/null

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kpaudit-otelcol-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# A whole number of filelog's 100-line batches: a last, partial batch
# would wait for filelog's 100 ms flush timer, a step of 0 to 100 ms at the
# end of every file run (runs of about 0.6 s came out in steps of 0.1 s).
(cd "$ROOT" && cargo run --release --quiet -p gen-events -- --size-mb "$SIZE_MB" --seed 9) >"$WORK/all.ndjson"
head -n "$(( $(wc -l <"$WORK/all.ndjson") / 100 * 100 ))" "$WORK/all.ndjson" >"$WORK/events.ndjson"
rm "$WORK/all.ndjson"

go run -tags "$(go_tags "")" ./bench -bin "$BIN" -events "$WORK/events.ndjson" -rounds "$ROUNDS" -work "$WORK" \
  -kafka="$([ "${KPAUDIT_BENCH_KAFKA:-1}" = 0 ] && echo false || echo true)" \
  -kafka-dir "${KPAUDIT_KAFKA_DIR:-$TARGET_DIR/kafka}" -scripts "$PWD/testdata/kafka"

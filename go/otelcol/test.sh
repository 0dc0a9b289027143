#!/usr/bin/env bash
# Tests of the OpenTelemetry Collector module (go/otelcol): go vet, the
# kpaudit processor's unit tests under the race detector, then the built
# kpaudit-otelcol on the example pipelines: files end to end (20,000
# events), and Kafka with two collectors in one consumer group, one killed
# with SIGKILL mid-stream (200,000 events).
#
#   bash go/otelcol/test.sh
#
# Needs cargo, a C compiler and Go; Java 17+ and Maven for the Kafka broker
# (testdata/kafka/start-kafka.sh fetches its jars from Maven Central into
# <cargo target dir>/kafka/lib on the first run; KPAUDIT_KAFKA_DIR moves
# that). The Collector's modules come through the Go module proxy on the
# first run. Honours CARGO_TARGET_DIR as go/test.sh does.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
source ./env.sh

step() { printf '\n== [%ss] %s\n' "$SECONDS" "$*"; }

step "otelcol: build kpaudit-otelcol (libkpaudit.a linked statically)"
BIN=$TARGET_DIR/go/kpaudit-otelcol
bash ./build.sh "$BIN"

step "otelcol: go vet -tags e2e ./..."
go vet -tags "$(go_tags e2e)" ./...

step "otelcol: go test -race -count=1 ./kpauditprocessor"
go test -tags "$(go_tags "")" -race -count=1 ./kpauditprocessor

step "otelcol: go test -count=1 ./cmd/... (the distribution's configuration guard)"
go test -tags "$(go_tags "")" -count=1 ./cmd/...

step "otelcol: end to end: files (20,000 events) and Kafka (200,000 events, kill -9)"
KPAUDIT_OTELCOL=$BIN KPAUDIT_KAFKA_DIR=${KPAUDIT_KAFKA_DIR:-$TARGET_DIR/kafka} \
  go test -tags "$(go_tags e2e)" -count=1 -v -timeout 15m ./e2e

step "otelcol: all tests passed"

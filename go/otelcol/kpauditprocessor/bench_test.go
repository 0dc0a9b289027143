package kpauditprocessor

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
)

// benchEvents is the benchmarks' input: the NDJSON file named by
// KPAUDIT_CORPUS when set, else 4 MiB of generated events (the
// repository's generator, run with cargo at the repository root).
func benchEvents(b *testing.B) [][]byte {
	b.Helper()
	data, err := []byte(nil), error(nil)
	if path := os.Getenv("KPAUDIT_CORPUS"); path != "" {
		data, err = os.ReadFile(path)
	} else {
		cmd := exec.Command("cargo", "run", "--release", "--quiet", "-p", "gen-events", "--", "--size-mb", "4", "--seed", "9")
		cmd.Dir = "../../.."
		cmd.Stderr = os.Stderr
		data, err = cmd.Output()
	}
	if err != nil {
		b.Fatal(err)
	}
	return bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
}

// filelogBatches cuts the events into batches as filelog emits them: one
// resource and scope, batchSize string bodies, one attribute each.
func filelogBatches(events [][]byte, batchSize int) []plog.Logs {
	var out []plog.Logs
	for i := 0; i < len(events); i += batchSize {
		ld := plog.NewLogs()
		sl := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
		for _, e := range events[i:min(i+batchSize, len(events))] {
			lr := sl.LogRecords().AppendEmpty()
			lr.Body().SetStr(string(e))
			lr.Attributes().PutStr("log.file.name", "events.ndjson")
		}
		out = append(out, ld)
	}
	return out
}

// BenchmarkProcessLogs runs the processor on the events in filelog-sized
// batches of 100 records; one op is the whole corpus. Building the
// batches is outside the timer.
func BenchmarkProcessLogs(b *testing.B) {
	events := benchEvents(b)
	size := 0
	for _, e := range events {
		size += len(e) + 1
	}
	for _, bc := range []struct {
		name  string
		group bool
	}{{"plain", false}, {"group_by_route", true}} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := defaultConfig()
			cfg.GroupByRoute.Enabled = bc.group
			h := newHarness(b, cfg)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				batches := filelogBatches(events, 100)
				h.sink.Reset()
				b.StartTimer()
				for _, ld := range batches {
					if err := h.proc.ConsumeLogs(context.Background(), ld); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

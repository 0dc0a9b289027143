package kpauditprocessor

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configtelemetry"
	"go.opentelemetry.io/collector/exporter/debugexporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/processor/processortest"
)

// What an operator sees with the debug exporter at detailed verbosity
// after the processor: the reasons of rejected records, and not one byte
// of the events they came from.
func TestDebugExporterShowsNoRawBytes(t *testing.T) {
	ctx := context.Background()
	out := filepath.Join(t.TempDir(), "debug.out")
	df := debugexporter.NewFactory()
	dcfg := df.CreateDefaultConfig().(*debugexporter.Config)
	dcfg.Verbosity = configtelemetry.LevelDetailed
	dcfg.UseInternalLogger = false
	dcfg.OutputPaths = []string{out}
	dcfg.SamplingInitial = 1000
	exp, err := df.CreateLogs(ctx, exportertest.NewNopSettings(df.Type()), dcfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := defaultConfig()
	cfg.Config = `{"limits":{"max_event_bytes":1024}}`
	proc, err := NewFactory().CreateLogs(ctx, processortest.NewNopSettings(Type), cfg, exp)
	if err != nil {
		t.Fatal(err)
	}
	host := componenttest.NewNopHost()
	if err := exp.Start(ctx, host); err != nil {
		t.Fatal(err)
	}
	if err := proc.Start(ctx, host); err != nil {
		t.Fatal(err)
	}
	ld, _ := badBatch(t)
	if err := proc.ConsumeLogs(ctx, ld); err != nil {
		t.Fatal(err)
	}
	if err := proc.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := exp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, want := range []string{"KPAUDIT_INVALID_EVENT", "KPAUDIT_EVENT_TOO_LARGE", "KPAUDIT_UNSUPPORTED_BODY", "us-east", "kpaudit.error"} {
		if !strings.Contains(s, want) {
			t.Errorf("the debug output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, mark) {
		t.Errorf("key material in the debug output:\n%s", s)
	}
}

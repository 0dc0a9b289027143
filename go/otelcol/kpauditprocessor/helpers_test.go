package kpauditprocessor

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// mark stands for key material in test events: it must never be found in
// anything the processor emits, logs or reports.
const mark = "K3YM4T3RIAL"

type harness struct {
	proc processor.Logs
	sink *consumertest.LogsSink
	tel  *componenttest.Telemetry
	logs *observer.ObservedLogs
}

// newHarness builds the processor through its factory with the Collector's
// test settings: a test telemetry that records metrics, and a logger at
// debug level whose entries the test can read.
func newHarness(t testing.TB, cfg *Config) *harness {
	t.Helper()
	return newHarnessTo(t, cfg, nil)
}

// newHarnessTo is newHarness with the processor passing its output to
// next; with next nil, to the harness's sink.
func newHarnessTo(t testing.TB, cfg *Config, next consumer.Logs) *harness {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	h := &harness{sink: new(consumertest.LogsSink), tel: componenttest.NewTelemetry()}
	if next == nil {
		next = h.sink
	}
	core, logs := observer.New(zap.DebugLevel)
	h.logs = logs
	set := processortest.NewNopSettings(Type)
	set.TelemetrySettings = h.tel.NewTelemetrySettings()
	set.Logger = zap.New(core)
	p, err := NewFactory().CreateLogs(context.Background(), set, cfg, next)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
		_ = h.tel.Shutdown(context.Background())
	})
	h.proc = p
	return h
}

func defaultConfig() *Config { return createDefaultConfig() }

// consume sends ld through the processor and returns the records that
// came out, in order.
func (h *harness) consume(t *testing.T, ld plog.Logs) []plog.LogRecord {
	t.Helper()
	h.sink.Reset()
	if err := h.proc.ConsumeLogs(context.Background(), ld); err != nil {
		t.Fatal(err)
	}
	var out []plog.LogRecord
	for _, l := range h.sink.AllLogs() {
		out = append(out, allRecords(l)...)
	}
	return out
}

func allRecords(ld plog.Logs) []plog.LogRecord {
	var out []plog.LogRecord
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				out = append(out, lr)
			}
		}
	}
	return out
}

// logsOf is one resource and scope with a record per body: a string body
// for a string, bytes for []byte, a map for map[string]any.
func logsOf(t *testing.T, bodies ...any) plog.Logs {
	t.Helper()
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("host.name", "test")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("test-scope")
	for _, b := range bodies {
		setBody(t, sl.LogRecords().AppendEmpty().Body(), b)
	}
	return ld
}

func setBody(t *testing.T, v pcommon.Value, b any) {
	t.Helper()
	switch b := b.(type) {
	case string:
		v.SetStr(b)
	case []byte:
		v.SetEmptyBytes().FromRaw(b)
	case map[string]any:
		if err := v.SetEmptyMap().FromRaw(b); err != nil {
			t.Fatal(err)
		}
	case int:
		v.SetInt(int64(b))
	case nil:
	default:
		t.Fatalf("body of type %T", b)
	}
}

// marshalled is everything the Collector would carry of ld, as OTLP JSON.
func marshalled(t *testing.T, ld plog.Logs) string {
	t.Helper()
	data, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// noMark fails when key material shows up in the output or in the logs.
func (h *harness) noMark(t *testing.T) {
	t.Helper()
	for _, ld := range h.sink.AllLogs() {
		if s := marshalled(t, ld); strings.Contains(s, mark) {
			t.Errorf("key material in the output: %s", s)
		}
	}
	for _, e := range h.logs.All() {
		if strings.Contains(e.Message, mark) {
			t.Errorf("key material in a log message: %s", e.Message)
		}
		for k, v := range e.ContextMap() {
			if s, ok := v.(string); ok && strings.Contains(s, mark) {
				t.Errorf("key material in log field %s: %s", k, s)
			}
		}
	}
}

func attrStr(lr plog.LogRecord, key string) string {
	v, ok := lr.Attributes().Get(key)
	if !ok {
		return "<absent>"
	}
	return v.AsString()
}

func attrInt(lr plog.LogRecord, key string) int64 {
	v, ok := lr.Attributes().Get(key)
	if !ok || v.Type() != pcommon.ValueTypeInt {
		return -1
	}
	return v.Int()
}

func crn(location string) string {
	return "crn:v1:bluemix:public:kms:" + location + ":a/0123abcd:fd692647-43d0-4699-9f83-f39a54b1327b::"
}

func keyCRN(location string) string {
	return "crn:v1:bluemix:public:kms:" + location + ":a/0123abcd:fd69:key:76c2c9cb"
}

func eventWith(action, code string) string {
	return `{"action":"` + action + `","reason":{"reasonCode":` + code + `},"logSourceCRN":"` + crn("us-south") + `"}`
}

// eachRedactMode runs f in remove mode and in mask mode (mask "***"), each
// on a harness of its own; mask is "" in remove mode.
func eachRedactMode(t *testing.T, f func(t *testing.T, h *harness, mask string)) {
	for _, tc := range []struct{ name, config, mask string }{
		{"remove", "", ""},
		{"mask", `{"redact":{"mode":"mask","mask":"***"}}`, "***"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := defaultConfig()
			cfg.Config = tc.config
			f(t, newHarness(t, cfg), tc.mask)
		})
	}
}

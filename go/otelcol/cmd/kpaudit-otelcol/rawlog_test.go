package main

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/confmap"
)

func TestRawLogGuard(t *testing.T) {
	conf := func(level any, receivers map[string]any) *confmap.Conf {
		m := map[string]any{"receivers": receivers}
		if level != nil {
			m["service"] = map[string]any{"telemetry": map[string]any{"logs": map[string]any{"level": level}}}
		}
		return confmap.NewFromStringMap(m)
	}
	kafka := map[string]any{"kafka": map[string]any{}}
	filelogOps := func(onError ...string) map[string]any {
		var ops []any
		for _, e := range onError {
			op := map[string]any{"type": "json_parser"}
			if e != "" {
				op["on_error"] = e
			}
			ops = append(ops, op)
		}
		return map[string]any{"filelog": map[string]any{"include": []any{"x"}, "operators": ops}}
	}
	for _, tc := range []struct {
		name    string
		conf    *confmap.Conf
		refused string // a part of the refusal; "" when accepted
	}{
		{"debug with kafka", conf("debug", kafka), `receiver "kafka" is configured`},
		{"DEBUG with a named kafka", conf(" DEBUG ", map[string]any{"filelog": map[string]any{}, "kafka/events": map[string]any{}}), `"kafka/events"`},
		{"level -1 (debug as a number)", conf(-1, kafka), `receiver "kafka"`},
		{"level -1 as int64", conf(int64(-1), kafka), `receiver "kafka"`},
		{"level -1.0", conf(-1.0, kafka), `receiver "kafka"`},
		{"info with kafka", conf("info", kafka), ""},
		{"level 0 (info) with kafka", conf(0, kafka), ""},
		{"default level with kafka", conf(nil, kafka), ""},
		{"debug without kafka or operators", conf("debug", map[string]any{"filelog": map[string]any{}, "otlp": map[string]any{}, "kafkametrics": map[string]any{}}), ""},
		{"a filelog parser on the default on_error", conf("info", filelogOps("")), `on_error "send (the default)"`},
		{"a filelog parser on send", conf(nil, filelogOps("send_quiet", "send")), `operators[1]`},
		{"a filelog parser on drop", conf("info", filelogOps("drop")), `on_error "drop"`},
		{"filelog parsers, quiet", conf("info", filelogOps("send_quiet", "drop_quiet")), ""},
		{"filelog parsers, quiet, at debug", conf("debug", filelogOps("send_quiet")), `has operators`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := rawLogGuard{}.Convert(context.Background(), tc.conf)
			switch {
			case tc.refused == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.refused != "" && err == nil:
				t.Fatal("accepted")
			case tc.refused != "" && !strings.Contains(err.Error(), tc.refused):
				t.Fatalf("the refusal does not say %s: %v", tc.refused, err)
			}
		})
	}
}

package main

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/confmap"
)

func TestRawLogGuard(t *testing.T) {
	conf := func(level string, receivers ...string) *confmap.Conf {
		r := map[string]any{}
		for _, id := range receivers {
			r[id] = map[string]any{}
		}
		m := map[string]any{"receivers": r}
		if level != "" {
			m["service"] = map[string]any{"telemetry": map[string]any{"logs": map[string]any{"level": level}}}
		}
		return confmap.NewFromStringMap(m)
	}
	for _, tc := range []struct {
		name    string
		conf    *confmap.Conf
		refused string
	}{
		{"debug with kafka", conf("debug", "kafka"), `"kafka"`},
		{"DEBUG with a named kafka", conf(" DEBUG ", "filelog", "kafka/events"), `"kafka/events"`},
		{"info with kafka", conf("info", "kafka"), ""},
		{"default level with kafka", conf("", "kafka"), ""},
		{"debug without kafka", conf("debug", "filelog", "otlp", "kafkametrics"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := rawLogGuard{}.Convert(context.Background(), tc.conf)
			switch {
			case tc.refused == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.refused != "" && err == nil:
				t.Fatal("accepted")
			case tc.refused != "" && !strings.Contains(err.Error(), tc.refused):
				t.Fatalf("the error does not name receiver %s: %v", tc.refused, err)
			}
		})
	}
}

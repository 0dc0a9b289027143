package main

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/confmap"
	"go.uber.org/zap/zapcore"
)

// rawLogGuard refuses a configuration under which the Collector would write
// raw events into its own log, before any processor has seen them, so that
// key material would reach the log (and through telemetry.logs.processors
// any log backend). A zap option cannot scrub those entries: the Collector
// tees its log to the OpenTelemetry log SDK outside the options a
// distribution can add. So the guard works on the configuration, after
// every provider, --set and ${...} expansion. It refuses:
//
//   - debug level with a kafka receiver, which at debug logs every message
//     it reads, bytes and all ("kafka message received", field "value");
//   - a filelog operator whose on_error is not send_quiet or drop_quiet:
//     on a failure (a parser's timestamp or severity that does not parse,
//     a field to move that is missing) the operator logs every attribute
//     of the entry at error level, and a parser has by then put the
//     parsed event there; and any filelog operator at debug level, where
//     the quiet modes log the same.
type rawLogGuard struct{}

func newRawLogGuard(confmap.ConverterSettings) confmap.Converter { return rawLogGuard{} }

func (rawLogGuard) Convert(_ context.Context, conf *confmap.Conf) error {
	debug := debugLevel(conf.Get("service::telemetry::logs::level"))
	receivers, _ := conf.Get("receivers").(map[string]any)
	for id, rc := range receivers {
		typ, _, _ := strings.Cut(id, "/")
		switch typ {
		case "kafka":
			if debug {
				return fmt.Errorf("kpaudit-otelcol: service::telemetry::logs::level is debug and receiver %q is configured: "+
					"at debug level the kafka receiver logs every message's raw bytes, which may hold key material; "+
					"use level info (or warn, error) with a kafka receiver", id)
			}
		case "filelog":
			m, _ := rc.(map[string]any)
			ops, _ := m["operators"].([]any)
			for i, op := range ops {
				o, _ := op.(map[string]any)
				onError, _ := o["on_error"].(string)
				if debug {
					return fmt.Errorf("kpaudit-otelcol: service::telemetry::logs::level is debug and receiver %q has operators: "+
						"on a failure an operator logs every attribute of the entry at debug level even when quiet, "+
						"and a parser has put the raw event there, key material included; use level info", id)
				}
				if onError != "send_quiet" && onError != "drop_quiet" {
					return fmt.Errorf("kpaudit-otelcol: receivers::%s::operators[%d] (%v) has on_error %q: "+
						"on a failure it logs every attribute of the entry at error level, and a parser has put the raw "+
						"event there, key material included; set on_error: send_quiet (or drop_quiet)", id, i, o["type"], orDefault(onError))
				}
			}
		}
	}
	return nil
}

func orDefault(onError string) string {
	if onError == "" {
		return "send (the default)"
	}
	return onError
}

// debugLevel reads the level as the Collector does: a zap level name, or
// its number (debug is -1, below it more verbose still).
func debugLevel(v any) bool {
	switch v := v.(type) {
	case string:
		var level zapcore.Level
		if err := level.UnmarshalText([]byte(strings.TrimSpace(v))); err != nil {
			return false // not a level: the Collector refuses it itself
		}
		return level <= zapcore.DebugLevel
	case int:
		return v <= int(zapcore.DebugLevel)
	case int64:
		return v <= int64(zapcore.DebugLevel)
	case float64:
		return v <= float64(zapcore.DebugLevel)
	}
	return false
}

package main

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/confmap"
)

// rawLogGuard refuses a configuration under which the Collector would write
// raw events into its own log. At debug level the Kafka receiver logs every
// message it reads, bytes and all ("kafka message received", field
// "value"), before any processor has seen it: key material would reach the
// log, and through telemetry.logs.processors any log backend. A zap option
// cannot scrub it, because the Collector tees its logs to the OpenTelemetry
// log SDK outside the options a distribution can add, so the guard works on
// the configuration, after every provider and ${...} expansion.
type rawLogGuard struct{}

func newRawLogGuard(confmap.ConverterSettings) confmap.Converter { return rawLogGuard{} }

func (rawLogGuard) Convert(_ context.Context, conf *confmap.Conf) error {
	level, _ := conf.Get("service::telemetry::logs::level").(string)
	if !strings.EqualFold(strings.TrimSpace(level), "debug") {
		return nil
	}
	receivers, _ := conf.Get("receivers").(map[string]any)
	for id := range receivers {
		if typ, _, _ := strings.Cut(id, "/"); typ == "kafka" {
			return fmt.Errorf("kpaudit-otelcol: service::telemetry::logs::level is debug and receiver %q is configured: "+
				"at debug level the kafka receiver logs every message's raw bytes, which may hold key material; "+
				"use level info (or warn, error) with a kafka receiver", id)
		}
	}
	return nil
}

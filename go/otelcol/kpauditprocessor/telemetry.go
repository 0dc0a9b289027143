package kpauditprocessor

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	kpaudit "github.com/kpaudit/kpaudit/go"
)

// The processor's metrics, through the Collector's own telemetry (with the
// component attributes the Collector adds to every component's meter).
const (
	scopeName = "github.com/kpaudit/kpaudit/go/otelcol/kpauditprocessor"

	metricRecords  = "otelcol_processor_kpaudit_records"
	metricRejected = "otelcol_processor_kpaudit_rejected"
	metricRedacted = "otelcol_processor_kpaudit_redacted_members"
	metricFailed   = "otelcol_processor_kpaudit_async_failed"

	// Reasons of the processor's own rejections, beside the library's codes.
	reasonUnsupportedBody = "KPAUDIT_UNSUPPORTED_BODY"
)

type telemetry struct {
	records  metric.Int64Counter
	rejected metric.Int64Counter
	redacted metric.Int64Counter
	// asyncFailed counts the records of batches that async mode accepted
	// and the next consumer (or the closed transform) then refused.
	asyncFailed metric.Int64Counter

	// The attribute sets, built once: recordAttrs[route][severity].
	recordAttrs [][kpaudit.Critical + 1]metric.AddOption
	routeIndex  map[string]int
	reasonAttrs map[string]metric.AddOption
}

func newTelemetry(set component.TelemetrySettings, routes []string) (*telemetry, error) {
	m := set.MeterProvider.Meter(scopeName)
	var tm telemetry
	var err error
	if tm.records, err = m.Int64Counter(metricRecords,
		metric.WithDescription("Log records transformed by kpaudit, by route and by kpaudit severity."),
		metric.WithUnit("{records}")); err != nil {
		return nil, err
	}
	if tm.rejected, err = m.Int64Counter(metricRejected,
		metric.WithDescription("Log records kpaudit rejected, by reason (the library's result code, or KPAUDIT_UNSUPPORTED_BODY)."),
		metric.WithUnit("{records}")); err != nil {
		return nil, err
	}
	if tm.redacted, err = m.Int64Counter(metricRedacted,
		metric.WithDescription("Key-material members removed (or masked) from log records by kpaudit."),
		metric.WithUnit("{members}")); err != nil {
		return nil, err
	}
	if tm.asyncFailed, err = m.Int64Counter(metricFailed,
		metric.WithDescription("Log records the kpaudit processor accepted in async mode that were then not delivered (the next consumer refused them); they are lost."),
		metric.WithUnit("{records}")); err != nil {
		return nil, err
	}
	tm.routeIndex = make(map[string]int, len(routes))
	tm.recordAttrs = make([][kpaudit.Critical + 1]metric.AddOption, len(routes))
	for i, r := range routes {
		tm.routeIndex[r] = i
		for s := kpaudit.Normal; s <= kpaudit.Critical; s++ {
			tm.recordAttrs[i][s] = metric.WithAttributeSet(attribute.NewSet(
				attribute.String("route", r), attribute.String("severity", s.String())))
		}
	}
	tm.reasonAttrs = map[string]metric.AddOption{}
	for _, c := range []kpaudit.Code{kpaudit.CodeNullArgument, kpaudit.CodeInvalidConfig, kpaudit.CodeInvalidEvent,
		kpaudit.CodeEventTooLarge, kpaudit.CodePanic} {
		tm.reasonAttrs[c.String()] = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", c.String())))
	}
	tm.reasonAttrs[reasonUnsupportedBody] = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", reasonUnsupportedBody)))
	return &tm, nil
}

// counts is what one batch adds to the metrics, gathered first so that the
// counters are touched once per batch and attribute set, not per record.
type counts struct {
	records  [][kpaudit.Critical + 1]int64 // [route][severity]
	rejected map[string]int64
	redacted int64
}

func (tm *telemetry) newCounts() *counts {
	return &counts{
		records:  make([][kpaudit.Critical + 1]int64, len(tm.recordAttrs)),
		rejected: map[string]int64{},
	}
}

func (c *counts) reset() {
	clear(c.records)
	clear(c.rejected)
	c.redacted = 0
}

func (tm *telemetry) record(ctx context.Context, c *counts) {
	for r := range c.records {
		for s, n := range c.records[r] {
			if n > 0 {
				tm.records.Add(ctx, n, tm.recordAttrs[r][s])
			}
		}
	}
	for reason, n := range c.rejected {
		opt, ok := tm.reasonAttrs[reason]
		if !ok {
			opt = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", reason)))
		}
		tm.rejected.Add(ctx, n, opt)
	}
	if c.redacted > 0 {
		tm.redacted.Add(ctx, c.redacted)
	}
}

// Package kpauditprocessor is an OpenTelemetry Collector logs processor
// named kpaudit: it runs each log record's body, one IBM Cloud Key Protect
// audit event, through libkpaudit (severity from the action and HTTP
// status, key material stripped at any depth, a route named from the
// region), one cgo call per batch of records.
package kpauditprocessor

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
)

// Type is the processor's name in a Collector configuration.
var Type = component.MustNewType("kpaudit")

// NewFactory returns the factory of the kpaudit processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(Type,
		func() component.Config { return createDefaultConfig() },
		processor.WithLogs(createLogs, component.StabilityLevelAlpha))
}

func createLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	p, err := newProcessor(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	c := cfg.(*Config)
	inner, err := processorhelper.NewLogs(ctx, set, cfg, strippedNext{next, p}, p.processLogs,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}),
		processorhelper.WithShutdown(p.shutdown))
	if err != nil {
		p.t.Close()
		return nil, err
	}
	if !c.Async.Enabled {
		return inner, nil
	}
	return newAsyncLogs(inner, p, c.Async.QueueSize), nil
}

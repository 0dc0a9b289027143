package kpauditprocessor

import (
	"context"
	"errors"
	"sync"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.uber.org/zap"
)

// asyncLogs is the processor with async enabled: ConsumeLogs queues the
// batch and returns, and one goroutine of the processor's own transforms
// each queued batch and hands it to the next consumer, in arrival order.
//
// Why: a receiver such as filelog reads, transforms and exports on one
// goroutine, so a synchronous processor adds all of its time to that
// goroutine's; with the queue, kpaudit and what follows it (the exporter)
// run beside the receiver, on another core.
//
// What it gives up: the receiver no longer learns whether the batch was
// delivered. A batch the next consumer refuses is logged and counted in
// otelcol_processor_kpaudit_async_failed, and is not retried; batches in
// the queue when the process dies are lost. That is why async is off by
// default and wrong for a receiver that acknowledges only delivered data
// (the Kafka receiver marking offsets): it would mark them for batches
// still in the queue.
type asyncLogs struct {
	processor.Logs // the synchronous processor: kpaudit, then the next consumer
	p              *kpProcessor
	size           int

	mu    sync.RWMutex
	queue chan asyncBatch // nil before Start and after Shutdown
	done  chan struct{}   // closed when the goroutine has emptied the queue
}

type asyncBatch struct {
	ctx context.Context
	ld  plog.Logs
}

var errAsyncStopped = errors.New("kpaudit: the processor is not running (not started, or shut down)")

func newAsyncLogs(inner processor.Logs, p *kpProcessor, size int) *asyncLogs {
	return &asyncLogs{Logs: inner, p: p, size: size}
}

func (a *asyncLogs) Start(ctx context.Context, host component.Host) error {
	if err := a.Logs.Start(ctx, host); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.queue == nil {
		// The counter is exported from the start, at 0, so that an alert
		// on it has a series to watch.
		a.p.tel.asyncFailed.Add(ctx, 0)
		a.queue = make(chan asyncBatch, a.size)
		a.done = make(chan struct{})
		go a.run(a.queue, a.done)
	}
	return nil
}

// ConsumeLogs queues ld, waiting while the queue is full (so a slow
// exporter slows the receiver, as it does without async), and returns.
func (a *asyncLogs) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.queue == nil {
		return errAsyncStopped
	}
	// The batch outlives the call: keep the caller's client metadata
	// (stripped of key material on the way out, as in the synchronous
	// mode) but not its deadline or cancellation, which end with the call.
	b := asyncBatch{ctx: client.NewContext(context.Background(), client.FromContext(ctx)), ld: ld}
	select {
	case a.queue <- b:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a *asyncLogs) run(queue <-chan asyncBatch, done chan<- struct{}) {
	defer close(done)
	for b := range queue {
		if err := a.Logs.ConsumeLogs(b.ctx, b.ld); err != nil {
			// The processor changes the batch in place: what it holds now
			// is what was not delivered (records dropped as rejects are
			// already counted as rejected).
			n := b.ld.LogRecordCount()
			a.p.tel.asyncFailed.Add(b.ctx, int64(n))
			a.p.logger.Error("kpaudit: a batch was not delivered; with async the receiver is not told, and the records are lost",
				zap.Int("records", n), zap.Error(err))
		}
	}
}

// Shutdown lets the goroutine deliver what is queued, then shuts the
// processor down. If ctx ends first, what is still queued goes through a
// closed transform: it fails, and is logged and counted as not delivered.
func (a *asyncLogs) Shutdown(ctx context.Context) error {
	a.mu.Lock()
	queue, done := a.queue, a.done
	a.queue = nil
	a.mu.Unlock()
	if queue != nil {
		close(queue)
		select {
		case <-done:
		case <-ctx.Done():
			a.p.logger.Error("kpaudit: shut down before the async queue was delivered", zap.Int("batches_queued", len(queue)))
		}
	}
	return a.Logs.Shutdown(ctx)
}

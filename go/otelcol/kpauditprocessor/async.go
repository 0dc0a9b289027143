package kpauditprocessor

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/xpdata/pref"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/trace"
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

	// mu guards the state below; it is never held while waiting for room
	// in the queue, so Shutdown and other senders are never stuck behind a
	// sender that waits.
	mu       sync.RWMutex
	started  bool
	stopped  bool
	queue    chan asyncBatch
	stopping chan struct{} // closed by Shutdown: waiting senders give up
	senders  sync.WaitGroup
	done     chan struct{} // closed when the goroutine has emptied the queue

	// The batches' context: cancelled when Shutdown's context ends, so
	// that the batch in hand gives up too.
	runCtx    context.Context
	cancelRun context.CancelFunc
	// Set when Shutdown's context has ended: the goroutine counts what is
	// left in the queue as not delivered instead of processing it.
	abandon atomic.Bool
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
	if a.started || a.stopped {
		return nil
	}
	a.started = true
	// The counter is exported from the start, at 0, so that an alert on
	// it has a series to watch.
	a.p.tel.asyncFailed.Add(ctx, 0)
	a.queue = make(chan asyncBatch, a.size)
	a.stopping = make(chan struct{})
	a.done = make(chan struct{})
	a.runCtx, a.cancelRun = context.WithCancel(context.Background())
	go a.run()
	return nil
}

// ConsumeLogs queues ld, waiting while the queue is full (so a slow
// exporter slows the receiver, as it does without async), and returns.
func (a *asyncLogs) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	a.mu.RLock()
	if !a.started || a.stopped {
		a.mu.RUnlock()
		return errAsyncStopped
	}
	a.senders.Add(1)
	queue, stopping, runCtx := a.queue, a.stopping, a.runCtx
	a.mu.RUnlock()
	defer a.senders.Done()

	// The batch outlives the call: keep the caller's client metadata
	// (stripped of key material on the way out, as in the synchronous
	// mode) and its trace, but not its deadline or cancellation, which end
	// with the call. The Collector may reuse the batch's memory once this
	// call returns (pdata's reference counting): hold a reference until
	// the goroutine is done with it, as the batch processor does.
	bctx := client.NewContext(trace.ContextWithSpanContext(runCtx, trace.SpanContextFromContext(ctx)), client.FromContext(ctx))
	pref.RefLogs(ld)
	select {
	case queue <- asyncBatch{ctx: bctx, ld: ld}:
		return nil
	case <-stopping:
		pref.UnrefLogs(ld)
		return errAsyncStopped
	case <-ctx.Done():
		pref.UnrefLogs(ld)
		return ctx.Err()
	}
}

func (a *asyncLogs) run() {
	defer close(a.done)
	for b := range a.queue {
		a.deliver(b)
	}
}

func (a *asyncLogs) deliver(b asyncBatch) {
	defer pref.UnrefLogs(b.ld)
	if a.abandon.Load() {
		a.failed(b.ctx, b.ld.LogRecordCount(), errors.New("shut down before it was delivered"))
		return
	}
	err := a.Logs.ConsumeLogs(b.ctx, b.ld)
	if err == nil {
		return
	}
	var de *deliveryError
	if errors.As(err, &de) {
		a.failed(b.ctx, de.records, err)
		return
	}
	// The processor itself failed (a closed transform) before it changed
	// the batch.
	a.failed(b.ctx, b.ld.LogRecordCount(), err)
}

func (a *asyncLogs) failed(ctx context.Context, records int, err error) {
	a.p.tel.asyncFailed.Add(context.WithoutCancel(ctx), int64(records))
	a.p.logger.Error("kpaudit: a batch was not delivered; with async the receiver is not told, and the records are lost",
		zap.Int("records", records), zap.Error(err))
}

// Shutdown lets the goroutine deliver what is queued, then shuts the
// processor down. If ctx ends first, the batch in hand gets a cancelled
// context (its outcome is counted when the next consumer returns), what is
// still queued is counted and logged as not delivered, and Shutdown
// returns ctx's error without waiting further.
func (a *asyncLogs) Shutdown(ctx context.Context) error {
	a.mu.Lock()
	running := a.started && !a.stopped
	a.stopped = true
	if running {
		close(a.stopping)
	}
	a.mu.Unlock()
	var err error
	if running {
		// No sender can start now; those under way send or give up at
		// once, and then the queue can be closed.
		a.senders.Wait()
		close(a.queue)
		select {
		case <-a.done:
		case <-ctx.Done():
			err = ctx.Err()
			a.abandon.Store(true)
			a.cancelRun()
			// The goroutine counts what it takes from now on; this takes
			// the rest, so that all of it is counted before returning.
			for b := range a.queue {
				a.deliver(b)
			}
		}
	}
	return errors.Join(err, a.Logs.Shutdown(ctx))
}

// deliveryError is what the next consumer refused, with the number of
// records it was handed: the async goroutine counts them as lost.
type deliveryError struct {
	records int
	err     error
}

func (e *deliveryError) Error() string { return e.err.Error() }
func (e *deliveryError) Unwrap() error { return e.err }

package kpauditprocessor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/featuregate"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/xpdata/pref"
	"go.opentelemetry.io/collector/processor/processortest"
)

func asyncConfig(queue int) *Config {
	cfg := defaultConfig()
	cfg.Async = AsyncConfig{Enabled: true, QueueSize: queue}
	return cfg
}

// seqBatch is a batch of n events numbered from first, every fifth one
// with key material, every seventh one broken.
func seqBatch(t *testing.T, first, n int) plog.Logs {
	var bodies []any
	for i := first; i < first+n; i++ {
		ev := fmt.Sprintf(`{"seq":%d,"action":"kms.secrets.wrap","logSourceCRN":"%s"}`, i, crn("eu-de"))
		switch {
		case i%7 == 6:
			ev = fmt.Sprintf(`{"seq":%d,"payload":"%s"`, i, mark)
		case i%5 == 4:
			ev = fmt.Sprintf(`{"seq":%d,"action":"kms.secrets.wrap","payload":"%s","logSourceCRN":"%s"}`, i, mark, crn("eu-de"))
		}
		bodies = append(bodies, ev)
	}
	return logsOf(t, bodies...)
}

// Every batch accepted in async mode reaches the next consumer, in the
// order it arrived, transformed as in the synchronous mode, by the time
// Shutdown returns.
func TestAsyncDeliversInOrder(t *testing.T) {
	h := newHarness(t, asyncConfig(2))
	const batches, size = 60, 10
	for b := range batches {
		if err := h.proc.ConsumeLogs(context.Background(), seqBatch(t, b*size, size)); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.proc.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	var out []plog.LogRecord
	for _, ld := range h.sink.AllLogs() {
		out = append(out, allRecords(ld)...)
	}
	if len(out) != batches*size {
		t.Fatalf("%d records delivered, want %d", len(out), batches*size)
	}
	for i, lr := range out {
		if i%7 == 6 {
			if attrStr(lr, attrError) != "KPAUDIT_INVALID_EVENT" {
				t.Errorf("record %d: not a marked reject: %s", i, lr.Body().AsString())
			}
			continue
		}
		if !strings.Contains(lr.Body().Str(), fmt.Sprintf(`"seq":%d,`, i)) || attrStr(lr, defaultRouteAttribute) != "eu-de" {
			t.Errorf("record %d out of order or not transformed: %s", i, lr.Body().Str())
		}
	}
	h.noMark(t)
	if got := counterValue(t, h, metricFailed, nil); got != 0 {
		t.Errorf("%s = %d, want 0", metricFailed, got)
	}
	if got := counterValue(t, h, metricRecords, nil) + counterValue(t, h, metricRejected, nil); got != batches*size {
		t.Errorf("records + rejected = %d, want %d", got, batches*size)
	}
	if err := h.proc.ConsumeLogs(context.Background(), seqBatch(t, 0, 1)); !errors.Is(err, errAsyncStopped) {
		t.Errorf("ConsumeLogs after Shutdown: %v, want %v", err, errAsyncStopped)
	}
}

// The batch outlives the call: the caller's context ending at once does
// not stop its delivery, and the client metadata that goes with it is
// stripped of key material as in the synchronous mode.
func TestAsyncOutlivesCallerContext(t *testing.T) {
	h := newHarness(t, asyncConfig(4))
	ctx, cancel := context.WithCancel(client.NewContext(context.Background(), client.Info{
		Metadata: client.NewMetadata(map[string][]string{"Authorization": {"Bearer " + mark}, "tenant": {"a"}}),
	}))
	if err := h.proc.ConsumeLogs(ctx, seqBatch(t, 0, 3)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := h.proc.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.sink.LogRecordCount(); got != 3 {
		t.Fatalf("%d records delivered, want 3", got)
	}
	ctxs := h.sink.Contexts()
	if len(ctxs) != 1 {
		t.Fatalf("%d contexts", len(ctxs))
	}
	if err := ctxs[0].Err(); err != nil {
		t.Errorf("the next consumer got an ended context: %v", err)
	}
	md := client.FromContext(ctxs[0]).Metadata
	if md.Get("authorization") != nil || len(md.Get("tenant")) != 1 {
		t.Errorf("metadata passed on: authorization %q, tenant %q", md.Get("authorization"), md.Get("tenant"))
	}
	h.noMark(t)
}

// A batch the next consumer refuses is lost to the receiver, which was
// told it was accepted: it is counted and logged, without its bytes.
func TestAsyncFailureCounted(t *testing.T) {
	h := newHarnessTo(t, asyncConfig(4), consumertest.NewErr(errors.New("disk full")))
	for b := range 3 {
		if err := h.proc.ConsumeLogs(context.Background(), seqBatch(t, b*10, 10)); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.proc.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := counterValue(t, h, metricFailed, nil); got != 30 {
		t.Errorf("%s = %d, want 30", metricFailed, got)
	}
	logged := 0
	for _, e := range h.logs.All() {
		if strings.Contains(e.Message, "not delivered") && strings.Contains(fmt.Sprint(e.ContextMap()["error"]), "disk full") {
			logged++
		}
	}
	if logged != 3 {
		t.Errorf("%d failures logged, want 3", logged)
	}
	h.noMark(t)
}

// gate is a next consumer that holds every batch until released.
type gate struct {
	consumertest.LogsSink
	entered chan struct{}
	release chan struct{}
}

func (g *gate) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	g.entered <- struct{}{}
	<-g.release
	return g.LogsSink.ConsumeLogs(ctx, ld)
}

func (g *gate) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

// fullQueue is an async processor with a queue of one batch, full: the
// next consumer holds the first batch (until g.release is closed), the
// second waits in the queue.
func fullQueue(t *testing.T) (*harness, *gate) {
	g := &gate{entered: make(chan struct{}, 8), release: make(chan struct{})}
	h := newHarnessTo(t, asyncConfig(1), g)
	for b := range 2 {
		if err := h.proc.ConsumeLogs(context.Background(), seqBatch(t, b, 1)); err != nil {
			t.Fatal(err)
		}
	}
	<-g.entered
	return h, g
}

// The queue is bounded: with the next consumer stuck, the receiver waits
// once the queue is full (and gives up when its context ends), so memory
// does not grow with a slow exporter.
func TestAsyncQueueBounded(t *testing.T) {
	h, g := fullQueue(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := h.proc.ConsumeLogs(ctx, seqBatch(t, 2, 1)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third batch with a full queue: %v, want the context's deadline", err)
	}
	done := make(chan error)
	go func() { done <- h.proc.ConsumeLogs(context.Background(), seqBatch(t, 3, 1)) }()
	select {
	case err := <-done:
		t.Fatalf("ConsumeLogs returned (%v) with the queue full", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(g.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := h.proc.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := g.LogRecordCount(); got != 3 {
		t.Errorf("%d records delivered, want 3 (the one refused on its deadline is not among them)", got)
	}
}

// Before Start there is no goroutine to take a batch: refused, not queued
// for ever.
func TestAsyncBeforeStart(t *testing.T) {
	p, err := NewFactory().CreateLogs(context.Background(), processortest.NewNopSettings(Type), asyncConfig(1), new(consumertest.LogsSink))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.ConsumeLogs(context.Background(), seqBatch(t, 0, 1)); !errors.Is(err, errAsyncStopped) {
		t.Errorf("before Start: %v, want %v", err, errAsyncStopped)
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
	if err := p.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
}

// Many receivers' goroutines share the queue while the processor shuts
// down: every batch is either refused or delivered, none is lost.
func TestAsyncConcurrentShutdown(t *testing.T) {
	h := newHarness(t, asyncConfig(2))
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := 0
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range 30 {
				err := h.proc.ConsumeLogs(context.Background(), seqBatch(t, (g*30+b)*5, 5))
				if err == nil {
					mu.Lock()
					accepted += 5
					mu.Unlock()
				} else if !errors.Is(err, errAsyncStopped) {
					t.Error(err)
				}
			}
		}()
	}
	time.Sleep(5 * time.Millisecond)
	if err := h.proc.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if got := h.sink.LogRecordCount(); got != accepted {
		t.Errorf("%d records delivered, %d accepted", got, accepted)
	}
}

// router stands for the routing connector: it moves every resource out of
// the batch into one of its own, then its exporter refuses it.
type router struct{}

func (router) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	ld.ResourceLogs().MoveAndAppendTo(plog.NewLogs().ResourceLogs())
	return errors.New("file exporter: disk full")
}

func (router) Capabilities() consumer.Capabilities { return consumer.Capabilities{MutatesData: true} }

// The records of a refused batch are counted as the next consumer got
// them, even when it has moved them out of the batch before failing.
func TestAsyncFailureCountedBehindRouting(t *testing.T) {
	h := newHarnessTo(t, asyncConfig(4), router{})
	if err := h.proc.ConsumeLogs(context.Background(), seqBatch(t, 0, 10)); err != nil {
		t.Fatal(err)
	}
	if err := h.proc.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := counterValue(t, h, metricFailed, nil); got != 10 {
		t.Errorf("%s = %d, want 10", metricFailed, got)
	}
}

// When Shutdown's context ends first, Shutdown returns its error without
// waiting for the batch in hand (whose next consumer here ignores the
// context), and everything still queued is counted as not delivered by
// then; the batch in hand is counted when it ends.
func TestAsyncShutdownContextEnds(t *testing.T) {
	g := &gate{entered: make(chan struct{}, 8), release: make(chan struct{})}
	h := newHarnessTo(t, asyncConfig(4), g)
	for b := range 3 {
		if err := h.proc.ConsumeLogs(context.Background(), seqBatch(t, b*10, 10)); err != nil {
			t.Fatal(err)
		}
	}
	<-g.entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := h.proc.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v, want the context's deadline", err)
	}
	if delivered, failed := g.LogRecordCount(), counterValue(t, h, metricFailed, nil); delivered != 0 || failed != 20 {
		t.Errorf("when Shutdown returned: %d delivered, %d counted as failed; want 0 and the 20 queued", delivered, failed)
	}
	bctx := g.Contexts()
	close(g.release)
	if !waitUntil(time.Second, func() bool { return g.LogRecordCount() == 10 }) {
		t.Errorf("the batch in hand: %d records delivered, want 10", g.LogRecordCount())
	}
	for _, c := range append(bctx, g.Contexts()...) {
		if c.Err() == nil {
			t.Errorf("the batch in hand kept a live context after Shutdown gave up")
		}
	}
}

func waitUntil(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// A sender waiting for room in the queue holds up neither Shutdown nor
// other senders whose contexts end.
func TestAsyncShutdownWithSenderWaiting(t *testing.T) {
	h, g := fullQueue(t)
	waiting := make(chan error, 1)
	go func() { waiting <- h.proc.ConsumeLogs(context.Background(), seqBatch(t, 2, 1)) }()
	time.Sleep(20 * time.Millisecond)
	other := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		other <- h.proc.ConsumeLogs(ctx, seqBatch(t, 3, 1))
	}()
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		shut <- h.proc.Shutdown(ctx)
	}()
	for name, ch := range map[string]chan error{"the waiting sender": waiting, "a sender with a deadline": other, "Shutdown": shut} {
		select {
		case err := <-ch:
			if err == nil && name != "Shutdown" {
				t.Logf("%s: accepted", name)
			}
		case <-time.After(2 * time.Second):
			t.Errorf("%s still blocked after 2 s", name)
		}
	}
	close(g.release)
	// Accepted and delivered or counted, or refused: the 2 queued before,
	// and whatever the two late senders got in, add up.
	accounted := func() int { return g.LogRecordCount() + int(counterValue(t, h, metricFailed, nil)) }
	if !waitUntil(time.Second, func() bool { return accounted() >= 2 }) {
		t.Errorf("%d records delivered or counted, want at least the 2 accepted before Shutdown", accounted())
	}
}

// The Collector hands each processor's batch back to pdata's pool once
// ConsumeLogs returns (reference counting, with pdata.useProtoPooling):
// async holds a reference until it has delivered the batch.
func TestAsyncHoldsPooledBatches(t *testing.T) {
	if err := featuregate.GlobalRegistry().Set("pdata.useProtoPooling", true); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = featuregate.GlobalRegistry().Set("pdata.useProtoPooling", false) }()
	g := &gate{entered: make(chan struct{}, 8), release: make(chan struct{})}
	h := newHarnessTo(t, asyncConfig(4), g)
	// What the Collector's graph does around every processor's ConsumeLogs
	// (service/internal/refconsumer).
	consume := func(ld plog.Logs) error {
		if pref.MarkPipelineOwnedLogs(ld) {
			defer pref.UnrefLogs(ld)
		}
		return h.proc.ConsumeLogs(context.Background(), ld)
	}
	for b := range 3 {
		if err := consume(seqBatch(t, b*10, 10)); err != nil {
			t.Fatal(err)
		}
	}
	close(g.release)
	if err := h.proc.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := g.LogRecordCount(); got != 30 {
		t.Errorf("delivered %d of 30 accepted records", got)
	}
}

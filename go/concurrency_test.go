package kpaudit

import (
	"bytes"
	"sync"
	"testing"
)

// Many goroutines share one Transform, per event and per batch, and get
// exactly what a single goroutine gets.
func TestConcurrentUseMatchesSequential(t *testing.T) {
	tr := newTransform(t, "")
	corpus := genEvents(t, "--count", "2000", "--seed", "7", "--corrupt-percent", "1")
	in := lines(corpus)
	type outcome struct {
		r   Result
		err string
	}
	sequential := make([]outcome, len(in))
	for i, l := range in {
		r, err := tr.Process(l)
		sequential[i] = outcome{r: r}
		if err != nil {
			sequential[i].err = err.Error()
		}
	}
	wantBatch, err := tr.ProcessBatch(corpus)
	if err != nil {
		t.Fatal(err)
	}

	const workers = 16
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	for w := range workers {
		spawn(&wg, func() {
			// Each worker starts elsewhere so that calls on the same
			// events overlap with calls on different ones.
			for k := range in {
				i := (k + w*len(in)/workers) % len(in)
				r, err := tr.Process(in[i])
				got := outcome{r: r}
				if err != nil {
					got.err = err.Error()
				}
				want := sequential[i]
				if got.err != want.err || !bytes.Equal(got.r.Event, want.r.Event) || got.r.Route != want.r.Route ||
					got.r.Severity != want.r.Severity || got.r.Redacted != want.r.Redacted {
					errs <- "line differs from the sequential run"
					return
				}
			}
			if w%4 == 0 {
				b, err := tr.ProcessBatch(corpus)
				if err != nil || b.Emitted != wantBatch.Emitted || len(b.Routes) != len(wantBatch.Routes) {
					errs <- "batch differs from the sequential run"
					return
				}
				for i, r := range b.Routes {
					if !bytes.Equal(r.Data, wantBatch.Routes[i].Data) {
						errs <- "batch route " + r.Name + " differs from the sequential run"
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

package kpaudit

import (
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestCloseIsIdempotentAndUseAfterCloseFails(t *testing.T) {
	tr, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := tr.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	if r, err := tr.Process([]byte(`{"a":1}`)); !errors.Is(err, ErrClosed) || r.Event != nil {
		t.Errorf("Process after Close: %+v, %v", r, err)
	}
	if b, err := tr.ProcessBatch([]byte(`{"a":1}`)); !errors.Is(err, ErrClosed) || b != nil {
		t.Errorf("ProcessBatch after Close: %+v, %v", b, err)
	}
	if len(tr.Routes()) == 0 {
		t.Error("Routes after Close is empty; the names are Go copies and stay")
	}
}

// Close racing with itself and with calls in flight: every call either
// completes or sees ErrClosed, and the handle is freed once (a double
// free would crash the test binary).
func TestCloseRacingWithCalls(t *testing.T) {
	for range 20 {
		tr, err := New(nil)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 4 {
			spawn(&wg, func() {
				for range 50 {
					if _, err := tr.Process([]byte(`{"action":"kms.secrets.delete"}`)); err != nil && !errors.Is(err, ErrClosed) {
						t.Error(err)
						return
					}
				}
			})
			spawn(&wg, func() { tr.Close() })
		}
		wg.Wait()
	}
}

// A Transform dropped without Close is freed by its cleanup; one closed
// first is not freed again.
func TestDroppedTransformsAreFreedOnce(t *testing.T) {
	const n = 50
	before := cleanedUp.Load()
	for i := range 2 * n {
		tr, err := New(nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Process([]byte(`{"a":1}`)); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			tr.Close()
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for cleanedUp.Load()-before < n && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	if got := cleanedUp.Load() - before; got != n {
		t.Errorf("%d transforms freed by cleanups, want the %d dropped without Close", got, n)
	}
}

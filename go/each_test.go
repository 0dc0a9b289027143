package kpaudit

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
)

// eachCorpus is generated NDJSON for the ProcessEach tests, as lines.
func eachCorpus(tb testing.TB, args ...string) [][]byte {
	tb.Helper()
	return lines(genEvents(tb, args...))
}

// sameAsProcess checks every result and error of ProcessEach against
// Process on the same event.
func sameAsProcess(t *testing.T, tr *Transform, events [][]byte, results []Result, errs []error) (ok, rejected int) {
	t.Helper()
	if len(results) != len(events) || len(errs) != len(events) {
		t.Fatalf("%d events gave %d results and %d errors", len(events), len(results), len(errs))
	}
	for i, e := range events {
		want, wantErr := tr.Process(e)
		got, gotErr := results[i], errs[i]
		if wantErr != nil {
			rejected++
			var we, ge *Error
			if !errors.As(wantErr, &we) || !errors.As(gotErr, &ge) || *we != *ge {
				t.Errorf("event %d: error %v, Process gives %v", i, gotErr, wantErr)
			}
			if got.Event != nil || got.Route != "" || got.Severity != Normal || got.Redacted != 0 {
				t.Errorf("event %d: output beside an error: %+v", i, got)
			}
			continue
		}
		ok++
		if gotErr != nil {
			t.Errorf("event %d: error %v, Process accepts it", i, gotErr)
			continue
		}
		if !bytes.Equal(got.Event, want.Event) || got.Route != want.Route ||
			got.Severity != want.Severity || got.Redacted != want.Redacted {
			t.Errorf("event %d: %s %s %d %q\nProcess gives %s %s %d %q", i,
				got.Severity, got.Route, got.Redacted, got.Event,
				want.Severity, want.Route, want.Redacted, want.Event)
		}
	}
	return ok, rejected
}

func TestProcessEachAgreesWithProcess(t *testing.T) {
	tr := newTransform(t, "")
	events := eachCorpus(t, "--count", "3000", "--seed", "11", "--corrupt-percent", "2")
	results, errs := tr.ProcessEach(events)
	ok, rejected := sameAsProcess(t, tr, events, results, errs)
	if rejected == 0 || ok < 2800 {
		t.Errorf("%d transformed, %d rejected: the corpus should have both", ok, rejected)
	}
	// Routes come from the transform's own names, not new strings.
	names := map[string]bool{}
	for _, r := range tr.Routes() {
		names[r] = true
	}
	for i, r := range results {
		if errs[i] == nil && !names[r.Route] {
			t.Fatalf("event %d: route %q is not one of the transform's", i, r.Route)
		}
	}
}

func TestProcessEachBadInput(t *testing.T) {
	tr := newTransform(t, `{"limits":{"max_event_bytes":64}}`)
	events := [][]byte{
		nil,
		[]byte((`{"action":"kms.secrets.delete","logSourceCRN":"` + crn("eu-de") + `"}`)[:63]),
		[]byte(`["` + mark + `"]`),
		[]byte(`{"a":"` + mark),
		[]byte(`{"payload":"` + mark + `",`),
		[]byte("{\"a\":\"\xff\"}"),
		[]byte(`{"a":"\ud800"}`),
		[]byte("{\"a\":\"\x00\"}"),
		[]byte(`{"payload":"` + strings.Repeat(mark, 8) + `"}`),
		{},
		[]byte(`{"iv":"` + mark + `","action":"kms.secrets.wrap"}`),
		bytes.Repeat([]byte{0xff}, 65),
	}
	results, errs := tr.ProcessEach(events)
	ok, rejected := sameAsProcess(t, tr, events, results, errs)
	if ok != 1 || rejected != len(events)-1 {
		// Only the event with an iv passes; events[1] is cut inside a string.
		t.Errorf("%d transformed, %d rejected", ok, rejected)
	}
	for i, err := range errs {
		if err != nil && strings.Contains(err.Error(), mark) {
			t.Errorf("event %d: the error quotes the event: %v", i, err)
		}
		if bytes.Contains(results[i].Event, []byte(mark)) {
			t.Errorf("event %d: key material in the output", i)
		}
	}
	if !errors.Is(errs[8], ErrEventTooLarge) || !errors.Is(errs[0], ErrInvalidEvent) {
		t.Errorf("errors %v and %v", errs[8], errs[0])
	}
}

// Outputs much longer than their events overflow the first arena: the
// call goes on in a new one, from the event that did not fit.
func TestProcessEachArenaTooSmall(t *testing.T) {
	long := strings.Repeat("destination-with-a-long-name-", 12)
	tr := newTransform(t, `{"route":{"field":"routedTo","destinations":{"us-south":"`+long+`","eu-de":"`+long+`2"}}}`)
	var events [][]byte
	for i := range 500 {
		loc := "us-south"
		if i%3 == 0 {
			loc = "eu-de"
		}
		events = append(events, []byte(`{"action":"kms.secrets.wrap","logSourceCRN":"`+crn(loc)+`"}`))
		if i%50 == 0 {
			events = append(events, []byte(`{"x":`)) // a rejection between the long ones
		}
	}
	before := arenaRetries.Load()
	results, errs := tr.ProcessEach(events)
	retries := arenaRetries.Load() - before
	ok, rejected := sameAsProcess(t, tr, events, results, errs)
	if ok != 500 || rejected != 10 {
		t.Errorf("%d transformed, %d rejected", ok, rejected)
	}
	if retries == 0 || retries > 2 {
		// The second arena is sized from the first one's output to input ratio.
		t.Errorf("%d retries: want 1 or 2 (0 would not test the retry)", retries)
	}
	if !bytes.Contains(results[0].Event, []byte(long)) {
		t.Errorf("the route field is missing: %s", results[0].Event)
	}
}

func TestProcessEachEmptyAndClosed(t *testing.T) {
	tr, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	results, errs := tr.ProcessEach(nil)
	if len(results) != 0 || len(errs) != 0 {
		t.Errorf("ProcessEach(nil) = %v, %v", results, errs)
	}
	tr.Close()
	results, errs = tr.ProcessEach([][]byte{[]byte(`{}`), nil})
	if len(results) != 2 || len(errs) != 2 {
		t.Fatalf("%d results and %d errors for 2 events", len(results), len(errs))
	}
	for i := range errs {
		if errs[i] != ErrClosed || results[i].Event != nil {
			t.Errorf("event %d after Close: %+v, %v", i, results[i], errs[i])
		}
	}
}

// The outputs share one allocation, but each ends where its event does.
func TestProcessEachOutputsAreSeparate(t *testing.T) {
	tr := newTransform(t, "")
	events := [][]byte{[]byte(`{"a":1}`), []byte(`{"b":2}`)}
	results, errs := tr.ProcessEach(events)
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	second := string(results[1].Event)
	_ = append(results[0].Event, "XXXXXXXXXXXXXXXX"...)
	if string(results[1].Event) != second {
		t.Errorf("appending to one output changed the next: %s", results[1].Event)
	}
	events[0][1] = 'z' // the inputs are not retained either
	if string(results[0].Event) != `{"a":1,"severity":"normal"}` {
		t.Errorf("output %s", results[0].Event)
	}
}

func TestProcessEachConcurrent(t *testing.T) {
	tr := newTransform(t, "")
	events := eachCorpus(t, "--count", "400", "--seed", "12", "--corrupt-percent", "5")
	want, wantErrs := tr.ProcessEach(events)
	var wg sync.WaitGroup
	for g := range 8 {
		spawn(&wg, func() {
			for round := range 20 {
				part := events[(g+round)%7*40:]
				got, errs := tr.ProcessEach(part)
				off := len(events) - len(part)
				for i := range part {
					w, we := want[off+i], wantErrs[off+i]
					if (errs[i] == nil) != (we == nil) || !bytes.Equal(got[i].Event, w.Event) || got[i].Route != w.Route {
						t.Errorf("goroutine %d round %d event %d differs", g, round, off+i)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

package kpaudit

/*
#include "kpaudit.h"
*/
import "C"

import "runtime"

// batchScratch is what one kpaudit_transform_batch call writes into.
type batchScratch struct {
	batch *C.kpaudit_batch
	err   *C.kpaudit_error
}

// BatchResult is one chunk of NDJSON after the transform, in Go memory.
// Every input line is accounted for: Lines == Emitted + len(Rejected).
type BatchResult struct {
	Lines   int
	Emitted int
	// Redacted counts the key-material members removed over the chunk.
	Redacted uint64
	// BySeverity counts emitted events per severity: BySeverity[Critical].
	BySeverity [Critical + 1]int
	// Routes holds the routes that received events, in the order of
	// Transform.Routes.
	Routes []RouteEvents
	// Rejected lists the rejected lines in input order.
	Rejected []RejectedLine
}

// RouteEvents is one route's share of a chunk.
type RouteEvents struct {
	Name string
	// Events is the number of lines in Data.
	Events int
	// Data is NDJSON: one transformed event per line, each ending in '\n'.
	Data []byte
}

// RejectedLine is a line the transform refused. It carries the reason,
// never the line's bytes, which may hold key material.
type RejectedLine struct {
	// Line is the 1-based line number within the chunk.
	Line int
	Err  *Error
}

// Route returns the share of the route called name; ok is false when no
// event of the chunk went there.
func (b *BatchResult) Route(name string) (RouteEvents, bool) {
	for _, r := range b.Routes {
		if r.Name == name {
			return r, true
		}
	}
	return RouteEvents{}, false
}

// ProcessBatch transforms a chunk of newline-delimited events in one call.
// Each line is one event, a final line without its newline too; an empty
// line is rejected as an empty event. A rejected line produces no output
// byte anywhere. The chunk is read in place, not copied, and not retained.
// The error is non-nil only when the chunk as a whole failed (ErrClosed,
// ErrPanic).
func (t *Transform) ProcessBatch(ndjson []byte) (*BatchResult, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.ptr == nil {
		return nil, ErrClosed
	}
	s := batchPool.Get().(*batchScratch)
	code := C.kpaudit_transform_batch(t.ptr, bytesPtr(ndjson), C.size_t(len(ndjson)), s.batch, s.err)
	runtime.KeepAlive(ndjson)
	runtime.KeepAlive(t)
	if code != C.KPAUDIT_OK {
		err := errorFrom(Code(code), s.err)
		batchPool.Put(s)
		return nil, err
	}
	res := t.collect(s.batch)
	// Only now may another call reuse the batch that res was copied from.
	batchPool.Put(s)
	return res, nil
}

// collect copies a filled kpaudit_batch into Go memory: the route data
// into one allocation, shared by the routes' Data slices.
func (t *Transform) collect(b *C.kpaudit_batch) *BatchResult {
	res := &BatchResult{
		Lines:    int(C.kpaudit_batch_lines(b)),
		Emitted:  int(C.kpaudit_batch_emitted(b)),
		Redacted: uint64(C.kpaudit_batch_redacted(b)),
	}
	for s := range res.BySeverity {
		res.BySeverity[s] = int(C.kpaudit_batch_severity_count(b, C.kpaudit_severity(s)))
	}

	type view struct {
		index  int
		data   *C.uint8_t
		len    C.size_t
		events int
	}
	var views []view
	total := 0
	for i := range int(C.kpaudit_batch_route_count(b)) {
		var n C.size_t
		p := C.kpaudit_batch_route_data(b, C.size_t(i), &n)
		if n == 0 {
			continue
		}
		views = append(views, view{i, p, n, int(C.kpaudit_batch_route_events(b, C.size_t(i)))})
		total += int(n)
	}
	all := make([]byte, 0, total)
	res.Routes = make([]RouteEvents, 0, len(views))
	for _, v := range views {
		start := len(all)
		all = append(all, cBytes(v.data, v.len)...)
		res.Routes = append(res.Routes, RouteEvents{
			Name:   t.batchRouteName(b, v.index),
			Events: v.events,
			// The capacity ends with the route, so appending to one
			// route's Data never overwrites the next one's.
			Data: all[start:len(all):len(all)],
		})
	}

	if n := int(C.kpaudit_batch_rejected(b)); n > 0 {
		res.Rejected = make([]RejectedLine, n)
		for i := range n {
			ci := C.size_t(i)
			res.Rejected[i] = RejectedLine{
				Line: int(C.kpaudit_batch_rejected_line(b, ci)),
				Err: &Error{
					Code:    Code(C.kpaudit_batch_rejected_result(b, ci)),
					Message: C.GoString(C.kpaudit_batch_rejected_message(b, ci)),
				},
			}
		}
	}
	return res
}

// batchRouteName names route i of a batch. The batch numbers its routes
// as the transform does, so the name is usually the one New read already.
func (t *Transform) batchRouteName(b *C.kpaudit_batch, i int) string {
	if i < len(t.routes) {
		return t.routes[i]
	}
	return C.GoString(C.kpaudit_batch_route_name(b, C.size_t(i)))
}

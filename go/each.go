package kpaudit

/*
#include <string.h>
#include "kpaudit.h"

// One cgo call for many events: the loop over kpaudit_transform_event runs
// in C, and each event's output (or, when it is rejected, the error
// message) is copied into an arena the caller provides. Go hands over only
// memory without Go pointers in it: the events back to back, the offsets
// where they end, the arena and the result array.

// What kpgo_transform_each writes for one event.
typedef struct {
	size_t off;       // the output, or the error message, in the arena
	size_t len;
	size_t name_off;  // the route name in the arena, when route is -1 (never
	                  // expected: kpaudit_output_route_index names it)
	size_t name_len;
	uint32_t redacted;
	int32_t code;     // kpaudit_result
	int32_t route;    // index into the transform's route names, or -1
	int32_t severity;
} kpgo_each_result;

// What one kpgo_transform_each call did: events [start, done) have their
// results; when done < n, the output of event `done` (need bytes) did not
// fit into the arena and the caller calls again from `done` with room.
typedef struct {
	size_t done;
	size_t used;
	size_t need;
} kpgo_each_status;

static kpgo_each_status kpgo_transform_each(const kpaudit_transform *t,
                                            const uint8_t *events, const size_t *ends,
                                            size_t start, size_t n,
                                            uint8_t *arena, size_t cap,
                                            kpaudit_output *out, kpaudit_error *err,
                                            kpgo_each_result *res)
{
	kpgo_each_status st = {start, 0, 0};
	size_t routes = kpaudit_transform_route_count(t);
	for (size_t i = start; i < n; i++) {
		size_t begin = i == 0 ? 0 : ends[i - 1];
		size_t len = ends[i] - begin;
		kpaudit_result code = kpaudit_transform_event(t, len ? events + begin : NULL, len, out, err);
		const uint8_t *data;
		size_t data_len = 0;
		const char *route = "";
		size_t route_len = 0;
		int32_t index = -1;
		if (code == KPAUDIT_OK) {
			data = kpaudit_output_data(out, &data_len);
			size_t r = kpaudit_output_route_index(out);
			if (r < routes && r <= INT32_MAX) {
				index = (int32_t)r;
			} else {
				// Not expected: the name itself goes back.
				route = kpaudit_output_route(out);
				route_len = strlen(route);
			}
		} else {
			data = (const uint8_t *)kpaudit_error_message(err);
			data_len = strlen((const char *)data);
		}
		size_t extra = (code == KPAUDIT_OK && index < 0) ? route_len : 0;
		if (data_len + extra > cap - st.used) {
			st.need = data_len + extra;
			return st;
		}
		kpgo_each_result *r = &res[i];
		r->off = st.used;
		r->len = data_len;
		if (data_len > 0) {
			memcpy(arena + st.used, data, data_len);
			st.used += data_len;
		}
		r->name_off = st.used;
		r->name_len = extra;
		if (extra > 0) {
			memcpy(arena + st.used, route, extra);
			st.used += extra;
		}
		r->code = (int32_t)code;
		r->route = index;
		r->severity = code == KPAUDIT_OK ? (int32_t)kpaudit_output_severity(out) : 0;
		r->redacted = code == KPAUDIT_OK ? kpaudit_output_redacted(out) : 0;
		st.done = i + 1;
	}
	return st;
}
*/
import "C"

import (
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// eachScratch holds what ProcessEach hands to C and does not return: the
// events back to back, where each ends, and the per-event results. It is
// pooled; the arena that the returned events live in is not.
type eachScratch struct {
	buf  []byte
	ends []C.size_t
	res  []C.kpgo_each_result
}

var eachPool = sync.Pool{New: func() any { return new(eachScratch) }}

// arenaRetries counts the calls that went on in a new arena, so that a
// test can see it reaches that path.
var arenaRetries atomic.Int64

// A scratch that grew past this is dropped rather than pooled, so that one
// huge call does not pin its memory for good.
const maxPooledScratch = 64 << 20

// Arena room allowed per event beyond the input's own bytes: the severity
// member the transform adds, a route field, an error message. An arena too
// small costs one more call, not a failure.
const arenaSlack = 64

// ProcessEach transforms each of events as Process does, in order, with
// one call into the library for all of them rather than one per event.
//
// It returns one Result and one error per event: len(results) ==
// len(errs) == len(events). errs[i] is nil when event i was transformed,
// and otherwise the *Error Process would give for it (ErrInvalidEvent,
// ErrEventTooLarge, ...) with results[i] empty; no byte of a rejected
// event is kept anywhere. After Close every errs[i] is ErrClosed.
//
// The events are copied once into one buffer for the call and not
// retained. The transformed events are copied into Go memory before
// ProcessEach returns; they share one allocation, so a Result that is
// kept keeps all of that call's outputs alive, and each Event's capacity
// ends with it, so appending to one never overwrites the next.
func (t *Transform) ProcessEach(events [][]byte) ([]Result, []error) {
	n := len(events)
	results := make([]Result, n)
	errs := make([]error, n)
	if n == 0 {
		return results, errs
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.ptr == nil {
		for i := range errs {
			errs[i] = ErrClosed
		}
		return results, errs
	}

	sc := eachPool.Get().(*eachScratch)
	sc.buf = sc.buf[:0]
	sc.ends = sc.ends[:0]
	for _, e := range events {
		sc.buf = append(sc.buf, e...)
		sc.ends = append(sc.ends, C.size_t(len(sc.buf)))
	}
	if cap(sc.res) < n {
		sc.res = make([]C.kpgo_each_result, n)
	}
	res := sc.res[:n]

	s := eventPool.Get().(*eventScratch)
	start := 0
	arena := make([]byte, len(sc.buf)+n*arenaSlack)
	for start < n {
		st := C.kpgo_transform_each(t.ptr, bytesPtr(sc.buf), &sc.ends[0], C.size_t(start), C.size_t(n),
			bytesPtr(arena), C.size_t(len(arena)), s.out, s.err, &res[0])
		runtime.KeepAlive(sc)
		runtime.KeepAlive(arena)
		runtime.KeepAlive(res)
		runtime.KeepAlive(t)
		done := int(st.done)
		t.collectEach(arena, res[start:done], results[start:done], errs[start:done])
		if done == n {
			break
		}
		// Event `done` did not fit: the rest goes into a new arena with
		// room for it, as reported, and for the events after it at the
		// ratio of output to input seen so far, plus slack. The results
		// so far keep pointing into the old arena.
		arenaRetries.Add(1)
		consumed := inputBytes(sc.ends, start, done)
		rest := inputBytes(sc.ends, done+1, n)
		grow := 2.0
		if consumed > 0 {
			grow = max(1, float64(st.used)/float64(consumed))
		}
		start = done
		arena = make([]byte, int(st.need)+int(float64(rest)*grow)+(n-start)*arenaSlack)
	}
	eventPool.Put(s)

	if cap(sc.buf)+cap(sc.ends)*8+cap(sc.res)*int(unsafe.Sizeof(C.kpgo_each_result{})) <= maxPooledScratch {
		eachPool.Put(sc)
	}
	return results, errs
}

// inputBytes is the length of events [from, to) of a packed buffer.
func inputBytes(ends []C.size_t, from, to int) int {
	if from >= to {
		return 0
	}
	begin := 0
	if from > 0 {
		begin = int(ends[from-1])
	}
	return int(ends[to-1]) - begin
}

// collectEach turns the C results of one kpgo_transform_each call into Go
// values; the events stay in the arena, sliced, the messages become strings.
func (t *Transform) collectEach(arena []byte, res []C.kpgo_each_result, results []Result, errs []error) {
	for i := range res {
		r := &res[i]
		off, end := int(r.off), int(r.off)+int(r.len)
		if Code(r.code) != CodeOK {
			errs[i] = &Error{Code: Code(r.code), Message: string(arena[off:end])}
			continue
		}
		var route string
		if r.route >= 0 && int(r.route) < len(t.routes) {
			route = t.routes[r.route]
		} else {
			route = t.route(arena[int(r.name_off) : int(r.name_off)+int(r.name_len)])
		}
		results[i] = Result{
			Event:    arena[off:end:end],
			Severity: Severity(r.severity),
			Route:    route,
			Redacted: int(r.redacted),
		}
	}
}

package kpaudit

/*
#include <string.h>
#include "kpaudit.h"

// One cgo call per event instead of five: the transform and every output
// accessor, results gathered into one struct in the caller's memory.
typedef struct {
	const uint8_t *data;
	size_t len;
	const char *route;
	size_t route_len;
	uint32_t redacted;
	int severity;
} kpgo_event_result;

static kpaudit_result kpgo_transform_event(const kpaudit_transform *t, const uint8_t *event, size_t len,
                                           kpaudit_output *out, kpaudit_error *err, kpgo_event_result *r)
{
	kpaudit_result code = kpaudit_transform_event(t, event, len, out, err);
	if (code != KPAUDIT_OK) {
		return code;
	}
	r->data = kpaudit_output_data(out, &r->len);
	r->route = kpaudit_output_route(out);
	r->route_len = strlen(r->route);
	r->severity = (int)kpaudit_output_severity(out);
	r->redacted = kpaudit_output_redacted(out);
	return code;
}
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// eventScratch is what one kpaudit_transform_event call writes into. The
// result struct lives here rather than on the caller's stack, where being
// handed to C would make it a heap allocation per event.
type eventScratch struct {
	out *C.kpaudit_output
	err *C.kpaudit_error
	res C.kpgo_event_result
}

// Result is one transformed event, in Go memory.
type Result struct {
	// Event is the transformed event: one JSON object, no trailing newline.
	Event    []byte
	Severity Severity
	// Route is the destination the event's region maps to, e.g. "us-south",
	// or the unmatched route.
	Route string
	// Redacted counts the key-material members removed (or masked).
	Redacted int
}

// Process transforms one event (one JSON object). The event is read in
// place, not copied, and not retained. A rejected event gives an *Error
// (ErrInvalidEvent, ErrEventTooLarge) and an empty Result: no byte of the
// event is kept anywhere.
func (t *Transform) Process(event []byte) (Result, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.ptr == nil {
		return Result{}, ErrClosed
	}
	s := eventPool.Get().(*eventScratch)
	r := &s.res
	code := C.kpgo_transform_event(t.ptr, bytesPtr(event), C.size_t(len(event)), s.out, s.err, r)
	runtime.KeepAlive(event)
	runtime.KeepAlive(t)
	if code != C.KPAUDIT_OK {
		err := errorFrom(Code(code), s.err)
		eventPool.Put(s)
		return Result{}, err
	}
	res := Result{
		Event:    copyBytes(r.data, r.len),
		Severity: Severity(r.severity),
		Route:    t.route(unsafe.Slice((*byte)(unsafe.Pointer(r.route)), int(r.route_len))),
		Redacted: int(r.redacted),
	}
	// Only now may another call reuse the output that r points into.
	eventPool.Put(s)
	return res, nil
}

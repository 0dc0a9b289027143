package kpaudit

/*
#include "kpaudit.h"
*/
import "C"

import (
	"runtime"
	"sync"
)

// The library keeps per-call state (the transformed bytes, the error text,
// a batch's route buffers) in objects the caller owns and may use from one
// thread at a time. Pooling them gives each concurrent call its own while
// steady state allocates nothing in C; the pools are shared by all
// transforms because these objects belong to none.

// A pool drops its objects at some garbage collection without telling
// anyone, so each scratch frees its C objects in a cleanup, which gets a
// copy of the C pointers (never the scratch itself, or it would never become
// unreachable). A failed allocation leaves a NULL, which the library then
// reports as a NULL argument rather than crashing.
var eventPool = sync.Pool{New: func() any {
	s := &eventScratch{out: C.kpaudit_output_new(), err: C.kpaudit_error_new()}
	runtime.AddCleanup(s, freeEventObjects, *s)
	return s
}}

var batchPool = sync.Pool{New: func() any {
	s := &batchScratch{batch: C.kpaudit_batch_new(), err: C.kpaudit_error_new()}
	runtime.AddCleanup(s, freeBatchObjects, *s)
	return s
}}

func freeEventObjects(o eventScratch) {
	C.kpaudit_output_free(o.out)
	C.kpaudit_error_free(o.err)
}

func freeBatchObjects(o batchScratch) {
	C.kpaudit_batch_free(o.batch)
	C.kpaudit_error_free(o.err)
}

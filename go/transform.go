package kpaudit

/*
#include "kpaudit.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Transform is a compiled libkpaudit transform. It is safe for concurrent
// use by any number of goroutines; Close releases it, and any call after
// Close returns ErrClosed.
type Transform struct {
	// Calls hold the read side for as long as the library uses the
	// handle; Close takes the write side, so it waits for calls in flight
	// and frees the handle exactly once.
	mu      sync.RWMutex
	ptr     *C.kpaudit_transform
	cleanup runtime.Cleanup

	routes []string
	// routeNames maps a route's bytes to the string in routes, so that a
	// Result names its route without allocating a string per event.
	routeNames map[string]string

	keyMaterial *KeyMaterial
}

// New compiles a transform from JSON configuration (the keys are in the
// repository's README). A nil or empty config means the built-in Key
// Protect defaults. A rejected config gives an *Error matching
// ErrInvalidConfig whose message names the offending key.
func New(config []byte) (*Transform, error) {
	if got := libABIVersion(); got != ABIVersion {
		return nil, fmt.Errorf("kpaudit: the linked library implements ABI %d, this package was built for ABI %d", got, ABIVersion)
	}
	cerr := C.kpaudit_error_new()
	defer C.kpaudit_error_free(cerr)
	var ptr *C.kpaudit_transform
	code := C.kpaudit_transform_new(bytesPtr(config), C.size_t(len(config)), &ptr, cerr)
	runtime.KeepAlive(config)
	if code != C.KPAUDIT_OK {
		return nil, errorFrom(Code(code), cerr)
	}
	t := &Transform{ptr: ptr}
	n := int(C.kpaudit_transform_route_count(ptr))
	t.routes = make([]string, n)
	t.routeNames = make(map[string]string, n)
	for i := range n {
		name := C.GoString(C.kpaudit_transform_route_name(ptr, C.size_t(i)))
		t.routes[i] = name
		t.routeNames[name] = name
	}
	t.keyMaterial = newKeyMaterial(ptr)
	// A safety net for a Transform dropped without Close; it gets the C
	// pointer, not t, so that t can become unreachable.
	t.cleanup = runtime.AddCleanup(t, freeTransform, ptr)
	return t, nil
}

// cleanedUp counts transforms freed by their cleanup rather than by Close,
// so a test can see that the safety net works and that Close disarms it.
var cleanedUp atomic.Int64

func freeTransform(ptr *C.kpaudit_transform) {
	C.kpaudit_transform_free(ptr)
	cleanedUp.Add(1)
}

// Close releases the transform. It waits for calls in progress, may be
// called any number of times from any goroutine, and always returns nil.
func (t *Transform) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ptr == nil {
		return nil
	}
	t.cleanup.Stop()
	C.kpaudit_transform_free(t.ptr)
	t.ptr = nil
	return nil
}

// Routes lists every route name the transform can produce, in the
// library's order: index 0 is the route of events whose region cannot be
// established ("unmatched" by default). A host can open every destination
// up front from it.
func (t *Transform) Routes() []string {
	return append([]string(nil), t.routes...)
}

// route is the interned name for a route the library reported.
func (t *Transform) route(b []byte) string {
	if name, ok := t.routeNames[string(b)]; ok {
		return name
	}
	return string(b)
}

// bytesPtr is the C view of b without copying it. An empty slice is passed
// as NULL: the library accepts NULL with length 0, while a pointer into a
// zero-length slice may point past its allocation.
func bytesPtr(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(b)))
}

// cBytes views n bytes of C memory at p; the view is only good until the C
// object that owns the bytes is reused, so callers copy from it at once.
func cBytes(p *C.uint8_t, n C.size_t) []byte {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))
}

// copyBytes copies n bytes at p into Go memory.
func copyBytes(p *C.uint8_t, n C.size_t) []byte {
	out := make([]byte, int(n))
	copy(out, cBytes(p, n))
	return out
}

package kpaudit

/*
#include "kpaudit.h"
*/
import "C"

import "errors"

// Code is a libkpaudit result code (kpaudit_result).
type Code int

// The values are the C library's; they are never renumbered within one ABI
// version.
const (
	CodeOK            Code = C.KPAUDIT_OK
	CodeNullArgument  Code = C.KPAUDIT_NULL_ARGUMENT
	CodeInvalidConfig Code = C.KPAUDIT_INVALID_CONFIG
	CodeInvalidEvent  Code = C.KPAUDIT_INVALID_EVENT
	CodeEventTooLarge Code = C.KPAUDIT_EVENT_TOO_LARGE
	CodePanic         Code = C.KPAUDIT_PANIC
)

var codeNames = [...]string{
	CodeOK:            "KPAUDIT_OK",
	CodeNullArgument:  "KPAUDIT_NULL_ARGUMENT",
	CodeInvalidConfig: "KPAUDIT_INVALID_CONFIG",
	CodeInvalidEvent:  "KPAUDIT_INVALID_EVENT",
	CodeEventTooLarge: "KPAUDIT_EVENT_TOO_LARGE",
	CodePanic:         "KPAUDIT_PANIC",
}

// String is the C enumerator's name, e.g. "KPAUDIT_INVALID_EVENT", so logs
// read the same from a Go host as from a C one.
func (c Code) String() string {
	if c >= 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "KPAUDIT_UNKNOWN"
}

// libResultStr is the library's own description of a code; kept beside the
// table above so a test can hold the two together.
func libResultStr(c Code) string {
	return C.GoString(C.kpaudit_result_str(C.kpaudit_result(c)))
}

// Error is a failed library call: its result code and the library's
// message, which says what was wrong and where but never quotes the input.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return "kpaudit: " + e.Code.String()
	}
	return "kpaudit: " + e.Message
}

// Is makes every *Error match the sentinel of its code, whatever its
// message: errors.Is(err, ErrInvalidEvent).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinels, one per failure code, for errors.Is.
var (
	ErrNullArgument  = &Error{Code: CodeNullArgument}
	ErrInvalidConfig = &Error{Code: CodeInvalidConfig}
	ErrInvalidEvent  = &Error{Code: CodeInvalidEvent}
	ErrEventTooLarge = &Error{Code: CodeEventTooLarge}
	ErrPanic         = &Error{Code: CodePanic}
)

// ErrClosed is what Process and ProcessBatch return after Close.
var ErrClosed = errors.New("kpaudit: transform is closed")

// errorFrom turns a failed call's code and kpaudit_error into a Go value;
// the message is copied because the C object is reused by the next call.
func errorFrom(code Code, cerr *C.kpaudit_error) *Error {
	return &Error{Code: code, Message: C.GoString(C.kpaudit_error_message(cerr))}
}

package kpaudit

/*
#include "kpaudit.h"
*/
import "C"

// Severity of an event, in increasing order; the values are the library's
// kpaudit_severity.
type Severity uint8

const (
	Normal   Severity = C.KPAUDIT_SEVERITY_NORMAL
	Warning  Severity = C.KPAUDIT_SEVERITY_WARNING
	Critical Severity = C.KPAUDIT_SEVERITY_CRITICAL
)

// A Go table rather than a call per String: a host names the severity of
// every event, and a cgo call costs more than the lookup.
var severityNames = [...]string{
	Normal:   "normal",
	Warning:  "warning",
	Critical: "critical",
}

// String is the name the library writes into events ("normal", "warning",
// "critical"); any other value is "unknown", as kpaudit_severity_str says.
func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return "unknown"
}

// libSeverityStr is the library's name for s, for the test that holds the
// table above to it.
func libSeverityStr(s int) string {
	return C.GoString(C.kpaudit_severity_str(C.kpaudit_severity(s)))
}

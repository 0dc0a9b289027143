package kpaudit

/*
#include "kpaudit.h"
*/
import "C"

// ABIVersion is the C ABI version of the header this package was built
// with; New refuses a library that implements another one.
const ABIVersion uint32 = C.KPAUDIT_ABI_VERSION

// Version is the linked library's version, "MAJOR.MINOR.PATCH".
func Version() string {
	return C.GoString(C.kpaudit_version())
}

func libABIVersion() uint32 {
	return uint32(C.kpaudit_abi_version())
}

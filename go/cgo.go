package kpaudit

// The static library carries the Rust runtime, so a Go binary linked with it
// needs no libkpaudit.so (nor anything else beyond libc) at run time. Build it
// first with `cargo build --release` at the repository root.

/*
#cgo CFLAGS: -I${SRCDIR}/../include
#cgo LDFLAGS: ${SRCDIR}/../target/release/libkpaudit.a -lm -ldl -lpthread
#include "kpaudit.h"
*/
import "C"

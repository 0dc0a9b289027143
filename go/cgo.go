package kpaudit

// The static library carries the Rust runtime, so a Go binary linked with it
// needs no libkpaudit.so (nor anything else beyond libc) at run time. Build it
// first with `cargo build --release` at the repository root; where it goes
// elsewhere (CARGO_TARGET_DIR), see link_env.go.

/*
#cgo CFLAGS: -I${SRCDIR}/../include
#include "kpaudit.h"
*/
import "C"

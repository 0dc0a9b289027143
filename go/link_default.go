//go:build !kpaudit_link_env

package kpaudit

// The library as `cargo build --release` leaves it in this checkout.

/*
#cgo LDFLAGS: ${SRCDIR}/../target/release/libkpaudit.a -lm -ldl -lpthread
*/
import "C"

//go:build kpaudit_link_env

package kpaudit

// With the build tag kpaudit_link_env the library is named by the
// environment instead, for a cargo target directory outside the checkout:
//
//	CGO_LDFLAGS=$CARGO_TARGET_DIR/release/libkpaudit.a go test -tags kpaudit_link_env ./...
//
// go/test.sh does this whenever CARGO_TARGET_DIR is set.

/*
#cgo LDFLAGS: -lm -ldl -lpthread
*/
import "C"

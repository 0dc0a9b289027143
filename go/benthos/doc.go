// Package benthos registers a "kpaudit" processor with Benthos
// (github.com/redpanda-data/benthos/v4): each message is one Key Protect
// activity-tracking event, transformed by libkpaudit through the Go package
// github.com/kpaudit/kpaudit/go. Import it for its side effect:
//
//	import _ "github.com/kpaudit/kpaudit/go/benthos"
//
// cmd/kpaudit-benthos is a Benthos binary with the processor built in, and
// pipeline.yaml a pipeline that routes events to one file per route and
// rejected events to a dead-letter file.
package benthos

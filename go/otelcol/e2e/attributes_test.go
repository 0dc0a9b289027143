//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// examples/files.yaml with settings operators commonly add to filelog: a
// copy of the raw line kept in an attribute, and a json_parser operator,
// which parses each line into the record's attributes beside the body. The
// attributes must lose their key material as the body does.
func TestFilePipelineWithJSONParserAttributes(t *testing.T) {
	const events = 500
	root := repoRoot(t)
	dir := t.TempDir()
	input := filepath.Join(dir, "events.ndjson")
	data := genEvents(t, "--count", strconv.Itoa(events), "--seed", "5", "--corrupt-percent", "1")
	if err := os.WriteFile(input, data, 0o644); err != nil {
		t.Fatal(err)
	}
	planted := 0
	for _, line := range lines(data) {
		var m map[string]any
		if json.Unmarshal(line, &m) == nil && keyMaterialIn(m) != "" {
			planted++
		}
	}
	if planted < events/20 {
		t.Fatalf("only %d of %d generated events hold key material", planted, events)
	}

	example, err := os.ReadFile(filepath.Join(root, "go", "otelcol", "examples", "files.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const anchor = "    max_log_size: 1MiB\n"
	if !strings.Contains(string(example), anchor) {
		t.Fatalf("examples/files.yaml no longer has %q", anchor)
	}
	config := strings.Replace(string(example), anchor,
		anchor+"    operators:\n      - type: copy\n        from: body\n        to: attributes.original\n        on_error: send_quiet\n"+
			"      - type: json_parser\n        on_error: send_quiet\n", 1)
	configPath := filepath.Join(dir, "files-json-parser.yaml")
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "collector.log")
	p := startCollector(t, configPath, logPath,
		"KPAUDIT_INPUT="+input, "KPAUDIT_OUT="+out, "KPAUDIT_METRICS_PORT="+strconv.Itoa(freePort(t)))
	records := func() []map[string]any {
		var attrs []map[string]any
		files, _ := filepath.Glob(filepath.Join(out, "*.json"))
		for _, f := range files {
			for _, ld := range readOTLPFile(t, f) {
				for _, rl := range ld.ResourceLogs().All() {
					for _, sl := range rl.ScopeLogs().All() {
						for _, lr := range sl.LogRecords().All() {
							attrs = append(attrs, lr.Attributes().AsRaw())
						}
					}
				}
			}
		}
		return attrs
	}
	complete := waitFor(60*time.Second, 300*time.Millisecond, func() bool { return !p.running() || len(records()) >= events })
	p.stop(t)
	if !complete {
		t.Fatalf("the outputs hold %d records of %d lines:\n%s", len(records()), events, logTail(logPath))
	}
	parsed, originals := 0, 0
	for _, a := range records() {
		if _, ok := a["action"]; ok {
			parsed++
		}
		if _, ok := a["original"]; ok {
			originals++
		}
		if found := keyMaterialIn(a); found != "" {
			t.Fatalf("a record's attributes hold key-material member %q: %v", found, a)
		}
	}
	if parsed < events*9/10 {
		t.Fatalf("only %d records have parsed attributes: the json_parser did not run", parsed)
	}
	// The lines without key material keep their copy: the operator ran.
	if originals < (events-planted)*9/10 || originals > events-planted {
		t.Fatalf("%d records keep the raw line's copy; %d lines had no key material", originals, events-planted)
	}
	t.Logf("%d records, %d with the event parsed into attributes, %d with the line's copy, none with key material (%d events held some)", len(records()), parsed, originals, planted)
}

//go:build e2e

package e2e

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"golang.org/x/text/encoding/unicode"

	kpaudit "github.com/kpaudit/kpaudit/go"
)

var correlationID = regexp.MustCompile(`"correlationId":"([0-9a-f-]{36})"`)

// Pipeline (a), examples/files.yaml, with the built collector on 20,000
// generated events of which about 1% are corrupted lines: every input line
// is in its route's file (exactly what the library makes of it) or in the
// dead-letter file, each route file holds only its route, no output holds
// a key-material member, and no rejected line's bytes are anywhere.
func TestFilePipeline(t *testing.T) {
	const events = 20000
	root := repoRoot(t)
	dir := t.TempDir()
	input := filepath.Join(dir, "events.ndjson")
	data := genEvents(t, "--count", "20000", "--seed", "3", "--corrupt-percent", "1")
	if err := os.WriteFile(input, data, 0o644); err != nil {
		t.Fatal(err)
	}
	in := lines(data)
	if len(in) != events {
		t.Fatalf("the generator wrote %d lines, not %d", len(in), events)
	}

	// What the library makes of each line as filelog hands it over: text
	// decoded as UTF-8, each invalid byte replaced by U+FFFD (a line
	// corrupted only by such a byte inside a string becomes valid), and
	// whitespace around it trimmed.
	tr, err := kpaudit.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	wantEvents := map[string]map[string]int{} // route -> transformed event -> count
	wantRejects := map[string]int{}           // "code: message" -> count
	var rejected [][]byte                     // the raw lines that are rejected
	repaired := 0
	for _, raw := range in {
		line, err := unicode.UTF8.NewDecoder().Bytes(raw)
		if err != nil {
			t.Fatal(err)
		}
		line = bytes.TrimSpace(line)
		r, err := tr.Process(line)
		if _, rawErr := tr.Process(raw); rawErr != nil && err == nil {
			repaired++
		}
		if err != nil {
			rejected = append(rejected, raw)
			var kerr *kpaudit.Error
			if !errors.As(err, &kerr) {
				t.Fatal(err)
			}
			wantRejects[kerr.Code.String()+": "+kerr.Message]++
			continue
		}
		if wantEvents[r.Route] == nil {
			wantEvents[r.Route] = map[string]int{}
		}
		wantEvents[r.Route][string(r.Event)]++
	}
	if len(rejected) < events/200 || len(rejected) > events/50 {
		t.Fatalf("%d of %d lines are rejected; the corpus should have about 1%%", len(rejected), events)
	}

	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "collector.log")
	metricsPort := freePort(t)
	start := time.Now()
	p := startCollector(t, filepath.Join(root, "go", "otelcol", "examples", "files.yaml"), logPath,
		"KPAUDIT_INPUT="+input, "KPAUDIT_OUT="+out, "KPAUDIT_METRICS_PORT="+strconv.Itoa(metricsPort))
	count := func() int {
		n := 0
		files, _ := filepath.Glob(filepath.Join(out, "*.json"))
		for _, f := range files {
			for _, ld := range readOTLPFile(t, f) {
				n += ld.LogRecordCount()
			}
		}
		return n
	}
	complete := waitFor(90*time.Second, 500*time.Millisecond, func() bool { return !p.running() || count() >= events })
	if !p.running() {
		t.Fatalf("the collector exited early (%v):\n%s", p.err, logTail(logPath))
	}
	took := time.Since(start)
	// The processor's metrics, through the Collector's own telemetry.
	metrics := map[string]float64{
		"records":  scrapeCounter(t, metricsPort, "otelcol_processor_kpaudit_records_total"),
		"us-south": scrapeCounter(t, metricsPort, "otelcol_processor_kpaudit_records_total", `route="us-south"`),
		"critical": scrapeCounter(t, metricsPort, "otelcol_processor_kpaudit_records_total", `severity="critical"`),
		"rejected": scrapeCounter(t, metricsPort, "otelcol_processor_kpaudit_rejected_total", `reason="KPAUDIT_INVALID_EVENT"`),
		"redacted": scrapeCounter(t, metricsPort, "otelcol_processor_kpaudit_redacted_members_total"),
		// The example runs the processor with async: nothing may fail
		// after the receiver was told the records were accepted.
		"async failed": scrapeCounter(t, metricsPort, "otelcol_processor_kpaudit_async_failed_total"),
	}
	p.stop(t)
	if p.err != nil {
		t.Errorf("the collector's exit after SIGTERM: %v\n%s", p.err, logTail(logPath))
	}
	if !complete {
		t.Fatalf("after 90 s the outputs hold %d records of %d lines:\n%s", count(), events, logTail(logPath))
	}

	// Every output, read whole after the collector stopped.
	routes := map[string]bool{}
	for _, r := range tr.Routes() {
		routes[r] = true
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.json"))
	routed, dead := 0, 0
	gotRejects := map[string]int{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		content, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range rejected {
			if id := correlationID.FindSubmatch(line); id != nil && bytes.Contains(content, id[1]) {
				t.Errorf("%s holds the correlationId of a rejected line", filepath.Base(f))
			}
		}
		if name == "dead-letter" {
			dead += checkDeadLetters(t, f, rejected, gotRejects)
			continue
		}
		if !routes[name] {
			t.Errorf("unexpected output file %s", filepath.Base(f))
			continue
		}
		got := map[string]int{}
		for _, ld := range readOTLPFile(t, f) {
			forEachRecord(ld, func(res pcommon.Resource, lr plog.LogRecord) {
				routed++
				if v, _ := lr.Attributes().Get("kpaudit.route"); v.Str() != name {
					t.Errorf("%s holds a record of route %q", filepath.Base(f), v.Str())
				}
				if v, _ := res.Attributes().Get("kpaudit.route"); v.Str() != name {
					t.Errorf("%s holds a resource of route %q", filepath.Base(f), v.Str())
				}
				if lr.Body().Type() != pcommon.ValueTypeStr {
					t.Errorf("%s: a body of type %s", filepath.Base(f), lr.Body().Type())
					return
				}
				body := lr.Body().Str()
				if km := keyMaterialMember(decodeJSON(t, []byte(body))); km != "" {
					t.Errorf("%s: key-material member %q in an output event", filepath.Base(f), km)
				}
				got[body]++
			})
		}
		if !sameCounts(got, wantEvents[name]) {
			t.Errorf("%s: %d events, the library makes %d of the input for this route (or they differ)",
				filepath.Base(f), total(got), total(wantEvents[name]))
		}
	}
	if routed+dead != events {
		t.Errorf("routed %d + dead letters %d = %d, input %d lines", routed, dead, routed+dead, events)
	}
	if metrics["records"] != float64(routed) || metrics["rejected"] != float64(dead) ||
		metrics["us-south"] != float64(total(wantEvents["us-south"])) || metrics["critical"] == 0 || metrics["redacted"] == 0 || metrics["async failed"] != 0 {
		t.Errorf("the processor's metrics %v do not agree with the outputs (%d routed, %d dead letters)", metrics, routed, dead)
	}
	if !sameCounts(gotRejects, wantRejects) {
		t.Errorf("dead letters by reason %v,\nthe library rejects %v", gotRejects, wantRejects)
	}
	logData, _ := os.ReadFile(logPath)
	noRunOf(t, "the collector's log", withoutClockTimes(logData), rejected)
	for _, line := range rejected {
		if id := correlationID.FindSubmatch(line); id != nil && bytes.Contains(logData, id[1]) {
			t.Errorf("the collector's log holds the correlationId of a rejected line")
		}
	}
	var names []string
	for r, n := range wantEvents {
		names = append(names, r+":"+strconv.Itoa(total(n)))
	}
	sort.Strings(names)
	t.Logf("metrics: %v", metrics)
	t.Logf("%d lines in %.1f s: %d routed (%s), %d dead letters; filelog's UTF-8 decoding made %d more corrupted lines valid",
		events, took.Seconds(), routed, strings.Join(names, " "), dead, repaired)
}

// checkDeadLetters checks the dead-letter file: each record holds only the
// reason, {"error","message"}, with kpaudit.error set, and none of its
// strings holds a run of 16 bytes of any rejected line. It counts the
// records by "code: message" into got.
func checkDeadLetters(t *testing.T, path string, rejected [][]byte, got map[string]int) int {
	t.Helper()
	var strs bytes.Buffer
	n := 0
	for _, ld := range readOTLPFile(t, path) {
		forEachRecord(ld, func(res pcommon.Resource, lr plog.LogRecord) {
			n++
			for _, m := range []pcommon.Map{res.Attributes(), lr.Attributes()} {
				for k, v := range m.All() {
					strs.WriteString(k + "\x00" + v.AsString() + "\x00")
				}
			}
			strs.WriteString(lr.Body().AsString() + "\x00")
			b := lr.Body()
			if b.Type() != pcommon.ValueTypeMap || b.Map().Len() != 2 {
				t.Errorf("a dead letter's body is %s", b.AsString())
				return
			}
			code, _ := b.Map().Get("error")
			msg, _ := b.Map().Get("message")
			if v, _ := lr.Attributes().Get("kpaudit.error"); v.Str() != code.Str() || !strings.HasPrefix(code.Str(), "KPAUDIT_") || msg.Str() == "" {
				t.Errorf("dead letter %s with kpaudit.error %q", b.AsString(), v.Str())
			}
			got[code.Str()+": "+msg.Str()]++
		})
	}
	noRunOf(t, "the dead letters", strs.Bytes(), rejected)
	return n
}

// noRunOf fails when data holds 16 consecutive bytes of any of lines.
// clockTime is a timestamp as the Collector's log writes them.
var clockTime = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?`)

// withoutClockTimes is a log with its timestamps blanked: the generated
// events hold fixed dates (an expiration at 2026-11-30T00:00:00Z), and a
// log written in that minute would otherwise "hold" a run of their bytes.
// A run that reaches past a timestamp into other text is still found.
func withoutClockTimes(log []byte) []byte {
	return clockTime.ReplaceAllFunc(log, func(m []byte) []byte { return bytes.Repeat([]byte{'#'}, len(m)) })
}

func noRunOf(t *testing.T, what string, data []byte, lines [][]byte) {
	t.Helper()
	for i, line := range lines {
		for off := 0; off+16 <= len(line); off += 8 {
			if bytes.Contains(data, line[off:off+16]) {
				t.Errorf("%s hold bytes %d to %d of rejected line %d", what, off, off+16, i)
				return
			}
		}
	}
}

func forEachRecord(ld plog.Logs, f func(pcommon.Resource, plog.LogRecord)) {
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				f(rl.Resource(), lr)
			}
		}
	}
}

func sameCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

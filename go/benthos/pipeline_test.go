package benthos

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	kpaudit "github.com/kpaudit/kpaudit/go"
)

// repoRoot is the repository holding this module, two levels up.
const repoRoot = "../.."

var keyMaterial = []string{"payload", "encryptednonce", "iv", "plaintext", "ciphertext", "aad", "nonce", "authorization"}

// TestPipeline runs pipeline.yaml, as shipped, with the kpaudit-benthos
// binary on a generated corpus with corrupted lines, and holds every
// output line to what the Go package gives for the same input line.
func TestPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Benthos binary and runs it")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	bin := filepath.Join(dir, "kpaudit-benthos")
	command(t, ctx, ".", nil, "go", "build", "-o", bin, "./cmd/kpaudit-benthos")
	input := filepath.Join(dir, "events.ndjson")
	corpus := command(t, ctx, repoRoot, nil, "cargo", "run", "--release", "--quiet", "-p", "gen-events", "--",
		"--count", "3000", "--seed", "11", "--corrupt-percent", "1")
	if err := os.WriteFile(input, corpus, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	// The run takes well under a second; a pipeline that cannot write an
	// output retries forever, so do not wait for the test's deadline.
	runCtx, cancelRun := context.WithTimeout(ctx, time.Minute)
	defer cancelRun()
	command(t, runCtx, ".", []string{"KPAUDIT_INPUT=" + input, "KPAUDIT_OUT=" + out, "KPAUDIT_CONFIG="},
		bin, "-c", "pipeline.yaml")

	want := expect(t, corpus)
	if want.keyMaterialIn == 0 {
		t.Fatal("the corpus has no key material to strip")
	}
	routes := checkRoutes(t, out, want)
	checkDeadLetters(t, filepath.Join(out, "dead-letter.ndjson"), want, input)
	entries, _ := os.ReadDir(out)
	if len(entries) != routes+1 {
		t.Errorf("%s holds %d entries, want %d route files and dead-letter.ndjson", out, len(entries), routes)
	}
}

// expected is what the Go package says of the corpus.
type expected struct {
	lines int
	// byEvent maps a transformed event to the results of the input lines
	// that give it, consumed as output lines are matched.
	byEvent map[string][]kpaudit.Result
	// rejected are the batch API's rejections, as dead-letter records.
	rejected      map[string]int
	keyMaterialIn int
}

func expect(t *testing.T, corpus []byte) *expected {
	tr, err := kpaudit.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	in := bytes.Split(bytes.TrimSuffix(corpus, []byte("\n")), []byte("\n"))
	e := &expected{lines: len(in), byEvent: map[string][]kpaudit.Result{}, rejected: map[string]int{}}
	for _, line := range in {
		if bytes.Contains(line, []byte(`"payload":`)) || bytes.Contains(line, []byte(`"iv":`)) {
			e.keyMaterialIn++
		}
		if r, err := tr.Process(line); err == nil {
			e.byEvent[string(r.Event)] = append(e.byEvent[string(r.Event)], r)
		}
	}
	batch, err := tr.ProcessBatch(corpus)
	if err != nil {
		t.Fatal(err)
	}
	if batch.Lines != len(in) || len(batch.Rejected) == 0 {
		t.Fatalf("batch: %d lines of %d, %d rejected", batch.Lines, len(in), len(batch.Rejected))
	}
	for _, r := range batch.Rejected {
		e.rejected[r.Err.Code.String()+"|"+r.Err.Message+"|"+itoa(len(in[r.Line-1]))+"|"+itoa(r.Line)]++
	}
	return e
}

// checkRoutes checks every route file of dir and returns how many there are.
func checkRoutes(t *testing.T, dir string, want *expected) int {
	files, err := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	if err != nil || len(files) < 2 {
		t.Fatalf("no route files in %s: %v", dir, err)
	}
	emitted := 0
	routes := 0
	for _, file := range files {
		if filepath.Base(file) == "dead-letter.ndjson" {
			continue
		}
		routes++
		route := strings.TrimSuffix(filepath.Base(file), ".ndjson")
		for i, line := range fileLines(t, file) {
			emitted++
			results := want.byEvent[string(line)]
			if len(results) == 0 {
				t.Errorf("%s:%d: not an event the Go package gives for any input line", file, i+1)
				continue
			}
			want.byEvent[string(line)] = results[1:]
			if results[0].Route != route {
				t.Errorf("%s:%d: an event of route %s", file, i+1, results[0].Route)
			}
			var event map[string]any
			if err := json.Unmarshal(line, &event); err != nil {
				t.Errorf("%s:%d: %v", file, i+1, err)
				continue
			}
			// An ingestion envelope's event holds the severity.
			severity := event["severity"]
			if inner, ok := event["payload"].(map[string]any); ok && severity == nil {
				severity = inner["severity"]
			}
			if severity != results[0].Severity.String() {
				t.Errorf("%s:%d: severity %v, the Go package says %v", file, i+1, severity, results[0].Severity)
			}
			if key := findKeyMaterial(event, true); key != "" {
				t.Errorf("%s:%d: key material member %q", file, i+1, key)
			}
		}
	}
	for event, left := range want.byEvent {
		if len(left) > 0 {
			t.Errorf("%d events of route %s missing from the output: %.80s...", len(left), left[0].Route, event)
		}
	}
	if rejected := sum(want.rejected); emitted+rejected != want.lines {
		t.Errorf("route files hold %d lines, %d rejected, input %d lines", emitted, rejected, want.lines)
	}
	return routes
}

func checkDeadLetters(t *testing.T, file string, want *expected, input string) {
	got := map[string]int{}
	for i, line := range fileLines(t, file) {
		var record map[string]any
		if err := json.Unmarshal(line, &record); err != nil {
			t.Errorf("%s:%d: %v", file, i+1, err)
			continue
		}
		code, _ := record["error"].(string)
		message, _ := record["message"].(string)
		n, _ := record["bytes"].(float64)
		at, _ := record["line"].(float64)
		if len(record) != 5 || code == "" || message == "" || n <= 0 || at <= 0 || record["input"] != input {
			t.Errorf("%s:%d: not a rejection record: %s", file, i+1, line)
		}
		got[code+"|"+message+"|"+itoa(int(n))+"|"+itoa(int(at))]++
	}
	if sum(got) != sum(want.rejected) {
		t.Errorf("%d dead letters, the batch API rejects %d lines", sum(got), sum(want.rejected))
	}
	for k, n := range want.rejected {
		if got[k] != n {
			t.Errorf("rejection %s: %d dead letters, want %d", k, got[k], n)
		}
	}
}

// findKeyMaterial is the first key-material member name at any depth; at
// the top level an ingestion envelope's event (a "payload" object holding
// a string action) is the one that may stay.
func findKeyMaterial(v any, top bool) string {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			inner, isObject := x.(map[string]any)
			_, stringAction := inner["action"].(string)
			envelope := top && k == "payload" && isObject && stringAction
			for _, name := range keyMaterial {
				if strings.EqualFold(k, name) && !envelope {
					return k
				}
			}
			if found := findKeyMaterial(x, false); found != "" {
				return found
			}
		}
	case []any:
		for _, x := range v {
			if found := findKeyMaterial(x, false); found != "" {
				return found
			}
		}
	}
	return ""
}

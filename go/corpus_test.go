package kpaudit

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// Generated corpora, one per argument list, shared by the tests and
// benchmarks of one test binary.
var (
	corporaMu sync.Mutex
	corpora   = map[string][]byte{}
)

// genEvents returns the NDJSON that the repository's event generator
// writes for args (e.g. "--count", "2000", "--seed", "7"). It runs
// `cargo run --release -p gen-events` at the repository root, the
// directory above this package (the generator is a package of its own with
// no dependencies, so it shares the target directory, CARGO_TARGET_DIR
// included, without rebuilding the library).
func genEvents(tb testing.TB, args ...string) []byte {
	tb.Helper()
	key := strings.Join(args, " ")
	corporaMu.Lock()
	defer corporaMu.Unlock()
	if data, ok := corpora[key]; ok {
		return data
	}
	cmd := exec.Command("cargo", append([]string{"run", "--release", "--quiet", "-p", "gen-events", "--"}, args...)...)
	cmd.Dir = ".."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	data, err := cmd.Output()
	if err != nil {
		tb.Fatalf("gen_events %s: %v\n%s", key, err, stderr.Bytes())
	}
	corpora[key] = data
	return data
}

// benchCorpus is the benchmarks' input: the file named by KPAUDIT_CORPUS
// when set (any NDJSON of events), else 4 MiB of generated events.
func benchCorpus(tb testing.TB) []byte {
	if path := os.Getenv("KPAUDIT_CORPUS"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			tb.Fatal(err)
		}
		return data
	}
	// Key Protect's events only: the encoding/json peer implements their
	// rules, not HPCS's tables or the envelope.
	return genEvents(tb, "--size-mb", "4", "--seed", "9", "--hpcs-percent", "0", "--envelope-percent", "0")
}

// lines splits NDJSON as the library does: at '\n', a final line without
// one included, no line after a final '\n'.
func lines(ndjson []byte) [][]byte {
	out := bytes.SplitAfter(ndjson, []byte("\n"))
	if len(out) > 0 && len(out[len(out)-1]) == 0 {
		out = out[:len(out)-1]
	}
	for i, l := range out {
		out[i] = bytes.TrimSuffix(l, []byte("\n"))
	}
	return out
}

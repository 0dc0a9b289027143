//go:build e2e

// Package e2e runs the kpaudit-otelcol binary on the example pipelines:
// files end to end, and Kafka with two collectors in one consumer group,
// one of them killed mid-stream. The tests need the `e2e` build tag
// (go/otelcol/test.sh passes it), cargo for the library and the event
// generator, and for the Kafka test Java 17+ and Maven.
package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
)

// repoRoot is the repository's top directory (this file is in go/otelcol/e2e).
func repoRoot(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Clean(filepath.Join(wd, "..", "..", ".."))
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// collector is the kpaudit-otelcol binary: $KPAUDIT_OTELCOL when set (as
// test.sh sets it after build.sh), else built once here by build.sh.
func collector(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("KPAUDIT_OTELCOL"); bin != "" {
		return bin
	}
	buildOnce.Do(func() {
		cmd := exec.Command("bash", filepath.Join(repoRoot(t), "go", "otelcol", "build.sh"))
		cmd.Stderr = os.Stderr
		var out []byte
		if out, buildErr = cmd.Output(); buildErr == nil {
			builtBin = strings.TrimSpace(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("build.sh: %v", buildErr)
	}
	return builtBin
}

// genEvents is the repository's generator's NDJSON for args (a package of
// its own, so it shares the cargo target directory without rebuilding the
// library).
func genEvents(t testing.TB, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("cargo", append([]string{"run", "--release", "--quiet", "-p", "gen-events", "--"}, args...)...)
	cmd.Dir = repoRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	data, err := cmd.Output()
	if err != nil {
		t.Fatalf("gen_events %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return data
}

// lines splits NDJSON at '\n', as filelog and the library do.
func lines(ndjson []byte) [][]byte {
	out := bytes.Split(ndjson, []byte("\n"))
	if len(out) > 0 && len(out[len(out)-1]) == 0 {
		out = out[:len(out)-1]
	}
	return out
}

// process is a running collector.
type process struct {
	cmd    *exec.Cmd
	log    string
	exited chan struct{} // closed when the process has exited
	err    error         // its exit status, once exited is closed
}

// startCollector runs the collector on config with env added, its output
// going to logPath.
func startCollector(t testing.TB, config, logPath string, env ...string) *process {
	t.Helper()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(collector(t), "--config", config)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logf.Close()
	p := &process{cmd: cmd, log: logPath, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		if p.running() {
			p.kill()
		}
	})
	return p
}

func (p *process) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// stop asks the collector to shut down (SIGTERM) and waits for it.
func (p *process) stop(t testing.TB) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.kill()
		t.Errorf("the collector did not stop within 30 s of SIGTERM (log %s)", p.log)
	}
}

// kill is kill -9.
func (p *process) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// logTail is the end of a collector's log, for failure messages.
func logTail(path string) string {
	data, _ := os.ReadFile(path)
	if len(data) > 3000 {
		data = data[len(data)-3000:]
	}
	return string(data)
}

// keyMaterial is the library's built-in list of key-material names
// (src/redact.rs), compared ignoring ASCII case.
var keyMaterial = []string{"payload", "encryptednonce", "iv", "plaintext", "ciphertext", "aad", "nonce", "authorization"}

// keyMaterialMember names the first key-material member found at any
// depth of an event (objects inside arrays included), or "". The one
// exception is the library's: an ingestion envelope's top-level payload,
// an object holding a string action, is the event, searched in turn.
func keyMaterialMember(event map[string]any) string {
	for k, e := range event {
		if strings.EqualFold(k, "payload") {
			if inner, ok := e.(map[string]any); ok {
				if _, ok := inner["action"].(string); ok {
					if found := keyMaterialIn(inner); found != "" {
						return found
					}
					continue
				}
			}
		}
		if found := keyMaterialIn(map[string]any{k: e}); found != "" {
			return found
		}
	}
	return ""
}

func keyMaterialIn(v any) string {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			for _, km := range keyMaterial {
				if strings.EqualFold(k, km) {
					return k
				}
			}
			if found := keyMaterialIn(e); found != "" {
				return found
			}
		}
	case []any:
		for _, e := range v {
			if found := keyMaterialIn(e); found != "" {
				return found
			}
		}
	case string:
		// Text holding JSON (a copy of a line) is looked into too.
		var parsed any
		if t := strings.TrimSpace(v); t != "" && (t[0] == '{' || t[0] == '[') && json.Unmarshal([]byte(t), &parsed) == nil {
			return keyMaterialIn(parsed)
		}
	}
	return ""
}

// readOTLPFile reads a file exporter's output: one OTLP JSON export
// request per line.
func readOTLPFile(t testing.TB, path string) []plog.Logs {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		t.Fatal(err)
	}
	var out []plog.Logs
	u := &plog.JSONUnmarshaler{}
	for i, line := range lines(data) {
		ld, err := u.UnmarshalLogs(line)
		if err != nil {
			// A line being written while we read: only the last one may be.
			if i == len(lines(data))-1 {
				break
			}
			t.Fatalf("%s line %d: %v", path, i+1, err)
		}
		out = append(out, ld)
	}
	return out
}

func decodeJSON(t testing.TB, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("output event is not a JSON object: %v", err)
	}
	return m
}

// freePort is a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// scrapeCounter sums the samples of a counter on a collector's Prometheus
// endpoint whose labels include every label="value" of match.
func scrapeCounter(t testing.TB, port int, name string, match ...string) float64 {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		t.Fatalf("scraping the collector's metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	found := false
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, m := range match {
			if !strings.Contains(line, m) {
				ok = false
			}
		}
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		sum += v
		found = true
	}
	if !found {
		t.Errorf("the collector exports no %s%v", name, match)
	}
	return sum
}

// waitFor polls cond every interval until it holds or the deadline passes.
func waitFor(timeout, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(interval)
	}
}

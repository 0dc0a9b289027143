//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// At debug level the Kafka receiver logs each message's raw bytes; the
// distribution refuses that combination when it reads the configuration.
// Checked on the README's Kafka example as written, with the one setting
// an operator would add to troubleshoot.
func TestExampleKafkaRefusesDebugLogs(t *testing.T) {
	example := filepath.Join(repoRoot(t), "go", "otelcol", "examples", "kafka.yaml")
	env := []string{"KAFKA_BROKERS=127.0.0.1:9", "KPAUDIT_CLIENT_ID=collector-1", "KPAUDIT_METRICS_PORT=8888"}
	validate := func(extra ...string) (string, error) {
		cmd := exec.Command(collector(t), append([]string{"validate", "--config", example}, extra...)...)
		cmd.Env = append(cmd.Environ(), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := validate(); err != nil {
		t.Fatalf("the example as written: %v\n%s", err, out)
	}
	for _, level := range []string{"debug", "DEBUG", "-1"} {
		out, err := validate("--set", "service::telemetry::logs::level="+level)
		if err == nil {
			t.Fatalf("level %s with the kafka receiver was accepted", level)
		}
		if !strings.Contains(out, `receiver "kafka" is configured`) || !strings.Contains(out, "raw bytes") {
			t.Fatalf("level %s: the refusal does not say why:\n%s", level, out)
		}
	}
}

// A filelog operator that logs the entry's attributes on a failure is
// refused; the quiet modes are accepted. Checked on examples/files.yaml
// with the operator an operator would add.
func TestExampleFilesRefusesLoudOperators(t *testing.T) {
	example, err := os.ReadFile(filepath.Join(repoRoot(t), "go", "otelcol", "examples", "files.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const anchor = "    max_log_size: 1MiB\n"
	if !strings.Contains(string(example), anchor) {
		t.Fatalf("examples/files.yaml no longer has %q", anchor)
	}
	env := []string{"KPAUDIT_INPUT=/dev/null", "KPAUDIT_OUT=" + t.TempDir(), "KPAUDIT_METRICS_PORT=8888"}
	for _, tc := range []struct {
		operator, refusal string
	}{
		{"      - type: json_parser\n", `on_error "send (the default)"`},
		{"      - type: json_parser\n        on_error: drop\n", `on_error "drop"`},
		{"      - type: json_parser\n        on_error: send_quiet\n", ""},
	} {
		config := strings.Replace(string(example), anchor, anchor+"    operators:\n"+tc.operator, 1)
		path := filepath.Join(t.TempDir(), "files.yaml")
		if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(collector(t), "validate", "--config", path)
		cmd.Env = append(cmd.Environ(), env...)
		out, err := cmd.CombinedOutput()
		switch {
		case tc.refusal == "" && err != nil:
			t.Errorf("%q refused: %v\n%s", tc.operator, err, out)
		case tc.refusal != "" && err == nil:
			t.Errorf("%q accepted", tc.operator)
		case tc.refusal != "" && !strings.Contains(string(out), tc.refusal):
			t.Errorf("%q: the refusal does not say %s:\n%s", tc.operator, tc.refusal, out)
		}
	}
}

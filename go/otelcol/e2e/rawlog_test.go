//go:build e2e

package e2e

import (
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
	for _, level := range []string{"debug", "DEBUG"} {
		out, err := validate("--set", "service::telemetry::logs::level="+level)
		if err == nil {
			t.Fatalf("level %s with the kafka receiver was accepted", level)
		}
		if !strings.Contains(out, `receiver "kafka" is configured`) || !strings.Contains(out, "raw bytes") {
			t.Fatalf("level %s: the refusal does not say why:\n%s", level, out)
		}
	}
}

package benthos

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	kpaudit "github.com/kpaudit/kpaudit/go"
	"github.com/redpanda-data/benthos/v4/public/service"
)

const usSouthCRN = "crn:v1:bluemix:public:kms:us-south:a/1:2::"

// fromYAML builds the processor as Benthos would from its YAML config.
func fromYAML(t *testing.T, yaml string) (*processor, error) {
	t.Helper()
	conf, err := spec().ParseYAML(yaml, nil)
	if err != nil {
		t.Fatalf("parse %q: %v", yaml, err)
	}
	config, err := configJSON(conf)
	if err != nil {
		return nil, err
	}
	p, err := newProcessor(config)
	if err == nil {
		t.Cleanup(func() { p.Close(context.Background()) })
	}
	return p, err
}

func run(t *testing.T, p *processor, events ...string) service.MessageBatch {
	t.Helper()
	batch := make(service.MessageBatch, len(events))
	for i, e := range events {
		batch[i] = service.NewMessage([]byte(e))
	}
	out, err := p.ProcessBatch(context.Background(), batch)
	if err != nil || len(out) != 1 || len(out[0]) != len(events) {
		t.Fatalf("ProcessBatch: %v, %v", out, err)
	}
	return out[0]
}

func content(t *testing.T, m *service.Message) string {
	t.Helper()
	b, err := m.AsBytes()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func meta(m *service.Message, key string) string {
	v, _ := m.MetaGet(key)
	return v
}

func TestTransformedMessage(t *testing.T) {
	p, err := fromYAML(t, "{}")
	if err != nil {
		t.Fatal(err)
	}
	m := run(t, p, `{"action":"kms.secrets.delete","payload":"c2VjcmV0","logSourceCRN":"`+usSouthCRN+`"}`)[0]
	if got, want := content(t, m), `{"action":"kms.secrets.delete","logSourceCRN":"`+usSouthCRN+`","severity":"critical"}`; got != want {
		t.Errorf("content %s, want %s", got, want)
	}
	if meta(m, MetaRoute) != "us-south" || meta(m, MetaSeverity) != "critical" || meta(m, MetaRedacted) != "1" {
		t.Errorf("metadata route %q severity %q redacted %q", meta(m, MetaRoute), meta(m, MetaSeverity), meta(m, MetaRedacted))
	}
	if m.GetError() != nil {
		t.Errorf("error %v on a transformed message", m.GetError())
	}
}

// A rejected event leaves only the reason: three fields, no input byte.
func TestRejectedMessage(t *testing.T) {
	p, err := fromYAML(t, "{}")
	if err != nil {
		t.Fatal(err)
	}
	bad := `{"payload":"K3YM4T3RIAL","action":`
	batch := run(t, p, bad, `{"a":1}`)
	m := batch[0]
	var record map[string]any
	if err := json.Unmarshal([]byte(content(t, m)), &record); err != nil {
		t.Fatal(err)
	}
	if len(record) != 3 || record["error"] != "KPAUDIT_INVALID_EVENT" || record["bytes"] != float64(len(bad)) ||
		!strings.Contains(record["message"].(string), "at byte") {
		t.Errorf("record %v", record)
	}
	if strings.Contains(content(t, m), "K3YM4T3RIAL") {
		t.Errorf("the record keeps the event's bytes: %s", content(t, m))
	}
	if !errors.Is(m.GetError(), kpaudit.ErrInvalidEvent) || meta(m, MetaError) != "KPAUDIT_INVALID_EVENT" {
		t.Errorf("error %v, %s %q", m.GetError(), MetaError, meta(m, MetaError))
	}
	if _, ok := m.MetaGet(MetaRoute); ok {
		t.Error("a rejected message has a route")
	}
	if batch[1].GetError() != nil || meta(batch[1], MetaRoute) != "unmatched" {
		t.Error("the next message of the batch was not transformed")
	}
}

func TestConfigFields(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kpaudit.json")
	if err := os.WriteFile(file, []byte(`{"route":{"destinations":{"us-south":"from-file"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, yaml, route string }{
		{"defaults", "{}", "us-south"},
		{"empty file name", `config_file: ""`, "us-south"},
		{"YAML object", "config:\n  route:\n    destinations:\n      us-south: at-dallas\n    field: null\n  limits:\n    max_event_bytes: 4096\n", "at-dallas"},
		{"JSON string", `config: '{"route":{"destinations":{"us-south":"as-json"}}}'`, "as-json"},
		{"file", "config_file: " + file, "from-file"},
	}
	for _, c := range cases {
		p, err := fromYAML(t, c.yaml)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := meta(run(t, p, `{"logSourceCRN":"`+usSouthCRN+`"}`)[0], MetaRoute); got != c.route {
			t.Errorf("%s: route %q, want %q", c.name, got, c.route)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"both", "config: {}\nconfig_file: x.json", "not both"},
		{"missing file", "config_file: /nonexistent/kpaudit.json", "config_file"},
		{"unknown key", "config:\n  route:\n    destinatons: {}\n", "route.destinatons"},
		{"bad JSON string", `config: '{"route":'`, "invalid config"},
	}
	for _, c := range cases {
		if _, err := fromYAML(t, c.yaml); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %q", c.name, err, c.want)
		}
	}
}

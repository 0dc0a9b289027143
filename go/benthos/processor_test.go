package benthos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
	config, source, err := configJSON(conf)
	if err != nil {
		return nil, err
	}
	p, err := newProcessor(config)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p, nil
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

// The exact text of each configuration error: which field, what is wrong.
func TestConfigErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte("{\"redact\": {\"fields\": [\"IV\"],}}"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, yaml, want string }{
		{"both", "config: {}\nconfig_file: x.json", "set one of config and config_file, not both"},
		{"missing file", "config_file: /nonexistent/kpaudit.json", "config_file: open /nonexistent/kpaudit.json: no such file or directory"},
		{"unknown key", "config:\n  route:\n    destinatons: {}\n", "config: kpaudit: invalid config: route.destinatons: unknown field `destinatons`, expected one of `regions`, `destinations`, `unmatched`, `field` at line 1 column 23"},
		{"bad JSON string", `config: '{"route":'`, "config: kpaudit: invalid config: line 1, column 9: EOF while parsing a value (the configuration is not valid JSON)"},
		{"dead-letter route", `config: '{"route":{"unmatched":"dead-letter"}}'`, "config: route \"dead-letter\" would write dead-letter.ndjson, the dead letters' file: rename it in the configuration"},
		{"bad file", "config_file: " + bad, "config_file " + bad + ": kpaudit: invalid config: line 1, column 30: trailing comma (the configuration is not valid JSON)"},
	}
	for _, c := range cases {
		if _, err := fromYAML(t, c.yaml); err == nil || err.Error() != c.want {
			t.Errorf("%s: error %v\n  want %s", c.name, err, c.want)
		}
	}
}

// checkNoRawContent fails if a message returned by the processor still
// holds its event: it must be transformed or replaced by a reason.
func checkNoRawContent(t *testing.T, m *service.Message, marker string) (transformed bool) {
	t.Helper()
	c := content(t, m)
	if strings.Contains(c, marker) {
		t.Fatalf("a message kept its raw content: %s", c)
	}
	if _, ok := m.MetaGet(MetaRoute); ok {
		if m.GetError() != nil || !strings.Contains(c, `"severity"`) {
			t.Fatalf("a routed message is not transformed: %s (%v)", c, m.GetError())
		}
		return true
	}
	var record map[string]any
	if err := json.Unmarshal([]byte(c), &record); err != nil || len(record) != 3 || m.GetError() == nil {
		t.Fatalf("neither transformed nor a rejection record: %s (%v)", c, m.GetError())
	}
	if meta(m, MetaError) != record["error"] {
		t.Fatalf("%s %q, record %v", MetaError, meta(m, MetaError), record)
	}
	return false
}

// Close while batches are in flight: every message that comes back is
// transformed or replaced, never raw; after Close, all are replaced.
func TestCloseRacingBatchesLeavesNoRawMessage(t *testing.T) {
	const marker = "K3YM4T3RIAL"
	event := `{"action":"kms.secrets.create","payload":"` + marker + `","logSourceCRN":"` + usSouthCRN + `"}`
	p, err := newProcessor(nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var transformed, replaced atomic.Int64
	start := make(chan struct{})
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for round := 0; round < 200; round++ {
				batch := make(service.MessageBatch, 16)
				for i := range batch {
					batch[i] = service.NewMessage([]byte(event))
				}
				out, err := p.ProcessBatch(context.Background(), batch)
				if err != nil || len(out) != 1 || len(out[0]) != len(batch) {
					t.Errorf("ProcessBatch: %d batches, %v", len(out), err)
					return
				}
				for _, m := range out[0] {
					if checkNoRawContent(t, m, marker) {
						transformed.Add(1)
					} else {
						replaced.Add(1)
						if meta(m, MetaError) != "KPAUDIT_CLOSED" || !errors.Is(m.GetError(), kpaudit.ErrClosed) {
							t.Errorf("after Close: %s %q, error %v", MetaError, meta(m, MetaError), m.GetError())
						}
					}
				}
			}
		}()
	}
	close(start)
	time.Sleep(5 * time.Millisecond)
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	t.Logf("%d transformed, %d replaced after Close", transformed.Load(), replaced.Load())
	if replaced.Load() == 0 {
		t.Error("no batch ran after Close: the race was not exercised")
	}
}

// An error or a panic in the middle of a batch: the messages before it are
// transformed, it and every later one are replaced by the reason.
func TestBatchLevelFailuresReplaceTheRest(t *testing.T) {
	const marker = "K3YM4T3RIAL"
	event := `{"action":"kms.secrets.read","iv":"` + marker + `"}`
	p, err := fromYAML(t, "{}")
	if err != nil {
		t.Fatal(err)
	}
	injected := errors.New("injected failure")
	for _, c := range []struct {
		name string
		hook func(*service.Message) error
		code string
	}{
		{"error", func(m *service.Message) error {
			if meta(m, "n") == "3" {
				return injected
			}
			return nil
		}, "KPAUDIT_FAILED"},
		{"panic", func(m *service.Message) error {
			if meta(m, "n") == "3" {
				panic("injected panic")
			}
			return nil
		}, "KPAUDIT_FAILED"},
	} {
		processHook = c.hook
		batch := make(service.MessageBatch, 6)
		for i := range batch {
			batch[i] = service.NewMessage([]byte(event))
			batch[i].MetaSet("n", strconv.Itoa(i))
		}
		out, err := p.ProcessBatch(context.Background(), batch)
		processHook = nil
		if err != nil || len(out) != 1 || len(out[0]) != 6 {
			t.Fatalf("%s: ProcessBatch: %v, %v", c.name, out, err)
		}
		for i, m := range out[0] {
			transformed := checkNoRawContent(t, m, marker)
			if transformed != (i < 3) {
				t.Errorf("%s: message %d transformed %v", c.name, i, transformed)
			}
			if i >= 3 && meta(m, MetaError) != c.code {
				t.Errorf("%s: message %d: %s %q", c.name, i, MetaError, meta(m, MetaError))
			}
		}
	}
}

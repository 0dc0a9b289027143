package kpauditprocessor

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// keyedLogs is one record (with body) whose record, scope and resource
// attributes carry key material the way receivers put it there: filelog's
// json_parser parses the event into the record's attributes, the Kafka
// receiver's header extraction puts headers in the resource's, OTLP senders
// put anything anywhere.
func keyedLogs(t *testing.T, body any) plog.Logs {
	t.Helper()
	ld := logsOf(t, body)
	rl := ld.ResourceLogs().At(0)
	if err := rl.Resource().Attributes().FromRaw(map[string]any{
		"host.name": "test", "kafka.header.Authorization": "x", "Authorization": "Bearer " + mark,
	}); err != nil {
		t.Fatal(err)
	}
	sl := rl.ScopeLogs().At(0)
	sl.Scope().Attributes().PutStr("IV", mark)
	if err := sl.LogRecords().At(0).Attributes().FromRaw(map[string]any{
		"log.file.name": "events.ndjson",
		"action":        "kms.secrets.wrap",
		"payload":       mark,
		"requestData":   map[string]any{"encryptedNonce": mark, "keep": 1, "keys": []any{map[string]any{"PlainText": mark, "id": 1}, "iv"}},
		"list":          []any{[]any{map[string]any{"aad": map[string]any{"deep": mark}}}},
	}); err != nil {
		t.Fatal(err)
	}
	return ld
}

func TestAttributesLoseKeyMaterial(t *testing.T) {
	for _, mode := range []string{"keep", "drop"} {
		t.Run(mode, func(t *testing.T) {
			cfg := defaultConfig()
			cfg.OnReject = mode
			h := newHarness(t, cfg)
			// A valid event and an invalid one: the attributes of both go on
			// (the reject's too, when kept).
			out := h.consume(t, keyedLogs(t, `{"action":"kms.secrets.wrap","payload":"`+mark+`"}`))
			out = append(out, h.consume(t, keyedLogs(t, `{"payload":"`+mark+``))...)
			h.noMark(t)
			want := 1
			if mode == "keep" {
				want = 2
			}
			if len(out) != want {
				t.Fatalf("%d records out, want %d", len(out), want)
			}
			lr := out[0]
			attrs := lr.Attributes().AsRaw()
			if attrs["log.file.name"] != "events.ndjson" || attrs["action"] != "kms.secrets.wrap" {
				t.Errorf("other attributes changed: %v", attrs)
			}
			rd := attrs["requestData"].(map[string]any)
			if _, ok := rd["encryptedNonce"]; ok || rd["keep"] != int64(1) {
				t.Errorf("requestData: %v", rd)
			}
			if keys := rd["keys"].([]any); len(keys) != 2 || keys[1] != "iv" || len(keys[0].(map[string]any)) != 1 {
				t.Errorf("keys: %v (a string value \"iv\" is not a member and stays)", keys)
			}
			// 1 in the body; 4 in the record's attributes (payload,
			// encryptedNonce, PlainText, aad).
			if got := attrInt(lr, "kpaudit.redacted"); got != 5 {
				t.Errorf("kpaudit.redacted = %d, want 5", got)
			}
			// The valid event's body 1, and per batch the record's 4, the
			// resource's 1 and the scope's 1 (the invalid event's body
			// counts nothing: it is rejected whole).
			if got := counterValue(t, h, metricRedacted, nil); got != 1+2*(4+1+1) {
				t.Errorf("%s = %d, want %d", metricRedacted, got, 1+2*(4+1+1))
			}
			for _, ld := range h.sink.AllLogs() {
				res := ld.ResourceLogs().At(0).Resource().Attributes().AsRaw()
				if _, ok := res["Authorization"]; ok || res["kafka.header.Authorization"] != "x" {
					t.Errorf("resource attributes: %v", res)
				}
				if ld.ResourceLogs().At(0).ScopeLogs().At(0).Scope().Attributes().Len() != 0 {
					t.Error("scope attributes keep IV")
				}
			}
		})
	}
}

func TestAttributesMasked(t *testing.T) {
	cfg := defaultConfig()
	cfg.Config = `{"redact":{"mode":"mask","mask":"***"}}`
	h := newHarness(t, cfg)
	out := h.consume(t, keyedLogs(t, `{"action":"kms.secrets.wrap"}`))
	h.noMark(t)
	attrs := out[0].Attributes()
	for _, path := range [][]string{{"payload"}, {"requestData", "encryptedNonce"}} {
		v, _ := attrs.Get(path[0])
		if len(path) == 2 {
			v, _ = v.Map().Get(path[1])
		}
		if v.Type() != pcommon.ValueTypeStr || v.Str() != "***" {
			t.Errorf("%v = %s, want the mask", path, v.AsString())
		}
	}
	if v, _ := attrs.Get("list"); v.AsString() != `[[{"aad":"***"}]]` {
		t.Errorf("list = %s: a masked map value becomes the mask", v.AsString())
	}
	if got := attrInt(out[0], "kpaudit.redacted"); got != 4 {
		t.Errorf("kpaudit.redacted = %d, want 4", got)
	}
}

package kpauditprocessor

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// keyedLogs is one record (with body) whose record, scope and resource
// attributes carry key material the way receivers put it there: filelog's
// json_parser parses the event into the record's attributes, the Kafka
// receiver's header extraction puts headers in the resource's as
// kafka.header.<name>, OTLP senders put anything anywhere.
func keyedLogs(t *testing.T, body any) plog.Logs {
	t.Helper()
	ld := logsOf(t, body)
	rl := ld.ResourceLogs().At(0)
	if err := rl.Resource().Attributes().FromRaw(map[string]any{
		"host.name": "test", "kafka.header.x-request-id": "r1",
		"kafka.header.Authorization": "Bearer " + mark, "Authorization": "Bearer " + mark,
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

			// A valid event: its attributes lose their key material.
			out := h.consume(t, keyedLogs(t, `{"action":"kms.secrets.wrap","payload":"`+mark+`"}`))
			h.noMark(t)
			if len(out) != 1 {
				t.Fatalf("%d records out, want 1", len(out))
			}
			attrs := out[0].Attributes().AsRaw()
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
			if got := attrInt(out[0], "kpaudit.redacted"); got != 5 {
				t.Errorf("kpaudit.redacted = %d, want 5", got)
			}
			ld := h.sink.AllLogs()[0]
			res := ld.ResourceLogs().At(0).Resource().Attributes().AsRaw()
			if len(res) != 2 || res["kafka.header.x-request-id"] != "r1" || res["host.name"] != "test" {
				t.Errorf("resource attributes: %v, want host.name and kafka.header.x-request-id", res)
			}
			if ld.ResourceLogs().At(0).ScopeLogs().At(0).Scope().Attributes().Len() != 0 {
				t.Error("scope attributes keep IV")
			}

			// An invalid event: kept, its attributes go on stripped too;
			// dropped, nothing goes on.
			out = h.consume(t, keyedLogs(t, `{"payload":"`+mark+``))
			h.noMark(t)
			if want := map[string]int{"keep": 1, "drop": 0}[mode]; len(out) != want {
				t.Fatalf("%d records out for the invalid event, want %d", len(out), want)
			}
			if mode == "keep" {
				if _, ok := out[0].Attributes().Get("payload"); ok {
					t.Error("a kept reject keeps a key-material attribute")
				}
			}
			// The valid event's body 1, and per batch the record's 4, the
			// resource's 2 and the scope's 1 (the invalid event's body
			// counts nothing: it is rejected whole).
			if got := counterValue(t, h, metricRedacted, nil); got != 1+2*(4+2+1) {
				t.Errorf("%s = %d, want %d", metricRedacted, got, 1+2*(4+2+1))
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
	res := h.sink.AllLogs()[0].ResourceLogs().At(0).Resource().Attributes().AsRaw()
	if res["kafka.header.Authorization"] != "***" || res["Authorization"] != "***" {
		t.Errorf("resource attributes: %v", res)
	}
}

// The client metadata (Kafka record headers, HTTP headers with
// include_metadata) reaches exporters through the context: it is passed on
// without key material.
func TestClientMetadataLosesKeyMaterial(t *testing.T) {
	eachRedactMode(t, func(t *testing.T, h *harness, mask string) {
		ctx := client.NewContext(context.Background(), client.Info{Metadata: client.NewMetadata(map[string][]string{
			"Authorization": {"Bearer " + mark}, "x.iv": {mark}, "kafka_partition": {"3"},
		})})
		if err := h.proc.ConsumeLogs(ctx, logsOf(t, `{"action":"kms.secrets.wrap"}`)); err != nil {
			t.Fatal(err)
		}
		ctxs := h.sink.Contexts()
		if len(ctxs) != 1 {
			t.Fatalf("%d contexts", len(ctxs))
		}
		md := client.FromContext(ctxs[0]).Metadata
		for _, k := range []string{"authorization", "x.iv"} {
			got := md.Get(k)
			if (mask == "" && got != nil) || (mask != "" && (len(got) != 1 || got[0] != mask)) {
				t.Errorf("metadata %s = %q, want %q", k, got, mask)
			}
		}
		if got := md.Get("kafka_partition"); len(got) != 1 || got[0] != "3" {
			t.Errorf("metadata kafka_partition = %q", got)
		}
		if got := counterValue(t, h, metricRedacted, nil); got != 2 {
			t.Errorf("%s = %d, want 2", metricRedacted, got)
		}
	})
}

// Text that holds a copy of the raw event (an operator that copies the
// line into an attribute, a header holding a request body) is not passed
// on: a string or bytes value holding a key-material member name is
// removed whole, or masked, wherever it is.
func TestAttributeTextHoldingKeyMaterial(t *testing.T) {
	raw := `{"action":"kms.secrets.wrap","requestData":{"Payload":"` + mark + `"}}`
	escaped := strings.ReplaceAll(raw, `"`, `\"`)
	eachRedactMode(t, func(t *testing.T, h *harness, mask string) {
		ld := logsOf(t, `{"action":"kms.secrets.wrap"}`)
		rl := ld.ResourceLogs().At(0)
		rl.Resource().Attributes().PutStr("original", raw)
		attrs := rl.ScopeLogs().At(0).LogRecords().At(0).Attributes()
		attrs.PutStr("log.record.original", raw)
		attrs.PutStr("note", `say "hi" to "iv2"`)
		attrs.PutEmptyBytes("raw.bytes").FromRaw([]byte(raw))
		// Quotes as \u escapes, no quote byte; a key that holds the text.
		attrs.PutStr("unicode", "{\\u0022iv\\u0022:\\u0022"+mark+"\\u0022}")
		attrs.PutStr(`{"iv":"`+mark+`"}`, "v")
		if err := attrs.PutEmptyMap("http").FromRaw(map[string]any{"body": escaped, "status": 200}); err != nil {
			t.Fatal(err)
		}
		if err := attrs.PutEmptySlice("lines").FromRaw([]any{"plain", raw, []any{escaped}}); err != nil {
			t.Fatal(err)
		}
		ctx := client.NewContext(context.Background(), client.Info{Metadata: client.NewMetadata(map[string][]string{
			"x-original": {"ok", raw}, "x-id": {"r1"},
		})})
		if err := h.proc.ConsumeLogs(ctx, ld); err != nil {
			t.Fatal(err)
		}
		h.noMark(t)
		out := h.sink.AllLogs()[0]
		got := out.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().AsRaw()
		want := map[string]any{
			"note":  `say "hi" to "iv2"`,
			"http":  map[string]any{"status": int64(200)},
			"lines": []any{"plain", []any{}},
		}
		if mask != "" {
			for _, k := range []string{"log.record.original", "raw.bytes", "unicode"} {
				want[k] = mask
			}
			want["http"].(map[string]any)["body"] = mask
			want["lines"] = []any{"plain", mask, []any{mask}}
		}
		for k, v := range want {
			if fmt.Sprint(got[k]) != fmt.Sprint(v) {
				t.Errorf("attribute %s = %v, want %v", k, got[k], v)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok && !strings.HasPrefix(k, "kpaudit.") {
				t.Errorf("attribute %s = %v is left", k, got[k])
			}
		}
		res := out.ResourceLogs().At(0).Resource().Attributes().AsRaw()
		if v, ok := res["original"]; ok != (mask != "") || (ok && v != mask) {
			t.Errorf("resource attribute original = %v", v)
		}
		md := client.FromContext(h.sink.Contexts()[0]).Metadata
		if v := md.Get("x-original"); (mask == "" && v != nil) || (mask != "" && (len(v) != 1 || v[0] != mask)) {
			t.Errorf("metadata x-original = %q", v)
		}
		if v := md.Get("x-id"); len(v) != 1 || v[0] != "r1" {
			t.Errorf("metadata x-id = %q", v)
		}
		// Record: the original, the bytes, the unicode one, the key,
		// http.body, two in lines; the resource's original; the
		// metadata entry.
		if got := counterValue(t, h, metricRedacted, nil); got != 9 {
			t.Errorf("%s = %d, want 9", metricRedacted, got)
		}
	})
}

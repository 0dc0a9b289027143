package benthos

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// metaMessage is a message whose metadata carries key material the way
// inputs put it there: HTTP headers (http_server), Kafka headers, and a
// structured value set by an earlier processor.
func metaMessage(content string) *service.Message {
	m := service.NewMessage([]byte(content))
	m.MetaSet("Authorization", "Bearer "+mark)
	m.MetaSet("kafka_key", "k1")
	m.MetaSet("IV", mark)
	m.MetaSetMut("parsed", map[string]any{
		"action": "kms.secrets.wrap", "payload": mark,
		"keys": []any{map[string]any{"encryptedNonce": mark, "id": "1"}, "iv"},
	})
	return m
}

const mark = "K3YM4T3RIAL"

func TestMetadataLosesKeyMaterial(t *testing.T) {
	p, err := fromYAML(t, "{}")
	if err != nil {
		t.Fatal(err)
	}
	shared := metaMessage(`{"action":"kms.secrets.wrap","payload":"x"}`)
	parsedBefore, _ := shared.MetaGetMut("parsed")
	batch := service.MessageBatch{
		shared.Copy(),
		metaMessage(`{"action":`), // rejected: its metadata goes on too
	}
	out, err := p.ProcessBatch(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range out[0] {
		for _, k := range []string{"Authorization", "IV"} {
			if _, ok := m.MetaGetMut(k); ok {
				t.Errorf("message %d keeps metadata %s", i, k)
			}
		}
		if meta(m, "kafka_key") != "k1" {
			t.Errorf("message %d lost kafka_key", i)
		}
		parsed, _ := m.MetaGetMut("parsed")
		pm := parsed.(map[string]any)
		if _, ok := pm["payload"]; ok || pm["action"] != "kms.secrets.wrap" {
			t.Errorf("message %d: parsed %v", i, pm)
		}
		keys := pm["keys"].([]any)
		if len(keys[0].(map[string]any)) != 1 || keys[1] != "iv" {
			t.Errorf("message %d: keys %v", i, keys)
		}
		walk := func(v any) bool { return strings.Contains(fmtValue(v), mark) }
		_ = m.MetaWalkMut(func(k string, v any) error {
			if walk(v) {
				t.Errorf("message %d: metadata %s holds key material: %v", i, k, v)
			}
			return nil
		})
	}
	// 1 in the content, 2 top-level metadata, 2 inside "parsed".
	if got := meta(out[0][0], MetaRedacted); got != "5" {
		t.Errorf("%s = %s, want 5", MetaRedacted, got)
	}
	if out[0][1].GetError() == nil || meta(out[0][1], MetaError) != "KPAUDIT_INVALID_EVENT" {
		t.Error("the second message was not rejected")
	}
	// The original message's structured value, shared by the copy, is
	// untouched: a changed value is a copy.
	if pm := parsedBefore.(map[string]any); pm["payload"] != mark {
		t.Errorf("the shared metadata value was changed in place: %v", pm)
	}
}

func TestMetadataMasked(t *testing.T) {
	p, err := fromYAML(t, `config: {redact: {mode: mask, mask: "***"}}`)
	if err != nil {
		t.Fatal(err)
	}
	m := run2(t, p, metaMessage(`{"action":"kms.secrets.wrap"}`))
	if meta(m, "Authorization") != "***" || meta(m, "IV") != "***" {
		t.Errorf("Authorization %q, IV %q: want the mask", meta(m, "Authorization"), meta(m, "IV"))
	}
	parsed, _ := m.MetaGetMut("parsed")
	if pm := parsed.(map[string]any); pm["payload"] != "***" {
		t.Errorf("parsed %v", pm)
	}
	if got := meta(m, MetaRedacted); got != "4" {
		t.Errorf("%s = %s, want 4", MetaRedacted, got)
	}
}

func run2(t *testing.T, p *processor, m *service.Message) *service.Message {
	t.Helper()
	out, err := p.ProcessBatch(context.Background(), service.MessageBatch{m})
	if err != nil || len(out) != 1 || len(out[0]) != 1 {
		t.Fatalf("ProcessBatch: %v, %v", out, err)
	}
	return out[0][0]
}

func fmtValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		var b strings.Builder
		for k, e := range v {
			b.WriteString(k + ":" + fmtValue(e) + " ")
		}
		return b.String()
	case []any:
		var b strings.Builder
		for _, e := range v {
			b.WriteString(fmtValue(e) + " ")
		}
		return b.String()
	}
	return ""
}

// Messages that a batch-level failure replaces lose their key-material
// metadata too; should stripping itself fail, the message keeps no
// metadata at all.
func TestMetadataOfFailedMessages(t *testing.T) {
	p, err := fromYAML(t, "{}")
	if err != nil {
		t.Fatal(err)
	}
	batch := service.MessageBatch{metaMessage(`{"action":"kms.secrets.wrap"}`), metaMessage(`{"action":"kms.secrets.wrap"}`)}
	batch[1].MetaSet("n", "1")
	processHook = func(m *service.Message) error {
		if meta(m, "n") == "1" {
			return errors.New("injected failure")
		}
		return nil
	}
	out, err := p.ProcessBatch(context.Background(), batch)
	processHook = nil
	if err != nil {
		t.Fatal(err)
	}
	m := out[0][1]
	if meta(m, MetaError) != "KPAUDIT_FAILED" {
		t.Fatalf("the message was not failed: %s %q", MetaError, meta(m, MetaError))
	}
	for _, k := range []string{"Authorization", "IV"} {
		if _, ok := m.MetaGetMut(k); ok {
			t.Errorf("a failed message keeps metadata %s", k)
		}
	}
	if meta(m, "kafka_key") != "k1" {
		t.Error("a failed message lost kafka_key")
	}

	scrubHook = func(*service.Message) { panic("injected panic") }
	m = run2(t, p, metaMessage(`{"action":"kms.secrets.wrap"}`))
	scrubHook = nil
	_ = m.MetaWalkMut(func(k string, _ any) error {
		if !strings.HasPrefix(k, "kpaudit_") {
			t.Errorf("metadata %s kept after stripping failed", k)
		}
		return nil
	})
	if content(t, m) != `{"action":"kms.secrets.wrap","severity":"normal"}` {
		t.Errorf("content %s", content(t, m))
	}
}

// Metadata text holding a copy of the raw event (an input that keeps the
// request body in a header, an earlier processor that saved the line) goes
// whole, or is masked: at the top, in maps, in lists.
func TestMetadataTextHoldingKeyMaterial(t *testing.T) {
	raw := `{"action":"kms.secrets.wrap","requestData":{"Payload":"` + mark + `"}}`
	escaped := strings.ReplaceAll(raw, `"`, `\"`)
	for _, tc := range []struct{ config, mask string }{
		{"{}", ""},
		{`config: {redact: {mode: mask, mask: "***"}}`, "***"},
	} {
		p, err := fromYAML(t, tc.config)
		if err != nil {
			t.Fatal(err)
		}
		m := service.NewMessage([]byte(`{"action":"kms.secrets.wrap"}`))
		m.MetaSet("original", raw)
		m.MetaSetMut("raw_bytes", []byte(raw))
		m.MetaSet("note", `say "hi"`)
		// Quotes as \u escapes, no quote byte; a key that holds the text.
		m.MetaSet("unicode", "{\\u0022iv\\u0022:\\u0022"+mark+"\\u0022}")
		m.MetaSet(`{"iv":"`+mark+`"}`, "v")
		list := []any{"plain", escaped, map[string]any{"body": raw, "id": "1", `{"aad":1}`: "x"}}
		m.MetaSetMut("saved", list)
		out := run2(t, p, m)
		_ = out.MetaWalkMut(func(k string, v any) error {
			if strings.Contains(fmtValue(v), mark) {
				t.Errorf("%q: metadata %s holds key material: %v", tc.config, k, v)
			}
			return nil
		})
		_ = out.MetaWalkMut(func(k string, _ any) error {
			if strings.Contains(k, mark) {
				t.Errorf("%q: a metadata key holds key material: %s", tc.config, k)
			}
			return nil
		})
		for _, k := range []string{"original", "raw_bytes", "unicode"} {
			v, ok := out.MetaGetMut(k)
			if ok != (tc.mask != "") || (ok && v != tc.mask) {
				t.Errorf("%q: metadata %s = %v", tc.config, k, v)
			}
		}
		if meta(out, "note") != `say "hi"` {
			t.Errorf("%q: note = %q", tc.config, meta(out, "note"))
		}
		saved, _ := out.MetaGetMut("saved")
		want := `[plain map[id:1]]`
		if tc.mask != "" {
			want = `[plain *** map[body:*** id:1]]`
		}
		if got := fmt.Sprint(saved); got != want {
			t.Errorf("%q: saved = %s, want %s", tc.config, got, want)
		}
		if list[1] != escaped {
			t.Errorf("%q: the list was changed in place", tc.config)
		}
		// original, raw_bytes, unicode, the key; in saved: escaped,
		// body, the key holding text.
		if got := meta(out, MetaRedacted); got != "7" {
			t.Errorf("%q: %s = %s, want 7", tc.config, MetaRedacted, got)
		}
	}
}

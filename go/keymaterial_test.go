package kpaudit

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// KeyMaterial.Is must agree with what the transform strips from an event:
// each listed name in several cases, and near misses (Unicode case folds,
// a letter more or less), decided both ways.
func TestKeyMaterialAgreesWithTheTransform(t *testing.T) {
	for _, cfg := range []string{``, `{"services":["kms"]}`, `{"redact":{"fields":["SecretValue"],"inferred":false}}`} {
		tr, err := New([]byte(cfg))
		if err != nil {
			t.Fatal(err)
		}
		k := tr.KeyMaterial()
		if len(k.Names()) < 8 {
			t.Fatalf("config %q: %d key-material names, want Key Protect's 8 at least", cfg, len(k.Names()))
		}
		var names []string
		for _, n := range k.Names() {
			names = append(names, n, strings.ToUpper(n), strings.ToUpper(n[:1])+n[1:], n+"s", n[1:])
			if i := strings.IndexByte(n, 'k'); i >= 0 {
				names = append(names, n[:i]+"\u212a"+n[i+1:]) // Kelvin sign: a Unicode fold of k
			}
			if i := strings.IndexByte(n, 's'); i >= 0 {
				names = append(names, n[:i]+"\u017f"+n[i+1:]) // long s: a Unicode fold of s
			}
			if i := strings.IndexByte(n, 'i'); i >= 0 {
				names = append(names, n[:i]+"\u0131"+n[i+1:], n[:i]+"\u0130"+n[i+1:]) // i to Java's equalsIgnoreCase
			}
		}
		// What encoding/json would fill a struct's SecretAccessKey field with.
		if folded := "\u017fecret_acce\u017f\u017f_\u212aey"; cfg == "" && !k.Is(folded) {
			t.Errorf("%q is not key material", folded)
		}
		names = append(names, "p\u00e1yload", "\u0130v", "", "route", "secretvalue")
		for _, name := range names {
			event, _ := json.Marshal(map[string]any{"action": "kms.secrets.create", name: "x"})
			res, err := tr.Process(event)
			if err != nil {
				t.Fatalf("config %q, name %q: %v", cfg, name, err)
			}
			var out map[string]any
			if err := json.Unmarshal(res.Event, &out); err != nil {
				t.Fatal(err)
			}
			_, kept := out[name]
			if stripped := !kept; stripped != k.Is(name) {
				t.Errorf("config %q, name %q: the transform strips it: %v, KeyMaterial.Is: %v", cfg, name, stripped, k.Is(name))
			}
		}
		if _, ok := k.Mask(); ok {
			t.Errorf("config %q: remove mode reports a mask", cfg)
		}
		tr.Close()
		if !k.Is("PAYLOAD") {
			t.Error("KeyMaterial stops working after Close")
		}
	}
}

// In mask mode, the mask is what the transform writes for a key-material
// value, and the names it masks are the ones Is reports.
func TestKeyMaterialMask(t *testing.T) {
	tr, err := New([]byte(`{"redact":{"mode":"mask","mask":"<\u00e9\"x>"}}`))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	k := tr.KeyMaterial()
	mask, ok := k.Mask()
	if !ok || mask != "<\u00e9\"x>" {
		t.Fatalf("Mask() = %q, %v; want the configured string", mask, ok)
	}
	for _, name := range []string{"payload", "IV", "Api_Key", "payloads", "severity_x"} {
		event, _ := json.Marshal(map[string]any{"action": "kms.secrets.create", name: "x"})
		res, err := tr.Process(event)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		if err := json.Unmarshal(res.Event, &out); err != nil {
			t.Fatal(err)
		}
		if masked := out[name] == mask; masked != k.Is(name) {
			t.Errorf("name %q: the transform masks it: %v (value %v), KeyMaterial.Is: %v", name, masked, out[name], k.Is(name))
		}
	}
}

// The names follow the services: HPCS's credentials only while hs-crypto
// is enabled, the configured fields always.
func TestKeyMaterialNames(t *testing.T) {
	has := func(cfg, name string) bool {
		tr, err := New([]byte(cfg))
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		for _, n := range tr.KeyMaterial().Names() {
			if n == name {
				return true
			}
		}
		return false
	}
	if !has(``, "api_key") || has(`{"services":["kms"]}`, "api_key") {
		t.Error("HPCS's api_key is not listed exactly while hs-crypto is enabled")
	}
	if !has(`{"redact":{"fields":["SecretValue"]}}`, "secretvalue") {
		t.Error("a configured field is not listed, lower-cased")
	}
	if !has(`{"services":["kms"]}`, "encryptednonce") {
		t.Error("Key Protect's encryptedNonce is not listed")
	}
}

// A host strips key material from what it carries beside the event, such
// as a message's metadata, with the transform's own rule.
func ExampleKeyMaterial() {
	t, err := New(nil)
	if err != nil {
		panic(err)
	}
	defer t.Close()
	k := t.KeyMaterial()
	metadata := map[string]string{"source": "kp-raw", "Payload": "c2VjcmV0", "IV": "AAAA"}
	for name := range metadata {
		if k.Is(name) {
			delete(metadata, name)
		}
	}
	fmt.Println(metadata)
	// Output: map[source:kp-raw]
}

// InText finds a key-material member name in text: a copy of the raw
// event, the same escaped once as JSON inside a JSON string, or spelled
// with \u escapes; and not a name that is unquoted, without its colon,
// longer, or only similar.
func TestKeyMaterialInText(t *testing.T) {
	tr := defaultTransform(t)
	k := tr.KeyMaterial()
	raw := `{"action":"kms.secrets.wrap","requestData":{"Payload":"c2VjcmV0"}}`
	escaped, _ := json.Marshal(raw) // "{\"action\": ... \"Payload\": ...}"
	twice, _ := json.Marshal(string(escaped))
	for _, s := range []string{
		raw,
		string(escaped),
		string(twice),
		raw[:len(raw)-8], // a cut line
		`{"a":1,"encryptedNonce":"x"}`,
		`{"pay\u006coad":"x"}`,
		`{\"\u0069v\":\"x\"}`,
		`{ "iv" :1}`,
		`{\u0022payload\u0022:\u0022x\u0022}`,
		`{\\u0022iv\\u0022\\u003A1}`,
		`{"iv"\u0020:1}`,
		`{\"iv\"\\n:1}`,
	} {
		if !k.InText(s) {
			t.Errorf("InText(%q) = false", s)
		}
	}
	for _, s := range []string{
		"",
		"/var/log/kp/events.ndjson",
		`{"action":"kms.secrets.wrap","requestData":{"keyVersion":{"id":"x"}}}`,
		`payload=x iv=y`,
		`{"payloads":"x","ivy":"y","p\u00e1yload":"z"}`,
		`"`,
		`"\`,
		`"\u00"`,
		`{"a":"payload"}`,
		`"\u+069v":1`,
		`{\u0022iv\u0022 \u0041:1}`,
		`C:\users\u0022x`,
		`x "IV" y`,
		`the "payload" member: missing`,
	} {
		if k.InText(s) {
			t.Errorf("InText(%q) = true", s)
		}
	}
}

// InText is the test the library applies to a string value: the transform
// nulls exactly the values InText reports.
func TestKeyMaterialInTextAgreesWithTheTransform(t *testing.T) {
	tr := defaultTransform(t)
	k := tr.KeyMaterial()
	texts := []string{
		`{"payload":"x"}`, `{\"iv\":1}`, `{\\\"iv\\\" : 1}`, `{"pay\u006coad":1}`, `{\"\\u0069v\":1}`,
		"{\n \"iv\"\t:1}", `{\"iv\"\n:1}`, `{"PLAINTEXT":"cut`, `{ "iv" :1}`,
		``, `the "iv" member`, `{"a":"payload"}`, `{"payloads":1}`, `"`, `"\u00":1`, `{"ivy":2}`,
		`x"aad"y:`, `"aad"  ,:`, `"nonce"\x:`,
		`{\u0022payload\u0022:\u0022x\u0022}`, `{\\u0022iv\\u0022\\u003A1}`, `{"iv"\u0020:1}`, `{\"iv\"\\n:1}`,
		`"\u+069v":1`, `{\u0022iv\u0022 \u0041:1}`, `C:\users\u0022x`, `"\ud800":1`, `{"\u00":1}`,
	}
	for _, s := range texts {
		event, _ := json.Marshal(map[string]any{"action": "kms.secrets.wrap", "note": s})
		res, err := tr.Process(event)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		var out map[string]any
		if err := json.Unmarshal(res.Event, &out); err != nil {
			t.Fatal(err)
		}
		if nulled := out["note"] == nil; nulled != k.InText(s) {
			t.Errorf("%q: the transform nulls it: %v, InText: %v", s, nulled, k.InText(s))
		}
	}
}

// defaultTransform is a transform on the built-in defaults, closed when
// the test ends.
func defaultTransform(t *testing.T) *Transform {
	t.Helper()
	tr, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

package kpaudit

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRedaction(t *testing.T) {
	tr := newTransform(t, "")
	cases := []struct {
		name, event, want string
		redacted          int
	}{
		{"top level", `{"a":1,"payload":"MARK","b":2}`, `{"a":1,"b":2,"severity":"normal"}`, 1},
		{"encryptedNonce", `{"encryptedNonce":"MARK","k":1}`, `{"k":1,"severity":"normal"}`, 1},
		{"authorization", `{"requestHeader":{"authorization":"Bearer MARK","x":1}}`, `{"requestHeader":{"x":1},"severity":"normal"}`, 1},
		{"in arrays", `{"keys":[{"iv":"MARK","id":1},[{"nonce":{"x":[1,2]}}]]}`, `{"keys":[{"id":1},[{}]],"severity":"normal"}`, 2},
		{"any value", `{"r":{"ciphertext":null,"aad":["MARK"],"n":1e5}}`, `{"r":{"n":1e5},"severity":"normal"}`, 2},
		{"escaped and any case", `{"Pay\u006coad":"MARK","PAYLOAD":"MARK","\u0069\u0076":"MARK","keep":1}`, `{"keep":1,"severity":"normal"}`, 3},
		{"a value equal to a name stays", `{"field":"payload","list":["iv"]}`, `{"field":"payload","list":["iv"],"severity":"normal"}`, 0},
		{"duplicates each time", `{"payload":"MARK","x":1,"payload":"MARK","y":{"iv":1,"iv":2}}`, `{"x":1,"y":{},"severity":"normal"}`, 4},
		{"inside a removed value counts once", `{"payload":{"iv":1,"nonce":[{"aad":2}]},"k":1}`, `{"k":1,"severity":"normal"}`, 1},
		{"look-alike is another name", `{"p\u0430yload":1}`, `{"p\u0430yload":1,"severity":"normal"}`, 0},
	}
	for _, c := range cases {
		r := process(t, tr, c.event)
		if string(r.Event) != c.want || r.Redacted != c.redacted {
			t.Errorf("%s: got %s (%d redacted), want %s (%d)", c.name, r.Event, r.Redacted, c.want, c.redacted)
		}
		if strings.Contains(string(r.Event), "MARK") {
			t.Errorf("%s: key material in %s", c.name, r.Event)
		}
		if !json.Valid(r.Event) {
			t.Errorf("%s: invalid JSON %s", c.name, r.Event)
		}
	}
}

func TestRedactionConfigured(t *testing.T) {
	extra := newTransform(t, `{"redact":{"fields":["secretValue","Token"]}}`)
	r := process(t, extra, `{"SECRETVALUE":1,"token":2,"payload":3,"k":4}`)
	if want := `{"k":4,"severity":"normal"}`; string(r.Event) != want || r.Redacted != 3 {
		t.Errorf("extra fields: got %s (%d), want %s (3)", r.Event, r.Redacted, want)
	}
	mask := newTransform(t, `{"redact":{"mode":"mask","mask":"[gone]"}}`)
	r = process(t, mask, `{"payload":{"iv":1},"a":[{"Nonce":"n"}]}`)
	if want := `{"payload":"[gone]","a":[{"Nonce":"[gone]"}],"severity":"normal"}`; string(r.Event) != want || r.Redacted != 2 {
		t.Errorf("mask: got %s (%d), want %s (2)", r.Event, r.Redacted, want)
	}
}

func TestPassThroughByteForByte(t *testing.T) {
	tr := newTransform(t, "")
	e := `{"n":1.50e3,"big":123456789012345678901234567890,"esc":"\u00e9\n\"\/","utf8":"café 🔑","dup":1,"dup":2,"arr":[ 1 , { "k" : [ ] } ]}`
	want := e[:len(e)-1] + `,"severity":"normal"}`
	if r := process(t, tr, e); string(r.Event) != want {
		t.Errorf("got  %s\nwant %s", r.Event, want)
	}
}

package kpaudit

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

const mark = "K3YM4T3RIAL"

func TestBadInputIsATypedErrorWithNoOutput(t *testing.T) {
	tr := newTransform(t, `{"limits":{"max_event_bytes":64}}`)
	cases := []struct {
		name  string
		event []byte
		want  error
		what  string
	}{
		{"nil", nil, ErrInvalidEvent, "empty event at byte 0"},
		{"empty", []byte{}, ErrInvalidEvent, "empty event at byte 0"},
		{"not an object", []byte(`["` + mark + `"]`), ErrInvalidEvent, "array, not a JSON object"},
		{"invalid JSON", []byte(`{"a":"` + mark), ErrInvalidEvent, "unterminated string at byte 5"},
		{"truncated", []byte(`{"payload":"` + mark + `",`), ErrInvalidEvent, "unexpected end of input"},
		{"invalid UTF-8", []byte("{\"a\":\"\xff\"}"), ErrInvalidEvent, "invalid UTF-8 at byte 6"},
		{"lone surrogate", []byte(`{"a":"\ud800"}`), ErrInvalidEvent, "unpaired surrogate escape at byte 6"},
		{"control character", []byte("{\"a\":\"\x00\"}"), ErrInvalidEvent, "control character in a string at byte 6"},
		{"oversized", []byte(`{"payload":"` + strings.Repeat(mark, 8) + `"}`), ErrEventTooLarge, "over the limit of 64"},
		{"oversized garbage", bytes.Repeat([]byte{0xff}, 65), ErrEventTooLarge, "over the limit of 64"},
	}
	for _, c := range cases {
		r, err := tr.Process(c.event)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
			continue
		}
		var kerr *Error
		if !errors.As(err, &kerr) || !strings.Contains(kerr.Message, c.what) {
			t.Errorf("%s: %v does not say %q", c.name, err, c.what)
		}
		if strings.Contains(err.Error(), mark) {
			t.Errorf("%s: the error quotes the event: %v", c.name, err)
		}
		if r.Event != nil || r.Route != "" || r.Severity != Normal || r.Redacted != 0 {
			t.Errorf("%s: output after a failure: %+v", c.name, r)
		}
	}
}

func TestErrorsMatchOnlyTheirOwnCode(t *testing.T) {
	tr := newTransform(t, "")
	_, err := tr.Process([]byte("{"))
	for _, other := range []error{ErrEventTooLarge, ErrInvalidConfig, ErrNullArgument, ErrPanic, ErrClosed} {
		if errors.Is(err, other) {
			t.Errorf("%v matches %v", err, other)
		}
	}
	var kerr *Error
	if !errors.As(err, &kerr) || kerr.Code != CodeInvalidEvent || kerr.Code.String() != "KPAUDIT_INVALID_EVENT" {
		t.Errorf("%#v", err)
	}
}

func TestInvalidConfigNamesTheKey(t *testing.T) {
	cases := []struct{ config, what string }{
		{`{"route":{"destinatons":{}}}`, "route.destinatons: unknown field"},
		{`{"severity":{"default":"high"}}`, "severity.default"},
		{`{"limits":{"max_event_bytes":0}}`, "limits.max_event_bytes"},
		{`not json`, "invalid config"},
	}
	for _, c := range cases {
		tr, err := New([]byte(c.config))
		if tr != nil || !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), c.what) {
			t.Errorf("New(%s) = %v, %v; want ErrInvalidConfig naming %q", c.config, tr, err, c.what)
		}
	}
}

func TestNilAndEmptyConfigAreTheDefaults(t *testing.T) {
	for _, config := range [][]byte{nil, {}, []byte("{}")} {
		tr, err := New(config)
		if err != nil {
			t.Fatalf("New(%q): %v", config, err)
		}
		if got := process(t, tr, eventWith("kms.secrets.delete", "200")); got.Severity != Critical || got.Route != "us-south" {
			t.Errorf("New(%q): %+v", config, got)
		}
		tr.Close()
	}
}

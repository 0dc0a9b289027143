package kpaudit

import (
	"errors"
	"testing"
)

// The exact text of every error a Go host shows: the library's message
// behind "kpaudit: ", the code's name, and the package's own errors.
func TestMessageTexts(t *testing.T) {
	tr := newTransform(t, `{"limits":{"max_event_bytes":32}}`)
	events := []struct{ event, want string }{
		{"not json", "kpaudit: invalid event: invalid literal at byte 0"},
		{"null", "kpaudit: invalid event: the event is null, not a JSON object at byte 0"},
		{"", "kpaudit: invalid event: empty event at byte 0"},
		{`{"a":1`, "kpaudit: invalid event: unexpected end of input, expected ',' or '}' after an object member at byte 6"},
		{`{"a":"` + "\xff" + `"}`, "kpaudit: invalid event: invalid UTF-8 at byte 6"},
		{`{"a":"0123456789012345678901234567"}`, "kpaudit: event too large: 36 bytes, over the limit of 32"},
	}
	for _, c := range events {
		_, err := tr.Process([]byte(c.event))
		if err == nil || err.Error() != c.want {
			t.Errorf("Process(%q): %v\n  want %s", c.event, err, c.want)
		}
	}
	configs := []struct{ config, want string }{
		{`{"route":{"field":"x"`, "kpaudit: invalid config: line 1, column 21: EOF while parsing an object (the configuration is not valid JSON)"},
		{`{"redact":{"fields":["Severity"]}}`, "kpaudit: invalid config: redact.fields[0]: Severity names severity, the field the transform sets (names match without regard to ASCII case)"},
	}
	for _, c := range configs {
		_, err := New([]byte(c.config))
		if err == nil || err.Error() != c.want {
			t.Errorf("New(%s): %v\n  want %s", c.config, err, c.want)
		}
	}
	codes := map[Code]string{
		CodeInvalidEvent:  "KPAUDIT_INVALID_EVENT",
		CodeEventTooLarge: "KPAUDIT_EVENT_TOO_LARGE",
		CodeInvalidConfig: "KPAUDIT_INVALID_CONFIG",
		Code(99):          "KPAUDIT_UNKNOWN",
	}
	for code, want := range codes {
		if code.String() != want {
			t.Errorf("Code(%d) = %s, want %s", int(code), code, want)
		}
	}
	if got := (&Error{Code: CodePanic}).Error(); got != "kpaudit: KPAUDIT_PANIC" {
		t.Errorf("an Error without a message reads %q", got)
	}
	closed := newTransform(t, "")
	closed.Close()
	if _, err := closed.Process([]byte("{}")); !errors.Is(err, ErrClosed) || err.Error() != "kpaudit: transform is closed" {
		t.Errorf("after Close: %v", err)
	}
}

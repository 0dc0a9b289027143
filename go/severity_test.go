package kpaudit

import (
	"strings"
	"testing"
)

func TestSeverityFromActionAndStatus(t *testing.T) {
	tr := newTransform(t, "")
	cases := []struct {
		action, code string
		want         Severity
	}{
		{"kms.secrets.delete", "200", Critical},
		{"kms.registrations.delete", "200", Critical},
		{"kms.secrets.rotate", "200", Warning},
		{"kms.secrets.setkeyfordeletion", "200", Warning},
		{"kms.instancepolicies.write", "200", Warning},
		{"kms.instance-policies.write", "200", Warning},
		{"kms.secrets.wrap", "200", Normal},
		{"kms.secrets.wrap", "401", Critical},
		{"kms.secrets.wrap", "409", Warning},
		{"kms.secrets.wrap", "500", Normal},
		{"kms.secrets.create", "401", Critical}, // the status outranks the action
		{"kms.secrets.rotate", "503", Critical},
		{"kms.secrets.delete", "409", Critical}, // and never lowers it
		{"kms.secrets.wrap", `"0401"`, Critical},
		{"kms.secrets.wrap", "401.0", Critical}, // a whole number, as a double writes it
		{"kms.secrets.wrap", "4.01e2", Critical},
		{"kms.secrets.wrap", "401.5", Normal},
		{"kms.secrets.wrap", `"401.0"`, Normal},
		{"kms.secrets.wrap", `" 401"`, Normal},
		{"kms.kmip.adapter.create", "200", Normal},
		{"KMS.SECRETS.DELETE", "200", Normal},
	}
	for _, c := range cases {
		r := process(t, tr, eventWith(c.action, c.code))
		if r.Severity != c.want {
			t.Errorf("%s %s: severity %v, want %v", c.action, c.code, r.Severity, c.want)
		}
		if written := `"severity":"` + c.want.String() + `"`; !strings.Contains(string(r.Event), written) {
			t.Errorf("%s %s: %s lacks %s", c.action, c.code, r.Event, written)
		}
	}
}

func TestSeverityPrecedenceConfigured(t *testing.T) {
	status := newTransform(t, `{"severity":{"precedence":"status"}}`)
	action := newTransform(t, `{"severity":{"precedence":"action","default":"warning"}}`)
	cases := []struct {
		tr           *Transform
		action, code string
		want         Severity
	}{
		{status, "kms.secrets.delete", "409", Warning},
		{status, "kms.secrets.delete", "200", Critical},
		{action, "kms.secrets.create", "401", Normal},
		{action, "kms.unknown", "401", Critical},
		{action, "kms.unknown", "200", Warning},
	}
	for _, c := range cases {
		if got := process(t, c.tr, eventWith(c.action, c.code)).Severity; got != c.want {
			t.Errorf("%s %s: %v, want %v", c.action, c.code, got, c.want)
		}
	}
}

func TestSeverityReplacedInPlace(t *testing.T) {
	tr := newTransform(t, "")
	r := process(t, tr, `{"severity":"normal","action":"kms.secrets.delete"}`)
	if want := `{"severity":"critical","action":"kms.secrets.delete"}`; string(r.Event) != want {
		t.Errorf("got %s, want %s", r.Event, want)
	}
}

// The Go names must be the library's: hosts write them next to events the
// library named itself.
func TestSeverityNamesAgreeWithTheLibrary(t *testing.T) {
	for s := -1; s <= 4; s++ {
		goName := "unknown"
		if s >= 0 {
			goName = Severity(s).String()
		}
		if lib := libSeverityStr(s); lib != goName {
			t.Errorf("severity %d: Go %q, library %q", s, goName, lib)
		}
	}
}

func TestCodeNamesAgreeWithTheLibrary(t *testing.T) {
	for c := CodeOK; c <= CodePanic; c++ {
		if lib := libResultStr(c); !strings.HasPrefix(lib, c.String()+":") {
			t.Errorf("code %d: Go %q, library %q", c, c.String(), lib)
		}
	}
}

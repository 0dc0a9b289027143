package kpaudit

import (
	"slices"
	"testing"
)

func TestRouting(t *testing.T) {
	tr := newTransform(t, "")
	uri := "https://private.ca-tor.kms.cloud.ibm.com/api/v2/keys/x?action=wrap"
	cases := []struct {
		name, event, want string
	}{
		{"us-south", `{"logSourceCRN":"` + crn("us-south") + `"}`, "us-south"},
		{"eu-de", `{"logSourceCRN":"` + crn("eu-de") + `"}`, "eu-de"},
		{"in-mum", `{"logSourceCRN":"` + crn("in-mum") + `"}`, "in-mum"},
		{"zone", `{"logSourceCRN":"` + crn("jp-tok-2") + `"}`, "jp-tok"},
		{"not a zone", `{"logSourceCRN":"` + crn("eu-de-a") + `"}`, "unmatched"},
		{"no scheme", `{"logSourceCRN":"` + crn("au-syd")[4:] + `"}`, "au-syd"},
		{"target.id", `{"target":{"id":"` + keyCRN("br-sao") + `"},"requestData":{"requestURI":"` + uri + `"}}`, "br-sao"},
		{"null is absent", `{"logSourceCRN":null,"target":{"id":"` + keyCRN("br-sao") + `"}}`, "br-sao"},
		{"request host", `{"target":{"id":null},"requestData":{"requestURI":"` + uri + `"}}`, "ca-tor"},
		{"present but no CRN", `{"logSourceCRN":"us-east","target":{"id":"` + keyCRN("us-east") + `"}}`, "unmatched"},
		{"unknown region", `{"logSourceCRN":"` + crn("xx-unknown") + `"}`, "unmatched"},
		{"path only", `{"requestData":{"requestURI":"/api/v2/keys/abc?action=wrap"}}`, "unmatched"},
		{"last occurrence", `{"logSourceCRN":"` + crn("eu-de") + `","logSourceCRN":"` + crn("jp-osa") + `"}`, "jp-osa"},
		{"nothing", `{"a":1}`, "unmatched"},
	}
	for _, c := range cases {
		if got := process(t, tr, c.event).Route; got != c.want {
			t.Errorf("%s: route %q, want %q", c.name, got, c.want)
		}
	}
}

// The README's configuration example, with an unmatched route renamed.
func TestRoutingConfigured(t *testing.T) {
	tr := newTransform(t, `{
	  "severity": {"default": "normal", "precedence": "highest", "actions": {"kms.custom.op": "warning"}, "status": {"500": "warning"}},
	  "redact":   {"fields": ["secretValue"], "mode": "remove", "mask": "[REDACTED]"},
	  "route":    {"regions": {"eu-es": "eu-de"}, "destinations": {"us-south": "at-dallas"}, "unmatched": "dead-letter", "field": "_route"},
	  "limits":   {"max_event_bytes": 1048576, "max_depth": 128}}`)
	cases := []struct {
		location, want string
	}{
		{"us-south", "at-dallas"},
		{"eu-es", "eu-de"},
		{"jp-tok", "jp-tok"},
		{"zz-none", "dead-letter"},
	}
	for _, c := range cases {
		r := process(t, tr, `{"logSourceCRN":"`+crn(c.location)+`","secretValue":"x"}`)
		if r.Route != c.want || r.Redacted != 1 {
			t.Errorf("%s: route %q (%d redacted), want %q (1)", c.location, r.Route, r.Redacted, c.want)
		}
		if want := `"_route":"` + c.want + `"}`; string(r.Event[len(r.Event)-len(want):]) != want {
			t.Errorf("%s: %s does not end with %s", c.location, r.Event, want)
		}
	}
	r := process(t, tr, eventWith("kms.custom.op", "200"))
	if r.Severity != Warning {
		t.Errorf("kms.custom.op: %v, want warning", r.Severity)
	}
	if got := process(t, tr, eventWith("kms.secrets.wrap", "500")).Severity; got != Warning {
		t.Errorf("status 500: %v, want warning", got)
	}
	routes := tr.Routes()
	if routes[0] != "dead-letter" || !slices.Contains(routes, "at-dallas") || slices.Contains(routes, "us-south") {
		t.Errorf("Routes() = %v", routes)
	}
}

func TestDefaultRoutes(t *testing.T) {
	want := []string{"unmatched", "us-south", "us-east", "eu-gb", "eu-de", "au-syd", "jp-tok", "jp-osa", "ca-tor", "br-sao", "eu-es", "ca-mon", "in-che", "in-mum"}
	got := newTransform(t, "").Routes()
	if len(got) != len(want) || got[0] != "unmatched" {
		t.Fatalf("Routes() = %v", got)
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("Routes() = %v lacks %s", got, w)
		}
	}
}

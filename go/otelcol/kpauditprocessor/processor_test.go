package kpauditprocessor

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	kpaudit "github.com/kpaudit/kpaudit/go"
)

// The severity table (rows of the Go package's tests) through the
// processor: severity_number and severity_text from kpaudit's severity,
// and the severity member in the body. All rows go in one batch.
func TestSeverityTable(t *testing.T) {
	h := newHarness(t, defaultConfig())
	cases := []struct {
		action, code string
		want         kpaudit.Severity
	}{
		{"kms.secrets.delete", "200", kpaudit.Critical},
		{"kms.registrations.delete", "200", kpaudit.Critical},
		{"kms.secrets.rotate", "200", kpaudit.Warning},
		{"kms.secrets.setkeyfordeletion", "200", kpaudit.Warning},
		{"kms.instancepolicies.write", "200", kpaudit.Warning},
		{"kms.secrets.wrap", "200", kpaudit.Normal},
		{"kms.secrets.wrap", "401", kpaudit.Critical},
		{"kms.secrets.wrap", "409", kpaudit.Warning},
		{"kms.secrets.wrap", "500", kpaudit.Normal},
		{"kms.secrets.create", "401", kpaudit.Critical},
		{"kms.secrets.delete", "409", kpaudit.Critical},
		{"kms.secrets.wrap", `"0401"`, kpaudit.Critical},
		{"kms.secrets.wrap", "401.0", kpaudit.Critical},
		{"kms.secrets.wrap", "401.5", kpaudit.Normal},
		{"KMS.SECRETS.DELETE", "200", kpaudit.Normal},
	}
	var bodies []any
	for _, c := range cases {
		bodies = append(bodies, eventWith(c.action, c.code))
	}
	out := h.consume(t, logsOf(t, bodies...))
	if len(out) != len(cases) {
		t.Fatalf("%d records out of %d", len(out), len(cases))
	}
	wantNumber := map[kpaudit.Severity]plog.SeverityNumber{
		kpaudit.Normal: plog.SeverityNumberInfo, kpaudit.Warning: plog.SeverityNumberWarn, kpaudit.Critical: plog.SeverityNumberError,
	}
	wantText := map[kpaudit.Severity]string{kpaudit.Normal: "INFO", kpaudit.Warning: "WARN", kpaudit.Critical: "ERROR"}
	for i, c := range cases {
		lr := out[i]
		if lr.SeverityNumber() != wantNumber[c.want] || lr.SeverityText() != wantText[c.want] {
			t.Errorf("%s %s: severity %v %q, want %v %q", c.action, c.code, lr.SeverityNumber(), lr.SeverityText(), wantNumber[c.want], wantText[c.want])
		}
		if w := `"severity":"` + c.want.String() + `"`; !strings.Contains(lr.Body().Str(), w) {
			t.Errorf("%s %s: body %s lacks %s", c.action, c.code, lr.Body().Str(), w)
		}
		if attrStr(lr, "kpaudit.route") != "us-south" || attrInt(lr, "kpaudit.redacted") != 0 {
			t.Errorf("%s %s: attributes %v", c.action, c.code, lr.Attributes().AsRaw())
		}
	}
}

// A configured mapping, with one severity left as the record had it.
func TestSeverityMappingConfigured(t *testing.T) {
	cfg := defaultConfig()
	cfg.Severity = SeverityConfig{Normal: "", Warning: "WARN3", Critical: "FATAL"}
	h := newHarness(t, cfg)
	ld := logsOf(t, eventWith("kms.secrets.wrap", "200"), eventWith("kms.secrets.rotate", "200"), eventWith("kms.secrets.delete", "200"))
	first := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	first.SetSeverityNumber(plog.SeverityNumberDebug)
	first.SetSeverityText("debug")
	out := h.consume(t, ld)
	got := []string{}
	for _, lr := range out {
		got = append(got, fmt.Sprintf("%d %s", lr.SeverityNumber(), lr.SeverityText()))
	}
	want := []string{"5 debug", "15 WARN3", "21 FATAL"}
	if !slices.Equal(got, want) {
		t.Errorf("severities %v, want %v", got, want)
	}
}

func TestRedactionTable(t *testing.T) {
	h := newHarness(t, defaultConfig())
	cases := []struct {
		event, want string
		redacted    int64
	}{
		{`{"a":1,"payload":"` + mark + `","b":2}`, `{"a":1,"b":2,"severity":"normal"}`, 1},
		{`{"requestHeader":{"authorization":"Bearer ` + mark + `","x":1}}`, `{"requestHeader":{"x":1},"severity":"normal"}`, 1},
		{`{"keys":[{"iv":"` + mark + `","id":1},[{"nonce":{"x":[1,2]}}]]}`, `{"keys":[{"id":1},[{}]],"severity":"normal"}`, 2},
		{`{"r":{"ciphertext":null,"aad":["` + mark + `"],"n":1e5}}`, `{"r":{"n":1e5},"severity":"normal"}`, 2},
		{`{"Pay\u006coad":"` + mark + `","PAYLOAD":"` + mark + `","\u0069\u0076":"` + mark + `","keep":1}`, `{"keep":1,"severity":"normal"}`, 3},
		{`{"field":"payload","list":["iv"]}`, `{"field":"payload","list":["iv"],"severity":"normal"}`, 0},
		{`{"payload":{"iv":1,"nonce":[{"aad":"` + mark + `"}]},"k":1}`, `{"k":1,"severity":"normal"}`, 1},
	}
	var bodies []any
	for _, c := range cases {
		bodies = append(bodies, c.event)
	}
	out := h.consume(t, logsOf(t, bodies...))
	var total int64
	for i, c := range cases {
		if got := out[i].Body().Str(); got != c.want || attrInt(out[i], "kpaudit.redacted") != c.redacted {
			t.Errorf("case %d: %s (%d redacted), want %s (%d)", i, got, attrInt(out[i], "kpaudit.redacted"), c.want, c.redacted)
		}
		total += c.redacted
	}
	h.noMark(t)
	if got := counterValue(t, h, metricRedacted, nil); got != total {
		t.Errorf("%s = %d, want %d", metricRedacted, got, total)
	}
}

func TestRoutingTable(t *testing.T) {
	h := newHarness(t, defaultConfig())
	uri := "https://private.ca-tor.kms.cloud.ibm.com/api/v2/keys/x?action=wrap"
	cases := []struct{ event, want string }{
		{`{"logSourceCRN":"` + crn("us-south") + `"}`, "us-south"},
		{`{"logSourceCRN":"` + crn("in-mum") + `"}`, "in-mum"},
		{`{"logSourceCRN":"` + crn("jp-tok-2") + `"}`, "jp-tok"},
		{`{"logSourceCRN":"` + crn("eu-de-a") + `"}`, "unmatched"},
		{`{"target":{"id":"` + keyCRN("br-sao") + `"},"requestData":{"requestURI":"` + uri + `"}}`, "br-sao"},
		{`{"target":{"id":null},"requestData":{"requestURI":"` + uri + `"}}`, "ca-tor"},
		{`{"logSourceCRN":"` + crn("xx-unknown") + `"}`, "unmatched"},
		{`{"a":1}`, "unmatched"},
	}
	var bodies []any
	for _, c := range cases {
		bodies = append(bodies, c.event)
	}
	out := h.consume(t, logsOf(t, bodies...))
	for i, c := range cases {
		if got := attrStr(out[i], "kpaudit.route"); got != c.want {
			t.Errorf("case %d: route %q, want %q", i, got, c.want)
		}
	}
}

// The kpaudit configuration inline and the route attribute renamed.
func TestConfiguredTransformAndAttribute(t *testing.T) {
	cfg := defaultConfig()
	cfg.Config = map[string]any{
		"route":  map[string]any{"destinations": map[string]any{"us-south": "at-dallas"}, "regions": map[string]any{"eu-es": "eu-de"}},
		"redact": map[string]any{"fields": []any{"secretValue"}},
	}
	cfg.RouteAttribute = "destination"
	h := newHarness(t, cfg)
	out := h.consume(t, logsOf(t,
		`{"logSourceCRN":"`+crn("us-south")+`","secretValue":"`+mark+`"}`,
		`{"logSourceCRN":"`+crn("eu-es")+`"}`))
	if attrStr(out[0], "destination") != "at-dallas" || attrStr(out[1], "destination") != "eu-de" || attrStr(out[0], "kpaudit.route") != "<absent>" {
		t.Errorf("routes %v %v", out[0].Attributes().AsRaw(), out[1].Attributes().AsRaw())
	}
	if attrInt(out[0], "kpaudit.redacted") != 1 {
		t.Errorf("redacted %d", attrInt(out[0], "kpaudit.redacted"))
	}
	h.noMark(t)
}

// A string body comes back a string, bytes come back bytes, a map comes
// back a map with its members in order, types kept, key material gone.
func TestBodyForms(t *testing.T) {
	h := newHarness(t, defaultConfig())
	event := `{"action":"kms.secrets.delete","payload":"` + mark + `","logSourceCRN":"` + crn("eu-gb") + `"}`
	m := map[string]any{
		"action":        "kms.secrets.wrap",
		"logSourceCRN":  crn("jp-osa"),
		"requestHeader": map[string]any{"Authorization": "Bearer " + mark, "x": 1},
		"keys":          []any{map[string]any{"iv": mark, "id": 1}, "iv", 2.5},
		"reason":        map[string]any{"reasonCode": 409},
		"double":        2.0,
		"flag":          true,
		"none":          nil,
		"text":          "caf\u00e9 \"q\" \\ \n\u0001",
	}
	ld := logsOf(t, event, []byte(event), m)
	// FromRaw fills a map in Go's random map order: fix an order to check.
	order := []string{"text", "action", "logSourceCRN", "requestHeader", "keys", "reason", "double", "flag", "none"}
	body := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(2).Body()
	ordered := pcommon.NewMap()
	for _, k := range order {
		v, _ := body.Map().Get(k)
		v.CopyTo(ordered.PutEmpty(k))
	}
	ordered.CopyTo(body.Map())

	out := h.consume(t, ld)
	want := `{"action":"kms.secrets.delete","logSourceCRN":"` + crn("eu-gb") + `","severity":"critical"}`
	if out[0].Body().Type() != pcommon.ValueTypeStr || out[0].Body().Str() != want {
		t.Errorf("string body: %s %s", out[0].Body().Type(), out[0].Body().AsString())
	}
	if out[1].Body().Type() != pcommon.ValueTypeBytes || string(out[1].Body().Bytes().AsRaw()) != want {
		t.Errorf("bytes body: %s %s", out[1].Body().Type(), out[1].Body().AsString())
	}
	got := out[2].Body()
	if got.Type() != pcommon.ValueTypeMap {
		t.Fatalf("map body came back as %s", got.Type())
	}
	var keys []string
	for k := range got.Map().All() {
		keys = append(keys, k)
	}
	if wantKeys := append(slices.Clone(order), "severity"); !slices.Equal(keys, wantKeys) {
		t.Errorf("member order %v, want %v", keys, wantKeys)
	}
	raw := got.Map().AsRaw()
	wantRaw := map[string]any{
		"action":        "kms.secrets.wrap",
		"logSourceCRN":  crn("jp-osa"),
		"requestHeader": map[string]any{"x": int64(1)},
		"keys":          []any{map[string]any{"id": int64(1)}, "iv", 2.5},
		"reason":        map[string]any{"reasonCode": int64(409)},
		"double":        2.0,
		"flag":          true,
		"none":          nil,
		"text":          "caf\u00e9 \"q\" \\ \n\u0001",
		"severity":      "warning",
	}
	if a, b := fmt.Sprintf("%#v", raw), fmt.Sprintf("%#v", wantRaw); a != b {
		t.Errorf("map body\n got %s\nwant %s", a, b)
	}
	if v, _ := got.Map().Get("double"); v.Type() != pcommon.ValueTypeDouble {
		t.Errorf("2.0 came back as %s", v.Type())
	}
	if attrStr(out[2], "kpaudit.route") != "jp-osa" || attrInt(out[2], "kpaudit.redacted") != 2 {
		t.Errorf("map record attributes %v", out[2].Attributes().AsRaw())
	}
	h.noMark(t)
}

// A map body whose numbers are doubles, as OTTL's ParseJSON and OTLP
// senders that hold every JSON number as a double leave them: the status
// 401.0 is written back as 401.0 and still counts as 401.
func TestMapBodyDoubleStatus(t *testing.T) {
	h := newHarness(t, defaultConfig())
	var bodies []any
	for _, code := range []float64{401, 409, 401.5} {
		bodies = append(bodies, map[string]any{
			"action":       "kms.secrets.wrap",
			"logSourceCRN": crn("us-south"),
			"reason":       map[string]any{"reasonCode": code},
		})
	}
	out := h.consume(t, logsOf(t, bodies...))
	for i, want := range []string{"critical", "warning", "normal"} {
		sev, _ := out[i].Body().Map().Get("severity")
		if sev.Str() != want {
			t.Errorf("record %d: severity %q, want %q (body %v)", i, sev.Str(), want, out[i].Body().Map().AsRaw())
		}
	}
}

// Bad events of every kind, in a batch with good ones.
func badBatch(t *testing.T) (plog.Logs, []string) {
	ld := logsOf(t,
		`{"logSourceCRN":"`+crn("us-east")+`","iv":"`+mark+`"}`,
		`{"payload":"`+mark,
		"",
		`["`+mark+`"]`,
		"{\"a\":\"\xff"+mark+"\"}",
		[]byte(`{"nonce":"`+mark+`",`),
		7,
		nil,
		`{"payload":"`+strings.Repeat(mark, 200)+`"}`,
	)
	return ld, []string{"", "KPAUDIT_INVALID_EVENT", "KPAUDIT_INVALID_EVENT", "KPAUDIT_INVALID_EVENT",
		"KPAUDIT_INVALID_EVENT", "KPAUDIT_INVALID_EVENT", reasonUnsupportedBody, reasonUnsupportedBody, "KPAUDIT_EVENT_TOO_LARGE"}
}

func TestRejectKeep(t *testing.T) {
	cfg := defaultConfig()
	cfg.Config = `{"limits":{"max_event_bytes":1024}}`
	h := newHarness(t, cfg)
	ld, reasons := badBatch(t)
	out := h.consume(t, ld)
	if len(out) != len(reasons) {
		t.Fatalf("%d records out of %d", len(out), len(reasons))
	}
	for i, reason := range reasons {
		lr := out[i]
		if reason == "" {
			if attrStr(lr, "kpaudit.route") != "us-east" || attrStr(lr, "kpaudit.error") != "<absent>" {
				t.Errorf("record %d: %v", i, lr.Attributes().AsRaw())
			}
			continue
		}
		b := lr.Body()
		if b.Type() != pcommon.ValueTypeMap || b.Map().Len() != 2 {
			t.Errorf("record %d: body %s", i, b.AsString())
			continue
		}
		e, _ := b.Map().Get("error")
		m, _ := b.Map().Get("message")
		if e.Str() != reason || m.Str() == "" || attrStr(lr, "kpaudit.error") != reason || attrStr(lr, "kpaudit.route") != "dead-letter" {
			t.Errorf("record %d: body %s, attributes %v; want reason %s", i, b.AsString(), lr.Attributes().AsRaw(), reason)
		}
		if lr.SeverityNumber() != plog.SeverityNumberUnspecified {
			t.Errorf("record %d: a reject got a severity", i)
		}
	}
	if m, _ := out[1].Body().Map().Get("message"); !strings.Contains(m.Str(), "unterminated string") {
		t.Errorf("message %q", m.Str())
	}
	h.noMark(t)
	if got := counterValue(t, h, metricRejected, map[string]string{"reason": "KPAUDIT_INVALID_EVENT"}); got != 5 {
		t.Errorf("rejected invalid = %d, want 5", got)
	}
	if got := counterValue(t, h, metricRejected, map[string]string{"reason": reasonUnsupportedBody}); got != 2 {
		t.Errorf("rejected unsupported = %d, want 2", got)
	}
	if got := counterValue(t, h, metricRejected, map[string]string{"reason": "KPAUDIT_EVENT_TOO_LARGE"}); got != 1 {
		t.Errorf("rejected too large = %d, want 1", got)
	}
	if got := counterValue(t, h, metricRecords, map[string]string{"route": "us-east", "severity": "normal"}); got != 1 {
		t.Errorf("records us-east normal = %d, want 1", got)
	}
}

func TestRejectDrop(t *testing.T) {
	cfg := defaultConfig()
	cfg.OnReject = "drop"
	cfg.Config = `{"limits":{"max_event_bytes":1024}}`
	h := newHarness(t, cfg)
	ld, reasons := badBatch(t)
	// A second resource holding only bad records disappears entirely.
	rl := ld.ResourceLogs().AppendEmpty()
	rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr(`{"x":"` + mark)
	out := h.consume(t, ld)
	if len(out) != 1 || attrStr(out[0], "kpaudit.route") != "us-east" {
		t.Fatalf("%d records out; want the one good one", len(out))
	}
	if n := h.sink.AllLogs()[0].ResourceLogs().Len(); n != 1 {
		t.Errorf("%d resources out; the one with no record left should be gone", n)
	}
	h.noMark(t)
	if got := counterValue(t, h, metricRejected, nil); got != int64(len(reasons)) { // the 8 rejects and the second resource's
		t.Errorf("rejected = %d, want %d", got, len(reasons))
	}

	// A batch of nothing but rejects is not passed on at all.
	h.sink.Reset()
	if err := h.proc.ConsumeLogs(context.Background(), logsOf(t, "{", "}")); err != nil {
		t.Fatal(err)
	}
	if h.sink.LogRecordCount() != 0 || len(h.sink.AllLogs()) != 0 {
		t.Errorf("an all-rejected batch went on: %d records", h.sink.LogRecordCount())
	}
}

// Every record of a batch lands in a resource of its route, in order.
func TestGroupByRoute(t *testing.T) {
	cfg := defaultConfig()
	cfg.GroupByRoute = GroupByRouteConfig{Enabled: true, ResourceAttribute: "kafka.topic", Prefix: "kp-"}
	h := newHarness(t, cfg)
	ld := plog.NewLogs()
	locations := [][]string{{"us-south", "eu-de", "us-south", "bad", "eu-de", "jp-tok"}, {"eu-de", "eu-de"}}
	n := 0
	for r, locs := range locations {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutInt("resource", int64(r))
		rl.SetSchemaUrl("https://schema/" + fmt.Sprint(r))
		for s := range 2 {
			sl := rl.ScopeLogs().AppendEmpty()
			sl.Scope().SetName(fmt.Sprintf("scope-%d-%d", r, s))
			for _, loc := range locs {
				body := `{"seq":` + fmt.Sprint(n) + `,"logSourceCRN":"` + crn(loc) + `"}`
				if loc == "bad" {
					body = `{"seq":` + fmt.Sprint(n)
				}
				sl.LogRecords().AppendEmpty().Body().SetStr(body)
				n++
			}
		}
	}
	if err := h.proc.ConsumeLogs(context.Background(), ld); err != nil {
		t.Fatal(err)
	}
	got := h.sink.AllLogs()[0]
	if got.LogRecordCount() != n {
		t.Fatalf("%d records out of %d", got.LogRecordCount(), n)
	}
	type key struct {
		resource int64
		topic    string
	}
	seen := map[key]bool{}
	lastSeq := map[string]int{}
	for _, rl := range got.ResourceLogs().All() {
		topic := rl.Resource().Attributes().AsRaw()["kafka.topic"]
		res := rl.Resource().Attributes().AsRaw()["resource"].(int64)
		k := key{res, fmt.Sprint(topic)}
		if seen[k] {
			t.Errorf("resource %d has two groups for %v", res, topic)
		}
		seen[k] = true
		if rl.SchemaUrl() != "https://schema/"+fmt.Sprint(res) {
			t.Errorf("schema URL %q", rl.SchemaUrl())
		}
		for _, sl := range rl.ScopeLogs().All() {
			if !strings.HasPrefix(sl.Scope().Name(), fmt.Sprintf("scope-%d-", res)) {
				t.Errorf("scope %q in resource %d", sl.Scope().Name(), res)
			}
			for _, lr := range sl.LogRecords().All() {
				if want := "kp-" + attrStr(lr, "kpaudit.route"); topic != want {
					t.Errorf("record of route %s in the resource for %v", attrStr(lr, "kpaudit.route"), topic)
				}
				var seq int
				body := lr.Body().AsString()
				if lr.Body().Type() == pcommon.ValueTypeMap {
					continue // a kept reject: its body no longer holds the event
				}
				var ev struct{ Seq int }
				if err := json.Unmarshal([]byte(body), &ev); err != nil {
					t.Fatal(err)
				}
				seq = ev.Seq
				if last, ok := lastSeq[sl.Scope().Name()+fmt.Sprint(topic)]; ok && seq <= last {
					t.Errorf("records out of order within %s", topic)
				}
				lastSeq[sl.Scope().Name()+fmt.Sprint(topic)] = seq
			}
		}
	}
	want := []key{{0, "kp-us-south"}, {0, "kp-eu-de"}, {0, "kp-dead-letter"}, {0, "kp-jp-tok"}, {1, "kp-eu-de"}}
	if len(seen) != len(want) {
		t.Errorf("groups %v, want %v", seen, want)
	}
	for _, k := range want {
		if !seen[k] {
			t.Errorf("no group %v", k)
		}
	}
}

func TestMetricsByRouteAndSeverity(t *testing.T) {
	h := newHarness(t, defaultConfig())
	h.consume(t, logsOf(t,
		`{"action":"kms.secrets.delete","logSourceCRN":"`+crn("eu-de")+`","payload":"x"}`,
		`{"action":"kms.secrets.delete","logSourceCRN":"`+crn("eu-de")+`"}`,
		`{"action":"kms.secrets.rotate","logSourceCRN":"`+crn("eu-de")+`","iv":1,"nonce":2}`,
		`{"action":"kms.secrets.wrap"}`,
	))
	h.consume(t, logsOf(t, `{"action":"kms.secrets.wrap"}`, `{`))
	checks := []struct {
		metric string
		attrs  map[string]string
		want   int64
	}{
		{metricRecords, map[string]string{"route": "eu-de", "severity": "critical"}, 2},
		{metricRecords, map[string]string{"route": "eu-de", "severity": "warning"}, 1},
		{metricRecords, map[string]string{"route": "unmatched", "severity": "normal"}, 2},
		{metricRecords, nil, 5},
		{metricRejected, map[string]string{"reason": "KPAUDIT_INVALID_EVENT"}, 1},
		{metricRedacted, nil, 3},
	}
	for _, c := range checks {
		if got := counterValue(t, h, c.metric, c.attrs); got != c.want {
			t.Errorf("%s%v = %d, want %d", c.metric, c.attrs, got, c.want)
		}
	}
}

// counterValue sums the data points of a counter whose attributes include
// attrs.
func counterValue(t *testing.T, h *harness, name string, attrs map[string]string) int64 {
	t.Helper()
	m, err := h.tel.GetMetric(name)
	if err != nil {
		t.Fatalf("metric %s: %v", name, err)
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	if !ok || !sum.IsMonotonic {
		t.Fatalf("metric %s is a %T, not a counter", name, m.Data)
	}
	var total int64
	for _, dp := range sum.DataPoints {
		match := true
		for k, v := range attrs {
			if got, ok := dp.Attributes.Value(attribute.Key(k)); !ok || got.AsString() != v {
				match = false
			}
		}
		if match {
			total += dp.Value
		}
	}
	return total
}

// Many goroutines share one processor instance, as the Collector's
// receivers do; every record must come out as Process makes it.
func TestConcurrentBatches(t *testing.T) {
	h := newHarness(t, defaultConfig())
	tr, err := kpaudit.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	locs := []string{"us-south", "eu-de", "jp-tok", "nowhere", "br-sao"}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range 40 {
				var bodies []any
				for i := range 25 {
					ev := fmt.Sprintf(`{"g":%d,"b":%d,"i":%d,"action":"kms.secrets.rotate","payload":"%s","logSourceCRN":"%s"}`, g, b, i, mark, crn(locs[(g+b+i)%len(locs)]))
					if i%10 == 9 {
						ev = ev[:20]
					}
					bodies = append(bodies, ev)
				}
				ld := logsOf(t, bodies...)
				want := make([]any, len(bodies))
				copy(want, bodies)
				if err := h.proc.ConsumeLogs(context.Background(), ld); err != nil {
					errs <- err
					return
				}
				for i, lr := range allRecords(ld) {
					r, perr := tr.Process([]byte(want[i].(string)))
					if perr != nil {
						if attrStr(lr, "kpaudit.error") != "KPAUDIT_INVALID_EVENT" {
							errs <- fmt.Errorf("g%d b%d i%d: reject not marked", g, b, i)
							return
						}
						continue
					}
					if lr.Body().Str() != string(r.Event) || attrStr(lr, "kpaudit.route") != r.Route {
						errs <- fmt.Errorf("g%d b%d i%d: %s differs from Process", g, b, i, lr.Body().Str())
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := counterValue(t, h, metricRecords, nil) + counterValue(t, h, metricRejected, nil); got != 8*40*25 {
		t.Errorf("records + rejected = %d, want %d", got, 8*40*25)
	}
}

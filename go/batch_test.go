package kpaudit

import (
	"bytes"
	"errors"
	"regexp"
	"testing"
)

func TestBatchSmall(t *testing.T) {
	tr := newTransform(t, "")
	chunk := `{"action":"kms.secrets.delete","logSourceCRN":"` + crn("us-south") + `"}` + "\n" +
		"\n" +
		`{"payload":"` + mark + "\n" +
		`{"iv":"x","logSourceCRN":"` + crn("eu-de") + `"}` + "\n" +
		`{"action":"kms.secrets.wrap"}`
	res, err := tr.ProcessBatch([]byte(chunk))
	if err != nil {
		t.Fatal(err)
	}
	if res.Lines != 5 || res.Emitted != 3 || res.Redacted != 1 {
		t.Errorf("lines %d emitted %d redacted %d, want 5 3 1", res.Lines, res.Emitted, res.Redacted)
	}
	if res.BySeverity != [3]int{2, 0, 1} {
		t.Errorf("by severity %v, want [2 0 1]", res.BySeverity)
	}
	want := map[string]string{
		"us-south":  `{"action":"kms.secrets.delete","logSourceCRN":"` + crn("us-south") + `","severity":"critical"}` + "\n",
		"eu-de":     `{"logSourceCRN":"` + crn("eu-de") + `","severity":"normal"}` + "\n",
		"unmatched": `{"action":"kms.secrets.wrap","severity":"normal"}` + "\n",
	}
	if len(res.Routes) != len(want) {
		t.Errorf("routes %+v", res.Routes)
	}
	for name, data := range want {
		r, ok := res.Route(name)
		if !ok || string(r.Data) != data || r.Events != 1 {
			t.Errorf("route %s: %+v, want %s", name, r, data)
		}
	}
	if len(res.Rejected) != 2 || res.Rejected[0].Line != 2 || res.Rejected[1].Line != 3 ||
		!errors.Is(res.Rejected[0].Err, ErrInvalidEvent) || !errors.Is(res.Rejected[1].Err, ErrInvalidEvent) {
		t.Errorf("rejected %+v", res.Rejected)
	}
}

func TestBatchEmptyChunk(t *testing.T) {
	res, err := newTransform(t, "").ProcessBatch(nil)
	if err != nil || res.Lines != 0 || res.Emitted != 0 || len(res.Routes) != 0 || len(res.Rejected) != 0 {
		t.Errorf("ProcessBatch(nil) = %+v, %v", res, err)
	}
}

var correlationID = regexp.MustCompile(`"correlationId":"[0-9a-f-]{36}"`)

// The batch must account for every line of a generated corpus with
// corrupted lines exactly as Process does line by line.
func TestBatchAgreesWithProcess(t *testing.T) {
	tr := newTransform(t, "")
	corpus := genEvents(t, "--count", "2000", "--seed", "7", "--corrupt-percent", "1")
	res, err := tr.ProcessBatch(corpus)
	if err != nil {
		t.Fatal(err)
	}
	in := lines(corpus)
	if res.Lines != len(in) || res.Lines != res.Emitted+len(res.Rejected) {
		t.Fatalf("lines %d (input %d) != emitted %d + rejected %d", res.Lines, len(in), res.Emitted, len(res.Rejected))
	}
	if len(res.Rejected) == 0 {
		t.Fatal("no line of a corrupted corpus was rejected")
	}

	wantRoutes := map[string]*bytes.Buffer{}
	var wantRejected []RejectedLine
	var wantSeverity [3]int
	var wantRedacted uint64
	for i, line := range in {
		r, err := tr.Process(line)
		if err != nil {
			var kerr *Error
			errors.As(err, &kerr)
			wantRejected = append(wantRejected, RejectedLine{Line: i + 1, Err: kerr})
			continue
		}
		if wantRoutes[r.Route] == nil {
			wantRoutes[r.Route] = &bytes.Buffer{}
		}
		wantRoutes[r.Route].Write(r.Event)
		wantRoutes[r.Route].WriteByte('\n')
		wantSeverity[r.Severity]++
		wantRedacted += uint64(r.Redacted)
	}

	if len(res.Rejected) != len(wantRejected) {
		t.Fatalf("%d rejected, Process rejects %d", len(res.Rejected), len(wantRejected))
	}
	for i, got := range res.Rejected {
		want := wantRejected[i]
		if got.Line != want.Line || got.Err.Code != want.Err.Code || got.Err.Message != want.Err.Message {
			t.Errorf("rejected #%d: line %d %v, Process: line %d %v", i, got.Line, got.Err, want.Line, want.Err)
		}
	}
	if res.BySeverity != wantSeverity || res.Redacted != wantRedacted {
		t.Errorf("severities %v redacted %d, Process: %v %d", res.BySeverity, res.Redacted, wantSeverity, wantRedacted)
	}
	if len(res.Routes) != len(wantRoutes) {
		t.Errorf("%d routes, Process gives %d", len(res.Routes), len(wantRoutes))
	}
	var all []byte
	for _, r := range res.Routes {
		if want := wantRoutes[r.Name]; want == nil || !bytes.Equal(r.Data, want.Bytes()) {
			t.Errorf("route %s differs from Process line by line", r.Name)
		}
		if n := bytes.Count(r.Data, []byte("\n")); n != r.Events {
			t.Errorf("route %s: %d lines, %d events", r.Name, n, r.Events)
		}
		all = append(all, r.Data...)
	}

	// A rejected line leaves no trace: neither its text nor its event's
	// correlation id is in any route's output.
	for _, rej := range res.Rejected {
		line := in[rej.Line-1]
		if len(line) >= 64 && bytes.Contains(all, line) {
			t.Errorf("line %d: its bytes are in the output", rej.Line)
		}
		if id := correlationID.Find(line); id != nil && bytes.Contains(all, id) {
			t.Errorf("line %d: its %s is in the output", rej.Line, id)
		}
	}
}

// Appending to one route's Data must not overwrite another's: they share
// one allocation.
func TestBatchRouteDataAreSeparate(t *testing.T) {
	tr := newTransform(t, "")
	chunk := `{"logSourceCRN":"` + crn("us-south") + `"}` + "\n" + `{"logSourceCRN":"` + crn("eu-de") + `"}` + "\n"
	res, err := tr.ProcessBatch([]byte(chunk))
	if err != nil || len(res.Routes) != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	second := string(res.Routes[1].Data)
	_ = append(res.Routes[0].Data, "overwrite"...)
	if string(res.Routes[1].Data) != second {
		t.Errorf("appending to route 0 changed route 1: %s", res.Routes[1].Data)
	}
}

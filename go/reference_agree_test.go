package kpaudit

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// The benchmark compares like with like only if the reference does the
// library's work: on every event of a generated corpus that the library
// accepts, both give the same severity, route and redaction count, and
// the same event once member order and spelling are set aside.
func TestReferenceAgreesWithTheLibrary(t *testing.T) {
	tr := newTransform(t, "")
	corpus := genEvents(t, "--count", "2000", "--seed", "7", "--corrupt-percent", "1",
		"--hpcs-percent", "0", "--envelope-percent", "0")
	checked := 0
	for i, line := range lines(corpus) {
		lib, err := tr.Process(line)
		if err != nil {
			continue
		}
		ref, err := refProcess(line)
		if err != nil {
			t.Fatalf("line %d: the library accepts it, the reference: %v", i+1, err)
		}
		if lib.Severity != ref.Severity || lib.Route != ref.Route || lib.Redacted != ref.Redacted {
			t.Errorf("line %d: library %v %s %d, reference %v %s %d", i+1,
				lib.Severity, lib.Route, lib.Redacted, ref.Severity, ref.Route, ref.Redacted)
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(lib.Event))
		dec.UseNumber()
		var libTree map[string]any
		if err := dec.Decode(&libTree); err != nil {
			t.Fatalf("line %d: library output: %v", i+1, err)
		}
		if !reflect.DeepEqual(libTree, ref.Tree) {
			t.Errorf("line %d: events differ\nlibrary   %s\nreference %s", i+1, lib.Event, ref.Event)
		}
		checked++
	}
	if checked < 1900 {
		t.Errorf("only %d events compared", checked)
	}
}

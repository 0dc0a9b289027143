package kpaudit

import (
	"fmt"
	"sync"
	"testing"
)

// newTransform builds a transform that the test closes when it ends.
func newTransform(t testing.TB, config string) *Transform {
	t.Helper()
	tr, err := New([]byte(config))
	if err != nil {
		t.Fatalf("New(%s): %v", config, err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// process runs one event that must be accepted.
func process(t testing.TB, tr *Transform, event string) Result {
	t.Helper()
	r, err := tr.Process([]byte(event))
	if err != nil {
		t.Fatalf("Process(%s): %v", event, err)
	}
	return r
}

// eventWith is an event with an action and a reason code written as given
// (so "\"401\"" is a string code).
func eventWith(action, code string) string {
	return fmt.Sprintf(`{"action":%q,"reason":{"reasonCode":%s},"logSourceCRN":"crn:v1:bluemix:public:kms:us-south:a/1:2::"}`, action, code)
}

func crn(location string) string {
	return "crn:v1:bluemix:public:kms:" + location + ":a/0123abcd:fd692647-43d0-4699-9f83-f39a54b1327b::"
}

func keyCRN(location string) string {
	return "crn:v1:bluemix:public:kms:" + location + ":a/0123abcd:fd69:key:76c2c9cb"
}

// spawn is sync.WaitGroup.Go for the module's Go version.
func spawn(wg *sync.WaitGroup, f func()) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		f()
	}()
}

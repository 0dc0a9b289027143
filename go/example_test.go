package kpaudit_test

import (
	"errors"
	"fmt"
	"log"

	kpaudit "github.com/kpaudit/kpaudit/go"
)

func ExampleNew() {
	// Madrid's events go to Frankfurt; Dallas has a name of its own.
	t, err := kpaudit.New([]byte(`{"route":{"regions":{"eu-es":"eu-de"},"destinations":{"us-south":"at-dallas"}}}`))
	if err != nil {
		log.Fatal(err)
	}
	defer t.Close()
	fmt.Println(t.Routes())

	_, err = kpaudit.New([]byte(`{"route":{"destinatons":{}}}`))
	fmt.Println(errors.Is(err, kpaudit.ErrInvalidConfig))
	// Output:
	// [unmatched au-syd br-sao ca-mon ca-tor eu-de eu-gb in-che in-mum jp-osa jp-tok us-east at-dallas]
	// true
}

func ExampleTransform_Process() {
	t, err := kpaudit.New(nil) // the built-in Key Protect defaults
	if err != nil {
		log.Fatal(err)
	}
	defer t.Close()

	r, err := t.Process([]byte(`{"action":"kms.secrets.delete","requestData":{"payload":"c2VjcmV0"},` +
		`"logSourceCRN":"crn:v1:bluemix:public:kms:eu-de:a/0123abcd:fd692647::"}`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Route, r.Severity, r.Redacted)
	fmt.Println(string(r.Event))

	_, err = t.Process([]byte(`{"payload":"c2VjcmV0"`))
	fmt.Println(errors.Is(err, kpaudit.ErrInvalidEvent), err)
	// Output:
	// eu-de critical 1
	// {"action":"kms.secrets.delete","requestData":{},"logSourceCRN":"crn:v1:bluemix:public:kms:eu-de:a/0123abcd:fd692647::","severity":"critical"}
	// true kpaudit: invalid event: unexpected end of input, expected ',' or '}' after an object member at byte 21
}

func ExampleTransform_ProcessBatch() {
	t, err := kpaudit.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer t.Close()

	chunk := []byte(`{"action":"kms.secrets.rotate","logSourceCRN":"crn:v1:bluemix:public:kms:us-south:a/1:2::"}
{"action":"kms.secrets.wrap","reason":{"reasonCode":401},"target":{"id":"crn:v1:bluemix:public:kms:us-south:a/1:2:key:3"}}
{"action":"kms.secrets.delete","payload":"c2VjcmV0"
{"action":"kms.secrets.wrap","iv":"AAAA"}
`)
	b, err := t.ProcessBatch(chunk)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d lines: %d emitted, %d rejected, %d redacted\n", b.Lines, b.Emitted, len(b.Rejected), b.Redacted)
	for _, r := range b.Routes {
		fmt.Printf("%s: %d events\n%s", r.Name, r.Events, r.Data)
	}
	for _, rej := range b.Rejected {
		fmt.Printf("line %d: %v\n", rej.Line, rej.Err)
	}
	// Output:
	// 4 lines: 3 emitted, 1 rejected, 1 redacted
	// unmatched: 1 events
	// {"action":"kms.secrets.wrap","severity":"normal"}
	// us-south: 2 events
	// {"action":"kms.secrets.rotate","logSourceCRN":"crn:v1:bluemix:public:kms:us-south:a/1:2::","severity":"warning"}
	// {"action":"kms.secrets.wrap","reason":{"reasonCode":401},"target":{"id":"crn:v1:bluemix:public:kms:us-south:a/1:2:key:3"},"severity":"critical"}
	// line 3: kpaudit: invalid event: unexpected end of input, expected ',' or '}' after an object member at byte 51
}

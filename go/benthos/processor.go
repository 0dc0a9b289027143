package benthos

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	kpaudit "github.com/kpaudit/kpaudit/go"
	"github.com/redpanda-data/benthos/v4/public/service"
)

func init() {
	err := service.RegisterBatchProcessor("kpaudit", spec(),
		func(conf *service.ParsedConfig, _ *service.Resources) (service.BatchProcessor, error) {
			config, err := configJSON(conf)
			if err != nil {
				return nil, err
			}
			return newProcessor(config)
		})
	if err != nil {
		panic(err)
	}
}

// processor transforms each message of a batch on its own: every message
// keeps its own metadata and acknowledgement, which the library's batch
// call, returning one buffer per route, would merge.
type processor struct {
	t *kpaudit.Transform
}

func newProcessor(config []byte) (*processor, error) {
	t, err := kpaudit.New(config)
	if err != nil {
		return nil, err
	}
	return &processor{t: t}, nil
}

func (p *processor) ProcessBatch(_ context.Context, batch service.MessageBatch) ([]service.MessageBatch, error) {
	for _, msg := range batch {
		if err := p.process(msg); err != nil {
			return nil, err
		}
	}
	return []service.MessageBatch{batch}, nil
}

// process transforms msg in place. Only a closed transform fails the
// batch; a rejected event fails its own message.
func (p *processor) process(msg *service.Message) error {
	event, err := msg.AsBytes()
	if err != nil {
		return err
	}
	r, err := p.t.Process(event)
	var rejected *kpaudit.Error
	if errors.As(err, &rejected) {
		msg.SetBytes(rejectionRecord(rejected, len(event)))
		msg.MetaSet(MetaError, rejected.Code.String())
		msg.SetError(rejected)
		return nil
	}
	if err != nil {
		return err
	}
	msg.SetBytes(r.Event)
	msg.MetaSet(MetaRoute, r.Route)
	msg.MetaSet(MetaSeverity, r.Severity.String())
	msg.MetaSet(MetaRedacted, strconv.Itoa(r.Redacted))
	return nil
}

// rejectionRecord replaces a rejected event: what was wrong and how long
// the event was, never its bytes.
func rejectionRecord(e *kpaudit.Error, n int) []byte {
	record, _ := json.Marshal(struct {
		Error   string `json:"error"`
		Message string `json:"message"`
		Bytes   int    `json:"bytes"`
	}{e.Code.String(), e.Message, n})
	return record
}

func (p *processor) Close(context.Context) error {
	return p.t.Close()
}

package benthos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	kpaudit "github.com/kpaudit/kpaudit/go"
	"github.com/redpanda-data/benthos/v4/public/service"
)

func init() {
	err := service.RegisterBatchProcessor("kpaudit", spec(),
		func(conf *service.ParsedConfig, _ *service.Resources) (service.BatchProcessor, error) {
			config, source, err := configJSON(conf)
			if err != nil {
				return nil, err
			}
			p, err := newProcessor(config)
			if err != nil {
				// Say which configuration the library refused.
				return nil, fmt.Errorf("%s: %w", source, err)
			}
			return p, nil
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

	// The transform's key-material rule, for the messages' metadata.
	keyMaterial *kpaudit.KeyMaterial
	mask        string
	masked      bool
}

func newProcessor(config []byte) (*processor, error) {
	t, err := kpaudit.New(config)
	if err != nil {
		return nil, err
	}
	// The shipped pipeline writes each route to <route>.ndjson beside
	// dead-letter.ndjson: a route of that name would mix the two.
	for _, route := range t.Routes() {
		if fileStem(route) == "dead-letter" {
			t.Close()
			return nil, fmt.Errorf("route %q would write dead-letter.ndjson, the dead letters' file: rename it in the configuration", route)
		}
	}
	p := &processor{t: t, keyMaterial: t.KeyMaterial()}
	p.mask, p.masked = p.keyMaterial.Mask()
	return p, nil
}

// fileStem is a route name as pipeline.yaml makes it a file name.
func fileStem(route string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, route)
}

// ProcessBatch never fails the batch: Benthos would then pass the original
// messages on, marked as errored, and a pipeline writing errored messages
// somewhere would write raw events. A message that cannot be transformed,
// for whatever reason, has its content replaced by the reason instead.
func (p *processor) ProcessBatch(_ context.Context, batch service.MessageBatch) (out []service.MessageBatch, err error) {
	done := 0
	defer func() {
		if r := recover(); r != nil {
			p.failAll(batch[done:], fmt.Errorf("kpaudit: panic in the processor: %v", r))
			out, err = []service.MessageBatch{batch}, nil
		}
	}()
	for _, msg := range batch {
		if err := p.process(msg); err != nil {
			// A closed transform or another failure of the whole batch:
			// this message and the rest keep no raw content.
			p.failAll(batch[done:], err)
			break
		}
		done++
	}
	return []service.MessageBatch{batch}, nil
}

// processHook lets a test inject a failure (an error or a panic) into the
// transformation of a message; scrubHook into the stripping of its metadata.
var (
	processHook func(*service.Message) error
	scrubHook   func(*service.Message)
)

// process transforms msg in place. A rejected event fails its own message;
// any other failure is returned for ProcessBatch to handle.
func (p *processor) process(msg *service.Message) error {
	if processHook != nil {
		if err := processHook(msg); err != nil {
			return err
		}
	}
	stripped := p.scrubMeta(msg)
	event, err := msg.AsBytes()
	if err != nil {
		return err
	}
	r, err := p.t.Process(event)
	var rejected *kpaudit.Error
	if errors.As(err, &rejected) {
		reject(msg, rejected.Code.String(), rejected, len(event))
		return nil
	}
	if err != nil {
		return err
	}
	msg.SetBytes(r.Event)
	msg.MetaSet(MetaRoute, r.Route)
	msg.MetaSet(MetaSeverity, r.Severity.String())
	msg.MetaSet(MetaRedacted, strconv.Itoa(r.Redacted+stripped))
	return nil
}

// failAll replaces every message of msgs as a rejected event: the batch
// could not be transformed, so none of them may keep its content.
func (p *processor) failAll(msgs service.MessageBatch, err error) {
	code := "KPAUDIT_FAILED"
	if errors.Is(err, kpaudit.ErrClosed) {
		code = "KPAUDIT_CLOSED"
	}
	var kerr *kpaudit.Error
	if errors.As(err, &kerr) {
		code = kerr.Code.String()
	}
	for _, msg := range msgs {
		p.scrubMeta(msg)
		n := -1
		if b, berr := msg.AsBytes(); berr == nil {
			n = len(b)
		}
		reject(msg, code, err, n)
	}
}

// reject replaces msg's content by the reason it was not transformed and
// marks it errored; its route metadata, if any, goes with the content.
func reject(msg *service.Message, code string, err error, n int) {
	message := err.Error()
	var kerr *kpaudit.Error
	if errors.As(err, &kerr) {
		message = kerr.Message
	}
	msg.SetBytes(rejectionRecord(code, message, n))
	msg.MetaDelete(MetaRoute)
	msg.MetaDelete(MetaSeverity)
	msg.MetaDelete(MetaRedacted)
	msg.MetaSet(MetaError, code)
	msg.SetError(err)
}

// rejectionRecord replaces a rejected event: what was wrong and how long
// the event was (-1 when unknown), never its bytes.
func rejectionRecord(code, message string, n int) []byte {
	record, _ := json.Marshal(struct {
		Error   string `json:"error"`
		Message string `json:"message"`
		Bytes   int    `json:"bytes"`
	}{code, message, n})
	return record
}

func (p *processor) Close(context.Context) error {
	return p.t.Close()
}

// scrubMeta strips key material from msg's metadata, which outputs may
// write (as Kafka headers, in interpolations) and inputs fill from what
// they received (HTTP headers such as Authorization, Kafka headers): a
// member named as the transform's key material, at the top or inside a
// structured value, is removed, or in mask mode given the mask. It returns
// how many. Should that fail, all of the message's metadata goes.
func (p *processor) scrubMeta(msg *service.Message) (n int) {
	defer func() {
		if recover() != nil {
			var keys []string
			_ = msg.MetaWalkMut(func(k string, _ any) error { keys = append(keys, k); return nil })
			for _, k := range keys {
				msg.MetaDelete(k)
			}
			n = 0
		}
	}()
	if scrubHook != nil {
		scrubHook(msg)
	}
	type change struct {
		key    string
		value  any
		remove bool
	}
	var changes []change
	_ = msg.MetaWalkMut(func(k string, v any) error {
		keyText := p.keyMaterial.InText(k)
		if keyText || p.keyMaterial.Is(k) || p.textHoldsKeyMaterial(v) {
			// A key that holds such text goes whole, in mask mode too.
			changes = append(changes, change{k, p.mask, !p.masked || keyText})
			n++
			return nil
		}
		if nv, c := p.stripValue(v); c > 0 {
			changes = append(changes, change{k, nv, false})
			n += c
		}
		return nil
	})
	for _, c := range changes {
		if c.remove {
			msg.MetaDelete(c.key)
		} else {
			msg.MetaSetMut(c.key, c.value)
		}
	}
	return n
}

// textHoldsKeyMaterial says whether v is text (a string or bytes) holding
// a key-material member name, such as a copy of the raw event: it goes
// whole, as a key-material member does (KeyMaterial.InText).
func (p *processor) textHoldsKeyMaterial(v any) bool {
	switch v := v.(type) {
	case string:
		return p.keyMaterial.InText(v)
	case []byte:
		return p.keyMaterial.InText(string(v))
	}
	return false
}

// stripValue is v without its key-material members at any depth, nor the
// text that holds key material, and how many there were. A changed map or
// slice is a copy: metadata values may be shared with other messages.
func (p *processor) stripValue(v any) (any, int) {
	switch v := v.(type) {
	case map[string]any:
		var out map[string]any
		n := 0
		for k, e := range v {
			if p.keyMaterial.Is(k) || p.keyMaterial.InText(k) || p.textHoldsKeyMaterial(e) {
				n++
				continue
			}
			if ne, c := p.stripValue(e); c > 0 {
				n += c
				if out == nil {
					out = make(map[string]any, len(v))
				}
				out[k] = ne
			}
		}
		if n == 0 {
			return v, 0
		}
		if out == nil {
			out = make(map[string]any, len(v))
		}
		for k, e := range v {
			if _, done := out[k]; done {
				continue
			}
			if p.keyMaterial.Is(k) || p.keyMaterial.InText(k) || p.textHoldsKeyMaterial(e) {
				if p.masked && !p.keyMaterial.InText(k) {
					out[k] = p.mask
				}
				continue
			}
			out[k] = e
		}
		return out, n
	case []any:
		var out []any // a copy, from the first element that changes
		n := 0
		for i, e := range v {
			ne, c, keep := e, 0, true
			if p.textHoldsKeyMaterial(e) {
				ne, c, keep = p.mask, 1, p.masked
			} else {
				ne, c = p.stripValue(e)
			}
			if c > 0 && out == nil {
				out = append(make([]any, 0, len(v)), v[:i]...)
			}
			if out != nil && keep {
				out = append(out, ne)
			}
			n += c
		}
		if n == 0 {
			return v, 0
		}
		return out, n
	}
	return v, 0
}

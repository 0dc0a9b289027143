package kpauditprocessor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unsafe"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.uber.org/zap"

	kpaudit "github.com/kpaudit/kpaudit/go"
)

type bodyKind uint8

const (
	bodyUnsupported bodyKind = iota
	bodyStr
	bodyBytes
	bodyMap
)

type kpProcessor struct {
	t      *kpaudit.Transform
	logger *zap.Logger
	tel    *telemetry

	routeAttr   string
	rejectRoute string
	drop        bool
	group       bool
	groupAttr   string
	groupPrefix string

	// Key material in what travels beside the body (attributes), which
	// the library never sees, is stripped by the library's own rule.
	keyMaterial *kpaudit.KeyMaterial
	mask        string
	masked      bool

	setSeverity [kpaudit.Critical + 1]bool
	sevNumber   [kpaudit.Critical + 1]plog.SeverityNumber
	sevText     [kpaudit.Critical + 1]string

	scratch sync.Pool
}

// batchScratch is one batch's working memory, pooled across batches.
type batchScratch struct {
	events  [][]byte   // the events handed to the library, in record order
	kinds   []bodyKind // per record, in record order
	mapJSON []byte     // the map bodies written as JSON, back to back
	mapAt   [][3]int   // per map body: event index, start and end in mapJSON
	routes  []string   // per record kept, in record order, for grouping
	// per record, in record order: key-material members stripped from its
	// attributes
	attrRedacted []uint32
	counts       *counts
}

func newProcessor(set processor.Settings, cfg *Config) (*kpProcessor, error) {
	t, err := cfg.newTransform()
	if err != nil {
		return nil, err
	}
	tel, err := newTelemetry(set.TelemetrySettings, t.Routes())
	if err != nil {
		t.Close()
		return nil, err
	}
	p := &kpProcessor{
		t:           t,
		logger:      set.Logger,
		tel:         tel,
		routeAttr:   cfg.RouteAttribute,
		rejectRoute: cfg.RejectRoute,
		drop:        cfg.OnReject == onRejectDrop,
		group:       cfg.GroupByRoute.Enabled,
		groupAttr:   cfg.groupAttribute(),
		groupPrefix: cfg.GroupByRoute.Prefix,
		keyMaterial: t.KeyMaterial(),
	}
	p.mask, p.masked = p.keyMaterial.Mask()
	for s, name := range [...]string{kpaudit.Normal: cfg.Severity.Normal, kpaudit.Warning: cfg.Severity.Warning, kpaudit.Critical: cfg.Severity.Critical} {
		if name != "" {
			p.setSeverity[s] = true
			p.sevNumber[s] = severityNumbers[name]
			p.sevText[s] = name
		}
	}
	p.scratch.New = func() any { return &batchScratch{counts: tel.newCounts()} }
	return p, nil
}

func (p *kpProcessor) shutdown(context.Context) error {
	return p.t.Close()
}

// processLogs transforms every record of ld with one call into the
// library for the whole batch.
func (p *kpProcessor) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	sc := p.scratch.Get().(*batchScratch)
	defer p.release(sc)

	// 1. Strip key material from the attributes, which go on whatever
	// becomes of the body, and gather the bodies. A string body is handed
	// over in place: the library only reads it, during the call.
	c := sc.counts
	for _, rl := range ld.ResourceLogs().All() {
		c.redacted += int64(p.stripMap(rl.Resource().Attributes()))
		for _, sl := range rl.ScopeLogs().All() {
			c.redacted += int64(p.stripMap(sl.Scope().Attributes()))
			for _, lr := range sl.LogRecords().All() {
				n := p.stripMap(lr.Attributes())
				c.redacted += int64(n)
				sc.attrRedacted = append(sc.attrRedacted, uint32(n))
				body := lr.Body()
				switch body.Type() {
				case pcommon.ValueTypeStr:
					s := body.Str()
					sc.events = append(sc.events, unsafe.Slice(unsafe.StringData(s), len(s)))
					sc.kinds = append(sc.kinds, bodyStr)
				case pcommon.ValueTypeBytes:
					sc.events = append(sc.events, body.Bytes().AsRaw())
					sc.kinds = append(sc.kinds, bodyBytes)
				case pcommon.ValueTypeMap:
					start := len(sc.mapJSON)
					sc.mapJSON = appendMapJSON(sc.mapJSON, body.Map())
					sc.mapAt = append(sc.mapAt, [3]int{len(sc.events), start, len(sc.mapJSON)})
					sc.events = append(sc.events, nil)
					sc.kinds = append(sc.kinds, bodyMap)
				default:
					sc.kinds = append(sc.kinds, bodyUnsupported)
				}
			}
		}
	}
	for _, at := range sc.mapAt {
		sc.events[at[0]] = sc.mapJSON[at[1]:at[2]:at[2]]
	}

	// 2. One cgo call for the batch.
	results, errs := p.t.ProcessEach(sc.events)
	for _, err := range errs {
		if err != nil && !errors.As(err, new(*kpaudit.Error)) {
			// Not the event's fault (the transform is closed): the batch
			// fails as a whole and the receiver may retry it.
			return ld, fmt.Errorf("kpaudit: %w", err)
		}
	}

	// 3. Write the results back, record by record in the same order.
	k, e := 0, 0
	dropped := 0
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			sl.LogRecords().RemoveIf(func(lr plog.LogRecord) bool {
				kind := sc.kinds[k]
				k++
				if kind == bodyUnsupported {
					msg := fmt.Sprintf("the log record's body is of type %s, not a string, bytes or a map", lr.Body().Type())
					return p.reject(lr, sc, reasonUnsupportedBody, msg, &dropped)
				}
				r, err := results[e], errs[e]
				e++
				if err != nil {
					var kerr *kpaudit.Error
					errors.As(err, &kerr)
					return p.reject(lr, sc, kerr.Code.String(), kerr.Message, &dropped)
				}
				switch kind {
				case bodyStr:
					// The output lives in memory of its own that nothing
					// writes to again, so the string can be a view of it.
					lr.Body().SetStr(unsafe.String(unsafe.SliceData(r.Event), len(r.Event)))
				case bodyBytes:
					lr.Body().SetEmptyBytes().FromRaw(r.Event)
				case bodyMap:
					m := pcommon.NewMap()
					if err := decodeMapJSON(r.Event, m); err != nil {
						// The library writes JSON objects only; this is a bug.
						return p.reject(lr, sc, "KPAUDIT_MAP_DECODE", "the transformed event could not be read back into a map: "+err.Error(), &dropped)
					}
					m.MoveTo(lr.Body().Map())
				}
				attrs := lr.Attributes()
				attrs.EnsureCapacity(attrs.Len() + 2) // one allocation, not two
				attrs.PutStr(p.routeAttr, r.Route)
				attrs.PutInt(attrRedacted, int64(r.Redacted)+int64(sc.attrRedacted[k-1]))
				if p.setSeverity[r.Severity] {
					lr.SetSeverityNumber(p.sevNumber[r.Severity])
					lr.SetSeverityText(p.sevText[r.Severity])
				}
				if i, ok := p.tel.routeIndex[r.Route]; ok {
					c.records[i][r.Severity]++
				}
				c.redacted += int64(r.Redacted)
				if p.group {
					sc.routes = append(sc.routes, r.Route)
				}
				return false
			})
		}
	}
	p.tel.record(ctx, c)

	if dropped > 0 {
		ld.ResourceLogs().RemoveIf(func(rl plog.ResourceLogs) bool {
			rl.ScopeLogs().RemoveIf(func(sl plog.ScopeLogs) bool { return sl.LogRecords().Len() == 0 })
			return rl.ScopeLogs().Len() == 0
		})
		if ld.ResourceLogs().Len() == 0 {
			return ld, processorhelper.ErrSkipProcessingData
		}
	}
	if p.group {
		p.groupByRoute(ld, sc.routes)
	}
	return ld, nil
}

// reject replaces a rejected record's body with the reason, or tells
// RemoveIf to drop the record. The original body is gone either way.
func (p *kpProcessor) reject(lr plog.LogRecord, sc *batchScratch, reason, message string, dropped *int) bool {
	sc.counts.rejected[reason]++
	if p.logger.Core().Enabled(zap.DebugLevel) {
		p.logger.Debug("kpaudit rejected a log record", zap.String("reason", reason), zap.String("message", message))
	}
	if p.drop {
		*dropped++
		return true
	}
	body := lr.Body().SetEmptyMap()
	body.EnsureCapacity(2)
	body.PutStr("error", reason)
	body.PutStr("message", message)
	attrs := lr.Attributes()
	attrs.PutStr(attrError, reason)
	attrs.PutStr(p.routeAttr, p.rejectRoute)
	if p.group {
		sc.routes = append(sc.routes, p.rejectRoute)
	}
	return false
}

// groupByRoute leaves each resource with the records of one route and
// names the route in a resource attribute. A resource whose records have
// several routes keeps the first route's records; the others move to new
// resources (copies of the resource and scopes) appended to ld. routes
// holds each record's route in record order.
func (p *kpProcessor) groupByRoute(ld plog.Logs, routes []string) {
	rls := ld.ResourceLogs()
	n := rls.Len()
	j := 0
	for i := range n {
		rl := rls.At(i)
		count := 0
		for _, sl := range rl.ScopeLogs().All() {
			count += sl.LogRecords().Len()
		}
		rr := routes[j : j+count]
		j += count
		if count == 0 {
			continue
		}
		first := rr[0]
		mixed := false
		for _, r := range rr {
			if r != first {
				mixed = true
				break
			}
		}
		if mixed {
			split := map[string]plog.ResourceLogs{}
			k := 0
			for _, sl := range rl.ScopeLogs().All() {
				targets := map[string]plog.ScopeLogs{}
				// Each route's records in this scope, so that its new
				// scope's records are allocated once, at their number.
				size := map[string]int{}
				for _, r := range rr[k : k+sl.LogRecords().Len()] {
					size[r]++
				}
				sl.LogRecords().RemoveIf(func(lr plog.LogRecord) bool {
					r := rr[k]
					k++
					if r == first {
						return false
					}
					dst, ok := targets[r]
					if !ok {
						nrl, ok := split[r]
						if !ok {
							nrl = rls.AppendEmpty()
							rl.Resource().CopyTo(nrl.Resource())
							nrl.SetSchemaUrl(rl.SchemaUrl())
							nrl.Resource().Attributes().PutStr(p.groupAttr, p.groupPrefix+r)
							split[r] = nrl
						}
						dst = nrl.ScopeLogs().AppendEmpty()
						sl.Scope().CopyTo(dst.Scope())
						dst.SetSchemaUrl(sl.SchemaUrl())
						dst.LogRecords().EnsureCapacity(size[r])
						targets[r] = dst
					}
					lr.MoveTo(dst.LogRecords().AppendEmpty())
					return true
				})
			}
			rl.ScopeLogs().RemoveIf(func(sl plog.ScopeLogs) bool { return sl.LogRecords().Len() == 0 })
		}
		rl.Resource().Attributes().PutStr(p.groupAttr, p.groupPrefix+first)
	}
}

func (p *kpProcessor) release(sc *batchScratch) {
	// Drop the references into this batch's data before pooling.
	clear(sc.events)
	sc.events = sc.events[:0]
	sc.kinds = sc.kinds[:0]
	sc.mapJSON = sc.mapJSON[:0]
	sc.mapAt = sc.mapAt[:0]
	sc.routes = sc.routes[:0]
	sc.attrRedacted = sc.attrRedacted[:0]
	sc.counts.reset()
	if cap(sc.mapJSON) > 16<<20 || cap(sc.events) > 1<<20 {
		return // one huge batch does not pin its memory in the pool
	}
	p.scratch.Put(sc)
}

// stripMap removes the key-material members of m at any depth (in maps
// nested in it and in the maps of its slices), or in mask mode replaces
// their values with the mask, as the library does in a body. A string or
// bytes value that holds a key-material member name (a copy of the raw
// event, say) goes the same way, whole: it is text the library never
// scans. It returns how many it stripped, and writes to m only when there
// is one.
func (p *kpProcessor) stripMap(m pcommon.Map) int {
	found := false
	for k, v := range m.All() {
		if p.keyMaterialKey(k) || p.keyMaterial.InText(k) || mayHold(v) {
			found = true
			break
		}
	}
	if !found {
		return 0
	}
	n := 0
	m.RemoveIf(func(k string, v pcommon.Value) bool {
		// A key that holds such text goes whole, in mask mode too.
		if p.keyMaterial.InText(k) {
			n++
			return true
		}
		return p.dropOrStrip(v, p.keyMaterialKey(k) || p.textHoldsKeyMaterial(v), &n)
	})
	return n
}

// dropOrStrip acts on one map or slice element for RemoveIf: one that goes
// is counted and masked (then kept) or removed; any other is stripped
// inside. It returns whether to remove it.
func (p *kpProcessor) dropOrStrip(v pcommon.Value, goes bool, n *int) bool {
	if !goes {
		*n += p.stripValue(v)
		return false
	}
	*n++
	if p.masked {
		v.SetStr(p.mask)
		return false
	}
	return true
}

// mayHold says whether v may hold key material below its own name: a map
// or slice, or text with a quote or backslash in it (JSON text may).
func mayHold(v pcommon.Value) bool {
	switch v.Type() {
	case pcommon.ValueTypeMap, pcommon.ValueTypeSlice:
		return true
	case pcommon.ValueTypeStr:
		s := v.Str()
		return strings.IndexByte(s, '"') >= 0 || strings.IndexByte(s, '\\') >= 0
	case pcommon.ValueTypeBytes:
		b := v.Bytes().AsRaw()
		return bytes.IndexByte(b, '"') >= 0 || bytes.IndexByte(b, '\\') >= 0
	}
	return false
}

// textHoldsKeyMaterial says whether v is a string or bytes value holding a
// key-material member name (KeyMaterial.InText).
func (p *kpProcessor) textHoldsKeyMaterial(v pcommon.Value) bool {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return p.keyMaterial.InText(v.Str())
	case pcommon.ValueTypeBytes:
		return p.keyMaterial.InText(string(v.Bytes().AsRaw()))
	}
	return false
}

// keyMaterialKey says whether an attribute (or client metadata) key names
// key material: the whole key, or its last dot-separated segment, since
// attribute names are namespaced with dots and receivers put a name they
// carry last (the Kafka receiver's header extraction makes the header
// Authorization the attribute kafka.header.Authorization; OpenTelemetry's
// conventions name HTTP headers http.request.header.<name>).
func (p *kpProcessor) keyMaterialKey(k string) bool {
	if p.keyMaterial.Is(k) {
		return true
	}
	if i := strings.LastIndexByte(k, '.'); i >= 0 {
		return p.keyMaterial.Is(k[i+1:])
	}
	return false
}

func (p *kpProcessor) stripValue(v pcommon.Value) int {
	switch v.Type() {
	case pcommon.ValueTypeMap:
		return p.stripMap(v.Map())
	case pcommon.ValueTypeSlice:
		n := 0
		v.Slice().RemoveIf(func(e pcommon.Value) bool {
			return p.dropOrStrip(e, p.textHoldsKeyMaterial(e), &n)
		})
		return n
	}
	return 0
}

// stripClientMetadata is ctx with the client metadata stripped of key
// material, by the same key rule as attributes. Receivers fill it from
// what they received (the Kafka receiver copies every record header there;
// the OTLP receivers with include_metadata the request's headers), and
// exporters can write it back out (the Kafka exporter's
// include_metadata_keys). The authenticator's data (client.Info.Auth) is
// left as it is.
func (p *kpProcessor) stripClientMetadata(ctx context.Context) (context.Context, int) {
	info := client.FromContext(ctx)
	n := 0
	for k := range info.Metadata.Keys() {
		if p.keyMaterialMetadata(k, info.Metadata.Get(k)) {
			n++
		}
	}
	if n == 0 {
		return ctx, 0
	}
	md := map[string][]string{}
	for k := range info.Metadata.Keys() {
		switch vs := info.Metadata.Get(k); {
		case !p.keyMaterialMetadata(k, vs):
			md[k] = vs
		case p.masked && !p.keyMaterial.InText(k):
			md[k] = []string{p.mask}
		}
	}
	return client.NewContext(ctx, client.Info{Addr: info.Addr, Auth: info.Auth, Metadata: client.NewMetadata(md)}), n
}

// keyMaterialMetadata says whether a client metadata entry is key
// material: by its key, or a value holding a key-material member name.
func (p *kpProcessor) keyMaterialMetadata(k string, values []string) bool {
	if p.keyMaterialKey(k) || p.keyMaterial.InText(k) {
		return true
	}
	for _, v := range values {
		if p.keyMaterial.InText(v) {
			return true
		}
	}
	return false
}

// strippedNext is the next consumer, handed the processed data with the
// client metadata stripped (processorhelper passes the incoming context on).
type strippedNext struct {
	consumer.Logs
	p *kpProcessor
}

func (s strippedNext) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	ctx, n := s.p.stripClientMetadata(ctx)
	if n > 0 {
		s.p.tel.redacted.Add(ctx, int64(n))
	}
	// Counted before the next consumer has the batch: a routing connector
	// moves the records out of it before an exporter refuses them.
	records := ld.LogRecordCount()
	if err := s.Logs.ConsumeLogs(ctx, ld); err != nil {
		return &deliveryError{records: records, err: err}
	}
	return nil
}

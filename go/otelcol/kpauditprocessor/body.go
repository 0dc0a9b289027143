package kpauditprocessor

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// A map body (what OTLP JSON gives) is written as JSON for the library, in
// the map's own member order, and the transformed JSON is read back into a
// map. What does not survive the round trip: a number's spelling (1.50e3
// comes back as the double 1500; an integer is an int64 if it fits, a
// double otherwise, so integers past 2^63 lose digits); a double with an
// integral value keeps its type (written 2.0); NaN and the infinities,
// which JSON cannot hold, become null; bytes values become base64 strings.

// appendMapJSON appends m as a JSON object.
func appendMapJSON(dst []byte, m pcommon.Map) []byte {
	dst = append(dst, '{')
	first := true
	for k, v := range m.All() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		dst = appendValueJSON(dst, v)
	}
	return append(dst, '}')
}

func appendValueJSON(dst []byte, v pcommon.Value) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return appendJSONString(dst, v.Str())
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(dst, v.Int(), 10)
	case pcommon.ValueTypeDouble:
		f := v.Double()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return append(dst, "null"...)
		}
		start := len(dst)
		dst = strconv.AppendFloat(dst, f, 'g', -1, 64)
		if !bytes.ContainsAny(dst[start:], ".e") {
			dst = append(dst, ".0"...)
		}
		return dst
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(dst, v.Bool())
	case pcommon.ValueTypeMap:
		return appendMapJSON(dst, v.Map())
	case pcommon.ValueTypeSlice:
		dst = append(dst, '[')
		for i, e := range v.Slice().All() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendValueJSON(dst, e)
		}
		return append(dst, ']')
	case pcommon.ValueTypeBytes:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, v.Bytes().AsRaw())
		return append(dst, '"')
	default: // empty
		return append(dst, "null"...)
	}
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes
// U+FFFD, as encoding/json writes it.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// errNotObject is what decodeMapJSON gives for JSON that is not an object;
// the library only ever returns objects.
var errNotObject = errors.New("the transformed event is not a JSON object")

// decodeMapJSON reads one JSON object into m, which it clears first.
func decodeMapJSON(data []byte, m pcommon.Map) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	tok, err := d.Token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return errNotObject
	}
	m.Clear()
	if err := decodeObject(d, m); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("data after the transformed event")
	}
	return nil
}

// decodeObject reads the members of an object whose '{' was read.
func decodeObject(d *json.Decoder, m pcommon.Map) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		if tok == json.Delim('}') {
			return nil
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("member name of type %T", tok)
		}
		// A name given twice keeps its last value, as the library reads it.
		v, found := m.Get(key)
		if !found {
			v = m.PutEmpty(key)
		}
		if err := decodeValue(d, v); err != nil {
			return err
		}
	}
}

func decodeValue(d *json.Decoder, v pcommon.Value) error {
	tok, err := d.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return decodeObject(d, v.SetEmptyMap())
		}
		s := v.SetEmptySlice()
		for d.More() {
			if err := decodeValue(d, s.AppendEmpty()); err != nil {
				return err
			}
		}
		_, err := d.Token() // ']'
		return err
	case string:
		v.SetStr(t)
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			v.SetInt(i)
		} else if f, err := t.Float64(); err == nil {
			v.SetDouble(f)
		} else {
			// Beyond float64's range: JSON allows it, a double cannot hold it.
			v.SetDouble(math.Inf(sign(string(t))))
		}
	case bool:
		v.SetBool(t)
	case nil:
		// An empty value.
		if v.Type() != pcommon.ValueTypeEmpty {
			pcommon.NewValueEmpty().CopyTo(v)
		}
	}
	return nil
}

func sign(number string) int {
	if len(number) > 0 && number[0] == '-' {
		return -1
	}
	return 1
}

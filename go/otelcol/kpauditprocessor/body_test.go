package kpauditprocessor

import (
	"encoding/json"
	"math"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestJSONStringsAsEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "quote \" backslash \\ slash /", "\n\r\t\b\f\x00\x1f\x7f",
		"caf\u00e9 \U0001F511", "bad \xff utf-8 \xc3", "<html> & \u2028"} {
		var back string
		if err := json.Unmarshal(appendJSONString(nil, s), &back); err != nil {
			t.Errorf("%q: %v", s, err)
			continue
		}
		want, _ := json.Marshal(s)
		var wantBack string
		_ = json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Errorf("%q came back as %q, encoding/json gives %q", s, back, wantBack)
		}
	}
}

func TestMapJSONRoundTrip(t *testing.T) {
	m := pcommon.NewMap()
	m.PutStr("s", "x")
	m.PutInt("i", -9007199254740993)
	m.PutDouble("d", 0.1)
	m.PutDouble("whole", 3)
	m.PutDouble("nan", math.NaN())
	m.PutBool("b", false)
	m.PutEmpty("nil")
	m.PutEmptyBytes("bytes").FromRaw([]byte{0, 1, 2})
	sl := m.PutEmptySlice("arr")
	sl.AppendEmpty().SetInt(1)
	sl.AppendEmpty().SetEmptyMap().PutStr("k", "v")
	sl.AppendEmpty().SetEmptySlice()
	data := appendMapJSON(nil, m)
	want := `{"s":"x","i":-9007199254740993,"d":0.1,"whole":3.0,"nan":null,"b":false,"nil":null,"bytes":"AAEC","arr":[1,{"k":"v"},[]]}`
	if string(data) != want {
		t.Fatalf("got  %s\nwant %s", data, want)
	}
	back := pcommon.NewMap()
	if err := decodeMapJSON(data, back); err != nil {
		t.Fatal(err)
	}
	if string(appendMapJSON(nil, back)) != want {
		t.Errorf("round trip: %s", appendMapJSON(nil, back))
	}
	for k, typ := range map[string]pcommon.ValueType{"i": pcommon.ValueTypeInt, "whole": pcommon.ValueTypeDouble,
		"nil": pcommon.ValueTypeEmpty, "bytes": pcommon.ValueTypeStr, "arr": pcommon.ValueTypeSlice} {
		if v, _ := back.Get(k); v.Type() != typ {
			t.Errorf("%s came back as %s, want %s", k, v.Type(), typ)
		}
	}
}

func TestDecodeSpellingsAndDuplicates(t *testing.T) {
	m := pcommon.NewMap()
	err := decodeMapJSON([]byte(`{"a":1.50e3,"big":123456789012345678901234567890,"huge":1e400,"a2":-0,"d":1,"d":{"x":[true,null]}}`), m)
	if err != nil {
		t.Fatal(err)
	}
	raw := m.AsRaw()
	if raw["a"] != 1500.0 || raw["big"] != 1.2345678901234568e29 || !math.IsInf(raw["huge"].(float64), 1) || raw["a2"] != int64(0) {
		t.Errorf("numbers: %#v", raw)
	}
	if d, ok := raw["d"].(map[string]any); !ok || len(d["x"].([]any)) != 2 || m.Len() != 5 {
		t.Errorf("a repeated name keeps its last value in place: %#v", raw)
	}
	for _, bad := range []string{`[1]`, `{"a":1} {}`, `{"a":`, `"s"`} {
		if err := decodeMapJSON([]byte(bad), pcommon.NewMap()); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

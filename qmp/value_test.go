package qmp

import (
	"bytes"
	"encoding/json"
	"testing"
)

// encodingJSON is what encoding/json writes for v, without HTML escaping.
func encodingJSON(t testing.TB, v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}

func TestObjectKeepsOrder(t *testing.T) {
	o := Object{{"z", "last"}, {"a", true}, {"m", json.Number("-12")}, {"n", nil},
		{"l", []any{"x", Object{{"k", false}}}}, {"f", 1.5}}
	got, err := o.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"z":"last","a":true,"m":-12,"n":null,"l":["x",{"k":false}],"f":1.5}`
	if string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
	o.Set("a", false)
	o.Set("new", "v")
	if v, _ := o.Get("a"); v != false || len(o) != 7 {
		t.Errorf("Set: %v", o)
	}
	if _, err := (Object{{"bad", json.Number("1x")}}).MarshalJSON(); err == nil {
		t.Error("an invalid json.Number marshalled")
	}
}

func TestRequestJSON(t *testing.T) {
	got, _ := Request{Execute: "stop"}.MarshalJSON()
	if string(got) != `{"execute":"stop"}` {
		t.Errorf("no arguments: %s", got)
	}
	got, _ = Request{Execute: "x", Arguments: Object{{"cmd", "a > b & c"}}}.MarshalJSON()
	if string(got) != `{"execute":"x","arguments":{"cmd":"a > b & c"}}` {
		t.Errorf("with arguments: %s", got)
	}
	got, err := Request{Execute: "stop", Raw: json.RawMessage(` { "execute" : "stop" } `)}.MarshalJSON()
	if err != nil || string(got) != `{"execute":"stop"}` {
		t.Errorf("raw: %s %v", got, err)
	}
}

// appendString must agree with encoding/json (minus HTML escaping) on
// every string, valid UTF-8 or not.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `q"uote\back`, "\x00\x1f\n\r\t", "é€😀", "\xff\xfe", "\u2028\u2029", "<>&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString(nil, s)
		want := encodingJSON(t, s)
		if !bytes.Equal(got, want) {
			t.Errorf("appendString(%q) = %s, encoding/json: %s", s, got, want)
		}
	})
}

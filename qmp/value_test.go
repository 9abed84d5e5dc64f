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
	o := Object{{"z", Str("last")}, {"a", Bool(true)}, {"m", Num("-12")}, {"n", Null()},
		{"l", List(Str("x"), Obj(Object{{"k", Bool(false)}}))}, {"f", Num("1.5")},
		{"i", Int(-7)}, {"r", Raw(json.RawMessage(` {"a": [1, 2]} `))}}
	got, err := o.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"z":"last","a":true,"m":-12,"n":null,"l":["x",{"k":false}],"f":1.5,"i":-7,"r":{"a":[1,2]}}`
	if string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
	o.Set("a", Bool(false))
	o.Set("new", Str("v"))
	if b, ok := o.Bool("a"); !ok || b || len(o) != 9 {
		t.Errorf("Set: %v", o)
	}
	if s, ok := o.Str("z"); !ok || s != "last" {
		t.Errorf("Str(z) = %q, %v", s, ok)
	}
	if _, ok := o.Str("a"); ok {
		t.Error("Str(a) of a boolean")
	}
	if n, ok := o.Number("m"); !ok || n != "-12" {
		t.Errorf("Number(m) = %q, %v", n, ok)
	}
	if l, ok := o.Strings("l"); ok {
		t.Errorf("Strings(l) of a mixed list: %q", l)
	}
	for _, bad := range []string{"1x", "", "-", "007", "-01", "1.", "+1"} {
		if _, err := (Object{{"bad", Num(json.Number(bad))}}).MarshalJSON(); err == nil {
			t.Errorf("an invalid number %q marshalled", bad)
		}
	}
	for _, good := range []string{"0", "-0", "10", "-12", "1.5", "1e9", "-0.25E-3", "18446744073709551615"} {
		if got, err := (Object{{"n", Num(json.Number(good))}}).MarshalJSON(); err != nil || string(got) != `{"n":`+good+`}` {
			t.Errorf("number %q: %s, %v", good, got, err)
		}
	}
}

func TestRequestJSON(t *testing.T) {
	got, _ := Request{Execute: "stop"}.MarshalJSON()
	if string(got) != `{"execute":"stop"}` {
		t.Errorf("no arguments: %s", got)
	}
	got, _ = Request{Execute: "x", Arguments: Object{{"cmd", Str("a > b & c")}}}.MarshalJSON()
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

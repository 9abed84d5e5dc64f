package split

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestComma(t *testing.T) {
	tests := []struct {
		in   string
		want []Item
	}{
		{"", []Item{{"", 0}}},
		{"a", []Item{{"a", 0}}},
		{"a,b", []Item{{"a", 0}, {"b", 2}}},
		{",", []Item{{"", 0}, {"", 1}}},
		{",,", []Item{{",", 0}}},
		{",,,", []Item{{",", 0}, {"", 3}}},
		{",,,,", []Item{{",,", 0}}},
		{"a,,b", []Item{{"a,b", 0}}},
		{"a,,,b", []Item{{"a,", 0}, {"b", 4}}},
		{"a,", []Item{{"a", 0}, {"", 2}}},
		{",a", []Item{{"", 0}, {"a", 1}}},
		{"path=/a,,b,type=unix", []Item{{"path=/a,b", 0}, {"type=unix", 11}}},
		{"x=1,,2,,3,y=é,z", []Item{{"x=1,2,3", 0}, {"y=é", 10}, {"z", 15}}},
	}
	for _, tt := range tests {
		got := Comma(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Comma(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if j := joinComma(texts(got)...); j != tt.in {
			t.Errorf("joinComma(Comma(%q)) = %q", tt.in, j)
		}
	}
}

func texts(items []Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Text)
	}
	return out
}

func TestJoinComma(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{""}, ""},
		{[]string{"", ""}, ","},
		{[]string{"a"}, "a"},
		{[]string{"a", "b"}, "a,b"},
		{[]string{"a,b"}, "a,,b"},
		{[]string{","}, ",,"},
		{[]string{"a,", "b"}, "a,,,b"},
		{[]string{"path=/x,y", "type=unix"}, "path=/x,,y,type=unix"},
	}
	for _, tt := range tests {
		in := append([]string(nil), tt.in...)
		got := joinComma(in...)
		if got != tt.want {
			t.Errorf("joinComma(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if !reflect.DeepEqual(in, tt.in) {
			t.Errorf("joinComma(%q) changed its argument to %q", tt.in, in)
		}
		if len(tt.in) > 0 {
			if back := texts(Comma(got)); !reflect.DeepEqual(back, tt.in) {
				t.Errorf("Comma(joinComma(%q)) = %q", tt.in, back)
			}
		}
	}
}

// TestJoinCommaAmbiguous pins down the one limit of the ",," convention
// (QEMU's as well): after the first element, an element that starts with
// a comma cannot be told from a comma that ends the element before it.
func TestJoinCommaAmbiguous(t *testing.T) {
	a, b := joinComma("a", ",b"), joinComma("a,", "b")
	if a != b {
		t.Fatalf("joinComma(a, ,b) = %q, joinComma(a,, b) = %q; expected the same text", a, b)
	}
	if got := texts(Comma(a)); !reflect.DeepEqual(got, []string{"a,", "b"}) {
		t.Errorf("Comma(%q) = %q; the doubled comma binds to the left", a, got)
	}
}

func TestKeyVals(t *testing.T) {
	tests := []struct {
		in, implied string
		want        []KV
	}{
		{"a=b", "", []KV{{Key: "a", Value: "b", Pos: 0}}},
		{"a=", "", []KV{{Key: "a", Value: "", Pos: 0}}},
		{"a==b", "", []KV{{Key: "a", Value: "=b", Pos: 0}}},
		{"a=b,c=d", "", []KV{{Key: "a", Value: "b", Pos: 0}, {Key: "c", Value: "d", Pos: 4}}},
		{"a=b,,c,d=e", "", []KV{{Key: "a", Value: "b,c", Pos: 0}, {Key: "d", Value: "e", Pos: 7}}},
		{"socket,type=unix,path=/run/a,,b", "transport", []KV{
			{Key: "transport", Value: "socket", Implied: true, Pos: 0},
			{Key: "type", Value: "unix", Pos: 7},
			{Key: "path", Value: "/run/a,b", Pos: 17},
		}},
		// The implied key is only for a first element without '='.
		{"transport=exec,args.0=nc", "transport", []KV{
			{Key: "transport", Value: "exec", Pos: 0},
			{Key: "args.0", Value: "nc", Pos: 15},
		}},
		{"a,,b", "name", []KV{{Key: "name", Value: "a,b", Implied: true, Pos: 0}}},
		// Keys are not checked beyond being non-empty; duplicates are the
		// schema's business.
		{"x.0=1,x.0=2", "", []KV{{Key: "x.0", Value: "1", Pos: 0}, {Key: "x.0", Value: "2", Pos: 6}}},
	}
	for _, tt := range tests {
		got, err := KeyVals(tt.in, tt.implied)
		if err != nil {
			t.Errorf("KeyVals(%q, %q): %v", tt.in, tt.implied, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("KeyVals(%q, %q)\n got %+v\nwant %+v", tt.in, tt.implied, got, tt.want)
		}
	}
}

func TestKeyValsErrors(t *testing.T) {
	tests := []struct {
		in, implied string
		pos         int
		msg         string
	}{
		{"", "", 0, "empty option list"},
		{"", "transport", 0, "empty option list"},
		{",", "", 0, "empty element"},
		{"a=b,", "", 4, "empty element"},
		{"a=b,,,", "", 6, "empty element"},
		{",type=unix", "transport", 0, "empty element"},
		{"a=b,,c,,d,", "", 10, "empty element"},
		{"socket", "", 0, `"socket" is not of the form key=value`},
		{"socket,unix", "transport", 7, `"unix" is not of the form key=value`},
		{"a=1,b", "transport", 4, `"b" is not of the form key=value`},
		{"=x", "", 0, `"=x" has no key before '='`},
		{"a=1,=x", "", 4, `"=x" has no key before '='`},
		{"=x", "transport", 0, `"=x" has no key before '='`},
	}
	for _, tt := range tests {
		got, err := KeyVals(tt.in, tt.implied)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("KeyVals(%q, %q) = %+v, %v; want a *SyntaxError", tt.in, tt.implied, got, err)
			continue
		}
		if got != nil || se.Pos != tt.pos || !strings.Contains(se.Msg, tt.msg) {
			t.Errorf("KeyVals(%q, %q) = %+v, error at %d %q; want at %d containing %q", tt.in, tt.implied, got, se.Pos, se.Msg, tt.pos, tt.msg)
		}
	}
}

// joinComma, the oracle of the round-trip tests, is the inverse of Comma:
// it doubles the commas inside each element and joins them with single
// commas. Comma reads the result back
// into the same elements unless an element after the first starts with a
// comma: "a" and ",b" join to "a,,,b", which is also "a," and "b", and
// Comma (like QEMU) binds the doubled comma to the left.
func joinComma(elems ...string) string {
	escaped := make([]string, len(elems))
	for i, e := range elems {
		escaped[i] = strings.ReplaceAll(e, ",", ",,")
	}
	return strings.Join(escaped, ",")
}

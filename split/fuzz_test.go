package split

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzWords checks that Words never panics, that its failures are
// *SyntaxError with a position inside the line, and that what it accepts
// has consistent offsets and survives Quote and a second Words.
func FuzzWords(f *testing.F) {
	for _, s := range []string{
		"", "migrate -d tcp:h:4444", `"a b" c`, `"\"\\\'\n\r"`, `"\t"`, `"abc`, `"a"b`,
		`C:\x "y"`, "a\vb\fc", "é \"ü\"", `""`, `"\`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		words, err := Words(line)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Words(%q): %T %v, want *SyntaxError", line, err, err)
			}
			if se.Pos < 0 || se.Pos > len(line) {
				t.Fatalf("Words(%q): error position %d outside the line", line, se.Pos)
			}
			if words != nil {
				t.Fatalf("Words(%q): words with an error", line)
			}
			return
		}
		prev := 0
		var texts []string
		for _, w := range words {
			if w.Start < prev || w.End <= w.Start || w.End > len(line) {
				t.Fatalf("Words(%q): bad offsets %+v after %d", line, w, prev)
			}
			if strings.Trim(line[prev:w.Start], " \t\n\r\v\f") != "" {
				t.Fatalf("Words(%q): %q skipped before %+v", line, line[prev:w.Start], w)
			}
			if w.End < len(line) && !IsSpace(line[w.End]) {
				t.Fatalf("Words(%q): word %+v not followed by white space", line, w)
			}
			raw := line[w.Start:w.End]
			if w.Quoted {
				if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
					t.Fatalf("Words(%q): quoted word %+v spans %q", line, w, raw)
				}
			} else if raw != w.Text || raw[0] == '"' {
				t.Fatalf("Words(%q): bare word %+v spans %q", line, w, raw)
			}
			prev = w.End
			texts = append(texts, w.Text)
		}
		if strings.Trim(line[prev:], " \t\n\r\v\f") != "" {
			t.Fatalf("Words(%q): trailing %q dropped", line, line[prev:])
		}
		quoted := make([]string, len(texts))
		for i, s := range texts {
			quoted[i] = Quote(s)
		}
		again, err := Words(strings.Join(quoted, " "))
		if err != nil {
			t.Fatalf("Words(%q): requoted %q: %v", line, strings.Join(quoted, " "), err)
		}
		var back []string
		for _, w := range again {
			back = append(back, w.Text)
		}
		if !reflect.DeepEqual(back, texts) {
			t.Fatalf("Words(%q) = %q; requoted and split again: %q", line, texts, back)
		}
		// Any string is one word once quoted.
		checkQuoteRoundTrip(t, line, Quote(line))
	})
}

// FuzzComma checks that Comma and JoinComma invert each other and that
// item positions point at the items.
func FuzzComma(f *testing.F) {
	for _, s := range []string{"", ",", ",,", ",,,", "a,b", "a,,b", "a,,,b", "path=/a,,b,type=unix", ",a,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		items := Comma(s)
		if len(items) == 0 {
			t.Fatalf("Comma(%q): no items", s)
		}
		prev := -1
		for i, it := range items {
			esc := strings.ReplaceAll(it.Text, ",", ",,")
			if it.Pos <= prev || it.Pos+len(esc) > len(s) || s[it.Pos:it.Pos+len(esc)] != esc {
				t.Fatalf("Comma(%q): item %d %+v is not at its position", s, i, it)
			}
			if i > 0 && s[it.Pos-1] != ',' {
				t.Fatalf("Comma(%q): item %d %+v not after a comma", s, i, it)
			}
			prev = it.Pos
		}
		if j := joinComma(texts(items)...); j != s {
			t.Fatalf("joinComma(Comma(%q)) = %q", s, j)
		}
		if again := Comma(joinComma(texts(items)...)); !reflect.DeepEqual(again, items) {
			t.Fatalf("Comma(joinComma(Comma(%q))) = %+v, want %+v", s, again, items)
		}
	})
}

// FuzzKeyVals checks that KeyVals fails only with a *SyntaxError inside
// the string and that the pairs it returns write back to the same string.
func FuzzKeyVals(f *testing.F) {
	for _, s := range []struct{ s, implied string }{
		{"socket,type=unix,path=/a,,b", "transport"},
		{"a=b,c=d", ""},
		{"a", "transport"},
		{"a", ""},
		{"=x", ""},
		{"a=b,", ""},
		{"", "x"},
		{"a==b,,c", "k"},
	} {
		f.Add(s.s, s.implied)
	}
	f.Fuzz(func(t *testing.T, s, implied string) {
		kvs, err := KeyVals(s, implied)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("KeyVals(%q, %q): %T %v, want *SyntaxError", s, implied, err, err)
			}
			if se.Pos < 0 || se.Pos > len(s) || kvs != nil {
				t.Fatalf("KeyVals(%q, %q): %+v, error at %d", s, implied, kvs, se.Pos)
			}
			return
		}
		if len(kvs) == 0 {
			t.Fatalf("KeyVals(%q, %q): no pairs and no error", s, implied)
		}
		elems := make([]string, len(kvs))
		for i, kv := range kvs {
			if kv.Key == "" {
				t.Fatalf("KeyVals(%q, %q): empty key in %+v", s, implied, kv)
			}
			if kv.Implied {
				if i != 0 || implied == "" || kv.Key != implied || strings.Contains(kv.Value, "=") {
					t.Fatalf("KeyVals(%q, %q): implied pair %+v", s, implied, kv)
				}
				elems[i] = kv.Value
			} else {
				elems[i] = kv.Key + "=" + kv.Value
			}
			if i > 0 && kv.Pos <= kvs[i-1].Pos {
				t.Fatalf("KeyVals(%q, %q): positions not increasing: %+v", s, implied, kvs)
			}
			if esc := strings.ReplaceAll(elems[i], ",", ",,"); !strings.HasPrefix(s[kv.Pos:], esc) {
				t.Fatalf("KeyVals(%q, %q): pair %+v is not at its position", s, implied, kv)
			}
		}
		if j := joinComma(elems...); j != s {
			t.Fatalf("KeyVals(%q, %q) = %+v, which writes back as %q", s, implied, kvs, j)
		}
	})
}

package split

import (
	"fmt"
	"strings"
)

// Item is one element of a comma list, with its byte offset in the list.
type Item struct {
	Text string
	Pos  int
}

// Comma cuts an option string at single commas. Two commas in a row stand
// for one literal comma inside an element, QEMU's convention for option
// strings (hmp_split_at_comma itself does not know it; hmpsh does).
func Comma(s string) []Item {
	var items []Item
	var b strings.Builder
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] != ',' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == ',' {
			b.WriteByte(',')
			i++
			continue
		}
		items = append(items, Item{Text: b.String(), Pos: start})
		b.Reset()
		start = i + 1
	}
	return append(items, Item{Text: b.String(), Pos: start})
}

// JoinComma is the inverse of Comma: it doubles the commas inside each
// element and joins them with single commas. Comma reads the result back
// into the same elements unless an element after the first starts with a
// comma: "a" and ",b" join to "a,,,b", which is also "a," and "b", and
// Comma (like QEMU) binds the doubled comma to the left.
func JoinComma(elems ...string) string {
	escaped := make([]string, len(elems))
	for i, e := range elems {
		escaped[i] = strings.ReplaceAll(e, ",", ",,")
	}
	return strings.Join(escaped, ",")
}

// KV is one key=value pair of an option string.
type KV struct {
	Key     string
	Value   string
	Implied bool // the key was not written: "socket" in "socket,type=unix"
	Pos     int  // byte offset of the pair in the option string
}

// KeyVals parses "a=b,c=d" into pairs. When implied is not empty, a first
// element without '=' is the value of that key ("socket,type=inet" reads
// as "transport=socket,type=inet"). Keys are not checked here beyond being
// non-empty: which keys exist is the schema's business.
func KeyVals(s, implied string) ([]KV, error) {
	if s == "" {
		return nil, &SyntaxError{Pos: 0, Msg: "empty option list"}
	}
	var kvs []KV
	for n, it := range Comma(s) {
		key, val, found := strings.Cut(it.Text, "=")
		switch {
		case it.Text == "":
			return nil, &SyntaxError{Pos: it.Pos, Msg: "empty element (a literal comma is written ,,)"}
		case !found && n == 0 && implied != "":
			kvs = append(kvs, KV{Key: implied, Value: it.Text, Implied: true, Pos: it.Pos})
		case !found:
			return nil, &SyntaxError{Pos: it.Pos, Msg: fmt.Sprintf("%q is not of the form key=value", it.Text)}
		case key == "":
			return nil, &SyntaxError{Pos: it.Pos, Msg: fmt.Sprintf("%q has no key before '='", it.Text)}
		default:
			kvs = append(kvs, KV{Key: key, Value: val, Pos: it.Pos})
		}
	}
	return kvs, nil
}

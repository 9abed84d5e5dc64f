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
	items := make([]Item, 0, strings.Count(s, ",")+1)
	for pos := 0; ; {
		text, next := nextItem(s, pos)
		items = append(items, Item{Text: text, Pos: pos})
		if next > len(s) {
			return items
		}
		pos = next
	}
}

// nextItem reads the element that starts at s[pos]: its text, with ",,"
// read as a comma, and where the next one starts (past len(s) when it
// was the last).
func nextItem(s string, pos int) (text string, next int) {
	escaped := false
	i := pos
	for ; i < len(s); i++ {
		if s[i] != ',' {
			continue
		}
		if i+1 < len(s) && s[i+1] == ',' {
			escaped = true
			i++
			continue
		}
		break
	}
	text = s[pos:i]
	if escaped {
		text = strings.ReplaceAll(text, ",,", ",")
	}
	return text, i + 1
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
func KeyVals(s, implied string) ([]KV, error) { return AppendKeyVals(nil, s, implied) }

// AppendKeyVals is KeyVals appending to kvs, which is used when it has
// room.
func AppendKeyVals(kvs []KV, s, implied string) ([]KV, error) {
	if s == "" {
		return nil, &SyntaxError{Pos: 0, Msg: "empty option list"}
	}
	if n := strings.Count(s, ",") + 1; cap(kvs)-len(kvs) < n {
		kvs = append(make([]KV, 0, len(kvs)+n), kvs...)
	}
	for n, pos := 0, 0; pos <= len(s); n++ {
		text, next := nextItem(s, pos)
		it := Item{Text: text, Pos: pos}
		pos = next
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

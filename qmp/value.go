package qmp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"iter"
	"strconv"
	"unicode/utf8"
)

// Field is one member of an Object.
type Field struct {
	Name  string
	Value any
}

// Object is a JSON object that keeps its members in the order they were
// added. The converter adds them in schema order, so what hmpsh sends reads
// like QEMU's documentation ("transport", then "type", then "host", ...)
// and two spellings of the same request produce the same bytes.
type Object []Field

// Get returns the value of member name.
func (o Object) Get(name string) (any, bool) {
	for _, f := range o {
		if f.Name == name {
			return f.Value, true
		}
	}
	return nil, false
}

// All iterates over the members in order.
func (o Object) All() iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		for _, f := range o {
			if !yield(f.Name, f.Value) {
				return
			}
		}
	}
}

// Set replaces member name, or appends it.
func (o *Object) Set(name string, v any) {
	for i, f := range *o {
		if f.Name == name {
			(*o)[i].Value = v
			return
		}
	}
	*o = append(*o, Field{name, v})
}

// MarshalJSON writes the members in order.
func (o Object) MarshalJSON() ([]byte, error) {
	return appendJSON(nil, o)
}

// appendJSON writes the values the converter makes (strings, booleans,
// json.Number, nil, Objects, lists) directly, and anything else through
// encoding/json. It never escapes "<", ">" and "&": they are common in
// shell commands and must read as typed.
func appendJSON(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case json.Number:
		if !json.Valid([]byte(x)) {
			return nil, fmt.Errorf("invalid number %q", string(x))
		}
		return append(b, x...), nil
	case Object:
		b = append(b, '{')
		for i, f := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, f.Name)
			b = append(b, ':')
			var err error
			if b, err = appendJSON(b, f.Value); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return append(b, bytes.TrimRight(buf.Bytes(), "\n")...), nil
}

// appendString writes s as a JSON string, as encoding/json does but for
// HTML escaping: control characters escaped, invalid UTF-8 as U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// Request is one QMP command to send.
type Request struct {
	Execute   string
	Arguments Object
	// Raw, when set, is a whole request typed by the user as JSON; it is
	// sent as it is (compacted) and Execute only names it.
	Raw json.RawMessage
}

// MarshalJSON writes {"execute":NAME,"arguments":{...}}, leaving
// "arguments" out when there are none.
func (r Request) MarshalJSON() ([]byte, error) {
	return r.AppendJSON(make([]byte, 0, 256))
}

// AppendJSON is MarshalJSON appending to b.
func (r Request) AppendJSON(b []byte) ([]byte, error) {
	if r.Raw != nil {
		buf := bytes.NewBuffer(b)
		if err := json.Compact(buf, r.Raw); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	b = append(b, `{"execute":`...)
	b = appendString(b, r.Execute)
	if len(r.Arguments) > 0 {
		b = append(b, `,"arguments":`...)
		var err error
		if b, err = appendJSON(b, r.Arguments); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

package qmp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"iter"
	"strconv"
	"unicode/utf8"
)

// valueKind is what a Value holds.
type valueKind uint8

const (
	nullKind valueKind = iota
	stringKind
	boolKind
	numberKind // json.Number text
	objectKind
	listKind
	rawKind // JSON text, written as it is
)

// Value is a JSON value as hmpsh builds it: a small struct rather than an
// interface, so that converting a line does not allocate a box per value.
type Value struct {
	kind valueKind
	b    bool
	s    string // stringKind, numberKind, rawKind
	o    Object // objectKind; listKind's elements, without names
}

// Str, Bool, Num, Int, Null, Obj, List and Raw make Values.
func Str(s string) Value      { return Value{kind: stringKind, s: s} }
func Bool(b bool) Value       { return Value{kind: boolKind, b: b} }
func Num(n json.Number) Value { return Value{kind: numberKind, s: string(n)} }
func Int(i int64) Value       { return Value{kind: numberKind, s: strconv.FormatInt(i, 10)} }
func Null() Value             { return Value{} }
func Obj(o Object) Value      { return Value{kind: objectKind, o: o} }
func List(elems ...Value) Value {
	o := make(Object, len(elems))
	for i, e := range elems {
		o[i].Value = e
	}
	return Value{kind: listKind, o: o}
}
func Raw(r json.RawMessage) Value { return Value{kind: rawKind, s: string(r)} }

// ObjectList is a list of objects.
func ObjectList(objs ...Object) Value { return (*Room)(nil).ObjectList(objs...) }

// Members is an object's members in place: a pointer into v, which reads
// an object without copying or boxing it (a *Object satisfies the
// interfaces Object does).
func (v *Value) Members() *Object { return &v.o }

// MarshalJSON writes v.
func (v Value) MarshalJSON() ([]byte, error) { return appendValue(nil, v) }

// Field is one member of an Object.
type Field struct {
	Name  string
	Value Value
}

// Object is a JSON object that keeps its members in the order they were
// added. The converter adds them in schema order, so what hmpsh sends reads
// like QEMU's documentation ("transport", then "type", then "host", ...)
// and two spellings of the same request produce the same bytes.
type Object []Field

// Get returns the value of member name.
func (o Object) Get(name string) (Value, bool) {
	for _, f := range o {
		if f.Name == name {
			return f.Value, true
		}
	}
	return Value{}, false
}

// Str is member name's text when it is a string.
func (o Object) Str(name string) (string, bool) {
	v, ok := o.Get(name)
	return v.s, ok && v.kind == stringKind
}

// Bool is member name's value when it is a boolean.
func (o Object) Bool(name string) (bool, bool) {
	v, ok := o.Get(name)
	return v.b, ok && v.kind == boolKind
}

// Number is member name's digits when it is a number.
func (o Object) Number(name string) (string, bool) {
	v, ok := o.Get(name)
	return v.s, ok && v.kind == numberKind
}

// Strings is member name's elements when it is a list of strings.
func (o Object) Strings(name string) ([]string, bool) {
	v, ok := o.Get(name)
	if !ok || v.kind != listKind {
		return nil, false
	}
	out := make([]string, 0, len(v.o))
	for _, f := range v.o {
		if f.Value.kind != stringKind {
			return nil, false
		}
		out = append(out, f.Value.s)
	}
	return out, true
}

// Keys iterates over the member names in order.
func (o Object) Keys() iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, f := range o {
			if !yield(f.Name) {
				return
			}
		}
	}
}

// Room is space for the objects of requests, handed out in order, so
// that building a request allocates nothing while the room lasts.
// Objects taken from a room share its backing array: they are valid until
// the room is reset. A nil *Room allocates each object on its own.
type Room struct{ free Object }

// Reset makes the whole of buf the room again; what was taken from it
// before must not be used any more.
func (r *Room) Reset(buf Object) { r.free = buf[:0] }

// Take returns an empty Object with room for n members: appending more
// than n reallocates it, never overwriting its neighbours.
func (r *Room) Take(n int) Object {
	if r == nil || cap(r.free)-len(r.free) < n {
		return make(Object, 0, n)
	}
	l := len(r.free)
	r.free = r.free[:l+n]
	return r.free[l : l : l+n]
}

// ObjectList is a list of objects, made in the room.
func (r *Room) ObjectList(objs ...Object) Value {
	o := r.Take(len(objs))
	for _, e := range objs {
		o = append(o, Field{Value: Obj(e)})
	}
	return Value{kind: listKind, o: o}
}

// Set replaces member name, or appends it.
func (o *Object) Set(name string, v Value) {
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
	return appendObject(nil, o)
}

func appendObject(b []byte, o Object) ([]byte, error) {
	b = append(b, '{')
	for i, f := range o {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, f.Name)
		b = append(b, ':')
		var err error
		if b, err = appendValue(b, f.Value); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendValue writes v. It never escapes "<", ">" and "&": they are
// common in shell commands and must read as typed.
func appendValue(b []byte, v Value) ([]byte, error) {
	switch v.kind {
	case nullKind:
		return append(b, "null"...), nil
	case stringKind:
		return appendString(b, v.s), nil
	case boolKind:
		return strconv.AppendBool(b, v.b), nil
	case numberKind:
		if !validNumber(v.s) {
			return nil, fmt.Errorf("invalid number %q", v.s)
		}
		return append(b, v.s...), nil
	case objectKind:
		return appendObject(b, v.o)
	case listKind:
		b = append(b, '[')
		for i, f := range v.o {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendValue(b, f.Value); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case rawKind:
		buf := bytes.NewBuffer(b)
		if err := json.Compact(buf, []byte(v.s)); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	return nil, fmt.Errorf("value of unknown kind %d", v.kind)
}

// validNumber is a JSON number: what strconv writes always is; the rest
// is checked.
func validNumber(s string) bool {
	plain := s != "" && s != "-"
	for i := 0; i < len(s) && plain; i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || i == 0 && c == '-') {
			plain = false
		}
	}
	if plain && (len(s) < 2 || s[0] != '0') && (len(s) < 3 || s[0] != '-' || s[1] != '0') {
		return true
	}
	return json.Valid([]byte(s))
}

// appendString writes s as a JSON string, as encoding/json does but for
// HTML escaping: control characters escaped, invalid UTF-8 as U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	// Most strings need no escape at all: copy them whole.
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
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
		if b, err = appendObject(b, r.Arguments); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

package qmp

import (
	"bytes"
	"encoding/json"
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
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(f.Name)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		v, err := marshalCompact(f.Value)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshalCompact is json.Marshal without HTML escaping: "<", ">" and "&"
// are common in shell commands and must read as typed.
func marshalCompact(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
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
	if r.Raw != nil {
		var b bytes.Buffer
		if err := json.Compact(&b, r.Raw); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	o := Object{{"execute", r.Execute}}
	if len(r.Arguments) > 0 {
		o = append(o, Field{"arguments", r.Arguments})
	}
	return o.MarshalJSON()
}

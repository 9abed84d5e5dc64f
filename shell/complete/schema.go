package complete

import (
	"strings"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/qmp"
)

// typeString names a schema type for help: string, integer, on|off, the
// values of an enum, "list of T", "T or U" for an alternate.
func typeString(s *qmp.Schema, typ string) string {
	return typeStringDepth(s, typ, 0)
}

func typeStringDepth(s *qmp.Schema, typ string, depth int) string {
	e := s.Entity(typ)
	if e == nil || depth > 3 {
		return typ
	}
	switch e.MetaType {
	case "builtin":
		switch e.Name {
		case "str":
			return "string"
		case "int":
			return "integer"
		case "bool":
			return "on|off"
		case "any":
			return "any JSON value"
		}
		return e.Name
	case "enum":
		return strings.Join(e.Values, "|")
	case "array":
		return "list of " + typeStringDepth(s, e.Element, depth+1)
	case "alternate":
		var bs []string
		for _, m := range e.Members {
			bs = append(bs, typeStringDepth(s, m.Type, depth+1))
		}
		return strings.Join(bs, " or ")
	case "object":
		return "group of keys"
	}
	return e.MetaType
}

// structured reports whether a type takes sub-keys (an object or a list).
func structured(s *qmp.Schema, typ string) bool {
	e := s.Entity(typ)
	return e != nil && (e.MetaType == "object" || e.MetaType == "array")
}

// valueItems are the values a scalar of type typ can be given by name: an
// enum's values, on and off for a boolean, both for an alternate of them.
func valueItems(s *qmp.Schema, typ, term string) []item {
	e := s.Entity(typ)
	if e == nil {
		return nil
	}
	var vals []string
	switch {
	case e.MetaType == "enum":
		vals = e.Values
	case e.MetaType == "builtin" && e.Name == "bool":
		vals = []string{"on", "off"}
	case e.MetaType == "alternate":
		var items []item
		for _, m := range e.Members {
			if b := s.Entity(m.Type); b != nil && (b.MetaType == "enum" || b.Name == "bool") {
				items = append(items, valueItems(s, m.Type, term)...)
			}
		}
		return items
	}
	items := make([]item, len(vals))
	for i, v := range vals {
		items[i] = item{text: v, term: term}
	}
	return items
}

// memberHelp is "name (type, required)"; where, when set, says which
// variant the member belongs to.
func memberHelp(s *qmp.Schema, m qmp.Member, extra string) string {
	h := m.Name + " (" + typeString(s, m.Type)
	if extra != "" {
		h += ", " + extra
	}
	return h + ")"
}

func requiredness(m qmp.Member) string {
	if m.Optional {
		return "optional"
	}
	return "required"
}

// qmpCommandHelp describes a QMP command by its arguments.
func qmpCommandHelp(t *hmp.Target, name string) string {
	s := t.Schema
	args := s.Args(name)
	var req, opt []string
	for _, n := range s.MemberNames(args) {
		m, _ := s.Member(args, n)
		if m.Optional {
			opt = append(opt, n)
		} else {
			req = append(req, n)
		}
	}
	if len(req)+len(opt) == 0 {
		return name + " -- QMP command, no arguments"
	}
	h := name + " KEY=VALUE... -- QMP command"
	if len(req) > 0 {
		h += "; required: " + strings.Join(req, ", ")
	}
	if len(opt) > 0 {
		h += "; optional: " + strings.Join(opt, ", ")
	}
	return h
}

// key is a member reachable by a flat key=value list from a union,
// with the variants it belongs to.
type key struct {
	m     qmp.Member
	where []string // "socket,type=inet", "rdma"
}

// flatKeys lists the members of object e as QAPI flattens unions: the
// base members, then those of the variant the tag given selects, or of
// every variant when it is not given yet, recursively. implied is the tag
// whose value is written bare ("socket", not "transport=socket").
func flatKeys(s *qmp.Schema, e *qmp.Entity, given map[string]string, implied string) []key {
	var out []key
	index := map[string]int{}
	var walk func(e *qmp.Entity, where string, depth int)
	add := func(m qmp.Member, where string) {
		if i, ok := index[m.Name]; ok {
			if where != "" {
				out[i].where = append(out[i].where, where)
			}
			return
		}
		index[m.Name] = len(out)
		k := key{m: m}
		if where != "" {
			k.where = []string{where}
		}
		out = append(out, k)
	}
	walk = func(e *qmp.Entity, where string, depth int) {
		if e == nil || depth > 8 {
			return
		}
		for _, m := range e.Members {
			add(m, where)
		}
		if e.Tag == "" {
			return
		}
		branch := func(c string) string {
			w := c
			if e.Tag != implied {
				w = e.Tag + "=" + c
			}
			if where != "" {
				w = where + "," + w
			}
			return w
		}
		if v, ok := given[e.Tag]; ok {
			walk(s.Variant(e, v), branch(v), depth+1)
			return
		}
		for _, v := range e.Variants {
			walk(s.Entity(v.Type), branch(v.Case), depth+1)
		}
	}
	walk(e, "", 0)
	return out
}

package complete

import (
	"strings"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/qmp"
)

// typeString names a schema type for help: string, integer, on|off, the
// values of an enum, "list of T", "T or U" for an alternate.
func typeString(s *qmp.Schema, typ string) string { return hmp.TypeString(s, typ) }

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

package complete

import (
	"strconv"
	"strings"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/qmp"
)

// qmpSlot completes a QMP-style line, "NAME KEY=VALUE...": the argument
// keys not given yet, nested keys after a '.', list indexes, and enum and
// boolean values after '='.
func (st *state) qmpSlot(name string) *slot {
	s := st.target.Schema
	args := s.Args(name)
	given := map[string]string{}
	for _, w := range st.words[1:] {
		k, v, _ := strings.Cut(w.Text, "=")
		given[k] = v
	}
	about := qmpCommandHelp(st.target, name)
	out := &slot{quoted: st.cur.Quoted, start: true, about: about}
	if k, v, found := strings.Cut(st.cur.Text, "="); found {
		out.prefix, out.start = v, false
		parts := strings.Split(k, ".")
		parent := walkKey(s, args, parts[:len(parts)-1])
		if m, ok := memberOf(s, parent, parts[len(parts)-1]); ok {
			d, ok := hmp.DocOf(s, parent, m.Name)
			out.about = withDoc(memberHelp(s, m, requiredness(m)), d, ok)
			out.items = valueItems(s, m.Type, " ")
		} else if parent != nil && parent.MetaType == "array" {
			out.items = valueItems(s, parent.Element, " ")
		}
		return out
	}
	out.prefix = st.cur.Text
	parts := strings.Split(st.cur.Text, ".")
	head := strings.Join(parts[:len(parts)-1], ".")
	if head != "" {
		head += "."
	}
	e := walkKey(s, args, parts[:len(parts)-1])
	if e == nil {
		return out
	}
	switch e.MetaType {
	case "array":
		// The indexes given so far and the first one missing: lists
		// are numbered without gaps.
		seen := map[int]bool{}
		for k := range given {
			if rest, ok := strings.CutPrefix(k, head); ok {
				idx, _, _ := strings.Cut(rest, ".")
				if i, err := strconv.Atoi(idx); err == nil && i >= 0 && strconv.Itoa(i) == idx {
					seen[i] = true
				}
			}
		}
		next := 0
		for seen[next] {
			next++
		}
		seen[next] = true
		term := "="
		if hmp.Structured(s, e.Element) {
			term = "."
		}
		for i := range seen {
			out.items = append(out.items, item{text: head + strconv.Itoa(i), help: "element " + strconv.Itoa(i) + " (" + typeString(s, e.Element) + ")", term: term})
		}
	case "object":
		tags := map[string]string{}
		for k, v := range given {
			if rest, ok := strings.CutPrefix(k, head); ok && !strings.Contains(rest, ".") {
				tags[rest] = v
			}
		}
		for _, ku := range hmp.Keys(hmp.Flatten(s, e), tags) {
			full := head + ku.Name
			if _, done := given[full]; done {
				continue
			}
			term := "="
			if hmp.Structured(s, ku.Type) {
				term = "."
			}
			extra := requiredness(ku.Member)
			if where := ku.Where(""); len(where) > 0 {
				extra += "; " + strings.Join(where, " | ")
			}
			out.items = append(out.items, item{text: full, help: head + memberHelp(s, ku.Member, extra), term: term,
				more: func() string { return docText(hmp.DocOf(s, ku.Owner, ku.Name)) }})
		}
	}
	return out
}

// walkKey follows dotted key parts from e: member names through objects
// (variants included), numbers through lists, into an alternate's
// structured branch.
func walkKey(s *qmp.Schema, e *qmp.Entity, parts []string) *qmp.Entity {
	for _, p := range parts {
		e = structuredBranch(s, e)
		if e == nil {
			return nil
		}
		if e.MetaType == "array" {
			if _, err := strconv.Atoi(p); err != nil {
				return nil
			}
			e = s.Entity(e.Element)
			continue
		}
		m, ok := memberOf(s, e, p)
		if !ok {
			return nil
		}
		e = s.Entity(m.Type)
	}
	return structuredBranch(s, e)
}

// structuredBranch is e, or for an alternate its object or list branch.
func structuredBranch(s *qmp.Schema, e *qmp.Entity) *qmp.Entity {
	if e == nil || e.MetaType != "alternate" {
		return e
	}
	for _, m := range e.Members {
		if hmp.Structured(s, m.Type) {
			return s.Entity(m.Type)
		}
	}
	return e
}

func memberOf(s *qmp.Schema, e *qmp.Entity, name string) (qmp.Member, bool) {
	if e == nil || e.MetaType != "object" {
		return qmp.Member{}, false
	}
	return s.Member(e, name)
}

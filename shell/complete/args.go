package complete

import (
	"strings"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/split"
	"github.com/hmpsh/hmpsh/transports"
)

// paramHelp describes a flag: "-c CHANNEL (channel; may be repeated)".
func paramHelp(p hmp.Param) string {
	s := p.Flag
	if p.ValueVar != "" {
		s += " " + p.ValueVar
	}
	s += " (" + p.Name
	if p.Repeat {
		s += "; may be repeated"
	}
	return s + ")"
}

// argsSlot completes the words after a table command the way its parser
// reads them: flags in any order before the positionals, a value flag's
// value in the next word.
func (st *state) argsSlot(cmd *hmp.Command, args []split.Word) *slot {
	ps := cmd.ParamList()
	var positionals []hmp.Param
	for _, p := range ps {
		if p.Flag == "" {
			positionals = append(positionals, p)
		}
	}
	given := map[string]bool{}
	var posVals []string
	inFlags := true
	for i := 0; i < len(args); i++ {
		w := args[i]
		if inFlags && !w.Quoted && len(w.Text) >= 2 && w.Text[0] == '-' {
			if w.Text == "--" {
				inFlags = false
				continue
			}
			if p, ok := flagParam(ps, w.Text); ok {
				given[p.Flag] = true
				if p.ValueVar != "" {
					if i+1 == len(args) {
						return st.flagValueSlot(cmd, p)
					}
					i++
				}
				continue
			}
			if len(positionals) == 0 || !(w.Text[1] >= '0' && w.Text[1] <= '9') {
				continue // an unknown flag: the translator will say so
			}
		}
		inFlags = false
		posVals = append(posVals, w.Text)
	}
	about := commandHelp(cmd)
	var items []item
	flagsOnly := !st.cur.Quoted && strings.HasPrefix(st.cur.Text, "-")
	if inFlags && (st.cur.Text == "" && !st.cur.Quoted || flagsOnly) {
		for _, p := range ps {
			if p.Flag != "" && (!given[p.Flag] || p.Repeat) {
				items = append(items, item{text: p.Flag, help: paramHelp(p), term: " "})
			}
		}
		if flagsOnly {
			return st.wordSlot(about, items)
		}
	}
	if len(posVals) >= len(positionals) {
		return st.wordSlot(about, items)
	}
	pos := st.positionalSlot(cmd, positionals[len(posVals)], posVals)
	if pos == nil {
		return st.wordSlot(about, items)
	}
	// Flags and the first positional's values share the empty word,
	// whose "?" is the command's usage.
	if st.cur.Text == "" {
		pos.items = append(pos.items, items...)
		if len(posVals) == 0 {
			pos.about = about
		}
	}
	if pos.about == "" {
		pos.about = about
	}
	return pos
}

func flagParam(ps []hmp.Param, w string) (hmp.Param, bool) {
	for _, p := range ps {
		if p.Flag == w {
			return p, true
		}
	}
	return hmp.Param{}, false
}

// flagValueSlot completes the word after a flag that takes a value.
func (st *state) flagValueSlot(cmd *hmp.Command, p hmp.Param) *slot {
	if p.ValueVar == "CHANNEL" {
		s := st.channelSlot()
		if s != nil && s.about == "" {
			s.about = paramHelp(p) + ": " + commandHelp(cmd)
		}
		return s
	}
	return st.wordSlot(paramHelp(p), nil)
}

// positionalSlot completes a positional argument: a URI, a migration
// capability or parameter, an enum of the command's QMP arguments, or the
// alternatives its placeholder lists ("on|off").
func (st *state) positionalSlot(cmd *hmp.Command, p hmp.Param, before []string) *slot {
	if p.PosVar == "URI" {
		return st.uriSlot(st.cur.Text)
	}
	s := st.schema()
	var items []item
	switch {
	case s == nil:
	case cmd.QMP == "migrate-set-capabilities" && p.Name == "capability":
		for _, v := range capabilities(s) {
			items = append(items, item{text: v, help: v + " (capability): on|off", term: " "})
		}
	case cmd.QMP == "migrate-set-parameters" && p.Name == "parameter":
		args := s.Args("migrate-set-parameters")
		for _, n := range s.MemberNames(args) {
			m, _ := s.Member(args, n)
			if structured(s, m.Type) {
				continue // HMP cannot set those
			}
			items = append(items, item{text: n, help: parameterHelp(s, m), term: " "})
		}
	case cmd.QMP == "migrate-set-parameters" && p.Name == "value" && len(before) > 0:
		m, ok := s.Member(s.Args("migrate-set-parameters"), before[0])
		if !ok {
			return nil
		}
		return &slot{prefix: st.cur.Text, items: valueItems(s, m.Type, " "), about: parameterHelp(s, m), quoted: st.cur.Quoted, start: true}
	default:
		if m, ok := s.Member(s.Args(cmd.QMP), p.Name); ok {
			items = valueItems(s, m.Type, " ")
		}
	}
	if len(items) == 0 && strings.Contains(p.PosVar, "|") {
		for _, v := range strings.Split(p.PosVar, "|") {
			items = append(items, item{text: v, term: " "})
		}
	}
	return st.wordSlot("", items)
}

// schema is the target's schema, or the newest built-in one when the
// target is unknown (dry-run without one, a monitor not read yet).
func (st *state) schema() *qmp.Schema {
	if st.target != nil {
		return st.target.Schema
	}
	return st.c.newest()
}

func parameterHelp(s *qmp.Schema, m qmp.Member) string {
	return m.Name + " (parameter): " + typeString(s, m.Type)
}

func capabilities(s *qmp.Schema) []string {
	if e := s.Path(s.Args("migrate-set-capabilities"), "capabilities", "[]", "capability"); e != nil {
		return e.Values
	}
	return nil
}

// uriSlot completes a legacy URI: its protocol, then a path for unix:
// and file:.
func (st *state) uriSlot(v string) *slot {
	scheme, rest, found := strings.Cut(v, ":")
	if !found {
		var items []item
		for _, p := range transports.Protocols() {
			items = append(items, item{text: p + ":", help: p + ": (legacy URI)"})
		}
		return st.wordSlot("URI: a legacy migration URI, PROTOCOL:ADDRESS", items)
	}
	if scheme == "unix" || scheme == "file" {
		dir, base := splitPath(rest)
		return &slot{prefix: base, items: pathItems(dir, base), quoted: st.cur.Quoted}
	}
	return nil
}

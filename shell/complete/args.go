package complete

import (
	"strings"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/split"
	"github.com/hmpsh/hmpsh/transports"
)

// param is one entry of a Command's Params (hmp/command.go documents the
// mini-language: name:-x, name:-x=VAR, name:-x=VAR*, name:VAR, name:VAR?).
type param struct {
	name     string
	flag     string // "-c"; "" for a positional
	valueVar string // a flag's value placeholder
	repeat   bool
	posVar   string // a positional's placeholder
}

// parseParams reads Params leniently: the table has been checked by
// hmp.NewTable, so anything odd is just skipped.
func parseParams(spec string) []param {
	var ps []param
	if spec == "" {
		return nil
	}
	for _, it := range strings.Split(spec, ",") {
		name, kind, ok := strings.Cut(it, ":")
		if !ok || name == "" || kind == "" {
			continue
		}
		p := param{name: name}
		if strings.HasPrefix(kind, "-") && len(kind) >= 2 {
			p.flag = kind[:2]
			if v, ok := strings.CutPrefix(kind[2:], "="); ok {
				p.valueVar, p.repeat = strings.TrimSuffix(v, "*"), strings.HasSuffix(v, "*")
			}
		} else {
			p.posVar = strings.TrimSuffix(kind, "?")
		}
		ps = append(ps, p)
	}
	return ps
}

func (p param) help() string {
	s := p.flag
	if p.valueVar != "" {
		s += " " + p.valueVar
	}
	s += " (" + p.name
	if p.repeat {
		s += "; may be repeated"
	}
	return s + ")"
}

// argsSlot completes the words after a table command the way its parser
// reads them: flags in any order before the positionals, a value flag's
// value in the next word.
func (st *state) argsSlot(cmd *hmp.Command, args []split.Word) *slot {
	ps := parseParams(cmd.Params)
	var positionals []param
	for _, p := range ps {
		if p.flag == "" {
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
				given[p.flag] = true
				if p.valueVar != "" {
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
			if p.flag != "" && (!given[p.flag] || p.repeat) {
				items = append(items, item{text: p.flag, help: p.help(), term: " "})
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

func flagParam(ps []param, w string) (param, bool) {
	for _, p := range ps {
		if p.flag == w {
			return p, true
		}
	}
	return param{}, false
}

// flagValueSlot completes the word after a flag that takes a value.
func (st *state) flagValueSlot(cmd *hmp.Command, p param) *slot {
	if p.valueVar == "CHANNEL" {
		s := st.channelSlot()
		if s != nil && s.about == "" {
			s.about = p.help() + ": " + commandHelp(cmd)
		}
		return s
	}
	return st.wordSlot(p.help(), nil)
}

// positionalSlot completes a positional argument: a URI, a migration
// capability or parameter, an enum of the command's QMP arguments, or the
// alternatives its placeholder lists ("on|off").
func (st *state) positionalSlot(cmd *hmp.Command, p param, before []string) *slot {
	if p.posVar == "URI" {
		return st.uriSlot(st.cur.Text)
	}
	s := st.schema()
	var items []item
	switch {
	case s == nil:
	case cmd.QMP == "migrate-set-capabilities" && p.name == "capability":
		for _, v := range capabilities(s) {
			items = append(items, item{text: v, help: v + " (capability): on|off", term: " "})
		}
	case cmd.QMP == "migrate-set-parameters" && p.name == "parameter":
		args := s.Args("migrate-set-parameters")
		for _, n := range s.MemberNames(args) {
			m, _ := s.Member(args, n)
			if structured(s, m.Type) {
				continue // HMP cannot set those
			}
			items = append(items, item{text: n, help: parameterHelp(s, m), term: " "})
		}
	case cmd.QMP == "migrate-set-parameters" && p.name == "value" && len(before) > 0:
		m, ok := s.Member(s.Args("migrate-set-parameters"), before[0])
		if !ok {
			return nil
		}
		return &slot{prefix: st.cur.Text, items: valueItems(s, m.Type, " "), about: parameterHelp(s, m), quoted: st.cur.Quoted, start: true}
	default:
		if m, ok := s.Member(s.Args(cmd.QMP), p.name); ok {
			items = valueItems(s, m.Type, " ")
		}
	}
	if len(items) == 0 && strings.Contains(p.posVar, "|") {
		for _, v := range strings.Split(p.posVar, "|") {
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

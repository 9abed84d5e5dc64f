package complete

import (
	"strings"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/split"
	"github.com/hmpsh/hmpsh/transports"
)

// argsSlot completes the words after a command the way its params read
// them: flags in any order before the positionals, a value flag's value
// in the next word, then each positional by its type. qmpName is the QMP
// command whose arguments Enum params take their values from.
func (st *state) argsSlot(ps []hmp.Param, qmpName, about string, args []split.Word) *slot {
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
				if p.Type != hmp.Flag {
					if i+1 == len(args) {
						s := st.valueSlot(p, qmpName, nil)
						if s != nil && s.about == "" {
							s.about = p.HelpLine() + ": " + about
						}
						return s
					}
					i++
				}
				continue
			}
			if len(positionals) == 0 || !(w.Text[1] >= '0' && w.Text[1] <= '9') {
				continue // an unknown flag: the parser will say so
			}
		}
		inFlags = false
		posVals = append(posVals, w.Text)
	}
	var items []item
	flagsOnly := !st.cur.Quoted && strings.HasPrefix(st.cur.Text, "-")
	if inFlags && (st.cur.Text == "" && !st.cur.Quoted || flagsOnly) {
		for _, p := range ps {
			if p.Flag != "" && (!given[p.Flag] || p.Repeat) {
				items = append(items, item{text: p.Flag, help: p.HelpLine(), term: " "})
			}
		}
		if flagsOnly {
			return st.wordSlot(about, items)
		}
	}
	n := len(posVals)
	if last := len(positionals) - 1; last >= 0 && positionals[last].Rest && n > last {
		n = last // it takes the words after it too
	}
	if n >= len(positionals) {
		return st.wordSlot(about, items)
	}
	var pos *slot
	if addressFirst(positionals, n) && strings.HasPrefix(st.cur.Text, "libvirt:") {
		// ".connect libvirt:..." names its monitors after the domains.
		pos = st.addressSlot(st.cur.Text)
	} else {
		pos = st.valueSlot(positionals[n], qmpName, posVals)
		if pos != nil && addressFirst(positionals, n) {
			pos.items = append(pos.items, item{text: "libvirt:", help: "libvirt:DOMAIN[@URI] alone: a monitor named after its domain (libvirt:* for every running one)"})
		}
	}
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

// addressFirst: positional n is a monitor's name that an optional
// address follows (.connect NAME [ADDR]), so a libvirt address may come
// in its place.
func addressFirst(ps []hmp.Param, n int) bool {
	return n+1 < len(ps) && ps[n].Type == hmp.Monitor && ps[n+1].Type == hmp.Address && ps[n+1].Optional
}

func flagParam(ps []hmp.Param, w string) (hmp.Param, bool) {
	for _, p := range ps {
		if p.Flag == w {
			return p, true
		}
	}
	return hmp.Param{}, false
}

// valueSlot completes the value of a param by its type; before are the
// positional values given before it.
func (st *state) valueSlot(p hmp.Param, qmpName string, before []string) *slot {
	t := st.targetOrNewest()
	var items []item
	switch p.Type {
	case hmp.Channel:
		return st.channelSlot()
	case hmp.URI:
		return st.uriSlot(st.cur.Text)
	case hmp.Address:
		return st.addressSlot(st.cur.Text)
	case hmp.CommandName:
		if len(before) == 1 && before[0] == hmp.Info {
			return st.infoSlot()
		}
		if len(before) == 0 {
			return st.commandSlot(false)
		}
		return st.helpKeySlot(t, strings.Join(before, " "))
	case hmp.Monitor:
		if st.c.src != nil {
			for _, m := range st.c.src.Monitors() {
				items = append(items, item{text: m, help: "monitor " + m, term: " "})
			}
		}
		return st.wordSlot(p.HelpLine(), items)
	case hmp.Capability:
		if t != nil {
			for _, v := range t.Capabilities() {
				items = append(items, item{text: v, help: hmp.CapabilityLine(v), term: " ",
					more: func() string { return docText(t.CapabilityDoc(v)) }})
			}
		}
	case hmp.Parameter:
		if t != nil {
			for _, m := range t.Parameters() {
				items = append(items, item{text: m.Name, help: parameterHelp(t, m), term: " ",
					more: func() string { return docText(t.ParameterDoc(m.Name)) }})
			}
		}
	case hmp.ParameterValue:
		if t == nil || len(before) == 0 {
			return nil
		}
		m, ok := t.Parameter(before[len(before)-1])
		if !ok {
			return nil
		}
		d, ok := t.ParameterDoc(m.Name)
		return &slot{prefix: st.cur.Text, items: valueItems(t.Schema, m.Type, " "), about: withDoc(parameterHelp(t, m), d, ok), quoted: st.cur.Quoted, start: true}
	case hmp.Enum:
		if t != nil {
			if m, ok := t.Schema.Member(t.Schema.Args(qmpName), p.Member); ok {
				items = valueItems(t.Schema, m.Type, " ")
			}
		}
	case hmp.Bool:
		items = []item{{text: "on", term: " "}, {text: "off", term: " "}}
	}
	if p.Values != nil {
		for _, v := range p.Values(t, before, st.cur.Text) {
			term := " "
			if strings.HasSuffix(v, "=") {
				term = "" // a KEY= waits for its value
			}
			items = append(items, item{text: v, help: p.HelpLine(), term: term})
		}
	}
	return st.wordSlot("", items)
}

// targetOrNewest is the target's schema, or the newest built-in one when
// the target is unknown (dry-run without one, a monitor not read yet).
func (st *state) targetOrNewest() *hmp.Target {
	if st.target != nil {
		return st.target
	}
	return st.c.newestTarget()
}

func parameterHelp(t *hmp.Target, m qmp.Member) string { return hmp.ParameterLine(t.Schema, m) }

// helpKeySlot completes "help COMMAND KEY": the flags of a command of
// hmpsh's table and the names its params take (hmp.Command.HelpKeys).
func (st *state) helpKeySlot(t *hmp.Target, name string) *slot {
	cmd := st.sx.Table.Get(name)
	if cmd == nil {
		return nil
	}
	var items []item
	for _, k := range cmd.HelpKeys(t) {
		line, _, _ := cmd.KeyHelp(t, k)
		items = append(items, item{text: k, help: line, term: " ", more: func() string {
			_, d, _ := cmd.KeyHelp(t, k)
			return docText(d, true)
		}})
	}
	return st.wordSlot(commandHelp(cmd), items)
}

// addressSlot completes a monitor's address: its kind, then a path for
// unix:, and the running domains of libvirt's default connection (or of
// the URI after "@") for libvirt:.
func (st *state) addressSlot(v string) *slot {
	scheme, rest, found := strings.Cut(v, ":")
	if !found {
		items := []item{
			{text: "unix:", help: "unix:PATH, a QMP socket"},
			{text: "tcp:", help: "tcp:HOST:PORT, a QMP socket on TCP"},
			{text: "libvirt:", help: "libvirt:DOMAIN[@URI], a domain libvirt manages (libvirt:* for every running one)"},
		}
		return st.wordSlot("ADDR: unix:PATH, tcp:HOST:PORT, a path, or libvirt:DOMAIN[@URI]", items)
	}
	switch scheme {
	case "unix":
		dir, base := splitPath(rest)
		return &slot{prefix: base, items: pathItems(dir, base), quoted: st.cur.Quoted}
	case "libvirt":
		lister, ok := st.c.src.(DomainLister)
		if !ok || strings.Contains(rest, "@") {
			return nil
		}
		items := []item{{text: "*", help: "every running domain, each a monitor named after it", term: " "}}
		for _, d := range lister.LibvirtDomains("") {
			items = append(items, item{text: d, help: "running domain " + d, term: " "})
		}
		return &slot{prefix: rest, items: items, quoted: st.cur.Quoted}
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

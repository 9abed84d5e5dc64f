package hmp

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/hmpsh/hmpsh/internal/suggest"
	"github.com/hmpsh/hmpsh/qmp"
)

// Doc is what hmpsh can tell about a CHANNEL key, a migration parameter or
// capability, or an enum value: QEMU's own documentation of it (qmp.Docs,
// matched to the schema's entity by its members) and, where hmpsh reads
// it otherwise than QMP does, hmpsh's rule.
type Doc struct {
	qmp.MemberDoc
	Rule string
}

// qemuDocs is the documentation built in, or nil. It is embedded and
// read by qmp's tests, so it cannot fail here; without it help shows
// types alone.
func qemuDocs() *qmp.Docs {
	d, err := qmp.LoadDocs()
	if err != nil {
		return nil
	}
	return d
}

// DocOf documents member name of object e (its variants' included).
func DocOf(s *qmp.Schema, e *qmp.Entity, name string) (Doc, bool) { return memberDoc(s, e, name) }

func memberDoc(s *qmp.Schema, e *qmp.Entity, name string) (Doc, bool) {
	if d := qemuDocs(); d != nil {
		m, ok := d.Member(s, e, name)
		return Doc{MemberDoc: m}, ok
	}
	return Doc{}, false
}

func valueDoc(s *qmp.Schema, enum *qmp.Entity, value string) (Doc, bool) {
	if d := qemuDocs(); d != nil {
		m, ok := d.Value(s, enum, value)
		return Doc{MemberDoc: m}, ok
	}
	return Doc{}, false
}

// ParameterDoc documents migration parameter name of the target.
func (t *Target) ParameterDoc(name string) (Doc, bool) {
	d, ok := memberDoc(t.Schema, t.Schema.Args("migrate-set-parameters"), name)
	d.Rule = ParameterRule(name)
	return d, ok || d.Rule != ""
}

// CapabilityDoc documents migration capability name of the target.
func (t *Target) CapabilityDoc(name string) (Doc, bool) {
	return valueDoc(t.Schema, t.capabilityEnum(), name)
}

// KeyDoc documents a CHANNEL key, channel-type included.
func (cs *ChannelSyntax) KeyDoc(k Key) (Doc, bool) {
	if k.Name == ChannelTypeKey {
		return memberDoc(cs.Schema, cs.Channel, k.Name)
	}
	return memberDoc(cs.Schema, k.Owner, k.Name)
}

// ValueDoc documents value of the enum key takes: a transport, a socket
// type, a channel-type.
func (cs *ChannelSyntax) ValueDoc(key, value string) (Doc, bool) {
	owner := cs.Addr
	if key == ChannelTypeKey {
		owner = cs.Channel
	}
	m, ok := cs.Schema.Member(owner, key)
	if !ok {
		return Doc{}, false
	}
	return valueDoc(cs.Schema, m.TypeEntity, value)
}

// Summary is the documentation's first sentence, for lists of one line
// per name.
func (d Doc) Summary() string {
	s := d.Text
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i+1]
	}
	const max = 60
	if len(s) > max {
		cut := strings.LastIndexByte(s[:max-3], ' ')
		if cut < max/2 {
			cut = max - 3
		}
		s = s[:cut] + "..."
	}
	return s
}

// Lines are the documentation in full, each line indented: the text
// wrapped, then its unit, QAPI type, default and version, then hmpsh's
// rule.
func (d Doc) Lines(indent string) []string {
	const width = 76
	var out []string
	out = append(out, wrap(d.Text, indent, width)...)
	var facts []string
	if d.Unit != "" {
		facts = append(facts, "unit: "+d.Unit)
	}
	if d.Type != "" {
		facts = append(facts, "QAPI type: "+d.Type)
	}
	if d.Default != "" {
		facts = append(facts, "default: "+d.Default)
	}
	if d.Since != "" {
		facts = append(facts, "since QEMU "+d.Since)
	}
	if len(facts) > 0 {
		out = append(out, wrap(strings.Join(facts, "; "), indent, width)...)
	}
	if d.Rule != "" {
		out = append(out, wrap("hmpsh: "+d.Rule, indent, width)...)
	}
	return out
}

// wrap fills words into lines of at most width columns (a longer word
// gets a line of its own).
func wrap(text, indent string, width int) []string {
	var out []string
	line := indent
	for _, w := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(w) > width {
			out = append(out, line)
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += w
	}
	if len(line) > len(indent) {
		out = append(out, line)
	}
	return out
}

// TypeString names a schema type for help: string, integer, on|off, the
// values of an enum, "list of T", "T or U" for an alternate.
func TypeString(s *qmp.Schema, typ string) string {
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

// KeyLine is a CHANNEL key's line for "?" and help: "host (string,
// required; socket,type=inet | rdma)". transport is the one given so far
// (""); a key the channel syntax fills in when left out (file's offset)
// is optional with its default, whatever the schema says.
func (cs *ChannelSyntax) KeyLine(ku KeyUse, transport string) string {
	extra := "required"
	if ku.Optional {
		extra = "optional"
	}
	if def := ku.Default(transport); def != "" {
		extra = "optional, default " + def
	}
	if where := ku.Where(ImpliedKey); len(where) > 0 {
		extra += "; " + strings.Join(where, " | ")
	}
	return ku.Name + " (" + TypeString(cs.Schema, ku.Type) + ", " + extra + ")"
}

// ChannelTypeLine is channel-type's line: "channel-type (main|cpr,
// optional, default main)".
func (cs *ChannelSyntax) ChannelTypeLine() string {
	return ChannelTypeKey + " (" + strings.Join(cs.Types, "|") + ", optional, default " + DefaultChannelType + ")"
}

// ParameterLine is a migration parameter's line: "max-bandwidth
// (parameter): integer".
func ParameterLine(s *qmp.Schema, m qmp.Member) string {
	return m.Name + " (parameter): " + TypeString(s, m.Type)
}

// CapabilityLine is a migration capability's line.
func CapabilityLine(name string) string { return name + " (capability): on|off" }

// TransportLine is a transport's line.
func TransportLine(name string) string { return name + " (transport)" }

// writeKeyMeanings lists what each CHANNEL key means, one line each, for
// command name's help.
func (cs *ChannelSyntax) writeKeyMeanings(w io.Writer, name string) {
	type row struct{ key, text string }
	var rows []row
	width := 0
	keys := cs.Keys(nil)
	keys = append(keys, KeyUse{Key: Key{Member: qmp.Member{Name: ChannelTypeKey}}})
	for _, ku := range keys {
		d, ok := cs.KeyDoc(ku.Key)
		if !ok || d.Text == "" {
			continue
		}
		rows = append(rows, row{ku.Name, d.Summary()})
		width = max(width, len(ku.Name))
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\nWhat the keys mean (QEMU's documentation; \"help %s KEY\" says more):\n", name)
	for _, r := range rows {
		fmt.Fprintf(w, "  %-*s  %s\n", width, r.key, r.text)
	}
}

// HelpKeys lists what "help COMMAND KEY" describes for the command on
// target t: its flags, and the names its params take from the schema
// (CHANNEL keys and transports, capabilities, parameters, enum values).
func (cmd *Command) HelpKeys(t *Target) []string {
	var out []string
	add := func(names ...string) {
		for _, n := range names {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	for _, p := range cmd.Params {
		if p.Flag != "" {
			add(p.Flag)
		}
		if t == nil {
			continue
		}
		switch p.Type {
		case Channel:
			if cs := t.Channels(); cs != nil {
				for _, ku := range cs.Keys(nil) {
					add(ku.Name)
				}
				add(ChannelTypeKey)
				add(cs.Transports()...)
			}
		case Capability:
			add(t.Capabilities()...)
		case Parameter:
			for _, m := range t.Parameters() {
				add(m.Name)
			}
		case Enum:
			if e := t.Schema.Path(t.Schema.Args(cmd.QMP), p.Member); e != nil {
				add(e.Values...)
			}
		}
	}
	return out
}

// WriteKeyHelp prints the help of one flag of the command or one name its
// params take (HelpKeys): its line as "?" shows it, then QEMU's
// documentation of it and hmpsh's own rule.
func (cmd *Command) WriteKeyHelp(w io.Writer, t *Target, key string) error {
	line, doc, ok := cmd.KeyHelp(t, key)
	if !ok {
		msg := fmt.Sprintf("help %s: no flag or name %q", cmd.Name, key)
		if t != nil {
			msg += " in QEMU " + t.Version() + "'s " + cmd.Name
		}
		keys := cmd.HelpKeys(t)
		if sug := suggest.Closest(key, keys); sug != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", sug)
		}
		if len(keys) > 0 {
			msg += "; known: " + strings.Join(keys, ", ")
		}
		return fmt.Errorf("%s", msg)
	}
	fmt.Fprintln(w, line)
	for _, l := range doc.Lines("    ") {
		fmt.Fprintln(w, l)
	}
	return nil
}

// KeyHelp is what WriteKeyHelp prints about key: its line, and its
// documentation (none for a flag); ok is false when the command has no
// such key.
func (cmd *Command) KeyHelp(t *Target, key string) (line string, doc Doc, ok bool) {
	for _, p := range cmd.Params {
		if p.Flag != "" && p.Flag == key {
			return cmd.Name + " " + p.HelpLine(), Doc{}, true
		}
		if t == nil {
			continue
		}
		switch p.Type {
		case Channel:
			cs := t.Channels()
			if cs == nil {
				continue
			}
			if key == ChannelTypeKey {
				d, _ := cs.KeyDoc(Key{Member: qmp.Member{Name: key}})
				return cs.ChannelTypeLine(), d, true
			}
			for _, ku := range cs.Keys(nil) {
				if ku.Name == key {
					d, _ := cs.KeyDoc(ku.Key)
					return cs.KeyLine(ku, ""), d, true
				}
			}
			if slices.Contains(cs.Transports(), key) {
				d, _ := cs.ValueDoc(ImpliedKey, key)
				return TransportLine(key), d, true
			}
		case Capability:
			if slices.Contains(t.Capabilities(), key) {
				d, _ := t.CapabilityDoc(key)
				return CapabilityLine(key), d, true
			}
		case Parameter:
			if m, ok := t.Parameter(key); ok {
				d, _ := t.ParameterDoc(key)
				return ParameterLine(t.Schema, m), d, true
			}
		case Enum:
			s := t.Schema
			if e := s.Path(s.Args(cmd.QMP), p.Member); e.HasValue(key) {
				d, _ := valueDoc(s, e, key)
				return key + " (" + p.Placeholder() + " of " + cmd.Name + ")", d, true
			}
		}
	}
	return "", Doc{}, false
}

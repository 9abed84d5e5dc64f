package hmp

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/split"
	"github.com/hmpsh/hmpsh/transports"
)

// Describer gives the one-line meaning of a thing a line names, from
// QEMU's own documentation: what explain shows next to each key. A nil
// Describer, or an empty answer, leaves the meaning out.
type Describer interface {
	Describe(Subject) string
}

// DescribeFunc is a function as a Describer.
type DescribeFunc func(Subject) string

func (f DescribeFunc) Describe(s Subject) string { return f(s) }

// Subject names what a Describer is asked about. The schema's own type
// names are hidden behind numbers (QEMU's introspection), so Entity names
// a thing by what hmpsh reaches it from:
//
//   - "MigrationChannel": a CHANNEL key, flattened as the CHANNEL syntax
//     writes it; Member is the key (channel-type, transport, host, ...)
//     and Branch the tag values of its address's branch (transport=socket,
//     type=inet), which tells an inet port from a vsock one;
//   - "MigrationCapability": Member is a capability's name;
//   - a QMP command's name: Member is one of its arguments, a dotted path
//     for a nested one (migrate-set-parameters max-bandwidth).
type Subject struct {
	Schema *qmp.Schema // the QEMU's schema the thing comes from
	Entity string
	Branch []Tag
	Member string
}

func describe(d Describer, s Subject) string {
	if d == nil {
		return ""
	}
	return d.Describe(s)
}

// ExplainTarget is one QEMU explain shows a line's QMP for.
type ExplainTarget struct {
	Label  string // "QEMU 7.2", "QEMU 10.0.2 (src)"
	Target *Target
}

// KnownExplainTargets are the QEMU generations hmpsh knows without one
// running, oldest first, labelled "QEMU X.Y".
func KnownExplainTargets(ts *Targets) ([]ExplainTarget, error) {
	all, err := ts.All()
	if err != nil {
		return nil, err
	}
	out := make([]ExplainTarget, len(all))
	for i, t := range all {
		out[i] = ExplainTarget{Label: "QEMU " + t.Version(), Target: t}
	}
	return out, nil
}

// Explanation is what one line means to hmpsh, as data: how it was read,
// the same line in the other form (migration commands), and what each
// QEMU would be sent. Nothing is sent to make it.
type Explanation struct {
	Line    string // as given
	Monitor string // its @NAME
	Kind    Kind
	Name    string // the command: "migrate", "info status", ".use", "query-status"
	QMP     string // Native: the QMP command the table entry sends
	Comment string // the trailing comment
	Err     error  // the line does not parse (for the target it was read for); nothing below is set

	Flags    []Arg                // flags given (-d), with their meaning
	Args     []Arg                // the other arguments: a command's params, a QMP line's key=value
	Channels []ChannelExplanation // a migration command's destinations, in order
	// Detachable: the command waits for what it starts unless told not
	// to (migrate without -d); Waits: this line does.
	Detachable, Waits bool

	Form  Form        // a migration command: how its destination is written
	Other *Conversion // a migration command: the same line in the other form

	Sends  []Sent // per target, in the order given; none for a line that sends nothing
	Differ bool   // the targets do not all get the same
}

// Arg is one argument of a line.
type Arg struct {
	Name    string // "-d", "capability", "max-bandwidth"
	Value   string // as given; "" for a flag
	Type    string // the schema's type, when there is one: str, int, bool, enum, [str], object
	Meaning string // one line
}

// ChannelExplanation is one destination: a -c CHANNEL or a URI, read into
// the keys of MigrationChannel.
type ChannelExplanation struct {
	Spec   string // as written
	URI    bool   // a legacy URI
	Branch []Tag  // transport=socket, type=inet
	Keys   []KeyValue
	Err    error // it does not read as a channel
}

// KeyValue is one key of a channel with what QMP gets for it.
type KeyValue struct {
	Key     string
	Value   string // as JSON, as QMP gets it: "4444", 4096, true, ["/bin/sh","-c","..."]
	Type    string
	Default bool // not given: hmpsh's default filled in (channel-type=main, offset=0)
	Meaning string
}

// Conversion is a migration line written in another form, or why it
// cannot be.
type Conversion struct {
	Form Form
	Line string
	Err  error
}

// Sent is what one target gets for the line.
type Sent struct {
	Label    string
	Version  string   // the QEMU's "X.Y"
	Kind     Kind     // how this QEMU's schema reads the line
	Requests []string // compact JSON, one per request
	Err      error
	Note     string // when the targets differ: why this one gets what it gets
}

// Explain reads raw as every mode reads a line and says what it means.
// targets are the QEMUs to show the QMP for; the last one (the connected
// QEMU, else the newest) decides what a command neither hmpsh nor its
// table knows is (HMP or QMP), and each target reads the line for itself
// for its row. d gives the keys' meanings; nil leaves them out.
func (sx *Syntax) Explain(raw string, targets []ExplainTarget, d Describer) *Explanation {
	e := &Explanation{Line: raw}
	if len(targets) == 0 {
		e.Err = fmt.Errorf("no QEMU to explain the line for")
		return e
	}
	primary := targets[len(targets)-1].Target
	ln, err := sx.Parse(raw, func(string) (*Target, error) { return primary, nil })
	if err != nil {
		e.Err = err
		return e
	}
	e.Monitor, e.Kind, e.Name, e.Comment = ln.Monitor, ln.Kind, ln.Name, ln.Comment
	switch ln.Kind {
	case Blank:
		return e
	case Builtin:
		e.Flags, e.Args = callArgs(ln.Call, ln.Builtin.ParamList(), primary, d)
		return e
	case Native:
		e.QMP = ln.Command.QMP
		e.Flags, e.Args = callArgs(ln.Call, ln.Command.Params, primary, d)
		if ln.Command.Wait != nil {
			e.Detachable, e.Waits = true, ln.Command.Wait(ln.Call)
		}
		if ds, ok := destinations(ln); ok && len(ds) > 0 {
			e.Channels = explainChannels(ds, primary.Channels(), d)
			e.Form = formOf(ds)
			c := &Conversion{Form: e.Form.Other()}
			ts := make([]*Target, len(targets))
			for i, t := range targets {
				ts[i] = t.Target
			}
			c.Line, c.Err = Convert(ln, c.Form, ts)
			e.Other = c
		}
	case QMPArgs:
		e.Args = qmpArgList(ln, primary, d)
	}
	for _, t := range targets {
		e.Sends = append(e.Sends, sx.sendTo(raw, t))
	}
	e.Differ = differ(e.Sends)
	for i := range e.Sends {
		s, t := &e.Sends[i], targets[i].Target
		switch {
		case s.Err == nil && s.Kind == Passthrough && t.hmpCommands != nil && !t.IsHMPCommand(e.Name):
			// The line is sent all the same; QEMU will refuse it.
			s.Note = fmt.Sprintf("QEMU %s's HMP has no command %s: it will say so", s.Version, e.Name)
		case e.Differ:
			s.Note = note(e, t, s)
		}
	}
	return e
}

// sendTo is what target t gets for raw, read for t.
func (sx *Syntax) sendTo(raw string, t ExplainTarget) Sent {
	s := Sent{Label: t.Label, Version: t.Target.Version()}
	ln, err := sx.Parse(raw, func(string) (*Target, error) { return t.Target, nil })
	if err != nil {
		s.Err = err
		return s
	}
	s.Kind = ln.Kind
	tn, err := Translate(ln, t.Target)
	if err != nil {
		s.Err = err
		return s
	}
	for _, r := range tn.Requests {
		b, err := r.MarshalJSON()
		if err != nil {
			s.Err = err
			return s
		}
		s.Requests = append(s.Requests, string(b))
	}
	return s
}

func differ(sends []Sent) bool {
	for _, s := range sends[1:] {
		if (s.Err == nil) != (sends[0].Err == nil) || !slices.Equal(s.Requests, sends[0].Requests) {
			return true
		}
	}
	return false
}

// note says why a target gets what it gets, from what translating for it
// did: which form a migration's destination took, how its schema read the
// command. An error says it itself.
func note(e *Explanation, t *Target, s *Sent) string {
	if s.Err != nil {
		return ""
	}
	if s.Kind != e.Kind {
		switch s.Kind {
		case Passthrough:
			return fmt.Sprintf("QEMU %s has no QMP command %s: sent to its HMP", s.Version, e.Name)
		case QMPArgs:
			return fmt.Sprintf("QEMU %s has QMP command %s and no HMP command of that name", s.Version, e.Name)
		}
	}
	if len(e.Channels) == 0 || e.QMP == "" {
		return ""
	}
	if e.QMP == "migrate-recover" {
		return "migrate-recover takes only a URI"
	}
	args := t.Schema.Args(e.QMP)
	_, hasChannels := t.Schema.Member(args, "channels")
	switch {
	case t.sendsChannels(e.QMP) && e.Form == FormURI:
		return fmt.Sprintf("QEMU %s's %s takes `channels`: the URI is sent as a channel", s.Version, e.QMP)
	case t.sendsChannels(e.QMP):
		return fmt.Sprintf("QEMU %s's %s takes `channels`", s.Version, e.QMP)
	case hasChannels:
		return fmt.Sprintf("QEMU %s's %s still requires `uri`: sent as `uri`", s.Version, e.QMP)
	}
	return fmt.Sprintf("QEMU %s has no `channels` in %s: sent as `uri`", s.Version, e.QMP)
}

// callArgs lists what a table entry's or own command's params read: the
// flags given, then the other values.
func callArgs(c *Call, ps []Param, t *Target, d Describer) (flags, args []Arg) {
	if c == nil {
		return nil, nil
	}
	param := ""
	for _, v := range c.vals {
		p := ps[v.param]
		switch {
		case p.Type == Flag:
			flags = append(flags, Arg{Name: p.Flag, Meaning: p.Help})
			continue
		case p.Type == Channel || p.Type == URI:
			continue // explained as channels
		}
		a := Arg{Name: p.Name, Value: v.text, Meaning: p.Help}
		switch p.Type {
		case Capability:
			a.Type = "enum"
			if m := describe(d, Subject{Schema: t.Schema, Entity: "MigrationCapability", Member: v.text}); m != "" {
				a.Meaning = m
			}
		case Parameter:
			param = v.text
			if m := describe(d, Subject{Schema: t.Schema, Entity: "migrate-set-parameters", Member: v.text}); m != "" {
				a.Meaning = m
			}
		case ParameterValue:
			if m, ok := t.Parameter(param); ok {
				a.Type = typeWord(t.Schema, m.Type)
			}
			if rule := ParameterRule(param); rule != "" {
				a.Meaning = "hmpsh: " + rule
			}
		case Bool:
			a.Type = "bool"
		case Enum:
			a.Type = "enum"
		}
		args = append(args, a)
	}
	return flags, args
}

// qmpArgList lists a QMP line's key=value words with their schema types.
func qmpArgList(ln *Line, t *Target, d Describer) []Arg {
	s := t.Schema
	var out []Arg
	for _, w := range ln.Words[1:] {
		k, v, _ := strings.Cut(w.Text, "=")
		a := Arg{Name: k, Value: v}
		e := s.Args(ln.Name)
		var path []string
		for _, seg := range strings.Split(k, ".") {
			if _, err := strconv.Atoi(seg); err == nil {
				seg = "[]"
			}
			path = append(path, seg)
		}
		if te := s.Path(e, path...); te != nil {
			a.Type = typeWord(s, te.Name)
		}
		a.Meaning = describe(d, Subject{Schema: s, Entity: ln.Name, Member: k})
		out = append(out, a)
	}
	return out
}

// typeWord names a schema type for people: a built-in type by its name
// (str, int, bool), a list as [str], and enum, object or alternate for the
// types QEMU's introspection names by number.
func typeWord(s *qmp.Schema, typ string) string {
	e := s.Entity(typ)
	if e == nil {
		return typ
	}
	switch e.MetaType {
	case "builtin", "array":
		return e.Name
	case "":
		return typ
	}
	return e.MetaType
}

// explainChannels reads each destination into its keys by cs.
func explainChannels(ds []dest, cs *ChannelSyntax, d Describer) []ChannelExplanation {
	var out []ChannelExplanation
	for _, dst := range ds {
		ce := ChannelExplanation{Spec: dst.spec, URI: dst.uri}
		if cs == nil {
			ce.Err = fmt.Errorf("no schema knows MigrationChannel")
		} else {
			ce.Branch, ce.Keys, ce.Err = channelKeys(dst.spec, cs, d)
		}
		out = append(out, ce)
	}
	return out
}

// channelKeys is one channel's keys: channel-type, then its address's
// keys in schema order, those given and those hmpsh fills in.
func channelKeys(spec string, cs *ChannelSyntax, d Describer) ([]Tag, []KeyValue, error) {
	ch, obj, err := cs.Parse(spec)
	if err != nil {
		return nil, nil, err
	}
	given, err := givenKeys(spec, cs)
	if err != nil {
		return nil, nil, err
	}
	addr := obj[1].Value.Members()
	var branch *Branch
	for i, b := range cs.Branches {
		match := len(b.Tags) > 0
		for _, tg := range b.Tags {
			if v, _ := addr.Str(tg.Key); v != tg.Value {
				match = false
			}
		}
		if match {
			branch = &cs.Branches[i]
			break
		}
	}
	if branch == nil {
		return nil, nil, fmt.Errorf("no branch of MigrationAddress matches")
	}
	s := cs.Schema
	subject := func(key string) Subject {
		return Subject{Schema: s, Entity: "MigrationChannel", Branch: branch.Tags, Member: key}
	}
	ctType := ""
	if m, ok := s.Member(cs.Channel, ChannelTypeKey); ok {
		ctType = typeWord(s, m.Type)
	}
	keys := []KeyValue{{
		Key: ChannelTypeKey, Value: strconv.Quote(ch.Type), Type: ctType,
		Default: !given[ChannelTypeKey], Meaning: describe(d, subject(ChannelTypeKey)),
	}}
	for _, k := range branch.Keys {
		v, ok := addr.Get(k.Name)
		if !ok {
			continue
		}
		js, err := v.MarshalJSON()
		if err != nil {
			return nil, nil, err
		}
		keys = append(keys, KeyValue{
			Key: k.Name, Value: string(js), Type: typeWord(s, k.Type),
			Default: k.Default != "" && !given[k.Name], Meaning: describe(d, subject(k.Name)),
		})
	}
	return branch.Tags, keys, nil
}

// givenKeys are the keys a CHANNEL or URI writes (args.N counts as args).
// A URI writes no channel-type, and a file: URI's offset only with
// ",offset=" (ParseURI fills in the 0 QMP requires).
func givenKeys(spec string, cs *ChannelSyntax) (map[string]bool, error) {
	var kvs []split.KV
	var err error
	if transports.LooksLikeURI(spec) {
		kvs, err = transports.ParseURI(spec)
	} else {
		kvs, err = split.KeyVals(spec, ImpliedKey)
	}
	if err != nil {
		return nil, err
	}
	given := map[string]bool{}
	values := map[string]string{}
	for _, kv := range kvs {
		key, _, _ := strings.Cut(kv.Key, ".")
		given[key] = true
		values[kv.Key] = kv.Value
	}
	if transports.LooksLikeURI(spec) {
		for _, ku := range cs.Keys(values) {
			if def := ku.Default(values[ImpliedKey]); def != "" && values[ku.Name] == def {
				given[ku.Name] = false
			}
		}
	}
	return given, nil
}

// kindText says what a kind of line is and where it goes.
func (e *Explanation) kindText() string {
	switch e.Kind {
	case Blank:
		return "a comment or blank line: nothing to run"
	case Builtin:
		return "hmpsh's own command: hmpsh runs it, nothing goes to QEMU"
	case Native:
		return "HMP, translated by hmpsh: sent as QMP " + e.QMP
	case Passthrough:
		return "HMP, passed through: sent to QEMU's own HMP with human-monitor-command"
	case QMPArgs:
		return "QMP with typed arguments: key=value words typed by the QEMU's schema"
	case QMPJSON:
		return "QMP JSON: sent as typed"
	}
	return e.Kind.String()
}

// WriteText writes the explanation for people: the line as read, the
// other form of a migration line, and one labelled line of QMP per QEMU,
// with why they differ when they do.
func (e *Explanation) WriteText(w io.Writer) {
	field(w, "line", e.Line)
	if e.Err != nil {
		field(w, "error", e.Err.Error())
		return
	}
	field(w, "kind", e.kindText())
	if e.Kind == Blank {
		return
	}
	if e.Monitor != "" {
		field(w, "monitor", e.Monitor)
	}
	field(w, "command", e.Name)
	for _, f := range e.Flags {
		field(w, "flag", joinNonEmpty("  ", f.Name, f.Meaning))
	}
	if len(e.Args) > 0 {
		field(w, "args", "")
		rows := make([][]string, len(e.Args))
		for i, a := range e.Args {
			rows[i] = []string{a.Name, a.Value, a.Type, a.Meaning}
		}
		writeColumns(w, "  ", rows)
	}
	switch {
	case e.Detachable && e.Waits:
		field(w, "waits", "until the migration ends (-d returns at once)")
	case e.Detachable:
		field(w, "waits", "no (-d)")
	}
	for i, ch := range e.Channels {
		what := "a CHANNEL"
		if ch.URI {
			what = "a legacy URI"
		}
		head := "channel"
		if len(e.Channels) > 1 {
			head = fmt.Sprintf("channel %d", i+1)
		}
		field(w, head, split.Quote(ch.Spec)+" ("+what+")")
		if ch.Err != nil {
			fmt.Fprintf(w, "  error: %v\n", ch.Err)
			continue
		}
		rows := make([][]string, len(ch.Keys))
		for j, k := range ch.Keys {
			def := ""
			if k.Default {
				def = "(default)"
			}
			rows[j] = []string{k.Key, k.Value, k.Type, def, k.Meaning}
		}
		writeColumns(w, "  ", rows)
	}
	if c := e.Other; c != nil {
		if c.Err != nil {
			field(w, "as "+c.Form.String(), "none: "+c.Err.Error())
		} else {
			field(w, "as "+c.Form.String(), c.Line)
		}
	}
	if len(e.Sends) == 0 {
		field(w, "QMP", "none")
		return
	}
	if e.Differ {
		field(w, "QMP", "per QEMU; they differ")
	} else {
		field(w, "QMP", "per QEMU; the same for each")
	}
	width := 0
	for _, s := range e.Sends {
		width = max(width, len(s.Label))
	}
	for _, s := range e.Sends {
		text := "error: "
		if s.Err != nil {
			text += s.Err.Error()
		} else {
			text = strings.Join(s.Requests, " ")
		}
		fmt.Fprintf(w, "  %-*s  %s\n", width, s.Label, text)
		if s.Note != "" {
			fmt.Fprintf(w, "  %-*s  ^ %s\n", width, "", s.Note)
		}
	}
}

// field writes one labelled line of an explanation.
func field(w io.Writer, label, text string) {
	fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("%-13s%s", label+":", text), " "))
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// writeColumns writes rows as aligned columns, leaving out trailing empty
// cells and columns that are empty in every row.
func writeColumns(w io.Writer, indent string, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	n := len(rows[0])
	widths := make([]int, n)
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString(indent)
		for i, c := range r {
			if widths[i] == 0 {
				continue
			}
			if i > 0 {
				b.WriteString("  ")
			}
			fmt.Fprintf(&b, "%-*s", widths[i], c)
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

package hmp

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/split"
	"github.com/hmpsh/hmpsh/transports"
)

// Form is how a migration command's destination is written: -c CHANNEL,
// or a legacy URI.
type Form int

const (
	FormChannels Form = iota // -c socket,type=inet,host=H,port=P
	FormURI                  // tcp:H:P
)

// Forms are the names ParseForm reads, in Form order.
var Forms = []string{"channels", "uri"}

func (f Form) String() string { return Forms[f] }

// Other is the form a line is not written in.
func (f Form) Other() Form { return 1 - f }

// ParseForm reads a form's name: "channels" or "uri".
func ParseForm(s string) (Form, error) {
	for i, n := range Forms {
		if s == n {
			return Form(i), nil
		}
	}
	return 0, fmt.Errorf("%q: want channels or uri", s)
}

// dest is one destination as a migration line writes it: a -c CHANNEL, or
// the positional URI. Indices are into Line.Words.
type dest struct {
	flag       int // the "-c" before a CHANNEL, the "--" before a URI, or -1
	value      int
	spec       string
	uri        bool // spec is a legacy URI (positional, or after -c)
	positional bool
}

// HasDestination reports whether cmd takes a migration destination (-c
// CHANNEL or URI): migrate, migrate_incoming, migrate_recover.
func (cmd *Command) HasDestination() bool {
	return cmd != nil && paramOfType(cmd.Params, Channel) >= 0 && paramOfType(cmd.Params, URI) >= 0
}

func paramOfType(ps []Param, t Type) int {
	for i, p := range ps {
		if p.Type == t {
			return i
		}
	}
	return -1
}

// nameWords is how many words a command's name takes: "info migrate" two.
func nameWords(cmd *Command) int { return 1 + strings.Count(cmd.Name, " ") }

// destinations finds the destination words of a parsed migration line, as
// parseArgs read them; ok is false for any other line.
func destinations(ln *Line) (ds []dest, ok bool) {
	if ln.Kind != Native || !ln.Command.HasDestination() {
		return nil, false
	}
	ps := ln.Command.Params
	ci := paramOfType(ps, Channel)
	first := nameWords(ln.Command)
	words := ln.Words
	i, dashes := first, -1
	for i < len(words) {
		w := words[i]
		if w.Quoted || len(w.Text) < 2 || w.Text[0] != '-' {
			break
		}
		if w.Text == "--" {
			dashes = i
			i++
			break
		}
		k := flagIndex(ps, w.Text, false)
		if k < 0 {
			break
		}
		if !ps[k].takesValue() {
			i++
			continue
		}
		if k == ci && i+1 < len(words) {
			spec := words[i+1].Text
			ds = append(ds, dest{flag: i, value: i + 1, spec: spec, uri: transports.LooksLikeURI(spec)})
		}
		i += 2
	}
	if i < len(words) {
		spec := words[i].Text
		ds = append(ds, dest{flag: dashes, value: i, spec: spec, uri: true, positional: true})
	}
	return ds, true
}

// formOf is the form a line's destinations are written in: channels when
// every one is a CHANNEL, else a URI.
func formOf(ds []dest) Form {
	for _, d := range ds {
		if d.uri {
			return FormURI
		}
	}
	return FormChannels
}

// FormOf says which form a migration line's destination is written in;
// ok is false for a line without one.
func FormOf(ln *Line) (f Form, ok bool) {
	ds, ok := destinations(ln)
	if !ok || len(ds) == 0 {
		return 0, false
	}
	return formOf(ds), true
}

// edit replaces Raw[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// Convert writes a parsed migrate, migrate_incoming or migrate_recover
// line in form to: a legacy URI becomes its minimal -c CHANNEL (only keys
// that differ from their defaults), -c CHANNEL becomes its URI. Everything
// else of the line stays as written, byte for byte: its @NAME, flags,
// spacing and trailing comment. A line already in form to is returned as
// it is.
//
// The conversion is exact: on every target given, the converted line
// sends the same QMP as the original (or fails where the original fails);
// what cannot be said in form to that way is an error naming the key. A
// line that fails on every target is an error too: its own.
func Convert(ln *Line, to Form, targets []*Target) (string, error) {
	ds, ok := destinations(ln)
	if !ok {
		return "", fmt.Errorf("%s: not a migration command; only migrate, migrate_incoming and migrate_recover have a destination to convert", ln.Name)
	}
	if len(targets) == 0 {
		return "", fmt.Errorf("%s: no QEMU to convert for", ln.Name)
	}
	if len(ds) > 0 && inForm(ds, to) {
		return ln.Raw, nil
	}
	// What the line sends now, on each target: the standard it must meet.
	orig := make([]sent, len(targets))
	works := false
	for i, t := range targets {
		orig[i] = translateSent(ln, t)
		works = works || orig[i].err == nil
	}
	if !works {
		return "", orig[len(orig)-1].err
	}
	cs := targets[len(targets)-1].Channels()
	if cs == nil {
		return "", fmt.Errorf("%s: no schema knows MigrationChannel", ln.Name)
	}
	var edits []edit
	var err error
	if to == FormChannels {
		edits, err = toChannels(ln, ds, cs)
	} else {
		edits, err = toURI(ln, ds, cs, targets)
	}
	if err != nil {
		return "", err
	}
	out := applyEdits(ln, edits)
	// The rules above are meant to be exact; this proves it for the line
	// at hand, so that no conversion that changes what QEMU gets is ever
	// written out.
	for i, t := range targets {
		got := retranslate(ln, out, t)
		if !got.same(orig[i]) {
			return "", fmt.Errorf("%s: the %s form would not send the same QMP to QEMU %s: %s instead of %s", ln.Name, to, t.Version(), got, orig[i])
		}
	}
	return out, nil
}

// inForm reports whether every destination is already written in form f.
func inForm(ds []dest, f Form) bool {
	if f == FormURI {
		return len(ds) == 1 && ds[0].positional
	}
	return formOf(ds) == FormChannels
}

// sent is what a line sent to a target: its requests as JSON, or its error.
type sent struct {
	json string
	err  error
}

func (s sent) same(o sent) bool {
	if s.err != nil || o.err != nil {
		return s.err != nil && o.err != nil
	}
	return s.json == o.json
}

func (s sent) String() string {
	if s.err != nil {
		return "error: " + s.err.Error()
	}
	return s.json
}

func sentOf(reqs []qmp.Request, err error) sent {
	if err != nil {
		return sent{err: err}
	}
	var b []byte
	for i, r := range reqs {
		if i > 0 {
			b = append(b, ' ')
		}
		if b, err = r.AppendJSON(b); err != nil {
			return sent{err: err}
		}
	}
	return sent{json: string(b)}
}

func translateSent(ln *Line, t *Target) sent {
	tn, err := Translate(ln, t)
	if err != nil {
		return sent{err: err}
	}
	return sentOf(tn.Requests, nil)
}

// retranslate translates raw, a line of command ln.Command, for t. It
// reads the line as Parse does, without needing a Syntax.
func retranslate(ln *Line, raw string, t *Target) sent {
	h := CutHead(raw)
	words, err := split.Words(h.Body)
	if err != nil {
		return sent{err: err}
	}
	words = words[:CommentAt(words)]
	cmd := ln.Command
	n := nameWords(cmd)
	if len(words) < n {
		return sent{err: fmt.Errorf("%s: the command's name is gone", cmd.Name)}
	}
	c, err := ParseArgs(ln.Name, cmd.Params, words[n:])
	if err != nil {
		return sent{err: err}
	}
	c.Cmd, c.Target = cmd, t
	return sentOf(cmd.Translate(c))
}

// toChannels rewrites each URI destination as a -c CHANNEL.
func toChannels(ln *Line, ds []dest, cs *ChannelSyntax) ([]edit, error) {
	var edits []edit
	for _, d := range ds {
		if !d.uri {
			continue
		}
		flag := ""
		if !d.positional {
			flag = "-c "
		}
		ch, err := ChannelOf(d.spec, cs)
		if err != nil {
			return nil, fmt.Errorf("%s: %s%s: %w", ln.Name, flag, split.Quote(d.spec), err)
		}
		word := split.Quote(ch)
		if !d.positional {
			edits = append(edits, edit{wordStart(ln, d.value), wordEnd(ln, d.value), word})
			continue
		}
		// A "--" before the URI would make "-c" a positional: it goes.
		start := d.value
		if d.flag >= 0 {
			start = d.flag
		}
		edits = append(edits, edit{wordStart(ln, start), wordEnd(ln, d.value), "-c " + word})
	}
	return edits, nil
}

// ChannelOf writes a legacy URI as the minimal CHANNEL that means the same
// address: the transport first as the implied key, then the URI's keys in
// the order it gives them, leaving out those equal to their defaults
// (offset=0); a comma in a value is written ",,". exec's argv is written
// as one shell-quoted args= when that splits back into the same words,
// else indexed (args.0=...).
func ChannelOf(uri string, cs *ChannelSyntax) (string, error) {
	kvs, err := transports.ParseURI(uri)
	if err != nil {
		return "", err
	}
	given := map[string]string{}
	for _, kv := range kvs {
		given[kv.Key] = kv.Value
	}
	defaults := map[string]string{}
	for _, ku := range cs.Keys(given) {
		if d := ku.Default(given[ImpliedKey]); d != "" {
			defaults[ku.Name] = d
		}
	}
	var b strings.Builder
	var argv []string
	for _, kv := range kvs {
		if kv.Key == ImpliedKey {
			b.WriteString(escapeValue(kv.Value))
			continue
		}
		if d, ok := defaults[kv.Key]; ok && d == kv.Value {
			continue
		}
		if rest, ok := strings.CutPrefix(kv.Key, "args."); ok && rest == strconv.Itoa(len(argv)) {
			argv = append(argv, kv.Value)
			continue
		}
		fmt.Fprintf(&b, ",%s=%s", kv.Key, escapeValue(kv.Value))
	}
	if len(argv) > 0 {
		b.WriteString(argsKV(argv))
	}
	if b.Len() == 0 || strings.HasPrefix(b.String(), ",") {
		return "", fmt.Errorf("URI %q: no transport", uri)
	}
	return b.String(), nil
}

// argsKV writes exec's argv as ",args=WORDS", or indexed when shell
// quoting would not give back exactly these words.
func argsKV(argv []string) string {
	q := transports.ShellQuote(argv)
	if back, err := transports.SplitArgs(q); err == nil && slices.Equal(back, argv) {
		return ",args=" + escapeValue(q)
	}
	var b strings.Builder
	for i, a := range argv {
		fmt.Fprintf(&b, ",args.%d=%s", i, escapeValue(a))
	}
	return b.String()
}

// escapeValue writes a value for a comma list: a comma is ",,".
func escapeValue(v string) string { return strings.ReplaceAll(v, ",", ",,") }

// toURI rewrites the -c CHANNEL of a line as its legacy URI.
func toURI(ln *Line, ds []dest, cs *ChannelSyntax, targets []*Target) ([]edit, error) {
	if len(ds) == 0 {
		return nil, fmt.Errorf("%s: missing destination: -c CHANNEL or URI", ln.Name)
	}
	var main *dest
	for i, d := range ds {
		if d.positional {
			return nil, fmt.Errorf("%s: give either -c CHANNEL or a URI, not both", ln.Name)
		}
		if d.uri {
			main = &ds[i]
			continue
		}
		ch, obj, err := cs.Parse(d.spec)
		if err != nil {
			return nil, fmt.Errorf("%s: -c %s: %w", ln.Name, split.Quote(d.spec), err)
		}
		if ch.Type != DefaultChannelType {
			// A URI is always the main channel.
			return nil, fmt.Errorf("%s: -c %s: %s=%s has no URI form", ln.Name, split.Quote(d.spec), ChannelTypeKey, ch.Type)
		}
		if main != nil {
			return nil, fmt.Errorf("%s: two main channels", ln.Name)
		}
		main = &ds[i]
		u, err := uriOf(ch, obj, cs, ln.Command, targets)
		if err != nil {
			return nil, fmt.Errorf("%s: -c %s: %w", ln.Name, split.Quote(d.spec), err)
		}
		main.spec = u
	}
	if len(ds) > 1 {
		return nil, fmt.Errorf("%s: %d channels: a URI says one", ln.Name, len(ds))
	}
	word := split.Quote(main.spec)
	last := len(ln.Words) - 1
	if main.value == last {
		return []edit{{wordStart(ln, main.flag), wordEnd(ln, main.value), word}}, nil
	}
	// Flags after the -c stay where they are; the URI, a positional,
	// goes after them.
	return []edit{
		{wordStart(ln, main.flag), wordStart(ln, main.value+1), ""},
		{wordEnd(ln, last), wordEnd(ln, last), " " + word},
	}, nil
}

// uriOf writes a parsed main channel as its legacy URI, for every target:
// with the URI features any of them has (the file transport), and, when
// one of them gets the channel as QMP channels rather than as the URI,
// only if the URI gives back the very same address.
func uriOf(ch transports.Channel, obj qmp.Object, cs *ChannelSyntax, cmd *Command, targets []*Target) (string, error) {
	var caps transports.URICaps
	channels := false
	for _, t := range targets {
		c := t.uriCaps()
		caps.File = caps.File || c.File
		caps.MPTCP = caps.MPTCP || c.MPTCP
		channels = channels || t.sendsChannels(cmd.QMP)
	}
	u, err := transports.RenderURI(ch, caps)
	if err != nil {
		return "", err
	}
	if !channels {
		return u, nil
	}
	_, back, err := cs.Parse(u)
	if err != nil {
		return "", fmt.Errorf("its URI %s does not read back: %w", u, err)
	}
	if key := differingKey(obj[1].Value.Members(), back[1].Value.Members()); key != "" {
		if key == "args" {
			argv, _ := obj[1].Value.Members().Strings("args")
			cmdline := transports.ShellQuote(argv)
			return "", fmt.Errorf("args=%s has no URI form: an exec: URI always runs /bin/sh -c COMMAND; write args=/bin/sh -c %s for one", cmdline, shellQuote1(cmdline))
		}
		return "", fmt.Errorf("key %q has no URI form", key)
	}
	return u, nil
}

// shellQuote1 quotes one string as a single shell word.
func shellQuote1(s string) string { return transports.ShellQuote([]string{s}) }

// differingKey is the first key of a whose value b does not have the
// same, or the first key only b has; "" when they are equal.
func differingKey(a, b *qmp.Object) string {
	for _, f := range *a {
		v, ok := b.Get(f.Name)
		if !ok || !sameValue(f.Value, v) {
			return f.Name
		}
	}
	for _, f := range *b {
		if _, ok := a.Get(f.Name); !ok {
			return f.Name
		}
	}
	return ""
}

func sameValue(a, b qmp.Value) bool {
	x, err1 := a.MarshalJSON()
	y, err2 := b.MarshalJSON()
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// bodyOffset is where the words' offsets count from in ln.Raw.
func bodyOffset(ln *Line) int { return CutHead(ln.Raw).Offset }

func wordStart(ln *Line, i int) int { return bodyOffset(ln) + ln.Words[i].Start }
func wordEnd(ln *Line, i int) int   { return bodyOffset(ln) + ln.Words[i].End }

// applyEdits makes the edits, in order of their start, to ln.Raw.
func applyEdits(ln *Line, edits []edit) string {
	var b strings.Builder
	at := 0
	for _, e := range edits {
		b.WriteString(ln.Raw[at:e.start])
		b.WriteString(e.text)
		at = e.end
	}
	b.WriteString(ln.Raw[at:])
	return b.String()
}

// ConvertLine converts raw when it is a migration line and returns it as
// it is otherwise (blank, comment, any other command, or a line that
// does not parse as one of those): what convert does to each line of a
// script. targets' newest decides what a line of another command is.
func (sx *Syntax) ConvertLine(raw string, to Form, targets []*Target) (string, error) {
	if len(targets) == 0 {
		return "", fmt.Errorf("no QEMU to convert for")
	}
	newest := targets[len(targets)-1]
	ln, err := sx.Parse(raw, func(string) (*Target, error) { return newest, nil })
	if err != nil {
		if sx.migrationHead(raw) {
			return "", err
		}
		return raw, nil
	}
	if _, ok := destinations(ln); !ok {
		return raw, nil
	}
	return Convert(ln, to, targets)
}

// migrationHead reports whether raw starts like a migration command,
// read as leniently as completion reads a line being typed.
func (sx *Syntax) migrationHead(raw string) bool {
	h := CutHead(raw)
	if h.Blank || h.JSON {
		return false
	}
	words := split.WordsLenient(h.Body)
	if len(words) == 0 {
		return false
	}
	cl := sx.Classify(words)
	return cl.Kind == Native && cl.Command.HasDestination()
}

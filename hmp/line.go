package hmp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/hmpsh/hmpsh/internal/suggest"
	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/split"
)

// Kind is what a line is.
type Kind int

const (
	Blank       Kind = iota // nothing to run: empty, or only a comment
	Builtin                 // one of hmpsh's own commands (.use, help)
	Native                  // an HMP command of the table, translated by hmpsh
	Passthrough             // another HMP command, sent as human-monitor-command
	QMPArgs                 // a QMP command with key=value words, typed by the schema
	QMPJSON                 // a line of JSON, sent as typed
)

var kindNames = [...]string{"blank", "hmpsh command", "HMP (translated)", "HMP (passthrough)", "QMP", "QMP JSON"}

func (k Kind) String() string { return kindNames[k] }

// AllMonitors is the monitor of a line written "@* LINE": every monitor.
const AllMonitors = "*"

// Line is one raw line as hmpsh understands it. Every mode (the shell,
// -c, -f, standard input, --dry-run) reads lines through Parse, so a line
// means the same everywhere.
type Line struct {
	Raw     string
	Monitor string // NAME of "@NAME LINE"; "" for the current monitor; AllMonitors for "@*"
	Kind    Kind
	// Body is the line without its @NAME prefix, its trailing comment and
	// the white space around them: what an HMP passthrough sends.
	Body    string
	Comment string       // the trailing "# ..." (or a Blank line's whole comment)
	Words   []split.Word // Body's words (offsets in Body); nil for QMPJSON
	Name    string       // the command: "info status", ".use", "query-status"
	Command *Command     // Native: the table entry
	Builtin BuiltinEntry // Builtin: hmpsh's own command
	Call    *Call        // Native and Builtin: the arguments, read by the entry's params
	JSON    []byte       // QMPJSON: the JSON value

	// Room for the words and the call of a short line, so that reading
	// one costs one allocation.
	words [6]split.Word
	call  Call
	tn    Translation
	// Room for the objects of the line's requests: they live in the Line
	// too, until it is parsed into again.
	room    qmp.Room
	roomBuf [16]qmp.Field
	reqs    [1]qmp.Request
}

// Prefix is the line's "@NAME " as written, or "".
func (ln *Line) Prefix() string {
	if ln.Monitor == "" {
		return ""
	}
	return "@" + ln.Monitor + " "
}

// BuiltinEntry is what the line model needs of one of hmpsh's own commands,
// whose table (with their run functions) is the shell's.
type BuiltinEntry interface {
	Names() []string // the name, then aliases
	ParamList() []Param
	Usage() string
	Summary() string
	// TakesMonitor: "@NAME" may pick the monitor it is about (help shows
	// that QEMU's keys); the others act on the session, not a monitor.
	TakesMonitor() bool
}

// Syntax reads lines: hmpsh's own commands, the table's, and what the
// target QEMU has. It is read-only once made, and safe for concurrent use.
type Syntax struct {
	Table    *Table
	builtins []BuiltinEntry
	byName   map[string]BuiltinEntry
}

// NewSyntax makes the line model of a command table and hmpsh's own
// commands. An own command's name starts with a dot, which no HMP command
// has, or is "help".
func NewSyntax(t *Table, builtins []BuiltinEntry) (*Syntax, error) {
	sx := &Syntax{Table: t, builtins: builtins, byName: map[string]BuiltinEntry{}}
	for _, b := range builtins {
		if err := checkParams(b.Names()[0], b.ParamList()); err != nil {
			return nil, err
		}
		for _, n := range b.Names() {
			if !strings.HasPrefix(n, ".") && n != "help" {
				return nil, fmt.Errorf("own command %q: the name must start with a dot", n)
			}
			if sx.byName[n] != nil || t.Get(n) != nil {
				return nil, fmt.Errorf("own command %q: name used twice", n)
			}
			sx.byName[n] = b
		}
	}
	return sx, nil
}

// Builtins lists hmpsh's own commands.
func (sx *Syntax) Builtins() []BuiltinEntry { return sx.builtins }

// LookupBuiltin finds one of hmpsh's own commands by name or alias.
func (sx *Syntax) LookupBuiltin(name string) BuiltinEntry { return sx.byName[name] }

// Head is the start of a line, read without judging the rest: which
// monitor it is for and where its body starts. It never fails, so that
// what must read any line (history redaction, completion of a line being
// typed) reads the prefix exactly as Parse does.
type Head struct {
	Monitor  string // after "@"; AllMonitors for "@*"
	Prefixed bool   // the line starts with "@"
	NameOnly bool   // the line is "@NAME" alone, the name perhaps being typed
	Body     string // the rest, leading white space removed; comment included
	Offset   int    // where Body starts in the line
	JSON     bool   // Body starts with '{': a line of JSON
	Blank    bool   // Body is empty or a comment
}

// CutHead reads the head of a line: an optional "@NAME" up to the first
// white space, then the body.
func CutHead(raw string) Head {
	var h Head
	i := skipSpace(raw, 0)
	if i < len(raw) && raw[i] == '@' {
		h.Prefixed = true
		j := i + 1
		for j < len(raw) && !split.IsSpace(raw[j]) {
			j++
		}
		h.Monitor = raw[i+1 : j]
		if j == len(raw) {
			h.NameOnly = true
		}
		i = j
	}
	i = skipSpace(raw, i)
	h.Body, h.Offset = raw[i:], i
	h.Blank = h.Body == "" || h.Body[0] == '#'
	h.JSON = !h.Blank && h.Body[0] == '{'
	return h
}

func skipSpace(s string, i int) int {
	for i < len(s) && split.IsSpace(s[i]) {
		i++
	}
	return i
}

// ValidName reports whether s can name a monitor (letters, digits, '-' and
// '_'), the same alphabet as HMP's command names.
func ValidName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// CommentAt is the index of the first word that starts a trailing comment
// (an unquoted word starting with '#': HMP has no '#' in its syntax), or
// len(words).
func CommentAt(words []split.Word) int {
	for i, w := range words {
		if !w.Quoted && w.Text != "" && w.Text[0] == '#' {
			return i
		}
	}
	return len(words)
}

// TargetFunc gives the QEMU a line for monitor ("" the current one) is
// translated for. Parse asks only when the kind of line depends on it.
type TargetFunc func(monitor string) (*Target, error)

// Parse reads one raw line. target is asked for the monitor's QEMU only
// when a line could be HMP or QMP (a command hmpsh neither knows nor
// translates); it may return an error, which Parse returns.
func (sx *Syntax) Parse(raw string, target TargetFunc) (*Line, error) {
	ln := new(Line)
	if err := sx.ParseInto(ln, raw, target); err != nil {
		return nil, err
	}
	return ln, nil
}

// ParseInto is Parse into ln, which it resets: a caller that reads lines
// one after another can keep one Line for all of them.
func (sx *Syntax) ParseInto(ln *Line, raw string, target TargetFunc) error {
	h := CutHead(raw)
	*ln = Line{Raw: raw, Monitor: h.Monitor}
	ln.room.Reset(ln.roomBuf[:])
	if h.Prefixed && h.Monitor != AllMonitors && !ValidName(h.Monitor) {
		if h.Monitor == "" {
			return fmt.Errorf("@ needs a monitor name: @NAME LINE")
		}
		return fmt.Errorf("@%s: not a monitor name (letters, digits, - and _)", h.Monitor)
	}
	switch {
	case h.Blank:
		ln.Kind, ln.Comment = Blank, h.Body
		return nil
	case h.JSON:
		return sx.parseJSON(ln, h.Body)
	}
	words, err := split.AppendWords(ln.words[:0], h.Body)
	if err != nil {
		return err
	}
	if n := CommentAt(words); n < len(words) {
		ln.Comment = h.Body[words[n].Start:]
		ln.Body = split.TrimSpace(h.Body[:words[n].Start])
		words = words[:n]
	} else {
		ln.Body = split.TrimSpace(h.Body)
	}
	ln.Words = words
	if words[0].Text == "" {
		// QEMU would look for a command called "" and not find it.
		return fmt.Errorf("%s: an empty command name", ln.Body[:words[0].End])
	}
	cl := sx.Classify(words)
	ln.Kind, ln.Name, ln.Command, ln.Builtin = cl.Kind, cl.Name, cl.Command, cl.Builtin
	switch cl.Kind {
	case Native:
		c := &ln.call
		if err := parseArgs(c, cl.Name, cl.Command.Params, cl.Args); err != nil {
			return err
		}
		c.Cmd, c.Line = cl.Command, ln
		ln.Call = c
		return nil
	case Builtin:
		b := cl.Builtin
		if b == nil {
			return sx.unknownBuiltin(cl.Name)
		}
		if ln.Monitor != "" && !b.TakesMonitor() {
			return fmt.Errorf("%s acts on the session, not on one monitor; leave out @%s", cl.Name, ln.Monitor)
		}
		c := &ln.call
		if err := parseArgs(c, cl.Name, b.ParamList(), cl.Args); err != nil {
			return err
		}
		c.Line = ln
		ln.Call = c
		return nil
	}
	// HMP or QMP: that depends on what the monitor's QEMU has.
	t, err := target(ln.Monitor)
	if err != nil {
		return err
	}
	ln.Kind = t.KindOf(cl.Name)
	if ln.Kind == Passthrough && !ln.Words[0].Quoted {
		return sx.checkQEMUName(t, cl.Name, cl.Args)
	}
	return nil
}

// Class is what a line's words make it, as far as that can be told
// without a QEMU.
type Class struct {
	Kind    Kind   // Builtin, Native, or Passthrough (which may be QMPArgs: Target.KindOf says)
	Name    string // the command's name: "info status" for a table entry
	Command *Command
	Builtin BuiltinEntry // nil for an unknown dot-command
	Args    []split.Word // the words after the command's name
}

// Classify reads a line's words: one of hmpsh's own commands, one of the
// table's, or a command for QEMU. words must not be empty.
func (sx *Syntax) Classify(words []split.Word) Class {
	first := words[0].Text
	qemu := Class{Kind: Passthrough, Name: first, Args: words[1:]}
	if words[0].Quoted {
		return qemu
	}
	if strings.HasPrefix(first, ".") {
		return Class{Kind: Builtin, Name: first, Builtin: sx.byName[first], Args: words[1:]}
	}
	if b := sx.byName[first]; b != nil {
		// "help X" is hmpsh's for what hmpsh knows, QEMU's for the rest;
		// "help X KEY" is hmpsh's too, about one key of X.
		if len(words) == 1 || sx.Known(joinWords(words[1:])) || len(words) > 2 && sx.Known(joinWords(words[1:len(words)-1])) {
			return Class{Kind: Builtin, Name: first, Builtin: b, Args: words[1:]}
		}
		return qemu
	}
	second, hasSecond := "", len(words) > 1
	if hasSecond {
		second = words[1].Text
	}
	if cmd, n := sx.Table.lookup(first, second, hasSecond); cmd != nil {
		return Class{Kind: Native, Name: cmd.Name, Command: cmd, Args: words[n:]}
	}
	return qemu
}

// Known reports whether name ("migrate", "info status", ".use") is a
// command of hmpsh's table or one of its own.
func (sx *Syntax) Known(name string) bool {
	return sx.Table.Get(name) != nil || sx.byName[name] != nil
}

func joinWords(ws []split.Word) string {
	if len(ws) == 1 {
		return ws[0].Text
	}
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = w.Text
	}
	return strings.Join(parts, " ")
}

func (sx *Syntax) unknownBuiltin(name string) error {
	var names []string
	for _, b := range sx.builtins {
		for _, n := range b.Names() {
			if strings.HasPrefix(n, ".") {
				names = append(names, n)
			}
		}
	}
	msg := fmt.Sprintf("unknown hmpsh command %q", name)
	if s := suggest.Closest(name, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return fmt.Errorf("%s; hmpsh's commands: %s", msg, strings.Join(names, ", "))
}

// afterJSON is the error for what follows a line's JSON value (tail, a
// suffix of raw) when it is not a comment. Bytes that cannot be seen are
// named: a NUL at the end of a line (a C string's end written out) read
// "more than one value" and left nothing to look for.
func afterJSON(raw, tail string) error {
	lead := 0
	for split.IsSpace(tail[lead]) {
		lead++
	}
	col := len(raw) - len(tail) + lead + 1 // 1-based, in bytes
	rest := split.TrimSpace(tail)
	switch c := rest[0]; {
	case c == 0:
		return fmt.Errorf(`JSON line: a NUL byte (\x00) after the JSON value at column %d`, col)
	case c < ' ' || c == 0x7f:
		return fmt.Errorf(`JSON line: a control byte (\x%02x) after the JSON value at column %d`, c, col)
	}
	show := rest
	if len(show) > 20 {
		show = show[:20] + "..."
	}
	return fmt.Errorf("JSON line: more than one value: %q at column %d (a comment after it starts with #)", show, col)
}

// parseJSON reads a line of JSON: one object, then perhaps a comment.
func (sx *Syntax) parseJSON(ln *Line, body string) error {
	ln.Kind = QMPJSON
	dec := json.NewDecoder(strings.NewReader(body))
	var req struct {
		Execute   *string                    `json:"execute"`
		ExecOOB   *string                    `json:"exec-oob"`
		Arguments map[string]json.RawMessage `json:"arguments"`
	}
	if err := dec.Decode(&req); err != nil {
		return fmt.Errorf("JSON line: %w", err)
	}
	end := int(dec.InputOffset())
	rest := split.TrimSpace(body[end:])
	switch {
	case rest == "":
	case rest[0] == '#':
		ln.Comment = rest
	default:
		return afterJSON(ln.Raw, body[end:])
	}
	name := req.Execute
	if name == nil {
		name = req.ExecOOB
	}
	if name == nil || *name == "" {
		return fmt.Errorf(`JSON line: no "execute"; want {"execute":"NAME","arguments":{...}}`)
	}
	ln.Name = *name
	ln.Body = body[:end]
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(ln.Body)); err != nil {
		return fmt.Errorf("JSON line: %w", err)
	}
	ln.JSON = b.Bytes()
	return nil
}

// BuiltinNames lists hmpsh's own command names (aliases too), sorted.
func (sx *Syntax) BuiltinNames() []string {
	var names []string
	for n := range sx.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

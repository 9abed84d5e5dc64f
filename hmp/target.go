package hmp

import (
	"bufio"
	"fmt"
	"strings"
	"sync"

	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/transports"
)

// Target is the QEMU a line is translated for. Everything hmpsh decides
// about the wire form comes from that QEMU's own schema, not from its
// version number: distributions backport.
type Target struct {
	Schema *qmp.Schema
	// ref gives the newest schema hmpsh knows. A QEMU too old for the
	// channel syntax still accepts it, written back as a URI; the newest
	// schema defines the syntax then. It is asked only then: reading a
	// built-in schema costs milliseconds a line of a QEMU that has the
	// syntax itself need not spend.
	ref func() *qmp.Schema

	hmpCommands map[string]bool

	infoOnce sync.Once
	info     map[string]bool // info subcommands, from "help info"

	capsOnce sync.Once
	caps     transports.URICaps

	chOnce sync.Once
	ch     *ChannelSyntax

	sendsOnce sync.Once
	sends     [2]bool // sendsChannels of migrate and migrate-incoming
}

// NewTarget makes a target of a QEMU's schema, with ref (the newest known
// schema) defining the channel syntax where the QEMU predates it; nil
// means s.
func NewTarget(s, ref *qmp.Schema) *Target {
	if ref == nil {
		ref = s
	}
	return newTarget(s, func() *qmp.Schema { return ref })
}

// newTarget is NewTarget with the reference schema read when needed.
func newTarget(s *qmp.Schema, ref func() *qmp.Schema) *Target {
	t := &Target{Schema: s, ref: ref}
	if s.HMPHelp != "" {
		t.hmpCommands = map[string]bool{}
		for _, e := range ParseHelp(s.HMPHelp) {
			for _, n := range e.Names {
				t.hmpCommands[n] = true
			}
		}
	}
	return t
}

// Version is the target's "MAJOR.MINOR".
func (t *Target) Version() string { return t.Schema.QEMU.Short() }

// sendsChannels reports whether command (migrate or migrate-incoming)
// should carry a channels list: it has one and does not still require
// uri (QEMU 8.2.0 and 8.2.1 had channels but a mandatory uri).
func (t *Target) sendsChannels(command string) bool {
	t.sendsOnce.Do(func() {
		t.sends[0] = t.readSendsChannels("migrate")
		t.sends[1] = t.readSendsChannels("migrate-incoming")
	})
	switch command {
	case "migrate":
		return t.sends[0]
	case "migrate-incoming":
		return t.sends[1]
	}
	return t.readSendsChannels(command)
}

func (t *Target) readSendsChannels(command string) bool {
	args := t.Schema.Args(command)
	ch, hasCh := t.Schema.Member(args, "channels")
	uri, hasURI := t.Schema.Member(args, "uri")
	return hasCh && ch.Name != "" && (!hasURI || uri.Optional)
}

// Channels is the channel syntax for this target, read once from the
// MigrationChannel type: its own when it has one, else the reference
// schema's (QEMU 7.2 has none, and gets the channel back as a URI). Nil
// when neither schema has one.
func (t *Target) Channels() *ChannelSyntax {
	t.chOnce.Do(func() {
		for i := range 2 {
			s := t.Schema
			if i == 1 {
				if s = t.ref(); s == nil {
					return
				}
			}
			for _, cmd := range []string{"migrate", "migrate-incoming"} {
				if e := s.Path(s.Args(cmd), "channels", "[]"); e != nil {
					t.ch = newChannelSyntax(s, e)
					return
				}
			}
		}
	})
	return t.ch
}

// KindOf says how a line starting with a command hmpsh does not translate
// goes to this QEMU: a QMP command its HMP does not have takes key=value
// words; anything else is HMP, passed through.
func (t *Target) KindOf(name string) Kind {
	if t.Schema.Command(name) != nil && !t.IsHMPCommand(name) {
		return QMPArgs
	}
	return Passthrough
}

// Capabilities lists the migration capabilities the target has.
func (t *Target) Capabilities() []string {
	if e := t.capabilityEnum(); e != nil {
		return e.Values
	}
	return nil
}

func (t *Target) capabilityEnum() *qmp.Entity {
	s := t.Schema
	return s.Path(s.Args("migrate-set-capabilities"), "capabilities", "[]", "capability")
}

// Parameter finds a migration parameter the target has.
func (t *Target) Parameter(name string) (qmp.Member, bool) {
	return t.Schema.Member(t.Schema.Args("migrate-set-parameters"), name)
}

// Parameters lists the migration parameters that take one value, the ones
// HMP can set (a structured one needs the QMP form).
func (t *Target) Parameters() []qmp.Member {
	s := t.Schema
	args := s.Args("migrate-set-parameters")
	var out []qmp.Member
	for _, n := range s.MemberNames(args) {
		m, _ := s.Member(args, n)
		if !Structured(s, m.Type) {
			out = append(out, m)
		}
	}
	return out
}

// Structured reports whether a type takes sub-keys (an object or a list).
func Structured(s *qmp.Schema, typ string) bool {
	e := s.Entity(typ)
	return e != nil && (e.MetaType == "object" || e.MetaType == "array")
}

// uriCaps reads from the schema what the target's URI parser knows, once.
func (t *Target) uriCaps() transports.URICaps {
	t.capsOnce.Do(func() { t.caps = t.readURICaps() })
	return t.caps
}

func (t *Target) readURICaps() transports.URICaps {
	s := t.Schema
	var caps transports.URICaps
	for _, cmd := range []string{"migrate", "migrate-incoming"} {
		if e := s.Path(s.Args(cmd), "channels", "[]", "addr", "transport"); e.HasValue("file") {
			caps.File = true
		}
	}
	// InetSocketAddress is unnamed in introspection; any object with
	// host, port and mptcp members is it.
	caps.MPTCP = len(s.Find(func(e *qmp.Entity) bool {
		if e.MetaType != "object" {
			return false
		}
		n := 0
		for _, m := range e.Members {
			if m.Name == "host" || m.Name == "port" || m.Name == "mptcp" {
				n++
			}
		}
		return n == 3
	})) > 0
	return caps
}

// IsHMPCommand reports whether QEMU's own HMP has a command of that name.
// Without the QEMU's help text it cannot know and says no.
func (t *Target) IsHMPCommand(name string) bool { return t.hmpCommands[name] }

// HelpEntry is one line of QEMU's HMP "help" output.
type HelpEntry struct {
	Names []string // "quit|q" gives quit and q
	Args  string
	Help  string
}

// ParseHelp reads the text of QEMU's "help" (or "help info"), one entry
// per line "NAME[|ALIAS] ARGS -- HELP". Indented lines continue the help
// of the entry before them; lines that do not start with a command name
// continue its arguments (drive_add's spread over three lines).
func ParseHelp(text string) []HelpEntry {
	var out []HelpEntry
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		head, help, hasHelp := strings.Cut(line, " -- ")
		// "help info" lists "info NAME ..."; "help" lists "info [subcommand]".
		if rest, ok := strings.CutPrefix(head, "info "); ok && !strings.HasPrefix(rest, "[") {
			head = rest
		}
		name, args, _ := strings.Cut(head, " ")
		startsEntry := line[0] != ' ' && line[0] != '\t' && isCommandName(name)
		if !startsEntry {
			if len(out) == 0 {
				continue
			}
			last := &out[len(out)-1]
			switch {
			case last.Help == "" && hasHelp:
				last.Args = strings.TrimSpace(last.Args + " " + strings.TrimSpace(head))
				last.Help = strings.TrimSpace(help)
			case last.Help == "":
				last.Args = strings.TrimSpace(last.Args + " " + strings.TrimSpace(line))
			default:
				last.Help += " " + strings.TrimSpace(line)
			}
			continue
		}
		out = append(out, HelpEntry{Names: strings.Split(name, "|"), Args: strings.TrimSpace(args), Help: strings.TrimSpace(help)})
	}
	return out
}

// isCommandName reports whether s can name an HMP command, aliases
// included ("quit|q", "help|?").
func isCommandName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_-|?", c)) {
			return false
		}
	}
	return true
}

// Targets are the QEMUs hmpsh can translate for without one running:
// the schemas built in. Each is read when first asked for: a line for a
// connected QEMU may need none of them.
type Targets struct {
	builtins []*qmp.Builtin // oldest first
	targets  []*Target
	once     []sync.Once
	errs     []error
}

// KnownTargets makes the targets of the schemas shipped with hmpsh.
func KnownTargets() (*Targets, error) {
	b := qmp.BuiltinSchemas()
	if len(b) == 0 {
		return nil, fmt.Errorf("no QEMU schemas built in")
	}
	return &Targets{builtins: b, targets: make([]*Target, len(b)), once: make([]sync.Once, len(b)), errs: make([]error, len(b))}, nil
}

// at is target i, read on first use.
func (ts *Targets) at(i int) (*Target, error) {
	ts.once[i].Do(func() {
		s, err := ts.builtins[i].Load()
		if err != nil {
			ts.errs[i] = fmt.Errorf("built-in schema of QEMU %s: %w", ts.builtins[i].Short(), err)
			return
		}
		ref := s
		if last := len(ts.builtins) - 1; i != last {
			newest, err := ts.at(last)
			if err != nil {
				ts.errs[i] = err
				return
			}
			ref = newest.Schema
		}
		ts.targets[i] = NewTarget(s, ref)
	})
	return ts.targets[i], ts.errs[i]
}

// For makes the target of a connected QEMU's schema s. The newest
// built-in schema, which defines the channel syntax where s has none, is
// read only if it comes to that.
func (ts *Targets) For(s *qmp.Schema) *Target {
	return newTarget(s, func() *qmp.Schema {
		if n := ts.Newest(); n != nil {
			return n.Schema
		}
		return nil
	})
}

// All reads every target, oldest first.
func (ts *Targets) All() ([]*Target, error) {
	out := make([]*Target, len(ts.builtins))
	for i := range ts.builtins {
		t, err := ts.at(i)
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}

// Versions lists the targets' "MAJOR.MINOR", oldest first, without
// reading them.
func (ts *Targets) Versions() []string {
	out := make([]string, len(ts.builtins))
	for i, b := range ts.builtins {
		out[i] = b.Short()
	}
	return out
}

// Default is the newest target, the one a dry run translates for unless
// told otherwise.
func (ts *Targets) Default() (*Target, error) { return ts.at(len(ts.builtins) - 1) }

// Newest is Default without the error, for what has a target to fall
// back on: nil if the built-in schema cannot be read, which only a
// broken build does (TestBuiltinSchemas reads every one).
func (ts *Targets) Newest() *Target {
	t, _ := ts.Default()
	return t
}

// Pick finds the target for --target-version "X.Y".
func (ts *Targets) Pick(version string) (*Target, error) {
	want, err := qmp.ParseVersion(version)
	if err != nil {
		return nil, err
	}
	for i, b := range ts.builtins {
		if b.Major == want.Major && b.Minor == want.Minor {
			return ts.at(i)
		}
	}
	return nil, fmt.Errorf("no schema for QEMU %s built in; known: %s (connect to a running QEMU to use its own)", version, strings.Join(ts.Versions(), ", "))
}

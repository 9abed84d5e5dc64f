package shell

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/internal/suggest"
	"github.com/hmpsh/hmpsh/libvirt"
)

// Command is one of hmpsh's own commands, in the style of Go's cmd/go
// base.Command: everything about it is in one struct, and usage and help
// are generated from it. Its name starts with a dot, which no QEMU HMP
// command has, so it can never hide one; "help" is the exception, on
// purpose. A line runs it in every mode (the shell, -c, -f, standard
// input); with CLI set it is a subcommand too: "hmpsh help migrate".
type Command struct {
	Name     string
	Aliases  []string
	Params   []hmp.Param // typed as the HMP table's are: parsing, usage and completion follow
	Short    string      // one line
	Long     string
	Examples []hmp.Example
	CLI      bool // also "hmpsh NAME ARGS..."
	// OnMonitor: "@NAME" before it picks the monitor it is about; the
	// others act on the session and take no @NAME.
	OnMonitor bool
	// OnEach: "@* LINE" runs it on every monitor (.wait). The other
	// OnMonitor commands describe one QEMU (help, .explain, .convert):
	// a copy per monitor would say little more, at length.
	OnEach bool
	Run    func(ctx context.Context, s *Session, c *hmp.Call) error
	// Dry is what --dry-run does instead of Run, for a command that acts
	// on monitors; nil when Run sends nothing and can run as it is.
	Dry func(s *Session, ln *hmp.Line) error
}

// The methods the line model and the completer read (hmp.BuiltinEntry).
func (c *Command) Names() []string        { return append([]string{c.Name}, c.Aliases...) }
func (c *Command) ParamList() []hmp.Param { return c.Params }
func (c *Command) Usage() string          { return hmp.Usage(c.Name, c.Params) }
func (c *Command) Summary() string        { return c.Short }
func (c *Command) TakesMonitor() bool     { return c.OnMonitor }

// dryExit: a dry run shows .exit and stops there too.
func dryExit(s *Session, ln *hmp.Line) error {
	showLine(s, ln)
	return errExit
}

// errExit ends the shell or a script, successfully.
var errExit = errors.New("exit")

// commands is hmpsh's own command table. It is built anew for each use:
// tables are values, not package state.
func commands() []*Command {
	monitorParam := hmp.Param{Name: "name", Type: hmp.Monitor, Help: "a monitor's name, as .monitors lists them"}
	return []*Command{
		{
			Name:    "help",
			Aliases: []string{".help"},
			Params:  []hmp.Param{{Name: "command", Type: hmp.CommandName, Optional: true, Rest: true, Help: "a command of hmpsh's table, or one of its own"}},
			Short:   "hmpsh's help: the commands, or one command with examples",
			Long: `Without COMMAND, list the commands hmpsh translates itself and its own.
For a command of hmpsh's table the help comes from its entry: usage,
details, the CHANNEL keys of the connected QEMU's schema, examples. For
any other HMP command, "help COMMAND" is QEMU's own help.`,
			Examples:  []hmp.Example{{Line: "help"}, {Line: "help migrate"}, {Line: "help info status"}, {Line: "help savevm", Note: "QEMU's own help"}},
			CLI:       true,
			OnMonitor: true,
			Run:       runHelp,
		},
		{
			Name:     ".use",
			Params:   []hmp.Param{monitorParam},
			Short:    "send lines without @NAME to monitor NAME",
			Examples: []hmp.Example{{Line: ".use dst"}},
			Run: func(_ context.Context, s *Session, c *hmp.Call) error {
				name, _ := c.Arg("name")
				return s.mons.use(name)
			},
			Dry: showLine,
		},
		{
			Name:     ".monitors",
			Short:    "list the monitors: name, address, QEMU version, state",
			Examples: []hmp.Example{{Line: ".monitors"}},
			Run:      runMonitors,
			Dry:      showLine,
		},
		{
			Name: ".connect",
			Params: []hmp.Param{monitorParam,
				{Name: "addr", Type: hmp.Address, Optional: true, Help: "unix:PATH, tcp:HOST:PORT or a path (a QMP socket), or libvirt:DOMAIN[@URI] (a domain libvirt manages); a libvirt address alone, without NAME, names the monitor after its domain, and libvirt:*[@URI] connects every running domain"}},
			Short:    "connect (or reconnect) monitor NAME at ADDR",
			Examples: []hmp.Example{{Line: ".connect dst unix:/tmp/dst.sock"}, {Line: ".connect web1 libvirt:web1@qemu+tcp://10.0.0.5/system"}, {Line: ".connect libvirt:*@qemu+tcp://10.0.0.5/system"}},
			Run: func(ctx context.Context, s *Session, c *hmp.Call) error {
				name, _ := c.Arg("name")
				addr, ok := c.Arg("addr")
				if !ok || addr == "" {
					if !libvirt.IsAddress(name) {
						return fmt.Errorf(".connect: missing argument ADDR; usage: .connect NAME ADDR (or .connect libvirt:DOMAIN[@URI], libvirt:*[@URI])")
					}
					ms, err := s.connectLibvirt(ctx, "", name)
					for _, m := range ms {
						s.pr.connected(m)
					}
					return err
				}
				m, err := s.Connect(ctx, name, addr)
				if err != nil {
					return err
				}
				s.pr.connected(m)
				return nil
			},
			Dry: showLine,
		},
		{
			Name:     ".disconnect",
			Params:   []hmp.Param{monitorParam},
			Short:    "disconnect monitor NAME (its QEMU keeps running)",
			Examples: []hmp.Example{{Line: ".disconnect dst"}},
			Run: func(_ context.Context, s *Session, c *hmp.Call) error {
				name, _ := c.Arg("name")
				return s.Disconnect(name)
			},
			Dry: showLine,
		},
		{
			Name: ".wait",
			Params: []hmp.Param{
				{Name: "what", Type: hmp.Text, Var: "status|event|migration", Help: "what to wait for",
					Values: func(*hmp.Target, []string, string) []string { return waitKinds }},
				{Name: "args", Type: hmp.Text, Var: "ARG", Optional: true, Rest: true, Help: "STATUS; NAME [KEY=VALUE]...; and timeout=DURATION (default 30s)",
					Values: waitArgValues},
			},
			Short: "wait until the VM's status, an event, or the migration's end is seen",
			Long: `.wait status STATUS [timeout=DURATION]
    polls query-status until the VM's status is STATUS, as QEMU names it
    (running, paused, inmigrate, postmigrate, ...).
.wait event NAME [KEY=VALUE]... [timeout=DURATION]
    waits for event NAME whose data has every KEY=VALUE (a dotted KEY
    reaches a nested member) and prints it. An event that arrived after
    the previous line was sent counts: "migrate -d ..." then ".wait event
    MIGRATION status=completed" never misses a fast migration. Each
    event is found once: two waits in a row find two events.
.wait migration [timeout=DURATION]
    polls query-migrate until the migration has completed (its summary
    is printed), failed or been cancelled (both errors), on either end.
Without timeout= a wait gives up after 30s; a wait that times out fails,
saying what it waited for and what it saw last. "@NAME .wait ..." waits
on monitor NAME; "@* .wait ..." waits on every monitor at once, and
succeeds when each has seen what it waits for. --dry-run shows the line
and waits for nothing.`,
			Examples: []hmp.Example{
				{Line: "@dst .wait status running", Note: "the destination runs: the migration is over"},
				{Line: ".wait event MIGRATION status=completed timeout=1m"},
				{Line: "@dst .wait migration"},
			},
			OnMonitor: true,
			OnEach:    true,
			Run:       runWait,
			Dry:       dryWait,
		},
		{
			Name:     ".sleep",
			Params:   []hmp.Param{{Name: "duration", Type: hmp.Text, Var: "DURATION", Help: "500ms, 2s, 1m"}},
			Short:    "pause a script for DURATION (.wait is better when there is something to wait for)",
			Examples: []hmp.Example{{Line: ".sleep 500ms"}},
			Run:      runSleep,
			Dry:      drySleep,
		},
		{
			Name: ".set",
			Params: []hmp.Param{
				{Name: "name", Type: hmp.Text, Var: "NAME", Optional: true, Help: "letters, digits and _"},
				{Name: "value", Type: hmp.Text, Var: "VALUE", Optional: true, Rest: true, Help: "the rest of the line"},
			},
			Short: "define ${NAME} for the lines after this one; alone, list the variables",
			Long: `${NAME} in a line is replaced by its value before the line is read;
--var NAME=VALUE defines one from the command line, and the sandbox
defines ${SANDBOX}, its private directory, and ${PORT}, a TCP port that
was free when it started. A "$" not followed by "{" is
left alone (an exec command keeps its shell's $HOME); "$${" writes a
literal "${". An undefined ${NAME} is an error.`,
			Examples: []hmp.Example{
				{Line: ".set MIG ${SANDBOX}/mig.sock"},
				{Line: "migrate -c socket,type=unix,path=${MIG}"},
				{Line: ".set"},
			},
			Run: runSet,
			Dry: func(s *Session, ln *hmp.Line) error {
				if err := runSet(context.Background(), s, ln.Call); err != nil {
					return err
				}
				if _, ok := ln.Call.Arg("name"); ok {
					return showLine(s, ln)
				}
				return nil
			},
		},
		{
			Name:   ".explain",
			Params: []hmp.Param{{Name: "line", Type: hmp.Text, Var: "LINE", Rest: true, Help: "a line, as it would be typed"}},
			Short:  "explain a line without running it: how hmpsh reads it, its other form, the QMP each QEMU gets",
			Long: `Nothing is sent. Shows the line's kind and command, its flags, and for a
migration command each channel's keys with their values, types and the
defaults hmpsh fills in; the same line in the other form (a legacy URI
as -c CHANNEL, a CHANNEL as its URI, or which key has no URI form); and
the QMP each QEMU generation hmpsh knows would get, and the connected
QEMU (the line's @NAME, else the current monitor), one line each, with
why they differ. "hmpsh explain LINE..." does the same without a QEMU.`,
			Examples: []hmp.Example{
				{Line: ".explain migrate tcp:10.0.0.2:4444"},
				{Line: ".explain @dst migrate_incoming -c file,filename=${SANDBOX}/vm.bin"},
				{Line: ".explain migrate_set_parameter max-bandwidth 100"},
			},
			OnMonitor: true,
			Run:       runExplainLine,
		},
		{
			Name:   ".convert",
			Params: []hmp.Param{{Name: "line", Type: hmp.Text, Var: "LINE", Rest: true, Help: "a migrate, migrate_incoming or migrate_recover line"}},
			Short:  "print a migration line in its other form: a URI as -c CHANNEL, a CHANNEL as its URI",
			Long: `The converted line sends the same QMP as LINE to every QEMU hmpsh knows
and to the connected one; a key with no URI form is an error that names
it. "hmpsh convert FILE" rewrites a whole script or transcript.`,
			Examples: []hmp.Example{
				{Line: ".convert migrate tcp:10.0.0.2:4444", Note: "migrate -c socket,type=inet,host=10.0.0.2,port=4444"},
				{Line: `.convert migrate -c "exec,args=/bin/sh -c 'gzip > /tmp/vm.gz'"`},
			},
			OnMonitor: true,
			Run:       runConvertLine,
		},
		{
			Name:     ".exit",
			Short:    "leave hmpsh, or end a script here (Ctrl-D does the same in the shell)",
			Examples: []hmp.Example{{Line: ".exit"}},
			Run:      func(context.Context, *Session, *hmp.Call) error { return errExit },
			Dry:      dryExit,
		},
	}
}

// NewSyntax is the line model of the standard HMP table and hmpsh's own
// commands.
func NewSyntax() (*hmp.Syntax, error) {
	cmds := append(commands(), lessonCommands()...)
	entries := make([]hmp.BuiltinEntry, len(cmds))
	for i, c := range cmds {
		entries[i] = c
	}
	return hmp.NewSyntax(hmp.DefaultTable(), entries)
}

// ownCommands are the session's own commands, as the line model has them.
func (s *Session) ownCommands() []*Command {
	var out []*Command
	for _, b := range s.sx.Builtins() {
		out = append(out, b.(*Command))
	}
	return out
}

func runHelp(ctx context.Context, s *Session, c *hmp.Call) error {
	monitor := ""
	if c.Line != nil {
		monitor = c.Line.Monitor
	}
	s.loadHelpTarget(ctx, monitor)
	t := s.helpTarget(monitor)
	name, ok := c.Arg("command")
	if !ok {
		s.pr.text(s.helpIndex() + s.qemuHelpIndex(t, s.dry == nil && t != s.known.Newest()))
		return nil
	}
	text, err := s.helpFor(name, t)
	if err != nil {
		return err
	}
	s.pr.text(text)
	return nil
}

// helpFor is the help of a command of hmpsh's table or of its own; t is
// the QEMU whose CHANNEL keys it shows.
func (s *Session) helpFor(name string, t *hmp.Target) (string, error) {
	var b strings.Builder
	if cmd := s.sx.Table.Get(name); cmd != nil {
		cmd.WriteHelp(&b, t)
		return b.String(), nil
	}
	if e := s.sx.LookupBuiltin(name); e != nil {
		c := e.(*Command)
		hmp.WriteDoc(&b, c.Usage(), c.Short, c.Aliases, c.Long, c.Params)
		hmp.WriteExamples(&b, c.Examples)
		return b.String(), nil
	}
	if text, ok, err := s.keyHelpFor(name, t); ok {
		return text, err
	}
	names := append(s.sx.Table.Names(), s.sx.BuiltinNames()...)
	msg := fmt.Sprintf("help: no command %q in hmpsh's table", name)
	if sug := suggest.Closest(name, names); sug != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", sug)
	}
	return "", fmt.Errorf("%s; other HMP commands are QEMU's own: see its help", msg)
}

// helpTarget is the QEMU whose schema help shows the CHANNEL keys of:
// the monitor's ("" the current one) when it is known, else the newest
// built in.
func (s *Session) helpTarget(monitor string) *hmp.Target {
	if s.dry != nil {
		return s.dry
	}
	if m := s.mons.lookup(monitor); m != nil {
		if t := m.loadedTarget(); t != nil {
			return t
		}
	}
	return s.known.Newest()
}

// helpIndex lists every command: the table's and hmpsh's own.
func (s *Session) helpIndex() string {
	var b strings.Builder
	b.WriteString("Commands hmpsh translates itself:\n")
	s.sx.Table.WriteIndex(&b)
	b.WriteString("\nhmpsh's own commands:\n")
	own := s.ownCommands()
	width := 0
	for _, c := range own {
		width = max(width, len(c.Usage()))
	}
	for _, c := range own {
		short := c.Short
		if len(c.Aliases) > 0 {
			short += " (also " + strings.Join(c.Aliases, ", ") + ")"
		}
		fmt.Fprintf(&b, "  %-*s  %s\n", width, c.Usage(), short)
	}
	b.WriteString(`
Any other line goes to QEMU: an HMP command (help COMMAND shows QEMU's
help), a QMP command with key=value arguments, or a line of JSON.
"@NAME LINE" runs a line on monitor NAME; "@* LINE" runs it on every
monitor at once and prints each one's output after its "NAME: ", in the
order of .monitors; "#" starts a comment; ${NAME} is a variable (.set).
In the shell, Tab completes, "?" after a word describes it, Ctrl-R
searches the history.
`)
	return b.String()
}

func runMonitors(_ context.Context, s *Session, _ *hmp.Call) error {
	cur := s.mons.current()
	var rows []monitorRow
	for _, m := range s.mons.list() {
		rows = append(rows, rowOf(m, s.mons.state(m), m == cur))
	}
	s.pr.monitors(rows)
	return nil
}

func runSet(_ context.Context, s *Session, c *hmp.Call) error {
	name, ok := c.Arg("name")
	if !ok {
		var b strings.Builder
		for _, k := range sortedKeys(s.vars) {
			fmt.Fprintf(&b, "%s=%s\n", k, s.vars[k])
		}
		s.pr.text(b.String())
		return nil
	}
	value, _ := c.Arg("value")
	return s.SetVar(name, value)
}

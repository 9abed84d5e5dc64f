// Package hmp is hmpsh's line model, command table and translator: one
// function reads a raw line (which monitor it is for, what kind of line it
// is, its words and its table entry), the table's entries parse their
// arguments by typed params, and translation turns them into the QMP
// requests a given QEMU understands.
package hmp

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hmpsh/hmpsh/qmp"
)

// Command is one entry of the table, in the spirit of QEMU's
// hmp-commands.hx: the params it takes, its help, and what it becomes.
// Usage, help, argument parsing and completion are generated from it, so
// a native command is added by adding an entry.
type Command struct {
	Name     string   // "migrate", or "info migrate" for an info subcommand
	Aliases  []string // other names: "q" for "quit"
	Params   []Param  // flags first, then positionals
	Short    string   // one line: what it does
	Long     string   // details, wrapped by hand
	Examples []Example
	// QMP names the command it sends, for help; Enum params take their
	// values from this command's arguments.
	QMP string
	// Translate turns a parsed call into QMP requests.
	Translate func(c *Call) ([]qmp.Request, error)
	// NoSchema marks a command whose requests are the same for every
	// QEMU: its Translate does not read Call.Target, so a line of it
	// needs no schema (see Line.NeedsTarget).
	NoSchema bool
	// Format turns the reply's "return" into HMP-like text. Nil: print
	// nothing for an empty reply, indented JSON otherwise.
	Format func(ret json.RawMessage) (string, error)
	// Wait marks commands that, run for real, wait for what they started
	// unless asked not to (migrate without -d).
	Wait func(c *Call) bool
	// QEMUText: in text output the command shows what the connected QEMU's
	// own HMP prints for it (sent as human-monitor-command with the
	// command's name): its layout is QEMU's, and it changes between
	// versions (QEMU 10.2 rewrote info migrate's), so hmpsh follows the
	// QEMU it talks to rather than a copy of one version's. JSON output
	// and --dry-run keep the QMP command.
	QEMUText bool
}

// Example is a line with what it shows.
type Example struct {
	Line string
	Note string
}

// Usage is the synopsis generated from the params.
func (cmd *Command) Usage() string { return Usage(cmd.Name, cmd.Params) }

// Table is the set of commands hmpsh translates itself.
type Table struct {
	Commands []*Command
	byName   map[string]*Command
}

// NewTable checks and indexes commands by name and alias.
func NewTable(cmds []*Command) (*Table, error) {
	t := &Table{Commands: cmds, byName: map[string]*Command{}}
	for _, c := range cmds {
		if err := checkParams(c.Name, c.Params); err != nil {
			return nil, err
		}
		if len(c.Examples) == 0 {
			return nil, fmt.Errorf("%s: no example in the table entry", c.Name)
		}
		if c.Translate == nil {
			return nil, fmt.Errorf("%s: no Translate", c.Name)
		}
		for _, n := range append([]string{c.Name}, c.Aliases...) {
			if t.byName[n] != nil {
				return nil, fmt.Errorf("%s: name %q used twice", c.Name, n)
			}
			t.byName[n] = c
		}
	}
	return t, nil
}

// Info is the HMP command whose subcommands show things: "info migrate"
// is one command of two words.
const Info = "info"

const infoPrefix = Info + " "

// IsInfo reports whether a command is an info subcommand.
func (cmd *Command) IsInfo() bool { return strings.HasPrefix(cmd.Name, infoPrefix) }

// InfoName is an info subcommand's name without "info ".
func (cmd *Command) InfoName() string { return strings.TrimPrefix(cmd.Name, infoPrefix) }

// lookup finds the command a line's words start with ("info migrate" is
// two words) and how many words its name took.
func (t *Table) lookup(first, second string, hasSecond bool) (*Command, int) {
	if first == Info {
		if hasSecond {
			if c := t.byName[infoPrefix+second]; c != nil {
				return c, 2
			}
		}
		return nil, 0
	}
	if c := t.byName[first]; c != nil && !c.IsInfo() {
		return c, 1
	}
	return nil, 0
}

// Get finds a command by name or alias ("info migrate" included).
func (t *Table) Get(name string) *Command { return t.byName[name] }

// Names lists the commands' names, aliases left out.
func (t *Table) Names() []string {
	names := make([]string, len(t.Commands))
	for i, c := range t.Commands {
		names[i] = c.Name
	}
	return names
}

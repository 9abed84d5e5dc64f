// Package hmp is hmpsh's command table and translator: it reads one HMP
// line, finds the command's entry, parses its arguments by the entry's
// spec and turns them into the QMP requests a given QEMU understands.
package hmp

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/split"
)

// Command is one entry of the table. Help and completion are generated
// from it, so everything a user needs to know lives here.
type Command struct {
	Name    string   // "migrate", or "info migrate" for an info subcommand
	Aliases []string // other names: "q" for "quit"
	// Params declares the arguments, in the spirit of QEMU's args_type:
	//   name:-x        a flag
	//   name:-x=VAR    a flag with a value; "name:-x=VAR*" may repeat
	//   name:VAR       a positional word; "name:VAR?" is optional
	// separated by commas, flags first.
	Params string
	// Synopsis, when set, replaces the usage generated from Params (for
	// alternatives the params cannot express).
	Synopsis string
	Short    string    // one line: what it does
	Long     string    // details, wrapped by hand
	Examples []Example // at least one
	// QMP names the command(s) it sends, for help.
	QMP string
	// Translate turns a parsed call into QMP requests.
	Translate func(c *Call) ([]qmp.Request, error)
	// Format turns the reply's "return" into HMP-like text. Nil: print
	// nothing for an empty reply, indented JSON otherwise.
	Format func(ret json.RawMessage) (string, error)
	// Wait marks commands that, run for real, wait for what they started
	// unless asked not to (migrate without -d).
	Wait func(c *Call) bool

	params []Param // Params, parsed by NewTable
}

// Example is a line with what it shows.
type Example struct {
	Line string
	Note string
}

// Param is one parsed entry of Command.Params.
type Param struct {
	Name     string
	Flag     string // "-d"; "" for a positional
	ValueVar string // a flag's value placeholder ("CHANNEL"); "" for a plain flag
	Repeat   bool   // the flag may be given more than once
	Optional bool   // a positional that may be left out
	PosVar   string // a positional's placeholder ("URI")
}

// ParamList is Params parsed: what the parser, the usage line and the
// completer all read.
func (cmd *Command) ParamList() []Param {
	if cmd.params == nil && cmd.Params != "" {
		// An entry not (yet) in a table: NewTable has not parsed it.
		ps, _ := parseParams(cmd.Params)
		return ps
	}
	return cmd.params
}

func parseParams(spec string) ([]Param, error) {
	var ps []Param
	if spec == "" {
		return nil, nil
	}
	for _, item := range strings.Split(spec, ",") {
		name, kind, ok := strings.Cut(item, ":")
		if !ok || name == "" || kind == "" {
			return nil, fmt.Errorf("bad param %q", item)
		}
		p := Param{Name: name}
		if strings.HasPrefix(kind, "-") {
			if len(kind) < 2 {
				return nil, fmt.Errorf("bad flag %q", item)
			}
			p.Flag = kind[:2]
			if rest := kind[2:]; rest != "" {
				if !strings.HasPrefix(rest, "=") {
					return nil, fmt.Errorf("bad flag %q", item)
				}
				p.ValueVar = strings.TrimPrefix(rest, "=")
				if strings.HasSuffix(p.ValueVar, "*") {
					p.Repeat = true
					p.ValueVar = strings.TrimSuffix(p.ValueVar, "*")
				}
			}
		} else {
			p.PosVar = kind
			if strings.HasSuffix(kind, "?") {
				p.Optional = true
				p.PosVar = strings.TrimSuffix(kind, "?")
			}
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// Call is one parsed line for a command, with the QEMU it is meant for.
type Call struct {
	Cmd    *Command
	Line   string // the line as typed
	Target *Target
	flags  map[string]bool
	values map[string][]string
	args   map[string]string
}

// Flag reports whether flag param name was given.
func (c *Call) Flag(name string) bool { return c.flags[name] }

// Values returns the values of a flag param with a value, in order.
func (c *Call) Values(name string) []string { return c.values[name] }

// Arg returns a positional param's word.
func (c *Call) Arg(name string) (string, bool) {
	v, ok := c.args[name]
	return v, ok
}

// Errorf prefixes an error with the command's name.
func (c *Call) Errorf(format string, a ...any) error {
	return fmt.Errorf("%s: %w", c.Cmd.Name, fmt.Errorf(format, a...))
}

// parse reads the words after the command name by the command's params:
// flags in any order before the positionals, then the positionals, and
// nothing after them.
func (cmd *Command) parse(words []split.Word) (*Call, error) {
	ps := cmd.ParamList()
	c := &Call{Cmd: cmd, flags: map[string]bool{}, values: map[string][]string{}, args: map[string]string{}}
	i := 0
	// quoteHint explains the usual cause of a stray word right after a
	// value: a CHANNEL or URI with spaces that was not quoted.
	values := map[int]bool{}
	quoteHint := func(at int) string {
		if at < 1 || !values[at-1] || words[at-1].Quoted {
			return ""
		}
		prefix := ""
		if at >= 2 && hasValueFlag(ps, words[at-2].Text) {
			prefix = words[at-2].Text + " "
		}
		return fmt.Sprintf("; a value with spaces goes in double quotes: %s\"%s %s ...\"", prefix, words[at-1].Text, words[at].Text)
	}
flags:
	for i < len(words) {
		w := words[i]
		if w.Quoted || !strings.HasPrefix(w.Text, "-") || len(w.Text) < 2 {
			break
		}
		if w.Text == "--" {
			i++
			break
		}
		for _, p := range ps {
			if p.Flag == "" || w.Text != p.Flag {
				continue
			}
			if p.ValueVar == "" {
				if c.flags[p.Name] {
					return nil, fmt.Errorf("%s: option %s given twice", cmd.Name, w.Text)
				}
				c.flags[p.Name] = true
				i++
				continue flags
			}
			if i+1 >= len(words) {
				return nil, fmt.Errorf("%s: option %s needs a %s after it", cmd.Name, w.Text, p.ValueVar)
			}
			if len(c.values[p.Name]) > 0 && !p.Repeat {
				return nil, fmt.Errorf("%s: option %s given twice", cmd.Name, w.Text)
			}
			c.values[p.Name] = append(c.values[p.Name], words[i+1].Text)
			values[i+1] = true
			i += 2
			continue flags
		}
		if hasPositional(ps) && looksNegativeNumber(w.Text) {
			break
		}
		return nil, fmt.Errorf("%s: unsupported option %s%s%s; usage: %s", cmd.Name, w.Text, validFlags(ps), quoteHint(i), cmd.Usage())
	}
	for _, p := range ps {
		if p.Flag != "" {
			continue
		}
		if i >= len(words) {
			if p.Optional {
				continue
			}
			return nil, fmt.Errorf("%s: missing argument %s; usage: %s", cmd.Name, p.PosVar, cmd.Usage())
		}
		c.args[p.Name] = words[i].Text
		values[i] = true
		i++
	}
	if i < len(words) {
		return nil, fmt.Errorf("%s: extraneous characters at the end of line: %q%s; usage: %s", cmd.Name, words[i].Text, quoteHint(i), cmd.Usage())
	}
	return c, nil
}

func hasPositional(ps []Param) bool {
	for _, p := range ps {
		if p.Flag == "" {
			return true
		}
	}
	return false
}

func hasValueFlag(ps []Param, w string) bool {
	for _, p := range ps {
		if p.Flag != "" && p.ValueVar != "" && w == p.Flag {
			return true
		}
	}
	return false
}

func looksNegativeNumber(s string) bool {
	return len(s) > 1 && s[0] == '-' && s[1] >= '0' && s[1] <= '9'
}

func validFlags(ps []Param) string {
	var fl []string
	for _, p := range ps {
		if p.Flag != "" {
			fl = append(fl, p.Flag)
		}
	}
	if len(fl) == 0 {
		return " (it takes none)"
	}
	return " (valid: " + strings.Join(fl, " ") + ")"
}

// Usage is the synopsis generated from Params.
func (cmd *Command) Usage() string {
	ps := cmd.ParamList()
	if cmd.Synopsis != "" {
		return cmd.Name + " " + cmd.Synopsis
	}
	parts := []string{cmd.Name}
	for _, p := range ps {
		switch {
		case p.Flag != "" && p.ValueVar == "":
			parts = append(parts, "["+p.Flag+"]")
		case p.Flag != "" && p.Repeat:
			parts = append(parts, "["+p.Flag+" "+p.ValueVar+"]...")
		case p.Flag != "":
			parts = append(parts, "["+p.Flag+" "+p.ValueVar+"]")
		case p.Optional:
			parts = append(parts, "["+p.PosVar+"]")
		default:
			parts = append(parts, p.PosVar)
		}
	}
	return strings.Join(parts, " ")
}

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

	params []param // Params, parsed by NewTable
}

// Example is a line with what it shows.
type Example struct {
	Line string
	Note string
}

// param is one parsed entry of Command.Params.
type param struct {
	name     string
	flag     byte   // 0 for a positional
	valueVar string // flag with a value: its placeholder
	repeat   bool
	optional bool
	posVar   string // positional: its placeholder
}

func parseParams(spec string) ([]param, error) {
	var ps []param
	if spec == "" {
		return nil, nil
	}
	for _, item := range strings.Split(spec, ",") {
		name, kind, ok := strings.Cut(item, ":")
		if !ok || name == "" || kind == "" {
			return nil, fmt.Errorf("bad param %q", item)
		}
		p := param{name: name}
		if strings.HasPrefix(kind, "-") {
			if len(kind) < 2 {
				return nil, fmt.Errorf("bad flag %q", item)
			}
			p.flag = kind[1]
			if rest := kind[2:]; rest != "" {
				if !strings.HasPrefix(rest, "=") {
					return nil, fmt.Errorf("bad flag %q", item)
				}
				p.valueVar = strings.TrimPrefix(rest, "=")
				if strings.HasSuffix(p.valueVar, "*") {
					p.repeat = true
					p.valueVar = strings.TrimSuffix(p.valueVar, "*")
				}
			}
		} else {
			p.posVar = kind
			if strings.HasSuffix(kind, "?") {
				p.optional = true
				p.posVar = strings.TrimSuffix(kind, "?")
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
	ps := cmd.params
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
			if p.flag == 0 || w.Text != "-"+string(p.flag) {
				continue
			}
			if p.valueVar == "" {
				if c.flags[p.name] {
					return nil, fmt.Errorf("%s: option %s given twice", cmd.Name, w.Text)
				}
				c.flags[p.name] = true
				i++
				continue flags
			}
			if i+1 >= len(words) {
				return nil, fmt.Errorf("%s: option %s needs a %s after it", cmd.Name, w.Text, p.valueVar)
			}
			if len(c.values[p.name]) > 0 && !p.repeat {
				return nil, fmt.Errorf("%s: option %s given twice", cmd.Name, w.Text)
			}
			c.values[p.name] = append(c.values[p.name], words[i+1].Text)
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
		if p.flag != 0 {
			continue
		}
		if i >= len(words) {
			if p.optional {
				continue
			}
			return nil, fmt.Errorf("%s: missing argument %s; usage: %s", cmd.Name, p.posVar, cmd.Usage())
		}
		c.args[p.name] = words[i].Text
		values[i] = true
		i++
	}
	if i < len(words) {
		return nil, fmt.Errorf("%s: extraneous characters at the end of line: %q%s; usage: %s", cmd.Name, words[i].Text, quoteHint(i), cmd.Usage())
	}
	return c, nil
}

func hasPositional(ps []param) bool {
	for _, p := range ps {
		if p.flag == 0 {
			return true
		}
	}
	return false
}

func hasValueFlag(ps []param, w string) bool {
	for _, p := range ps {
		if p.flag != 0 && p.valueVar != "" && w == "-"+string(p.flag) {
			return true
		}
	}
	return false
}

func looksNegativeNumber(s string) bool {
	return len(s) > 1 && s[0] == '-' && s[1] >= '0' && s[1] <= '9'
}

func validFlags(ps []param) string {
	var fl []string
	for _, p := range ps {
		if p.flag != 0 {
			fl = append(fl, "-"+string(p.flag))
		}
	}
	if len(fl) == 0 {
		return " (it takes none)"
	}
	return " (valid: " + strings.Join(fl, " ") + ")"
}

// Usage is the synopsis generated from Params.
func (cmd *Command) Usage() string {
	ps, err := parseParams(cmd.Params)
	if err != nil {
		return cmd.Name
	}
	if cmd.Synopsis != "" {
		return cmd.Name + " " + cmd.Synopsis
	}
	parts := []string{cmd.Name}
	for _, p := range ps {
		switch {
		case p.flag != 0 && p.valueVar == "":
			parts = append(parts, "[-"+string(p.flag)+"]")
		case p.flag != 0 && p.repeat:
			parts = append(parts, "[-"+string(p.flag)+" "+p.valueVar+"]...")
		case p.flag != 0:
			parts = append(parts, "[-"+string(p.flag)+" "+p.valueVar+"]")
		case p.optional:
			parts = append(parts, "["+p.posVar+"]")
		default:
			parts = append(parts, p.posVar)
		}
	}
	return strings.Join(parts, " ")
}

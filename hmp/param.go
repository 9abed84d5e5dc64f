package hmp

import (
	"fmt"
	"strings"

	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/split"
)

// Type is what a parameter takes. The parser, the usage line, "?" help and
// completion are all derived from it, as QEMU derives its HMP argument
// parsing from an args_type string.
type Type int

const (
	Flag           Type = iota // a flag without a value: -d
	Channel                    // a CHANNEL (key=value list) or a legacy URI
	URI                        // a legacy migration URI
	Capability                 // a migration capability named by the target's schema
	Parameter                  // a migration parameter named by the target's schema
	ParameterValue             // a value for the Parameter before it, typed by its schema type
	Enum                       // a value of the enum of QMP member Member of the command's QMP arguments
	Bool                       // on or off
	Text                       // any word
	Monitor                    // the name of one of the session's monitors
	Address                    // a monitor's address: unix:PATH, tcp:HOST:PORT or a path
	CommandName                // a command's name, "info status" included
)

// placeholder is the word usage lines show for a type.
var placeholder = map[Type]string{
	Channel: "CHANNEL", URI: "URI", Capability: "NAME", Parameter: "NAME", ParameterValue: "VALUE",
	Enum: "VALUE", Bool: "on|off", Text: "TEXT", Monitor: "NAME", Address: "ADDR", CommandName: "COMMAND",
}

// Param is one parameter of a command.
type Param struct {
	Name     string // what the code asks a Call for: "detach", "channel"
	Flag     string // "-d"; "" for a positional
	Type     Type   // what it takes (Flag: nothing but its presence)
	Var      string // the usage placeholder when not the type's own ("STATE")
	Repeat   bool   // a flag that may be given more than once
	Optional bool   // a positional that may be left out
	// Rest: a last positional that takes every remaining word ("help info
	// status"), joined with single spaces.
	Rest bool
	// Group makes the params that share it alternatives, exactly one of
	// which is given: usage writes them "(-c CHANNEL | URI)".
	Group  string
	Member string // Enum: the member of the command's QMP arguments whose values it takes
	Help   string // one line for "?"
	// Values, for a param whose words no type describes, lists the words
	// it takes for completion: t is the target (nil when unknown), before
	// the positional words given before it, cur the word being typed.
	Values func(t *Target, before []string, cur string) []string
}

// Placeholder is the word the usage line shows for the param's value.
func (p Param) Placeholder() string {
	if p.Var != "" {
		return p.Var
	}
	return placeholder[p.Type]
}

// takesValue reports whether a flag param is followed by a value.
func (p Param) takesValue() bool { return p.Flag != "" && p.Type != Flag }

// head is how the param is written: "-d", "-c CHANNEL", "URI".
func (p Param) head() string {
	switch {
	case p.Flag == "":
		return p.Placeholder()
	case p.takesValue():
		return p.Flag + " " + p.Placeholder()
	}
	return p.Flag
}

// HelpLine is the param's line for "?": "-c CHANNEL: where to migrate to".
func (p Param) HelpLine() string {
	s := p.head()
	if p.Help != "" {
		s += ": " + p.Help
	}
	if p.Repeat {
		s += " (may be repeated)"
	}
	return s
}

func checkParams(name string, ps []Param) error {
	seen := map[string]bool{}
	positional, optional := false, false
	for i, p := range ps {
		switch {
		case p.Name == "":
			return fmt.Errorf("%s: param %d has no name", name, i)
		case seen[p.Name]:
			return fmt.Errorf("%s: param %q twice", name, p.Name)
		case p.Flag != "" && (len(p.Flag) != 2 || p.Flag[0] != '-'):
			return fmt.Errorf("%s: param %q: bad flag %q", name, p.Name, p.Flag)
		case p.Flag != "" && positional:
			return fmt.Errorf("%s: flag %s after a positional", name, p.Flag)
		case p.Flag == "" && (p.Type == Flag || p.Repeat):
			return fmt.Errorf("%s: positional %q of type Flag or repeated", name, p.Name)
		case p.Flag == "" && !p.Optional && optional:
			return fmt.Errorf("%s: required positional %q after an optional one", name, p.Name)
		case p.Rest && i != len(ps)-1:
			return fmt.Errorf("%s: %q takes the rest of the line but is not last", name, p.Name)
		case p.Type == Enum && p.Member == "":
			return fmt.Errorf("%s: enum %q names no QMP member", name, p.Name)
		}
		seen[p.Name] = true
		if p.Flag == "" {
			positional = true
			optional = optional || p.Optional
		}
	}
	return nil
}

// Usage writes a command's synopsis from its params: "migrate [-d] [-r]
// (-c CHANNEL [-c CHANNEL] | URI)".
func Usage(name string, ps []Param) string {
	parts := []string{name}
	done := map[string]bool{}
	for i, p := range ps {
		if p.Group == "" {
			parts = append(parts, usageOf(p, false))
			continue
		}
		if done[p.Group] {
			continue
		}
		done[p.Group] = true
		var alts []string
		for _, q := range ps[i:] {
			if q.Group == p.Group {
				alts = append(alts, usageOf(q, true))
			}
		}
		parts = append(parts, "("+strings.Join(alts, " | ")+")")
	}
	return strings.Join(parts, " ")
}

// usageOf writes one param; inside a group of alternatives it is not
// optional (one of the group is given).
func usageOf(p Param, alt bool) string {
	v := p.Placeholder()
	switch {
	case p.Type == Flag:
		return "[" + p.Flag + "]"
	case p.Flag != "" && p.Repeat && alt:
		return p.Flag + " " + v + " [" + p.Flag + " " + v + "]"
	case p.Flag != "" && alt:
		return p.Flag + " " + v
	case p.Flag != "" && p.Repeat:
		return "[" + p.Flag + " " + v + "]..."
	case p.Flag != "":
		return "[" + p.Flag + " " + v + "]"
	case p.Rest && p.Optional:
		return "[" + v + "...]"
	case p.Rest:
		return v + "..."
	case p.Optional && !alt:
		return "[" + v + "]"
	}
	return v
}

// Call is one command's arguments, read by its params.
type Call struct {
	Name   string // the command's name, for messages
	Cmd    *Command
	Line   *Line
	Target *Target // set when the call is translated
	params []Param
	vals   []callValue // in the order given
	buf    [4]callValue
}

type callValue struct {
	param int // index in params
	text  string
}

func (c *Call) find(name string) int {
	for i, p := range c.params {
		if p.Name == name {
			return i
		}
	}
	panic("hmp: " + c.Name + " has no param " + name)
}

// Flag reports whether flag param name was given.
func (c *Call) Flag(name string) bool {
	i := c.find(name)
	for _, v := range c.vals {
		if v.param == i {
			return true
		}
	}
	return false
}

// AppendValues appends the values of a flag param with a value to out,
// in order.
func (c *Call) AppendValues(out []string, name string) []string {
	i := c.find(name)
	for _, v := range c.vals {
		if v.param == i {
			out = append(out, v.text)
		}
	}
	return out
}

// Arg returns a positional param's word (every remaining word, for Rest).
func (c *Call) Arg(name string) (string, bool) {
	i := c.find(name)
	for _, v := range c.vals {
		if v.param == i {
			return v.text, true
		}
	}
	return "", false
}

// Room is where the call's requests make their objects: the line's.
func (c *Call) Room() *qmp.Room {
	if c.Line == nil {
		return nil
	}
	return &c.Line.room
}

// Request is the call's one request, kept in its line (a call without a
// line allocates it).
func (c *Call) Request(execute string, args qmp.Object) []qmp.Request {
	r := qmp.Request{Execute: execute, Arguments: args}
	if c.Line == nil || c.Line.reqs[0].Execute != "" {
		// No line, or its slot holds an earlier translation's request.
		return []qmp.Request{r}
	}
	c.Line.reqs[0] = r
	return c.Line.reqs[:1]
}

// Errorf prefixes an error with the command's name.
func (c *Call) Errorf(format string, a ...any) error {
	return fmt.Errorf("%s: %w", c.Name, fmt.Errorf(format, a...))
}

// ParseArgs reads the words after a command's name by its params, as
// QEMU's monitor does: flags in any order before the positionals, then the
// positionals, and nothing after them.
func ParseArgs(name string, ps []Param, words []split.Word) (*Call, error) {
	c := new(Call)
	if err := parseArgs(c, name, ps, words); err != nil {
		return nil, err
	}
	return c, nil
}

// parseArgs is ParseArgs into c.
func parseArgs(c *Call, name string, ps []Param, words []split.Word) error {
	c.Name, c.params = name, ps
	c.vals = c.buf[:0]
	usage := func() string { return Usage(name, ps) }
	// quoteHint explains the usual cause of a stray word right after a
	// value: a CHANNEL or URI with spaces that was not quoted.
	isValue := func(at int) bool {
		if at < 1 {
			return false
		}
		if at >= 2 && flagIndex(ps, words[at-2].Text, true) >= 0 && !words[at-2].Quoted {
			return true
		}
		return hasPositional(ps) && at-1 >= firstPositional(ps, words)
	}
	quoteHint := func(at int) string {
		if !isValue(at) || words[at-1].Quoted {
			return ""
		}
		prefix := ""
		if at >= 2 && flagIndex(ps, words[at-2].Text, true) >= 0 {
			prefix = words[at-2].Text + " "
		}
		return fmt.Sprintf("; a value with spaces goes in double quotes: %s\"%s %s ...\"", prefix, words[at-1].Text, words[at].Text)
	}
	i := 0
flags:
	for i < len(words) {
		w := words[i]
		if w.Quoted || len(w.Text) < 2 || w.Text[0] != '-' {
			break
		}
		if w.Text == "--" {
			i++
			break
		}
		if k := flagIndex(ps, w.Text, false); k >= 0 {
			p := ps[k]
			if !p.takesValue() {
				if c.has(k) {
					return fmt.Errorf("%s: option %s given twice", name, w.Text)
				}
				c.vals = append(c.vals, callValue{param: k})
				i++
				continue flags
			}
			if i+1 >= len(words) {
				return fmt.Errorf("%s: option %s needs a %s after it", name, w.Text, p.Placeholder())
			}
			if c.has(k) && !p.Repeat {
				return fmt.Errorf("%s: option %s given twice", name, w.Text)
			}
			c.vals = append(c.vals, callValue{param: k, text: words[i+1].Text})
			i += 2
			continue flags
		}
		if hasPositional(ps) && looksNegativeNumber(w.Text) {
			break
		}
		return fmt.Errorf("%s: unsupported option %s%s%s; usage: %s", name, w.Text, validFlags(ps), quoteHint(i), usage())
	}
	for k, p := range ps {
		if p.Flag != "" {
			continue
		}
		if i >= len(words) {
			if p.Optional {
				continue
			}
			return fmt.Errorf("%s: missing argument %s; usage: %s", name, p.Placeholder(), usage())
		}
		text := words[i].Text
		i++
		if p.Rest {
			for ; i < len(words); i++ {
				text += " " + words[i].Text
			}
		}
		c.vals = append(c.vals, callValue{param: k, text: text})
	}
	if i < len(words) {
		return fmt.Errorf("%s: extraneous characters at the end of line: %q%s; usage: %s", name, words[i].Text, quoteHint(i), usage())
	}
	return nil
}

func (c *Call) has(k int) bool {
	for _, v := range c.vals {
		if v.param == k {
			return true
		}
	}
	return false
}

// flagIndex finds the param of flag w (only those with a value if
// valued), or -1.
func flagIndex(ps []Param, w string, valued bool) int {
	for k, p := range ps {
		if p.Flag != "" && p.Flag == w && (!valued || p.takesValue()) {
			return k
		}
	}
	return -1
}

// firstPositional is the index of the first word after the flags.
func firstPositional(ps []Param, words []split.Word) int {
	i := 0
	for i < len(words) {
		w := words[i]
		if w.Quoted || len(w.Text) < 2 || w.Text[0] != '-' {
			return i
		}
		if w.Text == "--" {
			return i + 1
		}
		k := flagIndex(ps, w.Text, false)
		switch {
		case k < 0:
			return i
		case ps[k].takesValue():
			i += 2
		default:
			i++
		}
	}
	return i
}

func hasPositional(ps []Param) bool {
	for _, p := range ps {
		if p.Flag == "" {
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

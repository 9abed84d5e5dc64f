package hmp

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/hmpsh/hmpsh/qmp"
)

// WriteHelp prints one command's help, generated from its table entry. t
// is the QEMU whose schema defines the CHANNEL keys shown; nil leaves the
// key list out.
func (cmd *Command) WriteHelp(w io.Writer, t *Target) {
	WriteDoc(w, cmd.Usage(), cmd.Short, cmd.Aliases, cmd.Long, cmd.Params)
	for _, p := range cmd.Params {
		if p.Type == Channel && t != nil && t.Channels() != nil {
			fmt.Fprintln(w)
			t.Channels().WriteHelp(w, t, cmd.QMP)
			t.Channels().writeKeyMeanings(w, cmd.Name)
			break
		}
	}
	if cmd.QMP != "" {
		fmt.Fprintf(w, "\nSends QMP: %s\n", cmd.QMP)
	}
	WriteExamples(w, cmd.Examples)
}

// WriteDoc prints the parts of a command's help that every command has,
// the table's and hmpsh's own alike: usage and summary, aliases, the long
// text and the params' help lines. Examples come last, with
// WriteExamples.
func WriteDoc(w io.Writer, usage, short string, aliases []string, long string, ps []Param) {
	fmt.Fprintf(w, "%s -- %s\n", usage, short)
	if len(aliases) > 0 {
		fmt.Fprintf(w, "\nAlso: %s\n", strings.Join(aliases, ", "))
	}
	if long != "" {
		fmt.Fprintf(w, "\n%s\n", long)
	}
	var lines [][2]string
	width := 0
	for _, p := range ps {
		if p.Help == "" {
			continue
		}
		head := p.head()
		width = max(width, len(head))
		lines = append(lines, [2]string{head, p.Help})
	}
	if len(lines) > 0 {
		fmt.Fprintf(w, "\n")
		for _, l := range lines {
			fmt.Fprintf(w, "  %-*s  %s\n", width, l[0], l[1])
		}
	}
}

// WriteExamples prints the examples: the line, and what it shows.
func WriteExamples(w io.Writer, examples []Example) {
	if len(examples) == 0 {
		return
	}
	fmt.Fprintf(w, "\nExamples:\n")
	width := 0
	for _, e := range examples {
		if e.Note != "" {
			width = max(width, len(e.Line))
		}
	}
	for _, e := range examples {
		if e.Note == "" || width > 60 {
			fmt.Fprintf(w, "  %s\n", e.Line)
			if e.Note != "" {
				fmt.Fprintf(w, "      # %s\n", e.Note)
			}
			continue
		}
		fmt.Fprintf(w, "  %-*s  # %s\n", width, e.Line, e.Note)
	}
}

// WriteHelp prints the CHANNEL syntax as the schema defines it: one line
// per kind of address with its required keys, the optional ones below it,
// and how the target gets a channel for command (its QMP name).
func (cs *ChannelSyntax) WriteHelp(w io.Writer, t *Target, command string) {
	s := cs.Schema
	fmt.Fprintf(w, "CHANNEL is a comma-separated key=value list of the members of QMP's\n"+
		"MigrationChannel, unions flattened (QEMU %s's schema); its first element\n"+
		"may leave out %q:\n\n", s.QEMU.Short(), ImpliedKey+"=")
	var lists []string
	for _, b := range cs.Branches {
		spec := b.Spec(ImpliedKey)
		var opt []string
		for _, k := range b.Keys[len(b.Tags):] {
			v := k.Name + "=" + valueWord(s, k.Member)
			switch {
			case k.Default != "":
				opt = append(opt, v+" (default "+k.Default+")")
			case k.Optional:
				opt = append(opt, v)
			default:
				spec += "," + v
			}
			if e := s.Entity(k.Type); e != nil && e.MetaType == "array" && !slices.Contains(lists, k.Name) {
				lists = append(lists, k.Name)
			}
		}
		fmt.Fprintf(w, "  %s\n", spec)
		if len(opt) > 0 {
			fmt.Fprintf(w, "      optional: %s\n", strings.Join(opt, " "))
		}
	}
	fmt.Fprintf(w, "  and on any channel: %s=%s (default %s)\n\n", ChannelTypeKey, strings.Join(cs.Types, "|"), DefaultChannelType)
	fmt.Fprintf(w, "Booleans are on|off; integers take K, M, G, T suffixes (powers of 1024).\n")
	if len(lists) > 0 {
		fmt.Fprintf(w, "A list (%s) is one value split like a shell command line, with no\n"+
			"shell run, or indexed: %s.0=...,%s.1=....\n", strings.Join(lists, ", "), lists[0], lists[0])
	}
	fmt.Fprintf(w, "Write a literal comma as \",,\"; put a CHANNEL with spaces in double quotes.\n"+
		"A legacy URI is accepted wherever a CHANNEL is: -c tcp:HOST:PORT.\n")
	if t == nil || command == "" {
		return
	}
	if t.sendsChannels(command) {
		fmt.Fprintf(w, "\nQEMU %s's %s takes channels: a CHANNEL is sent as one.\n", t.Version(), command)
	} else {
		fmt.Fprintf(w, "\nQEMU %s's %s takes only a URI: a CHANNEL is sent as its URI, and a\nkey no URI can say is an error.\n", t.Version(), command)
	}
}

// valueWord is the placeholder of a key's value: its values for an enum
// or a boolean, N for a number, the key's name in capitals otherwise.
func valueWord(s *qmp.Schema, m qmp.Member) string {
	e := s.Entity(m.Type)
	switch {
	case e == nil:
	case e.MetaType == "enum":
		return strings.Join(e.Values, "|")
	case e.Name == "bool":
		return "on|off"
	case e.Name == "int" || e.Name == "number" || strings.HasPrefix(e.Name, "uint") || strings.HasPrefix(e.Name, "int") || e.Name == "size":
		return "N"
	}
	return strings.ToUpper(m.Name)
}

// WriteIndex prints the command list: one line per command.
func (t *Table) WriteIndex(w io.Writer) {
	width := 0
	for _, c := range t.Commands {
		width = max(width, len(c.Name))
	}
	for _, c := range t.Commands {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.Name, c.Short)
	}
}

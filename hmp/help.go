package hmp

import (
	"fmt"
	"io"
	"strings"
)

// WriteHelp prints one command's help, generated from its table entry.
func (cmd *Command) WriteHelp(w io.Writer) {
	fmt.Fprintf(w, "%s -- %s\n", cmd.Usage(), cmd.Short)
	if len(cmd.Aliases) > 0 {
		fmt.Fprintf(w, "\nAlso: %s\n", strings.Join(cmd.Aliases, ", "))
	}
	if cmd.Long != "" {
		fmt.Fprintf(w, "\n%s\n", cmd.Long)
	}
	if cmd.QMP != "" {
		fmt.Fprintf(w, "\nSends QMP: %s\n", cmd.QMP)
	}
	fmt.Fprintf(w, "\nExamples:\n")
	width := 0
	for _, e := range cmd.Examples {
		if e.Note != "" {
			width = max(width, len(e.Line))
		}
	}
	for _, e := range cmd.Examples {
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

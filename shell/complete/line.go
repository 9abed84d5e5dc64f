package complete

import (
	"errors"
	"strings"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/split"
)

// state is a line up to the cursor, cut into words.
type state struct {
	c        *Completer
	prefixed bool // the line starts with @NAME
	target   *hmp.Target
	table    *hmp.Table
	words    []split.Word // the complete words before the one being typed
	cur      split.Word   // the word being typed (Quoted: in an open quote)
}

// slotAt finds what the word ending at the end of text may be.
func (c *Completer) slotAt(text string) *slot {
	rest := strings.TrimLeft(text, " \t")
	st := &state{c: c, table: c.getTable()}
	monitor := ""
	// As the session reads it (shell.SplitPrefix): "@NAME " up to the
	// first space.
	if strings.HasPrefix(rest, "@") {
		name, after, found := strings.Cut(rest[1:], " ")
		if !found {
			return c.monitorSlot(name)
		}
		monitor, rest, st.prefixed = name, after, true
	}
	if strings.HasPrefix(strings.TrimLeft(rest, " \t\n\r\v\f"), "{") {
		return nil // a line of raw JSON
	}
	words, cur, ok := lexPartial(rest)
	if !ok {
		return nil
	}
	st.words, st.cur = words, cur
	if c.src != nil {
		st.target = c.src.Target(monitor)
	}
	return st.slot()
}

// lexPartial cuts a line being typed into its complete words and the word
// under the cursor, which may be an open double-quoted word. ok is false
// when the line cannot be read (a bad escape, text glued to a closing
// quote) or the cursor is right after a closing quote.
func lexPartial(s string) (words []split.Word, cur split.Word, ok bool) {
	ws, err := split.Words(s)
	if err == nil {
		if len(ws) == 0 || isSpace(s[len(s)-1]) {
			return ws, split.Word{Start: len(s), End: len(s)}, true
		}
		last := ws[len(ws)-1]
		if last.Quoted {
			return nil, split.Word{}, false
		}
		return ws[:len(ws)-1], last, true
	}
	// An open quote: split reports it at the quote, which starts a word.
	var se *split.SyntaxError
	if !errors.As(err, &se) || se.Pos >= len(s) || s[se.Pos] != '"' || se.Pos > 0 && !isSpace(s[se.Pos-1]) {
		return nil, split.Word{}, false
	}
	ws, err = split.Words(s[:se.Pos])
	if err != nil {
		return nil, split.Word{}, false
	}
	// Closing the quote reads the open word as split would; a trailing
	// backslash (an escape not finished) leaves it open and fails.
	open, err := split.Words(s[se.Pos:] + `"`)
	if err != nil || len(open) != 1 {
		return nil, split.Word{}, false
	}
	return ws, split.Word{Text: open[0].Text, Start: se.Pos, End: len(s), Quoted: true}, true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// slot dispatches on the words before the cursor.
func (st *state) slot() *slot {
	if len(st.words) == 0 {
		return st.commandSlot(true)
	}
	name := st.words[0].Text
	switch {
	case name == "help":
		// hmpsh's help (table, shell commands) and QEMU's own.
		switch {
		case len(st.words) == 1:
			return st.commandSlot(false)
		case len(st.words) == 2 && st.words[1].Text == "info":
			return st.infoSlot()
		}
		return nil
	case name == "info":
		if len(st.words) == 1 {
			return st.infoSlot()
		}
		if cmd := st.table.Get("info " + st.words[1].Text); cmd != nil {
			return st.argsSlot(cmd, st.words[2:])
		}
		return nil
	}
	if !st.prefixed {
		for _, sc := range st.shellCommands() {
			if sc.Name == name {
				return st.shellArgSlot(sc)
			}
		}
	}
	if cmd := st.table.Get(name); cmd != nil && !strings.HasPrefix(cmd.Name, "info ") {
		return st.argsSlot(cmd, st.words[1:])
	}
	// As the translator decides: a QMP command that QEMU's HMP lacks.
	if t := st.target; t != nil && t.Schema.Command(name) != nil && !t.IsHMPCommand(name) {
		return st.qmpSlot(name)
	}
	return nil
}

func (st *state) shellCommands() []ShellCommand {
	if st.c.src == nil {
		return nil
	}
	return st.c.src.ShellCommands()
}

func (c *Completer) monitorSlot(partial string) *slot {
	s := &slot{prefix: "@" + partial, start: true, about: "@NAME LINE -- run LINE on monitor NAME"}
	if c.src != nil {
		for _, m := range c.src.Monitors() {
			s.items = append(s.items, item{text: "@" + m, help: "@" + m + " LINE -- run LINE on monitor " + m, term: " "})
		}
	}
	return s
}

// wordSlot is a slot for the whole word being typed.
func (st *state) wordSlot(about string, items []item) *slot {
	return &slot{prefix: st.cur.Text, items: items, about: about, quoted: st.cur.Quoted, start: true}
}

// commandSlot offers command names: the table's (with aliases and info),
// hmpsh's own unless after @NAME, and, when the target is known, QEMU's
// HMP commands and, unless for help, its QMP commands.
func (st *state) commandSlot(withQMP bool) *slot {
	var items []item
	hasInfo := false
	for _, cmd := range st.table.Commands {
		if strings.HasPrefix(cmd.Name, "info ") {
			hasInfo = true
			continue
		}
		help := commandHelp(cmd)
		for _, n := range append([]string{cmd.Name}, cmd.Aliases...) {
			items = append(items, item{text: n, help: help, term: " "})
		}
	}
	if !st.prefixed {
		for _, sc := range st.shellCommands() {
			items = append(items, item{text: sc.Name, help: shellHelp(sc), term: " "})
		}
	}
	if t := st.target; t != nil {
		for _, e := range hmp.ParseHelp(t.Schema.HMPHelp) {
			for _, n := range e.Names {
				if validName(n) {
					items = append(items, item{text: n, help: helpEntry("", e), term: " "})
				}
			}
		}
		if withQMP {
			for _, n := range t.Schema.Commands() {
				// The help costs a walk of the arguments: only for
				// the names that can be shown.
				if strings.HasPrefix(n, st.cur.Text) && !t.IsHMPCommand(n) {
					items = append(items, item{text: n, help: qmpCommandHelp(t, n), term: " "})
				}
			}
		}
	}
	if hasInfo {
		// After QEMU's own "info [subcommand] -- ..." when there is one.
		items = append(items, item{text: "info", help: "info SUBCOMMAND -- show information (info ? lists the subcommands)", term: " "})
	}
	return st.wordSlot("", items)
}

// infoSlot offers info subcommands: the table's and QEMU's.
func (st *state) infoSlot() *slot {
	var items []item
	for _, cmd := range st.table.Commands {
		if sub, ok := strings.CutPrefix(cmd.Name, "info "); ok {
			items = append(items, item{text: sub, help: commandHelp(cmd), term: " "})
		}
	}
	if t := st.target; t != nil {
		for _, e := range hmp.ParseHelp(t.Schema.HMPInfoHelp) {
			for _, n := range e.Names {
				if validName(n) {
					items = append(items, item{text: n, help: helpEntry("info ", e), term: " "})
				}
			}
		}
	}
	return st.wordSlot("info SUBCOMMAND -- show information", items)
}

// shellArgSlot completes the first argument of a shell command whose
// usage calls it NAME: a monitor.
func (st *state) shellArgSlot(sc ShellCommand) *slot {
	s := st.wordSlot(shellHelp(sc), nil)
	first, _, _ := strings.Cut(sc.Args, " ")
	if len(st.words) != 1 || first != "NAME" || st.c.src == nil {
		return s
	}
	for _, m := range st.c.src.Monitors() {
		s.items = append(s.items, item{text: m, help: "monitor " + m, term: " "})
	}
	return s
}

// validName drops what QEMU's help text has besides names (the "?" alias
// of help, drive_add's unindented continuation lines).
func validName(n string) bool {
	if n == "" {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func commandHelp(cmd *hmp.Command) string {
	return cmd.Usage() + " -- " + cmd.Short
}

func shellHelp(sc ShellCommand) string {
	return strings.TrimSpace(sc.Name+" "+sc.Args) + " -- " + sc.Help
}

func helpEntry(prefix string, e hmp.HelpEntry) string {
	return strings.TrimSpace(prefix+strings.Join(e.Names, "|")+" "+e.Args) + " -- " + e.Help
}

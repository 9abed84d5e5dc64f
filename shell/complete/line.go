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
	sx       *hmp.Syntax
	words    []split.Word // the complete words before the one being typed
	cur      split.Word   // the word being typed (Quoted: in an open quote)
}

// slotAt finds what the word ending at the end of text may be. The line
// is read by the line model's own head (hmp.CutHead), as every line is.
func (c *Completer) slotAt(text string) *slot {
	h := hmp.CutHead(text)
	if h.NameOnly {
		return c.monitorSlot(h.Monitor)
	}
	if h.JSON {
		return nil
	}
	words, cur, ok := lexPartial(h.Body)
	if !ok || hmp.CommentAt(words) < len(words) || hmp.CommentAt([]split.Word{cur}) == 0 {
		return nil // unreadable, or in a comment
	}
	st := &state{c: c, sx: c.syntax(), prefixed: h.Prefixed, words: words, cur: cur}
	if c.src != nil {
		st.target = c.src.Target(h.Monitor)
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
		if len(ws) == 0 || split.IsSpace(s[len(s)-1]) {
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
	if !errors.As(err, &se) || se.Pos >= len(s) || s[se.Pos] != '"' || se.Pos > 0 && !split.IsSpace(s[se.Pos-1]) {
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

// slot dispatches on the words before the cursor, as the line model
// classifies them.
func (st *state) slot() *slot {
	if len(st.words) == 0 {
		return st.commandSlot(true)
	}
	first := st.words[0]
	if b := st.sx.LookupBuiltin(first.Text); b != nil && !first.Quoted {
		if st.prefixed && !b.TakesMonitor() {
			return nil // it does not run on a monitor
		}
		return st.argsSlot(b.ParamList(), "", builtinHelp(b), st.words[1:])
	}
	if first.Text == hmp.Info && !first.Quoted {
		if len(st.words) == 1 {
			return st.infoSlot()
		}
	}
	cl := st.sx.Classify(st.words)
	switch {
	case cl.Kind == hmp.Native:
		return st.argsSlot(cl.Command.Params, cl.Command.QMP, commandHelp(cl.Command), cl.Args)
	case cl.Kind == hmp.Passthrough && st.target != nil && st.target.KindOf(cl.Name) == hmp.QMPArgs:
		return st.qmpSlot(cl.Name)
	}
	return nil
}

func (c *Completer) monitorSlot(partial string) *slot {
	s := &slot{prefix: "@" + partial, start: true, about: "@NAME LINE -- run LINE on monitor NAME"}
	if c.src != nil {
		mons := c.src.Monitors()
		for _, m := range mons {
			s.items = append(s.items, item{text: "@" + m, help: "@" + m + " LINE -- run LINE on monitor " + m, term: " "})
		}
		if len(mons) > 1 {
			s.items = append(s.items, item{text: "@" + hmp.AllMonitors, help: "@* LINE -- run LINE on every monitor", term: " "})
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
	for _, cmd := range st.sx.Table.Commands {
		if cmd.IsInfo() {
			hasInfo = true
			continue
		}
		help := commandHelp(cmd)
		for _, n := range append([]string{cmd.Name}, cmd.Aliases...) {
			items = append(items, item{text: n, help: help, term: " "})
		}
	}
	for _, b := range st.sx.Builtins() {
		// After @NAME, only the commands about one monitor.
		if !st.prefixed || b.TakesMonitor() {
			for _, n := range b.Names() {
				items = append(items, item{text: n, help: builtinHelp(b), term: " "})
			}
		}
	}
	if t := st.target; t != nil {
		for _, e := range hmp.ParseHelp(t.Schema.HMPHelp) {
			for _, n := range e.Names {
				if hmp.ValidName(n) {
					items = append(items, item{text: n, help: helpEntry("", e), term: " "})
				}
			}
		}
		if withQMP {
			for _, n := range t.Schema.Commands() {
				// The help costs a walk of the arguments: only for
				// the names that can be shown.
				if strings.HasPrefix(n, st.cur.Text) && t.KindOf(n) == hmp.QMPArgs {
					items = append(items, item{text: n, help: qmpCommandHelp(t, n), term: " "})
				}
			}
		}
	}
	if hasInfo {
		// After QEMU's own "info [subcommand] -- ..." when there is one.
		items = append(items, item{text: hmp.Info, help: "info SUBCOMMAND -- show information (info ? lists the subcommands)", term: " "})
	}
	return st.wordSlot("", items)
}

// infoSlot offers info subcommands: the table's and QEMU's.
func (st *state) infoSlot() *slot {
	var items []item
	for _, cmd := range st.sx.Table.Commands {
		if cmd.IsInfo() {
			items = append(items, item{text: cmd.InfoName(), help: commandHelp(cmd), term: " "})
		}
	}
	if t := st.target; t != nil {
		for _, e := range hmp.ParseHelp(t.Schema.HMPInfoHelp) {
			for _, n := range e.Names {
				if hmp.ValidName(n) {
					items = append(items, item{text: n, help: helpEntry("info ", e), term: " "})
				}
			}
		}
	}
	return st.wordSlot("info SUBCOMMAND -- show information", items)
}

func commandHelp(cmd *hmp.Command) string {
	return cmd.Usage() + " -- " + cmd.Short
}

func builtinHelp(b hmp.BuiltinEntry) string {
	return b.Usage() + " -- " + b.Summary()
}

func helpEntry(prefix string, e hmp.HelpEntry) string {
	return strings.TrimSpace(prefix+strings.Join(e.Names, "|")+" "+e.Args) + " -- " + e.Help
}

// Package complete is the interactive shell's tab completion and its "?"
// help. It knows the syntax hmpsh reads (HMP words and quotes, comma lists
// with ",,", the command table's params, the channel syntax, QMP key=value
// words) and asks the live session, through a Source, what exists: the
// command table, the monitors, and each monitor's schema and HMP help.
//
// Nothing here is a second parser of lines: words come from split.Words,
// option strings from split.Comma, and every name offered comes from the
// table entry or from the target QEMU's own schema.
package complete

import (
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/hmpsh/hmpsh/hmp"
)

// Source is what the completer can ask the live session. Every method may
// return nil or nothing (dry-run has no monitors); it is called on each Tab,
// so it must answer from what the session already has, never wait on a
// QEMU.
type Source interface {
	// Syntax is the session's line model: the command table and hmpsh's
	// own commands.
	Syntax() *hmp.Syntax
	// Target is the schema of that monitor ("" = the current one); nil
	// when unknown.
	Target(monitor string) *hmp.Target
	Monitors() []string // the names @NAME takes
}

// DomainLister is a Source that can name libvirt's running domains, for
// addresses: uri "" is libvirt's default connection. It answers from
// what it already knows and never waits.
type DomainLister interface {
	LibvirtDomains(uri string) []string
}

// Candidate is one completion of the word (or part of a word) before the
// cursor. Text is written as it goes into the line (",," for a comma in a
// comma list, escapes inside double quotes) and starts with the prefixLen
// bytes before the cursor that Candidates reports. A lone candidate ends
// with what naturally follows it: a space after a word, "=" after a key,
// nothing inside a comma list or after a directory.
type Candidate struct {
	Text string
	Help string // a line for "?": usage, type, what it is
}

// Completer completes lines for the interactive shell. It implements
// readline.AutoCompleter.
type Completer struct {
	src Source

	once  sync.Once
	sx    *hmp.Syntax  // when the Source has none: the table alone
	known *hmp.Targets // the built-in schemas, for the channel syntax
}

// New makes a completer that asks src.
func New(src Source) *Completer { return &Completer{src: src} }

func (c *Completer) load() {
	c.once.Do(func() {
		c.sx, _ = hmp.NewSyntax(hmp.DefaultTable(), nil)
		// Without built-in schemas the channel syntax is unknown when a
		// target has none; completion just offers less.
		c.known, _ = hmp.KnownTargets()
	})
}

func (c *Completer) syntax() *hmp.Syntax {
	if c.src != nil {
		if sx := c.src.Syntax(); sx != nil {
			return sx
		}
	}
	c.load()
	return c.sx
}

// newestTarget is the newest built-in target, or nil.
func (c *Completer) newestTarget() *hmp.Target {
	c.load()
	if c.known == nil {
		return nil
	}
	return c.known.Newest()
}

// Do is readline's AutoCompleter: the suffixes to insert after the cursor
// and how many runes before the cursor the candidates share.
func (c *Completer) Do(line []rune, pos int) ([][]rune, int) {
	if pos < 0 || pos > len(line) {
		pos = len(line)
	}
	before := string(line[:pos])
	cands, n := c.Candidates(before+string(line[pos:]), len(before))
	if len(cands) == 0 {
		return nil, 0
	}
	out := make([][]rune, len(cands))
	for i, cd := range cands {
		out[i] = []rune(cd.Text[n:])
	}
	return out, utf8.RuneCountInString(before[len(before)-n:])
}

// Candidates completes the word before byte offset pos of line (what
// follows the cursor is not looked at). The candidates are sorted and
// unique; each starts with the last prefixLen bytes before pos.
func (c *Completer) Candidates(line string, pos int) (cands []Candidate, prefixLen int) {
	if pos < 0 || pos > len(line) {
		pos = len(line)
	}
	text := line[:pos]
	s := c.slotAt(text)
	if s == nil {
		return nil, 0
	}
	esc, ok := s.escape(s.prefix)
	if !ok || !strings.HasSuffix(text, esc) {
		// The word was written in a form we would not write (an
		// escape \' for '): the candidates could not extend it.
		return nil, 0
	}
	var terms []string
	for _, it := range s.matching() {
		t, ok := s.escape(it.text)
		if !ok {
			continue
		}
		cands = append(cands, Candidate{Text: t, Help: it.help})
		terms = append(terms, it.term)
	}
	// Escaping can reorder ("\" sorts after letters); sort what is shown.
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].Text < cands[j].Text })
	if len(cands) == 1 {
		cands[0].Text += s.terminator(terms[0])
	}
	return cands, len(esc)
}

// Describe is the help for "?" typed at the end of line (a trailing "?"
// is ignored): the help line of the command, flag, key, capability or
// parameter being typed, one line per match when the word is a prefix of
// several, or the help of the command or key the empty word belongs to.
func (c *Completer) Describe(line string) string {
	line = strings.TrimSuffix(line, "?")
	s := c.slotAt(line)
	if s == nil {
		return ""
	}
	items := s.matching()
	for _, it := range items {
		if it.text == s.prefix && it.help != "" {
			return it.help + it.details()
		}
	}
	if s.prefix == "" || len(items) == 0 {
		return s.about
	}
	var lines []string
	for _, it := range items {
		if it.help != "" {
			lines = append(lines, it.help)
		}
	}
	return strings.Join(lines, "\n")
}

// item is a candidate before escaping.
type item struct {
	text string // the word or word part, as its value (unescaped)
	help string
	term string // appended when it is the only candidate
	// more, when set, gives the lines "?" shows after help when the
	// word is this item: QEMU's documentation of it. A func, as only
	// one item is ever described and Tab needs none.
	more func() string
}

// details is the item's documentation, after a newline, or "".
func (it item) details() string {
	if it.more == nil {
		return ""
	}
	if m := it.more(); m != "" {
		return "\n" + m
	}
	return ""
}

// docText is a documentation's lines as "?" shows them, below the line
// that names the thing, or "".
func docText(d hmp.Doc, ok bool) string {
	if !ok {
		return ""
	}
	return strings.Join(d.Lines("    "), "\n")
}

// withDoc is a help line with its documentation below it.
func withDoc(line string, d hmp.Doc, ok bool) string {
	if text := docText(d, ok); text != "" {
		return line + "\n" + text
	}
	return line
}

// slot is the place the cursor is in: what the word being typed may be.
type slot struct {
	prefix string // the typed part of the word (unescaped); candidates extend it
	items  []item // everything that may go there, unfiltered
	// about describes the place itself, for "?" after an empty word.
	about string
	// How text is written here: inside a comma list a comma doubles;
	// inside an open double quote \ and " are escaped; outside quotes
	// white space cannot be written at all.
	comma  bool
	quoted bool
	start  bool // the prefix starts the word: a leading " would quote it
}

// matching returns the items that extend the prefix, sorted by text, the
// first of equal texts kept.
func (s *slot) matching() []item {
	var out []item
	for _, it := range s.items {
		if strings.HasPrefix(it.text, s.prefix) {
			out = append(out, it)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].text < out[j].text })
	uniq := out[:0]
	for i, it := range out {
		if i > 0 && it.text == out[i-1].text {
			continue
		}
		uniq = append(uniq, it)
	}
	return uniq
}

// escape writes text as it appears in the line at this place; false when
// it cannot be written here (white space outside quotes).
func (s *slot) escape(text string) (string, bool) {
	if s.comma {
		text = strings.ReplaceAll(text, ",", ",,")
	}
	if !s.quoted {
		if strings.ContainsAny(text, " \t\n\r\v\f") || s.start && strings.HasPrefix(text, `"`) {
			return "", false
		}
		return text, true
	}
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		switch ch := text[i]; ch {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(ch)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteByte(ch)
		}
	}
	return b.String(), true
}

// terminator is what follows a lone candidate: inside an open quote a
// word ends by closing it.
func (s *slot) terminator(term string) string {
	if term == " " && s.quoted {
		return `" `
	}
	return term
}

// Package transcript reads and writes .hmpt transcripts: lines typed at an
// HMP prompt and the output each should produce, in a text file a person
// reads and edits (Python's doctest and QEMU's iotests .out files are the
// models). The package is pure: it reads an io.Reader, writes an
// io.Writer, and never runs anything.
//
// A file is read line by line (LF line ends):
//
//   - An input line starts with a prompt "(NAME) " (NAME is letters,
//     digits, '_' and '-'), or is just "(NAME)" for an empty input. It
//     may be preceded by conditions, each followed by white space:
//     "[qemu>=8.2] [qemu<10.2] (src) info migrate". A condition is
//     "[qemu OP X.Y]" or "[qemu OP X.Y.Z]" with OP one of >= <= > < == !=
//     and optional spaces inside the brackets; when one is false the
//     entry (input and expected output) is skipped.
//   - A line whose first byte is '#' is a comment. Comments of the form
//     "# key: value" (key of a-z and '-') before the first input line are
//     also header directives. The comments directly above an input line,
//     with no blank line between, are its Lead: what a reader attaches
//     to that line (hmpsh learn's lessons state a step's task there).
//   - A blank line (empty or white space only) is a separator.
//   - Any other line is expected output of the nearest input line above.
//     A leading backslash is removed first; it is how an output line that
//     would read as a comment, an input line or a backslash-escaped line
//     is written (see Escape). If what remains is blank, the line counts
//     as a separator: blank output lines are dropped on both sides of a
//     comparison, so there is nothing to check in them.
//
// Expected output is a pattern (see Match): "..." inside a line matches
// any text within the line, a line that is exactly "..." matches any
// number of lines, ${NAME} is a caller's variable and "$${" a literal
// "${". Trailing white space is never significant.
package transcript

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

var (
	// The same expression decides what Parse reads as input and what
	// Escape protects, so the two cannot drift apart.
	inputLine   = regexp.MustCompile(`^((?:\[[^\]]*\][ \t]+)*)\(([A-Za-z0-9_-]+)\)(?: (.*)|$)`)
	condGroup   = regexp.MustCompile(`\[[^\]]*\]`)
	condBody    = regexp.MustCompile(`^(>=|<=|==|!=|>|<)\s*([0-9]+)\.([0-9]+)(?:\.([0-9]+))?$`)
	directive   = regexp.MustCompile(`^#[ \t]*([a-z-]+):(?:[ \t]+(.*?))?[ \t]*$`)
	promptName  = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	conditionOp = [...]string{">=", "<=", "==", "!=", ">", "<"}
)

// Cond is one condition of an entry, such as "[qemu>=9.0]".
type Cond struct {
	Op      string // one of >= <= > < == !=
	Version [3]int // major, minor, micro; micro is 0 when not written
	Parts   int    // 2 or 3: how many of Version were written
	Text    string // the condition as written, brackets included
}

// Holds reports whether QEMU major.minor.micro satisfies the condition.
// A condition written with two numbers compares only major and minor, so
// "[qemu==9.0]" holds for every 9.0.x and "[qemu<=10.1]" for 10.1.2: a
// person writing a release series means the whole series.
func (c Cond) Holds(major, minor, micro int) bool {
	have := [3]int{major, minor, micro}
	cmp := 0
	for i := 0; i < c.Parts && cmp == 0; i++ {
		switch {
		case have[i] < c.Version[i]:
			cmp = -1
		case have[i] > c.Version[i]:
			cmp = 1
		}
	}
	switch c.Op {
	case ">=":
		return cmp >= 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	case "<":
		return cmp < 0
	case "==":
		return cmp == 0
	case "!=":
		return cmp != 0
	}
	return false
}

func parseCond(text string) (Cond, error) {
	inner := strings.TrimSpace(text[1 : len(text)-1])
	word := inner[:len(inner)-len(strings.TrimLeftFunc(inner, unicode.IsLetter))]
	if word != "qemu" {
		return Cond{}, fmt.Errorf("unknown condition %s: want [qemu OP X.Y[.Z]]", text)
	}
	m := condBody.FindStringSubmatch(strings.TrimSpace(inner[len(word):]))
	if m == nil {
		return Cond{}, fmt.Errorf("malformed condition %s: want [qemu OP X.Y[.Z]] with OP one of %s", text, strings.Join(conditionOp[:], " "))
	}
	c := Cond{Op: m[1], Parts: 2, Text: text}
	for i, s := range m[2:] {
		if s == "" {
			break
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return Cond{}, fmt.Errorf("malformed condition %s: %v", text, err)
		}
		c.Version[i] = n
		c.Parts = i + 1
	}
	return c, nil
}

// Entry is one input line and the output expected from it.
type Entry struct {
	Line   int      // 1-based line number of the input line (renumbered by Update)
	Conds  []Cond   // all must hold for the entry to be checked
	Prompt string   // NAME of "(NAME) "
	Input  string   // the rest of the line after "(NAME) ", as written; the caller expands variables
	Want   []string // expected output patterns: unescaped, right-trimmed, blank lines left out; read-only
	// Lead is the comment block directly above the input line: the "#"
	// lines, as written, with no blank line between them and it. It is
	// what a reader attaches to the line (hmpsh learn reads a step's task
	// there); Parse sets it and nothing else reads it.
	Lead []string

	raw  string     // the input line as written
	body []bodyLine // every line after it up to the next input line, as written
}

// bodyLine keeps a line under an input line as written, so a file can be
// written back byte for byte and comments stay where a person put them.
type bodyLine struct {
	text string
	want bool // it is the next element of Want, not a comment or separator
}

// File is a parsed transcript.
type File struct {
	Name       string            // used in error messages and diffs
	Directives map[string]string // "# key: value" comments before the first input line
	Entries    []*Entry

	head []string // lines before the first input line (comments, blanks)
	eol  bool     // the last line ended with a newline
}

type lineKind int

const (
	blankLine lineKind = iota
	commentLine
	inputLineKind
	outputLine
)

func classify(line string) lineKind {
	switch {
	case strings.TrimSpace(line) == "":
		return blankLine
	case line[0] == '#':
		return commentLine
	case inputLine.MatchString(line):
		return inputLineKind
	}
	return outputLine
}

// Escape writes a pattern (or a line of output) as an expected-output line
// that Parse reads back unchanged: a line that begins with '#' or '\', or
// that would read as an input line, gets a leading backslash. A blank line
// gets one too, which does not save it: blank output is never compared.
// Escape only protects the line's kind; to write text that should be
// matched literally, pass it through Literal first.
func Escape(line string) string {
	if strings.HasPrefix(line, `\`) || classify(line) != outputLine {
		return `\` + line
	}
	return line
}

// Unescape undoes Escape: one leading backslash, if any, is removed.
func Unescape(line string) string { return strings.TrimPrefix(line, `\`) }

// Parse reads a transcript. Errors read "NAME:LINE: message".
func Parse(name string, r io.Reader) (*File, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	f := &File{Name: name, Directives: map[string]string{}}
	text := string(data)
	if text == "" {
		return f, nil
	}
	f.eol = strings.HasSuffix(text, "\n")
	var cur *Entry
	var lead []string // the comment lines since the last other line
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		lineno := i + 1
		kind := classify(line)
		if kind == inputLineKind {
			e, err := parseInput(line, lineno)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, lineno, err)
			}
			e.Lead, lead = lead, nil
			f.Entries = append(f.Entries, e)
			cur = e
			continue
		}
		if kind == commentLine {
			lead = append(lead, line)
		} else {
			lead = nil
		}
		if cur == nil {
			switch kind {
			case outputLine:
				return nil, fmt.Errorf("%s:%d: output before any input line", name, lineno)
			case commentLine:
				if k, v, ok := Directive(line); ok {
					f.Directives[k] = v
				}
			}
			f.head = append(f.head, line)
			continue
		}
		want := ""
		if kind == outputLine {
			want = rtrim(Unescape(line))
		}
		if want == "" {
			cur.body = append(cur.body, bodyLine{text: line})
			continue
		}
		cur.body = append(cur.body, bodyLine{text: line, want: true})
		cur.Want = append(cur.Want, want)
	}
	return f, nil
}

func parseInput(line string, lineno int) (*Entry, error) {
	m := inputLine.FindStringSubmatch(line)
	e := &Entry{Line: lineno, Prompt: m[2], Input: m[3], raw: line}
	for _, text := range condGroup.FindAllString(m[1], -1) {
		c, err := parseCond(text)
		if err != nil {
			return nil, err
		}
		e.Conds = append(e.Conds, c)
	}
	return e, nil
}

// Head is the lines before the first input line, as written: the file's
// introduction, its directives and the first entry's Lead.
func (f *File) Head() []string { return append([]string(nil), f.head...) }

// Directive reads a "# key: value" line, as Parse reads the directives
// before the first input line.
func Directive(line string) (key, value string, ok bool) {
	m := directive.FindStringSubmatch(line)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// Active returns the entries whose conditions all hold for QEMU
// major.minor.micro, in file order.
func (f *File) Active(major, minor, micro int) []*Entry {
	var active []*Entry
	for _, e := range f.Entries {
		if e.holds(major, minor, micro) {
			active = append(active, e)
		}
	}
	return active
}

func (e *Entry) holds(major, minor, micro int) bool {
	for _, c := range e.Conds {
		if !c.Holds(major, minor, micro) {
			return false
		}
	}
	return true
}

func (f *File) lines() []string {
	lines := append([]string(nil), f.head...)
	for _, e := range f.Entries {
		lines = append(lines, e.raw)
		for _, b := range e.body {
			lines = append(lines, b.text)
		}
	}
	return lines
}

// WriteTo writes the file back: what Parse read, byte for byte (a missing
// final newline stays missing), with the changes Update made.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	lines := f.lines()
	if len(lines) == 0 {
		return 0, nil
	}
	text := strings.Join(lines, "\n")
	if f.eol {
		text += "\n"
	}
	n, err := io.WriteString(w, text)
	return int64(n), err
}

// renumber sets Entry.Line after Update changed how many lines entries have.
func (f *File) renumber() {
	line := len(f.head) + 1
	for _, e := range f.Entries {
		e.Line = line
		line += 1 + len(e.body)
	}
}

func rtrim(s string) string { return strings.TrimRightFunc(s, unicode.IsSpace) }

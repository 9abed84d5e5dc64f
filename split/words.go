// Package split is hmpsh's lexer. It knows three things and nothing else:
// how QEMU's human monitor cuts a line into words (white space, double
// quotes, a handful of backslash escapes), how an option string is cut at
// commas (with ",," standing for a literal comma), and how such a list
// becomes key=value pairs with an implied first key.
package split

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Word is one word of an HMP line.
type Word struct {
	Text   string // the word with quotes removed and escapes applied
	Start  int    // byte offset of the word's first character in the line
	End    int    // byte offset just past the word's last character
	Quoted bool   // the word was written in double quotes
}

// SyntaxError is a lexing failure at a byte offset of the input.
type SyntaxError struct {
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s (at column %d)", e.Msg, e.Pos+1) }

// IsSpace is QEMU's qemu_isspace for the monitor's purposes: what ends a
// word (space, \t, \n, \v, \f, \r).
func IsSpace(c byte) bool {
	return c == ' ' || c-'\t' <= '\r'-'\t'
}

// TrimSpace cuts what IsSpace calls white space off both ends of s.
func TrimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && IsSpace(s[i]) {
		i++
	}
	for j > i && IsSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// Words splits an HMP line the way QEMU's monitor reads string arguments:
// words end at white space; a word that starts with a double quote runs to
// the closing quote and may contain the escapes \" \\ \' \n \r; any other
// escape, and a missing closing quote, is an error. Outside quotes a
// backslash is an ordinary character, as it is for QEMU.
func Words(line string) ([]Word, error) { return scan(nil, line, true) }

// AppendWords is Words appending to dst, which is used when it has room.
func AppendWords(dst []Word, line string) ([]Word, error) { return scan(dst, line, true) }

// WordsLenient splits a line Words would reject as closely as it can, for
// what must read any line (history redaction): an unterminated quote runs
// to the end of the line, an unknown escape stays as written, text glued to
// a closing quote joins the word. On a line Words accepts it gives the
// same words.
func WordsLenient(line string) []Word {
	words, _ := scan(nil, line, false)
	return words
}

func scan(words []Word, line string, strict bool) ([]Word, error) {
	if words == nil {
		// One allocation: a word starts after white space at most this
		// often (a quoted word with spaces in it counts more than once).
		n := 0
		for i := 0; i < len(line); i++ {
			if !IsSpace(line[i]) && (i == 0 || IsSpace(line[i-1])) {
				n++
			}
		}
		if n == 0 {
			return nil, nil
		}
		words = make([]Word, 0, n)
	}
	i := 0
	for {
		for i < len(line) && IsSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return words, nil
		}
		w, next, err := word(line, i, strict)
		if err != nil {
			return nil, err
		}
		words = append(words, w)
		i = next
	}
}

// word reads one word starting at line[i], which is not white space.
func word(line string, i int, strict bool) (Word, int, error) {
	start := i
	if line[i] != '"' {
		for i < len(line) && !IsSpace(line[i]) {
			i++
		}
		return Word{Text: line[start:i], Start: start, End: i}, i, nil
	}
	var b strings.Builder
	i++
	for {
		if i >= len(line) {
			if strict {
				return Word{}, 0, &SyntaxError{Pos: start, Msg: "unterminated string"}
			}
			return Word{Text: b.String(), Start: start, End: i, Quoted: true}, i, nil
		}
		c := line[i]
		switch c {
		case '"':
			i++
			// QEMU ends the word at the closing quote; text glued to it
			// ("a"b) would silently start a new argument there, which is
			// never what the user meant.
			if i < len(line) && !IsSpace(line[i]) {
				if strict {
					return Word{}, 0, &SyntaxError{Pos: i, Msg: "unexpected character after closing quote"}
				}
				for i < len(line) && !IsSpace(line[i]) {
					b.WriteByte(line[i])
					i++
				}
			}
			return Word{Text: b.String(), Start: start, End: i, Quoted: true}, i, nil
		case '\\':
			if i+1 >= len(line) {
				if strict {
					return Word{}, 0, &SyntaxError{Pos: start, Msg: "unterminated string"}
				}
				b.WriteByte(c)
				i++
				continue
			}
			switch e := line[i+1]; e {
			case '"', '\\', '\'':
				b.WriteByte(e)
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			default:
				if strict {
					r, _ := utf8.DecodeRuneInString(line[i+1:])
					return Word{}, 0, &SyntaxError{Pos: i, Msg: fmt.Sprintf(`unsupported escape code '\%c' (HMP knows \" \\ \' \n \r)`, r)}
				}
				b.WriteByte(c)
				b.WriteByte(e)
			}
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
}

// Quote writes s as one HMP word: bare when that reads back the same,
// otherwise in double quotes with the necessary escapes.
func Quote(s string) string {
	if s != "" && !strings.HasPrefix(s, `"`) && !strings.ContainsAny(s, " \t\n\r\v\f") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

package transports

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/mattn/go-shellwords"
)

// ArgsError is an exec command line that hmpsh will not split, because
// only a shell could give it its meaning.
type ArgsError struct {
	Args string
	Pos  int // byte offset in Args
	Msg  string
}

func (e *ArgsError) Error() string {
	return fmt.Sprintf("args=%s: %s at column %d; no shell runs here, so write args=/bin/sh -c '...' to use one", e.Args, e.Msg, e.Pos+1)
}

// SplitArgs splits exec's args=... into words by POSIX shell quoting
// (single quotes, double quotes, backslash) without running a shell:
// "nc -U '/run/mig sock'" is ["nc", "-U", "/run/mig sock"]. Whatever a
// shell would do more than quote removal (operators, expansions,
// substitutions, globs, comments) is an error, never passed on literally.
func SplitArgs(s string) ([]string, error) {
	if err := checkShellFree(s); err != nil {
		return nil, err
	}
	p := shellwords.NewParser()
	// go-shellwords splits at a carriage return; a shell does not.
	p.SetExcludeSeparators('\r')
	words, err := p.Parse(s)
	if err != nil {
		return nil, &ArgsError{Args: s, Msg: err.Error()}
	}
	if p.Position >= 0 {
		// Position counts what ranging over s yields (a rune, or one
		// byte of invalid UTF-8); report the operator the shell would see.
		pos, n := 0, 0
		for i := range s {
			if n == p.Position {
				pos = i
				break
			}
			n++
		}
		r, _ := utf8.DecodeRuneInString(s[pos:])
		return nil, &ArgsError{Args: s, Pos: pos, Msg: fmt.Sprintf("unquoted shell operator %q", string(r))}
	}
	if len(words) == 0 {
		return nil, &ArgsError{Args: s, Msg: "no command"}
	}
	return words, nil
}

// reservedWords are the words a POSIX shell reads as syntax, not as a
// command, when they come first and unquoted.
var reservedWords = []string{"!", "{", "}", "case", "do", "done", "elif", "else", "esac", "fi", "for", "if", "in", "then", "until", "while"}

// checkShellFree finds what go-shellwords would take literally but a POSIX
// shell would not, and the few escapes the two read differently, so that
// a split command means what it would mean to sh.
func checkShellFree(s string) error {
	bad := func(i int, msg string) error { return &ArgsError{Args: s, Pos: i, Msg: msg} }
	const (
		plain = iota
		single
		double
	)
	state := plain
	wordStart := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch state {
		case single:
			if c == '\'' {
				state = plain
			}
			continue
		case double:
			switch c {
			case '"':
				state = plain
			case '\\':
				if i+1 < len(s) && strings.IndexByte("$`\"\\", s[i+1]) >= 0 {
					i++
				} else {
					return bad(i, `a backslash inside double quotes escapes only $ `+"`"+` " \`)
				}
			case '$', '`':
				return bad(i, fmt.Sprintf("%q inside double quotes is an expansion", c))
			}
			continue
		}
		startsWord := wordStart
		wordStart = c == ' ' || c == '\t' || c == '\n'
		switch c {
		case '\'':
			state = single
		case '"':
			state = double
		case '\\':
			if i+1 < len(s) && (s[i+1] == 't' || s[i+1] == 'n') {
				return bad(i, fmt.Sprintf(`\%c is ambiguous (a shell reads %c, not a control character); quote it`, s[i+1], s[i+1]))
			}
			if i+1 == len(s) {
				return bad(i, "a backslash at the end escapes nothing")
			}
			if s[i+1] == '\n' {
				return bad(i, "a backslash before a newline continues the line")
			}
			i++
		case '\n':
			return bad(i, "an unquoted newline ends the command")
		case '$', '`':
			return bad(i, fmt.Sprintf("unquoted %q is an expansion", c))
		case '*', '?', '[':
			return bad(i, fmt.Sprintf("unquoted %q is a file name pattern", c))
		case '(', ')':
			return bad(i, fmt.Sprintf("unquoted %q", c))
		case '~', '#':
			if startsWord {
				return bad(i, fmt.Sprintf("%q at the start of a word means something to a shell", c))
			}
		}
	}
	if state != plain {
		return bad(len(s), "unterminated quote")
	}
	return nil
}

// ShellQuote writes argv as one shell command line that a POSIX shell
// splits back into exactly these words.
func ShellQuote(argv []string) string {
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = shellQuoteWord(a)
		// A first word NAME=... would be a variable assignment to sh,
		// and a reserved word would be syntax.
		if i == 0 && quoted[i] == a && (strings.Contains(a, "=") || slices.Contains(reservedWords, a)) {
			quoted[i] = "'" + a + "'"
		}
	}
	return strings.Join(quoted, " ")
}

func shellQuoteWord(w string) string {
	if w == "" {
		return "''"
	}
	safe := true
	for i := 0; i < len(w); i++ {
		c := w[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_@%+=:,./-", c) >= 0) {
			safe = false
			break
		}
	}
	if safe {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}

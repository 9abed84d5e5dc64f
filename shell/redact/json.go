package redact

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/hmpsh/hmpsh/split"
)

// jsonLine redacts a line of raw JSON. It scans tokens rather than
// decoding, so that a line QEMU would reject (a missing brace, a string
// left open) is redacted too, and everything but the secrets stays as
// typed.
func jsonLine(s string) string {
	var b strings.Builder
	var key string    // the last string read, while it may be a key
	isKey := false    // key is followed by ':' so far
	var member string // the member whose value comes next
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			end, closed := scanString(s, i)
			lit := s[i:end]
			i = end
			if member != "" {
				b.WriteString(redactValue(member, lit, closed))
				member = ""
				continue
			}
			b.WriteString(lit)
			key, isKey = decodeString(lit, closed), true
			continue
		case c == ':':
			if isKey && (secretMember(key) || is(key, "command-line")) {
				member = key
			}
			isKey = false
		case split.IsSpace(c):
		case member != "" && (c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'):
			// A number (or a bare word) where a secret string goes.
			end := i
			for end < len(s) && !strings.ContainsRune(",:{}[]\" \t\n\r\v\f", rune(s[end])) {
				end++
			}
			if secretMember(member) {
				b.WriteString(`"` + Mask + `"`)
			} else {
				b.WriteString(s[i:end])
			}
			member, isKey = "", false
			i = end
			continue
		default:
			member, isKey = "", false
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

func secretMember(name string) bool {
	return isAny(name, "password", "secret", "passphrase", "data")
}

// scanString finds the end of the string literal at s[i]: just past its
// closing quote, or the end of s when it is not closed.
func scanString(s string, i int) (end int, closed bool) {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return len(s), false
}

// decodeString reads a string literal (one left open as if closed); a
// literal JSON rejects reads as its raw text.
func decodeString(lit string, closed bool) string {
	if !closed {
		lit += `"`
	}
	var v string
	if json.Unmarshal([]byte(lit), &v) == nil {
		return v
	}
	return strings.Trim(lit, `"`)
}

// redactValue rewrites the string literal of a secret member, or the HMP
// line of command-line. A literal left open stays open.
func redactValue(member, lit string, closed bool) string {
	if secretMember(member) {
		if closed {
			return `"` + Mask + `"`
		}
		return `"` + Mask
	}
	// command-line: redact the HMP line it holds.
	read := lit
	if !closed {
		// A lone backslash at the end would escape the quote added
		// to read it; read without it, the line is broken anyway.
		if n := len(read) - len(strings.TrimRight(read, `\`)); n%2 == 1 {
			read = read[:len(read)-1]
		}
	}
	v := decodeString(read, closed)
	r := Line(v)
	if r == v {
		return lit
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return `"` + Mask + `"`
	}
	out := strings.TrimSuffix(buf.String(), "\n")
	if !closed {
		out = strings.TrimSuffix(out, `"`)
	}
	return out
}

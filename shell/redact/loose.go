package redact

import "strings"

// looseValues redacts key=value words whose value the HMP word rules cut
// short: a value in single or double quotes that starts after "key=" (HMP
// quotes only whole words, so `command-line="set_password vnc x"` is
// three words to it) or one with backslash-escaped spaces. Such a line is
// one hmpsh rejects, and it goes to the history all the same: its value
// is read here as a shell would read it, to its closing quote or to the
// first unescaped space. A secret key's value is masked whole; a
// command-line's value is an HMP line, redacted by the same rules.
func looseValues(line string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(line); i++ {
		if i > 0 && line[i-1] != ' ' && line[i-1] != '\t' {
			continue
		}
		// The key is in this word: look no further than its end, so that
		// a long line costs its length, not its square.
		word := line[i:]
		if n := strings.IndexAny(word, " \t"); n >= 0 {
			word = word[:n]
		}
		eq := strings.IndexByte(word, '=')
		if eq <= 0 {
			continue
		}
		key := word[:eq]
		if strings.ContainsAny(key, "\"'") {
			continue
		}
		secret, cmdline := secretKey(key, true), is(key, "command-line")
		if !secret && !cmdline {
			continue
		}
		start := i + eq + 1
		end, inner := looseValue(line, start)
		if !needsLoose(line[start:end]) {
			continue
		}
		value := Mask
		if !secret {
			// A line without secrets stays as typed.
			if value = Line(inner); value == inner {
				continue
			}
			value = split2quote(value)
		}
		b.WriteString(line[last:start])
		b.WriteString(value)
		last = end
		i = end - 1
	}
	if last == 0 {
		return line
	}
	b.WriteString(line[last:])
	return b.String()
}

// needsLoose reports whether the HMP word rules would cut value short.
func needsLoose(value string) bool {
	return strings.HasPrefix(value, `"`) || strings.HasPrefix(value, "'") || strings.Contains(value, `\ `)
}

// looseValue reads a value from line[start:] as a shell would: quoted to
// its closing quote (or the end of the line), else to the first unescaped
// white space. It returns where the value ends and its text.
func looseValue(line string, start int) (end int, text string) {
	if start < len(line) && (line[start] == '"' || line[start] == '\'') {
		q := line[start]
		var b strings.Builder
		for i := start + 1; i < len(line); i++ {
			switch {
			case line[i] == '\\' && q == '"' && i+1 < len(line):
				i++
				b.WriteByte(line[i])
			case line[i] == q:
				return i + 1, b.String()
			default:
				b.WriteByte(line[i])
			}
		}
		return len(line), b.String()
	}
	var b strings.Builder
	i := start
	for ; i < len(line) && line[i] != ' ' && line[i] != '\t'; i++ {
		if line[i] == '\\' && i+1 < len(line) {
			i++
		}
		b.WriteByte(line[i])
	}
	return i, b.String()
}

// split2quote writes an HMP line as one double-quoted value.
func split2quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

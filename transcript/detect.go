package transcript

import "strings"

// LooksLike reports whether text reads as a transcript rather than as a
// plain script of lines: its first line that is neither blank nor a
// comment is an input line, "(NAME) ..." after any conditions. It decides
// by that line alone, so a transcript with a mistake further down still
// looks like one (and Parse says what the mistake is).
func LooksLike(text string) bool {
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\n")
		switch classify(line) {
		case blankLine, commentLine:
			continue
		case inputLineKind:
			return true
		}
		return false
	}
	return false
}

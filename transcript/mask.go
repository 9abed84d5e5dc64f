package transcript

// The masks work on patterns (what Literal returns), token by token, so
// that a variable or a "$${" is never cut in half, and they keep the
// property that the masked pattern still matches every line the pattern
// matched before.

// MaskNumbers replaces every number in a pattern with "...". A number is
// a run of decimal digits, possibly joined to further digits by single
// '.', ':', '/' or '-' characters (so "1.23", "10.0.2", "12:34:56.789",
// "10.0.2.15" and "2026-11-26" are one number each), or a hexadecimal
// "0x1f". Masks that would touch (an earlier "..." included) merge into
// one, and literal dots just before a mask join it, since "v." followed
// by "..." would read back as "..." followed by ".". Examples:
//
//	"total time: 47 ms"                          → "total time: ... ms"
//	"throughput: 0.00 mbps"                      → "throughput: ... mbps"
//	"event 2026-11-26T07:44:24.545745Z src STOP" → "event ...T...Z src STOP"
//	"x86_64"                                     → "x..._..."
//
// Digits inside words are masked too: use it on output whose numbers
// change from run to run, not on every line.
func MaskNumbers(pattern string) string {
	out := make([]byte, 0, len(pattern))
	wildEnd := -1 // len(out) just after the last "..." written
	wild := func() {
		t := len(out)
		for t > 0 && t > wildEnd && out[t-1] == '.' {
			t--
		}
		out = out[:t]
		if t != wildEnd {
			out = append(out, "..."...)
			wildEnd = len(out)
		}
	}
	for i := 0; i < len(pattern); {
		tok, end := nextToken(pattern, i)
		switch {
		case tok == tokWild:
			wild()
		case tok == tokByte && isDigit(pattern[i]):
			wild()
			end = numberEnd(pattern, i)
		default:
			out = append(out, pattern[i:end]...)
		}
		i = end
	}
	return string(out)
}

func numberEnd(s string, i int) int {
	if s[i] == '0' && i+2 < len(s) && s[i+1]|0x20 == 'x' && isHex(s[i+2]) {
		i += 2
		for i < len(s) && isHex(s[i]) {
			i++
		}
		return i
	}
	for {
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i+1 < len(s) && (s[i] == '.' || s[i] == ':' || s[i] == '/' || s[i] == '-') && isDigit(s[i+1]) {
			i++
			continue
		}
		return i
	}
}

func isHex(c byte) bool { return isDigit(c) || 'a' <= c|0x20 && c|0x20 <= 'f' }

// MaskParens replaces what is inside each outermost pair of parentheses
// in a pattern with "...": "10.0.2 (Debian 1:10.0.2+ds-2)" becomes
// "10.0.2 (...)". Empty parentheses and a '(' without its ')' stay as
// they are; groups inside an unclosed '(' are still masked.
func MaskParens(pattern string) string {
	out := make([]byte, 0, len(pattern))
	for i := 0; i < len(pattern); {
		tok, end := nextToken(pattern, i)
		if tok == tokByte && pattern[i] == '(' {
			if c := closingParen(pattern, i); c > i+1 {
				out = append(out, "(...)"...)
				i = c + 1
				continue
			}
		}
		out = append(out, pattern[i:end]...)
		i = end
	}
	return string(out)
}

// closingParen returns the index of the ')' that closes the '(' at
// s[open], or -1.
func closingParen(s string, open int) int {
	depth := 0
	for i := open; i < len(s); {
		tok, end := nextToken(s, i)
		if tok == tokByte {
			switch s[i] {
			case '(':
				depth++
			case ')':
				depth--
				if depth == 0 {
					return i
				}
			}
		}
		i = end
	}
	return -1
}

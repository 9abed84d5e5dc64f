package transcript

import "strings"

// A pattern is read as a sequence of tokens. Compile and the masks share
// this reading so that a mask never splits what the matcher sees as one
// token (a "${NAME}", a "$${", a "...").
type token int

const (
	tokByte       token = iota // one byte of literal text
	tokWild                    // "...": any text within the line
	tokVar                     // "${NAME}"
	tokDollarCurl              // "$${": a literal "${"
)

func nextToken(s string, i int) (token, int) {
	rest := s[i:]
	switch {
	case strings.HasPrefix(rest, "$${"):
		return tokDollarCurl, i + 3
	case strings.HasPrefix(rest, "${"):
		if end := varEnd(s, i+2); end > 0 {
			return tokVar, end
		}
	case strings.HasPrefix(rest, "..."):
		return tokWild, i + 3
	}
	return tokByte, i + 1
}

// varEnd returns the index just past "NAME}" at s[i:], or -1.
func varEnd(s string, i int) int {
	j := i
	for j < len(s) && (isLetter(s[j]) || j > i && isDigit(s[j])) {
		j++
	}
	if j == i || j >= len(s) || s[j] != '}' {
		return -1
	}
	return j + 1
}

func isLetter(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }

// pattern is one compiled expected-output line.
type pattern struct {
	lines bool     // the line is "...": any number of lines
	parts []string // literal text between in-line "..." (one part: no wildcard)
}

// compile expands variables while splitting at "...", so a variable whose
// value contains "..." still matches only itself.
func compile(line string, vars func(string) (string, bool)) pattern {
	line = rtrim(line)
	if line == "..." {
		return pattern{lines: true}
	}
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(line); {
		tok, end := nextToken(line, i)
		switch tok {
		case tokWild:
			parts = append(parts, cur.String())
			cur.Reset()
		case tokDollarCurl:
			cur.WriteString("${")
		case tokVar:
			v, ok := "", false
			if vars != nil {
				v, ok = vars(line[i+2 : end-1])
			}
			if !ok {
				v = line[i:end]
			}
			cur.WriteString(v)
		default:
			cur.WriteString(line[i:end])
		}
		i = end
	}
	return pattern{parts: append(parts, rtrim(cur.String()))}
}

// matchLine matches one right-trimmed line against an in-line pattern.
// Leftmost placement of each middle part is enough: with only "match
// anything" wildcards, the earliest fit never rules out a later one.
func (p pattern) matchLine(s string) bool {
	if p.lines {
		return true
	}
	if len(p.parts) == 1 {
		return s == p.parts[0]
	}
	first, last := p.parts[0], p.parts[len(p.parts)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	s = s[len(first) : len(s)-len(last)]
	for _, mid := range p.parts[1 : len(p.parts)-1] {
		k := strings.Index(s, mid)
		if k < 0 {
			return false
		}
		s = s[k+len(mid):]
	}
	return true
}

// Literal returns a pattern that matches text: "${" becomes "$${" so that
// nothing in text is read as a variable. "..." in text stays a wildcard
// (which matches "..." too); the format has no way to demand three dots.
func Literal(text string) string { return strings.ReplaceAll(text, "${", "$${") }

// Lines splits the raw output of one input line into the lines that are
// compared: each right-trimmed, blank ones dropped.
func Lines(output string) []string {
	var lines []string
	for _, l := range strings.Split(output, "\n") {
		if l = rtrim(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// clean accepts lines or raw output alike, since Lines is idempotent.
func clean(got []string) []string {
	var lines []string
	for _, g := range got {
		lines = append(lines, Lines(g)...)
	}
	return lines
}

func compileAll(want []string, vars func(string) (string, bool)) []pattern {
	pats := make([]pattern, 0, len(want))
	for _, w := range want {
		if rtrim(w) != "" {
			pats = append(pats, compile(w, vars))
		}
	}
	return pats
}

// Match reports whether the actual output lines got are what the
// expected patterns want describe: line by line, with "..." inside a line
// matching any text in it, a "..." line matching any number of lines, and
// ${NAME} replaced through vars (nil: no variables; an unknown name stays
// as written). Trailing white space and blank lines are ignored on both
// sides, and an element of got may hold several lines.
func Match(want, got []string, vars func(string) (string, bool)) bool {
	return perfect(align(compileAll(want, vars), clean(got)))
}

type opKind int

const (
	opKeep opKind = iota // want[i] matches got[j]
	opWild               // the "..." line want[i] absorbs got[j:k]
	opSub                // want[i] is replaced by got[j]
	opDel                // want[i] matches nothing
	opAdd                // got[j] is matched by nothing
)

type op struct {
	kind    opKind
	i, j, k int
}

func perfect(ops []op) bool {
	for _, o := range ops {
		if o.kind != opKeep && o.kind != opWild {
			return false
		}
	}
	return true
}

// Edit costs, chosen for the alignment a person would make by hand:
//   - a "..." line absorbing a line is cheap but not free;
//   - removing an expected line costs most, so a "..." line does not
//     swallow the lines around a changed one while the person's check is
//     dropped;
//   - a changed line (an expected and an actual line alike at either
//     end) is replaced where it stands; replacing unlike lines costs as
//     much as removing one and adding the other.
//
// Every edit costs more than an absorption, so whenever a perfect
// alignment exists it is the cheapest one (Match relies on this).
const (
	costAbsorb  = 1
	costAdd     = 10
	costChange  = 10
	costDel     = 30
	costReplace = costDel + costAdd
)

func (p pattern) subCost(line string) int {
	first, last := p.parts[0], p.parts[len(p.parts)-1]
	shared := max(commonPrefix(strings.TrimLeft(first, " \t"), strings.TrimLeft(line, " \t")), commonSuffix(last, line))
	if shared >= 3 {
		// The more two lines share, the likelier one is the other changed:
		// "max-bandwidth: 512 MiB" becomes "max-bandwidth: 536870912
		// bytes/second", not "max-cpu-throttle: 99".
		return costChange + 8 - min(shared-3, 8)
	}
	return costReplace
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func commonSuffix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	return n
}

// align lines up expected patterns with actual lines at the least cost:
// a line-wise edit distance where a "..." line can take any run of
// actual lines. Ties go to keeping, then replacing, then deleting before
// adding, which reads best in a diff.
func align(want []pattern, got []string) []op {
	n, m := len(want), len(got)
	matches := make([][]bool, n)
	subs := make([][]int, n)
	cost := make([][]int, n+1)
	for i := range cost {
		cost[i] = make([]int, m+1)
	}
	for j := m; j >= 0; j-- {
		cost[n][j] = costAdd * (m - j)
	}
	for i := n - 1; i >= 0; i-- {
		matches[i] = make([]bool, m)
		subs[i] = make([]int, m)
		for j := m; j >= 0; j-- {
			if want[i].lines {
				c := cost[i+1][j]
				if j < m {
					c = min(c, costAbsorb+cost[i][j+1])
				}
				cost[i][j] = c
				continue
			}
			c := costDel + cost[i+1][j]
			if j < m {
				matches[i][j] = want[i].matchLine(got[j])
				if matches[i][j] {
					c = min(c, cost[i+1][j+1])
				}
				subs[i][j] = want[i].subCost(got[j])
				c = min(c, costAdd+cost[i][j+1], subs[i][j]+cost[i+1][j+1])
			}
			cost[i][j] = c
		}
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i == n:
			ops = append(ops, op{kind: opAdd, j: j})
			j++
		case want[i].lines:
			k := j
			for k < m && cost[i][k] != cost[i+1][k] {
				k++
			}
			ops = append(ops, op{kind: opWild, i: i, j: j, k: k})
			i, j = i+1, k
		case j < m && matches[i][j] && cost[i][j] == cost[i+1][j+1]:
			ops = append(ops, op{kind: opKeep, i: i, j: j})
			i, j = i+1, j+1
		case j < m && cost[i][j] == subs[i][j]+cost[i+1][j+1]:
			ops = append(ops, op{kind: opSub, i: i, j: j})
			i, j = i+1, j+1
		case cost[i][j] == costDel+cost[i+1][j]:
			ops = append(ops, op{kind: opDel, i: i})
			i++
		default:
			ops = append(ops, op{kind: opAdd, j: j})
			j++
		}
	}
	return ops
}

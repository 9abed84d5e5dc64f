package transcript

import (
	"fmt"
	"strings"
)

// failing aligns an entry's expectation with its result; ok is false
// when the entry has no result or matches it.
func (e *Entry) failing(results map[*Entry][]string, vars func(string) (string, bool)) (ops []op, got []string, ok bool) {
	res, ok := results[e]
	if !ok {
		return nil, nil, false
	}
	got = clean(res)
	ops = align(compileAll(e.Want, vars), got)
	return ops, got, !perfect(ops)
}

// Diff shows how the entries that have a result in results (the actual
// output of their input line, as lines or raw text) fail to match: a
// unified diff naming the file, with one hunk per failing entry headed by
// its line number and input line. "-" lines are expected patterns as the
// file has them (unescaped), "+" lines actual output, " " lines expected
// patterns that matched. Entries that match, or have no result, are left
// out; when none fails Diff returns "".
func (f *File) Diff(results map[*Entry][]string, vars func(string) (string, bool)) string {
	var b strings.Builder
	for _, e := range f.Entries {
		ops, got, failing := e.failing(results, vars)
		if !failing {
			continue
		}
		if b.Len() == 0 {
			fmt.Fprintf(&b, "--- %s (want)\n+++ %s (got)\n", f.Name, f.Name)
		}
		fmt.Fprintf(&b, "@@ %s:%d: %s @@\n", f.Name, e.Line, strings.TrimSpace(e.raw))
		// Removed and added lines are gathered so that a run of changes
		// reads as all "-" then all "+", as diff(1) prints them.
		var minus, plus []string
		flush := func() {
			for _, l := range minus {
				b.WriteString("-" + l + "\n")
			}
			for _, l := range plus {
				b.WriteString("+" + l + "\n")
			}
			minus, plus = minus[:0], plus[:0]
		}
		for _, o := range ops {
			switch o.kind {
			case opKeep, opWild:
				flush()
				b.WriteString(" " + e.Want[o.i] + "\n")
			case opSub:
				minus = append(minus, e.Want[o.i])
				plus = append(plus, got[o.j])
			case opDel:
				minus = append(minus, e.Want[o.i])
			case opAdd:
				plus = append(plus, got[o.j])
			}
		}
		flush()
	}
	return b.String()
}

// Update rewrites the expected output of every entry that has a result
// in results and does not match it, and returns how many it rewrote.
// Expected lines that match an actual line stay as the person wrote them
// (their "..." and ${VAR} included), "..." lines stay and absorb what
// they can, expected lines that match nothing are removed, and actual
// lines that nothing matches are added where they belong. Comments and
// blank lines under the input line keep their place among the expected
// lines. Entries that match or have no result (skipped by their
// conditions) are not touched.
//
// An added line is written as mask(entry, Literal(line)), escaped; mask
// (nil: none) may replace parts of that pattern with "..." or ${VAR}.
// A mask result that is blank, has a line break or no longer matches the
// line under vars is not used, so an updated entry always matches its
// result.
func (f *File) Update(results map[*Entry][]string, vars func(string) (string, bool), mask func(e *Entry, pattern string) string) int {
	n := 0
	for _, e := range f.Entries {
		ops, got, failing := e.failing(results, vars)
		if !failing {
			continue
		}
		e.rewrite(ops, got, vars, mask)
		n++
	}
	if n > 0 {
		f.renumber()
	}
	return n
}

func (e *Entry) rewrite(ops []op, got []string, vars func(string) (string, bool), mask func(*Entry, string) string) {
	// before[i] holds the comments and blank lines just above Want[i];
	// before[len(Want)] those after the last expected line.
	before := make([][]string, len(e.Want)+1)
	var wantRaw []string
	for _, b := range e.body {
		if b.want {
			wantRaw = append(wantRaw, b.text)
		} else {
			before[len(wantRaw)] = append(before[len(wantRaw)], b.text)
		}
	}
	var body []bodyLine
	var want []string
	next := 0
	placeBefore := func(i int) {
		for ; next <= i; next++ {
			for _, t := range before[next] {
				body = append(body, bodyLine{text: t})
			}
		}
	}
	keep := func(i int) {
		body = append(body, bodyLine{text: wantRaw[i], want: true})
		want = append(want, e.Want[i])
	}
	add := func(line string) {
		p := Literal(line)
		if mask != nil {
			if m := rtrim(mask(e, p)); m != "" && !strings.ContainsAny(m, "\r\n") && compile(m, vars).matchLine(line) {
				p = m
			}
		}
		body = append(body, bodyLine{text: Escape(p), want: true})
		want = append(want, p)
	}
	for _, o := range ops {
		switch o.kind {
		case opKeep, opWild:
			placeBefore(o.i)
			keep(o.i)
		case opSub:
			placeBefore(o.i)
			add(got[o.j])
		case opDel:
			placeBefore(o.i)
		case opAdd:
			add(got[o.j])
		}
	}
	placeBefore(len(e.Want))
	e.body, e.Want = body, want
}

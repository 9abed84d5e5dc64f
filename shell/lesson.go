package shell

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/scripts/lessons"
	"github.com/hmpsh/hmpsh/transcript"
)

// A lesson of hmpsh learn is a transcript (scripts/lessons/NN-name.hmpt)
// read with a small convention on top of the format; scripts/lessons/
// README.md is its description for authors:
//
//   - "# title: ..." and "# summary: ..." directives name it;
//     "# sandbox-machine: pc" gives it VMs with RAM, as for hmpsh check.
//   - The other comments before the first input line are its introduction.
//   - An input line with a comment block directly above it (no blank line
//     between) is a step: the block states the task; "# hint: ..." lines
//     in it are hints, "# accept: LINE" lines other answers that pass
//     (for hmpsh's own commands, which send nothing to compare).
//   - A block with a line "# auto" makes its input line one that hmpsh
//     runs itself (setup); the block's other lines are a note.
//   - An input line without a block directly above it continues the step
//     or the auto lines above it: after a step, it is one of the step's
//     checks, run after the person's line, which must print what the
//     transcript expects for the step to pass.
//
// So a lesson still replays with hmpsh check, lines in file order.

// lessonDirectives are the header directives a lesson reads; they are not
// part of its introduction.
var lessonDirectives = map[string]bool{"title": true, "summary": true, "sandbox-machine": true, "output": true}

var lessonFileName = regexp.MustCompile(`^([0-9]+)-[A-Za-z0-9_.-]*\.hmpt$`)

// lesson is one lesson file, read.
type lesson struct {
	Num     int    // from the file name, NN-
	Name    string // the file's name
	Title   string
	Summary string
	Machine string   // the sandbox's -machine ("" for none)
	Intro   []string // the introduction, one text line each ("" between paragraphs)
	Parts   []*part  // in file order
}

// part is a step, or lines hmpsh runs itself.
type part struct {
	Auto   bool
	Text   []string // a step's task; an auto block's note
	Hints  []string
	Accept []string            // other answers that pass
	Lines  []*transcript.Entry // a step's answer, then its checks; or the auto lines
}

// commentText is a comment line's text: without "#" and one space.
func commentText(line string) string {
	t := strings.TrimPrefix(line, "#")
	t = strings.TrimPrefix(t, " ")
	return strings.TrimRight(t, " \t")
}

// trimBlank drops blank lines at both ends and runs of them inside.
func trimBlank(lines []string) []string {
	var out []string
	for _, l := range lines {
		if l == "" && (len(out) == 0 || out[len(out)-1] == "") {
			continue
		}
		out = append(out, l)
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// parseLesson reads a lesson file. Errors read "NAME:LINE: message".
func parseLesson(name string, data []byte) (*lesson, error) {
	f, err := transcript.Parse(name, bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	l := &lesson{Name: path.Base(name), Title: f.Directives["title"], Summary: f.Directives["summary"], Machine: f.Directives["sandbox-machine"]}
	if m := lessonFileName.FindStringSubmatch(l.Name); m != nil {
		l.Num, _ = strconv.Atoi(m[1])
	}
	if l.Title == "" {
		return nil, fmt.Errorf("%s: no \"# title: ...\" line before the first input line", name)
	}
	head := f.Head()
	if len(f.Entries) > 0 {
		head = head[:len(head)-len(f.Entries[0].Lead)]
	}
	for _, h := range head {
		if k, _, ok := transcript.Directive(h); ok && lessonDirectives[k] {
			continue
		}
		if strings.HasPrefix(h, "#") {
			l.Intro = append(l.Intro, commentText(h))
		} else {
			l.Intro = append(l.Intro, "")
		}
	}
	l.Intro = trimBlank(l.Intro)
	var cur *part
	steps := 0
	for i, e := range f.Entries {
		p := &part{}
		var text []string
		for _, c := range e.Lead {
			if k, _, ok := transcript.Directive(c); ok && i == 0 && lessonDirectives[k] {
				continue
			}
			t := commentText(c)
			switch {
			case t == "auto":
				p.Auto = true
			case strings.HasPrefix(t, "hint:"):
				p.Hints = append(p.Hints, strings.TrimSpace(strings.TrimPrefix(t, "hint:")))
			case strings.HasPrefix(t, "accept:"):
				p.Accept = append(p.Accept, strings.TrimSpace(strings.TrimPrefix(t, "accept:")))
			default:
				text = append(text, t)
			}
		}
		p.Text = trimBlank(text)
		p.Lines = []*transcript.Entry{e}
		switch {
		case p.Auto && (len(p.Hints) > 0 || len(p.Accept) > 0):
			return nil, fmt.Errorf("%s:%d: a line hmpsh runs itself (# auto) takes no hint: or accept: lines", name, e.Line)
		case !p.Auto && len(p.Text) == 0 && (len(p.Hints) > 0 || len(p.Accept) > 0):
			return nil, fmt.Errorf("%s:%d: a step states its task in the comment block above its line, before its hints", name, e.Line)
		case p.Auto || len(p.Text) > 0:
			if !p.Auto {
				steps++
			}
			l.Parts = append(l.Parts, p)
			cur = p
		case cur == nil:
			// Lines before any step or "# auto" block are setup.
			p.Auto = true
			l.Parts = append(l.Parts, p)
			cur = p
		default:
			cur.Lines = append(cur.Lines, e)
		}
	}
	if steps == 0 {
		return nil, fmt.Errorf("%s: no step: a step is an input line with its task in the comment block directly above it", name)
	}
	return l, nil
}

// active is the lesson's parts for a QEMU: a part whose first line's
// conditions do not hold is left out with all its lines; the other lines
// of a part are left out one by one.
func (l *lesson) active(v qmp.Version) []*part {
	var out []*part
	for _, p := range l.Parts {
		if !entryHolds(p.Lines[0], v) {
			continue
		}
		q := *p
		q.Lines = nil
		for _, e := range p.Lines {
			if entryHolds(e, v) {
				q.Lines = append(q.Lines, e)
			}
		}
		out = append(out, &q)
	}
	return out
}

func entryHolds(e *transcript.Entry, v qmp.Version) bool {
	for _, c := range e.Conds {
		if !c.Holds(v.Major, v.Minor, v.Micro) {
			return false
		}
	}
	return true
}

// builtinLessons reads every lesson built into hmpsh, in number order.
func builtinLessons() ([]*lesson, error) {
	names, err := fs.Glob(lessons.FS, "*.hmpt")
	if err != nil {
		return nil, err
	}
	var out []*lesson
	for _, n := range names {
		if !lessonFileName.MatchString(n) {
			continue
		}
		data, err := fs.ReadFile(lessons.FS, n)
		if err != nil {
			return nil, err
		}
		l, err := parseLesson("scripts/lessons/"+n, data)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b *lesson) int { return a.Num - b.Num })
	return out, nil
}

// findLesson is lesson N of the built-in ones, or the lesson file at a
// path (one being written).
func findLesson(arg string, all []*lesson) (*lesson, error) {
	if n, err := strconv.Atoi(arg); err == nil {
		for _, l := range all {
			if l.Num == n {
				return l, nil
			}
		}
		return nil, fmt.Errorf("no lesson %d; hmpsh learn lists them (%s)", n, lessonRange(all))
	}
	if !strings.HasSuffix(arg, ".hmpt") {
		return nil, fmt.Errorf("%q is neither a lesson's number nor a lesson file (.hmpt); hmpsh learn lists the lessons", arg)
	}
	data, err := os.ReadFile(arg)
	if err != nil {
		return nil, err
	}
	return parseLesson(arg, data)
}

func lessonRange(all []*lesson) string {
	if len(all) == 0 {
		return "none built in"
	}
	return fmt.Sprintf("%d to %d", all[0].Num, all[len(all)-1].Num)
}

package shell

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/shell/redact"
	"github.com/hmpsh/hmpsh/split"
	"github.com/hmpsh/hmpsh/transcript"
)

// recorder writes a session as a transcript (--record): each line after
// its prompt, what it printed below it, masked where a value changes from
// run to run, so that "hmpsh check" passes on the recording again.
type recorder struct {
	f   *os.File
	bw  *bufio.Writer
	w   *transcript.Writer
	buf bytes.Buffer
	mk  masker
	err error // the first write error; recording stops there
}

// startRecording creates path and writes the transcript's header.
func startRecording(path string, s *Session, machine string) (*recorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriter(f)
	r := &recorder{f: f, bw: bw, w: transcript.NewWriter(bw), mk: maskerFor(s)}
	r.note(r.w.Comment("hmpsh transcript: \"hmpsh check FILE\" replays it and compares the output."))
	var versions []string
	for _, m := range s.Monitors() {
		versions = append(versions, m.Name+" "+m.Version().String())
	}
	r.note(r.w.Comment("Recorded on QEMU " + strings.Join(versions, ", ") + "."))
	if r.mk.dir != "" && machine != "" && machine != "none" {
		r.note(r.w.Comment("sandbox-machine: " + machine))
	}
	if s.cfg.JSON {
		// check prints as the recording did: in JSON.
		r.note(r.w.Comment("output: json"))
	}
	return r, r.err
}

func (r *recorder) note(err error) {
	if r.err == nil {
		r.err = err
	}
}

// input writes a line as typed, after the prompt it was typed at, and
// starts collecting what it prints. Secrets are left out as the history
// file leaves them out.
func (r *recorder) input(s *Session, line string) {
	r.note(r.w.Input(promptName(s), r.mk.path(redact.Line(line))))
	r.buf.Reset()
	s.out.setTee(&r.buf)
}

// output writes what the line printed, and its error as the shell shows it.
func (r *recorder) output(s *Session, err error) {
	s.out.setTee(nil)
	if err != nil && !errors.Is(err, errExit) {
		r.buf.WriteString(err.Error())
		r.buf.WriteByte('\n')
	}
	r.note(r.w.Output(r.buf.String(), r.mk.mask(s.sent)))
	r.note(r.bw.Flush())
}

func (r *recorder) close() error {
	r.note(r.bw.Flush())
	r.note(r.f.Close())
	return r.err
}

// promptName is the name in the prompt: the current monitor, or "qemu"
// when there is one.
func promptName(s *Session) string {
	p := strings.TrimSuffix(prompt(s), " ")
	return strings.TrimSuffix(strings.TrimPrefix(p, "("), ")")
}

// masker writes output so that it matches again in another run: the
// sandbox's directory as ${SANDBOX}, and "..." for what a run cannot
// repeat: event timestamps, the timings and sizes of a migration's
// summary and of query-migrate (ports the kernel chose included), QEMU's
// build string. Which output is whose is known from what the line sent,
// not from the text's layout, which differs between QEMU versions.
type masker struct {
	dir, port string
	// names are the monitors whose "NAME: " starts the lines of their
	// blocks in the output of "@* LINE": a line is masked after it.
	names []string
}

// maskerFor masks the variables of s's sandbox, ${SANDBOX} and ${PORT},
// and knows its monitors.
func maskerFor(s *Session) masker {
	return masker{dir: s.vars["SANDBOX"], port: s.vars["PORT"], names: s.mons.names()}
}

// cutBlock cuts the "NAME: " of a monitor's block (fleet.go) off a line of
// output, padding included.
func (mk masker) cutBlock(l string) (prefix, rest string) {
	for _, n := range mk.names {
		after, ok := strings.CutPrefix(l, n+":")
		if !ok || after != "" && after[0] != ' ' {
			continue
		}
		rest = strings.TrimLeft(after, " ")
		return l[:len(l)-len(rest)], rest
	}
	return "", l
}

func (mk masker) path(s string) string {
	if mk.dir != "" {
		s = strings.ReplaceAll(s, mk.dir, "${SANDBOX}")
	}
	return mk.portVar(s)
}

// portVar writes the sandbox's port as ${PORT} where it stands as a whole
// number, not as part of a longer one.
func (mk masker) portVar(s string) string {
	if mk.port == "" || !strings.Contains(s, mk.port) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, mk.port)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := i + len(mk.port)
		whole := (i == 0 || !isDigit(s[i-1])) && (j == len(s) || !isDigit(s[j]))
		b.WriteString(s[:i])
		if whole {
			b.WriteString("${PORT}")
		} else {
			b.WriteString(mk.port)
		}
		s = s[j:]
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// outputPath is path for a line of output. In a line laid out in columns
// (two spaces in a row somewhere in it), the spaces after a word that
// holds the directory pad it to the next column: how many there are
// depends on the directory's length, which changes with $TMPDIR and the
// random part of its name (.monitors' addresses), so they become " ...".
func (mk masker) outputPath(l string) string {
	if mk.dir == "" || !strings.Contains(l, mk.dir) {
		return l
	}
	if !strings.Contains(strings.TrimLeft(l, " "), "  ") {
		return mk.path(l)
	}
	var b strings.Builder
	for {
		i := strings.Index(l, mk.dir)
		if i < 0 {
			b.WriteString(l)
			return b.String()
		}
		b.WriteString(l[:i])
		l = l[i:]
		end := strings.IndexByte(l, ' ') // the end of the word
		if end < 0 {
			b.WriteString(mk.path(l))
			return b.String()
		}
		b.WriteString(mk.path(l[:end]))
		l = l[end:]
		if rest := strings.TrimLeft(l, " "); rest != "" {
			b.WriteString(" ...")
			l = rest
		}
	}
}

// mask is the mask for the output of a line that sent reqs: it takes one
// line of output, written as a pattern (transcript.Literal), and returns it
// masked.
func (mk masker) mask(sent []qmp.Request) func(string) string {
	numbers, version := false, false
	for _, r := range sent {
		switch sentCommand(r) {
		case "query-migrate", "info migrate":
			numbers = true
		case "query-version", "info version":
			version = true
		}
	}
	return func(l string) string {
		block, l := mk.cutBlock(l)
		l = mk.portVar(mk.outputPath(l))
		switch {
		case strings.HasPrefix(l, "event "):
			// "event TIMESTAMP [MONITOR ]NAME {data}"
			if _, rest, ok := strings.Cut(l[len("event "):], " "); ok {
				l = "event ... " + rest
			}
		case strings.HasPrefix(l, `{"event":`):
			// --json: the timestamp's seconds and microseconds.
			if i := strings.Index(l, `"timestamp":`); i >= 0 {
				l = l[:i] + transcript.MaskNumbers(l[i:])
			}
		case strings.HasPrefix(l, "migration ") || strings.HasPrefix(l, `{"migration":`) || numbers:
			l = maskUnits.ReplaceAllString(transcript.MaskNumbers(l), "...")
		case version:
			l = maskBuild(l)
		}
		return block + l
	}
}

// maskUnits takes a masked number's unit into the mask: the same amount
// is "900 KiB" in one run and "1.1 MiB" in the next.
var maskUnits = regexp.MustCompile(`\.\.\. ?(B|KiB|MiB|GiB|TiB|bytes|kbytes|ms|s|us|Mbps|mbps|pages)\b`)

// packageMember is query-version's "package" member and its string.
var packageMember = regexp.MustCompile(`("package":\s*)"(?:[^"\\]|\\.)*"`)

// maskBuild keeps the version of "10.0.2Debian 1:10.0.2+ds-2" (as QEMU's
// info version prints it; some builds put the package in parentheses) and
// masks the build string after it (with --json, inside {"return":"..."});
// in query-version's reply, the package, whether the reply is indented or
// on one line.
func maskBuild(l string) string {
	if strings.Contains(l, `"package":`) {
		return packageMember.ReplaceAllString(l, `${1}"..."`)
	}
	if rest, ok := strings.CutPrefix(l, `{"return":"`); ok {
		return `{"return":"` + maskBuild(rest)
	}
	i := 0
	for i < len(l) && (l[i] >= '0' && l[i] <= '9' || l[i] == '.') {
		i++
	}
	if i > 0 && i < len(l) {
		return l[:i] + "..."
	}
	return l
}

// sentCommand is the QMP command a request runs, or for HMP passed through
// its command and first argument ("info migrate").
func sentCommand(r qmp.Request) string {
	if r.Execute != "human-monitor-command" {
		return r.Execute
	}
	line, _ := r.Arguments.Str("command-line")
	words := split.WordsLenient(line)
	switch {
	case len(words) == 0:
		return ""
	case len(words) == 1:
		return words[0].Text
	}
	return fmt.Sprintf("%s %s", words[0].Text, words[1].Text)
}

package transcript

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func parse(t *testing.T, text string) *File {
	t.Helper()
	f, err := Parse("t.hmpt", strings.NewReader(text))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return f
}

func write(t *testing.T, f *File) string {
	t.Helper()
	var b bytes.Buffer
	n, err := f.WriteTo(&b)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(b.Len()) {
		t.Fatalf("WriteTo returned %d, wrote %d bytes", n, b.Len())
	}
	return b.String()
}

func vars(m map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

func TestParse(t *testing.T) {
	text := `# sandbox-machine: pc
#   sandbox-accel:kvm
# note:
# see https://qemu.org
#not-a-directive here
# Bad-Key: no

(src) info status
VM status: running   
# a comment among the output
\# not a comment
\\ starts with a backslash
\(dst) looks like input
\[qemu>=9.0] (src) looks like input too
\
\   
  indented stays indented

[qemu>=9.0] [qemu < 10.2]	(dst) info migrate
Status: ...
...
(qemu)
(src)  two spaces
# sandbox-cpu: max
`
	f := parse(t, text)
	wantDirectives := map[string]string{"sandbox-machine": "pc", "note": ""}
	if !reflect.DeepEqual(f.Directives, wantDirectives) {
		t.Errorf("Directives = %q, want %q", f.Directives, wantDirectives)
	}
	type entry struct {
		Line          int
		Conds         []Cond
		Prompt, Input string
		Want          []string
	}
	var got []entry
	for _, e := range f.Entries {
		got = append(got, entry{e.Line, e.Conds, e.Prompt, e.Input, e.Want})
	}
	want := []entry{
		{8, nil, "src", "info status", []string{
			"VM status: running",
			"# not a comment",
			`\ starts with a backslash`,
			"(dst) looks like input",
			"[qemu>=9.0] (src) looks like input too",
			"  indented stays indented",
		}},
		{19, []Cond{
			{Op: ">=", Version: [3]int{9, 0, 0}, Parts: 2, Text: "[qemu>=9.0]"},
			{Op: "<", Version: [3]int{10, 2, 0}, Parts: 2, Text: "[qemu < 10.2]"},
		}, "dst", "info migrate", []string{"Status: ...", "..."}},
		{22, nil, "qemu", "", nil},
		{23, nil, "src", " two spaces", nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entries:\n got %+v\nwant %+v", got, want)
	}
}

func TestParseDirectiveSpacing(t *testing.T) {
	f := parse(t, "#sandbox-machine:  q35  \n(src) x\n")
	if got := f.Directives["sandbox-machine"]; got != "q35" {
		t.Errorf("directive = %q, want q35", got)
	}
}

// TestParseLead: the comments directly above an input line are its Lead,
// wherever they are (the head, among another entry's output); a blank
// line or an output line in between cuts them off.
func TestParseLead(t *testing.T) {
	text := `# title: a lesson
# An introduction.

# The first task.
# hint: a hint
(src) migrate unix:/x
migration completed
# the second task, right under output
[qemu>=8.2] (src) info status
VM status: running
# a comment cut off by a blank line

(src) info migrate
# one
#
# two
(dst) info status
`
	f := parse(t, text)
	var got [][]string
	for _, e := range f.Entries {
		got = append(got, e.Lead)
	}
	want := [][]string{
		{"# The first task.", "# hint: a hint"},
		{"# the second task, right under output"},
		nil,
		{"# one", "#", "# two"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Lead:\n got %q\nwant %q", got, want)
	}
	wantHead := []string{"# title: a lesson", "# An introduction.", "", "# The first task.", "# hint: a hint"}
	if h := f.Head(); !reflect.DeepEqual(h, wantHead) {
		t.Errorf("Head() = %q, want %q", h, wantHead)
	}
	if out := write(t, f); out != text {
		t.Errorf("round trip changed the file:\n%s", out)
	}
	for _, tc := range []struct {
		line, key, value string
		ok               bool
	}{
		{"# title: a lesson", "title", "a lesson", true},
		{"#hint:  x  ", "hint", "x", true},
		{"# hint:", "hint", "", true},
		{"# The first task.", "", "", false},
		{"# Bad-Key: no", "", "", false},
	} {
		k, v, ok := Directive(tc.line)
		if k != tc.key || v != tc.value || ok != tc.ok {
			t.Errorf("Directive(%q) = %q, %q, %v; want %q, %q, %v", tc.line, k, v, ok, tc.key, tc.value, tc.ok)
		}
	}
}

func TestParseConditions(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []Cond
	}{
		{"[qemu>=9.0] (src) x", []Cond{{">=", [3]int{9, 0, 0}, 2, "[qemu>=9.0]"}}},
		{"[qemu<=10.1.2] (src) x", []Cond{{"<=", [3]int{10, 1, 2}, 3, "[qemu<=10.1.2]"}}},
		{"[ qemu != 7.2 ]  (src) x", []Cond{{"!=", [3]int{7, 2, 0}, 2, "[ qemu != 7.2 ]"}}},
		{"[qemu==8.2.0] [qemu>8.1] [qemu<9.0] (a_b-1) x", []Cond{
			{"==", [3]int{8, 2, 0}, 3, "[qemu==8.2.0]"},
			{">", [3]int{8, 1, 0}, 2, "[qemu>8.1]"},
			{"<", [3]int{9, 0, 0}, 2, "[qemu<9.0]"},
		}},
	} {
		f := parse(t, tc.line+"\n")
		if len(f.Entries) != 1 || !reflect.DeepEqual(f.Entries[0].Conds, tc.want) {
			t.Errorf("%q: conds %+v, want %+v", tc.line, f.Entries[0].Conds, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"VM status: running\n(src) info status\n", "t.hmpt:1: output before any input line"},
		{"# c\n\n  indented\n", "t.hmpt:3: output before any input line"},
		{"# c\n\\# escaped\n", "t.hmpt:2: output before any input line"},
		{"(src) x\n[kvm] (src) y\n", "t.hmpt:2: unknown condition [kvm]"},
		{"(src) x\n\n[] (src) y\n", "t.hmpt:3: unknown condition []"},
		{"[qemus>=9.0] (src) y\n", "t.hmpt:1: unknown condition [qemus>=9.0]"},
		{"[qemu>=9] (src) y\n", "t.hmpt:1: malformed condition [qemu>=9]"},
		{"[qemu=>9.0] (src) y\n", "t.hmpt:1: malformed condition [qemu=>9.0]"},
		{"[qemu~9.0] (src) y\n", "t.hmpt:1: malformed condition [qemu~9.0]"},
		{"[qemu>=9.0.1.2] (src) y\n", "t.hmpt:1: malformed condition [qemu>=9.0.1.2]"},
		{"[qemu >= 9.a] (src) y\n", "t.hmpt:1: malformed condition [qemu >= 9.a]"},
		{"[qemu] (src) y\n", "t.hmpt:1: malformed condition [qemu]"},
		{"[qemu>=9.0] [qemu>=99999999999999999999.0] (src) y\n", "t.hmpt:1: malformed condition [qemu>=99999999999999999999.0]"},
	} {
		_, err := Parse("t.hmpt", strings.NewReader(tc.text))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error starting %q", tc.text, err, tc.want)
		}
	}
}

func TestParseReadError(t *testing.T) {
	boom := errors.New("boom")
	_, err := Parse("t.hmpt", iotest.ErrReader(boom))
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "t.hmpt: ") {
		t.Errorf("Parse of a failing reader = %v", err)
	}
}

func TestCondHolds(t *testing.T) {
	cond := func(text string) Cond {
		t.Helper()
		c, err := parseCond(text)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tc := range []struct {
		cond                string
		major, minor, micro int
		want                bool
	}{
		{"[qemu>=9.0]", 9, 0, 0, true},
		{"[qemu>=9.0]", 8, 2, 9, false},
		{"[qemu>=9.0]", 10, 0, 0, true},
		{"[qemu<10.2]", 10, 1, 50, true},
		{"[qemu<10.2]", 10, 2, 0, false},
		{"[qemu<=10.1]", 10, 1, 2, true}, // the whole 10.1 series
		{"[qemu<=10.1.0]", 10, 1, 2, false},
		{"[qemu==9.0]", 9, 0, 3, true},
		{"[qemu==9.0.1]", 9, 0, 3, false},
		{"[qemu!=9.0]", 9, 0, 3, false},
		{"[qemu!=9.0]", 9, 1, 0, true},
		{"[qemu>9.0]", 9, 0, 5, false},
		{"[qemu>9.0]", 9, 1, 0, true},
		{"[qemu>9.0.4]", 9, 0, 5, true},
		{"[qemu<7.2.1]", 7, 2, 0, true},
	} {
		if got := cond(tc.cond).Holds(tc.major, tc.minor, tc.micro); got != tc.want {
			t.Errorf("%s.Holds(%d.%d.%d) = %v, want %v", tc.cond, tc.major, tc.minor, tc.micro, got, tc.want)
		}
	}
}

func TestActive(t *testing.T) {
	f := parse(t, `(src) a
[qemu>=9.0] (src) b
[qemu<9.0] (src) c
[qemu>=8.0] [qemu<10.0] (src) d
`)
	inputs := func(es []*Entry) string {
		var s []string
		for _, e := range es {
			s = append(s, e.Input)
		}
		return strings.Join(s, " ")
	}
	for _, tc := range []struct {
		version [3]int
		want    string
	}{
		{[3]int{7, 2, 0}, "a c"},
		{[3]int{9, 2, 0}, "a b d"},
		{[3]int{10, 0, 2}, "a b"},
	} {
		if got := inputs(f.Active(tc.version[0], tc.version[1], tc.version[2])); got != tc.want {
			t.Errorf("Active(%v) = %q, want %q", tc.version, got, tc.want)
		}
	}
}

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"VM status: running", "VM status: running"},
		{"  # indented hash", "  # indented hash"},
		{"#", `\#`},
		{"# comment-like", `\# comment-like`},
		{`\`, `\\`},
		{`\n`, `\\n`},
		{"(qemu) info status", `\(qemu) info status`},
		{"(qemu)", `\(qemu)`},
		{"(qemu)x", "(qemu)x"},
		{"(not a prompt) x", "(not a prompt) x"},
		{"[qemu>=9.0] (src) x", `\[qemu>=9.0] (src) x`},
		{"[anything] (src) x", `\[anything] (src) x`},
		{"[ 0.000] kernel", "[ 0.000] kernel"},
		{"", `\`},
	} {
		got := Escape(tc.line)
		if got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.line, got, tc.want)
		}
		if Unescape(got) != tc.line {
			t.Errorf("Unescape(Escape(%q)) = %q", tc.line, Unescape(got))
		}
		if tc.line == "" {
			continue
		}
		// Written under an input line, it reads back as that output.
		f := parse(t, "(src) x\n"+got+"\n")
		if len(f.Entries) != 1 || !reflect.DeepEqual(f.Entries[0].Want, []string{tc.line}) {
			t.Errorf("%q reads back as %+v", got, f.Entries)
		}
	}
}

func TestMatch(t *testing.T) {
	v := vars(map[string]string{"SANDBOX": "/tmp/sb", "DOTS": "a...b", "SP": "x  "})
	for _, tc := range []struct {
		name      string
		want, got []string
		ok        bool
	}{
		{"equal", []string{"a", "b"}, []string{"a", "b"}, true},
		{"different", []string{"a", "b"}, []string{"a", "c"}, false},
		{"missing line", []string{"a", "b"}, []string{"a"}, false},
		{"extra line", []string{"a"}, []string{"a", "b"}, false},
		{"nothing", nil, nil, true},
		{"nothing wanted", nil, []string{"a"}, false},
		{"trailing spaces", []string{"a  ", "b"}, []string{"a", "b \t"}, true},
		{"leading spaces matter", []string{"  a"}, []string{"a"}, false},
		{"blank lines dropped", []string{"a", "", "  ", "b"}, []string{"", "a", "", "b", ""}, true},
		{"raw text in got", []string{"a", "b"}, []string{"a\n\nb\n"}, true},
		{"ellipsis at end", []string{"total time: ..."}, []string{"total time: 47 ms"}, true},
		{"ellipsis at start", []string{"... ms"}, []string{"total time: 47 ms"}, true},
		{"ellipsis inside", []string{"total time: ... ms"}, []string{"total time: 47 ms"}, true},
		{"ellipsis empty", []string{"total time: ...47 ms"}, []string{"total time: 47 ms"}, true},
		{"ellipsis literal differs", []string{"total time: ... s"}, []string{"total time: 47 ms x"}, false},
		{"several ellipses", []string{"a...b...c"}, []string{"a1b2b3c"}, true},
		{"ellipses in order", []string{"a...c...b"}, []string{"abc"}, false},
		{"ellipsis overlap", []string{"ab...ba"}, []string{"aba"}, false},
		{"ellipsis stays in its line", []string{"a...", "c"}, []string{"a", "b", "c"}, false},
		{"line ellipsis absorbs none", []string{"a", "...", "c"}, []string{"a", "c"}, true},
		{"line ellipsis absorbs one", []string{"a", "...", "c"}, []string{"a", "b", "c"}, true},
		{"line ellipsis absorbs many", []string{"a", "...", "c"}, []string{"a", "1", "2", "3", "c"}, true},
		{"line ellipsis at start", []string{"...", "c"}, []string{"1", "2", "c"}, true},
		{"line ellipsis at end", []string{"a", "..."}, []string{"a", "1", "2"}, true},
		{"only line ellipsis", []string{"..."}, nil, true},
		{"line ellipsis needs the rest", []string{"a", "...", "c"}, []string{"a", "b", "d"}, false},
		{"two line ellipses", []string{"...", "b", "...", "d"}, []string{"a", "b", "c", "c", "d"}, true},
		{"backtracking", []string{"...", "x", "y"}, []string{"x", "z", "x", "y"}, true},
		{"indented ellipsis is in-line", []string{"a", "  ...", "c"}, []string{"a", "  b", "  b", "c"}, false},
		{"indented ellipsis matches one", []string{"a", "  ...", "c"}, []string{"a", "  b", "c"}, true},
		{"trailing space ellipsis line", []string{"...  "}, []string{"a", "b"}, true},
		{"variable", []string{"path: ${SANDBOX}/mig.sock"}, []string{"path: /tmp/sb/mig.sock"}, true},
		{"variable is not its name", []string{"path: ${SANDBOX}/mig.sock"}, []string{"path: ${SANDBOX}/mig.sock"}, false},
		{"unknown variable literal", []string{"path: ${NOPE}"}, []string{"path: ${NOPE}"}, true},
		{"malformed variable literal", []string{"${1X} ${A-B} ${}"}, []string{"${1X} ${A-B} ${}"}, true},
		{"dollar dollar", []string{"$${SANDBOX}"}, []string{"${SANDBOX}"}, true},
		{"dollar dollar is not the value", []string{"$${SANDBOX}"}, []string{"/tmp/sb"}, false},
		{"variable value is literal", []string{"${DOTS}"}, []string{"a...b"}, true},
		{"variable value has no ellipsis", []string{"${DOTS}"}, []string{"aXb"}, false},
		{"variable trailing space", []string{"${SP}"}, []string{"x"}, true},
		{"variable with ellipsis", []string{"${SANDBOX}/..."}, []string{"/tmp/sb/mig.sock"}, true},
	} {
		if got := Match(tc.want, tc.got, v); got != tc.ok {
			t.Errorf("%s: Match(%q, %q) = %v, want %v", tc.name, tc.want, tc.got, got, tc.ok)
		}
	}
	if !Match([]string{"${X}"}, []string{"${X}"}, nil) {
		t.Error("nil vars: a variable stays literal")
	}
}

func TestLines(t *testing.T) {
	got := Lines("VM status: running  \n\n  \n\tx\r\nlast")
	want := []string{"VM status: running", "\tx", "last"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Lines = %q, want %q", got, want)
	}
	if Lines("") != nil || Lines("\n\n") != nil {
		t.Error("Lines of blank output is not empty")
	}
}

func TestRoundTrip(t *testing.T) {
	for _, text := range []string{
		"",
		"\n",
		"\n\n  \n",
		"# only a comment",
		"# only a comment\n",
		"(src) info status\nVM status: running\n",
		"(src) info status\nVM status: running",
		"(src) info status\nVM status: running   \n\n\n",
		"# sandbox-machine: pc\n\n(src) x   \n\\\n\\   \n\\# y\n  indented\t\n# c\n\n[qemu>=9.0]  [qemu<10.0] (dst) y\n...\n",
		"(src) crlf\r\nline\r\n",
		"(qemu)\n(qemu) \n",
	} {
		if got := write(t, parse(t, text)); got != text {
			t.Errorf("round trip of %q gave %q", text, got)
		}
	}
}

func TestWriter(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	steps := []error{
		w.Comment("sandbox-machine: pc"),
		w.Comment("two\n\nlines"),
		w.Blank(),
		w.Input("src", "info status"),
		w.Output("VM status: running\n\n", nil),
		w.Input("src", "info migrate"),
		w.Output("Status: completed\ntotal time: 47 ms   \n# hash\n(qemu) prompt\n\\back\n${HOME}\n", func(p string) string {
			return MaskNumbers(p)
		}),
		w.Input("dst", ""),
		w.Output("", nil),
		w.Input("dst", "x"),
		w.Output("keep me", func(string) string { return "two\nlines" }),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	want := `# sandbox-machine: pc
# two
#
# lines

(src) info status
VM status: running
(src) info migrate
Status: completed
total time: ... ms
\# hash
\(qemu) prompt
\\back
$${HOME}
(dst)
(dst) x
keep me
`
	if b.String() != want {
		t.Fatalf("recorded:\n%s\nwant:\n%s", b.String(), want)
	}
	f := parse(t, b.String())
	if f.Directives["sandbox-machine"] != "pc" {
		t.Errorf("directive lost: %q", f.Directives)
	}
	outputs := []string{
		"VM status: running",
		"Status: completed\ntotal time: 12 ms\n# hash\n(qemu) prompt\n\\back\n${HOME}\n",
		"",
		"keep me",
	}
	home := vars(map[string]string{"HOME": "/root"})
	for i, e := range f.Entries {
		if !Match(e.Want, Lines(outputs[i]), home) {
			t.Errorf("entry %d (%s): %q does not match %q", i, e.Input, e.Want, outputs[i])
		}
	}

	if err := w.Input("a b", "x"); err == nil {
		t.Error("a prompt with a space was accepted")
	}
	if err := w.Input("src", "x\n(dst) y"); err == nil {
		t.Error("an input of two lines was accepted")
	}
}

func TestWriterError(t *testing.T) {
	boom := errors.New("boom")
	w := NewWriter(failWriter{boom})
	if err := w.Input("src", "x"); !errors.Is(err, boom) {
		t.Errorf("Input on a failing writer = %v", err)
	}
	if err := w.Output("", nil); err != nil {
		t.Errorf("Output of nothing wrote: %v", err)
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

// realistic is QEMU output whose numbers and versions change between runs:
// info migrate before and after 10.2 rewrote its layout, events, versions.
var realistic = []string{
	"Migration status: completed",
	"total time: 47 ms",
	"downtime: 5 ms",
	"setup: 3 ms",
	"transferred ram: 1 kbytes",
	"throughput: 0.00 mbps",
	"remaining ram: 0 kbytes",
	"total ram: 131072 kbytes",
	"duplicate: 32768 pages",
	"dirty sync count: 2",
	"page size: 4 kbytes",
	"multifd bytes: 0 kbytes",
	"pages-per-second: 2147483647",
	"capabilities: xbzrle: off rdma-pin-all: off auto-converge: off zero-blocks: off",
	"Status: \t\tcompleted",
	"Time (ms): \t\ttotal=47, setup=3, down=5",
	"  Throughput (Mbps): \t0.00",
	"  Sizes: \t\tpagesize=4 KiB, total=128 MiB",
	"  Transfers: \t\ttransferred=1 KiB, remain=0 B",
	"  Channels: \t\tprecopy=1 KiB, multifd=0 B, postcopy=0 B",
	"  Page Types: \t\tnormal=0, zero=32768",
	"event 2026-11-26T07:44:24.545745Z src STOP",
	"event 2026-11-26T07:44:24.601Z dst MIGRATION {\"status\": \"completed\"}",
	"QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2~bpo12+1)",
	"10.0.2 (Debian 1:10.0.2+ds-2)",
	"socket address: [tcp:127.0.0.1:4444]",
	"  memory: 0x0000000000000000-0x00000000ffffffff (prio 0, i/o): system",
	"path: ${SANDBOX}/mig.sock",
	"v.1 and 1.v and ..5 and 5.. and 1...2",
	"(qemu) 12 (nested (1) 2) ((3)",
	"# 100%",
	`\ 3 \`,
}

func TestMasks(t *testing.T) {
	for _, tc := range []struct {
		mask      func(string) string
		line, out string
	}{
		{MaskNumbers, "total time: 47 ms", "total time: ... ms"},
		{MaskNumbers, "throughput: 0.00 mbps", "throughput: ... mbps"},
		{MaskNumbers, "1.23 s", "... s"},
		{MaskNumbers, "12:34", "..."},
		{MaskNumbers, "transferred ram: 1 kbytes", "transferred ram: ... kbytes"},
		{MaskNumbers, "event 2026-11-26T07:44:24.545745Z src STOP", "event ...T...Z src STOP"},
		{MaskNumbers, "Time (ms): total=47, setup=3, down=5", "Time (ms): total=..., setup=..., down=..."},
		{MaskNumbers, "addr 0x1f00-0xFFff", "addr ...-..."},
		{MaskNumbers, "0x", "...x"},
		{MaskNumbers, "x86_64", "x..._..."},
		{MaskNumbers, "10.0.2.15:4444", "..."},
		{MaskNumbers, "v.1", "v..."},
		{MaskNumbers, "a ...5", "a ..."},
		{MaskNumbers, "1...2", "..."},
		{MaskNumbers, "5..", "....."},
		{MaskNumbers, "$${V1} ${V2}", "$${V...} ${V2}"},
		{MaskNumbers, "no numbers here", "no numbers here"},
		{MaskParens, "10.0.2 (Debian 1:10.0.2+ds-2)", "10.0.2 (...)"},
		{MaskParens, "a (b (c) d) e (f)", "a (...) e (...)"},
		{MaskParens, "empty () stays", "empty () stays"},
		{MaskParens, "open (a (b) c", "open (a (...) c"},
		{MaskParens, "close ) first (x)", "close ) first (...)"},
		{MaskParens, "(${SANDBOX}) $${(}", "(...) $${(}"},
	} {
		if got := tc.mask(tc.line); got != tc.out {
			t.Errorf("mask(%q) = %q, want %q", tc.line, got, tc.out)
		}
	}
}

// A masked line is written as a pattern that still matches what it masks.
func TestMaskedLinesMatch(t *testing.T) {
	masks := map[string]func(string) string{
		"none":    func(p string) string { return p },
		"numbers": MaskNumbers,
		"parens":  MaskParens,
		"both":    func(p string) string { return MaskParens(MaskNumbers(p)) },
	}
	v := vars(map[string]string{"SANDBOX": "/tmp/sb"})
	for name, mask := range masks {
		for _, line := range realistic {
			checkMasked(t, name, mask, line, v)
		}
	}
}

func checkMasked(t *testing.T, name string, mask func(string) string, line string, v func(string) (string, bool)) {
	t.Helper()
	var b bytes.Buffer
	w := NewWriter(&b)
	if err := w.Input("src", "x"); err != nil {
		t.Fatal(err)
	}
	if err := w.Output(line, mask); err != nil {
		t.Fatal(err)
	}
	f, err := Parse("t.hmpt", &b)
	if err != nil {
		t.Fatalf("%s mask of %q: %v", name, line, err)
	}
	if len(f.Entries) != 1 || !Match(f.Entries[0].Want, []string{line}, v) {
		t.Errorf("%s mask of %q: recorded %q does not match it", name, line, b.String())
	}
}

func FuzzMaskedLinesMatch(f *testing.F) {
	for _, line := range realistic {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsAny(line, "\n") {
			return
		}
		v := vars(map[string]string{"SANDBOX": "/tmp/sb", "X": "..."})
		checkMasked(t, "numbers", MaskNumbers, line, v)
		checkMasked(t, "parens", MaskParens, line, v)
	})
}

func FuzzRoundTrip(f *testing.F) {
	f.Add("(src) x\nout\n# c\n\n")
	f.Add("[qemu>=9.0] (src) x\n\\# y\n...\n")
	f.Add("# k: v\n(a)")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := Parse("t.hmpt", strings.NewReader(text))
		if err != nil {
			return
		}
		if got := write(t, p); got != text {
			t.Fatalf("round trip of %q gave %q", text, got)
		}
	})
}

const person = `# sandbox-machine: pc

(src) info status
VM status: running   

# migration stats, masked by hand
(src) info migrate
# status first
Status: completed
total time: ... ms  
...
setup: 3 ms
# end of stats

[qemu>=99.0] (src) info future
whatever

(dst) info version
10.0.2 (...)
(dst) info events
event ... STOP
gone line
`

// personResults are the results for person's entries that have one (the
// [qemu>=99.0] entry was skipped), by input.
var personResults = map[string][]string{
	"info status":  {"VM status: running\n"},
	"info migrate": {"Status: completed", "total time: 51 ms", "downtime: 4 ms", "transferred ram: 9 kbytes", "setup: 5 ms", "extra: 1"},
	"info version": {"10.0.3 (Debian 1:10.0.3+ds-1)"},
	"info events":  {"event 2026-11-26T07:44:24.545745Z src STOP\n\n# hashy 1\n(qemu) looks like input\n"},
}

func results(f *File, byInput map[string][]string) map[*Entry][]string {
	r := map[*Entry][]string{}
	for _, e := range f.Entries {
		if got, ok := byInput[e.Input]; ok {
			r[e] = got
		}
	}
	return r
}

func TestDiff(t *testing.T) {
	f := parse(t, person)
	want := `--- t.hmpt (want)
+++ t.hmpt (got)
@@ t.hmpt:7: (src) info migrate @@
 Status: completed
 total time: ... ms
 ...
-setup: 3 ms
+setup: 5 ms
+extra: 1
@@ t.hmpt:18: (dst) info version @@
-10.0.2 (...)
+10.0.3 (Debian 1:10.0.3+ds-1)
@@ t.hmpt:20: (dst) info events @@
 event ... STOP
-gone line
+# hashy 1
+(qemu) looks like input
`
	if got := f.Diff(results(f, personResults), nil); got != want {
		t.Errorf("Diff:\n%s\nwant:\n%s", got, want)
	}
	if got := f.Diff(results(f, map[string][]string{"info status": {"VM status: running"}}), nil); got != "" {
		t.Errorf("Diff of a passing entry:\n%s", got)
	}
	if got := f.Diff(nil, nil); got != "" {
		t.Errorf("Diff without results:\n%s", got)
	}
}

func TestDiffGroupsChanges(t *testing.T) {
	f := parse(t, "[qemu>=9.0] (src)  info x \na: 1\nb: 2\nkeep\nc: 3\n")
	got := f.Diff(results(f, map[string][]string{" info x ": {"a: 5", "b: 6", "keep", "c: 3"}}), nil)
	want := `--- t.hmpt (want)
+++ t.hmpt (got)
@@ t.hmpt:1: [qemu>=9.0] (src)  info x @@
-a: 1
-b: 2
+a: 5
+b: 6
 keep
 c: 3
`
	if got != want {
		t.Errorf("Diff:\n%s\nwant:\n%s", got, want)
	}
}

func TestUpdate(t *testing.T) {
	f := parse(t, person)
	res := results(f, personResults)
	mask := func(e *Entry, p string) string {
		switch e.Input {
		case "info version":
			return MaskParens(p)
		case "info events":
			return MaskNumbers(p)
		}
		return p
	}
	if n := f.Update(res, nil, mask); n != 3 {
		t.Errorf("Update rewrote %d entries, want 3", n)
	}
	want := `# sandbox-machine: pc

(src) info status
VM status: running   

# migration stats, masked by hand
(src) info migrate
# status first
Status: completed
total time: ... ms  
...
setup: 5 ms
extra: 1
# end of stats

[qemu>=99.0] (src) info future
whatever

(dst) info version
10.0.3 (...)
(dst) info events
event ... STOP
\# hashy ...
\(qemu) looks like input
`
	got := write(t, f)
	if got != want {
		t.Fatalf("updated file:\n%s\nwant:\n%s", got, want)
	}
	for e, r := range res {
		if !Match(e.Want, r, nil) {
			t.Errorf("%s: updated %q does not match %q", e.Input, e.Want, r)
		}
	}
	// Line numbers follow the rewritten file, and it reads back the same.
	again := parse(t, got)
	for i, e := range f.Entries {
		a := again.Entries[i]
		if e.Line != a.Line || !reflect.DeepEqual(e.Want, a.Want) {
			t.Errorf("entry %d: line %d want %q after Update, line %d want %q read back", i, e.Line, e.Want, a.Line, a.Want)
		}
	}
	// A second Update has nothing left to do.
	if n := again.Update(results(again, personResults), nil, nil); n != 0 || write(t, again) != want {
		t.Errorf("second Update rewrote %d entries", n)
	}
}

func TestUpdateAlignment(t *testing.T) {
	v := vars(map[string]string{"SANDBOX": "/tmp/sb"})
	for _, tc := range []struct {
		name           string
		want, got, out []string
	}{
		{"changed line replaced in place",
			[]string{"a: 1", "b: 2", "c: 3"}, []string{"a: 1", "b: 5", "c: 3"}, []string{"a: 1", "b: 5", "c: 3"}},
		{"line gone",
			[]string{"a", "b", "c"}, []string{"a", "c"}, []string{"a", "c"}},
		{"line added",
			[]string{"a", "c"}, []string{"a", "b", "c"}, []string{"a", "b", "c"}},
		{"ellipsis line does not swallow a changed line",
			[]string{"...", "foo: 1"}, []string{"a", "foo: 2"}, []string{"...", "foo: 2"}},
		{"ellipsis line keeps absorbing",
			[]string{"Status: completed", "...", "setup: 3 ms"},
			[]string{"Status: completed", "x", "y", "setup: 5 ms", "extra"},
			[]string{"Status: completed", "...", "setup: 5 ms", "extra"}},
		{"first line changed before an ellipsis line",
			[]string{"Status: completed", "..."}, []string{"Status: failed", "a", "b"}, []string{"Status: failed", "..."}},
		{"ellipsis line absorbing nothing stays",
			[]string{"a", "...", "b: 1"}, []string{"a", "b: 2"}, []string{"a", "...", "b: 2"}},
		{"what follows a gone line is the ellipsis line's",
			[]string{"a", "...", "b"}, []string{"a", "x", "y"}, []string{"a", "..."}},
		{"a person's masks stay",
			[]string{"total time: ... ms", "downtime: ... ms", "mode: x"},
			[]string{"total time: 9 ms", "downtime: 1 ms", "mode: y"},
			[]string{"total time: ... ms", "downtime: ... ms", "mode: y"}},
		{"variables stay",
			[]string{"path: ${SANDBOX}/a", "n: 1"}, []string{"path: /tmp/sb/a", "n: 2"}, []string{"path: ${SANDBOX}/a", "n: 2"}},
		{"nothing expected", nil, []string{"a"}, []string{"a"}},
		{"nothing produced", []string{"a", "b"}, nil, nil},
		{"a literal ${ is written as $${", nil, []string{"x ${Y}"}, []string{"x $${Y}"}},
	} {
		var text strings.Builder
		text.WriteString("(src) x\n")
		for _, w := range tc.want {
			text.WriteString(Escape(w) + "\n")
		}
		f := parse(t, text.String())
		f.Update(map[*Entry][]string{f.Entries[0]: tc.got}, v, nil)
		e := f.Entries[0]
		if !reflect.DeepEqual(e.Want, tc.out) {
			t.Errorf("%s: Update(%q, %q) = %q, want %q", tc.name, tc.want, tc.got, e.Want, tc.out)
		}
		if !Match(e.Want, tc.got, v) {
			t.Errorf("%s: %q does not match %q after Update", tc.name, e.Want, tc.got)
		}
		if back := parse(t, write(t, f)); !reflect.DeepEqual(back.Entries[0].Want, e.Want) {
			t.Errorf("%s: reads back as %q, want %q", tc.name, back.Entries[0].Want, e.Want)
		}
	}
}

func TestUpdateComments(t *testing.T) {
	f := parse(t, `(src) x
# above a
a: 1

# above b
b: 2
# above c
c: 3
# after all

(src) y
# under the input
`)
	f.Update(results(f, map[string][]string{
		"x": {"a: 1", "c: 3", "d: 4"},
		"y": {"new"},
	}), nil, nil)
	want := `(src) x
# above a
a: 1

# above b
# above c
c: 3
d: 4
# after all

(src) y
new
# under the input
`
	if got := write(t, f); got != want {
		t.Errorf("updated:\n%s\nwant:\n%s", got, want)
	}
}

func TestUpdateMaskChecked(t *testing.T) {
	v := vars(map[string]string{"SANDBOX": "/tmp/sb"})
	for _, tc := range []struct {
		name string
		mask func(*Entry, string) string
		out  string
	}{
		{"a variable that matches", func(_ *Entry, p string) string { return strings.ReplaceAll(p, "/tmp/sb", "${SANDBOX}") }, "${SANDBOX}/mig.sock 42"},
		{"numbers", func(_ *Entry, p string) string { return MaskNumbers(p) }, "/tmp/sb/mig.sock ..."},
		{"a mask that no longer matches", func(*Entry, string) string { return "nope" }, "/tmp/sb/mig.sock 42"},
		{"a blank mask", func(*Entry, string) string { return "  " }, "/tmp/sb/mig.sock 42"},
		{"a mask of two lines", func(*Entry, string) string { return "...\n(src) quit" }, "/tmp/sb/mig.sock 42"},
	} {
		f := parse(t, "(src) x\n")
		f.Update(map[*Entry][]string{f.Entries[0]: {"/tmp/sb/mig.sock 42"}}, v, tc.mask)
		if got := f.Entries[0].Want; len(got) != 1 || got[0] != tc.out {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.out)
		}
	}
}

// FuzzUpdate: whatever was expected and whatever came out, the updated
// entry matches what came out, also once written and read back.
func FuzzUpdate(f *testing.F) {
	f.Add("Status: ...\n...\nsetup: 3 ms\n# c\n", "Status: completed\nx\nsetup: 5 ms\n")
	f.Add("a\n\\# b\n...\n", "# b\n(src) c\n${X}\n")
	f.Fuzz(func(t *testing.T, want, got string) {
		file, err := Parse("t.hmpt", strings.NewReader("(src) x\n"+want))
		if err != nil {
			return
		}
		e := file.Entries[0]
		v := vars(map[string]string{"X": "1.5"})
		file.Update(map[*Entry][]string{e: {got}}, v, func(_ *Entry, p string) string { return MaskParens(MaskNumbers(p)) })
		if !Match(e.Want, []string{got}, v) {
			t.Fatalf("after Update %q does not match %q", e.Want, got)
		}
		var b bytes.Buffer
		if _, err := file.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		back, err := Parse("t.hmpt", &b)
		if err != nil {
			t.Fatalf("updated file does not parse: %v\n%s", err, b.String())
		}
		if !Match(back.Entries[0].Want, []string{got}, v) {
			t.Fatalf("read back, %q does not match %q", back.Entries[0].Want, got)
		}
	})
}

func TestLooksLike(t *testing.T) {
	for text, want := range map[string]bool{
		"# c\n\n(src) info status\nVM status: running\n": true,
		"[qemu>=9.0] (qemu) stop\n":                      true,
		"(src)\n":                                        true,
		"# c\ninfo status\n(src) stop\n":                 false,
		"":                                               false,
		"# only comments\n":                              false,
		"(src)info status\n":                             false,
	} {
		if got := LooksLike(text); got != want {
			t.Errorf("LooksLike(%q) = %v, want %v", text, got, want)
		}
	}
}

// Of two actual lines that could be the changed one, Update takes the one
// that shares more with it.
func TestUpdatePicksTheLikelierChange(t *testing.T) {
	f, err := Parse("t.hmpt", strings.NewReader("(src) info migrate_parameters\n...\nmax-bandwidth: 536870912 (512.0 MiB/s)\n...\n"))
	if err != nil {
		t.Fatal(err)
	}
	e := f.Entries[0]
	got := []string{"announce-max: 550 ms", "max-cpu-throttle: 99", "max-bandwidth: 536870912 bytes/second", "tls-authz: ''"}
	f.Update(map[*Entry][]string{e: got}, nil, nil)
	var b strings.Builder
	f.WriteTo(&b)
	if want := "(src) info migrate_parameters\n...\nmax-bandwidth: 536870912 bytes/second\n...\n"; b.String() != want {
		t.Errorf("updated to\n%s\nwant\n%s", b.String(), want)
	}
}

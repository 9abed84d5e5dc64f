package transports

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// shWords has /bin/sh itself split s as the arguments of a command.
func shWords(t testing.TB, s string) ([]string, error) {
	t.Helper()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh to compare with")
	}
	cmd := exec.Command("/bin/sh", "-c", "set -- "+s+`; for a in "$@"; do printf '%s\0' "$a"; done`)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent-home", "LC_ALL=C"}
	cmd.Dir = os.TempDir()
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		return nil, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return splitNUL(out.Bytes()), nil
}

func splitNUL(b []byte) []string {
	words := []string{}
	for len(b) > 0 {
		i := bytes.IndexByte(b, 0)
		words = append(words, string(b[:i]))
		b = b[i+1:]
	}
	return words
}

// dashBuiltins would run instead of a command of the same name on PATH.
var dashBuiltins = strings.Fields(". : [ alias bg break cd chdir command continue echo eval exec exit export false fc fg getopts hash jobs kill local printf pwd read readonly return set shift test times trap true type ulimit umask unalias unset wait")

// shCommand has /bin/sh run s as a command line, with a program called
// name on an otherwise empty PATH that prints its arguments; it reports
// the argv that program received, or ok=false when name is not one that
// can be tested this way.
func shCommand(t testing.TB, s, name string) (argv []string, ok bool, err error) {
	t.Helper()
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") || len(name) > 200 {
		return nil, false, nil
	}
	for _, b := range dashBuiltins {
		if name == b {
			return nil, false, nil
		}
	}
	dir := t.TempDir()
	script := "#!/bin/sh\nprintf '%s\\0' \"${0##*/}\"\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", "--", s) // "--": s may start with - or +
	cmd.Env = []string{"PATH=" + dir, "HOME=/nonexistent-home", "LC_ALL=C"}
	cmd.Dir = dir
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		return nil, true, errors.New(strings.TrimSpace(stderr.String()))
	}
	return splitNUL(out.Bytes()), true, nil
}

// commandWordIsSyntax reports whether a shell would read the first word
// of s as a reserved word or a variable assignment. args= takes such a
// word as the program's name by design (testdata/golden/channels.golden
// has "exec,args=a=b cat"), so there a shell's reading differs on purpose.
func commandWordIsSyntax(s string) bool {
	first := strings.TrimLeft(s, " \t")
	if end := strings.IndexAny(first, " \t"); end >= 0 {
		first = first[:end]
	}
	if slices.Contains(reservedWords, first) {
		return true
	}
	name, _, ok := strings.Cut(first, "=")
	if !ok || name == "" {
		return false
	}
	for i, c := range name {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// diffSplitArgs compares SplitArgs with /bin/sh on a string SplitArgs
// accepts: as the arguments of a command, and as the command line itself.
func diffSplitArgs(t testing.TB, s string, words []string) {
	t.Helper()
	sh, err := shWords(t, s)
	if err != nil {
		t.Fatalf("SplitArgs(%q) = %q, but sh fails: %v", s, words, err)
	}
	if !reflect.DeepEqual(words, sh) {
		t.Fatalf("SplitArgs(%q) = %q, sh reads %q", s, words, sh)
	}
	if commandWordIsSyntax(s) {
		return
	}
	argv, ok, err := shCommand(t, s, words[0])
	if !ok {
		return
	}
	if err != nil {
		t.Fatalf("SplitArgs(%q) = %q, but sh -c fails: %v", s, words, err)
	}
	if !reflect.DeepEqual(argv, words) {
		t.Fatalf("SplitArgs(%q) = %q, sh -c runs %q", s, words, argv)
	}
}

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"nc -U /run/mig", []string{"nc", "-U", "/run/mig"}},
		{"  nc\t-U   /run/mig  ", []string{"nc", "-U", "/run/mig"}},
		{"nc -U '/run/mig sock'", []string{"nc", "-U", "/run/mig sock"}},
		{`nc -U "/run/mig sock"`, []string{"nc", "-U", "/run/mig sock"}},
		{`nc -U /run/mig\ sock`, []string{"nc", "-U", "/run/mig sock"}},
		{`cat ''`, []string{"cat", ""}},
		{`cat "" x`, []string{"cat", "", "x"}},
		{`a'b'"c"\d`, []string{"abcd"}},
		{`echo 'it'\''s'`, []string{"echo", "it's"}},
		{`echo "it's"`, []string{"echo", "it's"}},
		{`echo '"' "'"`, []string{"echo", `"`, "'"}},
		{"echo \"\\$HOME \\\"q\\\" \\\\ \\`x\\`\"", []string{"echo", "$HOME \"q\" \\ `x`"}},
		{`echo '$HOME * ? [a] ~ # ; & | < > ( ) \n \t'`, []string{"echo", `$HOME * ? [a] ~ # ; & | < > ( ) \n \t`}},
		{`echo "* ? [a] ~ # ; & | < > ( )"`, []string{"echo", "* ? [a] ~ # ; & | < > ( )"}},
		{"echo \\* \\? \\[ \\~ \\# \\; \\& \\| \\< \\> \\( \\) \\$ \\` \\\\", []string{"echo", "*", "?", "[", "~", "#", ";", "&", "|", "<", ">", "(", ")", "$", "`", "\\"}},
		{`echo a#b a~ x=~ a:~ a=b % @ ! { } ]`, []string{"echo", "a#b", "a~", "x=~", "a:~", "a=b", "%", "@", "!", "{", "}", "]"}},
		{"echo 'multi\nline' \"a\nb\"", []string{"echo", "multi\nline", "a\nb"}},
		{"echo a\rb", []string{"echo", "a\rb"}},
		{"echo \"é ü\" ✓", []string{"echo", "é ü", "✓"}},
		{`/bin/sh -c 'nc h 4444 > /dev/null'`, []string{"/bin/sh", "-c", "nc h 4444 > /dev/null"}},
		// Quoted or escaped, a name with '=' or a reserved word is a command.
		{`'A=1' cmd`, []string{"A=1", "cmd"}},
		{`\A=1 cmd`, []string{"A=1", "cmd"}},
		{`1A=1 cmd`, []string{"1A=1", "cmd"}},
		{`=x`, []string{"=x"}},
		{`'if' x`, []string{"if", "x"}},
		{`\! x`, []string{"!", "x"}},
		{`iff x`, []string{"iff", "x"}},
		{`env A=1 cmd if`, []string{"env", "A=1", "cmd", "if"}},
		// No shell runs the command, so a first word a shell would read
		// as syntax is the program's name (ShellQuote quotes it).
		{"A=1 cmd", []string{"A=1", "cmd"}},
		{"A='x y' cmd", []string{"A=x y", "cmd"}},
		{"if true", []string{"if", "true"}},
		{"! cmd", []string{"!", "cmd"}},
	}
	for _, tt := range tests {
		got, err := SplitArgs(tt.in)
		if err != nil {
			t.Errorf("SplitArgs(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitArgs(%q) = %q, want %q", tt.in, got, tt.want)
			continue
		}
		diffSplitArgs(t, tt.in, got)
	}
}

func TestSplitArgsErrors(t *testing.T) {
	tests := []struct {
		in  string
		pos int
		msg string
	}{
		// Nothing to run.
		{"", 0, "no command"},
		{" \t ", 0, "no command"},
		// Operators.
		{"nc h 4444; rm x", 9, `operator ";"`},
		{"nc h 4444 > /tmp/x", 10, `operator ">"`},
		{"nc h 4444 2>/dev/null", 10, `operator "2"`},
		{"nc h 4444 < x", 10, `operator "<"`},
		{"a | b", 2, `operator "|"`},
		{"a && b", 2, `operator "&"`},
		{"a &", 2, `operator "&"`},
		{"é ü; x", 5, `operator ";"`},
		{"\xff;", 1, `operator ";"`},
		{"nc\nrm x", 2, "newline ends the command"},
		{"nc a \\\nb", 5, "continues the line"},
		{"(a)", 0, `unquoted '('`},
		{"a )", 2, `unquoted ')'`},
		// Expansions and substitutions.
		{"echo $HOME", 5, "expansion"},
		{"echo ${x}", 5, "expansion"},
		{"echo $(id)", 5, "expansion"},
		{"echo `id`", 5, "expansion"},
		{`echo "$HOME"`, 6, "expansion"},
		{"echo \"`id`\"", 6, "expansion"},
		{"echo ~", 5, "start of a word"},
		{"echo ~/x", 5, "start of a word"},
		// Globs and comments.
		{"ls *.mig", 3, "file name pattern"},
		{"ls a?", 4, "file name pattern"},
		{"ls [ab]", 3, "file name pattern"},
		{"nc h 4444 # comment", 10, "start of a word"},
		{"#nc", 0, "start of a word"},
		// Escapes go-shellwords reads differently from a shell.
		{`echo a\tb`, 6, "ambiguous"},
		{`echo \n`, 5, "ambiguous"},
		{`echo "a\b"`, 7, "backslash inside double quotes"},
		{"echo \"a\\\nb\"", 7, "backslash inside double quotes"},
		// Unfinished quoting.
		{`echo 'abc`, 9, "unterminated quote"},
		{`echo "abc`, 9, "unterminated quote"},
		{`echo "abc\"`, 11, "unterminated quote"},
		{`echo \`, 5, "backslash at the end"},
	}
	for _, tt := range tests {
		got, err := SplitArgs(tt.in)
		var ae *ArgsError
		if !errors.As(err, &ae) {
			t.Errorf("SplitArgs(%q) = %q, %v; want an *ArgsError", tt.in, got, err)
			continue
		}
		if ae.Pos != tt.pos || !strings.Contains(ae.Msg, tt.msg) || ae.Args != tt.in {
			t.Errorf("SplitArgs(%q): error at %d %q; want at %d containing %q", tt.in, ae.Pos, ae.Msg, tt.pos, tt.msg)
		}
		if ae.Pos < 0 || ae.Pos > len(tt.in) {
			t.Errorf("SplitArgs(%q): error position %d outside the string", tt.in, ae.Pos)
		}
		if !strings.Contains(err.Error(), "no shell runs here") {
			t.Errorf("SplitArgs(%q): %q does not say how to use a shell", tt.in, err)
		}
	}
}

// TestShellQuote checks that sh splits ShellQuote(argv) back into argv,
// both as the arguments of a command and as a command line of its own.
func TestShellQuote(t *testing.T) {
	tests := [][]string{
		{"nc", "-U", "/run/mig"},
		{"nc", "-U", "/run/mig sock"},
		{"cat", ""},
		{"echo", "", "", ""},
		{"echo", "it's", `"quoted"`, `back\slash`, `\`, `'`, `''`, `'\''`},
		{"echo", "$HOME", "${x}", "$(id)", "`id`", "$", "`"},
		{"echo", "*", "?", "[a]", "*.mig", "~", "~/x", "a~", "x=~", "#", "a#b", "#x"},
		{"echo", ";", "&", "|", "<", ">", "(", ")", "&&", "2>x", "{", "}", "!"},
		{"echo", "a=b", "--x=y", "%", "@", "+", ":", ",", ".", "-", "_"},
		{"echo", "line\nbreak", "\n", "tab\there", "cr\rx", "\v\f", " ", "  lead", "trail  "},
		{"echo", "é", "ü ✓", "日本語", "\u00a0"},
		{"A=1", "x"},
		{"a=", "b"},
		{"=", "x"},
		{"if", "then"},
		{"while"},
		{"!"},
		{"{", "}"},
		{"my prog", "arg"},
		{"it's"},
		{"~"},
		{"#x"},
		{"*"},
		{"é"},
		{"$x"},
	}
	for _, argv := range tests {
		q := ShellQuote(argv)
		sh, err := shWords(t, q)
		if err != nil || !reflect.DeepEqual(sh, argv) {
			t.Errorf("ShellQuote(%q) = %s; sh reads %q, %v", argv, q, sh, err)
			continue
		}
		got, err := SplitArgs(q)
		if err != nil || !reflect.DeepEqual(got, argv) {
			t.Errorf("SplitArgs(ShellQuote(%q) = %s) = %q, %v", argv, q, got, err)
		}
		ran, ok, err := shCommand(t, q, argv[0])
		if ok && (err != nil || !reflect.DeepEqual(ran, argv)) {
			t.Errorf("ShellQuote(%q) = %s; sh -c runs %q, %v", argv, q, ran, err)
		}
	}
	if got := ShellQuote([]string{"nc", "-U", "/run/a"}); got != "nc -U /run/a" {
		t.Errorf("ShellQuote quotes safe words: %s", got)
	}
	if got := ShellQuote(nil); got != "" {
		t.Errorf("ShellQuote(nil) = %q", got)
	}
}

// TestSplitArgsCorpus runs every string of the fuzz corpus through the
// differential check, so that the seeds are compared with sh on every
// test run, not only while fuzzing.
func TestSplitArgsCorpus(t *testing.T) {
	files, _ := filepath.Glob("testdata/fuzz/FuzzSplitArgs/*")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, ok := corpusString(string(data))
		if !ok {
			t.Fatalf("%s: not a one-string corpus file", f)
		}
		checkSplitArgs(t, s)
	}
}

// checkSplitArgs is FuzzSplitArgs's property: SplitArgs fails only with an
// *ArgsError inside the string, and what it accepts a shell reads the same.
func checkSplitArgs(t testing.TB, s string) {
	t.Helper()
	words, err := SplitArgs(s)
	if err != nil {
		var ae *ArgsError
		if !errors.As(err, &ae) {
			t.Fatalf("SplitArgs(%q): %T %v, want *ArgsError", s, err, err)
		}
		if ae.Pos < 0 || ae.Pos > len(s) || words != nil {
			t.Fatalf("SplitArgs(%q) = %q, error at %d", s, words, ae.Pos)
		}
		return
	}
	if len(words) == 0 {
		t.Fatalf("SplitArgs(%q): no words and no error", s)
	}
	// go-shellwords turns invalid UTF-8 into U+FFFD (as encoding/json
	// would on the way to QEMU); a shell cannot take NUL bytes at all.
	if !utf8.ValidString(s) || strings.Contains(s, "\x00") {
		return
	}
	q := ShellQuote(words)
	if again, err := SplitArgs(q); err != nil || !reflect.DeepEqual(again, words) {
		t.Fatalf("SplitArgs(%q) = %q; SplitArgs(ShellQuote = %s) = %q, %v", s, words, q, again, err)
	}
	diffSplitArgs(t, s, words)
}

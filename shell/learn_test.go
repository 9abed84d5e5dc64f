package shell

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/internal/qemutest"
	"github.com/hmpsh/hmpsh/qmp"
)

// lessonFiles are the lesson files in scripts/lessons.
func lessonFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "scripts", "lessons", "*.hmpt"))
	if err != nil || len(files) < 7 {
		t.Fatalf("scripts/lessons holds %d lessons (%v): %q", len(files), err, files)
	}
	return files
}

func readLesson(t *testing.T, file string) *lesson {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	l, err := parseLesson(file, data)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// genVersion is a generation's version, as the lessons' conditions read it.
func genVersion(t *testing.T, gen string) qmp.Version {
	t.Helper()
	major, minor, _ := strings.Cut(gen, ".")
	a, err1 := strconv.Atoi(major)
	b, err2 := strconv.Atoi(minor)
	if err1 != nil || err2 != nil {
		t.Fatalf("generation %q", gen)
	}
	return qmp.Version{Major: a, Minor: b}
}

// learn runs "hmpsh learn ARGS" with stdin and returns its exit status and
// what it printed.
func learn(t *testing.T, stdin string, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(append([]string{"learn"}, args...), strings.NewReader(stdin), &out, &errOut)
	return code, out.String() + errOut.String()
}

// TestLessonFiles: every lesson reads, is numbered once, has a title, a
// summary and steps, and is listed by hmpsh learn and built in.
func TestLessonFiles(t *testing.T) {
	built, err := builtinLessons()
	if err != nil {
		t.Fatal(err)
	}
	files := lessonFiles(t)
	if len(built) != len(files) {
		t.Errorf("%d lessons built in, %d in scripts/lessons", len(built), len(files))
	}
	seen := map[int]string{}
	for _, f := range files {
		l := readLesson(t, f)
		if l.Num == 0 || seen[l.Num] != "" {
			t.Errorf("%s: number %d (also %s): want NN-name.hmpt, each NN once", f, l.Num, seen[l.Num])
		}
		seen[l.Num] = f
		if l.Summary == "" || len(l.Intro) == 0 {
			t.Errorf("%s: no summary or no introduction", f)
		}
		for _, p := range l.Parts {
			if !p.Auto && len(p.Hints) == 0 {
				t.Errorf("%s:%d: a step without a hint", f, p.Lines[0].Line)
			}
		}
	}
	code, out := learn(t, "")
	if code != 0 {
		t.Fatalf("hmpsh learn: exit %d\n%s", code, out)
	}
	for _, l := range built {
		if !strings.Contains(out, strconv.Itoa(l.Num)+"  "+l.Title+"\n") || !strings.Contains(out, l.Summary) {
			t.Errorf("hmpsh learn does not list lesson %d %q:\n%s", l.Num, l.Title, out)
		}
	}
}

func TestParseLesson(t *testing.T) {
	text := `# title: A test
# summary: one line
# sandbox-machine: pc
#
# The introduction.
#
# Its second paragraph.

(src) info status
VM status: running

# auto
# dst listens.
(src) @dst migrate_incoming unix:/x
(src) @dst info status
VM status: paused (inmigrate)

# Move the VM.
# Over /x.
# hint: one
# hint: two
# accept: migrate -d unix:/x
(src) migrate -c socket,type=unix,path=/x
migration completed: ...
[qemu>=9.0] (src) @dst .wait status running
(src) @dst info status
VM status: running

# Only on 9.0 and later.
# hint: h
[qemu>=9.0] (src) info status
(src) info migrate
`
	l, err := parseLesson("dir/01-test.hmpt", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if l.Num != 1 || l.Title != "A test" || l.Summary != "one line" || l.Machine != "pc" {
		t.Errorf("lesson %+v", l)
	}
	if want := []string{"The introduction.", "", "Its second paragraph."}; !slices.Equal(l.Intro, want) {
		t.Errorf("Intro = %q, want %q", l.Intro, want)
	}
	type shape struct {
		auto   bool
		text   string
		hints  string
		accept string
		lines  int
	}
	var got []shape
	for _, p := range l.Parts {
		got = append(got, shape{p.Auto, strings.Join(p.Text, "|"), strings.Join(p.Hints, "|"), strings.Join(p.Accept, "|"), len(p.Lines)})
	}
	want := []shape{
		{true, "", "", "", 1},
		{true, "dst listens.", "", "", 2},
		{false, "Move the VM.|Over /x.", "one|two", "migrate -d unix:/x", 3},
		{false, "Only on 9.0 and later.", "h", "", 2},
	}
	if !slices.Equal(got, want) {
		t.Errorf("parts:\n got %+v\nwant %+v", got, want)
	}
	old := l.active(qmp.Version{Major: 7, Minor: 2})
	if len(old) != 3 || len(old[2].Lines) != 2 {
		t.Errorf("on 7.2: %d parts, the step has %d lines; want 3 and 2 (its 9.0 check left out)", len(old), len(old[2].Lines))
	}
	if n := len(l.active(qmp.Version{Major: 10})); n != 4 {
		t.Errorf("on 10.0: %d parts, want 4", n)
	}

	for _, tc := range []struct{ text, err string }{
		{"# summary: x\n\n# Do it.\n(src) info status\n", "no \"# title: ...\""},
		{"# title: x\n\n(src) info status\n", "no step"},
		{"# title: x\n\n# auto\n# hint: no\n(src) info status\n", "takes no hint"},
		{"# title: x\n\n# hint: no task\n(src) info status\n", "states its task"},
	} {
		if _, err := parseLesson("x.hmpt", []byte(tc.text)); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("parseLesson(%q) = %v, want an error with %q", tc.text, err, tc.err)
		}
	}
}

// TestJudge: lines are compared by the QMP they send to the QEMU of the
// monitor they go to, on each QEMU generation built in.
func TestJudge(t *testing.T) {
	sx, err := NewSyntax()
	if err != nil {
		t.Fatal(err)
	}
	targets, err := hmp.KnownTargets()
	if err != nil {
		t.Fatal(err)
	}
	all, err := targets.All()
	if err != nil {
		t.Fatal(err)
	}
	same := [][2]string{
		{"migrate unix:/x", "migrate -c socket,type=unix,path=/x"},
		{"migrate -c unix:/x", "migrate -c socket,type=unix,path=/x,channel-type=main"},
		{"@dst migrate_incoming tcp:127.0.0.1:4444", "@dst migrate_incoming -c socket,type=inet,host=127.0.0.1,port=4444"},
		{`migrate "exec:gzip -c > /f"`, `migrate -c "exec,args=/bin/sh -c 'gzip -c > /f'"`},
		{"migrate -c exec,args.0=/bin/dd,args.1=of=/f", `migrate -c "exec,args=/bin/dd of=/f"`},
		{"migrate -d unix:/x", "migrate unix:/x"},
		{"migrate_set_parameter max-bandwidth 512", "migrate_set_parameter max-bandwidth 512M"},
		{"migrate-set-parameters max-bandwidth=536870912", "migrate_set_parameter max-bandwidth 512M"},
		{`{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":536870912}}`, "migrate_set_parameter max-bandwidth 512M"},
		{"migrate_set_capability xbzrle yes", "migrate_set_capability xbzrle on"},
		{"@src info status   # a comment", "info status"},
		{".wait status running timeout=5s", ".wait status running"},
		{"@dst .wait event MIGRATION status=completed", "@dst .wait event MIGRATION status=completed"},
	}
	differ := []struct{ mine, want, why, secret string }{
		{"migrate -c socket,type=unix,path=/y", "migrate unix:/x", `channel key path is "/y" in your line`, "/x"},
		{"migrate -c socket,type=inet,host=h,port=1", "migrate unix:/x", `channel key type is "inet"`, "unix"},
		{"migrate -c exec,args.0=/bin/cat", "migrate unix:/x", `channel key transport is "exec"`, "socket"},
		{"migrate -c socket,type=inet,host=h,port=1,keep-alive=on", "migrate tcp:h:1", "sets channel key keep-alive, which the task does not ask for", ""},
		{"migrate_incoming unix:/x", "@dst migrate_incoming unix:/x", "runs on src; this step is about dst", ""},
		{"@dst migrate unix:/x", "@dst migrate_incoming unix:/x", "sends QMP migrate; this step needs another command", "migrate-incoming"},
		{"migrate unix:/x", "migrate -d unix:/x", "(-d)", ""},
		{"migrate_set_parameter downtime-limit 100", "migrate_set_parameter max-bandwidth 512M", "sets argument downtime-limit", "536870912"},
		{".wait migration", ".wait status running", ".wait is the right command, with other arguments", "running"},
		{"info status", ".wait status running", "one of hmpsh's own commands", ""},
		{".wait status running", "info status", ".wait sends nothing to QEMU", ""},
	}
	for _, tg := range all {
		resolve := func(name string) (string, *hmp.Target, error) {
			if name == "" {
				name = "src"
			}
			return name, tg, nil
		}
		effectOf := func(line string) *effect {
			t.Helper()
			e, _, err := lineEffect(sx, line, resolve)
			if err != nil || e == nil {
				t.Fatalf("QEMU %s: %q: %v", tg.Version(), line, err)
			}
			return e
		}
		for _, pair := range same {
			if ok, why := sameEffect(effectOf(pair[0]), effectOf(pair[1])); !ok {
				t.Errorf("QEMU %s: %q and %q differ: %s", tg.Version(), pair[0], pair[1], why)
			}
		}
		// A command the QEMU does not have is the line's own error, with
		// the did-you-mean, before anything is compared.
		if _, _, err := lineEffect(sx, "@dst migrate_incomin unix:/x", resolve); err == nil || !strings.Contains(err.Error(), `(did you mean "migrate_incoming"?)`) {
			t.Errorf("QEMU %s: a mistyped command: %v", tg.Version(), err)
		}
		for _, tc := range differ {
			ok, why := sameEffect(effectOf(tc.mine), effectOf(tc.want))
			if ok || !strings.Contains(why, tc.why) || tc.secret != "" && strings.Contains(why, tc.secret) {
				t.Errorf("QEMU %s: %q against %q: same=%v, %q; want a difference saying %q and not %q", tg.Version(), tc.mine, tc.want, ok, why, tc.why, tc.secret)
			}
		}
	}
	// A URI's exec runs a shell: on a QEMU sent channels, that is another
	// argv, and the hint says why.
	newest := targets.Newest()
	resolve := func(string) (string, *hmp.Target, error) { return "src", newest, nil }
	mine, _, _ := lineEffect(sx, `migrate "exec:/bin/dd of=/f"`, resolve)
	want, _, _ := lineEffect(sx, `migrate -c "exec,args=/bin/dd of=/f"`, resolve)
	if ok, why := sameEffect(mine, want); ok || !strings.Contains(why, "/bin/sh -c") {
		t.Errorf("exec: URI against an argv: same=%v, %q", ok, why)
	}
}

// TestLessonAnswers: every lesson's own answers, piped in, pass every
// step on each QEMU generation.
func TestLessonAnswers(t *testing.T) {
	files := lessonFiles(t)
	qemutest.Each(t, func(t *testing.T, gen string) {
		bin := qemutest.Require(t, gen)
		v := genVersion(t, gen)
		cache := t.TempDir()
		for _, file := range files {
			l := readLesson(t, file)
			var answers []string
			for _, p := range l.active(v) {
				if !p.Auto {
					answers = append(answers, p.Lines[0].Input)
				}
			}
			run := func(t *testing.T) {
				code, out := learn(t, strings.Join(answers, "\n")+"\n", "--qemu", bin.Path, "--cache-dir", cache, file)
				done := regexp.MustCompile(`Lesson \d+ done: (\d+) of (\d+) steps passed, 0 skipped\.`).FindStringSubmatch(out)
				if code != 0 || done == nil || done[1] != done[2] || done[1] != strconv.Itoa(len(answers)) || strings.Contains(out, "Not yet") || strings.Contains(out, "the lesson expects") {
					t.Errorf("hmpsh learn %s with its own %d answers: exit %d\n%s", file, len(answers), code, out)
				}
			}
			// One lesson at a time: each starts two QEMUs, and the
			// other tests start theirs meanwhile.
			t.Run(filepath.Base(file), run)
		}
	})
}

// TestLearnWrongThenRight: a wrong line gets a hint and runs nothing; a
// line spelled otherwise than the answer passes when it sends the same
// QMP; .hint, .show and .skip do what they say. On each generation, as
// a URI goes to QEMU 7.2 as it is and to 10.0 as channels.
func TestLearnWrongThenRight(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		bin := qemutest.Require(t, gen)
		stdin := strings.Join([]string{
			"@dst migrate_incoming tcp:127.0.0.1:1",      // the wrong port
			"@dst migrate_incoming tcp:127.0.0.1:${PORT", // does not expand
			"@dst migrate_incomin tcp:127.0.0.1:${PORT}", // a typo
			"@dst migrate_incoming -c socket,type=inet,host=127.0.0.1,port=${PORT}",
			".hint", ".hint", ".hint", ".show",
			"migrate tcp:127.0.0.1:${PORT}",
		}, "\n") + "\n"
		code, out := learn(t, stdin, "--qemu", bin.Path, "--cache-dir", t.TempDir(), "2")
		for _, want := range []string{
			`(src) @dst migrate_incoming tcp:127.0.0.1:1` + "\n" + `Not yet: migrate-incoming is the right command, but channel key port is "1" in your line; the task needs another value (.hint for a hint, .show for the answer, .skip to move on)`,
			"unterminated ${",
			`did you mean "migrate_incoming"?`,
			"Right. The lesson's answer, which does the same: @dst migrate_incoming tcp:127.0.0.1:${PORT}\n",
			"(src) .hint\nHint: -c socket,type=inet,host=...,port=...\n(src) .hint\nNo more hints; .show shows the answer.\n(src) .hint\nNo more hints",
			"The answer: migrate -c socket,type=inet,host=127.0.0.1,port=${PORT}\n",
			"hmpsh checks: @dst info status\nVM status: running\nRight. The lesson's answer, which does the same: migrate -c socket,type=inet,host=127.0.0.1,port=${PORT}\n",
			"Lesson 2 done: 2 of 2 steps passed (1 after .show), 0 skipped.\nNext: hmpsh learn 3",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the output lacks %q:\n%s", want, out)
			}
		}
		// The wrong lines ran nothing: dst listened on ${PORT} only.
		if n := strings.Count(out, "Not yet"); n != 3 || code != 0 {
			t.Errorf("exit %d, %d times \"Not yet\", want 0 and 3:\n%s", code, n, out)
		}
	})
}

func TestLearnSkipAndLeave(t *testing.T) {
	bin := qemutest.Require(t, qemutest.Gen100)
	// .skip runs the answer, so that the next step works; the end of the
	// input leaves.
	code, out := learn(t, ".skip\n.hint\ninfo status\n", "--qemu", bin.Path, "--cache-dir", t.TempDir(), "6")
	for _, want := range []string{
		"Skipped. hmpsh runs the answer, so that the next steps find the VM as they expect.\nhmpsh runs: migrate -d -c socket,type=unix,path=${SANDBOX}/mig.sock\n",
		"Step 2 of 3:\nWait on src until the migration has completed.\n(src) .hint\nHint: .wait migration\n",
		// A line that only looks runs, unjudged.
		"(src) info status\nVM status: ",
		"(src) \n\nLeft lesson 6 at step 2 of 3: 0 passed, 1 skipped.\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if code != 1 {
		t.Errorf("exit %d, want 1 (left before the end)", code)
	}
}

// TestLearnCommandLine: the lesson commands explain themselves outside a
// lesson, and hmpsh learn's errors.
func TestLearnCommandLine(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main([]string{"--dry-run", "-c", ".hint"}, strings.NewReader(""), &out, &errOut); code != 1 || !strings.Contains(errOut.String(), ".hint works in a lesson: hmpsh learn lists the lessons, hmpsh learn N runs one") {
		t.Errorf(".hint outside a lesson: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := Main([]string{"help", ".skip"}, strings.NewReader(""), &out, &errOut); code != 0 || !strings.Contains(out.String(), "hmpsh runs the step's answer") {
		t.Errorf("help .skip: exit %d\n%s", code, out.String())
	}
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"99"}, 2, "no lesson 99; hmpsh learn lists them (1 to "},
		{[]string{"one"}, 2, `"one" is neither a lesson's number nor a lesson file`},
		{[]string{"1", "2"}, 2, "one lesson at a time"},
		{[]string{"--help"}, 0, "Usage: hmpsh learn"},
		{[]string{"--nope"}, 2, "hmpsh learn --help shows the usage"},
	} {
		code, out := learn(t, "", tc.args...)
		if code != tc.code || !strings.Contains(out, tc.out) {
			t.Errorf("hmpsh learn %q: exit %d, want %d and %q:\n%s", tc.args, code, tc.code, tc.out, out)
		}
	}
}

// TestLearnTerminal runs a lesson on a pseudo-terminal: the shell's
// prompt, a wrong line and its hint, a right one, Ctrl-D.
func TestLearnTerminal(t *testing.T) {
	bin := qemutest.Require(t, qemutest.Gen100)
	env, _ := xdg(t)
	tm := startTerm(t, env, "learn", "--qemu", bin.Path, "2")
	tm.expect(`Step 1 of 2:\n`)
	tm.expect(`(?m)^\(src\)$`)
	tm.send("@dst migrate_incoming -c socket,type=inet,host=127.0.0.1,port=1\r")
	tm.expect(`Not yet: migrate-incoming is the right command, but channel key port is "1" in your line`)
	tm.send("@dst migrate_incoming tcp:127.0.0.1:${PORT}\r")
	tm.expect(`Right\.\n(.*\n)*Step 2 of 2:\n`)
	tm.send("\x04")
	tm.expect(`Left lesson 2 at step 2 of 2: 1 passed, 0 skipped\.`)
	if code := tm.wait(); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
}

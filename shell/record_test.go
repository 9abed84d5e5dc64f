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

	"github.com/hmpsh/hmpsh/internal/qemutest"
	"github.com/hmpsh/hmpsh/transcript"
)

// check runs "hmpsh check ARGS..." in process on bin's sandboxes, with the
// schema cache in cache.
func check(t *testing.T, bin qemutest.Binary, cache string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	args = append([]string{"check", "--cache-dir", cache, "--qemu", bin.Path}, args...)
	code = Main(args, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), code
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func writeFile(t *testing.T, name, text string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// entries reads a transcript as check does.
func entries(t *testing.T, text string) []*transcript.Entry {
	t.Helper()
	f, err := transcript.Parse("transcript", strings.NewReader(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	return f.Entries
}

// entryOutput is the expected output of the first entry whose input line
// is input, "(PROMPT) LINE".
func entryOutput(t *testing.T, text, input string) []string {
	t.Helper()
	for _, e := range entries(t, text) {
		if "("+e.Prompt+") "+e.Input == input {
			return e.Want
		}
	}
	t.Fatalf("no input line %q in the transcript:\n%s", input, text)
	return nil
}

// lineOf is the 1-based number of the first line of text that is line.
func lineOf(t *testing.T, text, line string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if l == line {
			return i + 1
		}
	}
	t.Fatalf("no line %q in:\n%s", line, text)
	return 0
}

var rawTimestamp = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d`)

// A recorded migration is written as typed, with what changes from run
// to run masked, and checks clean run after run.
func TestRecordMigration(t *testing.T) {
	lines := []string{
		"migrate_set_capability events on",
		"@dst migrate_incoming -c socket,type=unix,path=${SANDBOX}/mig.sock",
		"migrate -c socket,type=unix,path=${SANDBOX}/mig.sock",
		".wait event MIGRATION status=completed",
		"@dst .wait status running",
		"@dst info status",
		"info migrate",
		"info version",
		".monitors",
		"bogus_cmd",
	}
	qemutest.Each(t, func(t *testing.T, gen string) {
		bin := qemutest.Require(t, gen)
		file := filepath.Join(t.TempDir(), "migrate.hmpt")
		args := []string{"--keep-going", "--record", file}
		for _, l := range lines {
			args = append(args, "-c", l)
		}
		// Events stay on: those printed while migrate runs are not part of
		// any line's output.
		out, errOut, code := sandboxRun(t, bin, "", args...)
		if code != ExitFailed {
			t.Fatalf("exit %d, want 1 (bogus_cmd)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		if !strings.Contains(out, "src MIGRATION_PASS") {
			t.Fatalf("no MIGRATION_PASS event printed while recording, so nothing shows events are left out:\n%s", out)
		}
		text := readFile(t, file)

		var inputs []string
		for _, e := range entries(t, text) {
			inputs = append(inputs, "("+e.Prompt+") "+e.Input)
		}
		if len(inputs) != len(lines) {
			t.Fatalf("%d input lines, want %d:\n%s", len(inputs), len(lines), text)
		}
		for i, l := range lines {
			if inputs[i] != "(src) "+l {
				t.Errorf("input %d is %q, want %q", i+1, inputs[i], "(src) "+l)
			}
		}

		// The sandbox's directory, as .monitors showed it on stdout, is
		// written as ${SANDBOX}.
		m := regexp.MustCompile(`unix:(/\S+)/src\.qmp`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf(".monitors printed no src address:\n%s", out)
		}
		if strings.Contains(text, m[1]) {
			t.Errorf("the transcript has the sandbox's directory %s:\n%s", m[1], text)
		}
		if !regexp.MustCompile(`(?m)^\* src +unix:\$\{SANDBOX\}/src\.qmp `).MatchString(text) {
			t.Errorf(".monitors' output does not name ${SANDBOX}:\n%s", text)
		}

		if got := entryOutput(t, text, "(src) .wait event MIGRATION status=completed"); len(got) != 1 || got[0] != `event ... src MIGRATION {"status":"completed"}` {
			t.Errorf(".wait event wrote %q, want the event with its timestamp masked", got)
		}
		if n := len(regexp.MustCompile(`(?m)^event `).FindAllString(text, -1)); n != 1 {
			t.Errorf("%d event lines, want only the awaited one:\n%s", n, text)
		}
		if rawTimestamp.MatchString(text) {
			t.Errorf("a timestamp is written as it was:\n%s", text)
		}

		summary := entryOutput(t, text, "(src) migrate -c socket,type=unix,path=${SANDBOX}/mig.sock")
		if len(summary) != 1 || !strings.HasPrefix(summary[0], "migration completed: total ...") || strings.ContainsAny(summary[0], "0123456789") {
			t.Errorf("migrate's summary written as %q, want every number masked", summary)
		}
		info := entryOutput(t, text, "(src) info migrate")
		if len(info) < 3 || !slices.Contains(info, "Migration status: completed") {
			t.Errorf("info migrate written as %q", info)
		}
		for _, l := range info {
			if strings.ContainsAny(l, "0123456789") {
				t.Errorf("info migrate's %q keeps a number", l)
			}
		}
		version := entryOutput(t, text, "(src) info version")
		if len(version) != 1 || !regexp.MustCompile(`^`+regexp.QuoteMeta(gen)+`\.\d+\.\.\.$`).MatchString(version[0]) {
			t.Errorf("info version written as %q, want %s.N...", version, gen)
		}
		if got := entryOutput(t, text, "(src) @dst info status"); len(got) != 1 || got[0] != "VM status: running" {
			t.Errorf("@dst info status written as %q", got)
		}

		// The error is recorded as the line's output, as stderr showed it.
		em := regexp.MustCompile(`(?m)^-c:10: (.*)$`).FindStringSubmatch(errOut)
		if em == nil {
			t.Fatalf("stderr names no error on line 10:\n%s", errOut)
		}
		if got := entryOutput(t, text, "(src) bogus_cmd"); len(got) != 1 || got[0] != em[1] {
			t.Errorf("bogus_cmd's output written as %q, want %q", got, em[1])
		}

		cache := t.TempDir()
		okLine := regexp.MustCompile(`^ok +` + regexp.QuoteMeta(file) + ` \(10 lines, QEMU ` + regexp.QuoteMeta(gen) + `\.\d+, -machine none\)\n$`)
		for i := range 10 {
			out, errOut, code := check(t, bin, cache, file)
			if code != ExitOK || !okLine.MatchString(out) {
				t.Fatalf("check run %d: exit %d\nstdout:\n%s\nstderr:\n%s\ntranscript:\n%s", i+1, code, out, errOut, text)
			}
		}
	})
}

// A changed expected line fails with a diff naming the file and line;
// check --update puts the actual output back and leaves what a person
// wrote by hand as it was.
func TestCheckUpdate(t *testing.T) {
	bin := qemutest.Require(t, qemutest.Gen100)
	file := filepath.Join(t.TempDir(), "status.hmpt")
	_, errOut, code := sandboxRun(t, bin, "", "--record", file, "-c", "info status", "-c", "@dst info status", "-c", "info version")
	if code != ExitOK {
		t.Fatalf("record: exit %d\n%s", code, errOut)
	}
	recorded := readFile(t, file)
	if !strings.Contains(recorded, "(src) info status\nVM status: running\n(src) @dst info status\nVM status: paused (inmigrate)\n") {
		t.Fatalf("recorded:\n%s", recorded)
	}
	// By hand: a comment and a mask of one's own, and a wrong expectation.
	edited := strings.Replace(recorded, "(src) @dst info status\nVM status: paused (inmigrate)\n",
		"(src) @dst info status\n# dst waits for a migration: -incoming defer\nVM status: paused (...)\n", 1)
	restored := edited
	edited = strings.Replace(edited, "(src) info status\nVM status: running\n", "(src) info status\nVM status: paused\n", 1)
	if edited == restored || !strings.Contains(edited, "(...)") {
		t.Fatalf("the edit did not apply:\n%s", edited)
	}
	writeFile(t, file, edited)
	cache := t.TempDir()

	out, errOut, code := check(t, bin, cache, file)
	if code != ExitFailed {
		t.Fatalf("check of a wrong line: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	n := lineOf(t, edited, "(src) info status")
	want := "FAIL    " + file + " (3 lines, QEMU 10.0."
	if !strings.HasPrefix(out, want) {
		t.Errorf("stdout does not begin %q:\n%s", want, out)
	}
	hunk := "--- " + file + " (want)\n+++ " + file + " (got)\n" +
		"@@ " + file + ":" + strconv.Itoa(n) + ": (src) info status @@\n" +
		"-VM status: paused\n" +
		"+VM status: running\n"
	if !strings.HasSuffix(out, hunk) {
		t.Errorf("stdout does not end with the diff\n%s\nit is:\n%s", hunk, out)
	}
	if got := readFile(t, file); got != edited {
		t.Errorf("check without --update changed the file:\n%s", got)
	}

	out, errOut, code = check(t, bin, cache, "--update", file)
	if code != ExitOK || !strings.HasPrefix(out, "updated "+file+" ") {
		t.Fatalf("check --update: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if got := readFile(t, file); got != restored {
		t.Errorf("check --update wrote\n%s\nwant\n%s", got, restored)
	}
	if _, err := os.Stat(file + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("check --update left %s.tmp: %v", file, err)
	}
	out, errOut, code = check(t, bin, cache, file)
	if code != ExitOK || !strings.HasPrefix(out, "ok      "+file+" ") {
		t.Errorf("check after --update: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// Lines under a condition run only on the QEMUs it holds for: one
// transcript states what each generation does with the same line.
func TestCheckConditions(t *testing.T) {
	const text = `# A migration to a file at an offset: QEMU 8.2 has the file transport;
# hmpsh refuses the line before that.
[qemu>=8.2] (src) migrate -c file,filename=${SANDBOX}/vm.bin,offset=4096
migration completed: total ..., downtime ..., ... transferred, .../s
[qemu>=8.2] (src) info status
VM status: paused (postmigrate)
[qemu<8.2] (src) migrate -c file,filename=${SANDBOX}/vm.bin,offset=4096
migrate: transport=file has no URI form before QEMU 8.2; QEMU ...'s migrate takes only a URI
[qemu<8.2] (src) info status
VM status: running
(dst) info status
VM status: paused (inmigrate)
`
	qemutest.Each(t, func(t *testing.T, gen string) {
		bin := qemutest.Require(t, gen)
		file := filepath.Join(t.TempDir(), "file.hmpt")
		writeFile(t, file, text)
		out, errOut, code := check(t, bin, t.TempDir(), file)
		// Three of the five lines hold on either generation.
		want := "ok      " + file + " (3 lines, QEMU " + gen + "."
		if code != ExitOK || !strings.HasPrefix(out, want) {
			t.Errorf("exit %d, want 0 and %q\nstdout:\n%s\nstderr:\n%s", code, want, out, errOut)
		}
	})
}

// The prompt says which monitor a line without @NAME goes to; a prompt
// that names no monitor is an error at its line.
func TestCheckPromptPicksMonitor(t *testing.T) {
	bin := qemutest.Require(t, qemutest.Gen100)
	dir, cache := t.TempDir(), t.TempDir()
	good := filepath.Join(dir, "prompts.hmpt")
	writeFile(t, good, `(dst) info status
VM status: paused (inmigrate)
(src) info status
VM status: running
(dst) info status
VM status: paused (inmigrate)
# A single monitor's "(qemu)", replayed on two, is the current one.
(qemu) info status
VM status: paused (inmigrate)
`)
	out, errOut, code := check(t, bin, cache, good)
	if code != ExitOK || !strings.HasPrefix(out, "ok      "+good+" (4 lines,") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	bad := filepath.Join(dir, "nosuch.hmpt")
	writeFile(t, bad, `(src) info status
VM status: running
(nosuch) info status
VM status: running
`)
	out, errOut, code = check(t, bin, cache, bad)
	if code != ExitFailed || !strings.Contains(errOut, bad+":3: prompt (nosuch): ") || !strings.Contains(errOut, "src, dst") {
		t.Errorf("exit %d, want 1 and %s:3 naming the prompt and the monitors\nstdout:\n%s\nstderr:\n%s", code, bad, out, errOut)
	}
}

// Secrets typed on a line are left out of the transcript as they are
// left out of the history, and the transcript still checks.
func TestRecordSecrets(t *testing.T) {
	bin := qemutest.Require(t, qemutest.Gen100)
	file := filepath.Join(t.TempDir(), "secrets.hmpt")
	// -machine none has no VNC: set_password fails, and the recording
	// goes on.
	out, errOut, code := sandboxRun(t, bin, "", "--keep-going", "--record", file,
		"-c", "set_password vnc hunter2",
		"-c", "object_add secret,id=sec0,data=hunter2",
		"-c", `{"execute":"set_password","arguments":{"protocol":"vnc","password":"hunter2"}}`,
		"-c", "info status")
	if code != ExitFailed {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	text := readFile(t, file)
	if strings.Contains(text, "hunter2") {
		t.Errorf("the transcript has the secret:\n%s", text)
	}
	for _, want := range []string{
		"(src) set_password vnc ***\n",
		"(src) object_add secret,id=sec0,data=***\n",
		`(src) {"execute":"set_password","arguments":{"protocol":"vnc","password":"***"}}` + "\n",
		"(src) info status\nVM status: running\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the transcript lacks %q:\n%s", want, text)
		}
	}
	if got := entryOutput(t, text, "(src) set_password vnc ***"); len(got) == 0 {
		t.Errorf("set_password's error is not recorded:\n%s", text)
	}
	out, errOut, code = check(t, bin, t.TempDir(), file)
	if code != ExitOK {
		t.Errorf("check: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// --record in the interactive shell: each line after the prompt it was
// typed at, its output below, events left out.
func TestRecordInteractive(t *testing.T) {
	bin := qemutest.Require(t, qemutest.Gen100)
	env, _ := xdg(t)
	file := filepath.Join(t.TempDir(), "session.hmpt")
	tm := startTerm(t, env, "--qemu", bin.Path, "--record", file)
	tm.expect(`(?m)^\(src\)$`)
	tm.send("@dst info status\r")
	tm.expect(`VM status: paused \(inmigrate\)\n\(src\)`)
	// Events printed on the terminal while lines run.
	tm.send("stop\r")
	tm.expect(`event \S+ src STOP\n`)
	tm.send("cont\r")
	// RESUME may come while readline draws the next prompt, and land on
	// its line: the event is what counts here.
	tm.expect(`event \S+ src RESUME`)
	tm.send(".use dst\r")
	tm.expect(`(?m)^\(dst\)$`)
	tm.send("info status\r")
	tm.expectCount(`VM status: paused \(inmigrate\)`, 2)
	tm.send("\x04")
	if code := tm.wait(); code != 0 {
		t.Errorf("exit %d", code)
	}
	text := readFile(t, file)
	var body []string
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if !strings.HasPrefix(l, "#") {
			body = append(body, l)
		}
	}
	want := []string{
		"(src) @dst info status",
		"VM status: paused (inmigrate)",
		"(src) stop",
		"(src) cont",
		"(src) .use dst",
		"(dst) info status",
		"VM status: paused (inmigrate)",
	}
	if strings.Join(body, "\n") != strings.Join(want, "\n") {
		t.Errorf("the transcript is\n%s\nwant (comments aside)\n%s", text, strings.Join(want, "\n"))
	}
	out, errOut, code := check(t, bin, t.TempDir(), file)
	if code != ExitOK || !strings.HasPrefix(out, "ok      "+file+" (5 lines,") {
		t.Errorf("check: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// Usage errors and unreadable transcripts end check with 2 before any
// QEMU starts: --qemu names one that does not exist, so starting a
// sandbox would fail with its name.
func TestCheckErrors(t *testing.T) {
	dir := t.TempDir()
	bogus := qemutest.Binary{Path: filepath.Join(dir, "no-qemu")}
	good := filepath.Join(dir, "good.hmpt")
	writeFile(t, good, "(src) info status\nVM status: running\n")

	missing := filepath.Join(dir, "missing.hmpt")
	out, errOut, code := check(t, bogus, dir, good, missing)
	if code != ExitMonitor || out != "" || !strings.Contains(errOut, missing+": no such file or directory") || strings.Contains(errOut, "no-qemu") {
		t.Errorf("a missing transcript: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	early := filepath.Join(dir, "early.hmpt")
	writeFile(t, early, "# output before any input line\nVM status: running\n(src) info status\nVM status: running\n")
	out, errOut, code = check(t, bogus, dir, good, early)
	if code != ExitMonitor || out != "" || !strings.Contains(errOut, early+":2: output before any input line") || strings.Contains(errOut, "no-qemu") {
		t.Errorf("output before input: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	out, errOut, code = check(t, bogus, dir)
	if code != ExitMonitor || out != "" || !strings.Contains(errOut, "hmpsh check: no transcript given") {
		t.Errorf("no transcript: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// The sandbox's directory is as long as $TMPDIR and a random number make
// it, and .monitors pads the addresses that hold it to a column: a
// transcript recorded in a short directory checks in a long one, and the
// other way round.
func TestRecordSandboxDirLength(t *testing.T) {
	bin := qemutest.Require(t, qemutest.Gen100)
	short, long := "/tmp", t.TempDir() // both leave the sandbox's sockets room
	for _, c := range []struct{ name, record, check string }{
		{"short-to-long", short, long},
		{"long-to-short", long, short},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "monitors.hmpt")
			t.Setenv("TMPDIR", c.record)
			out, errOut, code := sandboxRun(t, bin, "", "--record", file, "-c", ".monitors")
			if code != ExitOK {
				t.Fatalf("record: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			if !regexp.MustCompile(`(?m)^\* src +unix:` + regexp.QuoteMeta(c.record) + `/hmpsh-\S+/src\.qmp `).MatchString(out) {
				t.Fatalf("the sandbox is not in %s:\n%s", c.record, out)
			}
			text := readFile(t, file)
			if !regexp.MustCompile(`(?m)^\* src +unix:\$\{SANDBOX\}/src\.qmp `).MatchString(text) {
				t.Fatalf(".monitors recorded as:\n%s", text)
			}
			t.Setenv("TMPDIR", c.check)
			out, errOut, code = check(t, bin, t.TempDir(), "-v", file)
			if code != ExitOK {
				t.Errorf("check in TMPDIR %s: exit %d\nstdout:\n%s\nstderr:\n%s\ntranscript:\n%s", c.check, code, out, errOut, text)
			}
		})
	}
}

// query-version's package is masked in the reply to a line of JSON, which
// is printed on one line, as in the indented reply to query-version.
func TestRecordQueryVersion(t *testing.T) {
	bin := qemutest.Require(t, qemutest.Gen100)
	file := filepath.Join(t.TempDir(), "version.hmpt")
	out, errOut, code := sandboxRun(t, bin, "", "--record", file, "-c", `{"execute":"query-version"}`, "-c", "query-version")
	if code != ExitOK {
		t.Fatalf("record: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	text := readFile(t, file)
	raw := entryOutput(t, text, `(src) {"execute":"query-version"}`)
	if len(raw) != 1 || !regexp.MustCompile(`^\{"return":\{"qemu":\{.*\},"package":"\.\.\."\}\}$`).MatchString(raw[0]) {
		t.Errorf("the reply to the JSON line is written as %q", raw)
	}
	if got := entryOutput(t, text, "(src) query-version"); !slices.Contains(got, `  "package": "..."`) {
		t.Errorf("query-version's reply is written as %q", got)
	}
	out, errOut, code = check(t, bin, t.TempDir(), file)
	if code != ExitOK {
		t.Errorf("check: exit %d\nstdout:\n%s\nstderr:\n%s\ntranscript:\n%s", code, out, errOut, text)
	}
}

// A session recorded with --json is checked in JSON, with the same
// values masked as in text.
func TestRecordJSON(t *testing.T) {
	bin := qemutest.Require(t, qemutest.Gen100)
	file := filepath.Join(t.TempDir(), "json.hmpt")
	lines := []string{
		"migrate_set_capability events on",
		"@dst migrate_incoming -c socket,type=unix,path=${SANDBOX}/mig.sock",
		"migrate -c socket,type=unix,path=${SANDBOX}/mig.sock",
		".wait event MIGRATION status=completed",
		"@dst .wait status running",
		"info version",
		"query-status",
	}
	args := []string{"--json", "--record", file}
	for _, l := range lines {
		args = append(args, "-c", l)
	}
	out, errOut, code := sandboxRun(t, bin, "", args...)
	if code != ExitOK {
		t.Fatalf("record: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	text := readFile(t, file)
	if !strings.Contains(text, "\n# output: json\n(src) ") {
		t.Errorf("no output directive in the header:\n%s", text)
	}
	summary := entryOutput(t, text, "(src) migrate -c socket,type=unix,path=${SANDBOX}/mig.sock")
	if len(summary) != 2 || summary[0] != `{"return":{}}` || !strings.HasPrefix(summary[1], `{"migration":{"status":"completed",`) || strings.ContainsAny(summary[1], "0123456789") {
		t.Errorf("migrate's reply and summary written as %q, want every number masked", summary)
	}
	if got := entryOutput(t, text, "(src) .wait event MIGRATION status=completed"); len(got) != 1 || !strings.Contains(got[0], `"timestamp":{"seconds":...,"microseconds":...}`) {
		t.Errorf(".wait event wrote %q", got)
	}
	if got := entryOutput(t, text, "(src) info version"); len(got) != 1 || !regexp.MustCompile(`^\{"return":"10\.0\.\d+\.\.\.$`).MatchString(got[0]) {
		t.Errorf("info version written as %q", got)
	}
	if got := entryOutput(t, text, "(src) query-status"); len(got) != 1 || got[0] != `{"return":{"status":"postmigrate","running":false}}` {
		t.Errorf("query-status written as %q", got)
	}
	out, errOut, code = check(t, bin, t.TempDir(), file)
	if code != ExitOK {
		t.Errorf("check: exit %d\nstdout:\n%s\nstderr:\n%s\ntranscript:\n%s", code, out, errOut, text)
	}
}

// The sandbox's port is written as ${PORT} where it stands as a number of
// its own, and left alone inside a longer one.
func TestMaskerPort(t *testing.T) {
	mk := masker{dir: "/tmp/hmpsh-123", port: "4444"}
	for in, want := range map[string]string{
		"PORT=4444":                         "PORT=${PORT}",
		"tcp:127.0.0.1:4444,to=44445":       "tcp:127.0.0.1:${PORT},to=44445",
		"unix:/tmp/hmpsh-123/mig.sock 4444": "unix:${SANDBOX}/mig.sock ${PORT}",
		"14444 44440":                       "14444 44440",
	} {
		if got := mk.mask(nil)(in); got != want {
			t.Errorf("mask(%q) = %q, want %q", in, got, want)
		}
	}
}

// A summary has the same shape however fast the migration was: QEMU 7.2
// with no RAM can report 0 ms and 0 bytes, and a transcript's masked
// summary line must still match it.
func TestSummaryShape(t *testing.T) {
	zero, ms := int64(0), int64(3)
	ram := &MigrationRAM{Transferred: 1089}
	fast := &MigrationInfo{Status: "completed", TotalTime: &zero, Downtime: &zero, RAM: ram}
	slow := &MigrationInfo{Status: "completed", TotalTime: &ms, Downtime: &zero, RAM: ram}
	mask := masker{}.mask(nil)
	if a, b := mask(Summary(fast)), mask(Summary(slow)); a != b {
		t.Errorf("summaries differ in shape: %q (%s) and %q (%s)", a, Summary(fast), b, Summary(slow))
	}
}

// "@* LINE" recorded: each line of a block is masked after its "NAME: ",
// so a waited event and QEMU's build string match again, and check
// passes on the recording.
func TestRecordEachMonitor(t *testing.T) {
	bin := qemutest.Require(t, qemutest.Gen100)
	file := filepath.Join(t.TempDir(), "each.hmpt")
	out, errOut, code := sandboxRun(t, bin, "", "--no-events", "--record", file,
		"-c", "@dst migrate_incoming -c socket,type=unix,path=${SANDBOX}/mig.sock",
		"-c", "migrate -d -c socket,type=unix,path=${SANDBOX}/mig.sock",
		"-c", "@* .wait event MIGRATION status=completed", "-c", "@* info version")
	if code != ExitOK {
		t.Fatalf("record: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	text := readFile(t, file)
	if got, want := entryOutput(t, text, "(src) @* .wait event MIGRATION status=completed"), []string{
		`src: event ... src MIGRATION {"status":"completed"}`, `dst: event ... dst MIGRATION {"status":"completed"}`,
	}; !slices.Equal(got, want) {
		t.Errorf("the waited events are written as %q, want %q", got, want)
	}
	if got := entryOutput(t, text, "(src) @* info version"); len(got) != 2 || !regexp.MustCompile(`^src: 10\.0\.\d+\.\.\.$`).MatchString(got[0]) || !regexp.MustCompile(`^dst: 10\.0\.\d+\.\.\.$`).MatchString(got[1]) {
		t.Errorf("info version is written as %q", got)
	}
	out, errOut, code = check(t, bin, t.TempDir(), file)
	if code != ExitOK {
		t.Errorf("check: exit %d\nstdout:\n%s\nstderr:\n%s\ntranscript:\n%s", code, out, errOut, text)
	}
}

package shell

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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

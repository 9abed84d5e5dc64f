package shell

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hmpsh/hmpsh/internal/qemutest"
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

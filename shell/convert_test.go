package shell

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hmpsh/hmpsh/internal/qemutest"
)

// convertRun runs hmpsh convert ARGS on stdin.
func convertRun(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(append([]string{"convert"}, args...), strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), code
}

// TestConvertBytes: what convert does not rewrite it keeps byte for byte:
// CRLF line ends, a missing final newline, spacing, odd lines that are
// not migration lines and do not parse.
func TestConvertBytes(t *testing.T) {
	in := "migrate tcp:h:1\r\n\r\n  @dst   migrate_incoming\ttcp::4444\t# x  \r\n.bogus  line\n\"unterminated\nmigrate_recover unix:/s"
	want := "migrate -c socket,type=inet,host=h,port=1\r\n\r\n  @dst   migrate_incoming\t-c socket,type=inet,host=,port=4444\t# x  \r\n.bogus  line\n\"unterminated\nmigrate_recover -c socket,type=unix,path=/s"
	out, errOut, code := convertRun(t, in)
	if code != 0 || out != want {
		t.Errorf("exit %d\ngot  %q\nwant %q\n%s", code, out, want, errOut)
	}
	back, errOut, code := convertRun(t, out, "--to", "uri")
	wantBack := strings.Replace(in, "\t# x", "\t# x", 1)
	if code != 0 || back != wantBack {
		t.Errorf("back: exit %d\ngot  %q\nwant %q\n%s", code, back, wantBack, errOut)
	}
	// A migration line that does not parse is an error.
	_, errOut, code = convertRun(t, "info status\nmigrate -z tcp:h:1\n")
	if code != ExitFailed || !strings.HasPrefix(errOut, "<stdin>:2: migrate: unsupported option -z") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// TestConvertTranscript: in a transcript only input lines change; a file
// is one by its name or, read from standard input, by its content.
func TestConvertTranscript(t *testing.T) {
	in := "# sandbox-machine: none\n\n(src) migrate unix:/s\n\\(src) migrate unix:/not-an-input\n[qemu>=9.0]  [qemu<11.0] (dst) migrate_incoming unix:/d\nmigrate unix:/output\n(src)\n"
	want := "# sandbox-machine: none\n\n(src) migrate -c socket,type=unix,path=/s\n\\(src) migrate unix:/not-an-input\n[qemu>=9.0]  [qemu<11.0] (dst) migrate_incoming -c socket,type=unix,path=/d\nmigrate unix:/output\n(src)\n"
	out, errOut, code := convertRun(t, in)
	if code != 0 || out != want {
		t.Errorf("by content: exit %d\ngot  %q\nwant %q\n%s", code, out, want, errOut)
	}
	file := filepath.Join(t.TempDir(), "t.hmpt")
	if err := os.WriteFile(file, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := convertRun(t, "", file); code != 0 || out != want {
		t.Errorf("by name: exit %d\ngot  %q\n%s", code, out, errOut)
	}
	// A .hmpt that is no transcript says why.
	if err := os.WriteFile(file, []byte("migrate unix:/s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := convertRun(t, "", file); code != ExitMonitor || !strings.Contains(errOut, "t.hmpt:1: output before any input line") {
		t.Errorf(".hmpt that is a script: exit %d: %s", code, errOut)
	}
	// A transcript with a mistake says so.
	if _, errOut, code := convertRun(t, "(src) info status\n[qemu<11] (src) stop\n"); code != ExitMonitor || !strings.Contains(errOut, "<stdin>:2: malformed condition [qemu<11]") {
		t.Errorf("a bad transcript: exit %d: %s", code, errOut)
	}
	// A script stays a script: its lines are not input lines.
	if out, _, _ := convertRun(t, "migrate unix:/s\n"); out != "migrate -c socket,type=unix,path=/s\n" {
		t.Errorf("script: %q", out)
	}
}

// TestScriptLibraryConverted: every transcript of scripts/examples, converted to
// channels and to URIs, still passes hmpsh check on each QEMU generation:
// the converted lines do on a real QEMU what the originals did.
func TestScriptLibraryConverted(t *testing.T) {
	var files []string
	filepath.WalkDir(filepath.Join("..", "scripts", "examples"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".hmpt") {
			files = append(files, path)
		}
		return nil
	})
	dir := t.TempDir()
	var converted []string
	for _, file := range files {
		if filepath.Base(file) == "postcopy.hmpt" {
			// Its lines convert as unix.hmpt's do; what it adds is a
			// race (switch to postcopy before precopy ends) that one
			// run in TestScriptLibrary is exposed to enough.
			continue
		}
		orig, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, to := range []string{"channels", "uri"} {
			out, errOut, code := convertRun(t, "", "--to", to, file)
			if code != 0 {
				t.Fatalf("convert --to %s %s: exit %d\n%s", to, file, code, errOut)
			}
			if out == string(orig) {
				continue
			}
			name := filepath.Join(dir, to+"-"+filepath.Base(file))
			if err := os.WriteFile(name, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			converted = append(converted, name)
		}
	}
	if len(converted) < 8 {
		t.Fatalf("only %d converted transcripts: %q", len(converted), converted)
	}
	qemutest.Each(t, func(t *testing.T, gen string) {
		bin := qemutest.Require(t, gen)
		cache := t.TempDir()
		for _, file := range converted {
			t.Run(filepath.Base(file), func(t *testing.T) {
				var out, errOut bytes.Buffer
				if code := Main([]string{"check", "--cache-dir", cache, "--qemu", bin.Path, file}, strings.NewReader(""), &out, &errOut); code != 0 {
					t.Errorf("hmpsh check %s: exit %d\n%s%s", file, code, out.String(), errOut.String())
				}
			})
		}
	})
}

package shell

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hmpsh/hmpsh/internal/qemutest"
)

// sandboxRun runs hmpsh on a sandbox of QEMU generation gen with stdin
// as standard input.
func sandboxRun(t *testing.T, bin qemutest.Binary, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	args = append([]string{"--cache-dir", t.TempDir(), "--qemu", bin.Path}, args...)
	code = Main(args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), code
}

func writeScript(t *testing.T, text string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "script.hmp")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestKeepGoing(t *testing.T) {
	script := `info status
bogus_command_x
@dst info status
migrate_set_parameter downtime-limit nope
info status
`
	qemutest.Each(t, func(t *testing.T, gen string) {
		bin := qemutest.Require(t, gen)
		file := writeScript(t, script)

		out, errOut, code := sandboxRun(t, bin, "", "--no-events", "-f", file)
		if code != ExitFailed || strings.Count(out, "VM status:") != 1 {
			t.Fatalf("without --keep-going: exit %d, want 1 after line 2\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		if !strings.Contains(errOut, file+":2: ") {
			t.Errorf("stderr does not name line 2:\n%s", errOut)
		}

		out, errOut, code = sandboxRun(t, bin, "", "--no-events", "--keep-going", "-f", file)
		if code != ExitFailed {
			t.Errorf("--keep-going: exit %d, want 1", code)
		}
		if n := strings.Count(out, "VM status:"); n != 3 {
			t.Errorf("--keep-going ran %d info status lines, want 3:\n%s", n, out)
		}
		for _, want := range []string{file + ":2: ", file + ":4: "} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errOut)
			}
		}

		// A lost monitor is worse than a failed line: 2, even when later
		// lines succeed.
		out, errOut, code = sandboxRun(t, bin, "", "--no-events", "--keep-going",
			"-c", "bogus_command_x", "-c", "@dst quit", "-c", "@dst info status", "-c", "info status")
		if code != ExitMonitor {
			t.Errorf("--keep-going with dst lost: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		if !strings.Contains(errOut, "-c:3: monitor dst") || !strings.Contains(out, "VM status: running") {
			t.Errorf("want line 3 to fail on dst and line 4 to run:\nstdout:\n%s\nstderr:\n%s", out, errOut)
		}
	})
}

func TestEcho(t *testing.T) {
	bin := qemutest.Require(t, qemutest.Gen100)
	out, _, code := sandboxRun(t, bin, "", "--no-events", "--echo", "-c", "@dst info status", "-c", ".use dst", "-c", "", "-c", "info status")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	want := "(src) @dst info status\nVM status: paused (inmigrate)\n(src) .use dst\n(dst) info status\nVM status: paused (inmigrate)\n"
	if out != want {
		t.Errorf("--echo printed\n%s\nwant\n%s", out, want)
	}
}

// A -f file that cannot be read is reported before anything connects: the
// unreachable monitor is never tried.
func TestMissingScript(t *testing.T) {
	dir := t.TempDir()
	out, errOut, code := hmpsh(t, dir, "--qmp", "unix:"+filepath.Join(dir, "nosuch.sock"), "-c", "info status", "-f", filepath.Join(dir, "nosuch.hmp"))
	if code != ExitMonitor || out != "" {
		t.Errorf("exit %d, stdout %q", code, out)
	}
	if !strings.Contains(errOut, "nosuch.hmp: no such file or directory") || strings.Contains(errOut, "nosuch.sock") {
		t.Errorf("stderr: %s", errOut)
	}
}

func TestWaits(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		bin := qemutest.Require(t, gen)
		// The migration completes during the sleep, before the wait
		// begins: the wait still finds its event.
		script := `migrate_set_capability events on
@dst migrate_incoming unix:${SANDBOX}/mig.sock
migrate -d unix:${SANDBOX}/mig.sock
.sleep 1500ms
.wait event MIGRATION status=completed
@dst .wait status running timeout=10s
@dst .wait migration
.wait status postmigrate
`
		out, errOut, code := sandboxRun(t, bin, "", "--no-events", "-f", writeScript(t, script))
		if code != 0 {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		if !regexp.MustCompile(`(?m)^event \S+Z src MIGRATION \{"status":"completed"\}\n`).MatchString(out) {
			t.Errorf("no MIGRATION completed event line:\n%s", out)
		}
		if !strings.Contains(out, "migration completed") {
			t.Errorf("@dst .wait migration printed no summary:\n%s", out)
		}

		// A timeout fails the line, naming what was awaited and last seen.
		start := time.Now()
		out, errOut, code = sandboxRun(t, bin, "", "-c", "@dst .wait status running timeout=300ms")
		if code != ExitFailed || !strings.Contains(errOut, "-c:1: .wait status running: timed out after 300ms; last seen: inmigrate") {
			t.Errorf("exit %d, stderr:\n%s", code, errOut)
		}
		if time.Since(start) > 20*time.Second {
			t.Errorf("the wait took %s", time.Since(start))
		}
		_, errOut, code = sandboxRun(t, bin, "", "-c", "migrate_set_capability events on", "-c", ".wait event MIGRATION status=completed timeout=200ms")
		if code != ExitFailed || !strings.Contains(errOut, "-c:2: .wait event MIGRATION status=completed: timed out after 200ms; last seen: nothing yet") {
			t.Errorf("exit %d, stderr:\n%s", code, errOut)
		}
		// Without the events capability (the sandbox turns it on) no
		// MIGRATION event can come: say so at once.
		_, errOut, code = sandboxRun(t, bin, "", "-c", "migrate_set_capability events off", "-c", ".wait event MIGRATION status=completed")
		if code != ExitFailed || !strings.Contains(errOut, `only with the events capability on; run "migrate_set_capability events on" on src`) {
			t.Errorf("exit %d, stderr:\n%s", code, errOut)
		}
		_, errOut, code = sandboxRun(t, bin, "", "-c", ".wait status runing")
		if code != ExitFailed || !strings.Contains(errOut, `has no status "runing" (did you mean "running"?)`) {
			t.Errorf("exit %d, stderr:\n%s", code, errOut)
		}
		_, errOut, code = sandboxRun(t, bin, "", "-c", ".wait event MIGRATON")
		if code != ExitFailed || !strings.Contains(errOut, `(did you mean "MIGRATION"?)`) {
			t.Errorf("exit %d, stderr:\n%s", code, errOut)
		}
	})
}

// Two waits in a row find two events, in order; a dotted key reaches into
// the data.
func TestWaitEventsInOrder(t *testing.T) {
	bin := qemutest.Require(t, qemutest.Gen100)
	// The sandbox turns the events capability on by itself.
	script := `@dst migrate_incoming unix:${SANDBOX}/mig.sock
migrate -d unix:${SANDBOX}/mig.sock
.wait event MIGRATION status=setup
.wait event MIGRATION status=completed
.wait event MIGRATION status=setup timeout=500ms
`
	out, errOut, code := sandboxRun(t, bin, "", "--no-events", "-f", writeScript(t, script))
	if code != ExitFailed || !strings.Contains(errOut, ":5: .wait event MIGRATION status=setup: timed out after 500ms; last seen: MIGRATION {\"status\":\"completed\"}") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if i, j := strings.Index(out, `"setup"`), strings.Index(out, `"completed"`); i < 0 || j < i {
		t.Errorf("want setup, then completed:\n%s", out)
	}
	w := &waitSpec{match: []keyMatch{{path: []string{"a", "b"}, value: "3"}, {path: []string{"c"}, value: "true"}}}
	if !w.matches([]byte(`{"a":{"b":3},"c":true}`)) || w.matches([]byte(`{"a":{"b":4},"c":true}`)) || w.matches([]byte(`{"a":3,"c":true}`)) {
		t.Error("dotted keys do not match as they should")
	}
}

// A signal stops a script at the line it interrupts, which is named; the
// exit status is 128 + the signal, and the sandbox goes.
func TestScriptInterrupted(t *testing.T) {
	bin := qemutest.Require(t, qemutest.Gen100)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			script := writeScript(t, "info status\n.sleep 60s\ninfo status\n")
			cmd := exec.Command(hmpshBinary(t), "--cache-dir", t.TempDir(), "--qemu", bin.Path, "--no-events", "-f", script)
			var out, errOut syncBuffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for !strings.Contains(out.String(), "VM status") && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond)
			cmd.Process.Signal(sig)
			err := cmd.Wait()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != 128+int(sig) {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, 128+int(sig), errOut.String())
			}
			if want := script + ":2: interrupted\n"; !strings.Contains(errOut.String(), want) {
				t.Errorf("stderr %q lacks %q", errOut.String(), want)
			}
			if strings.Contains(errOut.String(), "context canceled") {
				t.Errorf("stderr says context canceled: %s", errOut.String())
			}
		})
	}
}

package shell

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hmpsh/hmpsh/internal/qemutest"
	"github.com/hmpsh/hmpsh/qmp"
)

// xdg gives a test its own cache and state directories.
func xdg(t *testing.T) (env []string, state string) {
	state = t.TempDir()
	return []string{"XDG_CACHE_HOME=" + t.TempDir(), "XDG_STATE_HOME=" + state, "HOME=" + t.TempDir()}, state
}

func TestInteractive(t *testing.T) {
	// A second QMP monitor lets the test make events behind hmpsh's back
	// (a QMP socket serves one client at a time).
	side := filepath.Join(t.TempDir(), "side.sock")
	q := qemutest.Start(t, qemutest.Gen100, qemutest.Options{ExtraArgs: []string{"-qmp", "unix:" + side + ",server=on,wait=off"}})
	env, state := xdg(t)
	tm := startTerm(t, env, "--qmp", q.Addr())
	tm.expect(`(?m)^\(qemu\)$`)
	tm.send("info status\r")
	tm.expect(`VM status: running\n`)

	// An event arrives while a line is half-typed: it is printed above the
	// prompt and the line stays as it was.
	tm.send("info sta")
	tm.expect(`(?m)^\(qemu\) info sta$`)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := qmp.Dial(ctx, "unix:"+side)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Execute(ctx, "stop", nil); err != nil {
		t.Fatal(err)
	}
	tm.expect(`event \S+ STOP\n`)
	tm.expect(`STOP\n(.*\n)*\(qemu\) info sta\z`)
	tm.send("tus\r")
	tm.expect(`VM status: paused\n`)

	// Ctrl-C clears the line and the shell goes on.
	tm.send("garbage line")
	tm.send("\x03")
	tm.send("info status\r")
	tm.expect(`VM status: paused\n(.*\n)*\(qemu\)\z`)
	if strings.Contains(tm.screen(), "garbage line") {
		t.Errorf("Ctrl-C did not clear the line:\n%s", tm.screen())
	}

	// Ctrl-D on an empty line leaves; the terminal echoes again.
	tm.send("\x04")
	if code := tm.wait(); code != 0 {
		t.Errorf("exit %d", code)
	}
	if !tm.sttyEcho() {
		t.Errorf("the terminal does not echo after hmpsh exited")
	}

	// History: in the state directory, mode 0600, and read by the next run.
	hist := filepath.Join(state, "hmpsh", "history")
	fi, err := os.Stat(hist)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("history mode %v", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(hist)
	if !strings.Contains(string(data), "info status\n") {
		t.Errorf("history:\n%s", data)
	}
	tm2 := startTerm(t, env, "--qmp", q.Addr())
	tm2.expect(`(?m)^\(qemu\)$`)
	tm2.send("\x1b[A") // up arrow
	tm2.expect(`(?m)^\(qemu\) info status$`)
	tm2.send("\r")
	tm2.expect(`VM status: paused\n`)
	tm2.send("\x04")
	tm2.wait()

	// Piped input never reaches the history.
	before, _ := os.ReadFile(hist)
	cmd := exec.Command(hmpshBinary(t), "--qmp", q.Addr())
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader("info version\n")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "10.0") {
		t.Fatalf("piped: %v %s", err, out)
	}
	after, _ := os.ReadFile(hist)
	if string(before) != string(after) {
		t.Errorf("piped input was written to the history:\n%s", after)
	}
}

// A synchronous migrate on a terminal shows a progress line; Ctrl-C
// detaches from it and the migration goes on.
func TestInteractiveMigrateDetach(t *testing.T) {
	q := qemutest.Start(t, qemutest.Gen100, qemutest.Options{Machine: "pc", Mem: "64"})
	env, _ := xdg(t)
	tm := startTerm(t, env, "--qmp", q.Addr())
	tm.expect(`(?m)^\(qemu\)$`)
	// A reader that never reads: the migration stalls once the pipe is full.
	tm.send(`migrate -c "exec,args=/bin/sleep 60"` + "\r")
	tm.expect(`migration active: .* elapsed \d+\.\d s`)
	tm.send("\x03")
	tm.expect(`detached: the migration goes on; info migrate shows how it does`)
	tm.expect(`(?m)^\(qemu\)$`)
	tm.send("info migrate\r")
	tm.expect(`status: active`)
	tm.send("migrate_cancel\r")
	tm.send("info status\r")
	tm.expect(`VM status: running`)
	tm.send(".exit\r")
	if code := tm.wait(); code != 0 {
		t.Errorf("exit %d", code)
	}
	if !tm.sttyEcho() {
		t.Errorf("no echo after exit")
	}
}

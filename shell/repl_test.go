package shell

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/hmpsh/hmpsh/internal/qemutest"
	"github.com/hmpsh/hmpsh/qmp"
)

// xdg gives a test its own cache and state directories.
func xdg(t testing.TB) (env []string, state string) {
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
	tm.expectCount(`VM status: paused`, 2)
	tm.expect(`VM status: paused\n\(qemu\)\z`)
	if strings.Contains(tm.log(), "garbage lineinfo") || strings.Contains(tm.log(), "unknown command") {
		t.Errorf("Ctrl-C did not clear the line:\n%s", tm.log())
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

// The sandbox: hmpsh with no --qmp starts src and dst, says so, and the
// migration its banner suggests works end to end.
func TestSandboxFirstMigration(t *testing.T) {
	env, _ := xdg(t)
	tm := startTerm(t, env)
	tm.expect(`hmpsh sandbox: two QEMU \S+ \(-machine none\) in (/\S+)`)
	tm.expect(`(?m)^\(src\)$`)
	// Type the suggested lines as they are printed.
	var lines []string
	for _, l := range strings.Split(tm.screen(), "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "@dst migrate_incoming") || strings.HasPrefix(l, "migrate -c") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("banner suggests %q", lines)
	}
	for _, l := range lines {
		tm.send(l + "\r")
	}
	tm.expect(`migration completed: total `)
	tm.send("@dst info status\r")
	tm.expect(`VM status: running`)
	tm.send(".use dst\r")
	tm.expect(`(?m)^\(dst\)$`)
	tm.send(".monitors\r")
	tm.expect(`(?m)^\* dst +unix:\S+dst.qmp +QEMU \S+.* connected$`)

	// A monitor that goes away is reported at once; the other one still
	// answers, and .connect attaches again to a QEMU that is still there.
	tm.send(".disconnect src\r")
	tm.send(".monitors\r")
	tm.expect(`(?m)^  src +unix:\S+ +QEMU .* disconnected$`)
	src := regexp.MustCompile(`src +(unix:\S+src.qmp)`).FindStringSubmatch(tm.log())[1]
	tm.send(".connect src " + src + "\r")
	tm.expect(`connected src: QEMU `)
	tm.send("@src info status\r")
	tm.expectCount(`VM status: `, 2)
	tm.send("quit\r")
	tm.expect(`monitor dst lost: `)
	tm.send("@src info status\r")
	tm.expectCount(`VM status: `, 3)
	tm.send("info status\r")
	tm.expect(`monitor dst: `)
	tm.send("\x04")
	tm.wait()
	dir := regexp.MustCompile(`in (/\S+)`).FindStringSubmatch(tm.log())[1]
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("sandbox directory %s left behind: %v", dir, err)
	}
}

// qemuPidsIn lists the processes whose command line mentions dir.
func qemuPidsIn(dir string) []string {
	var pids []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(cmdline), "qemu-system") && strings.Contains(string(cmdline), dir) {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

// Killing the shell with SIGKILL leaves no QEMU and no directory behind.
func TestSandboxDiesWithShell(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			env, _ := xdg(t)
			tm := startTerm(t, env)
			tm.expect(`(?m)^\(src\)$`)
			dir := regexp.MustCompile(`in (/\S+)`).FindStringSubmatch(tm.log())[1]
			if pids := qemuPidsIn(dir); len(pids) != 2 {
				t.Fatalf("QEMUs in %s: %v", dir, pids)
			}
			tm.send("info sta") // half a line, to be sure nothing waits for it
			if err := tm.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			tm.wait()
			deadline := time.Now().Add(10 * time.Second)
			for time.Now().Before(deadline) {
				_, err := os.Stat(dir)
				if len(qemuPidsIn(dir)) == 0 && os.IsNotExist(err) {
					if sig == syscall.SIGTERM && !tm.sttyEcho() {
						t.Errorf("no echo after SIGTERM")
					}
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
			t.Fatalf("after %v: QEMUs %v, directory %s still there", sig, qemuPidsIn(dir), dir)
		})
	}
}

// Tab completes commands, transports, type= values and keys; "?" describes
// the word before it; secrets stay out of the history file.
func TestCompletionAndSecrets(t *testing.T) {
	q := qemutest.Start(t, qemutest.Gen100, qemutest.Options{})
	env, state := xdg(t)
	tm := startTerm(t, env, "--qmp", q.Addr())
	tm.expect(`(?m)^\(qemu\)$`)
	for _, c := range []struct{ typed, want string }{
		{"migrate_sta\t", `migrate_start_postcopy`},
		{"info migrate_c\t", `info migrate_capabilities`},
		{"migrate -c so\t", `migrate -c socket`},
		{"migrate -c socket,type=un\t", `migrate -c socket,type=unix`},
		{"migrate -c socket,type=unix,pa\t", `migrate -c socket,type=unix,path=`},
		{"migrate_set_capability xbz\t", `migrate_set_capability xbzrle`},
		{"migrate_set_parameter multifd-comp\t", `migrate_set_parameter multifd-compression`},
	} {
		tm.send(c.typed)
		tm.expect(`(?m)^\(qemu\) ` + regexp.QuoteMeta(c.want) + ` ?$`)
		tm.send("\x03") // clear the line
		tm.expect(`(?m)^\(qemu\)\z`)
	}

	// "?" after a word prints its help and is not inserted.
	tm.send("migrate_set_capability?")
	tm.expect(`migrate_set_capability NAME on\|off`)
	tm.expect(`(?m)^\(qemu\) migrate_set_capability$`)
	tm.send("\x03")
	tm.send("migrate -c socket,type=inet,ho?")
	tm.expect(`host \(string, required`)
	tm.expect(`(?m)^\(qemu\) migrate -c socket,type=inet,ho$`)
	tm.send("\x03")

	// A secret typed on the line never reaches the history file.
	tm.send("set_password vnc s3cr3t-word\r")
	tm.send(`object_add secret,id=sec0,data=t0p-s3cr3t` + "\r")
	tm.send("info status\r")
	tm.expect(`VM status: running`)
	tm.send("\x04")
	tm.wait()
	data, err := os.ReadFile(filepath.Join(state, "hmpsh", "history"))
	if err != nil {
		t.Fatal(err)
	}
	hist := string(data)
	if strings.Contains(hist, "s3cr3t") || !strings.Contains(hist, "set_password vnc ***\n") || !strings.Contains(hist, "object_add secret,id=sec0,data=***\n") {
		t.Errorf("history:\n%s", hist)
	}
}

// A terminal that reports 0 columns (a pty whose size was never set, some
// serial consoles) still completes on Tab, as if it were 80 columns wide;
// once it is given a size, that size counts.
func TestCompletionZeroColumns(t *testing.T) {
	q := qemutest.Start(t, qemutest.Gen100, qemutest.Options{})
	env, _ := xdg(t)
	tm := startTermSize(t, nil, env, "--qmp", q.Addr())
	if ws, err := pty.GetsizeFull(tm.tty); err != nil || ws.Cols != 0 || ws.Rows != 0 {
		t.Fatalf("the terminal reports %+v, %v; want 0x0", ws, err)
	}
	tm.expect(`(?m)^\(qemu\)$`)
	tm.send("migrate_set_capab\t")
	tm.expect(`(?m)^\(qemu\) migrate_set_capability ?$`)
	tm.send("\x03")
	tm.expect(`(?m)^\(qemu\)\z`)
	// Candidates are listed in columns to fit 80 columns: three a row.
	tm.send("migrate\t")
	tm.expect(`(?m)^migrate +migrate-continue +migrate-incoming$`)
	tm.send("\x03\x03") // leave the list, clear the line
	tm.expect(`(?m)^\(qemu\)\z`)

	// Given a size, hmpsh takes it up (SIGWINCH): more candidates a row.
	if err := pty.Setsize(tm.ptm, &pty.Winsize{Rows: 40, Cols: 200}); err != nil {
		t.Fatal(err)
	}
	wide := regexp.MustCompile(`(?m)^migrate +migrate-continue +migrate-incoming +migrate-pause `)
	for try := 0; !wide.MatchString(tm.screen()); try++ {
		if try == 50 {
			t.Fatalf("after a resize to 200 columns, the candidates are still listed for 80:\n%s", tm.screen())
		}
		time.Sleep(100 * time.Millisecond) // the signal is handled apart from the keys
		tm.send("\x03\x03")
		tm.expect(`(?m)^\(qemu\)\z`)
		tm.send("migrate\t")
		tm.expect(`(?m)^migrate +migrate-continue`)
	}
	tm.send("\x03\x03\x04")
	if code := tm.wait(); code != 0 {
		t.Errorf("exit %d", code)
	}
}

// Ctrl-C stops a .wait or a .sleep in the shell, says "interrupted", and
// the shell goes on.
func TestInteractiveWaitInterrupted(t *testing.T) {
	q := qemutest.Start(t, qemutest.Gen100, qemutest.Options{Incoming: true})
	env, _ := xdg(t)
	tm := startTerm(t, env, "--qmp", q.Addr())
	tm.expect(`(?m)^\(qemu\)$`)
	tm.send(".wait status running timeout=1m\r")
	time.Sleep(300 * time.Millisecond)
	tm.send("\x03")
	tm.expect(`(?m)interrupted$`)
	tm.send(".sleep 1m\r")
	time.Sleep(300 * time.Millisecond)
	tm.send("\x03")
	tm.expectCount(`(?m)interrupted$`, 2)
	tm.send("info status\r")
	tm.expect(`VM status: paused \(inmigrate\)`)
	tm.send(".exit\r")
	if code := tm.wait(); code != 0 {
		t.Errorf("exit %d", code)
	}
	if strings.Contains(tm.log(), "context canceled") {
		t.Errorf("the terminal shows context canceled:\n%s", tm.screen())
	}
}

// A legacy URI typed in the shell gets its -c form as a tip, once per
// kind of URI; --no-tips and scripts print none.
func TestTips(t *testing.T) {
	env, _ := xdg(t)
	tm := startTerm(t, env)
	tm.expect(`(?m)^\(src\)$`)
	tm.send("@dst migrate_incoming unix:${SANDBOX}/a.sock\r")
	tm.expect(`tip: the channel form is: @dst migrate_incoming -c socket,type=unix,path=\$\{SANDBOX\}/a\.sock|tip: the channel form is: @dst migrate_incoming -c socket,type=unix,path=/\S+/a\.sock`)
	tm.send("migrate_set_parameter max-bandwidth 1G\r")
	tm.send("migrate -d unix:${SANDBOX}/a.sock\r")
	tm.send("info status\r")
	tm.expect(`VM status: `)
	if n := tm.count(`tip: `); n != 1 {
		t.Errorf("%d tips, want 1 (unix once):\n%s", n, tm.screen())
	}
	tm.send("migrate_cancel\r")
	tm.send(".exit\r")
	tm.wait()

	tm = startTerm(t, env, "--no-tips")
	tm.expect(`(?m)^\(src\)$`)
	tm.send("@dst migrate_incoming unix:${SANDBOX}/a.sock\r")
	tm.send("@dst info status\r")
	tm.expect(`VM status: `)
	if tm.count(`tip: `) != 0 {
		t.Errorf("--no-tips printed a tip:\n%s", tm.screen())
	}
	tm.send(".exit\r")
	tm.wait()

	bin := qemutest.Require(t, qemutest.Gen100)
	out, errOut, _ := sandboxRun(t, bin, "", "-c", "@dst migrate_incoming unix:${SANDBOX}/a.sock")
	if strings.Contains(out+errOut, "tip:") {
		t.Errorf("a script printed a tip: %s%s", out, errOut)
	}
}

// Events that come as the prompt is printed (a "migrate -d" returns at
// once; its MIGRATION events follow within milliseconds) are printed on
// lines of their own, above the prompt, and the prompt is there after
// them: none lands on the prompt's line.
func TestEventsAtThePrompt(t *testing.T) {
	env, _ := xdg(t)
	tm := startTerm(t, env, "--no-tips")
	tm.expect(`(?m)^\(src\)$`)
	const rounds = 4
	for i := 1; i <= rounds; i++ {
		tm.send(`migrate -d -c "exec,args=/bin/dd of=/dev/null status=none"` + "\r")
		tm.expectCount(`MIGRATION {"status":"completed"}`, i)
		tm.send("cont\r")
		tm.expectCount(` src RESUME`, i)
	}
	tm.send("info status\r")
	tm.expect(`VM status: running\n\(src\)$`)
	// On the wire, not on an emulated screen: readline clears the
	// prompt's line (ESC[2K, CR) before an event and draws the prompt again
	// after it. Output written after the prompt without that shares its
	// line.
	raw := tm.raw()
	if m := regexp.MustCompile(`\((src|dst)\) [^\x1b\r\n]*event [^\r\n]*`).FindString(raw); m != "" {
		t.Errorf("an event on the prompt's line: %q", m)
	}
	tm.send("\x04")
	tm.wait()
}

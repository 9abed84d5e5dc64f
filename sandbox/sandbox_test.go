package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hmpsh/hmpsh/internal/qemutest"
)

// The helper process (SANDBOX_HELPER=1) plays the shell in the tests of how
// the sandbox ends: it starts a sandbox, prints what it started as one JSON
// line, then obeys one line of standard input, or a signal.
func TestMain(m *testing.M) {
	switch os.Getenv("SANDBOX_HELPER") {
	case "1":
		helper()
		return
	case "libvirt":
		libvirtHelper()
		return
	}
	os.Exit(m.Run())
}

type helperInfo struct {
	Dir      string
	Src, Dst int
	Watchdog int
}

func helper() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	s, err := Start(ctx, Options{QEMU: os.Getenv("SANDBOX_QEMU")})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	json.NewEncoder(os.Stdout).Encode(helperInfo{s.Dir, s.Src.Pid, s.Dst.Pid, s.watchdog.Process.Pid})
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	switch strings.TrimSpace(line) {
	case "kill-watchdog": // leaves the QEMUs to their death signal alone
		syscall.Kill(-s.watchdog.Process.Pid, syscall.SIGKILL)
		<-s.wdDone
		fmt.Println("killed")
	case "close":
		if err := s.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "exit": // as a shell that forgets Close
		os.Exit(0)
	case "panic":
		panic("the helper was told to panic")
	}
	// Wait for a signal. No signal.Notify: its default action is the point.
	time.Sleep(time.Minute)
	runtime.KeepAlive(s)
	os.Exit(4)
}

// requireQEMU is Find's choice, or the end of the test: skipped without a
// QEMU, failed with HMPSH_REQUIRE_QEMU=1 (as internal/qemutest does).
func requireQEMU(t *testing.T) Binary {
	t.Helper()
	b, err := Find("")
	if err != nil {
		if os.Getenv(qemutest.RequireEnv) == "1" {
			t.Fatalf("%v (%s=1)", err, qemutest.RequireEnv)
		}
		t.Skip(err)
	}
	return b
}

// running reports whether pid is still a live process of the sandbox in dir:
// not gone, not a zombie (whose cmdline is empty), not a process that reused
// the number.
func running(pid int, dir string) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && bytes.Contains(b, []byte(dir))
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, os.ErrNotExist)
}

// qmpConn is a QMP connection spoken by hand.
type qmpConn struct {
	conn     net.Conn
	r        *bufio.Reader
	greeting string
}

// takeQMP takes over the connection the sandbox made to vm when it
// started, as the shell does: a QMP socket serves one client at a time.
func takeQMP(t *testing.T, s *Sandbox, vm VM) *qmpConn {
	t.Helper()
	conn := s.TakeConn(vm.Name)
	if conn == nil {
		t.Fatalf("%s: the sandbox has no connection to hand over", vm.Name)
	}
	if s.TakeConn(vm.Name) != nil {
		t.Fatalf("%s: the connection was handed over twice", vm.Name)
	}
	return overQMP(t, vm.Addr, conn)
}

// overQMP reads the greeting and negotiates on conn.
func overQMP(t *testing.T, addr string, conn net.Conn) *qmpConn {
	t.Helper()
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	c := &qmpConn{conn: conn, r: bufio.NewReader(conn)}
	line, err := c.r.ReadString('\n')
	if err != nil {
		t.Fatalf("%s: greeting: %v", addr, err)
	}
	if !strings.HasPrefix(line, `{"QMP":`) {
		t.Fatalf("%s: greeting %q", addr, line)
	}
	c.greeting = line
	c.execute(t, "qmp_capabilities")
	return c
}

// execute sends a command and returns its "return" value, skipping events.
// args, if given, is the JSON of its arguments.
func (c *qmpConn) execute(t *testing.T, cmd string, args ...string) json.RawMessage {
	t.Helper()
	req := fmt.Sprintf(`{"execute":%q}`, cmd)
	if len(args) > 0 {
		req = fmt.Sprintf(`{"execute":%q,"arguments":%s}`, cmd, args[0])
	}
	if _, err := io.WriteString(c.conn, req+"\n"); err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	for {
		line, err := c.r.ReadBytes('\n')
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		var m struct {
			Return json.RawMessage
			Error  *struct{ Class, Desc string }
			Event  string
		}
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("%s: reply %q: %v", cmd, line, err)
		}
		switch {
		case m.Event != "":
			continue
		case m.Error != nil:
			t.Fatalf("%s: %s: %s", cmd, m.Error.Class, m.Error.Desc)
		}
		return m.Return
	}
}

func (c *qmpConn) status(t *testing.T) (status string, running bool) {
	t.Helper()
	var st struct {
		Status  string
		Running bool
	}
	if err := json.Unmarshal(c.execute(t, "query-status"), &st); err != nil {
		t.Fatal(err)
	}
	return st.Status, st.Running
}

func start(t *testing.T, o Options) *Sandbox {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStartClose(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		bin := qemutest.Require(t, gen)
		s := start(t, Options{QEMU: bin.Path})

		if !strings.HasPrefix(s.Version, gen+".") || s.QEMU != bin.Path {
			t.Errorf("Version %q, QEMU %q; want %s.x, %s", s.Version, s.QEMU, gen, bin.Path)
		}
		fi, err := os.Stat(s.Dir)
		if err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("Dir %s: %v, %v; want mode 0700", s.Dir, fi.Mode(), err)
		}
		for _, vm := range []VM{s.Src, s.Dst} {
			if want := "unix:" + filepath.Join(s.Dir, vm.Name+".qmp"); vm.Addr != want || len(vm.Addr) >= 100 {
				t.Errorf("%s: Addr %q, want %q, under 100 bytes", vm.Name, vm.Addr, want)
			}
			if !running(vm.Pid, s.Dir) {
				t.Errorf("%s: pid %d not running", vm.Name, vm.Pid)
			}
			if pgid, err := syscall.Getpgid(vm.Pid); err != nil || pgid != vm.Pid {
				t.Errorf("%s: process group %d (%v), want its own", vm.Name, pgid, err)
			}
			if !exists(vm.Log) || filepath.Dir(vm.Log) != s.Dir {
				t.Errorf("%s: log %s missing or outside %s", vm.Name, vm.Log, s.Dir)
			}
		}

		src, dst := takeQMP(t, s, s.Src), takeQMP(t, s, s.Dst)
		if !strings.Contains(src.greeting, `"major": `+strings.Split(gen, ".")[0]) {
			t.Errorf("src greeting %s is not QEMU %s", src.greeting, gen)
		}
		if st, run := src.status(t); st != "running" || !run {
			t.Errorf("src: status %s running=%v", st, run)
		}
		if st, run := dst.status(t); st != "inmigrate" || run {
			t.Errorf("dst: status %s running=%v, want paused (inmigrate)", st, run)
		}

		// A QEMU that quit on its own is a zombie until Close reaps it.
		dst.execute(t, "quit")

		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Go(func() { errs[i] = s.Close() })
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Errorf("concurrent Close: %v, %v", errs[0], errs[1])
		}
		if exists(s.Dir) {
			t.Errorf("Dir %s still exists after Close", s.Dir)
		}
		for _, vm := range []VM{s.Src, s.Dst} {
			if err := syscall.Kill(vm.Pid, 0); err != syscall.ESRCH && running(vm.Pid, s.Dir) {
				t.Errorf("%s: pid %d still there after Close (kill 0: %v)", vm.Name, vm.Pid, err)
			}
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
}

func TestMachinePC(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		s := start(t, Options{QEMU: qemutest.Require(t, gen).Path, Machine: "pc"})
		src := takeQMP(t, s, s.Src)
		var mem struct {
			BaseMemory int64 `json:"base-memory"`
		}
		if err := json.Unmarshal(src.execute(t, "query-memory-size-summary"), &mem); err != nil {
			t.Fatal(err)
		}
		if mem.BaseMemory != 64<<20 {
			t.Errorf("base memory %d, want 64 MiB", mem.BaseMemory)
		}
		if st, _ := takeQMP(t, s, s.Dst).status(t); st != "inmigrate" {
			t.Errorf("dst: status %s, want inmigrate", st)
		}
	})
}

// What the sandbox is for: a migration from src to dst, through a socket in
// its directory.
func TestMigrateInside(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		s := start(t, Options{QEMU: qemutest.Require(t, gen).Path})
		src, dst := takeQMP(t, s, s.Src), takeQMP(t, s, s.Dst)
		uri := fmt.Sprintf(`{"uri":"unix:%s"}`, filepath.Join(s.Dir, "mig.sock"))
		dst.execute(t, "migrate-incoming", uri)
		src.execute(t, "migrate", uri)
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			var m struct{ Status string }
			json.Unmarshal(src.execute(t, "query-migrate"), &m)
			if m.Status == "completed" {
				break
			}
			if m.Status == "failed" || time.Now().After(deadline) {
				t.Fatalf("migration %s", m.Status)
			}
		}
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if st, _ := dst.status(t); st == "running" {
				break
			} else if time.Now().After(deadline) {
				t.Fatalf("dst status %s after the migration", st)
			}
		}
	})
}

// The sandbox must end with the shell however the shell ends. Each case runs
// the helper process (TestMain) and ends it one way.
func TestEndsWithShell(t *testing.T) {
	requireQEMU(t)
	for _, tc := range []struct {
		name  string
		end   func(p *os.Process, stdin io.Writer, stdout *bufio.Reader) error
		exit0 bool // the helper's own exit status is 0
		clean bool // ... and it cleaned up itself, before exiting
	}{
		{"Close", tell("close"), true, true},
		{"exit-without-Close", tell("exit"), true, false},
		{"panic", tell("panic"), false, false},
		{"SIGTERM", func(p *os.Process, _ io.Writer, _ *bufio.Reader) error { return p.Signal(syscall.SIGTERM) }, false, false},
		{"SIGKILL", func(p *os.Process, _ io.Writer, _ *bufio.Reader) error { return p.Kill() }, false, false},
		// The watchdog's kill is a backstop: without it, the death signal
		// alone must end the QEMUs. The directory then stays (checked below).
		{"SIGKILL-without-watchdog", func(p *os.Process, in io.Writer, out *bufio.Reader) error {
			if err := tell("kill-watchdog")(p, in, out); err != nil {
				return err
			}
			if line, err := out.ReadString('\n'); line != "killed\n" {
				return fmt.Errorf("kill-watchdog: %q, %v", line, err)
			}
			return p.Kill()
		}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), "SANDBOX_HELPER=1", "SANDBOX_QEMU=")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			out := bufio.NewReader(stdout)
			got := make(chan error, 1)
			var info helperInfo
			go func() {
				line, err := out.ReadBytes('\n')
				if err == nil {
					err = json.Unmarshal(line, &info)
				}
				got <- err
			}()
			select {
			case err := <-got:
				if err != nil {
					cmd.Wait()
					t.Fatalf("helper: %v\n%s", err, stderr.Bytes())
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("helper did not start a sandbox\n%s", stderr.Bytes())
			}
			pids := map[string]int{"src": info.Src, "dst": info.Dst, "watchdog": info.Watchdog}
			for name, pid := range pids {
				if !running(pid, info.Dir) {
					t.Fatalf("%s (pid %d) is not running", name, pid)
				}
			}

			noWatchdog := strings.HasSuffix(tc.name, "-without-watchdog")
			if noWatchdog {
				delete(pids, "watchdog")
				t.Cleanup(func() { os.RemoveAll(info.Dir) })
			}
			if err := tc.end(cmd.Process, stdin, out); err != nil {
				t.Fatal(err)
			}
			err = cmd.Wait()
			if (err == nil) != tc.exit0 {
				t.Fatalf("helper ended by %s: %v, want exit status 0: %v\n%s", tc.name, err, tc.exit0, stderr.Bytes())
			}
			if tc.clean {
				// Close is synchronous: nothing may be left when it returns.
				for name, pid := range pids {
					if running(pid, info.Dir) {
						t.Errorf("%s (pid %d) still running after Close", name, pid)
					}
				}
				if exists(info.Dir) {
					t.Errorf("%s still exists after Close", info.Dir)
				}
				return
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				var left []string
				for name, pid := range pids {
					if running(pid, info.Dir) {
						left = append(left, fmt.Sprintf("%s (pid %d)", name, pid))
					}
				}
				if exists(info.Dir) && !noWatchdog {
					left = append(left, info.Dir)
				}
				if len(left) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("5 s after the shell ended (%v), still there: %s", err, strings.Join(left, ", "))
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// tell makes a way to end the helper: a line on its standard input.
func tell(line string) func(*os.Process, io.Writer, *bufio.Reader) error {
	return func(_ *os.Process, in io.Writer, _ *bufio.Reader) error {
		_, err := io.WriteString(in, line+"\n")
		return err
	}
}

// Linux sends Pdeathsig when the thread that forked the child ends, and a
// goroutine that returns while locked to its thread ends that thread. Start
// called from such a goroutine must not tie the QEMUs' lives to it.
func TestStartingThreadMayEnd(t *testing.T) {
	bin := requireQEMU(t)
	type result struct {
		s   *Sandbox
		err error
	}
	ch := make(chan result)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		s, err := Start(ctx, Options{QEMU: bin.Path})
		ch <- result{s, err}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer r.s.Close()
	time.Sleep(300 * time.Millisecond)
	for _, vm := range []VM{r.s.Src, r.s.Dst} {
		if !running(vm.Pid, r.s.Dir) {
			t.Fatalf("%s (pid %d) died with the thread that called Start", vm.Name, vm.Pid)
		}
		takeQMP(t, r.s, vm)
	}
	if err := r.s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestStartFailureQuotesQEMU(t *testing.T) {
	bin := requireQEMU(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var stderr syncBuffer
	_, err := Start(context.Background(), Options{QEMU: bin.Path, Machine: "no-such-machine", Stderr: &stderr})
	if err == nil {
		t.Fatal("Start with machine no-such-machine succeeded")
	}
	for _, want := range []string{"did not come up", "QEMU exited (exit status 1)", "no-such-machine", "-machine"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if out := stderr.String(); !strings.Contains(out, "src: ") || !strings.Contains(out, "no-such-machine") {
		t.Errorf("Options.Stderr got %q, want QEMU's complaint prefixed with src: ", out)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left behind in TMPDIR: %v", left)
	}
}

func TestStartCanceled(t *testing.T) {
	bin := requireQEMU(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Start(ctx, Options{QEMU: bin.Path}); !errors.Is(err, context.Canceled) {
		t.Errorf("Start with a canceled context: %v", err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left behind in TMPDIR: %v", left)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestStartRejectsOptionAsMachine(t *testing.T) {
	requireQEMU(t)
	if _, err := Start(context.Background(), Options{Machine: "-daemonize"}); err == nil {
		t.Error("machine -daemonize accepted")
	}
}

func TestMakeDirAvoidsLongTMPDIR(t *testing.T) {
	long := filepath.Join(t.TempDir(), strings.Repeat("d", 90))
	if err := os.MkdirAll(long, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", long)
	d, err := makeDir()
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(d)
	if len(d) > maxDirLen || !strings.HasPrefix(d, "/tmp/hmpsh-") {
		t.Errorf("dir %s, want a short one in /tmp", d)
	}
	if left, _ := os.ReadDir(long); len(left) != 0 {
		t.Errorf("left behind in the long TMPDIR: %v", left)
	}
}

func TestFindBogusExplicit(t *testing.T) {
	for _, explicit := range []string{"/nonexistent/qemu-system-x86_64", "no-such-qemu-anywhere", "/bin/true", "/"} {
		_, err := Find(explicit)
		if !errors.Is(err, ErrNoQEMU) {
			t.Errorf("Find(%q) = %v, want ErrNoQEMU", explicit, err)
			continue
		}
		msg := err.Error()
		for _, want := range []string{explicit, "sudo apt install qemu-system-x86", "make deps", "build/install-qemu.sh", "--qemu", "--dry-run"} {
			if !strings.Contains(msg, want) {
				t.Errorf("Find(%q): error lacks %q:\n%s", explicit, want, msg)
			}
		}
	}
}

// fakeQEMU writes PREFIX/usr/bin/qemu-system-x86_64 that reports version v.
func fakeQEMU(t *testing.T, prefix, v string) string {
	t.Helper()
	bin := filepath.Join(prefix, "usr", "bin", "qemu-system-x86_64")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\necho 'QEMU emulator version " + v + " (fake)'\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

func TestFindPrefersNewest(t *testing.T) {
	cache, other := t.TempDir(), t.TempDir()
	t.Setenv("QEMU_CACHE", cache)
	cached := fakeQEMU(t, filepath.Join(cache, "10.0"), "10.0.2")
	onPath := fakeQEMU(t, other, "7.2.22")
	t.Setenv("PATH", filepath.Dir(onPath))

	check := func(want, wantVersion string) {
		t.Helper()
		b, err := Find("")
		if err != nil || b.Path != want || b.Version.String() != wantVersion {
			t.Errorf("Find() = %s %s, %v; want %s %s", b.Path, b.Version, err, want, wantVersion)
		}
	}
	check(cached, "10.0.2")
	fakeQEMU(t, other, "11.1.0")
	check(onPath, "11.1.0")
	fakeQEMU(t, other, "10.0.2")
	check(cached, "10.0.2") // a tie goes to the unpacked one
	os.Remove(cached)
	check(onPath, "10.0.2")

	// A bare name is looked up in PATH.
	if b, err := Find("qemu-system-x86_64"); err != nil || b.Path != onPath {
		t.Errorf("Find(name) = %s, %v; want %s", b.Path, err, onPath)
	}

	t.Setenv("PATH", t.TempDir())
	_, err := Find("")
	var nq *NoQEMUError
	if !errors.As(err, &nq) || len(nq.Tried) != 2 || !strings.Contains(err.Error(), cached) {
		t.Errorf("nothing installed: %v", err)
	}
}

func TestLinePrefixer(t *testing.T) {
	var out bytes.Buffer
	var mu sync.Mutex
	l := &linePrefixer{w: &out, prefix: "src: ", mu: &mu}
	for _, s := range []string{"qemu: war", "ning\nsecond\nthi", "rd"} {
		l.Write([]byte(s))
	}
	l.flush()
	if want := "src: qemu: warning\nsrc: second\nsrc: third\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

package shell

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/hinshun/vt10x"
)

// binDir holds the hmpsh binary the terminal tests run; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hmpsh-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildHmpsh builds the hmpsh binary once per test run.
var buildOnce = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(binDir, "hmpsh")
	out, err := exec.Command("go", "build", "-o", bin, "..").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func hmpshBinary(t testing.TB) string {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// term is hmpsh running on a pseudo-terminal, as a person would see it.
type term struct {
	t    *testing.T
	cmd  *exec.Cmd
	tty  *os.File // the terminal's slave side, kept to inspect its mode
	ptm  *os.File
	mu   sync.Mutex
	buf  bytes.Buffer   // everything printed, as printed
	vt   vt10x.Terminal // what a terminal shows of it
	part []byte         // an incomplete UTF-8 sequence not yet shown
	done chan struct{}
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]|\r`)

// startTerm runs hmpsh with args on a new pseudo-terminal of 40 rows and
// 200 columns; env adds to the environment (XDG directories of the test's
// own).
func startTerm(t *testing.T, env []string, args ...string) *term {
	t.Helper()
	return startTermSize(t, &pty.Winsize{Rows: 40, Cols: 200}, env, args...)
}

// startTermSize is startTerm on a pseudo-terminal of the given size; with
// size nil the size is never set and the terminal reports 0 rows and 0
// columns, as some serial consoles do. The emulator that reads the screen
// has the terminal's columns (200 when the size is not set) and 60 rows.
func startTermSize(t *testing.T, size *pty.Winsize, env []string, args ...string) *term {
	t.Helper()
	ptm, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	if size != nil {
		if err := pty.Setsize(ptm, size); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(hmpshBinary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = ttyAttr()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cols := 200
	if size != nil {
		cols = int(size.Cols)
	}
	tm := &term{t: t, cmd: cmd, tty: tty, ptm: ptm, done: make(chan struct{}), vt: vt10x.New(vt10x.WithSize(cols, 60))}
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := ptm.Read(b)
			tm.mu.Lock()
			tm.buf.Write(b[:n])
			tm.part = append(tm.part, b[:n]...)
			w, _ := tm.vt.Write(tm.part)
			tm.part = append(tm.part[:0], tm.part[w:]...)
			tm.mu.Unlock()
			if err != nil {
				close(tm.done)
				return
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		ptm.Close()
		tty.Close()
	})
	return tm
}

// screen is what the terminal shows now: its rows, trailing blanks cut.
func (tm *term) screen() string {
	tm.mu.Lock()
	text := tm.vt.String()
	tm.mu.Unlock()
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \x00")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

// log is everything printed so far, without colours and cursor moves:
// what scrolled off the screen too.
func (tm *term) log() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return ansi.ReplaceAllString(tm.buf.String(), "")
}

// raw is everything printed so far, as printed.
func (tm *term) raw() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.buf.String()
}

// expect waits until the screen matches re.
func (tm *term) expect(re string) {
	tm.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if rx.MatchString(tm.screen()) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	tm.t.Fatalf("the terminal never showed %q; it shows:\n%s", re, tm.screen())
}

// expectCount waits until re has matched the log n times.
func (tm *term) expectCount(re string, n int) {
	tm.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if tm.count(re) >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	tm.t.Fatalf("the terminal showed %q %d times, not %d:\n%s", re, tm.count(re), n, tm.log())
}

// count is how many times re matches the log.
func (tm *term) count(re string) int {
	return len(regexp.MustCompile(re).FindAllStringIndex(tm.log(), -1))
}

func (tm *term) send(s string) {
	tm.t.Helper()
	if _, err := tm.ptm.Write([]byte(s)); err != nil {
		tm.t.Fatal(err)
	}
}

// wait waits for hmpsh to exit and returns its exit status.
func (tm *term) wait() int {
	tm.t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- tm.cmd.Wait() }()
	select {
	case err := <-errc:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			tm.t.Fatal(err)
		}
		return 0
	case <-time.After(20 * time.Second):
		tm.t.Fatalf("hmpsh did not exit; the terminal shows:\n%s", tm.screen())
	}
	return -1
}

// sttyEcho reports whether the terminal echoes, as stty sees it.
func (tm *term) sttyEcho() bool {
	tm.t.Helper()
	cmd := exec.Command("stty", "-a")
	cmd.Stdin = tm.tty
	out, err := cmd.Output()
	if err != nil {
		tm.t.Fatalf("stty: %v", err)
	}
	return regexp.MustCompile(`(^|\s)echo(\s|$)`).Match(out) && !strings.Contains(string(out), "-icanon")
}

package shell

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/hmpsh/hmpsh/internal/qemutest"
)

// BenchmarkPaste measures how long the interactive shell takes to take a
// pasted line through a pseudo-terminal and run it: from the first byte
// written to the terminal until the command's output ("VM status:
// running") is back. The line is "info status # xxx...", of 4, 16 and 64
// KiB, pasted as a terminal with bracketed paste sends it
// (ESC[200~...ESC[201~ and then Enter) and as one that has none sends it
// (the bytes, Enter included, in one write). The floor is the same
// measure for the 12 bytes "info status\r" in the same run; each
// iteration pastes once and types the short line once, and the medians
// are reported:
//
//	paste-s, floor-s  seconds from the write to the output
//	ratio             paste-s / floor-s
//
// The terminal side reads the output as fast as it comes and only looks
// for the marker (no terminal emulator), so the time is hmpsh's. make
// bench passes -benchtime 5x.
func BenchmarkPaste(b *testing.B) {
	q := qemutest.Start(b, qemutest.Gen100, qemutest.Options{})
	env, _ := xdg(b)
	sh := startPtyShell(b, env, "--qmp", q.Addr())
	sh.waitFor(b, "(qemu) ")
	for _, kib := range []int{4, 16, 64} {
		for _, bracketed := range []bool{true, false} {
			name := fmt.Sprintf("raw-%dKiB", kib)
			if bracketed {
				name = fmt.Sprintf("bracketed-%dKiB", kib)
			}
			b.Run(name, func(b *testing.B) {
				line := "info status # " + strings.Repeat("x", kib<<10-len("info status # "))
				paste := line + "\r"
				if bracketed {
					paste = "\x1b[200~" + line + "\x1b[201~\r"
				}
				var pastes, floors []float64
				for b.Loop() {
					pastes = append(pastes, sh.roundTrip(b, paste, "VM status: running").Seconds())
					floors = append(floors, sh.roundTrip(b, "info status\r", "VM status: running").Seconds())
				}
				p, f := medianOf(pastes), medianOf(floors)
				b.ReportMetric(p, "paste-s")
				b.ReportMetric(f, "floor-s")
				b.ReportMetric(p/f, "ratio")
			})
		}
	}
	sh.write(b, "\x04")
}

func medianOf(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}

// ptyShell is hmpsh on a pseudo-terminal whose output is only searched,
// not emulated: a benchmark's terminal that keeps up with anything.
type ptyShell struct {
	ptm  *os.File
	mu   sync.Mutex
	cond *sync.Cond
	out  []byte
	seen int // how much of out the waits have consumed
	err  error
}

func startPtyShell(tb testing.TB, env []string, args ...string) *ptyShell {
	tb.Helper()
	ptm, tty, err := pty.Open()
	if err != nil {
		tb.Fatal(err)
	}
	if err := pty.Setsize(ptm, &pty.Winsize{Rows: 40, Cols: 200}); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(hmpshBinary(tb), args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = ttyAttr()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	sh := &ptyShell{ptm: ptm}
	sh.cond = sync.NewCond(&sh.mu)
	go func() {
		b := make([]byte, 64<<10)
		for {
			n, err := ptm.Read(b)
			sh.mu.Lock()
			sh.out = append(sh.out, b[:n]...)
			if err != nil {
				sh.err = err
			}
			sh.cond.Broadcast()
			sh.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		ptm.Close()
		tty.Close()
	})
	return sh
}

func (sh *ptyShell) write(tb testing.TB, s string) {
	tb.Helper()
	if _, err := sh.ptm.Write([]byte(s)); err != nil {
		tb.Fatal(err)
	}
}

// waitFor waits until marker is printed after what earlier waits saw.
// A paste that never comes back fails after ten minutes, which is not a
// measure of anything but the end of patience.
func (sh *ptyShell) waitFor(tb testing.TB, marker string) {
	tb.Helper()
	timer := time.AfterFunc(10*time.Minute, func() {
		sh.mu.Lock()
		sh.err = fmt.Errorf("no %q after 10 minutes", marker)
		sh.cond.Broadcast()
		sh.mu.Unlock()
	})
	defer timer.Stop()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for {
		if i := bytes.Index(sh.out[sh.seen:], []byte(marker)); i >= 0 {
			sh.seen += i + len(marker)
			return
		}
		if sh.err != nil {
			tb.Fatalf("waiting for %q: %v; the terminal's last output:\n%q", marker, sh.err, sh.out[max(0, len(sh.out)-500):])
		}
		// The marker may straddle what arrived and what is to come.
		sh.seen = max(sh.seen, len(sh.out)-len(marker))
		sh.cond.Wait()
	}
}

// roundTrip writes s and waits for marker: the time between the two.
// Then it waits, untimed, for the next prompt: written before it, the
// next line would meet the terminal in the mode it has while a command
// runs (canonical, echoing, lines cut at 4095 bytes), not the one where
// hmpsh reads a line.
func (sh *ptyShell) roundTrip(tb testing.TB, s, marker string) time.Duration {
	tb.Helper()
	start := time.Now()
	sh.write(tb, s)
	sh.waitFor(tb, marker)
	d := time.Since(start)
	sh.waitFor(tb, "(qemu) ")
	return d
}

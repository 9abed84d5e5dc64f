package shell

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hmpsh/hmpsh/internal/qemutest"
)

// A 64 KiB line pasted into the shell is taken whole and runs, pasted as
// a terminal with bracketed paste sends it and as one without sends it.
// (It used to take time quadratic in its length: minutes for 64 KiB.
// BenchmarkPaste measures it; here a generous wait only says it ends.)
func TestPasteLongLine(t *testing.T) {
	q := qemutest.Start(t, qemutest.Gen100, qemutest.Options{})
	env, state := xdg(t)
	tm := startTerm(t, env, "--qmp", q.Addr())
	tm.expect(`(?m)^\(qemu\)$`)
	if !strings.Contains(tm.raw(), bracketedPasteOn) {
		t.Errorf("hmpsh did not turn bracketed paste on: %q", tm.raw())
	}

	long := func(c string) string { return "info status # " + strings.Repeat(c, 64<<10) }
	bracketed, raw := long("b"), long("r")
	// The writes wait for hmpsh to read: the test waits for the screen.
	go tm.ptm.Write([]byte(pasteStart + bracketed + pasteEnd))
	tm.expectWithin(`(?m)bbbb\z`, 2*time.Minute)
	tm.send("\r")
	tm.expectWithin(`VM status: running\n\(qemu\)\z`, 2*time.Minute)
	go tm.ptm.Write([]byte(raw + "\r"))
	tm.expectCountWithin(`VM status: running`, 2, 2*time.Minute)

	// The text of a bracketed paste is text: "?" asks for no help, a Tab
	// completes nothing. Its lines run one by one; its last line, with no
	// line break, waits on the line. It goes in at the cursor.
	tm.send(pasteStart + "info version  # what? \tand\r\ninfo status\n# the rest" + pasteEnd)
	tm.expectCount(`VM status: running`, 3)
	tm.expect(`(?m)^\(qemu\) # the rest$`)
	tm.send("\x01") // Ctrl-A: to the start of the line
	tm.send(pasteStart + "info status " + pasteEnd + "\r")
	tm.expectCount(`VM status: running`, 4)
	if strings.Contains(tm.log(), "nothing known") || strings.Contains(tm.log(), "migrate ") {
		t.Errorf("a pasted ? or Tab acted as a key:\n%s", tm.log())
	}

	// Typed, "?" still asks for help.
	tm.send("migrate_set_capability?")
	tm.expect(`migrate_set_capability NAME on\|off`)
	tm.send("\x03")

	// Pasted while Ctrl-R searches, the text is what is searched for.
	tm.send("\x12" + pasteStart + "version  #" + pasteEnd + "\r")
	tm.expectCount(`(?m)^10\.0\.\d`, 2) // once from the paste above
	// Pasted while completions are listed, or one is being chosen, it
	// closes the list and goes on the line.
	for _, keys := range []string{"info migrate\t", "info migrate\t\t"} {
		tm.send(keys)
		tm.expect(`migrate_capabilities +migrate_parameters`)
		tm.send(pasteStart + "_parameters" + pasteEnd)
		tm.expect(`(?m)^\(qemu\) info migrate_parameters\z`)
		tm.send("\r")
		tm.expect(`(?m)^max-bandwidth: .*\n(.*\n)*\(qemu\)\z`)
	}
	tm.send("\x04")
	if code := tm.wait(); code != 0 {
		t.Errorf("exit %d", code)
	}
	if !tm.sttyEcho() {
		t.Errorf("the terminal does not echo after hmpsh exited")
	}
	if i := strings.LastIndex(tm.raw(), "\x1b[?2004"); i < 0 || !strings.HasPrefix(tm.raw()[i:], bracketedPasteOff) {
		t.Errorf("hmpsh left bracketed paste on")
	}

	// The lines arrived whole, character for character.
	data, err := os.ReadFile(filepath.Join(state, "hmpsh", "history"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{bracketed, raw, "info version  # what? \tand", "info status", "info status # the rest",
		"info version  # what? \tand", "info migrate_parameters"} // readline keeps one of two lines alike in a row
	got := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(got) != len(want) {
		for i := range got {
			got[i] = got[i][:min(len(got[i]), 40)]
		}
		t.Fatalf("history has %d lines, want %d: %q", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("history line %d: %d bytes %.100q..., want %d bytes %.100q...", i, len(got[i]), got[i], len(want[i]), want[i])
		}
	}
}

// expectWithin is expect with a deadline of d.
func (tm *term) expectWithin(re string, d time.Duration) {
	tm.t.Helper()
	rx := regexp.MustCompile(re)
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if rx.MatchString(tm.screen()) {
			return
		}
	}
	tm.t.Fatalf("the terminal never showed %q; it shows:\n%s", re, tm.screen())
}

// expectCountWithin is expectCount with a deadline of d.
func (tm *term) expectCountWithin(re string, n int, d time.Duration) {
	tm.t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if tm.count(re) >= n {
			return
		}
	}
	tm.t.Fatalf("the terminal showed %q %d times, not %d:\n%s", re, tm.count(re), n, tm.log())
}

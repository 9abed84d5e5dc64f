package shell

import (
	"bufio"
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/hmpsh/hmpsh/internal/qemutest"
)

// A program that drives hmpsh through pipes, a line at a time, gets each
// line's output before it sends the next: output that is not a
// terminal's is buffered, and written out before hmpsh reads more.
func TestPipedLines(t *testing.T) {
	q := qemutest.Start(t, qemutest.Gen100, qemutest.Options{})
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	var errOut bytes.Buffer
	done := make(chan int)
	go func() {
		code := Main([]string{"--cache-dir", t.TempDir(), "--qmp", q.Addr(), "--no-events"}, inR, outW, &errOut)
		outW.Close()
		done <- code
	}()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for _, step := range []struct{ in, want string }{
		{"info status", "VM status: running"},
		{"stop", ""},
		{"info status", "VM status: paused"},
		{"cont", ""},
		{"info status", "VM status: running"},
	} {
		if _, err := io.WriteString(inW, step.in+"\n"); err != nil {
			t.Fatal(err)
		}
		if step.want == "" {
			continue
		}
		select {
		case got := <-lines:
			if got != step.want {
				t.Fatalf("%s: %q, want %q", step.in, got, step.want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: no output while hmpsh waits for the next line", step.in)
		}
	}
	inW.Close()
	if code := <-done; code != 0 {
		t.Errorf("exit %d: %s", code, errOut.String())
	}
}

// A buffered standard output: events are written out at once, a line's
// output when a flush comes (the timer, a message on standard error, the
// end), and never after what follows it.
func TestBufferedOutput(t *testing.T) {
	var out, errOut bytes.Buffer
	w, buffered := scriptOutput(&out)
	if !buffered {
		t.Fatal("a bytes.Buffer is not buffered")
	}
	o := &output{out: w, err: &errOut, events: w}
	o.lazyFlush(time.Hour) // the timer never fires in this test
	o.outf("one\n")
	if out.Len() != 0 {
		t.Fatalf("written at once: %q", out.String())
	}
	o.eventf("event\n")
	if out.String() != "one\nevent\n" {
		t.Fatalf("after an event: %q", out.String())
	}
	o.outf("two\n")
	o.errf("message\n")
	if out.String() != "one\nevent\ntwo\n" || errOut.String() != "message\n" {
		t.Fatalf("after a message: %q, %q", out.String(), errOut.String())
	}
	o.outf("three\n")
	o.flush()
	if out.String() != "one\nevent\ntwo\nthree\n" {
		t.Fatalf("after flush: %q", out.String())
	}
	if o.armed {
		t.Error("the timer is armed after a flush")
	}

	// With a short delay, output gets written out without anything else
	// happening.
	var out2 bytes.Buffer
	w2, _ := scriptOutput(&out2)
	o2 := &output{out: w2, err: io.Discard, events: w2}
	o2.lazyFlush(time.Millisecond)
	o2.outf("late\n")
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(time.Millisecond) {
		o2.mu.Lock()
		got := out2.String()
		o2.mu.Unlock()
		if got == "late\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never written out: %q", got)
		}
	}
}

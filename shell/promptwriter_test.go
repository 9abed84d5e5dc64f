package shell

import (
	"bytes"
	"sync/atomic"
	"testing"
	"time"
)

// Output that comes while Readline has printed its prompt but its terminal
// does not read yet waits for the terminal, then goes through readline's
// writer (which redraws the line under it); while a command runs it goes
// straight out.
func TestPromptWriter(t *testing.T) {
	var rl, direct bytes.Buffer
	var reading atomic.Bool
	w := &promptWriter{reads: reading.Load, rl: &rl, direct: &direct}

	w.Write([]byte("during a command\n"))
	if direct.String() != "during a command\n" || rl.Len() != 0 {
		t.Fatalf("not prompting: direct %q, readline %q", &direct, &rl)
	}

	w.setPrompting(true)
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Write([]byte("event\n"))
	}()
	select {
	case <-done:
		t.Fatal("written before the terminal reads")
	case <-time.After(20 * time.Millisecond):
	}
	reading.Store(true)
	<-done
	if rl.String() != "event\n" || direct.String() != "during a command\n" {
		t.Fatalf("prompting: direct %q, readline %q", &direct, &rl)
	}

	// A terminal that never reads does not hold output for ever.
	reading.Store(false)
	w.Write([]byte("late\n"))
	if rl.String() != "event\nlate\n" {
		t.Fatalf("readline %q", &rl)
	}
	w.setPrompting(false)
	w.Write([]byte("after\n"))
	if direct.String() != "during a command\nafter\n" {
		t.Fatalf("direct %q", &direct)
	}
}

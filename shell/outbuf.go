package shell

import (
	"bufio"
	"io"
	"os"
	"time"

	"github.com/chzyer/readline"
)

// flushDelay is how long a script's output may wait in the buffer of a
// standard output that is not a terminal before it is written out. A
// script replayed into a file or a pipe then costs a write every few
// dozen lines rather than one a line, and a program or person reading
// the pipe still sees each line at once, as far as they can tell.
const flushDelay = 10 * time.Millisecond

// scriptOutput is where a script's standard output goes: out itself on
// a terminal, else a buffer written out within flushDelay of being
// written to, at once for an event (see output.wroteEvent), before hmpsh
// reads more of its standard input, before anything goes to standard
// error, and at the end (Session.Close).
func scriptOutput(out io.Writer) (w io.Writer, buffered bool) {
	if f, ok := out.(*os.File); ok && readline.IsTerminal(int(f.Fd())) {
		return out, false
	}
	return bufio.NewWriterSize(out, 64<<10), true
}

// lazyFlush makes writes to a buffered standard output reach it within
// d; see scriptOutput.
func (o *output) lazyFlush(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.delay = d
}

// wrote is called, with o.mu held, after something was written: what a
// buffered out holds is written out within o.delay.
func (o *output) wrote() {
	if o.delay == 0 || o.armed {
		return
	}
	if b, ok := o.out.(*bufio.Writer); !ok || b.Buffered() == 0 {
		return
	}
	o.armed = true
	if o.timer == nil {
		o.timer = time.AfterFunc(o.delay, o.flush)
	} else {
		o.timer.Reset(o.delay)
	}
}

// wroteEvent is called after an event was written: events are printed
// as they arrive, so a buffered out is written out at once (and in order
// with the output before the event, which shares the buffer).
func (o *output) wroteEvent() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.delay != 0 {
		o.flushLocked()
	}
}

// flushLocked is flush with o.mu held.
func (o *output) flushLocked() {
	if b, ok := o.out.(*bufio.Writer); ok {
		b.Flush()
	}
	if o.armed {
		o.armed = false
		o.timer.Stop()
	}
}

// flushingReader flushes the session's output before each read: a
// program that writes hmpsh a line and waits for its output must get it.
type flushingReader struct {
	r io.Reader
	o *output
}

func (f flushingReader) Read(p []byte) (int, error) {
	f.o.flush()
	return f.r.Read(p)
}

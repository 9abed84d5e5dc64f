package shell

import (
	"io"
	"sync"
	"time"
)

// promptWriter carries what is printed at any time in the interactive
// shell (events, a lost monitor) to the terminal, around the prompt.
//
// readline's own writer redraws the prompt and the half-typed line under
// such output, but only once its terminal reads keys: Readline prints the
// prompt first and starts reading a moment later, and output that comes
// in between is written after the prompt, on its line, with nothing
// redrawn under it. promptWriter knows when a Readline is under way
// (prompting) and waits, briefly, until the terminal reads before handing
// the output to readline's writer. While a command runs, output goes
// straight to the terminal.
type promptWriter struct {
	mu        sync.Mutex
	prompting bool
	reads     func() bool // readline's terminal is reading keys
	rl        io.Writer   // readline's writer: redraws the line under the output
	direct    io.Writer   // the terminal
}

// promptSettle bounds the wait for readline to start reading: it is a
// matter of a goroutine switch, but a writer must never hang on it.
const promptSettle = 200 * time.Millisecond

// setPrompting says a Readline starts (true) or has returned (false).
func (w *promptWriter) setPrompting(on bool) {
	w.mu.Lock()
	w.prompting = on
	w.mu.Unlock()
}

func (w *promptWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.prompting {
		return w.direct.Write(b)
	}
	for deadline := time.Now().Add(promptSettle); !w.reads() && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	return w.rl.Write(b)
}

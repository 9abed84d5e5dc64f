package shell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
)

// exitCode maps a line's error to the exit status: 2 when a monitor could
// not be reached or was lost, 1 for anything else.
func exitCode(err error) int {
	if _, ok := errors.AsType[*MonitorError](err); ok {
		return ExitMonitor
	}
	return ExitFailed
}

// Interrupted is the cause of a context cancelled by a signal: a script
// stops at the line it was running and hmpsh exits 128+the signal's number,
// as a shell's command would.
type Interrupted struct{ Signal syscall.Signal }

func (e *Interrupted) Error() string { return "interrupted (" + e.Signal.String() + ")" }

// Code is the exit status: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP.
func (e *Interrupted) Code() int { return 128 + int(e.Signal) }

// interruption is ctx's signal, if a signal ended it.
func interruption(ctx context.Context) *Interrupted {
	if ctx.Err() == nil {
		return nil
	}
	i, _ := errors.AsType[*Interrupted](context.Cause(ctx))
	return i
}

// runner runs the lines of scripts (-c, -f, standard input) on a session:
// it stops at the first error, or with keepGoing runs every line and ends
// with the worst status; echo prints each line after its prompt first.
type runner struct {
	s         *Session
	keepGoing bool
	echo      bool
	rec       *recorder // --record, or nil
	code      int
}

// checkSources reports a -f file that cannot be read before anything
// connects or runs.
func checkSources(srcs []source) error {
	for _, src := range srcs {
		if src.file == "" || src.file == "-" {
			continue
		}
		f, err := os.Open(src.file)
		if err != nil {
			return fmt.Errorf("-f %s: %w", src.file, errors.Unwrap(err))
		}
		st, err := f.Stat()
		f.Close()
		if err == nil && st.IsDir() {
			return fmt.Errorf("-f %s: is a directory", src.file)
		}
	}
	return nil
}

// run runs every line of every source, in order, and returns the exit
// status.
func (r *runner) run(ctx context.Context, srcs []source, stdin io.Reader) int {
	nc := 0
	for _, src := range srcs {
		if src.file == "" {
			nc++
			if r.line(ctx, "-c", nc, src.line) {
				return r.code
			}
			continue
		}
		if r.file(ctx, src.file, stdin) {
			return r.code
		}
	}
	return r.code
}

// line runs line n of a script; it reports whether the script ends here
// (an error without keepGoing, .exit, a signal).
func (r *runner) line(ctx context.Context, label string, n int, line string) (done bool) {
	if i := interruption(ctx); i != nil {
		r.s.errf("%s:%d: interrupted\n", label, n)
		r.code = i.Code()
		return true
	}
	blank := strings.TrimSpace(line) == ""
	if r.echo && !blank {
		r.s.pr.echo(prompt(r.s), line)
	}
	if r.rec != nil && !blank {
		r.rec.input(r.s, line)
	}
	err := r.s.Run(ctx, line)
	if r.rec != nil && !blank {
		r.rec.output(r.s, err)
	}
	switch {
	case err == nil:
		return false
	case errors.Is(err, errExit):
		return true
	}
	if i := interruption(ctx); i != nil {
		r.s.errf("%s:%d: interrupted\n", label, n)
		r.code = i.Code()
		return true
	}
	// "@* LINE" fails with a line per monitor, each after FILE:LINE.
	for _, l := range errorLines(err) {
		r.s.errf("%s:%d: %s\n", label, n, l)
	}
	r.code = max(r.code, exitCode(err))
	return !r.keepGoing
}

func (r *runner) file(ctx context.Context, name string, stdin io.Reader) (done bool) {
	// Output waiting in a buffer is written out before hmpsh waits for
	// more lines: what drives hmpsh through a pipe waits for it.
	var in io.Reader = flushingReader{r: stdin, o: r.s.out}
	label := "<stdin>"
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			r.s.errf("hmpsh: %v\n", err)
			r.code = max(r.code, ExitFailed)
			return true
		}
		defer f.Close()
		in, label = f, name
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	n := 0
	for sc.Scan() {
		n++
		// The line model skips blank lines and comments itself.
		if r.line(ctx, label, n, strings.TrimRight(sc.Text(), "\r")) {
			return true
		}
	}
	if err := sc.Err(); err != nil {
		r.s.errf("%s:%d: %v\n", label, n+1, err)
		r.code = max(r.code, ExitFailed)
		return true
	}
	return false
}

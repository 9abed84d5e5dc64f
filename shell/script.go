package shell

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"strings"
)

// exitCode maps a line's error to the exit status: 2 when a monitor could
// not be reached or was lost, 1 for anything else.
func exitCode(err error) int {
	if _, ok := errors.AsType[*MonitorError](err); ok {
		return ExitMonitor
	}
	return ExitFailed
}

// runSources runs every line of every source on s, in order, and stops
// at the first error, which it reports as WHERE: ERROR, or at .exit.
func runSources(ctx context.Context, srcs []source, stdin io.Reader, s *Session) int {
	nc := 0
	for _, src := range srcs {
		if src.file == "" {
			nc++
			if code, done := s.runLine(ctx, "-c", nc, src.line); done {
				return code
			}
			continue
		}
		if code, done := runFile(ctx, src.file, stdin, s); done {
			return code
		}
	}
	return ExitOK
}

// runLine runs line n of a script; done says the script ends here (an
// error, or .exit) with that exit status.
func (s *Session) runLine(ctx context.Context, label string, n int, line string) (code int, done bool) {
	err := s.Run(ctx, line)
	switch {
	case err == nil:
		return ExitOK, false
	case errors.Is(err, errExit):
		return ExitOK, true
	}
	s.errf("%s:%d: %v\n", label, n, err)
	return exitCode(err), true
}

func runFile(ctx context.Context, name string, stdin io.Reader, s *Session) (code int, done bool) {
	var in io.Reader = stdin
	label := "<stdin>"
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			s.errf("hmpsh: %v\n", err)
			return ExitFailed, true
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
		if code, done := s.runLine(ctx, label, n, strings.TrimRight(sc.Text(), "\r")); done {
			return code, done
		}
	}
	if err := sc.Err(); err != nil {
		s.errf("%s:%d: %v\n", label, n+1, err)
		return ExitFailed, true
	}
	return ExitOK, false
}

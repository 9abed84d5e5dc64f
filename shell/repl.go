package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/chzyer/readline"

	"github.com/hmpsh/hmpsh/shell/complete"
	"github.com/hmpsh/hmpsh/shell/redact"
)

// REPL is the interactive shell on a terminal.
type REPL struct {
	sess   *Session
	out    io.Writer // the terminal: commands run while no line is read
	errOut io.Writer
}

// historyPath is $XDG_STATE_HOME/hmpsh/history (~/.local/state/...).
func historyPath() string {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(h, ".local", "state")
	}
	return filepath.Join(dir, "hmpsh", "history")
}

// openHistory makes sure the history file exists with mode 0600 before
// readline appends to it (readline would create it 0666 minus umask).
func openHistory(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	return os.Chmod(path, 0o600)
}

// screenWidth is the terminal's width, or 80 when it reports none: a pty
// whose size was never set and some serial consoles say 0 columns, and
// readline will not complete at all on a 0-column screen (it rings the bell
// on Tab). readline calls it when it starts and on every SIGWINCH, so a
// size set later is taken up.
func screenWidth() int {
	if w := readline.GetScreenWidth(); w > 0 {
		return w
	}
	return 80
}

// runInteractive reads lines with line editing until Ctrl-D or .exit.
func runInteractive(ctx context.Context, sess *Session, banner string, stdin io.ReadCloser, stdout, stderr io.Writer, rec *recorder) int {
	// Completion needs each QEMU's schema: read it now (from the cache,
	// usually), not on the first Tab.
	for _, m := range sess.Monitors() {
		if _, err := sess.Target(ctx, m); err != nil {
			fmt.Fprintf(stderr, "hmpsh: %v\n", err)
		}
	}
	completer := complete.New(completionSource{sess: sess})
	var rl *readline.Instance
	hist := historyPath()
	if hist != "" {
		if err := openHistory(hist); err != nil {
			fmt.Fprintf(stderr, "hmpsh: history: %v (not saved)\n", err)
			hist = ""
		}
	}
	cfg := &readline.Config{
		Prompt:                 prompt(sess),
		HistoryFile:            hist,
		HistoryLimit:           10000,
		DisableAutoSaveHistory: true,
		HistorySearchFold:      true,
		AutoComplete:           completer,
		Listener:               helpKey(completer, func() *readline.Instance { return rl }),
		InterruptPrompt:        "^C",
		EOFPrompt:              "",
		Stdin:                  stdin,
		Stdout:                 stdout,
		Stderr:                 stderr,
		FuncGetWidth:           screenWidth,
	}
	usePaste(cfg, stdin, stdout, func() *readline.Instance { return rl })
	rl, err := readline.NewEx(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "hmpsh: %v\n", err)
		return ExitMonitor
	}
	defer rl.Close()
	// SIGTERM or SIGHUP (ctx) ends the shell even while it waits for a line.
	stopped := context.AfterFunc(ctx, func() { rl.Close() })
	defer stopped()
	// A command's output is written while no line is being read, straight
	// to the terminal. Events and messages that come at any time (a monitor
	// lost) go through readline, which redraws the prompt and the
	// half-typed line under them. (Sending command output through readline
	// too misplaced it: readline notices late that a read has ended and
	// redraws the prompt amid the output.)
	r := &REPL{sess: sess, out: stdout, errOut: stderr}
	pw := &promptWriter{reads: rl.Terminal.IsReading, rl: rl.Stdout(), direct: stdout}
	pwErr := &promptWriter{reads: rl.Terminal.IsReading, rl: rl.Stderr(), direct: stderr}
	sess.SetOutput(stdout, pwErr, pw)
	sess.cfg.Poll = 200 * time.Millisecond
	sess.out.statusOut = stdout
	sess.progress = func(info *MigrationInfo, elapsed time.Duration) {
		switch {
		case info == nil:
			sess.out.setStatus("")
		case elapsed >= 300*time.Millisecond: // no flicker for quick ones
			sess.out.setStatus(progressLine(info, elapsed, screenWidth()))
		}
	}
	sess.detached = func() {
		sess.out.setStatus("")
		sess.pr.notice("detached: the migration goes on; info migrate shows how it does, migrate_cancel stops it")
	}
	if banner != "" {
		fmt.Fprint(r.out, banner)
	}
	code := ExitOK
	tp := &tips{off: sess.cfg.NoTips}
	for {
		rl.SetPrompt(prompt(sess))
		pw.setPrompting(true)
		pwErr.setPrompting(true)
		line, err := rl.Readline()
		pw.setPrompting(false)
		pwErr.setPrompting(false)
		if errors.Is(err, readline.ErrInterrupt) {
			continue // Ctrl-C clears the line
		}
		if err != nil || ctx.Err() != nil { // io.EOF: Ctrl-D on an empty line
			break
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		// Secrets (set_password, object_add secret,data=...) never reach
		// the history file.
		_ = rl.SaveHistory(redact.Line(line))
		if rec != nil {
			rec.input(sess, line)
		}
		err = r.run(ctx, line)
		if rec != nil {
			rec.output(sess, err)
		}
		if errors.Is(err, errExit) {
			break
		}
		if err != nil {
			fmt.Fprintf(r.errOut, "%v\n", err)
			code = exitCode(err)
		} else {
			code = ExitOK
		}
		if tip := tp.tipFor(sess, line); tip != "" {
			fmt.Fprintln(r.out, tip)
		}
	}
	// SIGTERM or SIGHUP ended the shell: exit as a shell's command would.
	if i := interruption(ctx); i != nil {
		return i.Code()
	}
	return code
}

func prompt(sess *Session) string {
	cur := sess.Current()
	if cur == nil || !sess.mons.several() {
		return "(qemu) "
	}
	return "(" + cur.Name + ") "
}

// run runs one line. While it runs, Ctrl-C interrupts it (a synchronous
// migrate detaches) rather than ending hmpsh.
func (r *REPL) run(ctx context.Context, line string) error {
	cctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)
	go func() {
		select {
		case <-sig:
			cancel(&Interrupted{Signal: syscall.SIGINT})
		case <-cctx.Done():
		}
	}()
	err := r.sess.Run(cctx, line)
	if err != nil && interruption(cctx) != nil {
		// Ctrl-C stopped the line (a .wait, a .sleep, a slow command).
		return errors.New("interrupted")
	}
	return err
}

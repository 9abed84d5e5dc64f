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
	"time"

	"github.com/chzyer/readline"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/shell/complete"
	"github.com/hmpsh/hmpsh/shell/redact"
	"github.com/hmpsh/hmpsh/split"
)

// ShellCommand is one of hmpsh's own commands in the interactive shell.
// Their names start with a dot, which no QEMU HMP command has, so they can
// never shadow one; "help" is the exception, on purpose: it shows hmpsh's
// table and falls back to QEMU's own help.
type ShellCommand struct {
	Name  string
	Args  string
	Short string
	run   func(r *REPL, args []string) error
}

func shellCommands() []ShellCommand {
	return []ShellCommand{
		{Name: "help", Args: "[COMMAND]", Short: "hmpsh's help for a command, or QEMU's own for the others", run: (*REPL).help},
		{Name: ".use", Args: "NAME", Short: "send lines without @NAME to monitor NAME", run: (*REPL).use},
		{Name: ".monitors", Short: "list the monitors: name, address, QEMU version, state", run: (*REPL).monitors},
		{Name: ".connect", Args: "NAME ADDR", Short: "connect (or reconnect) monitor NAME at ADDR (unix:/path, tcp:HOST:PORT)", run: (*REPL).connect},
		{Name: ".disconnect", Args: "NAME", Short: "disconnect monitor NAME (its QEMU keeps running)", run: (*REPL).disconnect},
		{Name: ".exit", Short: "leave hmpsh (Ctrl-D does the same)", run: func(*REPL, []string) error { return errExit }},
	}
}

var errExit = errors.New("exit")

// REPL is the interactive shell on a terminal.
type REPL struct {
	sess   *Session
	out    io.Writer // the terminal: commands run while no line is read
	errOut io.Writer
	cmds   []ShellCommand
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

// runInteractive reads lines with line editing until Ctrl-D or .exit.
func runInteractive(ctx context.Context, sess *Session, banner string, stdin io.ReadCloser, stdout, stderr io.Writer) int {
	// Completion needs each QEMU's schema: read it now (from the cache,
	// usually), not on the first Tab.
	for _, m := range sess.Monitors() {
		if _, err := sess.Target(ctx, m); err != nil {
			fmt.Fprintf(stderr, "hmpsh: %v\n", err)
		}
	}
	cmds := shellCommands()
	completer := complete.New(completionSource{sess: sess, cmds: cmds})
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
	}
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
	r := &REPL{sess: sess, out: stdout, errOut: stderr, cmds: cmds}
	sess.SetOutput(stdout, rl.Stderr())
	sess.SetEvents(rl.Stdout())
	sess.cfg.Poll = 200 * time.Millisecond
	sess.statusOut = stdout
	sess.progress = func(info *MigrationInfo, elapsed time.Duration) {
		switch {
		case info == nil:
			sess.setStatus("")
		case elapsed >= 300*time.Millisecond: // no flicker for quick ones
			sess.setStatus(progressLine(info, elapsed))
		}
	}
	sess.detached = func() {
		sess.setStatus("")
		sess.outf("detached: the migration goes on; info migrate shows how it does, migrate_cancel stops it\n")
	}
	if banner != "" {
		fmt.Fprint(r.out, banner)
	}
	code := ExitOK
	for {
		rl.SetPrompt(prompt(sess))
		line, err := rl.Readline()
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
		err = r.run(ctx, line)
		if errors.Is(err, errExit) {
			break
		}
		if err != nil {
			fmt.Fprintf(r.errOut, "%v\n", err)
			code = exitCode(err)
		} else {
			code = ExitOK
		}
	}
	return code
}

func prompt(sess *Session) string {
	if len(sess.Monitors()) <= 1 || sess.Current() == nil {
		return "(qemu) "
	}
	return "(" + sess.Current().Name + ") "
}

// run runs one line: a shell command, or a line for a monitor. While it
// runs, Ctrl-C interrupts it (a synchronous migrate detaches) rather than
// ending hmpsh.
func (r *REPL) run(ctx context.Context, line string) error {
	words, err := split.Words(line)
	if err == nil && len(words) > 0 {
		for _, c := range r.cmds {
			if words[0].Text == c.Name {
				args := make([]string, 0, len(words)-1)
				for _, w := range words[1:] {
					args = append(args, w.Text)
				}
				return c.run(r, args)
			}
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)
	go func() {
		select {
		case <-sig:
			cancel()
		case <-cctx.Done():
		}
	}()
	return r.sess.Run(cctx, line)
}

func (r *REPL) help(args []string) error {
	tr := r.sess.tr
	if len(args) == 0 {
		fmt.Fprintf(r.out, "Commands hmpsh translates itself:\n")
		tr.Table.WriteIndex(r.out)
		fmt.Fprintf(r.out, "\nhmpsh's own commands:\n")
		for _, c := range r.cmds {
			fmt.Fprintf(r.out, "  %-24s %s\n", strings.TrimSpace(c.Name+" "+c.Args), c.Short)
		}
		fmt.Fprintf(r.out, "\nAny other line goes to QEMU: an HMP command (help CMD shows QEMU's help),\n"+
			"a QMP command with key=value arguments, or a line of JSON. @NAME runs a line on\n"+
			"monitor NAME. Tab completes, ? after a word describes it, Ctrl-R searches history.\n")
		return nil
	}
	name := strings.Join(args, " ")
	if c := tr.Table.Get(name); c != nil {
		c.WriteHelp(r.out)
		return nil
	}
	for _, c := range r.cmds {
		if c.Name == name {
			fmt.Fprintf(r.out, "%s %s -- %s\n", c.Name, c.Args, c.Short)
			return nil
		}
	}
	// QEMU's own help for everything else.
	return r.sess.Run(context.Background(), "help "+name)
}

func (r *REPL) use(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf(".use NAME; monitors: %s", strings.Join(r.sess.names(), ", "))
	}
	return r.sess.Use(args[0])
}

func (r *REPL) monitors(args []string) error {
	if len(args) != 0 {
		return fmt.Errorf(".monitors takes no arguments")
	}
	for _, m := range r.sess.Monitors() {
		cur := " "
		if m == r.sess.Current() {
			cur = "*"
		}
		state := "connected"
		select {
		case <-m.client.Done():
			state = "lost"
			if m.closed.Load() {
				state = "disconnected"
			}
		default:
		}
		fmt.Fprintf(r.out, "%s %-8s %-40s QEMU %-40s %s\n", cur, m.Name, m.Addr, versionString(m.Version()), state)
	}
	return nil
}

func (r *REPL) connect(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf(".connect NAME ADDR (e.g. .connect dst unix:/tmp/dst.sock)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.sess.cfg.Timeout)
	defer cancel()
	m, err := r.sess.Connect(ctx, args[0], args[1])
	if err != nil {
		return err
	}
	fmt.Fprintf(r.out, "connected %s: QEMU %s\n", m.Name, versionString(m.Version()))
	return nil
}

func (r *REPL) disconnect(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf(".disconnect NAME")
	}
	return r.sess.Disconnect(args[0])
}

// progressLine shows a migration's progress on one terminal line, redrawn
// in place: transferred / total RAM, percentage, throughput, remaining,
// expected downtime, elapsed.
func progressLine(info *MigrationInfo, elapsed time.Duration) string {
	s := fmt.Sprintf("migration %s", info.Status)
	if ram := info.RAM; ram != nil && ram.Total > 0 {
		done := ram.Total - ram.Remaining
		pct := 100 * float64(done) / float64(ram.Total)
		s += fmt.Sprintf(": %s / %s (%.0f%%), %.1f MiB/s, %s remaining", hmp.HumanBytes(float64(ram.Transferred)), hmp.HumanBytes(float64(ram.Total)), pct, ram.Mbps/8*1e6/(1<<20), hmp.HumanBytes(float64(ram.Remaining)))
	}
	if info.ExpectedDowntime > 0 {
		s += fmt.Sprintf(", expected downtime %d ms", info.ExpectedDowntime)
	}
	return s + fmt.Sprintf(", elapsed %.1f s", elapsed.Seconds())
}

// Package shell runs hmpsh sessions: the command line, script replay,
// dry-run, and (with a QEMU) the interactive shell.
package shell

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/chzyer/readline"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/internal/suggest"
	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/sandbox"
)

// Exit statuses.
const (
	ExitOK      = 0
	ExitFailed  = 1 // a command failed, or a line could not be translated
	ExitMonitor = 2 // the monitor could not be reached or was lost; usage errors
)

// source is one -c LINE or -f FILE, kept in command-line order.
type source struct {
	file string // "" for -c
	line string
}

type sources struct {
	list *[]source
	file bool
}

func (s sources) String() string { return "" }
func (s sources) Set(v string) error {
	if s.file {
		*s.list = append(*s.list, source{file: v})
	} else {
		*s.list = append(*s.list, source{line: v})
	}
	return nil
}

// Options are the parsed command line.
type Options struct {
	DryRun        bool
	TargetVersion string
	Sources       []source
	Args          []string // positional: "help migrate"
	QMP           []string // --qmp [NAME=]ADDR, in order
	JSON          bool
	NoEvents      bool
	Trace         bool
	Timeout       time.Duration
	CacheDir      string
	QEMU          string // the sandbox's binary
	Machine       string // the sandbox's -machine
}

type stringList struct{ list *[]string }

func (s stringList) String() string     { return "" }
func (s stringList) Set(v string) error { *s.list = append(*s.list, v); return nil }

const usage = `hmpsh: type HMP, speak QMP to QEMU.

Usage:
  hmpsh [--sandbox-machine none|pc] [--qemu PATH] [-c LINE | -f FILE]...
  hmpsh --qmp [NAME=]ADDR [--qmp NAME=ADDR]... [-c LINE | -f FILE]...
  hmpsh --dry-run [--target-version X.Y] (-c LINE | -f FILE)...
  hmpsh help [COMMAND]

Without --qmp, hmpsh starts a sandbox: two throwaway QEMUs, src and dst
(dst waits for a migration), in a private directory that goes with hmpsh.

Options:
  --sandbox-machine M   the sandbox's -machine: none (default; no RAM, starts
                        at once) or pc (with 64 MiB of RAM)
  --qemu PATH           the sandbox's QEMU binary (default: the newest found)
  --qmp [NAME=]ADDR     a QEMU's QMP monitor: unix:/path, tcp:HOST:PORT, or a
                        path; repeat with names for several (the first is the
                        default; a line starting "@NAME " runs on NAME)
  -c LINE               run one line (repeatable; in order with -f)
  -f FILE               run the lines of FILE ("-" for standard input);
                        blank lines and lines starting with # are skipped.
                        Without -c and -f, lines are read from standard input
  --json                print the raw QMP replies (and events), one per line
  --no-events           do not print QMP events
  --timeout DURATION    how long a QEMU may take to answer one request
                        (default 30s; a waiting migrate polls, it has no limit)
  --trace               show every QMP request and reply on standard error
  --cache-dir DIR       where QEMU schemas are cached (default
                        $XDG_CACHE_HOME/hmpsh; "" for no cache)
  --dry-run             print the QMP each line means, one JSON per line,
                        instead of sending it
  --target-version X.Y  translate for this QEMU (dry-run; default: the
                        newest built in; known: %s)
  -h, --help            this text

A script stops at its first error, reported as FILE:LINE: on standard
error. Exit status: 0 when every command succeeded, 1 when one failed (a
QMP error, an HMP error, a failed migration, a line that does not
translate), 2 when a monitor could not be reached or was lost.

Examples:
  hmpsh --qmp unix:/run/qemu/qmp.sock -c 'info status'
  hmpsh --qmp src=unix:/tmp/src.sock --qmp dst=unix:/tmp/dst.sock \
        -c '@dst migrate_incoming -c socket,type=unix,path=/tmp/mig.sock' \
        -c 'migrate -c socket,type=unix,path=/tmp/mig.sock'
  hmpsh --dry-run -c 'migrate -c socket,type=inet,host=10.0.0.2,port=4444'
  hmpsh --dry-run --target-version 7.2 -c 'migrate tcp:10.0.0.2:4444'
  hmpsh help migrate

Commands hmpsh translates itself (any other line goes to QEMU's HMP as
human-monitor-command; a QMP command name with key=value arguments, or a
line of JSON, goes as QMP):
`

// Main runs hmpsh with the given arguments and returns the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	targets, err := hmp.KnownTargets()
	if err != nil {
		fmt.Fprintf(stderr, "hmpsh: %v\n", err)
		return ExitMonitor
	}
	tr := hmp.NewTranslator()
	var known []string
	for _, t := range targets.List {
		known = append(known, t.Version())
	}
	printUsage := func(w io.Writer) {
		fmt.Fprintf(w, usage, strings.Join(known, ", "))
		tr.Table.WriteIndex(w)
	}

	var o Options
	fs := flag.NewFlagSet("hmpsh", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&o.DryRun, "dry-run", false, "")
	fs.StringVar(&o.TargetVersion, "target-version", "", "")
	fs.Var(sources{list: &o.Sources}, "c", "")
	fs.Var(sources{list: &o.Sources, file: true}, "f", "")
	fs.Var(stringList{&o.QMP}, "qmp", "")
	fs.BoolVar(&o.JSON, "json", false, "")
	fs.BoolVar(&o.NoEvents, "no-events", false, "")
	fs.DurationVar(&o.Timeout, "timeout", 30*time.Second, "")
	fs.BoolVar(&o.Trace, "trace", false, "")
	fs.StringVar(&o.CacheDir, "cache-dir", DefaultCacheDir(), "")
	fs.StringVar(&o.QEMU, "qemu", "", "")
	fs.StringVar(&o.Machine, "sandbox-machine", "none", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return ExitOK
		}
		fmt.Fprintf(stderr, "hmpsh: %v (hmpsh --help shows the usage)\n", err)
		return ExitMonitor
	}
	o.Args = fs.Args()

	if len(o.Args) > 0 {
		if o.Args[0] != "help" {
			fmt.Fprintf(stderr, "hmpsh: unexpected argument %q; to run a line, write -c %q (hmpsh --help shows the usage)\n", o.Args[0], strings.Join(o.Args, " "))
			return ExitMonitor
		}
		return helpCommand(tr.Table, o.Args[1:], stdout, stderr)
	}

	target := targets.Newest()
	if o.TargetVersion != "" {
		if target, err = targets.Pick(o.TargetVersion); err != nil {
			fmt.Fprintf(stderr, "hmpsh: --target-version: %v\n", err)
			return ExitMonitor
		}
	}
	if o.DryRun {
		if len(o.QMP) > 0 {
			fmt.Fprintf(stderr, "hmpsh: --dry-run sends nothing; leave out --qmp\n")
			return ExitMonitor
		}
		if len(o.Sources) == 0 {
			fmt.Fprintf(stderr, "hmpsh: --dry-run needs lines: -c LINE or -f FILE\n")
			return ExitMonitor
		}
		r := &dryRun{tr: tr, target: target, out: stdout}
		return runSources(o.Sources, stdin, r, func(format string, a ...any) { fmt.Fprintf(stderr, format, a...) })
	}
	if o.TargetVersion != "" {
		fmt.Fprintf(stderr, "hmpsh: --target-version is for --dry-run; a connected QEMU's own schema is used\n")
		return ExitMonitor
	}
	if len(o.QMP) > 0 && o.QEMU != "" {
		fmt.Fprintf(stderr, "hmpsh: --qemu picks the sandbox's QEMU; with --qmp hmpsh starts none\n")
		return ExitMonitor
	}
	if o.Machine != "none" && o.Machine != "pc" {
		fmt.Fprintf(stderr, "hmpsh: --sandbox-machine %s: want none or pc\n", o.Machine)
		return ExitMonitor
	}
	return runLive(o, tr, targets.Ref(), stdin, stdout, stderr)
}

// runLive connects to the monitors and runs the lines on them.
func runLive(o Options, tr *hmp.Translator, ref *qmp.Schema, stdin io.Reader, stdout, stderr io.Writer) int {
	var tty *os.File
	if f, ok := stdin.(*os.File); ok && len(o.Sources) == 0 && readline.IsTerminal(int(f.Fd())) {
		tty = f
	}
	// Ctrl-C ends a script; in the interactive shell it clears the line or
	// interrupts one command, never the shell.
	sigs := []os.Signal{syscall.SIGTERM, syscall.SIGHUP}
	if tty == nil {
		sigs = append(sigs, os.Interrupt)
	}
	ctx, stop := signal.NotifyContext(context.Background(), sigs...)
	defer stop()
	// Without --qmp, two throwaway QEMUs: src, and dst waiting for a
	// migration. They go with hmpsh, however it ends.
	banner := ""
	if len(o.QMP) == 0 {
		sb, err := sandbox.Start(ctx, sandbox.Options{QEMU: o.QEMU, Machine: o.Machine})
		if err != nil {
			fmt.Fprintf(stderr, "hmpsh: %v\n", err)
			return ExitMonitor
		}
		defer sb.Close()
		o.QMP = []string{"src=" + sb.Src.Addr, "dst=" + sb.Dst.Addr}
		banner = sandboxBanner(sb, o.Machine)
	}
	sess := NewSession(Config{JSON: o.JSON, NoEvents: o.NoEvents, Trace: o.Trace, Timeout: o.Timeout, CacheDir: o.CacheDir, Out: stdout, Err: stderr}, tr, ref)
	defer sess.Close()
	for _, spec := range o.QMP {
		name, addr, err := monitorSpec(spec, len(o.QMP))
		if err != nil {
			fmt.Fprintf(stderr, "hmpsh: --qmp %s: %v\n", spec, err)
			return ExitMonitor
		}
		if _, err := sess.Connect(ctx, name, addr); err != nil {
			fmt.Fprintf(stderr, "hmpsh: %v\n", err)
			return ExitMonitor
		}
	}
	srcs := o.Sources
	if len(srcs) == 0 {
		if tty != nil {
			return runInteractive(ctx, sess, banner, tty, stdout, stderr)
		}
		srcs = []source{{file: "-"}}
	}
	// Errors go through the session: its monitor watchers write there too.
	code := runSources(srcs, stdin, liveRunner{ctx: ctx, sess: sess}, sess.errf)
	// Give events already on their way a moment to be printed.
	time.Sleep(50 * time.Millisecond)
	return code
}

// sandboxBanner says what was started and suggests a first migration.
func sandboxBanner(sb *sandbox.Sandbox, machine string) string {
	sock := filepath.Join(sb.Dir, "mig.sock")
	return fmt.Sprintf(`hmpsh sandbox: two QEMU %s (-machine %s) in %s
  src  %s  running
  dst  %s  waiting for a migration (-incoming defer)
Lines go to src; "@dst LINE" runs one on dst, ".use dst" switches. A first migration:
  @dst migrate_incoming -c socket,type=unix,path=%s
  migrate -c socket,type=unix,path=%s
  @dst info status
help lists the commands; Tab completes; Ctrl-D leaves, and both QEMUs go with hmpsh.
`, sb.Version, machine, sb.Dir, sb.Src.Addr, sb.Dst.Addr, sock, sock)
}

// monitorSpec reads --qmp NAME=ADDR or --qmp ADDR ("qemu" when alone).
func monitorSpec(spec string, n int) (name, addr string, err error) {
	if k, v, ok := strings.Cut(spec, "="); ok && validName(k) {
		name, addr = k, v
	} else {
		if n > 1 {
			return "", "", fmt.Errorf("with several monitors, name each: --qmp NAME=ADDR")
		}
		name, addr = "qemu", spec
	}
	if _, _, err := qmp.ParseAddress(addr); err != nil {
		return "", "", err
	}
	return name, addr, nil
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

type liveRunner struct {
	ctx  context.Context
	sess *Session
}

func (l liveRunner) run(line string) error { return l.sess.Run(l.ctx, line) }

// helpCommand prints the table's help for a command, or the index.
func helpCommand(t *hmp.Table, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		t.WriteIndex(stdout)
		return ExitOK
	}
	name := strings.Join(args, " ")
	cmd := t.Get(name)
	if cmd == nil {
		var names []string
		for _, c := range t.Commands {
			names = append(names, c.Name)
		}
		msg := fmt.Sprintf("hmpsh: help: no command %q in hmpsh's table", name)
		if s := suggest.Closest(name, names); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		fmt.Fprintf(stderr, "%s; other HMP commands are QEMU's own: see its help\n", msg)
		return ExitFailed
	}
	cmd.WriteHelp(stdout)
	return ExitOK
}

// lineRunner runs one line; runSources says where it was.
type lineRunner interface {
	run(line string) error
}

// exitCode maps a line's error to the exit status: 2 when a monitor could
// not be reached or was lost, 1 for anything else.
func exitCode(err error) int {
	var me *MonitorError
	if errors.As(err, &me) {
		return ExitMonitor
	}
	return ExitFailed
}

// runSources feeds every line of every source to r, in order, and stops at
// the first error, which it reports as WHERE: ERROR.
func runSources(srcs []source, stdin io.Reader, r lineRunner, errf func(format string, a ...any)) int {
	nc := 0
	for _, s := range srcs {
		if s.file == "" {
			nc++
			if err := r.run(s.line); err != nil {
				errf("-c:%d: %v\n", nc, err)
				return exitCode(err)
			}
			continue
		}
		if code := runFile(s.file, stdin, r, errf); code != ExitOK {
			return code
		}
	}
	return ExitOK
}

func runFile(name string, stdin io.Reader, r lineRunner, errf func(format string, a ...any)) int {
	var in io.Reader = stdin
	label := "<stdin>"
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			errf("hmpsh: %v\n", err)
			return ExitFailed
		}
		defer f.Close()
		in, label = f, name
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		where := fmt.Sprintf("%s:%d", label, n)
		if err := r.run(line); err != nil {
			errf("%s: %v\n", where, err)
			return exitCode(err)
		}
	}
	if err := sc.Err(); err != nil {
		errf("%s:%d: %v\n", label, n+1, err)
		return ExitFailed
	}
	return ExitOK
}

// dryRun prints the QMP of each line instead of sending it.
type dryRun struct {
	tr     *hmp.Translator
	target *hmp.Target
	out    io.Writer
}

func (d *dryRun) run(line string) error {
	// A script written for several monitors dry-runs too: the @NAME
	// prefix only picks where a line would go.
	if _, rest, ok := SplitPrefix(line); ok {
		line = rest
	}
	t, err := d.tr.Translate(line, d.target)
	if err != nil {
		return err
	}
	// Marshal every request before printing any, so a failing line
	// leaves nothing on standard output.
	var b strings.Builder
	for _, req := range t.Requests {
		data, err := req.MarshalJSON()
		if err != nil {
			return err
		}
		b.Write(data)
		b.WriteByte('\n')
	}
	_, err = io.WriteString(d.out, b.String())
	return err
}

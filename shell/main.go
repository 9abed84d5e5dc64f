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
	"strings"
	"syscall"
	"time"

	"github.com/chzyer/readline"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/libvirt"
	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/sandbox"
	"github.com/hmpsh/hmpsh/split"
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
	NoTips        bool
	Trace         bool
	TraceSecrets  bool
	Timeout       time.Duration
	MaxMessage    int64 // --max-message, bytes
	CacheDir      string
	Sandbox       string // --sandbox qemu|libvirt[@URI]
	QEMU          string // the sandbox's binary
	Machine       string // the sandbox's -machine
	KeepGoing     bool
	Echo          bool
	Vars          []string // --var NAME=VALUE
	Record        string   // --record FILE
	Parallel      int      // --parallel N: monitors "@* LINE" talks to at once
}

type stringList struct{ list *[]string }

func (s stringList) String() string     { return "" }
func (s stringList) Set(v string) error { *s.list = append(*s.list, v); return nil }

// flagList is a flag set and the order its flags were declared in, which
// is the order help lists them in.
type flagList struct {
	fs    *flag.FlagSet
	order []string
}

func newFlagList(name string) *flagList {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &flagList{fs: fs}
}

// add declares flag name by calling f, which defines it on fl.fs.
func (fl *flagList) add(name string, f func()) {
	f()
	fl.order = append(fl.order, name)
}

// The flags hmpsh and hmpsh check share, said once.
func (fl *flagList) qemuFlag(p *string) {
	fl.add("qemu", func() {
		fl.fs.StringVar(p, "qemu", "", "the sandbox's QEMU binary, a `PATH` (default: the newest found)")
	})
}

func (fl *flagList) varFlag(p *[]string) {
	fl.add("var", func() {
		fl.fs.Var(stringList{p}, "var", "define ${NAME} for the lines, `NAME=VALUE` (repeatable; .set NAME VALUE in a line does the same)")
	})
}

func (fl *flagList) timeoutFlag(p *time.Duration) {
	fl.add("timeout", func() {
		fl.fs.DurationVar(p, "timeout", 30*time.Second, "how long a QEMU may take to answer one request, a `DURATION` (a waiting migrate polls; it has no limit)")
	})
}

func (fl *flagList) cacheFlag(p *string) {
	fl.add("cache-dir", func() {
		fl.fs.StringVar(p, "cache-dir", DefaultCacheDir(), "the `DIR` where QEMU schemas are cached (\"\" for no cache)")
	})
}

// flags declares hmpsh's options, each with its help, once: the parser and
// --help both read them from here. order is the order --help lists them.
func flags(o *Options, known []string) (*flag.FlagSet, []string) {
	fl := newFlagList("hmpsh")
	fs, add := fl.fs, fl.add
	add("sandbox", func() {
		fs.StringVar(&o.Sandbox, "sandbox", "qemu", "what the sandbox's src and dst are, `qemu|libvirt[@URI]`: qemu is two QEMUs of hmpsh's own; libvirt is two transient libvirt domains on URI (qemu:///system when not given), destroyed when hmpsh exits")
	})
	add("sandbox-machine", func() {
		fs.StringVar(&o.Machine, "sandbox-machine", "none", "the QEMU sandbox's -machine, `none|pc`: none has no RAM and starts at once, pc has 64 MiB of RAM")
	})
	fl.qemuFlag(&o.QEMU)
	add("qmp", func() {
		fs.Var(stringList{&o.QMP}, "qmp", "a QEMU's monitor, `[NAME=]ADDR`: unix:/path, tcp:HOST:PORT or a path (a QMP socket), or libvirt:DOMAIN[@URI] (a domain libvirt manages, named after it; libvirt:*[@URI] for every running one); repeat for several (the first is the current one; \"@NAME LINE\" runs a line on NAME)")
	})
	add("c", func() { fs.Var(sources{list: &o.Sources}, "c", "run one `LINE` (repeatable; in order with -f)") })
	add("f", func() {
		fs.Var(sources{list: &o.Sources, file: true}, "f", "run the lines of `FILE` (\"-\" for standard input); without -c and -f, lines come from standard input")
	})
	add("keep-going", func() {
		fs.BoolVar(&o.KeepGoing, "keep-going", false, "run every line of a script even after one fails; the exit status is the worst of all lines")
	})
	add("echo", func() {
		fs.BoolVar(&o.Echo, "echo", false, "print each line of a script after its prompt, \"(src) info status\", before its output")
	})
	fl.varFlag(&o.Vars)
	add("record", func() {
		fs.StringVar(&o.Record, "record", "", "write the session as a transcript to `FILE` (.hmpt) as it goes; hmpsh check FILE replays and compares it")
	})
	add("parallel", func() {
		fs.IntVar(&o.Parallel, "parallel", DefaultParallel, "how many monitors \"@* LINE\" talks to at once, `N` (1 or more; 1 runs the line on one monitor after another)")
	})
	add("json", func() {
		fs.BoolVar(&o.JSON, "json", false, "print one JSON value per line: the raw QMP replies, events, summaries")
	})
	add("no-events", func() { fs.BoolVar(&o.NoEvents, "no-events", false, "do not print QMP events") })
	add("no-tips", func() {
		fs.BoolVar(&o.NoTips, "no-tips", false, "in the shell, print no tips (a legacy URI otherwise gets its -c form once per kind; scripts never print tips)")
	})
	fl.timeoutFlag(&o.Timeout)
	fl.maxMessageFlag(&o.MaxMessage)
	add("trace", func() {
		fs.BoolVar(&o.Trace, "trace", false, "show every QMP request and reply on standard error, secrets (passwords, secret data) written as *** as in the history file")
	})
	add("trace-secrets", func() {
		fs.BoolVar(&o.TraceSecrets, "trace-secrets", false, "with --trace, show secrets too")
	})
	fl.cacheFlag(&o.CacheDir)
	add("dry-run", func() {
		fs.BoolVar(&o.DryRun, "dry-run", false, "print the QMP each line means, one JSON per line, instead of sending it")
	})
	add("target-version", func() {
		fs.StringVar(&o.TargetVersion, "target-version", "", "with --dry-run, translate for QEMU `X.Y` (default: the newest built in; known: "+strings.Join(known, ", ")+")")
	})
	return fs, fl.order
}

// Main runs hmpsh with the given arguments and returns the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	sx, err := NewSyntax()
	if err != nil {
		fmt.Fprintf(stderr, "hmpsh: %v\n", err)
		return ExitMonitor
	}
	targets, err := hmp.KnownTargets()
	if err != nil {
		fmt.Fprintf(stderr, "hmpsh: %v\n", err)
		return ExitMonitor
	}
	var o Options
	fs, order := flags(&o, targets.Versions())
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			s := NewSession(Config{Out: stdout, Err: stderr}, sx, targets, nil)
			io.WriteString(stdout, s.usage(fs, order))
			return ExitOK
		}
		fmt.Fprintf(stderr, "hmpsh: %v (hmpsh --help shows the usage)\n", err)
		return ExitMonitor
	}
	o.Args = fs.Args()
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if len(o.Args) > 0 {
		switch o.Args[0] {
		case "check":
			return runCheck(o.Args[1:], sx, targets, stdout, stderr)
		case "convert":
			return runConvert(o.Args[1:], sx, targets, stdin, stdout, stderr)
		case "explain":
			return runExplain(o.Args[1:], sx, targets, stdout, stderr)
		case "learn":
			return runLearn(o.Args[1:], sx, targets, stdin, stdout, stderr)
		}
	}
	if len(o.Args) > 0 {
		return subcommand(o.Args, sx, targets, stdout, stderr)
	}

	// A dry run's QEMU; the newest built in unless told (read below,
	// when it is a dry run: a connected QEMU brings its own schema).
	var target *hmp.Target
	if o.TargetVersion != "" {
		if target, err = targets.Pick(o.TargetVersion); err != nil {
			fmt.Fprintf(stderr, "hmpsh: --target-version: %v\n", err)
			return ExitMonitor
		}
	}
	if err := checkSources(o.Sources); err != nil {
		fmt.Fprintf(stderr, "hmpsh: %v\n", err)
		return ExitMonitor
	}
	vars, err := parseVarFlags(o.Vars)
	if err != nil {
		fmt.Fprintf(stderr, "hmpsh: %v\n", err)
		return ExitMonitor
	}
	if o.Parallel < 1 {
		fmt.Fprintf(stderr, "hmpsh: --parallel %d: want 1 or more\n", o.Parallel)
		return ExitMonitor
	}
	if o.DryRun {
		if o.Record != "" {
			fmt.Fprintf(stderr, "hmpsh: --dry-run runs nothing to record; leave out --record\n")
			return ExitMonitor
		}
		if len(o.QMP) > 0 {
			fmt.Fprintf(stderr, "hmpsh: --dry-run sends nothing; leave out --qmp\n")
			return ExitMonitor
		}
		if given["sandbox"] {
			fmt.Fprintf(stderr, "hmpsh: --dry-run starts no sandbox; leave out --sandbox\n")
			return ExitMonitor
		}
		if len(o.Sources) == 0 {
			fmt.Fprintf(stderr, "hmpsh: --dry-run needs lines: -c LINE or -f FILE\n")
			return ExitMonitor
		}
		if target == nil {
			if target, err = targets.Default(); err != nil {
				fmt.Fprintf(stderr, "hmpsh: %v\n", err)
				return ExitMonitor
			}
		}
		// A dry run's output is written in blocks, not a line at a time.
		out := bufio.NewWriterSize(stdout, 64<<10)
		s := NewSession(Config{Out: out, Err: stderr}, sx, targets, target)
		defer s.Close()
		s.vars = vars
		r := &runner{s: s, keepGoing: o.KeepGoing, echo: o.Echo}
		return r.run(context.Background(), o.Sources, stdin)
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
	if len(o.QMP) > 0 && given["sandbox"] {
		fmt.Fprintf(stderr, "hmpsh: --sandbox starts src and dst; with --qmp hmpsh starts none: leave one out\n")
		return ExitMonitor
	}
	libvirtURI, err := parseSandbox(o.Sandbox)
	if err != nil {
		fmt.Fprintf(stderr, "hmpsh: --sandbox %s: %v\n", o.Sandbox, err)
		return ExitMonitor
	}
	if libvirtURI != "" {
		if o.QEMU != "" {
			fmt.Fprintf(stderr, "hmpsh: --qemu picks the QEMU sandbox's binary; libvirt runs its own default emulator in --sandbox libvirt\n")
			return ExitMonitor
		}
		if given["sandbox-machine"] && o.Machine != "pc" {
			fmt.Fprintf(stderr, "hmpsh: --sandbox libvirt's domains are -machine pc (libvirt has no -machine none); leave out --sandbox-machine\n")
			return ExitMonitor
		}
	}
	return runLive(o, libvirtURI, vars, sx, targets, stdin, stdout, stderr)
}

// parseSandbox reads --sandbox: "qemu", or "libvirt[@URI]", whose URI
// (libvirt's default when not given) it returns.
func parseSandbox(v string) (libvirtURI string, err error) {
	if v == "qemu" {
		return "", nil
	}
	kind, uri, hasURI := strings.Cut(v, "@")
	if kind != "libvirt" {
		return "", fmt.Errorf("want qemu, libvirt or libvirt@URI")
	}
	if !hasURI {
		return libvirt.DefaultURI, nil
	}
	if err := libvirt.CheckURI(uri); err != nil {
		return "", err
	}
	return uri, nil
}

// subcommand runs "hmpsh NAME ARGS...", one of hmpsh's own commands made
// for the command line (help).
func subcommand(args []string, sx *hmp.Syntax, targets *hmp.Targets, stdout, stderr io.Writer) int {
	e := sx.LookupBuiltin(args[0])
	cmd, _ := e.(*Command)
	if cmd == nil || !cmd.CLI {
		fmt.Fprintf(stderr, "hmpsh: unexpected argument %q; to run a line, write -c %q (hmpsh --help shows the usage)\n", args[0], strings.Join(args, " "))
		return ExitMonitor
	}
	words := make([]split.Word, len(args)-1)
	for i, a := range args[1:] {
		words[i] = split.Word{Text: a}
	}
	c, err := hmp.ParseArgs(cmd.Name, cmd.Params, words)
	if err == nil {
		s := NewSession(Config{Out: stdout, Err: stderr}, sx, targets, nil)
		err = cmd.Run(context.Background(), s, c)
	}
	if err != nil {
		fmt.Fprintf(stderr, "hmpsh: %v\n", err)
		return ExitFailed
	}
	return ExitOK
}

// usage is hmpsh --help, generated from the options and both command
// tables.
func (s *Session) usage(fs *flag.FlagSet, order []string) string {
	var b strings.Builder
	b.WriteString(`hmpsh: type HMP, speak QMP to QEMU.

Usage:
  hmpsh [--sandbox-machine none|pc] [--qemu PATH] [-c LINE | -f FILE]...
  hmpsh --sandbox libvirt[@URI] [-c LINE | -f FILE]...
  hmpsh --qmp [NAME=]ADDR [--qmp NAME=ADDR]... [-c LINE | -f FILE]...
  hmpsh --dry-run [--target-version X.Y] (-c LINE | -f FILE)...
`)
	for _, c := range s.ownCommands() {
		if c.CLI {
			fmt.Fprintf(&b, "  hmpsh %s\n", c.Usage())
		}
	}
	b.WriteString("  hmpsh check [--update] [--qmp [NAME=]ADDR]... [--qemu PATH] FILE...   (hmpsh check --help)\n")
	b.WriteString(s.subcommandUsage())
	b.WriteString("  hmpsh learn [N]   (lessons in the channel syntax; hmpsh learn --help)\n")
	b.WriteString(`
Without --qmp, hmpsh starts a sandbox: two throwaway QEMUs, src and dst
(dst waits for a migration), in a private directory that goes with hmpsh.
With --sandbox libvirt, src and dst are two transient libvirt domains
instead (on qemu:///system, or URI), destroyed when hmpsh exits; their
monitors are libvirt's, which takes no migrate: virsh migrate does that.

Options:
`)
	writeFlags(&b, fs, order)
	b.WriteString(`  -h, --help
        this text

Lines: HMP commands, hmpsh's own commands, QMP commands with key=value
arguments, lines of JSON; "@NAME LINE" runs a line on monitor NAME, "@*
LINE" on every monitor at once (--parallel), "#" starts a comment. Every
mode reads them alike. A script stops at its first error, reported as
FILE:LINE: on standard error. Exit status: 0 when every command succeeded,
1 when one failed (a QMP error, an HMP error, a failed migration, a line
that does not translate), 2 when a monitor could not be reached or was
lost; for "@* LINE", the worst of all monitors.

Examples:
  hmpsh --qmp unix:/run/qemu/qmp.sock -c 'info status'
  hmpsh --qmp src=unix:/tmp/src.sock --qmp dst=unix:/tmp/dst.sock \
        -c '@dst migrate_incoming -c socket,type=unix,path=/tmp/mig.sock' \
        -c 'migrate -c socket,type=unix,path=/tmp/mig.sock'
  hmpsh --qmp a=tcp:host1:4444 --qmp b=tcp:host2:4444 --qmp c=tcp:host3:4444 \
        -c '@* info migrate_parameters'
  hmpsh --sandbox libvirt -c '@* info status' -c 'info migrate_parameters'
  hmpsh --dry-run -c 'migrate -c socket,type=inet,host=10.0.0.2,port=4444'
  hmpsh --dry-run --target-version 7.2 -c 'migrate tcp:10.0.0.2:4444'
  hmpsh help migrate

`)
	b.WriteString(s.helpIndex())
	return b.String()
}

// writeFlags lists a flag set's flags in order, each with its help.
func writeFlags(b *strings.Builder, fs *flag.FlagSet, order []string) {
	for _, name := range order {
		f := fs.Lookup(name)
		arg, help := flag.UnquoteUsage(f)
		head := "-" + name
		if len(name) > 1 {
			head = "-" + head
		}
		if arg != "" {
			head += " " + arg
		}
		if f.DefValue != "" && f.DefValue != "false" && !strings.Contains(help, "(default") {
			help += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(b, "  %s\n", head)
		for _, l := range wrap(help, 70) {
			fmt.Fprintf(b, "        %s\n", l)
		}
	}
}

// wrap cuts text into lines of at most width bytes at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

// runLive connects to the monitors and runs the lines on them.
func runLive(o Options, libvirtURI string, vars map[string]string, sx *hmp.Syntax, known *hmp.Targets, stdin io.Reader, stdout, stderr io.Writer) int {
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
	ctx, stop := signalContext(sigs...)
	defer stop()
	// Without --qmp, two throwaway QEMUs: src, and dst waiting for a
	// migration. They go with hmpsh, however it ends.
	banner := ""
	var use *sandbox.Sandbox
	var useLibvirt *sandbox.Libvirt
	if len(o.QMP) == 0 && libvirtURI != "" {
		// Or two transient libvirt domains, destroyed when hmpsh goes.
		lsb, err := sandbox.StartLibvirt(ctx, sandbox.LibvirtOptions{URI: libvirtURI})
		if i := interruption(ctx); i != nil {
			if lsb != nil {
				lsb.Close()
			}
			fmt.Fprintf(stderr, "hmpsh: interrupted while starting the sandbox\n")
			return i.Code()
		}
		if err != nil {
			fmt.Fprintf(stderr, "hmpsh: %v\n", err)
			return ExitMonitor
		}
		defer lsb.Close()
		useLibvirt = lsb
	} else if len(o.QMP) == 0 {
		sb, err := sandbox.Start(ctx, sandbox.Options{QEMU: o.QEMU, Machine: o.Machine})
		if i := interruption(ctx); i != nil {
			if sb != nil {
				sb.Close()
			}
			fmt.Fprintf(stderr, "hmpsh: interrupted while starting the sandbox\n")
			return i.Code()
		}
		if err != nil {
			fmt.Fprintf(stderr, "hmpsh: %v\n", err)
			return ExitMonitor
		}
		defer sb.Close()
		use = sb
		banner = sandboxBanner(sb, o.Machine)
	}
	out, buffered := stdout, false
	if tty == nil {
		out, buffered = scriptOutput(stdout)
	}
	sess := NewSession(Config{JSON: o.JSON, NoEvents: o.NoEvents, NoTips: o.NoTips, Trace: o.Trace, TraceSecrets: o.TraceSecrets, Timeout: o.Timeout, MaxMessage: o.MaxMessage, CacheDir: o.CacheDir, Parallel: o.Parallel, Out: out, Err: stderr}, sx, known, nil)
	defer sess.Close()
	if buffered {
		sess.out.lazyFlush(flushDelay)
	}
	sess.vars = vars
	err := sess.connectAll(ctx, o.QMP)
	if use != nil {
		err = sess.useSandbox(ctx, use)
	}
	if useLibvirt != nil {
		if err = sess.useLibvirtSandbox(ctx, useLibvirt); err == nil {
			banner = libvirtSandboxBanner(sess, useLibvirt)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "hmpsh: %v\n", err)
		return ExitMonitor
	}
	var rec *recorder
	if o.Record != "" {
		var err error
		if rec, err = startRecording(o.Record, sess, o.Machine); err != nil {
			fmt.Fprintf(stderr, "hmpsh: --record: %v\n", err)
			return ExitMonitor
		}
		defer func() {
			if err := rec.close(); err != nil {
				sess.errf("hmpsh: --record: %v\n", err)
			}
		}()
	}
	srcs := o.Sources
	if len(srcs) == 0 {
		if tty != nil {
			return runInteractive(ctx, sess, banner, tty, stdout, stderr, rec)
		}
		srcs = []source{{file: "-"}}
	}
	r := &runner{s: sess, keepGoing: o.KeepGoing, echo: o.Echo, rec: rec}
	code := r.run(ctx, srcs, stdin)
	sess.settle(ctx)
	return code
}

// signalContext is a context cancelled, with an *Interrupted cause, by the
// first of sigs to arrive.
func signalContext(sigs ...os.Signal) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	go func() {
		select {
		case sig := <-ch:
			cancel(&Interrupted{Signal: sig.(syscall.Signal)})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(nil)
	}
}

// sandboxBanner says what was started and suggests a first migration.
func sandboxBanner(sb *sandbox.Sandbox, machine string) string {
	return fmt.Sprintf(`hmpsh sandbox: two QEMU %s (-machine %s) in %s
  src  %s  running
  dst  %s  waiting for a migration (-incoming defer)
Lines go to src; "@dst LINE" runs one on dst, ".use dst" switches. A first migration:
  @dst migrate_incoming -c socket,type=unix,path=${SANDBOX}/mig.sock
  migrate -c socket,type=unix,path=${SANDBOX}/mig.sock
  @dst info status
${SANDBOX} is the sandbox's directory, so a line from the history works in
the next sandbox too. The events capability is on: QEMU reports each step
of a migration as a MIGRATION event. help lists the commands; Tab completes;
Ctrl-D leaves, and both QEMUs go with hmpsh.
`, sb.Version, machine, sb.Dir, sb.Src.Addr, sb.Dst.Addr)
}

// connectAll connects the monitors given with --qmp, in order.
func (s *Session) connectAll(ctx context.Context, specs []string) error {
	for _, spec := range specs {
		name, addr, err := monitorSpec(spec, len(specs))
		if err != nil {
			return fmt.Errorf("--qmp %s: %w", spec, err)
		}
		if libvirt.IsAddress(addr) {
			if _, err := s.connectLibvirt(ctx, name, addr); err != nil {
				return err
			}
			continue
		}
		if _, err := s.Connect(ctx, name, addr); err != nil {
			return err
		}
	}
	return nil
}

// monitorSpec reads --qmp NAME=ADDR or --qmp ADDR ("qemu" when alone;
// a libvirt domain's name for libvirt:DOMAIN, and no name for libvirt:*,
// whose monitors are each named after their domain).
func monitorSpec(spec string, n int) (name, addr string, err error) {
	if k, v, ok := strings.Cut(spec, "="); ok && hmp.ValidName(k) && !libvirt.IsAddress(spec) {
		name, addr = k, v
	} else if libvirt.IsAddress(spec) {
		a, err := libvirt.ParseAddress(spec)
		if err != nil {
			return "", "", err
		}
		if a.Domain != libvirt.AllDomains {
			name = a.Domain
		}
		return name, spec, nil
	} else {
		if n > 1 {
			return "", "", fmt.Errorf("with several monitors, name each: --qmp NAME=ADDR")
		}
		name, addr = "qemu", spec
	}
	if libvirt.IsAddress(addr) {
		_, err := libvirt.ParseAddress(addr)
		return name, addr, err
	}
	if _, _, err := qmp.ParseAddress(addr); err != nil {
		return "", "", err
	}
	return name, addr, nil
}

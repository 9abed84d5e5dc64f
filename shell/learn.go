package shell

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/chzyer/readline"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/sandbox"
	"github.com/hmpsh/hmpsh/shell/complete"
	"github.com/hmpsh/hmpsh/transcript"
)

// learnOptions are hmpsh learn's flags.
type learnOptions struct {
	qemu     string
	machine  string
	timeout  time.Duration
	cacheDir string
}

func learnFlags(o *learnOptions) (*flag.FlagSet, []string) {
	fl := newFlagList("hmpsh learn")
	fl.qemuFlag(&o.qemu)
	fl.add("sandbox-machine", func() {
		fl.fs.StringVar(&o.machine, "sandbox-machine", "", "the sandbox's -machine, `none|pc` (default: the lesson's \"# sandbox-machine:\" line, else none)")
	})
	fl.timeoutFlag(&o.timeout)
	fl.cacheFlag(&o.cacheDir)
	return fl.fs, fl.order
}

// learnUsage is hmpsh learn --help, generated from its flags.
func learnUsage() string {
	var o learnOptions
	fs, order := learnFlags(&o)
	var b strings.Builder
	b.WriteString(`Usage: hmpsh learn [--qemu PATH] [--sandbox-machine none|pc] [N | FILE.hmpt]

Without N, list the lessons. With N, run lesson N on a fresh sandbox of
two QEMUs (src running, dst waiting for a migration): each step states a
task; type a line that does it. A line passes when it sends the same QMP
as the lesson's answer (any spelling: a legacy URI and the channel it
means are the same) and the VM ends up as the step expects. A wrong line
gets a hint and runs nothing. In a step:
  .hint   the step's next hint
  .show   the lesson's answer
  .skip   move on (hmpsh runs the answer, so that the next steps work)
  help, info ..., and other lines that only look are run as they are;
  Ctrl-D (or the end of standard input) leaves.
FILE.hmpt runs a lesson file being written (scripts/lessons/README.md).
Exit status: 0 when the lesson ran to its end, 1 when it was left before,
2 when the sandbox could not be started.

Options:
`)
	writeFlags(&b, fs, order)
	return b.String()
}

// runLearn is "hmpsh learn ARGS".
func runLearn(args []string, sx *hmp.Syntax, known *hmp.Targets, stdin io.Reader, stdout, stderr io.Writer) int {
	var o learnOptions
	fs, _ := learnFlags(&o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			io.WriteString(stdout, learnUsage())
			return ExitOK
		}
		fmt.Fprintf(stderr, "hmpsh learn: %v (hmpsh learn --help shows the usage)\n", err)
		return ExitMonitor
	}
	all, err := builtinLessons()
	if err != nil {
		fmt.Fprintf(stderr, "hmpsh learn: %v\n", err)
		return ExitMonitor
	}
	switch fs.NArg() {
	case 0:
		listLessons(stdout, all)
		return ExitOK
	case 1:
	default:
		fmt.Fprintf(stderr, "hmpsh learn: one lesson at a time: hmpsh learn N\n")
		return ExitMonitor
	}
	l, err := findLesson(fs.Arg(0), all)
	if err != nil {
		fmt.Fprintf(stderr, "hmpsh learn: %v\n", err)
		return ExitMonitor
	}
	machine := o.machine
	if machine == "" {
		machine = l.Machine
	}
	if machine == "" {
		machine = "none"
	}
	var tty *os.File
	if f, ok := stdin.(*os.File); ok && readline.IsTerminal(int(f.Fd())) {
		tty = f
	}
	sigs := []os.Signal{syscall.SIGTERM, syscall.SIGHUP}
	if tty == nil {
		sigs = append(sigs, os.Interrupt)
	}
	ctx, stop := signalContext(sigs...)
	defer stop()
	sb, err := sandbox.Start(ctx, sandbox.Options{QEMU: o.qemu, Machine: machine})
	if err != nil {
		if sb != nil {
			sb.Close()
		}
		fmt.Fprintf(stderr, "hmpsh learn: %v\n", err)
		return ExitMonitor
	}
	defer sb.Close()
	// Events would interleave with the lesson's text; a step that is about
	// them waits for them (.wait event), which prints them.
	s := NewSession(Config{NoEvents: true, Timeout: o.timeout, CacheDir: o.cacheDir, Out: stdout, Err: stderr}, sx, known, nil)
	defer s.Close()
	if err := s.useSandbox(ctx, sb); err != nil {
		fmt.Fprintf(stderr, "hmpsh learn: %v\n", err)
		return ExitMonitor
	}
	lr := &learner{s: s, l: l, all: all, out: stdout}
	if tty != nil {
		in, err := newTermInput(ctx, s, tty, stdout, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "hmpsh learn: %v\n", err)
			return ExitMonitor
		}
		defer in.close()
		lr.in, lr.tty = in, true
	} else {
		lr.in = &pipeInput{sc: bufio.NewScanner(stdin), out: stdout}
	}
	fmt.Fprintf(stdout, "Lesson %d: %s\n", l.Num, l.Title)
	fmt.Fprintf(stdout, "Sandbox: two QEMU %s (-machine %s) in %s:\nsrc runs, dst waits for a migration. ${SANDBOX} is that directory, ${PORT} a free\nTCP port. Each step states a task: type a line that does it. .hint gives a hint,\n.show the answer, .skip moves on; Ctrl-D leaves.\n", sb.Version, machine, sb.Dir)
	return lr.run(ctx)
}

func listLessons(w io.Writer, all []*lesson) {
	fmt.Fprintf(w, "Lessons in the channel syntax; hmpsh learn N runs one on a fresh sandbox:\n")
	for _, l := range all {
		fmt.Fprintf(w, "  %2d  %s\n", l.Num, l.Title)
		if l.Summary != "" {
			fmt.Fprintf(w, "      %s\n", l.Summary)
		}
	}
}

// lineInput reads a person's lines: readline on a terminal, plain lines
// otherwise.
type lineInput interface {
	// read shows prompt and reads one line; io.EOF when there are no more.
	read(prompt string) (string, error)
}

// pipeInput reads lines from a pipe or a file, writing each after its
// prompt so that the output reads as a session does.
type pipeInput struct {
	sc  *bufio.Scanner
	out io.Writer
}

func (p *pipeInput) read(prompt string) (string, error) {
	fmt.Fprint(p.out, prompt)
	if !p.sc.Scan() {
		fmt.Fprintln(p.out)
		if err := p.sc.Err(); err != nil {
			return "", err
		}
		return "", io.EOF
	}
	fmt.Fprintln(p.out, p.sc.Text())
	return p.sc.Text(), nil
}

// termInput is readline on a terminal, with the shell's completion and
// "?" help (and no history file: a lesson's lines are the lesson's).
type termInput struct {
	rl   *readline.Instance
	stop func() bool
}

func newTermInput(ctx context.Context, s *Session, tty *os.File, stdout, stderr io.Writer) (*termInput, error) {
	for _, m := range s.Monitors() {
		if _, err := s.Target(ctx, m); err != nil {
			return nil, err
		}
	}
	completer := complete.New(completionSource{sess: s})
	var rl *readline.Instance
	cfg := &readline.Config{
		Prompt:          prompt(s),
		AutoComplete:    completer,
		Listener:        helpKey(completer, func() *readline.Instance { return rl }),
		InterruptPrompt: "^C",
		Stdout:          stdout,
		Stderr:          stderr,
		FuncGetWidth:    screenWidth,
	}
	usePaste(cfg, tty, stdout, func() *readline.Instance { return rl })
	rl, err := readline.NewEx(cfg)
	if err != nil {
		return nil, err
	}
	return &termInput{rl: rl, stop: context.AfterFunc(ctx, func() { rl.Close() })}, nil
}

func (t *termInput) read(prompt string) (string, error) {
	t.rl.SetPrompt(prompt)
	for {
		line, err := t.rl.Readline()
		if errors.Is(err, readline.ErrInterrupt) {
			continue // Ctrl-C clears the line
		}
		return line, err
	}
}

func (t *termInput) close() {
	t.stop()
	t.rl.Close()
}

// learner runs one lesson on a session.
type learner struct {
	s   *Session
	l   *lesson
	all []*lesson
	out io.Writer
	in  lineInput
	tty bool

	steps, passed, afterShow, skipped int
	broken                            bool // a line hmpsh ran itself did not do what the lesson expects
}

func (lr *learner) run(ctx context.Context) int {
	v := lr.s.Current().Version()
	parts := lr.l.active(v)
	for _, p := range parts {
		if !p.Auto {
			lr.steps++
		}
	}
	if len(lr.l.Intro) > 0 {
		fmt.Fprintln(lr.out)
		for _, t := range lr.l.Intro {
			fmt.Fprintln(lr.out, t)
		}
	}
	n := 0
	for _, p := range parts {
		if p.Auto {
			lr.auto(ctx, p)
			continue
		}
		n++
		if left := lr.step(ctx, p, n); left {
			fmt.Fprintf(lr.out, "\nLeft lesson %d at step %d of %d: %d passed, %d skipped.\n", lr.l.Num, n, lr.steps, lr.passed, lr.skipped)
			if i := interruption(ctx); i != nil {
				return i.Code()
			}
			return ExitFailed
		}
	}
	fmt.Fprintf(lr.out, "\nLesson %d done: %d of %d steps passed", lr.l.Num, lr.passed, lr.steps)
	if lr.afterShow > 0 {
		fmt.Fprintf(lr.out, " (%d after .show)", lr.afterShow)
	}
	fmt.Fprintf(lr.out, ", %d skipped.\n", lr.skipped)
	if lr.broken {
		fmt.Fprintf(lr.out, "Some lines hmpsh ran itself did not do what the lesson expects (above).\n")
	}
	for _, next := range lr.all {
		if next.Num > lr.l.Num {
			fmt.Fprintf(lr.out, "Next: hmpsh learn %d (%s).\n", next.Num, next.Title)
			break
		}
	}
	return ExitOK
}

// use makes the monitor of an entry's prompt the current one, as check
// does: the prompt says where a line without @NAME goes.
func (lr *learner) use(e *transcript.Entry) error {
	return new(checker).usePrompt(lr.s, e)
}

// runEntry runs a line of the lesson's, showing it with what it is for
// (as: "hmpsh runs", "hmpsh checks"), and reports whether it printed what
// the lesson expects.
func (lr *learner) runEntry(ctx context.Context, as string, e *transcript.Entry) bool {
	fmt.Fprintf(lr.out, "%s: %s\n", as, e.Input)
	if err := lr.use(e); err != nil {
		fmt.Fprintf(lr.out, "%s:%d: %v\n", lr.l.Name, e.Line, err)
		return false
	}
	var buf bytes.Buffer
	lr.s.out.setTee(&buf)
	err := lr.s.Run(ctx, e.Input)
	lr.s.out.setTee(nil)
	if err != nil {
		fmt.Fprintf(lr.out, "%v\n", err)
		buf.WriteString(err.Error() + "\n")
	}
	lookup := func(name string) (string, bool) {
		v, ok := lr.s.vars[name]
		return v, ok
	}
	if transcript.Match(e.Want, transcript.Lines(buf.String()), lookup) {
		return true
	}
	fmt.Fprintf(lr.out, "(the lesson expects, %s:%d:)\n", lr.l.Name, e.Line)
	for _, w := range e.Want {
		fmt.Fprintf(lr.out, "    %s\n", w)
	}
	if len(e.Want) == 0 {
		fmt.Fprintf(lr.out, "    (no output)\n")
	}
	return false
}

// auto runs lines hmpsh runs itself.
func (lr *learner) auto(ctx context.Context, p *part) {
	fmt.Fprintln(lr.out)
	for _, t := range p.Text {
		fmt.Fprintln(lr.out, t)
	}
	for _, e := range p.Lines {
		if !lr.runEntry(ctx, "hmpsh runs", e) {
			lr.broken = true
		}
	}
}

// checks runs a step's checks after the person's line; all must pass.
func (lr *learner) checks(ctx context.Context, p *part) bool {
	for _, e := range p.Lines[1:] {
		if !lr.runEntry(ctx, "hmpsh checks", e) {
			return false
		}
	}
	return true
}

// resolver answers which monitor a line goes to, and its QEMU.
func (lr *learner) resolver(ctx context.Context) monitorResolver {
	return func(name string) (string, *hmp.Target, error) {
		m, t, err := lr.s.resolve(ctx, name)
		if err != nil {
			return "", nil, err
		}
		return m.Name, t, nil
	}
}

// answers are what the step's lines do: its answer, then the other lines
// it accepts.
func (lr *learner) answers(ctx context.Context, p *part) ([]*effect, error) {
	lines := append([]string{p.Lines[0].Input}, p.Accept...)
	var out []*effect
	for _, l := range lines {
		exp, err := expand(l, lr.s.vars)
		if err != nil {
			return nil, err
		}
		e, _, err := lineEffect(lr.s.sx, exp, lr.resolver(ctx))
		if err != nil {
			return nil, fmt.Errorf("the lesson's answer %q: %w", l, err)
		}
		if e == nil {
			return nil, fmt.Errorf("the lesson's answer %q does nothing", l)
		}
		out = append(out, e)
	}
	return out, nil
}

const stuck = "(.hint for a hint, .show for the answer, .skip to move on)"

// step runs one step until it passes or is skipped; left reports that
// the person left (end of input, .exit).
func (lr *learner) step(ctx context.Context, p *part, n int) (left bool) {
	fmt.Fprintf(lr.out, "\nStep %d of %d:\n", n, lr.steps)
	for _, t := range p.Text {
		fmt.Fprintln(lr.out, t)
	}
	answer := p.Lines[0]
	hints, shown := 0, false
	// What a person stuck can do is said once a step.
	told := false
	notYet := func(format string, a ...any) {
		fmt.Fprintf(lr.out, "Not yet: "+format, a...)
		if !told {
			fmt.Fprintf(lr.out, " %s", stuck)
			told = true
		}
		fmt.Fprintln(lr.out)
	}
	for {
		if err := lr.use(answer); err != nil {
			fmt.Fprintf(lr.out, "%s:%d: %v\n", lr.l.Name, answer.Line, err)
			return true
		}
		raw, err := lr.in.read(prompt(lr.s))
		if err != nil || ctx.Err() != nil {
			return true
		}
		raw = strings.TrimSpace(raw)
		if raw == "" || strings.HasPrefix(raw, "#") {
			continue
		}
		exp, err := expand(raw, lr.s.vars)
		if err != nil {
			fmt.Fprintf(lr.out, "%v\n", err)
			notYet("hmpsh cannot read that line")
			continue
		}
		mine, ln, err := lineEffect(lr.s.sx, exp, lr.resolver(ctx))
		if err != nil {
			fmt.Fprintf(lr.out, "%v\n", err)
			notYet("hmpsh cannot run that line as it is")
			continue
		}
		if mine == nil {
			continue
		}
		if ln.Kind == hmp.Builtin {
			switch mine.Own {
			case ".hint":
				switch {
				case hints < len(p.Hints):
					fmt.Fprintf(lr.out, "Hint: %s\n", p.Hints[hints])
					hints++
				case len(p.Hints) == 0:
					fmt.Fprintf(lr.out, "This step has no hints of its own; .show shows the answer.\n")
				default:
					fmt.Fprintf(lr.out, "No more hints; .show shows the answer.\n")
				}
				continue
			case ".show":
				fmt.Fprintf(lr.out, "The answer: %s\n", answer.Input)
				shown = true
				continue
			case ".skip":
				lr.skip(ctx, p)
				return false
			case ".exit":
				return true
			}
		}
		wants, err := lr.answers(ctx, p)
		if err != nil {
			fmt.Fprintf(lr.out, "%s:%d: %v; .skip moves on\n", lr.l.Name, answer.Line, err)
			continue
		}
		same, why := false, ""
		for i, w := range wants {
			ok, reason := sameEffect(mine, w)
			if i == 0 {
				why = reason
			}
			if ok {
				same = true
				break
			}
		}
		if !same {
			if looksOnly(ln, mine) {
				lr.runTyped(ctx, raw)
				continue
			}
			notYet("%s", why)
			continue
		}
		if err := lr.runTyped(ctx, raw); err != nil {
			notYet("the line asks for the right thing, but it failed")
			continue
		}
		if !lr.checks(ctx, p) {
			notYet("the line ran, but the VM is not where the task wants it")
			continue
		}
		lr.passed++
		if shown {
			lr.afterShow++
		}
		fmt.Fprintf(lr.out, "Right.")
		if raw != answer.Input {
			fmt.Fprintf(lr.out, " The lesson's answer, which does the same: %s", answer.Input)
		}
		fmt.Fprintln(lr.out)
		return false
	}
}

// runTyped runs the person's line, printing what it prints and its error.
func (lr *learner) runTyped(ctx context.Context, raw string) error {
	var err error
	if lr.tty {
		// Ctrl-C interrupts the line (a waiting migrate detaches), as in
		// the shell.
		err = (&REPL{sess: lr.s}).run(ctx, raw)
	} else {
		err = lr.s.Run(ctx, raw)
	}
	if err != nil && !errors.Is(err, errExit) {
		fmt.Fprintf(lr.out, "%v\n", err)
	}
	return err
}

// skip runs the step's answer and checks, so that the steps after it find
// the VM as they expect.
func (lr *learner) skip(ctx context.Context, p *part) {
	lr.skipped++
	fmt.Fprintf(lr.out, "Skipped. hmpsh runs the answer, so that the next steps find the VM as they expect.\n")
	for _, e := range p.Lines {
		if !lr.runEntry(ctx, "hmpsh runs", e) {
			lr.broken = true
		}
	}
}

// lookCommands are hmpsh's own commands that leave the VMs alone (.set
// defines a variable a person may use in the next lines).
var lookCommands = map[string]bool{"help": true, ".monitors": true, ".set": true, ".explain": true, ".convert": true}

// looksOnly reports whether a line only looks (help, info, query-*): in a
// step it runs without being judged, so a person can look around.
func looksOnly(ln *hmp.Line, e *effect) bool {
	if e.Own != "" {
		return lookCommands[e.Own]
	}
	for _, r := range e.Reqs {
		if strings.HasPrefix(r.Execute, "query-") {
			continue
		}
		if r.Execute == "human-monitor-command" && ln.Kind == hmp.Passthrough && len(ln.Words) > 0 && ln.Words[0].Text == "info" {
			continue
		}
		return false
	}
	return len(e.Reqs) > 0
}

// lessonCommands are the commands a lesson's steps take. In a lesson the
// step reads them before the line is judged; anywhere else they explain
// where they work.
func lessonCommands() []*Command {
	outside := func(name string) func(context.Context, *Session, *hmp.Call) error {
		return func(context.Context, *Session, *hmp.Call) error {
			return fmt.Errorf("%s works in a lesson: hmpsh learn lists the lessons, hmpsh learn N runs one", name)
		}
	}
	return []*Command{
		{
			Name:     ".hint",
			Short:    "in a lesson (hmpsh learn): the step's next hint",
			Long:     "Each .hint shows the next of the step's hints; a wrong line gets its own hint anyway:\nthe error hmpsh gives, or how what the line sends differs from the task.",
			Examples: []hmp.Example{{Line: ".hint"}},
			Run:      outside(".hint"),
		},
		{
			Name:     ".show",
			Short:    "in a lesson (hmpsh learn): the step's answer",
			Long:     "Shows the lesson's own answer to the step; type it (or any line that does the same) to go on.",
			Examples: []hmp.Example{{Line: ".show"}},
			Run:      outside(".show"),
		},
		{
			Name:     ".skip",
			Short:    "in a lesson (hmpsh learn): move on to the next step",
			Long:     "hmpsh runs the step's answer, so that the next steps find the VM as they expect, and counts the step as skipped.",
			Examples: []hmp.Example{{Line: ".skip"}},
			Run:      outside(".skip"),
		},
	}
}

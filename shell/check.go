package shell

import (
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

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/sandbox"
	"github.com/hmpsh/hmpsh/transcript"
)

// checkOptions are hmpsh check's flags.
type checkOptions struct {
	update   bool
	qmp      []string
	qemu     string
	machine  string
	vars     []string
	timeout  time.Duration
	cacheDir string
	verbose  bool
}

func checkFlags(o *checkOptions) (*flag.FlagSet, []string) {
	fl := newFlagList("hmpsh check")
	fs, add := fl.fs, fl.add
	add("update", func() {
		fs.BoolVar(&o.update, "update", false, "rewrite the expected output of the lines that differ, in place, keeping the masks and comments that still match")
	})
	add("qmp", func() {
		fs.Var(stringList{&o.qmp}, "qmp", "replay on this QEMU's monitor instead of a sandbox, `[NAME=]ADDR` (repeatable; names as the transcript's prompts)")
	})
	fl.qemuFlag(&o.qemu)
	add("sandbox-machine", func() {
		fs.StringVar(&o.machine, "sandbox-machine", "", "the sandbox's -machine, `none|pc` (default: the transcript's \"# sandbox-machine:\" line, else none)")
	})
	fl.varFlag(&o.vars)
	fl.timeoutFlag(&o.timeout)
	fl.cacheFlag(&o.cacheDir)
	add("v", func() { fs.BoolVar(&o.verbose, "v", false, "print each line as it is replayed") })
	return fs, fl.order
}

// checkUsage is hmpsh check --help, generated from its flags.
func checkUsage() string {
	var o checkOptions
	fs, order := checkFlags(&o)
	var b strings.Builder
	b.WriteString(`Usage: hmpsh check [--update] [--qmp [NAME=]ADDR]... [--qemu PATH] FILE...

Replay each transcript (.hmpt) on a fresh sandbox of two QEMUs (one per
file), or on the monitors given with --qmp, and compare what each line
prints with what the transcript expects. Exit status 0 when every file
matches; 1 otherwise, with a unified diff per file naming the file and
line; 2 when a QEMU could not be started or reached.

A transcript: input lines after their prompt, "(src) info status"; the
expected output below each; "#" comments; "..." inside a line matches any
text, a line of only "..." any number of lines; ${NAME} as in lines
(${SANDBOX} is the sandbox's directory). "[qemu>=9.0] (src) ..." runs a
line only on the QEMUs the condition holds for (>=, <=, >, <, ==, !=).
"hmpsh --record FILE" writes one from a session; one recorded with
--json says so ("# output: json") and is replayed with --json.

Options:
`)
	writeFlags(&b, fs, order)
	b.WriteString(`
Examples:
  hmpsh --record migrate.hmpt -c '@dst migrate_incoming -c socket,type=unix,path=${SANDBOX}/mig.sock' \
        -c 'migrate -c socket,type=unix,path=${SANDBOX}/mig.sock' -c '@dst .wait status running'
  hmpsh check migrate.hmpt
  hmpsh check --qemu /usr/bin/qemu-system-x86_64 scripts/examples/*.hmpt
  hmpsh check --update migrate.hmpt
`)
	return b.String()
}

// runCheck is "hmpsh check ARGS".
func runCheck(args []string, sx *hmp.Syntax, known *hmp.Targets, stdout, stderr io.Writer) int {
	var o checkOptions
	fs, _ := checkFlags(&o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			io.WriteString(stdout, checkUsage())
			return ExitOK
		}
		fmt.Fprintf(stderr, "hmpsh check: %v (hmpsh check --help shows the usage)\n", err)
		return ExitMonitor
	}
	files := fs.Args()
	if len(files) == 0 {
		fmt.Fprintf(stderr, "hmpsh check: no transcript given (hmpsh check --help shows the usage)\n")
		return ExitMonitor
	}
	if len(o.qmp) > 0 && (o.qemu != "" || o.machine != "") {
		fmt.Fprintf(stderr, "hmpsh check: --qemu and --sandbox-machine shape the sandbox; with --qmp hmpsh starts none\n")
		return ExitMonitor
	}
	vars, err := parseVarFlags(o.vars)
	if err != nil {
		fmt.Fprintf(stderr, "hmpsh check: %v\n", err)
		return ExitMonitor
	}
	// Every file is read before anything starts.
	var parsed []*transcript.File
	for _, name := range files {
		f, err := readTranscript(name)
		if err != nil {
			fmt.Fprintf(stderr, "hmpsh check: %v\n", err)
			return ExitMonitor
		}
		parsed = append(parsed, f)
	}
	ctx, stop := signalContext(os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	code := ExitOK
	for _, f := range parsed {
		c := &checker{o: &o, sx: sx, known: known, stdout: stdout, stderr: stderr, vars: vars}
		code = max(code, c.file(ctx, f))
		if i := interruption(ctx); i != nil {
			fmt.Fprintf(stderr, "hmpsh check: %s: interrupted\n", f.Name)
			return i.Code()
		}
	}
	return code
}

func readTranscript(name string) (*transcript.File, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return transcript.Parse(name, bytes.NewReader(data))
}

// checker replays one transcript.
type checker struct {
	o              *checkOptions
	sx             *hmp.Syntax
	known          *hmp.Targets
	stdout, stderr io.Writer
	vars           map[string]string
}

func (c *checker) file(ctx context.Context, f *transcript.File) int {
	vars := map[string]string{}
	for k, v := range c.vars {
		vars[k] = v
	}
	var use *sandbox.Sandbox
	on := ""
	if len(c.o.qmp) == 0 {
		machine := c.o.machine
		if machine == "" {
			machine = f.Directives["sandbox-machine"]
		}
		if machine == "" {
			machine = "none"
		}
		on = ", -machine " + machine
		sb, err := sandbox.Start(ctx, sandbox.Options{QEMU: c.o.qemu, Machine: machine})
		if err != nil {
			fmt.Fprintf(c.stderr, "hmpsh check: %s: %v\n", f.Name, err)
			return ExitMonitor
		}
		defer sb.Close()
		use = sb
	}
	var errs bytes.Buffer
	inJSON := f.Directives["output"] == "json" // recorded with --json
	s := NewSession(Config{JSON: inJSON, NoEvents: true, Timeout: c.o.timeout, CacheDir: c.o.cacheDir, Out: io.Discard, Err: &errs}, c.sx, c.known, nil)
	defer s.Close()
	s.vars = vars
	err := s.connectAll(ctx, c.o.qmp)
	if use != nil {
		err = s.useSandbox(ctx, use)
	}
	if err != nil {
		fmt.Fprintf(c.stderr, "hmpsh check: %s: %v\n", f.Name, err)
		return ExitMonitor
	}
	v := s.Current().Version()
	lookup := func(name string) (string, bool) {
		val, ok := s.vars[name]
		return val, ok
	}
	mk := maskerFor(s)
	got := map[*transcript.Entry][]string{}
	sentBy := map[*transcript.Entry][]qmp.Request{}
	var buf bytes.Buffer
	n := 0
	for _, e := range f.Active(v.Major, v.Minor, v.Micro) {
		if err := c.usePrompt(s, e); err != nil {
			fmt.Fprintf(c.stderr, "%s:%d: %v\n", f.Name, e.Line, err)
			return ExitFailed
		}
		if c.o.verbose {
			fmt.Fprintf(c.stdout, "%s:%d: (%s) %s\n", f.Name, e.Line, e.Prompt, e.Input)
		}
		buf.Reset()
		s.out.setTee(&buf)
		err := s.Run(ctx, e.Input)
		s.out.setTee(nil)
		if i := interruption(ctx); i != nil {
			fmt.Fprintf(c.stderr, "%s:%d: interrupted\n", f.Name, e.Line)
			return i.Code()
		}
		if err != nil && !errors.Is(err, errExit) {
			buf.WriteString(err.Error())
			buf.WriteByte('\n')
		}
		got[e] = transcript.Lines(buf.String())
		sentBy[e] = append([]qmp.Request(nil), s.sent...)
		n++
		if errors.Is(err, errExit) {
			break
		}
	}
	failed := false
	for e, lines := range got {
		if !transcript.Match(e.Want, lines, lookup) {
			failed = true
		}
	}
	where := fmt.Sprintf("%s (%d lines, QEMU %s%s)", f.Name, n, v, on)
	switch {
	case !failed:
		fmt.Fprintf(c.stdout, "ok      %s\n", where)
		return ExitOK
	case c.o.update:
		f.Update(got, lookup, func(e *transcript.Entry, p string) string { return mk.mask(sentBy[e])(p) })
		if err := writeTranscript(f); err != nil {
			fmt.Fprintf(c.stderr, "hmpsh check: %v\n", err)
			return ExitFailed
		}
		fmt.Fprintf(c.stdout, "updated %s\n", where)
		return ExitOK
	}
	fmt.Fprintf(c.stdout, "FAIL    %s\n", where)
	io.WriteString(c.stdout, f.Diff(got, lookup))
	if errs.Len() > 0 {
		fmt.Fprintf(c.stderr, "%s", errs.String())
	}
	return ExitFailed
}

// usePrompt makes the monitor of the entry's prompt the current one: the
// prompt says where a line without @NAME went when it was recorded.
// "(qemu)" is the one monitor of a single-monitor session: replayed on
// several, it means the current one.
func (c *checker) usePrompt(s *Session, e *transcript.Entry) error {
	if !s.mons.several() || e.Prompt == "qemu" && s.mons.lookup("qemu") == nil {
		return nil
	}
	if cur := s.Current(); cur != nil && cur.Name == e.Prompt {
		return nil
	}
	if s.mons.lookup(e.Prompt) == nil {
		return fmt.Errorf("prompt (%s): no monitor %q; monitors: %s", e.Prompt, e.Prompt, strings.Join(s.mons.names(), ", "))
	}
	return s.mons.use(e.Prompt)
}

// writeTranscript rewrites f's file through a temporary file, so that a
// failed write leaves the old one.
func writeTranscript(f *transcript.File) error {
	tmp := f.Name + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.WriteTo(out); err != nil {
		out.Close()
		os.Remove(tmp)
		return err
	}
	if err := out.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, f.Name)
}

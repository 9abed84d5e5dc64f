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

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/transcript"
)

// convertOptions are hmpsh convert's flags.
type convertOptions struct {
	to            string
	targetVersion string
	keepGoing     bool
}

func convertFlags(o *convertOptions, known []string) (*flag.FlagSet, []string) {
	fl := newFlagList("hmpsh convert")
	fs, add := fl.fs, fl.add
	add("to", func() {
		fs.StringVar(&o.to, "to", "channels", "the form to write migration lines in, `channels|uri`: -c CHANNEL, or a legacy URI")
	})
	add("target-version", func() {
		fs.StringVar(&o.targetVersion, "target-version", "", "convert for QEMU `X.Y` alone: each converted line sends that QEMU the same QMP as before (default: every QEMU hmpsh knows, "+strings.Join(known, " and ")+")")
	})
	add("keep-going", func() {
		fs.BoolVar(&o.keepGoing, "keep-going", false, "convert every line that can be and leave the others as they are, listing them; the exit status is still 1")
	})
	return fs, fl.order
}

// synopsis is a subcommand's usage line, generated from its flags: a
// boolean flag is [--NAME], one with a value [--NAME ARG].
func synopsis(name string, fs *flag.FlagSet, order []string, positional string) string {
	parts := []string{"hmpsh", name}
	for _, n := range order {
		arg, _ := flag.UnquoteUsage(fs.Lookup(n))
		dash := "--"
		if len(n) == 1 {
			dash = "-"
		}
		if arg == "" {
			parts = append(parts, "["+dash+n+"]")
		} else {
			parts = append(parts, "["+dash+n+" "+arg+"]")
		}
	}
	if positional != "" {
		parts = append(parts, positional)
	}
	return strings.Join(parts, " ")
}

const convertPositional = "[FILE|-]"

// convertUsage is hmpsh convert --help, generated from its flags.
func convertUsage(known []string) string {
	var o convertOptions
	fs, order := convertFlags(&o, known)
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n", synopsis("convert", fs, order, convertPositional))
	b.WriteString(`
Rewrite a script's migrate, migrate_incoming and migrate_recover lines
(@NAME lines too) in one form: -c CHANNEL (--to channels, the default)
or legacy URIs (--to uri). Every other line, comment and blank line, and
each line's @NAME, flags, spacing and trailing comment, is kept byte for
byte; a line already in that form is left as it is. The result goes to
standard output; FILE "-" or none reads standard input.

Each converted line sends the same QMP as the original to every QEMU
hmpsh knows (or to QEMU X.Y alone with --target-version), or fails where
the original fails: a -c line whose key has no URI form (unix abstract
or tight, inet numeric, a cpr channel, an exec argv that is not
/bin/sh -c COMMAND) cannot become a URI. Such a line is an error,
FILE:LINE: ..., and nothing is written (exit status 1); --keep-going
writes the rest converted and leaves those lines as they are.

A transcript (.hmpt, as hmpsh check replays) is converted too: only its
input lines, after the "(NAME) " prompt and any [qemu...] conditions;
expected output and comments stay as they are. A file is a transcript
when its name ends in .hmpt, or when its first line that is neither blank
nor a comment is an input line "(NAME) ...".

Options:
`)
	writeFlags(&b, fs, order)
	b.WriteString(`
Examples:
  hmpsh convert migrate.hmp > migrate-channels.hmp
  hmpsh convert --to uri --target-version 7.2 < new.hmp
  hmpsh convert scripts/examples/unix.hmpt
`)
	return b.String()
}

// runConvert is "hmpsh convert ARGS".
func runConvert(args []string, sx *hmp.Syntax, known *hmp.Targets, stdin io.Reader, stdout, stderr io.Writer) int {
	var o convertOptions
	fs, _ := convertFlags(&o, known.Versions())
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			io.WriteString(stdout, convertUsage(known.Versions()))
			return ExitOK
		}
		fmt.Fprintf(stderr, "hmpsh convert: %v (hmpsh convert --help shows the usage)\n", err)
		return ExitMonitor
	}
	to, err := hmp.ParseForm(o.to)
	if err != nil {
		fmt.Fprintf(stderr, "hmpsh convert: --to %v\n", err)
		return ExitMonitor
	}
	targets, err := convertTargets(known, o.targetVersion)
	if err != nil {
		fmt.Fprintf(stderr, "hmpsh convert: %v\n", err)
		return ExitMonitor
	}
	name := "-"
	switch fs.NArg() {
	case 0:
	case 1:
		name = fs.Arg(0)
	default:
		fmt.Fprintf(stderr, "hmpsh convert: one file at a time, not %d (hmpsh convert --help shows the usage)\n", fs.NArg())
		return ExitMonitor
	}
	label, data, err := readInput(name, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "hmpsh convert: %v\n", err)
		return ExitMonitor
	}
	c := converter{sx: sx, to: to, targets: targets}
	out, failed, err := c.convert(label, data, strings.HasSuffix(name, ".hmpt"))
	if err != nil {
		fmt.Fprintf(stderr, "hmpsh convert: %v\n", err)
		return ExitMonitor
	}
	for _, f := range failed {
		fmt.Fprintf(stderr, "%s:%d: %v\n", label, f.line, f.err)
		if !o.keepGoing {
			return ExitFailed
		}
	}
	w := bufio.NewWriter(stdout)
	w.WriteString(out)
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "hmpsh convert: %v\n", err)
		return ExitFailed
	}
	if len(failed) > 0 {
		fmt.Fprintf(stderr, "hmpsh convert: %d %s left as %s\n", len(failed), plural(len(failed), "line", "lines"), plural(len(failed), "it was", "they were"))
		return ExitFailed
	}
	return ExitOK
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// convertTargets are the QEMUs a conversion must be exact for: the one
// --target-version names, else every one hmpsh knows.
func convertTargets(known *hmp.Targets, version string) ([]*hmp.Target, error) {
	if version != "" {
		t, err := known.Pick(version)
		if err != nil {
			return nil, fmt.Errorf("--target-version: %w", err)
		}
		return []*hmp.Target{t}, nil
	}
	return known.All()
}

// readInput reads a file, or standard input for "-"; label is how errors
// name it.
func readInput(name string, stdin io.Reader) (label string, data []byte, err error) {
	if name == "-" {
		data, err = io.ReadAll(stdin)
		return "<stdin>", data, err
	}
	data, err = os.ReadFile(name)
	return name, data, err
}

// converter rewrites the lines of a script or a transcript.
type converter struct {
	sx      *hmp.Syntax
	to      hmp.Form
	targets []*hmp.Target
}

// lineError is a line that could not be converted.
type lineError struct {
	line int
	err  error
}

// convert rewrites data, a script or (hmpt, or by its content) a
// transcript; failed lines are left as they were and listed.
func (c converter) convert(label string, data []byte, hmpt bool) (string, []lineError, error) {
	text := string(data)
	lines := strings.Split(text, "\n")
	var failed []lineError
	// Only a transcript's input lines are lines to run; they are the
	// text after the prompt, to the end of the line.
	inputs, isTranscript, err := transcriptInputs(label, data, hmpt)
	if err != nil {
		return "", nil, err
	}
	for i, line := range lines {
		prefix, input := "", line
		if isTranscript {
			in, ok := inputs[i+1]
			if !ok {
				continue
			}
			prefix, input = line[:len(line)-len(in)], in
		}
		// A CRLF file keeps its line ends.
		body, cr := strings.CutSuffix(input, "\r")
		out, err := c.sx.ConvertLine(body, c.to, c.targets)
		if err != nil {
			failed = append(failed, lineError{i + 1, err})
			continue
		}
		if cr {
			out += "\r"
		}
		lines[i] = prefix + out
	}
	return strings.Join(lines, "\n"), failed, nil
}

// transcriptInputs reads data as a transcript when it is one: by its name
// (.hmpt), or by its content (its first line that is neither blank nor a
// comment is an input line). It maps each input line's number to its
// input, the text after the prompt.
func transcriptInputs(label string, data []byte, hmpt bool) (map[int]string, bool, error) {
	if !hmpt && !transcript.LooksLike(string(data)) {
		return nil, false, nil
	}
	f, err := transcript.Parse(label, bytes.NewReader(data))
	if err != nil {
		return nil, false, err
	}
	inputs := map[int]string{}
	for _, e := range f.Entries {
		inputs[e.Line] = e.Input
	}
	return inputs, true, nil
}

// runConvertLine is .convert LINE: the line in its other form.
func runConvertLine(ctx context.Context, s *Session, c *hmp.Call) error {
	raw := innerLine(c)
	ets, notice := s.explainTargets(ctx, innerMonitor(raw, c))
	targets := make([]*hmp.Target, len(ets))
	for i, et := range ets {
		targets[i] = et.Target
	}
	newest := targets[len(targets)-1]
	ln, err := s.sx.Parse(raw, func(string) (*hmp.Target, error) { return newest, nil })
	if err != nil {
		return err
	}
	form, ok := hmp.FormOf(ln)
	if !ok {
		return fmt.Errorf(".convert: %q is not a migration line with a destination; only migrate, migrate_incoming and migrate_recover have one", ln.Body)
	}
	out, err := hmp.Convert(ln, form.Other(), targets)
	if err != nil {
		return err
	}
	if notice != "" {
		s.pr.text(notice + "\n")
	}
	s.pr.text(out + "\n")
	return nil
}

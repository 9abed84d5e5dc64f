package shell

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/hmpsh/hmpsh/hmp"
)

// describer gives explain the meaning of each key, from QEMU's QAPI
// documentation built into hmpsh.
func describer() hmp.Describer { return hmp.QEMUDocs() }

func explainFlags() (*flag.FlagSet, []string) {
	fl := newFlagList("hmpsh explain")
	return fl.fs, fl.order
}

const explainPositional = "LINE..."

// explainUsage is hmpsh explain --help, generated from its flags.
func explainUsage() string {
	fs, order := explainFlags()
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n", synopsis("explain", fs, order, explainPositional))
	b.WriteString(`
Explain each LINE (one argument each, as it would be typed) without
sending anything: how hmpsh reads it (its kind, command, flags and, for a
migration command, each channel's keys with their values, types and the
defaults hmpsh fills in), the same line in the other form (a legacy URI
as -c CHANNEL, a CHANNEL as its URI, or which key has no URI form), and
the QMP each QEMU generation hmpsh knows would get, one line each, with
why they differ when they do. In the shell, .explain LINE does the same
and adds the connected QEMU.

Examples:
  hmpsh explain 'migrate tcp:10.0.0.2:4444'
  hmpsh explain 'migrate -c file,filename=/tmp/vm.mig' 'info status'
`)
	return b.String()
}

// runExplain is "hmpsh explain LINE...".
func runExplain(args []string, sx *hmp.Syntax, known *hmp.Targets, stdout, stderr io.Writer) int {
	fs, _ := explainFlags()
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			io.WriteString(stdout, explainUsage())
			return ExitOK
		}
		fmt.Fprintf(stderr, "hmpsh explain: %v (hmpsh explain --help shows the usage)\n", err)
		return ExitMonitor
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(stderr, "hmpsh explain: no line given (hmpsh explain --help shows the usage)\n")
		return ExitMonitor
	}
	ets, err := hmp.KnownExplainTargets(known)
	if err != nil {
		fmt.Fprintf(stderr, "hmpsh explain: %v\n", err)
		return ExitMonitor
	}
	var b strings.Builder
	for i, line := range fs.Args() {
		if i > 0 {
			b.WriteString("\n")
		}
		sx.Explain(line, ets, describer()).WriteText(&b)
	}
	io.WriteString(stdout, b.String())
	return ExitOK
}

// runExplainLine is .explain LINE: what the line means, nothing sent.
func runExplainLine(ctx context.Context, s *Session, c *hmp.Call) error {
	raw := innerLine(c)
	ets, notice := s.explainTargets(ctx, innerMonitor(raw, c))
	var b strings.Builder
	s.sx.Explain(raw, ets, describer()).WriteText(&b)
	if notice != "" {
		b.WriteString(notice + "\n")
	}
	if note := s.libvirtNote(ctx, raw, innerMonitor(raw, c)); note != "" {
		b.WriteString(note + "\n")
	}
	s.pr.text(b.String())
	return nil
}

// innerLine is the line a .explain or .convert line is about, exactly as
// written after the command's name (its param joins words; quotes and
// spacing matter here).
func innerLine(c *hmp.Call) string {
	ln := c.Line
	if ln == nil || len(ln.Words) < 2 {
		v, _ := c.Arg("line")
		return v
	}
	return ln.Raw[hmp.CutHead(ln.Raw).Offset+ln.Words[1].Start:]
}

// innerMonitor is the monitor the inner line is for: its own @NAME, else
// the @NAME before .explain, else the current one ("").
func innerMonitor(raw string, c *hmp.Call) string {
	if h := hmp.CutHead(raw); h.Prefixed {
		return h.Monitor
	}
	if c.Line != nil {
		return c.Line.Monitor
	}
	return ""
}

// explainTargets are the QEMUs .explain and .convert show and convert
// for: every generation hmpsh knows, then the monitor's QEMU when there
// is one. A monitor that cannot be asked is left out, and notice says
// so.
func (s *Session) explainTargets(ctx context.Context, monitor string) (ets []hmp.ExplainTarget, notice string) {
	ets, err := hmp.KnownExplainTargets(s.known)
	if err != nil {
		return []hmp.ExplainTarget{{Label: "QEMU " + s.known.Newest().Version(), Target: s.known.Newest()}}, err.Error()
	}
	if s.dry != nil {
		return ets, ""
	}
	m, t, err := s.resolve(ctx, monitor)
	if err != nil {
		return ets, fmt.Sprintf("(no row for a connected QEMU: %v)", err)
	}
	return append(ets, hmp.ExplainTarget{Label: fmt.Sprintf("QEMU %s (%s)", m.Version(), m.Name), Target: t}), ""
}

// subcommandUsage lists explain and convert for hmpsh --help, each from
// its flag set.
func (s *Session) subcommandUsage() string {
	efs, eorder := explainFlags()
	var o convertOptions
	cfs, corder := convertFlags(&o, s.known.Versions())
	return fmt.Sprintf("  %s   (hmpsh explain --help)\n  %s   (hmpsh convert --help)\n",
		synopsis("explain", efs, eorder, explainPositional), synopsis("convert", cfs, corder, convertPositional))
}

package shell

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/hmpsh/hmpsh/hmp"
)

// DefaultParallel is how many monitors "@* LINE" talks to at once
// without --parallel.
const DefaultParallel = 8

// errEachQEMU is what Run's target function answers for "@*": whether
// the line's words are an HMP command or a QMP one is each monitor's QEMU's
// to say, and runAll reads the line again for each.
var errEachQEMU = errors.New("@*: the line is read for each monitor's QEMU")

// onEach refuses "@* LINE" for one of hmpsh's commands that does not run
// on each monitor. Those that act on the session (.use, .connect, .set,
// ...) the line model refuses already: they take no @NAME at all.
func (s *Session) onEach(ln *hmp.Line) error {
	if ln.Kind != hmp.Builtin {
		return nil
	}
	if c, ok := ln.Builtin.(*Command); ok && c.OnEach {
		return nil
	}
	return fmt.Errorf("%s is about one QEMU and does not run on every monitor: write @NAME %s", ln.Name, ln.Name)
}

// eachPart is one monitor's share of "@* LINE": the line read for that
// monitor as "@NAME LINE", and what it printed, kept apart from the others'.
type eachPart struct {
	m   *Monitor
	s   *Session // a fork of the session, printing into out
	out bytes.Buffer
	raw string
	ln  hmp.Line
	tn  *hmp.Translation
	err error
	// tuned holds the monitor's name when the line tunes a libvirt
	// domain's migration (the warning is said once for the fleet).
	tuned []string
}

// runAll runs "@* LINE" (ln, read without a QEMU) on every monitor, as
// "@NAME LINE" would run on each, at most cfg.Parallel at a time. What
// each printed is shown as a block, when all are done, in the order of
// .monitors: each of its lines after "NAME: ". The error names every
// monitor the line failed on; a monitor that is down (lost, or
// disconnected by .disconnect) fails it too, never passed over in silence,
// so the exit status is the worst of all: 2 when a monitor is down or was
// lost, else 1 when the line failed anywhere.
//
// A line that goes to QEMU is translated for every monitor's QEMU first,
// and sent to none when one of them cannot take it: a fleet is not left
// half configured by a parameter an older QEMU lacks.
func (s *Session) runAll(ctx context.Context, ln *hmp.Line) error {
	body := hmp.CutHead(ln.Raw).Body
	var parts []*eachPart
	for _, m := range s.mons.list() {
		p := &eachPart{m: m, raw: "@" + m.Name + " " + body}
		p.s = s.fork(m, &p.out)
		p.s.tuned = &p.tuned
		p.err = s.down(m)
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return fmt.Errorf("@*: no monitor connected")
	}
	builtin := ln.Kind == hmp.Builtin
	if !builtin {
		s.each(ctx, parts, func(ctx context.Context, p *eachPart) error { return p.prepare(ctx) })
		for _, p := range parts {
			if p.err != nil && !isMonitorErr(p.err) {
				for _, p := range parts {
					p.tn = nil // sent nowhere
				}
				return s.report(parts)
			}
		}
		var tuned []string
		for _, p := range parts {
			tuned = append(tuned, p.tuned...)
		}
		if len(tuned) > 0 {
			s.errf("hmpsh: %s\n", tunedWarning(tuned))
		}
		// A .wait event after this line looks at what came since it was sent.
		for _, m := range s.mons.list() {
			m.events.setMark()
		}
	}
	s.each(ctx, parts, func(ctx context.Context, p *eachPart) error {
		if builtin {
			if err := p.s.sx.ParseInto(&p.ln, p.raw, nil); err != nil {
				return err
			}
			return p.s.builtin(ctx, &p.ln)
		}
		return p.s.execute(ctx, p.m, p.tn)
	})
	for _, p := range parts {
		s.sent = append(s.sent, p.s.sent...)
	}
	return s.report(parts)
}

// fork is a session for m's part of "@* LINE": it shares the monitors,
// the configuration and the variables, and prints into out. Its trace
// goes to standard error at once, each line naming its monitor, as ever.
// A synchronous migrate waits without a progress line: there is one
// status line, and several migrations.
func (s *Session) fork(m *Monitor, out *bytes.Buffer) *Session {
	o := &output{out: out, err: errTo{s.out}, events: out}
	f := &Session{cfg: s.cfg, sx: s.sx, known: s.known, mons: s.mons, out: o, vars: s.vars}
	if s.cfg.JSON {
		f.pr = jsonPrinter{o: o, monitor: m.Name}
	} else {
		f.pr = textPrinter{o}
	}
	return f
}

// errTo writes a fork's messages to its session's standard error, after
// what that session's standard output holds.
type errTo struct{ o *output }

func (w errTo) Write(b []byte) (int, error) {
	w.o.errf("%s", b)
	return len(b), nil
}

// down is nil when m is connected, else why the line cannot run there.
func (s *Session) down(m *Monitor) error {
	if m.up() == nil {
		return nil
	}
	if s.mons.state(m) == stateDisconnected {
		return &MonitorError{Name: m.Name, Err: fmt.Errorf("disconnected (.connect %s ADDR attaches it again)", m.Name)}
	}
	return &MonitorError{Name: m.Name, Err: fmt.Errorf("lost: %w", m.client.Err())}
}

// prepare reads p's line for its monitor's QEMU and translates it.
func (p *eachPart) prepare(ctx context.Context) error {
	tf := func(name string) (*hmp.Target, error) {
		_, t, err := p.s.resolve(ctx, name)
		return t, err
	}
	if err := p.s.sx.ParseInto(&p.ln, p.raw, tf); err != nil {
		return p.s.unreadable(p.raw, &p.ln, err)
	}
	_, tn, err := p.s.translate(ctx, &p.ln)
	p.tn = tn
	return err
}

// each calls f for every part not failed yet, at most cfg.Parallel at a
// time, starting them in order, and waits for all.
func (s *Session) each(ctx context.Context, parts []*eachPart, f func(context.Context, *eachPart) error) {
	slots := make(chan struct{}, s.cfg.Parallel)
	var wg sync.WaitGroup
	for _, p := range parts {
		if p.err != nil {
			continue
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			p.err = ctx.Err()
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			p.err = f(ctx, p)
		})
	}
	wg.Wait()
}

// report prints every part's block, in order, and returns the line's
// error: nil, or each failure naming its monitor (eachError).
func (s *Session) report(parts []*eachPart) error {
	width := 0
	for _, p := range parts {
		width = max(width, len(p.m.Name))
	}
	var b bytes.Buffer
	for _, p := range parts {
		if s.cfg.JSON {
			b.Write(p.out.Bytes())
			continue
		}
		writeBlock(&b, blockPrefix(p.m.Name, width), p.out.Bytes())
	}
	if b.Len() > 0 {
		s.out.writeOut(b.Bytes())
	}
	var errs []error
	same := true
	for _, p := range parts {
		if p.err == nil {
			continue
		}
		if len(errs) > 0 && (isMonitorErr(p.err) || p.err.Error() != errs[0].Error()) {
			same = false
		}
		errs = append(errs, p.err)
	}
	switch {
	case len(errs) == 0:
		return nil
	case same && len(errs) == len(parts) && len(parts) > 1 && !isMonitorErr(errs[0]):
		// The same error everywhere (a misspelt .wait status) is said once.
		return errs[0]
	}
	e := &eachError{}
	for i, p := range parts {
		if p.err == nil {
			continue
		}
		if me, ok := errors.AsType[*MonitorError](p.err); ok && me.Name == parts[i].m.Name {
			e.errs = append(e.errs, p.err)
			continue
		}
		e.errs = append(e.errs, fmt.Errorf("monitor %s: %w", p.m.Name, p.err))
	}
	return e
}

// blockPrefix starts each line of a monitor's block: "NAME: ", padded so
// that the blocks of monitors with names of different lengths line up.
func blockPrefix(name string, width int) string {
	return fmt.Sprintf("%-*s ", width+1, name+":")
}

// writeBlock writes text with prefix before each of its lines (without
// the trailing spaces on an empty one), each ending in a newline.
func writeBlock(b *bytes.Buffer, prefix string, text []byte) {
	for line := range bytes.Lines(text) {
		line = bytes.TrimSuffix(line, []byte("\n"))
		if len(line) == 0 {
			b.WriteString(strings.TrimRight(prefix, " "))
		} else {
			b.WriteString(prefix)
			b.Write(line)
		}
		b.WriteByte('\n')
	}
}

func isMonitorErr(err error) bool {
	_, ok := errors.AsType[*MonitorError](err)
	return ok
}

// eachError is how "@* LINE" failed: one error per monitor it failed on,
// each naming its monitor, in the order of .monitors. Its text has one
// line for each; a script reports each line after FILE:LINE.
type eachError struct{ errs []error }

func (e *eachError) Error() string {
	lines := make([]string, len(e.errs))
	for i, err := range e.errs {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets exitCode find a MonitorError among them: the worst status.
func (e *eachError) Unwrap() []error { return e.errs }

// errorLines is an error's text as the lines a script reports one by one.
func errorLines(err error) []string {
	if e, ok := errors.AsType[*eachError](err); ok {
		return strings.Split(e.Error(), "\n")
	}
	return []string{err.Error()}
}

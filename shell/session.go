package shell

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/libvirt"
	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/sandbox"
	"github.com/hmpsh/hmpsh/shell/redact"
)

// Config is what a session is told by the command line.
type Config struct {
	JSON     bool // print raw QMP replies, one per line
	NoEvents bool // do not print QMP events
	NoTips   bool // the interactive shell prints no tips
	Trace    bool // show each request and reply on Err
	// TraceSecrets shows them with their secrets; without it they are
	// redacted as the history file is.
	TraceSecrets bool
	Timeout      time.Duration // how long one QMP request may take
	CacheDir     string        // where schemas are cached; "" disables the cache
	Out, Err     io.Writer
	// Poll is how often a waiting migrate asks query-migrate.
	Poll time.Duration
	// MaxMessage caps one QMP message from a monitor (qmp.Dialer); 0 for
	// qmp.DefaultMaxMessage.
	MaxMessage int64
	// Parallel is how many monitors "@* LINE" talks to at once; 0 for
	// DefaultParallel.
	Parallel int
}

// Session runs lines: every mode (the shell, -c, -f, standard input and
// --dry-run) reads a line through the one line model (hmp.Syntax.Parse)
// and runs it here, so that a line means the same everywhere. A dry run
// stops before the monitors: it prints the QMP instead of sending it.
type Session struct {
	cfg   Config
	sx    *hmp.Syntax
	known *hmp.Targets // the schemas built into hmpsh
	// mons is shared with the sessions forked for "@* LINE" (fleet.go).
	mons *registry
	// tuned, in such a fork, collects the monitor's name instead of
	// printing libvirt's tuning warning, which runAll prints once.
	tuned *[]string
	out   *output
	pr    printer
	dry   *hmp.Target // a dry run translates for this QEMU and sends nothing
	wg    sync.WaitGroup
	// progress, when set, is shown while a migrate waits (nil info: the
	// wait is over); detached is called when the wait is interrupted.
	progress func(info *MigrationInfo, elapsed time.Duration)
	detached func()
	buf      []byte // a dry run's output line, reused
	// dryTarget is a dry run's answer to which QEMU a line is for.
	dryTarget hmp.TargetFunc
	line      hmp.Line // the line being run
	lineBusy  bool
	vars      map[string]string // ${NAME}
	// sent is what the last line sent, until the next line runs: --record
	// and check mask its output by it.
	sent []qmp.Request
	// lv holds the connections to libvirt daemons (libvirt: monitors).
	lv libvirtPool
}

// NewSession makes a session without monitors; Connect adds them. With
// dry set, it is a dry run for that QEMU instead.
func NewSession(cfg Config, sx *hmp.Syntax, known *hmp.Targets, dry *hmp.Target) *Session {
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Poll == 0 {
		cfg.Poll = 100 * time.Millisecond
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = DefaultParallel
	}
	s := &Session{cfg: cfg, sx: sx, known: known, dry: dry, mons: new(registry)}
	s.dryTarget = func(string) (*hmp.Target, error) { return dry, nil }
	s.out = &output{out: cfg.Out, err: cfg.Err, events: cfg.Out}
	switch {
	case dry != nil:
		s.pr = dryPrinter{textPrinter{s.out}}
	case cfg.JSON:
		s.pr = jsonPrinter{o: s.out}
	default:
		s.pr = textPrinter{s.out}
	}
	return s
}

// errf writes a message to standard error, after what standard output
// holds so far.
func (s *Session) errf(format string, a ...any) {
	s.out.flush()
	s.out.errf(format, a...)
}

// Connect dials a monitor and adds it under name; the first one added is
// the current one, where lines without @NAME go.
func (s *Session) Connect(ctx context.Context, name, addr string) (*Monitor, error) {
	if libvirt.IsAddress(addr) {
		ms, err := s.connectLibvirt(ctx, name, addr)
		if err != nil {
			return nil, err
		}
		if len(ms) != 1 {
			return nil, fmt.Errorf("%s connects several monitors", addr)
		}
		return ms[0], nil
	}
	if !hmp.ValidName(name) {
		return nil, fmt.Errorf("%q is not a monitor name (letters, digits, - and _)", name)
	}
	if _, _, err := qmp.ParseAddress(addr); err != nil {
		return nil, err
	}
	if s.dry != nil {
		return nil, fmt.Errorf("a dry run connects to nothing")
	}
	dctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	m, err := dial(dctx, s.dialer(), name, addr)
	if err != nil {
		return nil, err
	}
	return s.add(m)
}

// add registers a connected monitor and starts printing its events.
func (s *Session) add(m *Monitor) (*Monitor, error) {
	if err := s.mons.add(m); err != nil {
		m.client.Close()
		return nil, err
	}
	s.wg.Add(1)
	m.watched = make(chan struct{})
	go s.watch(m)
	return m, nil
}

// watch prints m's events as they come and reports its loss at once. The
// client waits for it (none is dropped), and lines wait for it to print
// the events that came before their reply (m.shown).
func (s *Session) watch(m *Monitor) {
	defer s.wg.Done()
	defer m.shown.end()
	defer close(m.watched)
	for ev := range m.client.Events() {
		m.events.add(ev)
		if !s.cfg.NoEvents {
			s.pr.event(m, s.mons.several(), ev)
		}
		m.shown.advance()
	}
	// A monitor hmpsh closed itself (.disconnect, the end) is not news.
	if err := m.client.Err(); err != nil && !s.mons.wasClosed(m) {
		s.errf("hmpsh: monitor %s lost: %v%s\n", m.Name, err, limitHint(err))
	}
}

// Close disconnects every monitor, waits for their event printers and
// writes out what standard output holds.
func (s *Session) Close() {
	for _, m := range s.mons.list() {
		s.mons.markClosed(m)
		m.client.Close()
	}
	s.lv.closeAll()
	s.wg.Wait()
	s.out.flush()
}

// Disconnect closes monitor name's connection; its QEMU keeps running and
// .connect can attach again.
func (s *Session) Disconnect(name string) error {
	m, err := s.mons.get(name)
	if err != nil {
		return err
	}
	s.mons.markClosed(m)
	return m.client.Close()
}

// SetOutput redirects command output, messages and events.
func (s *Session) SetOutput(out, errOut, events io.Writer) {
	s.out.mu.Lock()
	defer s.out.mu.Unlock()
	s.out.out, s.out.err, s.out.events = out, errOut, events
}

// Monitors lists the monitors in the order they were connected.
func (s *Session) Monitors() []*Monitor { return s.mons.list() }

// Current is the monitor lines without a prefix go to.
func (s *Session) Current() *Monitor { return s.mons.current() }

// errAllMonitors: "@*" runs a whole line on every monitor (Session.Run);
// what needs one monitor and its QEMU (a lesson's line, .explain) cannot
// take it.
var errAllMonitors = errors.New("@* runs a line on every monitor; this needs one: write @NAME")

// Run runs one line.
func (s *Session) Run(ctx context.Context, raw string) error {
	tf := s.dryTarget
	if s.dry == nil {
		tf = func(name string) (*hmp.Target, error) {
			if name == hmp.AllMonitors {
				// Whether it is HMP or QMP is each QEMU's to say (runAll).
				return nil, errEachQEMU
			}
			_, t, err := s.resolve(ctx, name)
			return t, err
		}
	}
	// One Line serves every line run at the top level; a line run from
	// within another (none yet) gets its own.
	ln := &s.line
	if s.lineBusy {
		ln = new(hmp.Line)
	} else {
		s.lineBusy = true
		defer func() { s.lineBusy = false }()
	}
	s.sent = nil
	raw, err := expand(raw, s.vars)
	if err != nil {
		return err
	}
	if err := s.sx.ParseInto(ln, raw, tf); err != nil && !errors.Is(err, errEachQEMU) {
		return s.unreadable(raw, ln, err)
	}
	if ln.Monitor == hmp.AllMonitors && ln.Kind != hmp.Blank {
		if err := s.onEach(ln); err != nil {
			return err
		}
		if s.dry == nil {
			return s.runAll(ctx, ln)
		}
	}
	switch ln.Kind {
	case hmp.Blank:
		return nil
	case hmp.Builtin:
		return s.builtin(ctx, ln)
	}
	m, tn, err := s.translate(ctx, ln)
	if err != nil {
		return err
	}
	if s.dry != nil {
		return s.show(ln, tn)
	}
	// A .wait event after this line looks at what came since it was sent.
	for _, m := range s.mons.list() {
		m.events.setMark()
	}
	return s.execute(ctx, m, tn)
}

// translate finds the monitor of a parsed line that goes to QEMU and
// makes its QMP.
func (s *Session) translate(ctx context.Context, ln *hmp.Line) (*Monitor, *hmp.Translation, error) {
	// The QEMU's schema is read (from the cache, or asked for) by the
	// first line that needs it: many, info status among them, do not.
	var m *Monitor
	var t *hmp.Target
	var err error
	if ln.NeedsTarget() || s.dry != nil {
		m, t, err = s.resolve(ctx, ln.Monitor)
	} else {
		m, err = s.monitor(ln.Monitor)
	}
	if err != nil {
		return nil, nil, err
	}
	tn, err := hmp.Translate(ln, t)
	if err != nil {
		return nil, nil, s.unreadable(ln.Raw, ln, err)
	}
	warning, err := libvirtPolicy(m, tn)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case warning == "":
	case s.tuned != nil:
		*s.tuned = append(*s.tuned, m.Name) // "@* LINE" warns once for all
	default:
		s.errf("hmpsh: %s\n", warning)
	}
	return m, tn, nil
}

// unreadable is the error for a line its monitor's QEMU cannot take:
// libvirt's refusal when the monitor is libvirt's and the line is a
// migration, else err with the QEMU generations that would take it.
func (s *Session) unreadable(raw string, ln *hmp.Line, err error) error {
	if refused := s.libvirtRefusal(raw, ln); refused != nil {
		return refused
	}
	return s.elsewhere(raw, ln, err)
}

// elsewhere adds to a line's failure about a name its QEMU lacks the QEMU
// generations hmpsh knows that have it.
func (s *Session) elsewhere(raw string, ln *hmp.Line, err error) error {
	t := s.dry
	if t == nil {
		m := s.mons.lookup(ln.Monitor)
		if m == nil {
			return err
		}
		t = m.loadedTarget()
	}
	return s.sx.Elsewhere(raw, t, s.known, err)
}

// resolve finds the monitor a line is for and what its QEMU understands
// (from its schema, read once); a dry run has no monitors and one target.
func (s *Session) resolve(ctx context.Context, name string) (*Monitor, *hmp.Target, error) {
	if s.dry != nil {
		return nil, s.dry, nil
	}
	m, err := s.monitor(name)
	if err != nil {
		return nil, nil, err
	}
	t, err := s.Target(ctx, m)
	return m, t, err
}

// monitor finds the monitor a line is for, which must be up.
func (s *Session) monitor(name string) (*Monitor, error) {
	if name == hmp.AllMonitors {
		return nil, errAllMonitors
	}
	m, err := s.mons.get(name)
	if err != nil {
		return nil, err
	}
	if err := m.up(); err != nil {
		return nil, err
	}
	return m, nil
}

// builtin runs one of hmpsh's own commands.
func (s *Session) builtin(ctx context.Context, ln *hmp.Line) error {
	cmd := ln.Builtin.(*Command)
	if s.dry != nil && cmd.Dry != nil {
		return cmd.Dry(s, ln)
	}
	return cmd.Run(ctx, s, ln.Call)
}

// showLine is what a dry run does with one of hmpsh's commands that acts
// on monitors: it shows the line as a comment.
func showLine(s *Session, ln *hmp.Line) error {
	s.pr.notice(ln.Body)
	return nil
}

// show prints what a dry run would send: one compact JSON request per
// line, after the line's "@NAME " when it has one. Every request is
// written before any is printed, so a failing line prints nothing.
func (s *Session) show(ln *hmp.Line, tn *hmp.Translation) error {
	b := s.buf[:0]
	for _, req := range tn.Requests {
		b = append(b, ln.Prefix()...)
		var err error
		if b, err = req.AppendJSON(b); err != nil {
			return err
		}
		b = append(b, '\n')
	}
	s.buf = b
	s.out.writeOut(b)
	return nil
}

// Target is what m's QEMU understands, from its schema (cached on disk).
// A read that failed (cancelled, timed out) is tried again next time.
func (s *Session) Target(ctx context.Context, m *Monitor) (*hmp.Target, error) {
	if t := m.target.Load(); t != nil {
		return t, nil
	}
	m.loading.Lock()
	defer m.loading.Unlock()
	if t := m.target.Load(); t != nil {
		return t, nil
	}
	sc, err := loadSchema(ctx, m.client, s.cfg.CacheDir, s.cfg.Timeout)
	if err != nil {
		return nil, monitorErr(m, fmt.Errorf("reading the QMP schema: %w", err))
	}
	t := s.known.For(sc)
	m.target.Store(t)
	return t, nil
}

// monitorErr marks errors caused by a lost connection.
func monitorErr(m *Monitor, err error) error {
	if errors.Is(err, qmp.ErrClosed) {
		return &MonitorError{Name: m.Name, Err: err}
	}
	return err
}

func (s *Session) call(ctx context.Context, m *Monitor, req qmp.Request) (json.RawMessage, error) {
	cctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	var args any
	if len(req.Arguments) > 0 {
		args = req.Arguments
	}
	if s.cfg.Trace {
		data, _ := req.MarshalJSON()
		s.trace(m, "->", data)
	}
	var mark qmp.Mark
	ret, err := m.client.Execute(qmp.WithMark(cctx, &mark), req.Execute, args)
	s.eventsFirst(ctx, m, &mark)
	if s.cfg.Trace {
		switch qe := qmpError(err); {
		case qe != nil:
			s.trace(m, "<-", qe)
		case err == nil:
			s.trace(m, "<-", []byte(`{"return":`+string(compact(ret))+`}`))
		}
	}
	if err != nil {
		return nil, monitorErr(m, err)
	}
	return ret, nil
}

// trace shows a request (->) or a reply (<-) on standard error. Secrets
// in it are written as the history file writes them, unless
// --trace-secrets asks to see them.
func (s *Session) trace(m *Monitor, dir string, msg []byte) {
	text := string(msg)
	if !s.cfg.TraceSecrets {
		text = redact.Line(text)
	}
	prefix := ""
	if s.mons.several() {
		prefix = m.Name + " "
	}
	s.out.errf("%s%s %s\n", prefix, dir, text)
}

func (s *Session) execute(ctx context.Context, m *Monitor, tn *hmp.Translation) error {
	s.sent = tn.Requests
	switch tn.Kind {
	case hmp.QMPJSON:
		cctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		defer cancel()
		raw := tn.Requests[0].Raw
		if s.cfg.Trace {
			s.trace(m, "->", raw)
		}
		var mark qmp.Mark
		reply, err := m.client.ExecuteRaw(qmp.WithMark(cctx, &mark), raw)
		s.eventsFirst(ctx, m, &mark)
		if s.cfg.Trace && reply != nil {
			s.trace(m, "<-", reply)
		}
		if reply != nil {
			s.pr.rawReply(reply)
		}
		return monitorErr(m, err)
	case hmp.Passthrough:
		return s.passthrough(ctx, m, tn.Requests[0])
	}
	if tn.Command != nil && tn.Command.QEMUText && !s.cfg.JSON {
		// Text as QEMU's own HMP prints it, from the QEMU itself.
		req := qmp.Request{Execute: "human-monitor-command", Arguments: qmp.Object{{Name: "command-line", Value: qmp.Str(tn.Command.Name)}}}
		s.sent = []qmp.Request{req}
		return s.passthrough(ctx, m, req)
	}
	for _, req := range tn.Requests {
		ret, err := s.call(ctx, m, req)
		if err != nil {
			s.pr.qmpError(err)
			return err
		}
		if err := s.pr.reply(tn, ret); err != nil {
			return err
		}
	}
	if tn.Wait {
		return s.waitMigration(ctx, m)
	}
	return nil
}

// passthrough runs an HMP command line with human-monitor-command and
// prints what QEMU printed; an HMP error in it fails the line.
func (s *Session) passthrough(ctx context.Context, m *Monitor, req qmp.Request) error {
	ret, err := s.call(ctx, m, req)
	if err != nil {
		return err
	}
	var out string
	if err := json.Unmarshal(ret, &out); err != nil {
		return fmt.Errorf("human-monitor-command: reply is not text: %s", ret)
	}
	out = strings.ReplaceAll(out, "\r\n", "\n")
	failed := qmp.HMPFailure(out)
	// In JSON, the reply is the result whatever it says.
	if failed == nil || s.cfg.JSON {
		s.pr.hmpOutput(ret, out)
	}
	return failed
}

// useSandbox connects a sandbox's QEMUs as monitors src and dst, defines
// its variables (${SANDBOX}, ${PORT}) and turns its events on: the one way
// the shell, check and learn take up a sandbox.
func (s *Session) useSandbox(ctx context.Context, sb *sandbox.Sandbox) error {
	if s.vars == nil {
		s.vars = map[string]string{}
	}
	if err := sandboxVars(s.vars, sb.Dir); err != nil {
		return err
	}
	for _, vm := range []sandbox.VM{sb.Src, sb.Dst} {
		// The sandbox's own connection, greeting unread, when it has one:
		// a second connect right after its probe left can be turned away.
		if conn := sb.TakeConn(vm.Name); conn != nil {
			dctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
			c, err := s.dialer().NewClient(dctx, conn)
			cancel()
			if err == nil {
				if _, err := s.add(&Monitor{Name: vm.Name, Addr: vm.Addr, client: c}); err != nil {
					return err
				}
				continue
			}
		}
		if _, err := s.Connect(ctx, vm.Name, vm.Addr); err != nil {
			return err
		}
	}
	return s.sandboxEvents(ctx)
}

// sandboxEvents turns the "events" migration capability on in every
// monitor whose QEMU has it: a sandbox is for watching migrations, and
// without it QEMU sends no MIGRATION events to see or to .wait for. A
// QEMU given with --qmp is left as it is.
func (s *Session) sandboxEvents(ctx context.Context) error {
	for _, m := range s.mons.list() {
		t, err := s.Target(ctx, m)
		if err != nil {
			return err
		}
		if !slices.Contains(t.Capabilities(), "events") {
			continue
		}
		req := qmp.Request{Execute: "migrate-set-capabilities", Arguments: qmp.Object{
			{Name: "capabilities", Value: qmp.Raw([]byte(`[{"capability":"events","state":true}]`))}}}
		if _, err := s.call(ctx, m, req); err != nil {
			return fmt.Errorf("monitor %s: turning the events capability on: %w", m.Name, err)
		}
	}
	return nil
}

package shell

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/qmp"
)

// Config is what a session is told by the command line.
type Config struct {
	JSON     bool          // print raw QMP replies, one per line
	NoEvents bool          // do not print QMP events
	Trace    bool          // show each request and reply on Err
	Timeout  time.Duration // how long one QMP request may take
	CacheDir string        // where schemas are cached; "" disables the cache
	Out, Err io.Writer
	// Poll is how often a waiting migrate asks query-migrate.
	Poll time.Duration
}

// MonitorError means a monitor could not be reached or was lost: exit
// status 2 rather than 1.
type MonitorError struct {
	Name string
	Err  error
}

func (e *MonitorError) Error() string { return fmt.Sprintf("monitor %s: %v", e.Name, e.Err) }
func (e *MonitorError) Unwrap() error { return e.Err }

// Monitor is one connected QEMU.
type Monitor struct {
	Name, Addr string
	client     *qmp.Client
	target     atomic.Pointer[hmp.Target] // set once known; the completer reads it too
	targetErr  error
	targetOnce sync.Once
	closed     atomic.Bool // disconnected by hmpsh, not lost
}

// loadedTarget is the monitor's target if it is known already, else nil.
func (m *Monitor) loadedTarget() *hmp.Target { return m.target.Load() }

// Version is the QEMU version from the greeting.
func (m *Monitor) Version() qmp.Version { return m.client.Greeting().Version }

// Session is a set of monitors and the lines run on them.
type Session struct {
	cfg   Config
	tr    *hmp.Translator
	ref   *qmp.Schema // newest known schema: defines the channel syntax
	mons  []*Monitor
	cur   *Monitor
	outMu sync.Mutex // one writer at a time: command output and events
	wg    sync.WaitGroup
	// events is where event lines go; the interactive shell swaps in a
	// writer that prints above the prompt.
	events io.Writer
	// progress, when set, is shown while a migrate waits (nil info: the
	// wait is over); detached is called when the wait is interrupted.
	progress func(info *MigrationInfo, elapsed time.Duration)
	detached func()
	// status is a line redrawn in place at the bottom (a migration's
	// progress) on statusOut; other output is printed above it.
	status    string
	statusOut io.Writer
}

var queryMigrate = qmp.Request{Execute: "query-migrate"}

// NewSession makes an empty session.
func NewSession(cfg Config, tr *hmp.Translator, ref *qmp.Schema) *Session {
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Poll == 0 {
		cfg.Poll = 100 * time.Millisecond
	}
	return &Session{cfg: cfg, tr: tr, ref: ref, events: cfg.Out}
}

// Connect dials a monitor and adds it under name; the first one added is
// the default for lines without an @NAME prefix.
func (s *Session) Connect(ctx context.Context, name, addr string) (*Monitor, error) {
	old := s.Monitor(name)
	if old != nil {
		select {
		case <-old.client.Done():
			// A lost or disconnected monitor may be connected again.
		default:
			return nil, fmt.Errorf("monitor %s is connected to %s; .disconnect %s first", name, old.Addr, name)
		}
	}
	dctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	c, err := qmp.Dial(dctx, addr)
	if err != nil {
		return nil, &MonitorError{Name: name, Err: err}
	}
	m := &Monitor{Name: name, Addr: addr, client: c}
	if old != nil {
		for i := range s.mons {
			if s.mons[i] == old {
				s.mons[i] = m
			}
		}
		if s.cur == old {
			s.cur = m
		}
	} else {
		s.mons = append(s.mons, m)
	}
	if s.cur == nil {
		s.cur = m
	}
	s.wg.Add(1)
	go s.watch(m)
	return m, nil
}

// watch prints m's events as they come and reports its loss at once.
func (s *Session) watch(m *Monitor) {
	defer s.wg.Done()
	for ev := range m.client.Events() {
		if !s.cfg.NoEvents {
			s.printEvent(m, ev)
		}
	}
	if n := m.client.Dropped(); n > 0 {
		s.errf("hmpsh: monitor %s: %d events dropped (read too slowly)\n", m.Name, n)
	}
	// A monitor hmpsh closed itself (.disconnect, the end) is not news.
	if err := m.client.Err(); err != nil && !m.closed.Load() {
		s.errf("hmpsh: monitor %s lost: %v\n", m.Name, err)
	}
}

func (s *Session) printEvent(m *Monitor, ev qmp.Event) {
	if s.cfg.JSON {
		o := qmp.Object{{Name: "event", Value: ev.Name}}
		if ev.Data != nil {
			o = append(o, qmp.Field{Name: "data", Value: ev.Data})
		}
		o = append(o, qmp.Field{Name: "timestamp", Value: qmp.Object{
			{Name: "seconds", Value: ev.Time.Unix()}, {Name: "microseconds", Value: ev.Time.Nanosecond() / 1000}}})
		if len(s.mons) > 1 {
			o = append(o, qmp.Field{Name: "monitor", Value: m.Name})
		}
		data, _ := o.MarshalJSON()
		s.eventf("%s\n", data)
		return
	}
	s.eventf("%s\n", s.EventLine(m, ev))
}

// EventLine is the one-line text form of an event:
// "event 2026-11-26T07:01:02.345678Z [MONITOR ]NAME {data}". The monitor's
// name is there when the session has several.
func (s *Session) EventLine(m *Monitor, ev qmp.Event) string {
	var b strings.Builder
	b.WriteString("event ")
	b.WriteString(ev.Time.UTC().Format("2006-01-02T15:04:05.000000Z"))
	if len(s.mons) > 1 {
		b.WriteString(" " + m.Name)
	}
	b.WriteString(" " + ev.Name)
	if len(ev.Data) > 0 {
		b.WriteString(" ")
		b.Write(compact(ev.Data))
	}
	return b.String()
}

func compact(data []byte) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, data); err != nil {
		return data
	}
	return b.Bytes()
}

// outf, errf and eventf print under one lock, reading the writer under it
// too: the interactive shell swaps writers while events arrive.
func (s *Session) outf(format string, a ...any) {
	s.print(func() io.Writer { return s.cfg.Out }, format, a...)
}
func (s *Session) errf(format string, a ...any) {
	s.print(func() io.Writer { return s.cfg.Err }, format, a...)
}
func (s *Session) eventf(format string, a ...any) {
	s.print(func() io.Writer { return s.events }, format, a...)
}

// print writes above the status line, if one is shown, and redraws it.
func (s *Session) print(w func() io.Writer, format string, a ...any) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	if s.status != "" {
		fmt.Fprint(s.statusOut, "\r\033[K")
	}
	fmt.Fprintf(w(), format, a...)
	if s.status != "" {
		fmt.Fprint(s.statusOut, "\r"+s.status+"\033[K")
	}
}

// setStatus shows text as the status line, or clears it ("").
func (s *Session) setStatus(text string) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	if s.statusOut == nil {
		return
	}
	if text == "" {
		if s.status != "" {
			fmt.Fprint(s.statusOut, "\r\033[K")
		}
	} else {
		fmt.Fprint(s.statusOut, "\r"+text+"\033[K")
	}
	s.status = text
}

// Close disconnects every monitor and waits for their event printers.
func (s *Session) Close() {
	for _, m := range s.mons {
		m.closed.Store(true)
		m.client.Close()
	}
	s.wg.Wait()
}

// Disconnect closes monitor name's connection; its QEMU keeps running and
// .connect can attach again.
func (s *Session) Disconnect(name string) error {
	m := s.Monitor(name)
	if m == nil {
		return fmt.Errorf("no monitor %q; monitors: %s", name, strings.Join(s.names(), ", "))
	}
	m.closed.Store(true)
	return m.client.Close()
}

// SetOutput redirects command output and messages.
func (s *Session) SetOutput(out, errOut io.Writer) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	s.cfg.Out, s.cfg.Err, s.events = out, errOut, out
}

// SetEvents redirects event lines (SetOutput sends them to out).
func (s *Session) SetEvents(w io.Writer) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	s.events = w
}

// Monitor returns the monitor called name, or nil.
func (s *Session) Monitor(name string) *Monitor {
	for _, m := range s.mons {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// Monitors lists the monitors in the order they were connected.
func (s *Session) Monitors() []*Monitor { return s.mons }

// Current is the monitor lines without a prefix go to.
func (s *Session) Current() *Monitor { return s.cur }

// Use makes name the default monitor.
func (s *Session) Use(name string) error {
	m := s.Monitor(name)
	if m == nil {
		return fmt.Errorf("no monitor %q; monitors: %s", name, strings.Join(s.names(), ", "))
	}
	s.cur = m
	return nil
}

func (s *Session) names() []string {
	var n []string
	for _, m := range s.mons {
		n = append(n, m.Name)
	}
	return n
}

// SplitPrefix takes "@NAME " off the front of a line.
func SplitPrefix(line string) (name, rest string, ok bool) {
	t := strings.TrimLeft(line, " \t")
	if !strings.HasPrefix(t, "@") {
		return "", line, false
	}
	name, rest, _ = strings.Cut(t[1:], " ")
	return name, rest, true
}

// Run runs one line: "@NAME " picks the monitor, the translator makes
// the QMP, the monitor runs it, and the reply is printed.
func (s *Session) Run(ctx context.Context, line string) error {
	m := s.cur
	if name, rest, ok := SplitPrefix(line); ok {
		if m = s.Monitor(name); m == nil {
			return fmt.Errorf("no monitor %q; monitors: %s", name, strings.Join(s.names(), ", "))
		}
		line = rest
	}
	if m == nil {
		return errors.New("no monitor connected")
	}
	select {
	case <-m.client.Done():
		return &MonitorError{Name: m.Name, Err: m.client.Err()}
	default:
	}
	target, err := s.Target(ctx, m)
	if err != nil {
		return err
	}
	tn, err := s.tr.Translate(line, target)
	if err != nil {
		return err
	}
	return s.execute(ctx, m, tn)
}

// Target is what m's QEMU understands, from its schema (cached on disk).
func (s *Session) Target(ctx context.Context, m *Monitor) (*hmp.Target, error) {
	m.targetOnce.Do(func() {
		sc, err := loadSchema(ctx, m.client, s.cfg.CacheDir, s.cfg.Timeout)
		if err != nil {
			m.targetErr = s.monitorErr(m, fmt.Errorf("reading the QMP schema: %w", err))
			return
		}
		m.target.Store(hmp.NewTarget(sc, s.ref))
	})
	return m.target.Load(), m.targetErr
}

// monitorErr marks errors caused by a lost connection.
func (s *Session) monitorErr(m *Monitor, err error) error {
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
		s.errf("%s-> %s\n", s.tracePrefix(m), data)
	}
	ret, err := m.client.Execute(cctx, req.Execute, args)
	if s.cfg.Trace {
		switch qe := qmpError(err); {
		case qe != nil:
			s.errf("%s<- %s\n", s.tracePrefix(m), qe)
		case err == nil:
			s.errf("%s<- {\"return\":%s}\n", s.tracePrefix(m), compact(ret))
		}
	}
	if err != nil {
		return nil, s.monitorErr(m, err)
	}
	return ret, nil
}

func (s *Session) tracePrefix(m *Monitor) string {
	if len(s.mons) > 1 {
		return m.Name + " "
	}
	return ""
}

func (s *Session) execute(ctx context.Context, m *Monitor, tn *hmp.Translation) error {
	switch tn.Kind {
	case hmp.Empty:
		return nil
	case hmp.RawJSON:
		cctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		defer cancel()
		if s.cfg.Trace {
			s.errf("%s-> %s\n", s.tracePrefix(m), compact(tn.Requests[0].Raw))
		}
		reply, err := m.client.ExecuteRaw(cctx, tn.Requests[0].Raw)
		if s.cfg.Trace && reply != nil {
			s.errf("%s<- %s\n", s.tracePrefix(m), reply)
		}
		if reply != nil {
			s.outf("%s\n", reply)
		}
		return s.monitorErr(m, err)
	case hmp.Passthrough:
		ret, err := s.call(ctx, m, tn.Requests[0])
		if err != nil {
			return err
		}
		var out string
		if err := json.Unmarshal(ret, &out); err != nil {
			return fmt.Errorf("human-monitor-command: reply is not text: %s", ret)
		}
		if s.cfg.JSON {
			s.printReply(ret)
			return qmp.HMPFailure(out)
		}
		out = strings.ReplaceAll(out, "\r\n", "\n")
		if err := qmp.HMPFailure(out); err != nil {
			return err
		}
		s.outf("%s", out)
		return nil
	}
	for _, req := range tn.Requests {
		ret, err := s.call(ctx, m, req)
		if err != nil {
			if qe := qmpError(err); s.cfg.JSON && qe != nil {
				s.outf("%s\n", qe)
			}
			return err
		}
		if s.cfg.JSON {
			s.printReply(ret)
			continue
		}
		if err := s.printReturn(tn, ret); err != nil {
			return err
		}
	}
	if tn.Wait {
		return s.waitMigration(ctx, m)
	}
	return nil
}

func (s *Session) printReply(ret json.RawMessage) {
	data, _ := (qmp.Object{{Name: "return", Value: json.RawMessage(compact(ret))}}).MarshalJSON()
	s.outf("%s\n", data)
}

// printReturn prints a reply as HMP would: through the command's formatter,
// nothing for an empty reply, indented JSON otherwise.
func (s *Session) printReturn(tn *hmp.Translation, ret json.RawMessage) error {
	if tn.Command != nil && tn.Command.Format != nil {
		text, err := tn.Command.Format(ret)
		if err != nil {
			return err
		}
		s.outf("%s", text)
		return nil
	}
	if t := strings.TrimSpace(string(ret)); t == "{}" || t == "" {
		return nil
	}
	s.outf("%s", hmp.FormatJSON(ret))
	return nil
}

// versionString is "10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)".
func versionString(v qmp.Version) string {
	if v.Package == "" {
		return v.String()
	}
	return fmt.Sprintf("%s (%s)", v.String(), strings.TrimSpace(v.Package))
}

// qmpError is err's QMP error reply as the JSON QEMU sent, or nil.
func qmpError(err error) []byte {
	var qe *qmp.Error
	if !errors.As(err, &qe) {
		return nil
	}
	data, _ := json.Marshal(map[string]*qmp.Error{"error": qe})
	return data
}

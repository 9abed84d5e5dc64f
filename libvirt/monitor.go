package libvirt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	golibvirt "github.com/digitalocean/go-libvirt"

	"github.com/hmpsh/hmpsh/qmp"
)

// EventBufferSize is how many events a Monitor holds for a slow reader
// before it stops taking more from libvirtd for this domain.
const EventBufferSize = 1024

// Monitor is a domain's QEMU monitor reached through libvirtd: QMP
// requests go through libvirt's qemu-monitor-command pass-through, events
// through its QEMU monitor-event registration. It satisfies qmp.Conn.
type Monitor struct {
	c      *Conn
	domain string
	dom    golibvirt.Domain

	greeting qmp.Greeting
	events   chan qmp.Event

	mu      sync.Mutex
	err     error
	done    chan struct{}
	endOnce sync.Once
	count   uint64 // events put in events so far

	// evMu is held while an event is handed to events, and by end to
	// close events: no event is sent on a closed channel.
	evMu     sync.Mutex
	evClosed bool
}

var _ qmp.Conn = (*Monitor)(nil)

// ErrNotRunning is in the error of Monitor for a domain that does not
// exist or does not run.
var ErrNotRunning = errors.New("not running")

// notRunning marks libvirt's "no such domain" and "domain is not
// running" with ErrNotRunning.
func notRunning(err error) error {
	var le golibvirt.Error
	if errors.As(err, &le) {
		switch golibvirt.ErrorNumber(le.Code) {
		case golibvirt.ErrNoDomain, golibvirt.ErrOperationInvalid:
			return fmt.Errorf("%w (%w)", err, ErrNotRunning)
		}
	}
	return err
}

// Monitor connects to the monitor of a running domain. Its greeting's
// version is the QEMU's own (query-version): libvirt speaks to QEMU's
// greeting itself and keeps it.
func (c *Conn) Monitor(ctx context.Context, domain string) (*Monitor, error) {
	var dom golibvirt.Domain
	if err := c.do(ctx, func() error {
		var err error
		dom, err = c.lv.DomainLookupByName(domain)
		return err
	}); err != nil {
		return nil, fmt.Errorf("libvirt: %s: domain %q: %w", c.uri, domain, notRunning(err))
	}
	m := &Monitor{c: c, domain: domain, dom: dom, events: make(chan qmp.Event, EventBufferSize), done: make(chan struct{})}
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return nil, c.err
	}
	if old := c.monitors[domain]; old != nil {
		c.mu.Unlock()
		return nil, fmt.Errorf("libvirt: %s: domain %q has a monitor already", c.uri, domain)
	}
	c.monitors[domain] = m
	c.mu.Unlock()
	if err := c.subscribe(ctx, domain); err != nil {
		m.end(fmt.Errorf("libvirt: %s: domain %q: events: %w", c.uri, domain, notRunning(err)))
		return nil, m.Err()
	}
	ret, err := m.Execute(ctx, "query-version", nil)
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("libvirt: %s: domain %q: %w", c.uri, domain, err)
	}
	var v struct {
		QEMU struct {
			Major, Minor, Micro int
		} `json:"qemu"`
		Package string `json:"package"`
	}
	if err := json.Unmarshal(ret, &v); err != nil {
		m.Close()
		return nil, fmt.Errorf("libvirt: %s: domain %q: query-version: %w", c.uri, domain, err)
	}
	m.greeting = qmp.Greeting{Version: qmp.Version{Major: v.QEMU.Major, Minor: v.QEMU.Minor, Micro: v.QEMU.Micro, Package: v.Package}}
	return m, nil
}

// Domain is the domain's name.
func (m *Monitor) Domain() string { return m.domain }

// URI is the libvirt connection's URI.
func (m *Monitor) URI() string { return m.c.uri }

// deliver hands one of libvirt's events on as a QMP event, waiting while
// the monitor's reader is behind (libvirtd then holds the rest); an event
// for a monitor that has ended is dropped.
func (m *Monitor) deliver(ev golibvirt.DomainEvent) {
	e := qmp.Event{
		Name: ev.Event,
		Data: json.RawMessage(bytes.Clone(ev.Details)),
		Time: time.Unix(int64(ev.Seconds), int64(ev.Microseconds)*1000),
	}
	if len(e.Data) == 0 {
		e.Data = nil
	}
	m.evMu.Lock()
	defer m.evMu.Unlock()
	if m.evClosed {
		return
	}
	select {
	case m.events <- e:
		m.mu.Lock()
		m.count++
		m.mu.Unlock()
	case <-m.done:
	}
}

// end marks the monitor down with err, once. Its events subscription
// stays with the connection (Conn.subscribe).
func (m *Monitor) end(err error) {
	m.endOnce.Do(func() {
		m.mu.Lock()
		m.err = err
		m.mu.Unlock()
		close(m.done)
		m.evMu.Lock()
		m.evClosed = true
		close(m.events)
		m.evMu.Unlock()
		m.c.forget(m)
	})
}

// Greeting has the QEMU's version.
func (m *Monitor) Greeting() qmp.Greeting { return m.greeting }

// Events are the domain's QEMU events, closed when the monitor is down.
func (m *Monitor) Events() <-chan qmp.Event { return m.events }

// Done is closed when the monitor is down: closed, the domain stopped, or
// libvirtd gone.
func (m *Monitor) Done() <-chan struct{} { return m.done }

// Err says why the monitor is down, wrapping qmp.ErrClosed; nil while up.
func (m *Monitor) Err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// Close stops the monitor's events; the libvirt connection stays for
// the other monitors on it (Conn.Close ends it).
func (m *Monitor) Close() error {
	m.end(fmt.Errorf("monitor of domain %s closed: %w", m.domain, qmp.ErrClosed))
	return nil
}

// Execute runs a QMP command through libvirt.
func (m *Monitor) Execute(ctx context.Context, command string, args any) (json.RawMessage, error) {
	req := map[string]any{"execute": command}
	if args != nil {
		b, err := json.Marshal(args)
		if err != nil {
			return nil, fmt.Errorf("qmp: %s: arguments: %w", command, err)
		}
		if !bytes.Equal(b, []byte("null")) {
			req["arguments"] = json.RawMessage(b)
		}
	}
	line, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("qmp: %s: %w", command, err)
	}
	reply, err := m.run(ctx, command, line)
	if err != nil {
		return nil, err
	}
	var r struct {
		Return json.RawMessage `json:"return"`
		Error  *qmp.Error      `json:"error"`
	}
	if err := json.Unmarshal(reply, &r); err != nil {
		return nil, fmt.Errorf("qmp: %s: reply through libvirt: %w", command, err)
	}
	if r.Error != nil {
		return nil, r.Error
	}
	return r.Return, nil
}

// ExecuteRaw sends a request typed as raw JSON. libvirt puts its own id
// in every request and refuses one that has an id already, so a
// request's id is taken out, and the reply comes back without libvirt's.
func (m *Monitor) ExecuteRaw(ctx context.Context, req []byte) ([]byte, error) {
	obj, command, err := qmp.ParseRawRequest(req)
	if err != nil {
		return nil, err
	}
	if _, oob := obj["exec-oob"]; oob {
		return nil, fmt.Errorf("qmp: %s: libvirt's pass-through has no out-of-band execution (exec-oob)", command)
	}
	delete(obj, "id")
	line, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("qmp: %s: %w", command, err)
	}
	reply, err := m.run(ctx, command, line)
	if err != nil {
		return nil, err
	}
	var r map[string]json.RawMessage
	if err := json.Unmarshal(reply, &r); err != nil {
		return nil, fmt.Errorf("qmp: %s: reply through libvirt: %w", command, err)
	}
	delete(r, "id")
	out, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	var qe *qmp.Error
	if e, ok := r["error"]; ok {
		qe = new(qmp.Error)
		if err := json.Unmarshal(e, qe); err != nil {
			return nil, fmt.Errorf("qmp: %s: reply through libvirt: %w", command, err)
		}
		return out, qe
	}
	return out, nil
}

// HMP runs an HMP command line through human-monitor-command (not
// libvirt's own --hmp, which would lose QMP's error classes).
func (m *Monitor) HMP(ctx context.Context, cmdline string) (string, error) {
	return qmp.RunHMP(ctx, m, cmdline)
}

// Sync waits until libvirtd has handed on every event QEMU sent before
// the answer to a request sent now: libvirtd reads QEMU's monitor in
// order and sends events and replies down one connection in that order.
func (m *Monitor) Sync(ctx context.Context) error {
	_, err := m.run(ctx, "", []byte(`{"execute":"query-version"}`))
	if err != nil {
		return err
	}
	// The events before the reply are in go-libvirt's stream by now;
	// give the pump the moment it needs to pass them on.
	return m.settle(ctx)
}

// settle waits until the pump has taken what go-libvirt already holds:
// an event that comes after a reply on the wire may still be in flight,
// which is fine, but none from before it is left behind.
func (m *Monitor) settle(ctx context.Context) error {
	t := time.NewTimer(2 * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run sends one QMP request line and returns QEMU's reply as libvirt
// passes it on. libvirt's own failures (domain not running, libvirtd
// gone) end the monitor when they mean it is gone.
func (m *Monitor) run(ctx context.Context, command string, line []byte) ([]byte, error) {
	if err := m.Err(); err != nil {
		return nil, fmt.Errorf("qmp: %s: %w", nameOf(command), err)
	}
	var reply string
	err := m.c.do(ctx, func() error {
		var err error
		reply, err = m.c.lv.QEMUDomainMonitorCommand(m.dom, string(line), 0)
		return err
	})
	m.mu.Lock()
	count := m.count
	m.mu.Unlock()
	qmp.SetMark(ctx, count)
	if err != nil {
		if errors.Is(err, qmp.ErrClosed) {
			return nil, fmt.Errorf("qmp: %s: %w", nameOf(command), err)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("qmp: %s: %w", nameOf(command), err)
		}
		gone := m.goneErr(err)
		if gone == nil {
			// "Unable to read from monitor", say: the domain may be on
			// its way down; ask libvirt whether it still runs.
			gone = m.stillRunning(ctx, err)
		}
		if gone != nil {
			m.end(gone)
			return nil, fmt.Errorf("qmp: %s: %w", nameOf(command), gone)
		}
		return nil, fmt.Errorf("qmp: %s: libvirt: %w", nameOf(command), err)
	}
	return []byte(reply), nil
}

func nameOf(command string) string {
	if command == "" {
		return "query-version"
	}
	return command
}

// goneErr tells libvirt's "this domain is not there any more" from an
// error of one request.
func (m *Monitor) goneErr(err error) error {
	var le golibvirt.Error
	if !errors.As(err, &le) {
		return nil
	}
	switch golibvirt.ErrorNumber(le.Code) {
	case golibvirt.ErrNoDomain:
		return fmt.Errorf("domain %s is gone (%s): %w", m.domain, le.Message, qmp.ErrClosed)
	case golibvirt.ErrOperationInvalid:
		// "domain is not running"
		return fmt.Errorf("domain %s: %s: %w", m.domain, le.Message, qmp.ErrClosed)
	}
	return nil
}

// stillRunning is nil while the domain runs, else the error that ends
// its monitor (cause: what the failed request said).
func (m *Monitor) stillRunning(ctx context.Context, cause error) error {
	var active int32
	err := m.c.do(ctx, func() error {
		var err error
		active, err = m.c.lv.DomainIsActive(m.dom)
		return err
	})
	switch {
	case errors.Is(err, qmp.ErrClosed):
		return err
	case err != nil:
		if gone := m.goneErr(err); gone != nil {
			return gone
		}
		return nil
	case active == 0:
		return fmt.Errorf("domain %s is not running (%v): %w", m.domain, cause, qmp.ErrClosed)
	}
	// libvirt can fail a request on a QEMU that is going away before it
	// counts the domain as stopped; its lifecycle event follows shortly.
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-m.done:
		return m.Err()
	case <-t.C:
	case <-ctx.Done():
	}
	return nil
}

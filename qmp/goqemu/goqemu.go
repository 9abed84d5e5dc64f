// Package goqemu lets go-qemu's helpers (qemu.Domain, the raw QAPI
// bindings) run over hmpsh's QMP client: Monitor satisfies go-qemu's
// qmp.Monitor interface.
//
// What this buys over go-qemu's own SocketMonitor: replies of any size, events
// that never hold up Run, a timeout on every call, and QMP errors that keep
// their class (Run returns a *qmp.Error).
package goqemu

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	gqmp "github.com/digitalocean/go-qemu/qmp"

	"github.com/hmpsh/hmpsh/qmp"
)

// DefaultTimeout bounds Connect and each Run when Monitor.Timeout is zero:
// go-qemu's interface has no context, and nothing may wait forever.
const DefaultTimeout = 30 * time.Second

var _ gqmp.Monitor = (*Monitor)(nil)

// ErrNotConnected is returned by Run and Events before Connect or after
// Disconnect.
var ErrNotConnected = errors.New("goqemu: monitor not connected")

// Monitor is a go-qemu qmp.Monitor over a *qmp.Client.
type Monitor struct {
	// Timeout bounds Connect and each Run; DefaultTimeout when zero.
	Timeout time.Duration

	addr string

	mu     sync.Mutex
	client *qmp.Client

	// subMu guards subs apart from mu: the pump holds it while a slow
	// reader takes an event, and Run must not wait for that.
	subMu   sync.Mutex
	subs    map[*subscriber]struct{}
	dropped atomic.Uint64
}

// Dropped counts the events subscribers missed because their buffer was
// full (the client itself drops none).
func (m *Monitor) Dropped() uint64 { return m.dropped.Load() }

type subscriber struct {
	ctx    context.Context
	client *qmp.Client // the connection whose events it gets
	ch     chan gqmp.Event
}

// New returns a Monitor that Connect dials at addr (see qmp.ParseAddress).
func New(addr string) *Monitor { return &Monitor{addr: addr} }

// Wrap returns a Monitor over a connected client; Connect does nothing then.
// The Monitor reads the client's events from now on (see Events).
func Wrap(c *qmp.Client) *Monitor {
	m := &Monitor{client: c}
	go m.pump(c)
	return m
}

// Client returns the underlying client, nil before Connect.
func (m *Monitor) Client() *qmp.Client {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.client
}

func (m *Monitor) timeout() time.Duration {
	if m.Timeout > 0 {
		return m.Timeout
	}
	return DefaultTimeout
}

// Connect dials and negotiates; a wrapped client is already connected.
func (m *Monitor) Connect() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.client != nil {
		select {
		case <-m.client.Done():
			if m.addr == "" {
				return m.client.Err()
			}
		default:
			return nil
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), m.timeout())
	defer cancel()
	c, err := qmp.Dial(ctx, m.addr)
	if err != nil {
		return err
	}
	m.client = c
	go m.pump(c)
	return nil
}

// Disconnect closes the connection; event channels handed out are closed.
func (m *Monitor) Disconnect() error {
	c := m.Client()
	if c == nil {
		return nil
	}
	return c.Close()
}

// Run sends a raw QMP request such as {"execute":"query-status"} and returns
// the reply ({"return":...}, without the id), as go-qemu's SocketMonitor does.
// A QMP error is returned as a *qmp.Error.
func (m *Monitor) Run(command []byte) ([]byte, error) {
	c := m.Client()
	if c == nil {
		return nil, ErrNotConnected
	}
	ctx, cancel := context.WithTimeout(context.Background(), m.timeout())
	defer cancel()
	out, err := c.ExecuteRaw(ctx, command)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Events returns a channel of the monitor's events from now on, until ctx
// ends or the connection does; then the channel is closed. Every call gets
// every event: qemu.NewDomain takes one stream for itself. The events of a
// connection are read from the start, and those nobody asked for are
// thrown away, as go-qemu's SocketMonitor does: the client waits for its
// events to be read, and Run must not wait for a reader that does not
// exist. Each reader has its own buffer of qmp.EventBufferSize events, so
// a reader that does not keep up holds up neither Run nor the other
// readers (reading one stream to its end before the next is common); past
// its buffer it misses events, counted in Dropped.
func (m *Monitor) Events(ctx context.Context) (<-chan gqmp.Event, error) {
	c := m.Client()
	if c == nil {
		return nil, ErrNotConnected
	}
	select {
	case <-c.Done():
		return nil, c.Err()
	default:
	}
	s := &subscriber{ctx: ctx, client: c, ch: make(chan gqmp.Event, qmp.EventBufferSize)}
	m.subMu.Lock()
	if m.subs == nil {
		m.subs = make(map[*subscriber]struct{})
	}
	m.subs[s] = struct{}{}
	m.subMu.Unlock()
	context.AfterFunc(ctx, func() { m.unsubscribe(s) })
	return s.ch, nil
}

func (m *Monitor) unsubscribe(s *subscriber) {
	m.subMu.Lock()
	defer m.subMu.Unlock()
	if _, ok := m.subs[s]; ok {
		delete(m.subs, s)
		close(s.ch)
	}
}

// pump copies the events of c to its subscribers. It holds subMu while
// sending, so that a channel is never closed under a send; a subscriber
// whose buffer is full misses the event (counted) rather than holding up
// the others.
func (m *Monitor) pump(c *qmp.Client) {
	for ev := range c.Events() {
		gev := convert(ev)
		m.subMu.Lock()
		for s := range m.subs {
			if s.client != c {
				continue
			}
			select {
			case s.ch <- gev:
			default:
				m.dropped.Add(1)
			}
		}
		m.subMu.Unlock()
	}
	m.subMu.Lock()
	defer m.subMu.Unlock()
	for s := range m.subs {
		if s.client == c {
			delete(m.subs, s)
			close(s.ch)
		}
	}
}

func convert(ev qmp.Event) gqmp.Event {
	out := gqmp.Event{Event: ev.Name}
	if len(ev.Data) > 0 {
		// go-qemu wants a map; non-object data (none in QEMU today) is dropped.
		_ = json.Unmarshal(ev.Data, &out.Data)
	}
	if !ev.Time.IsZero() {
		out.Timestamp.Seconds = ev.Time.Unix()
		out.Timestamp.Microseconds = int64(ev.Time.Nanosecond() / 1000)
	}
	return out
}

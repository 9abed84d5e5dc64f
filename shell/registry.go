package shell

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/qmp"
)

// MonitorError means a monitor could not be reached or was lost: exit
// status 2 rather than 1.
type MonitorError struct {
	Name string
	Err  error
}

func (e *MonitorError) Error() string {
	return fmt.Sprintf("monitor %s: %v%s", e.Name, e.Err, limitHint(e.Err))
}
func (e *MonitorError) Unwrap() error { return e.Err }

// Monitor is one connected QEMU.
type Monitor struct {
	Name, Addr string
	client     qmp.Conn

	// target is what the QEMU understands, set once its schema is read;
	// the completer reads it without waiting. loading serialises reads
	// of the schema; a failed one (a Ctrl-C, a timeout) is tried again by
	// the next line that needs it.
	target  atomic.Pointer[hmp.Target]
	loading sync.Mutex
	// events are the latest events, for .wait event.
	events eventLog
	// shown counts the events watch has been through.
	shown eventCursor
	// watched is closed when the session has printed the monitor's last
	// event and, if it was lost, said so (Session.watch).
	watched chan struct{}
}

// loadedTarget is the monitor's target if it is known already, else nil.
func (m *Monitor) loadedTarget() *hmp.Target { return m.target.Load() }

// Version is the QEMU version from the greeting.
func (m *Monitor) Version() qmp.Version { return m.client.Greeting().Version }

// Monitor states, as .monitors shows them.
const (
	stateConnected    = "connected"
	stateLost         = "lost"
	stateDisconnected = "disconnected"
)

// registry is the session's monitors: who is connected, under which name,
// which one lines without @NAME go to, and whether one that is down was
// lost or disconnected by hmpsh. One lock guards all of it; event
// printers and the completer read it while lines connect and switch.
type registry struct {
	mu     sync.Mutex
	mons   []*Monitor
	cur    *Monitor
	closed map[*Monitor]bool // disconnected by hmpsh, not lost
}

// add puts m under its name, replacing a monitor of that name that is
// down; the first one added becomes the current one.
func (r *registry) add(m *Monitor) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.find(m.Name)
	switch {
	case old == nil:
		r.mons = append(r.mons, m)
	case old.up() == nil:
		return fmt.Errorf("monitor %s is connected to %s; .disconnect %s first", old.Name, old.Addr, old.Name)
	default:
		for i := range r.mons {
			if r.mons[i] == old {
				r.mons[i] = m
			}
		}
		delete(r.closed, old)
		if r.cur == old {
			r.cur = m
		}
	}
	if r.cur == nil {
		r.cur = m
	}
	return nil
}

func (r *registry) find(name string) *Monitor {
	for _, m := range r.mons {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// get returns the monitor called name ("" for the current one), or an
// error naming the monitors there are.
func (r *registry) get(name string) (*Monitor, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if name == "" {
		if r.cur == nil {
			return nil, fmt.Errorf("no monitor connected")
		}
		return r.cur, nil
	}
	if m := r.find(name); m != nil {
		return m, nil
	}
	return nil, fmt.Errorf("no monitor %q; monitors: %s", name, strings.Join(r.namesLocked(), ", "))
}

// lookup is get without the error: nil when there is no such monitor.
func (r *registry) lookup(name string) *Monitor {
	m, _ := r.get(name)
	return m
}

// use makes name the current monitor.
func (r *registry) use(name string) error {
	m, err := r.get(name)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.cur = m
	r.mu.Unlock()
	return nil
}

// current is the monitor lines without @NAME go to, or nil.
func (r *registry) current() *Monitor {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur
}

// list is the monitors in the order they were first connected.
func (r *registry) list() []*Monitor {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Monitor(nil), r.mons...)
}

// several reports whether there is more than one monitor: then lines of
// output say which one they are about.
func (r *registry) several() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.mons) > 1
}

func (r *registry) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.namesLocked()
}

func (r *registry) namesLocked() []string {
	n := make([]string, len(r.mons))
	for i, m := range r.mons {
		n[i] = m.Name
	}
	return n
}

// markClosed records that hmpsh itself closes m: its end is not news.
func (r *registry) markClosed(m *Monitor) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed == nil {
		r.closed = map[*Monitor]bool{}
	}
	r.closed[m] = true
}

func (r *registry) wasClosed(m *Monitor) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed[m]
}

// state is connected, lost or disconnected.
func (r *registry) state(m *Monitor) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case m.up() == nil:
		return stateConnected
	case r.closed[m]:
		return stateDisconnected
	}
	return stateLost
}

// up is nil while m's connection is up, a MonitorError once it is down.
func (m *Monitor) up() error {
	select {
	case <-m.client.Done():
		return &MonitorError{Name: m.Name, Err: m.client.Err()}
	default:
		return nil
	}
}

// dial connects to a monitor; the caller adds it.
func dial(ctx context.Context, d qmp.Dialer, name, addr string) (*Monitor, error) {
	c, err := d.Dial(ctx, addr)
	if err != nil {
		return nil, &MonitorError{Name: name, Err: err}
	}
	return &Monitor{Name: name, Addr: addr, client: c}, nil
}

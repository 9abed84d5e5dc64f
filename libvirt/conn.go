package libvirt

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"sync"

	golibvirt "github.com/digitalocean/go-libvirt"

	"github.com/hmpsh/hmpsh/qmp"
)

// Conn is one connection to a libvirtd, shared by the monitors of the
// domains reached through it: a fleet of a hundred domains is one
// connection, and a libvirtd that goes away takes all of them at once.
type Conn struct {
	uri string
	lv  *golibvirt.Libvirt

	mu       sync.Mutex
	monitors map[string]*Monitor // by domain name
	closing  bool
	err      error // why the connection ended, once it has
	done     chan struct{}
	stopLife context.CancelFunc

	// subscribed holds the domains whose QEMU events this connection
	// has asked libvirtd for. A subscription lasts as long as the
	// connection, whatever becomes of the monitors (see subscribe).
	subscribed map[string]bool
	forwarders sync.WaitGroup
}

// Dial connects to the libvirtd of uri (see ParseAddress) and watches its
// domains' lifecycle, so that a domain that stops ends its monitor.
// go-libvirt takes no context: a call that outlives ctx goes on in the
// background until libvirtd answers or the connection ends.
func Dial(ctx context.Context, uri string) (*Conn, error) {
	if err := CheckURI(uri); err != nil {
		return nil, fmt.Errorf("libvirt: %w", err)
	}
	u, err := url.Parse(uri)
	if err != nil {
		return nil, fmt.Errorf("libvirt: URI %q: %w", uri, err)
	}
	type dialed struct {
		lv  *golibvirt.Libvirt
		err error
	}
	dialer, err := dialerFor(u)
	if err != nil {
		return nil, fmt.Errorf("libvirt: URI %q: %w", uri, err)
	}
	ch := make(chan dialed, 1)
	go func() {
		lv := golibvirt.NewWithDialer(dialer)
		if err := lv.ConnectToURI(golibvirt.RemoteURI(u)); err != nil {
			ch <- dialed{nil, err}
			return
		}
		ch <- dialed{lv, nil}
	}()
	var d dialed
	select {
	case d = <-ch:
	case <-ctx.Done():
		go func() {
			if d := <-ch; d.lv != nil {
				d.lv.Disconnect()
			}
		}()
		return nil, fmt.Errorf("libvirt: connecting to %s: %w", uri, ctx.Err())
	}
	if d.err != nil {
		return nil, fmt.Errorf("libvirt: connecting to %s: %w", uri, d.err)
	}
	c := &Conn{uri: uri, lv: d.lv, monitors: map[string]*Monitor{}, subscribed: map[string]bool{}, done: make(chan struct{})}
	lctx, stop := context.WithCancel(context.Background())
	c.stopLife = stop
	life, err := c.lifecycle(ctx, lctx)
	if err != nil {
		d.lv.Disconnect() // before stop: see subscribe
		stop()
		return nil, fmt.Errorf("libvirt: %s: watching domains: %w", uri, err)
	}
	go c.watch(life)
	return c, nil
}

// URI is the connection's libvirt URI.
func (c *Conn) URI() string { return c.uri }

// Done is closed when the connection to libvirtd is gone.
func (c *Conn) Done() <-chan struct{} { return c.done }

func (c *Conn) lifecycle(ctx, lctx context.Context) (<-chan golibvirt.DomainEventLifecycleMsg, error) {
	var life <-chan golibvirt.DomainEventLifecycleMsg
	err := c.do(ctx, func() error {
		var err error
		life, err = c.lv.LifecycleEvents(lctx)
		return err
	})
	return life, err
}

// watch ends the monitor of a domain that stops, and every monitor when
// libvirtd goes away.
func (c *Conn) watch(life <-chan golibvirt.DomainEventLifecycleMsg) {
	for {
		select {
		case ev, ok := <-life:
			if !ok {
				life = nil
				continue
			}
			if golibvirt.DomainEventType(ev.Event) == golibvirt.DomainEventStopped {
				c.mu.Lock()
				m := c.monitors[ev.Dom.Name]
				c.mu.Unlock()
				if m != nil {
					m.end(fmt.Errorf("domain %s stopped (%s): %w", ev.Dom.Name, stoppedDetail(ev.Detail), qmp.ErrClosed))
				}
			}
		case <-c.lv.Disconnected():
			c.mu.Lock()
			closing := c.closing
			ms := make([]*Monitor, 0, len(c.monitors))
			for _, m := range c.monitors {
				ms = append(ms, m)
			}
			if c.err == nil {
				c.err = fmt.Errorf("libvirt connection %s lost: %w", c.uri, qmp.ErrClosed)
				if closing {
					c.err = fmt.Errorf("libvirt connection %s closed: %w", c.uri, qmp.ErrClosed)
				}
			}
			err := c.err
			c.mu.Unlock()
			for _, m := range ms {
				m.end(err)
			}
			close(c.done)
			// The lifecycle stream closes its channel once it sees the
			// end; drain it so that its goroutine can leave.
			for range life {
			}
			return
		}
	}
}

func stoppedDetail(d int32) string {
	switch golibvirt.DomainEventStoppedDetailType(d) {
	case golibvirt.DomainEventStoppedShutdown:
		return "shut down"
	case golibvirt.DomainEventStoppedDestroyed:
		return "destroyed"
	case golibvirt.DomainEventStoppedCrashed:
		return "crashed"
	case golibvirt.DomainEventStoppedMigrated:
		return "migrated away"
	case golibvirt.DomainEventStoppedSaved:
		return "saved"
	case golibvirt.DomainEventStoppedFailed:
		return "failed"
	case golibvirt.DomainEventStoppedFromSnapshot:
		return "reverted to a snapshot"
	}
	return fmt.Sprintf("reason %d", d)
}

// do runs a go-libvirt call, giving up on it when ctx ends or libvirtd
// goes away (the call itself then ends with the connection).
func (c *Conn) do(ctx context.Context, f func() error) error {
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-c.lv.Disconnected():
		// The call may have finished just as the connection ended.
		select {
		case err := <-ch:
			return err
		default:
		}
		return c.lostErr()
	}
}

func (c *Conn) lostErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	return fmt.Errorf("libvirt connection %s lost: %w", c.uri, qmp.ErrClosed)
}

// Running lists the running domains' names, sorted.
func (c *Conn) Running(ctx context.Context) ([]string, error) {
	var names []string
	err := c.do(ctx, func() error {
		doms, _, err := c.lv.ConnectListAllDomains(1, golibvirt.ConnectListDomainsActive)
		for _, d := range doms {
			names = append(names, d.Name)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("libvirt: %s: listing domains: %w", c.uri, err)
	}
	sort.Strings(names)
	return names, nil
}

// subscribe asks libvirtd for domain's QEMU events, once per connection,
// and hands them to the domain's monitor of the moment, if any.
//
// A subscription is never taken back while the connection lives: it ends
// with the connection. libvirtd 9.0 (Debian 12) crashes, now and then,
// when a client's connection closes while a deregistration of an event
// callback from that client is being handled (its cleanup walks the
// client's callbacks while the deregistration frees them); go-libvirt
// deregisters in the background once a subscription's context ends, so
// ending one just before the connection closed (a monitor closed, then
// hmpsh exiting) brought libvirtd down. With no deregistration at all,
// libvirtd drops the callbacks itself when the connection closes.
func (c *Conn) subscribe(ctx context.Context, domain string) error {
	c.mu.Lock()
	if c.subscribed[domain] {
		c.mu.Unlock()
		return nil
	}
	c.subscribed[domain] = true
	c.mu.Unlock()
	var evs <-chan golibvirt.DomainEvent
	err := c.do(ctx, func() error {
		var err error
		evs, err = c.lv.SubscribeQEMUEvents(context.Background(), domain)
		return err
	})
	if err != nil {
		c.mu.Lock()
		delete(c.subscribed, domain)
		c.mu.Unlock()
		return err
	}
	c.forwarders.Add(1)
	go func() {
		defer c.forwarders.Done()
		for ev := range evs {
			c.mu.Lock()
			m := c.monitors[domain]
			c.mu.Unlock()
			if m != nil {
				m.deliver(ev)
			}
		}
	}()
	return nil
}

// Close ends the connection to libvirtd, and with it every monitor on it.
// The event subscriptions are not taken back first (see subscribe):
// libvirtd drops them with the connection.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		<-c.done
		return nil
	}
	c.closing = true
	c.mu.Unlock()
	err := c.lv.Disconnect()
	<-c.done
	c.stopLife()
	c.forwarders.Wait()
	select {
	case <-c.lv.Disconnected():
		// Gone, as asked; whatever Disconnect said about the way there
		// (libvirtd already away, say) is no news.
		return nil
	default:
	}
	return err
}

// forget drops a monitor that closed.
func (c *Conn) forget(m *Monitor) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.monitors[m.domain] == m {
		delete(c.monitors, m.domain)
	}
}

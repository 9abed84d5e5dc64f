package goqemu_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/go-qemu/qemu"
	gqmp "github.com/digitalocean/go-qemu/qmp"
	"github.com/digitalocean/go-qemu/qmp/raw"

	"github.com/hmpsh/hmpsh/internal/qemutest"
	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/qmp/goqemu"
)

func connect(t *testing.T, gen string) (*goqemu.Monitor, *qemutest.Instance) {
	t.Helper()
	in := qemutest.Start(t, gen, qemutest.Options{})
	m := goqemu.New(in.Addr())
	m.Timeout = 10 * time.Second
	if err := m.Connect(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Disconnect() })
	return m, in
}

// go-qemu's own helpers, unchanged, over our client.
func TestDomain(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		m, _ := connect(t, gen)
		dom, err := qemu.NewDomain(m, "hmpsh-test")
		if err != nil {
			t.Fatal(err)
		}
		defer dom.Close()

		st, err := dom.Status()
		if err != nil || st != qemu.StatusRunning {
			t.Errorf("Status() = %v, %v; want running", st, err)
		}
		v, err := dom.Version()
		if err != nil || !strings.HasPrefix(v, gen+".") {
			t.Errorf("Version() = %q, %v; want %s.x", v, err, gen)
		}
		cmds, err := dom.Commands()
		if err != nil || len(cmds) < 100 {
			t.Errorf("Commands(): %d commands, %v", len(cmds), err)
		}

		// The generated raw bindings.
		rm := raw.NewMonitor(m)
		info, err := rm.QueryStatus()
		if err != nil || info.Status != raw.RunStateRunning {
			t.Errorf("raw QueryStatus() = %+v, %v", info, err)
		}

		// A QMP error keeps its class through go-qemu.
		_, err = dom.Run(gqmp.Command{Execute: "nosuch"})
		var qe *qmp.Error
		if !errors.As(err, &qe) || qe.Class != "CommandNotFound" {
			t.Errorf("Run(nosuch) = %v, want *qmp.Error CommandNotFound", err)
		}

		// Events through the Domain's broadcast.
		events, done, err := dom.Events()
		if err != nil {
			t.Fatal(err)
		}
		defer close(done)
		if _, err := dom.Run(gqmp.Command{Execute: "stop"}); err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-events:
			if ev.Event != "STOP" || ev.Timestamp.Seconds < time.Now().Add(-time.Minute).Unix() {
				t.Errorf("event %+v, want a fresh STOP", ev)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no STOP event")
		}
		st, err = dom.Status()
		if err != nil || st != qemu.StatusPaused {
			t.Errorf("Status() after stop = %v, %v; want paused", st, err)
		}
	})
}

func TestRunRaw(t *testing.T) {
	m, _ := connect(t, qemutest.Gen100)
	out, err := m.Run([]byte(`{"execute":"query-status"}`))
	if err != nil {
		t.Fatal(err)
	}
	var reply struct {
		Return struct {
			Status string `json:"status"`
		} `json:"return"`
	}
	if err := json.Unmarshal(out, &reply); err != nil || reply.Return.Status != "running" {
		t.Errorf("Run = %s (%v)", out, err)
	}
	// A reply larger than go-qemu's 64 KiB scanner limit.
	out, err = m.Run([]byte(`{"execute":"query-qmp-schema"}`))
	if err != nil || len(out) < 64<<10 {
		t.Errorf("query-qmp-schema: %d bytes, %v", len(out), err)
	}
}

// Several Events readers each get every event, and one whose context ends
// has its channel closed.
func TestEventsFanOut(t *testing.T) {
	m, _ := connect(t, qemutest.Gen72)
	ctx1, cancel1 := context.WithCancel(t.Context())
	ev1, err := m.Events(ctx1)
	if err != nil {
		t.Fatal(err)
	}
	ev2, err := m.Events(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Run([]byte(`{"execute":"stop"}`)); err != nil {
		t.Fatal(err)
	}
	for i, ch := range []<-chan gqmp.Event{ev1, ev2} {
		select {
		case ev := <-ch:
			if ev.Event != "STOP" {
				t.Errorf("reader %d: %s", i, ev.Event)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("reader %d: no event", i)
		}
	}
	cancel1()
	select {
	case _, ok := <-ev1:
		if ok {
			t.Error("event after cancel")
		}
	case <-time.After(5 * time.Second):
		t.Error("channel not closed after its context ended")
	}

	// Nobody reads ev2 now: Run is not held up by it.
	for i := 0; i < 5; i++ {
		for _, cmd := range []string{"cont", "stop"} {
			if _, err := m.Run([]byte(`{"execute":"` + cmd + `"}`)); err != nil {
				t.Fatal(err)
			}
		}
	}

	if err := m.Disconnect(); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(5 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-ev2:
		case <-deadline:
			t.Fatal("channel not closed after Disconnect")
		}
	}
	if _, err := m.Run([]byte(`{"execute":"query-status"}`)); !errors.Is(err, qmp.ErrClosed) {
		t.Errorf("Run after Disconnect: %v", err)
	}
}

func TestWrapAndNotConnected(t *testing.T) {
	m := goqemu.New("unix:/nonexistent/qmp.sock")
	if _, err := m.Run([]byte(`{"execute":"query-status"}`)); !errors.Is(err, goqemu.ErrNotConnected) {
		t.Errorf("Run before Connect: %v", err)
	}
	if _, err := m.Events(t.Context()); !errors.Is(err, goqemu.ErrNotConnected) {
		t.Errorf("Events before Connect: %v", err)
	}
	m.Timeout = time.Second
	if err := m.Connect(); err == nil || !strings.Contains(err.Error(), "/nonexistent/qmp.sock") {
		t.Errorf("Connect to nothing: %v", err)
	}

	in := qemutest.Start(t, qemutest.Gen72, qemutest.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := qmp.Dial(ctx, in.Addr())
	if err != nil {
		t.Fatal(err)
	}
	w := goqemu.Wrap(c)
	if err := w.Connect(); err != nil {
		t.Errorf("Connect on a wrapped client: %v", err)
	}
	if w.Client() != c {
		t.Error("Client() is not the wrapped client")
	}
	dom, err := qemu.NewDomain(w, "wrapped")
	if err != nil {
		t.Fatal(err)
	}
	if st, err := dom.Status(); err != nil || st != qemu.StatusRunning {
		t.Errorf("Status() = %v, %v", st, err)
	}
	dom.Close()
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Error("Domain.Close did not close the client")
	}
}

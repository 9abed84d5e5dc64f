package qmp_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hmpsh/hmpsh/qmp"
)

// writeEvents writes n numbered events.
func writeEvents(f *fakeConn, n int) {
	w := bufio.NewWriter(f.conn)
	for i := range n {
		fmt.Fprintf(w, `{"event": "STORM", "data": {"n": %d}, "timestamp": {"seconds": 1, "microseconds": %d}}`+"\r\n", i, i)
	}
	if err := w.Flush(); err != nil {
		f.t.Errorf("fake monitor: %v", err)
	}
}

// A storm of events before a reply, with a reader slower than the
// socket: every event comes, in order, and the reply's Mark says how many
// came before it.
func TestFaultEventStormMark(t *testing.T) {
	const storm = 5000
	addr := fakeMonitor(t, fakeGreeting, func(f *fakeConn) {
		_, id := f.request()
		writeEvents(f, storm)
		f.reply(id, `{}`)
		writeEvents(f, 1) // after the reply
		f.r.ReadBytes('\n')
	})
	c := dialFake(t, addr)
	got := make(chan int, 1)
	go func() {
		n := 0
		for ev := range c.Events() {
			if want := fmt.Sprintf(`{"n": %d}`, n%storm); string(ev.Data) != want {
				t.Errorf("event %d: %s, want %s", n, ev.Data, want)
			}
			n++
			if n%500 == 0 {
				time.Sleep(time.Millisecond) // slower than the socket
			}
		}
		got <- n
	}()
	var mark qmp.Mark
	if _, err := c.Execute(qmp.WithMark(callCtx(t), &mark), "query-status", nil); err != nil {
		t.Fatal(err)
	}
	if mark.Events != storm {
		t.Errorf("Mark.Events = %d, want %d", mark.Events, storm)
	}
	c.Close()
	if n := <-got; n != storm && n != storm+1 {
		t.Errorf("%d events read, want %d (and perhaps the one after the reply)", n, storm)
	}
}

// Nobody reads the events: Close still ends the client, whose reader
// waits for room in a full buffer.
func TestFaultCloseWithEventsUnread(t *testing.T) {
	addr := fakeMonitor(t, fakeGreeting, func(f *fakeConn) {
		_, _ = f.request()
		writeEvents(f, 2*qmp.EventBufferSize)
		f.r.ReadBytes('\n')
	})
	c := dialFake(t, addr)
	ctx, cancel := context.WithCancel(callCtx(t))
	go func() {
		for len(c.Events()) < qmp.EventBufferSize && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
		cancel() // the reader now waits for room
	}()
	_, err := c.Execute(ctx, "query-status", nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Execute: %v, want it cancelled (no reply comes)", err)
	}
	closed := make(chan error, 1)
	go func() { closed <- c.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs while events are unread")
	}
}

// QEMU sends no events before the negotiation is over; a monitor that
// sends a storm of them then does not hang the handshake (nobody can read
// them yet: past the buffer they are dropped).
func TestFaultEventsBeforeNegotiation(t *testing.T) {
	l, addr := fakeListener(t)
	defer l.Close()
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		f := &fakeConn{t: t, conn: conn, r: bufio.NewReader(conn)}
		f.write(fakeGreeting)
		_, id := f.request()
		writeEvents(f, 2*qmp.EventBufferSize)
		f.reply(id, "{}")
		_, id = f.request()
		f.reply(id, `"ok"`)
		f.r.ReadBytes('\n')
	}()
	c := dialFake(t, addr)
	if ret, err := c.Execute(callCtx(t), "query-status", nil); err != nil || string(ret) != `"ok"` {
		t.Errorf("Execute after the handshake: %s, %v", ret, err)
	}
	if n := len(c.Events()); n != qmp.EventBufferSize {
		t.Errorf("%d events kept from the handshake, want the buffer's %d", n, qmp.EventBufferSize)
	}
}

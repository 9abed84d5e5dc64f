package qmp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

// QEMU's monitor reads a request one byte per turn of its loop, so each
// byte costs a round of its main loop: a request alone on the wire goes
// without an id, without white space, and without arguments when there
// are none; its reply, without an id too, is its own.
func TestFaultLoneRequestWithoutID(t *testing.T) {
	want := []string{
		`{"execute":"query-status"}`,
		`{"execute":"stop"}`,
		`{"execute":"human-monitor-command","arguments":{"command-line":"info status"}}`,
		`{"execute":"query-version"}`, // Sync
	}
	addr := fakeMonitor(t, fakeGreeting, func(f *fakeConn) {
		for i, w := range want {
			_, id, line := f.requestLine()
			if line != w+"\n" {
				t.Errorf("request %d: %q, want %q", i, line, w+"\n")
			}
			f.reply(id, fmt.Sprintf(`"reply %d"`, i))
		}
		f.r.ReadBytes('\n')
	})
	c := dialFake(t, addr)
	ctx := callCtx(t)
	if ret, err := c.Execute(ctx, "query-status", nil); err != nil || string(ret) != `"reply 0"` {
		t.Errorf("query-status: %s, %v", ret, err)
	}
	if ret, err := c.Execute(ctx, "stop", map[string]any{}); err != nil || string(ret) != `"reply 1"` {
		t.Errorf("stop: %s, %v", ret, err)
	}
	if out, err := c.HMP(ctx, "info status"); err != nil || out != "reply 2" {
		t.Errorf("HMP: %q, %v", out, err)
	}
	if err := c.Sync(ctx); err != nil {
		t.Errorf("Sync: %v", err)
	}
}

// Requests sent while another waits for its reply carry ids, and each
// call gets its own reply: the id-less one, which QEMU answers first, and
// the others by id, here out of order.
func TestFaultConcurrentRequestsCarryIDs(t *testing.T) {
	readFirst := make(chan struct{})
	addr := fakeMonitor(t, fakeGreeting, func(f *fakeConn) {
		_, id0 := f.request()
		if id0 != nil {
			t.Errorf("the first request, alone, has the id %s", id0)
		}
		close(readFirst)
		ids := map[string]json.RawMessage{}
		for range 2 {
			cmd, id := f.request()
			if id == nil {
				t.Errorf("%s has no id, sent while another request waits", cmd)
			}
			ids[cmd] = id
		}
		if string(ids["second"]) == string(ids["third"]) {
			t.Errorf("two requests with the id %s", ids["second"])
		}
		f.reply(nil, `"first"`)
		f.reply(ids["third"], `"third"`)
		f.reply(ids["second"], `"second"`)
		f.r.ReadBytes('\n')
	})
	c := dialFake(t, addr)
	type result struct {
		cmd, ret string
		err      error
	}
	results := make(chan result, 3)
	call := func(cmd string) {
		ret, err := c.Execute(callCtx(t), cmd, nil)
		results <- result{cmd, string(ret), err}
	}
	go call("first")
	<-readFirst
	go call("second")
	go call("third")
	for range 3 {
		r := <-results
		if r.err != nil || r.ret != fmt.Sprintf("%q", r.cmd) {
			t.Errorf("%s got %s, %v", r.cmd, r.ret, r.err)
		}
	}
}

// A call given up (its context ended) leaves its request on the wire
// until the reply comes: the next request carries an id, and gets its own
// reply, not the stale one. Once the stale reply is in, a request goes
// alone again, without an id.
func TestFaultAfterAbandonedCall(t *testing.T) {
	for _, next := range []string{"Execute", "Sync"} {
		t.Run(next, func(t *testing.T) {
			readFirst := make(chan struct{})
			addr := fakeMonitor(t, fakeGreeting, func(f *fakeConn) {
				_, stale := f.request()
				close(readFirst)
				cmd, id := f.request()
				if id == nil {
					t.Errorf("%s has no id, sent before the reply to the call given up", cmd)
				}
				f.reply(stale, `"stale"`)
				f.reply(id, `"fresh"`)
				if _, id := f.request(); id != nil {
					t.Errorf("a request with the id %s, sent with nothing on the wire", id)
				}
				f.reply(nil, `"alone"`)
				f.r.ReadBytes('\n')
			})
			c := dialFake(t, addr)
			ctx, cancel := context.WithCancel(callCtx(t))
			gaveUp := make(chan error, 1)
			go func() {
				_, err := c.Execute(ctx, "query-status", nil)
				gaveUp <- err
			}()
			<-readFirst
			cancel()
			if err := <-gaveUp; !errors.Is(err, context.Canceled) {
				t.Fatalf("the call given up: %v, want context.Canceled", err)
			}
			switch next {
			case "Execute":
				if ret, err := c.Execute(callCtx(t), "query-status", nil); err != nil || string(ret) != `"fresh"` {
					t.Errorf("the next call: %s, %v; want its own reply, \"fresh\"", ret, err)
				}
			case "Sync":
				if err := c.Sync(callCtx(t)); err != nil {
					t.Errorf("Sync: %v", err)
				}
			}
			if ret, err := c.Execute(callCtx(t), "query-status", nil); err != nil || string(ret) != `"alone"` {
				t.Errorf("the call after: %s, %v", ret, err)
			}
		})
	}
}

// A raw request always goes with the client's id in place of its own,
// even alone; the reply comes back without it.
func TestFaultRawRequestID(t *testing.T) {
	addr := fakeMonitor(t, fakeGreeting, func(f *fakeConn) {
		_, id, line := f.requestLine()
		if want := `{"execute":"query-status","id":` + string(id) + "}\n"; id == nil || string(id) == `"mine"` || line != want {
			t.Errorf("raw request %q, want %q with the client's id", line, want)
		}
		f.reply(id, `"ok"`)
		f.r.ReadBytes('\n')
	})
	c := dialFake(t, addr)
	out, err := c.ExecuteRaw(callCtx(t), []byte(`{"execute": "query-status", "id": "mine"}`))
	if err != nil || string(out) != `{"return":"ok"}` {
		t.Errorf("ExecuteRaw: %s, %v", out, err)
	}
}

package qmp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hmpsh/hmpsh/internal/qemutest"
	"github.com/hmpsh/hmpsh/qmp"
)

// These tests talk to real QEMU 7.2 and 10.0; fault_test.go covers what real
// QEMU cannot be made to do.

// callCtx bounds every call of a test: nothing in these tests may hang.
func callCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// liveClient starts QEMU of generation gen and connects to it.
func liveClient(t *testing.T, gen string, opts qemutest.Options) (*qmp.Client, *qemutest.Instance) {
	t.Helper()
	in := qemutest.Start(t, gen, opts)
	c, err := qmp.Dial(callCtx(t), in.Addr())
	if err != nil {
		t.Fatalf("Dial %s: %v\n%s", in.Addr(), err, in.Stderr())
	}
	t.Cleanup(func() { c.Close() })
	return c, in
}

func TestGreetingAndVersion(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		c, _ := liveClient(t, gen, qemutest.Options{})
		g := c.Greeting()
		if got := fmt.Sprintf("%d.%d", g.Version.Major, g.Version.Minor); got != gen {
			t.Errorf("greeting version %s (%s), want %s", got, g.Version, gen)
		}
		if !strings.Contains(g.Version.Package, "Debian") {
			t.Errorf("package %q", g.Version.Package)
		}
		if len(g.Capabilities) == 0 || g.Capabilities[0] != "oob" {
			t.Errorf("capabilities %q, want [oob]", g.Capabilities)
		}
		if !g.Version.AtLeast(7, 2) || g.Version.AtLeast(g.Version.Major+1, 0) {
			t.Errorf("AtLeast wrong for %s", g.Version)
		}

		ret, err := c.Execute(callCtx(t), "query-version", nil)
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			QEMU struct{ Major, Minor, Micro int } `json:"qemu"`
		}
		if err := json.Unmarshal(ret, &v); err != nil {
			t.Fatalf("%s: %v", ret, err)
		}
		if v.QEMU.Major != g.Version.Major || v.QEMU.Minor != g.Version.Minor || v.QEMU.Micro != g.Version.Micro {
			t.Errorf("query-version %+v != greeting %s", v.QEMU, g.Version)
		}
	})
}

func TestExecute(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		c, _ := liveClient(t, gen, qemutest.Options{})
		ctx := callCtx(t)

		ret, err := c.Execute(ctx, "query-status", nil)
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			Status  string `json:"status"`
			Running bool   `json:"running"`
		}
		if err := json.Unmarshal(ret, &st); err != nil || st.Status != "running" || !st.Running {
			t.Errorf("query-status = %s (%v)", ret, err)
		}

		// Arguments of several Go shapes; a typed nil map is "no arguments".
		ret, err = c.Execute(ctx, "qom-get", map[string]string{"path": "/machine", "property": "type"})
		if err != nil || string(ret) != `"none-machine"` {
			t.Errorf("qom-get = %s, %v", ret, err)
		}
		ret, err = c.Execute(ctx, "qom-get", json.RawMessage(`{"path":"/machine","property":"type"}`))
		if err != nil || string(ret) != `"none-machine"` {
			t.Errorf("qom-get (raw args) = %s, %v", ret, err)
		}
		var none map[string]any
		if _, err := c.Execute(ctx, "query-status", none); err != nil {
			t.Errorf("typed nil map: %v", err)
		}
		if _, err := c.Execute(ctx, "query-status", func() {}); err == nil || !strings.Contains(err.Error(), "arguments") {
			t.Errorf("unmarshalable arguments: %v", err)
		}
	})
}

func TestErrorClass(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		c, _ := liveClient(t, gen, qemutest.Options{})
		ctx := callCtx(t)

		_, err := c.Execute(ctx, "nosuch", nil)
		var qe *qmp.Error
		if !errors.As(err, &qe) || qe.Class != "CommandNotFound" {
			t.Fatalf("nosuch: %v (%T), want CommandNotFound", err, err)
		}
		if want := "CommandNotFound: The command nosuch has not been found"; err.Error() != want {
			t.Errorf("Error() = %q, want %q", err, want)
		}

		_, err = c.Execute(ctx, "device_del", map[string]string{"id": "nosuch"})
		if !errors.As(err, &qe) || qe.Class != "DeviceNotFound" || !strings.Contains(qe.Desc, "nosuch") {
			t.Errorf("device_del nosuch: %v, want DeviceNotFound", err)
		}

		_, err = c.Execute(ctx, "qom-get", map[string]string{"path": "/machine"})
		if !errors.As(err, &qe) || qe.Class != "GenericError" || !strings.Contains(qe.Desc, "property") {
			t.Errorf("qom-get without property: %v, want GenericError about 'property'", err)
		}
		// An error reply leaves the connection usable.
		if _, err := c.Execute(ctx, "query-status", nil); err != nil {
			t.Errorf("after errors: %v", err)
		}
	})
}

func TestLargeReply(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		c, _ := liveClient(t, gen, qemutest.Options{})
		ret, err := c.Execute(callCtx(t), "query-qmp-schema", nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(ret) <= 64<<10 {
			t.Errorf("schema is %d bytes; the point is a reply over 64 KiB", len(ret))
		}
		var schema []struct {
			Name     string `json:"name"`
			MetaType string `json:"meta-type"`
		}
		if err := json.Unmarshal(ret, &schema); err != nil {
			t.Fatal(err)
		}
		commands := 0
		for _, e := range schema {
			if e.MetaType == "command" {
				commands++
			}
		}
		if commands < 100 {
			t.Errorf("%d entries, %d commands", len(schema), commands)
		}
		t.Logf("QEMU %s: query-qmp-schema %d bytes, %d entries, %d commands", gen, len(ret), len(schema), commands)
	})
}

// nextEvent waits for the next event whose name is want, skipping others.
func nextEvent(t *testing.T, c *qmp.Client, want string) qmp.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("events closed waiting for %s: %v", want, c.Err())
			}
			if ev.Name == want {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event", want)
		}
	}
}

func TestEvents(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		c, _ := liveClient(t, gen, qemutest.Options{})
		ctx := callCtx(t)
		before := time.Now().Add(-time.Second)

		if _, err := c.Execute(ctx, "stop", nil); err != nil {
			t.Fatal(err)
		}
		ev := nextEvent(t, c, "STOP")
		if ev.Time.Before(before) || ev.Time.After(time.Now().Add(time.Second)) {
			t.Errorf("STOP timestamp %v, not around now", ev.Time)
		}
		if _, err := c.Execute(ctx, "cont", nil); err != nil {
			t.Fatal(err)
		}
		nextEvent(t, c, "RESUME")

		// An event with data.
		if _, err := c.HMP(ctx, "system_reset"); err != nil {
			t.Fatal(err)
		}
		ev = nextEvent(t, c, "RESET")
		var data struct {
			Guest bool `json:"guest"`
		}
		if err := json.Unmarshal(ev.Data, &data); err != nil || data.Guest {
			t.Errorf("RESET data %s (%v), want guest:false", ev.Data, err)
		}
	})
}

// Events nobody reads fill the client's buffer; then the client reads
// no more of the connection, and QEMU keeps the rest, replies included,
// until the reader comes: not one event is lost, and they come in order.
func TestEventsBackpressure(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		c, _ := liveClient(t, gen, qemutest.Options{})
		ctx := callCtx(t)
		const pairs = 150 // 300 events for a buffer of 256
		calls := make(chan error, 1)
		go func() {
			for i := 0; i < pairs; i++ {
				for _, cmd := range []string{"stop", "cont"} {
					if _, err := c.Execute(ctx, cmd, nil); err != nil {
						calls <- fmt.Errorf("%s #%d: %w", cmd, i, err)
						return
					}
				}
			}
			calls <- nil
		}()
		// Read nothing until the buffer is full.
		for len(c.Events()) < qmp.EventBufferSize {
			select {
			case err := <-calls:
				t.Fatalf("all calls returned with %d events unread (%v): the buffer never filled", len(c.Events()), err)
			case <-ctx.Done():
				t.Fatalf("%d events buffered, want %d", len(c.Events()), qmp.EventBufferSize)
			case <-time.After(10 * time.Millisecond):
			}
		}
		for i := 0; i < 2*pairs; i++ {
			want := "STOP"
			if i%2 == 1 {
				want = "RESUME"
			}
			select {
			case ev := <-c.Events():
				if ev.Name != want {
					t.Fatalf("event %d: %s, want %s", i, ev.Name, want)
				}
			case <-ctx.Done():
				t.Fatalf("%d events of %d came", i, 2*pairs)
			}
		}
		if err := <-calls; err != nil {
			t.Fatal(err)
		}
	})
}

func TestConcurrentCalls(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		c, _ := liveClient(t, gen, qemutest.Options{})
		ctx := callCtx(t)
		cmds := []string{"migrate", "stop", "cont", "info", "device_add", "qom-get", "quit", "help"}
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 12; i++ {
					name := cmds[(g+i)%len(cmds)]
					// Each reply names its command: a reply given to the
					// wrong caller shows.
					out, err := c.HMP(ctx, "help "+name)
					if err != nil {
						errs <- fmt.Errorf("help %s: %v", name, err)
						return
					}
					if !strings.HasPrefix(out, name+" ") && !strings.HasPrefix(out, name+"|") {
						errs <- fmt.Errorf("help %s answered %.40q", name, out)
						return
					}
					if _, err := c.Execute(ctx, "query-status", nil); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func TestQuitReportsClosed(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		c, in := liveClient(t, gen, qemutest.Options{})
		ctx := callCtx(t)
		if _, err := c.Execute(ctx, "quit", nil); err != nil {
			t.Fatalf("quit: %v", err)
		}
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("Done not closed 5s after quit")
		}
		err := c.Err()
		if !errors.Is(err, qmp.ErrClosed) || !(errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
			t.Errorf("Err() = %v, want ErrClosed and EOF", err)
		}
		// QEMU announces its end before closing; the event is still there.
		var names []string
		for ev := range c.Events() {
			names = append(names, ev.Name)
		}
		if len(names) != 1 || names[0] != "SHUTDOWN" {
			t.Errorf("events after quit: %v, want [SHUTDOWN]", names)
		}
		start := time.Now()
		_, err = c.Execute(ctx, "query-status", nil)
		if !errors.Is(err, qmp.ErrClosed) || time.Since(start) > time.Second {
			t.Errorf("call after quit: %v after %v, want ErrClosed at once", err, time.Since(start))
		}
		select {
		case <-in.Exited():
		case <-time.After(5 * time.Second):
			t.Error("QEMU still running after quit")
		}
		if err := c.Close(); err != nil {
			t.Errorf("Close after loss: %v", err)
		}
	})
}

// QEMU killed while a call waits: the call returns at once, naming itself.
func TestKilledWhileInFlight(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		c, in := liveClient(t, gen, qemutest.Options{})
		ctx := callCtx(t)
		// A stopped QEMU reads nothing: the call stays in flight.
		if err := in.Cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		result := make(chan error, 1)
		go func() {
			_, err := c.Execute(ctx, "query-status", nil)
			result <- err
		}()
		time.Sleep(200 * time.Millisecond)
		select {
		case err := <-result:
			t.Fatalf("call returned while QEMU was stopped: %v", err)
		default:
		}
		in.Kill()
		var err error
		select {
		case err = <-result:
		case <-time.After(5 * time.Second):
			t.Fatal("call still waiting 5s after QEMU was killed")
		}
		if !errors.Is(err, qmp.ErrClosed) || !strings.Contains(err.Error(), "query-status") {
			t.Errorf("in-flight call: %v, want ErrClosed naming query-status", err)
		}
		<-c.Done()
		if err := c.Err(); !errors.Is(err, qmp.ErrClosed) || !strings.Contains(err.Error(), "in flight: query-status") {
			t.Errorf("Err() = %v", err)
		}
	})
}

// A monitor that does not answer gives the context's error, and a late reply
// does not land on the next call.
func TestContextTimeout(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		c, in := liveClient(t, gen, qemutest.Options{})
		if err := in.Cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.Execute(ctx, "query-status", nil)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "query-status") {
			t.Errorf("err = %v, want DeadlineExceeded naming query-status", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("timed out after %v", d)
		}

		// An already cancelled context fails before sending.
		done, cancelDone := context.WithCancel(t.Context())
		cancelDone()
		if _, err := c.Execute(done, "query-status", nil); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled context: %v", err)
		}

		if err := in.Cmd.Process.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		ret, err := c.Execute(callCtx(t), "query-version", nil)
		if err != nil || !strings.Contains(string(ret), `"qemu"`) {
			t.Errorf("after the timeout: %s, %v; want query-version's own reply", ret, err)
		}
	})
}

func TestDialTimeout(t *testing.T) {
	in := qemutest.Start(t, qemutest.Gen72, qemutest.Options{})
	// Stopped, QEMU still accepts on the listening socket (the kernel does)
	// but never greets.
	if err := in.Cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	c, err := qmp.Dial(ctx, in.Addr())
	if err == nil {
		c.Close()
		t.Fatal("Dial succeeded against a stopped QEMU")
	}
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 3*time.Second {
		t.Errorf("Dial: %v after %v", err, time.Since(start))
	}

	if _, err := qmp.Dial(callCtx(t), "unix:"+in.Dir+"/nosuch.sock"); err == nil || !strings.Contains(err.Error(), "nosuch.sock") {
		t.Errorf("Dial to a missing socket: %v", err)
	}
}

func TestTCP(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
		l.Close()
		in := qemutest.Start(t, gen, qemutest.Options{
			ExtraArgs: []string{"-qmp", "tcp:127.0.0.1:" + port + ",server=on,wait=off"},
		})
		c, err := qmp.Dial(callCtx(t), "tcp:127.0.0.1:"+port)
		if err != nil {
			t.Fatalf("%v\n%s", err, in.Stderr())
		}
		defer c.Close()
		if got := fmt.Sprintf("%d.%d", c.Greeting().Version.Major, c.Greeting().Version.Minor); got != gen {
			t.Errorf("greeting over tcp: %s", got)
		}
		if _, err := c.Execute(callCtx(t), "query-status", nil); err != nil {
			t.Error(err)
		}
	})
}

func TestExecuteRaw(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		c, _ := liveClient(t, gen, qemutest.Options{})
		ctx := callCtx(t)

		out, err := c.ExecuteRaw(ctx, []byte(`{"execute": "query-status", "id": "mine"}`))
		if err != nil {
			t.Fatal(err)
		}
		var reply map[string]json.RawMessage
		if err := json.Unmarshal(out, &reply); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		if _, ok := reply["id"]; ok || len(reply) != 1 || !strings.Contains(string(reply["return"]), `"running"`) {
			t.Errorf("reply %s, want only the return, no id", out)
		}

		out, err = c.ExecuteRaw(ctx, []byte(`{"execute":"qom-get","arguments":{"path":"/machine","property":"type"}}`))
		if err != nil || string(out) != `{"return":"none-machine"}` {
			t.Errorf("with arguments: %s, %v", out, err)
		}

		out, err = c.ExecuteRaw(ctx, []byte(`{"execute":"nosuch"}`))
		var qe *qmp.Error
		if !errors.As(err, &qe) || qe.Class != "CommandNotFound" || !strings.Contains(string(out), `"CommandNotFound"`) {
			t.Errorf("nosuch: %s, %v; want the error reply and a *qmp.Error", out, err)
		}

		// QEMU's own complaint about a request without "execute".
		out, err = c.ExecuteRaw(ctx, []byte(`{"arguments":{}}`))
		if !errors.As(err, &qe) || qe.Class != "GenericError" || !strings.Contains(qe.Desc, "execute") {
			t.Errorf("no execute: %s, %v", out, err)
		}

		for _, bad := range []string{`{"execute":`, `[1]`, `null`, `{"execute":"stop"} {"execute":"cont"}`} {
			if _, err := c.ExecuteRaw(ctx, []byte(bad)); err == nil {
				t.Errorf("ExecuteRaw(%s) succeeded", bad)
			}
		}
		// Nothing that was rejected locally reached QEMU.
		ret, err := c.Execute(ctx, "query-status", nil)
		if err != nil || !strings.Contains(string(ret), `"running"`) {
			t.Errorf("after raw requests: %s, %v", ret, err)
		}
	})
}

func TestCloseFailsPendingCalls(t *testing.T) {
	c, in := liveClient(t, qemutest.Gen100, qemutest.Options{})
	if err := in.Cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	result := make(chan error, 1)
	go func() {
		_, err := c.Execute(callCtx(t), "query-status", nil)
		result <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case err := <-result:
		if !errors.Is(err, qmp.ErrClosed) {
			t.Errorf("pending call: %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("pending call not released by Close")
	}
	if err := c.Err(); !errors.Is(err, qmp.ErrClosed) || !strings.Contains(err.Error(), "closed by client") {
		t.Errorf("Err() = %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

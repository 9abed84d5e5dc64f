package qmp_test

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hmpsh/hmpsh/qmp"
)

// endless serves one connection: head (after the greeting and the
// negotiation when greet is set, at once otherwise), then 'x' until the
// client hangs up. written counts every byte the server got out.
func endless(t *testing.T, greet bool, head string) (addr string, written *atomic.Int64) {
	t.Helper()
	l, addr := fakeListener(t)
	written = new(atomic.Int64)
	done := make(chan struct{})
	t.Cleanup(func() {
		l.Close()
		<-done
	})
	go func() {
		defer close(done)
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		w := &countWriter{w: conn, n: written}
		if greet {
			f := &fakeConn{t: t, conn: conn, r: bufio.NewReader(conn)}
			io.WriteString(w, fakeGreeting)
			_, id := f.request()
			io.WriteString(w, replyLine(`"return": {}`, id))
			f.request()
		}
		if _, err := io.WriteString(w, head); err != nil {
			return
		}
		block := strings.Repeat("x", 64<<10)
		for {
			if _, err := io.WriteString(w, block); err != nil {
				return // the client hung up: what it should do
			}
		}
	}()
	return addr, written
}

type countWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// socketSlack bounds what a unix socket holds between the two ends (its
// buffers are a few hundred KiB): the server cannot get out more than the
// client read plus this.
const socketSlack = 8 << 20

// A greeting that never ends fails at the limit instead of growing the
// client without bound (it grew hmpsh to 1.6 GB in 5 s). That the test
// ends at all shows the client stopped reading; the bytes the server got
// out show where. (The default limit, 64 MiB, takes 12 s to reach under
// -race; 2 MiB shows the same.)
func TestFaultEndlessGreeting(t *testing.T) {
	const limit = 2 << 20
	addr, written := endless(t, false, `{"QMP": {"version": {"qemu": {"micro": 0, "minor": 0, "major": 99}, "package": "`)
	_, err := qmp.Dialer{MaxMessage: limit}.Dial(callCtx(t), addr)
	tooLarge, ok := errors.AsType[*qmp.MessageTooLargeError](err)
	if !ok || tooLarge.Limit != limit || !strings.Contains(err.Error(), "greeting") || !strings.Contains(err.Error(), "longer than 2 MiB") {
		t.Fatalf("Dial: %v, want a *MessageTooLargeError of 2 MiB about the greeting", err)
	}
	if n := written.Load(); n > limit+socketSlack {
		t.Errorf("the server got %d bytes out: the client read past its limit", n)
	}
}

// A reply that never ends fails the connection at the Dialer's limit, the
// call in flight with it.
func TestFaultEndlessReply(t *testing.T) {
	const limit = 1 << 20
	addr, written := endless(t, true, `{"return": {"status": "`)
	c, err := qmp.Dialer{MaxMessage: limit}.Dial(callCtx(t), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Execute(callCtx(t), "query-status", nil)
	tooLarge, ok := errors.AsType[*qmp.MessageTooLargeError](err)
	if !ok || tooLarge.Limit != limit || !errors.Is(err, qmp.ErrClosed) || !strings.Contains(err.Error(), "query-status") || !strings.Contains(err.Error(), "longer than 1 MiB") {
		t.Fatalf("Execute: %v, want ErrClosed and a *MessageTooLargeError of 1 MiB naming query-status", err)
	}
	<-c.Done()
	if err := c.Err(); !strings.Contains(err.Error(), "1 MiB") {
		t.Errorf("Err() = %v, want the limit named", err)
	}
	if n := written.Load(); n > limit+socketSlack {
		t.Errorf("the server got %d bytes out: the client read past its limit", n)
	}
}

// A message of exactly the limit is taken (with the white space before
// it: here the newline that ends the previous one), one byte more is not;
// the limit is per message, not per connection.
func TestMessageAtTheLimit(t *testing.T) {
	const limit = 4096
	addr := fakeMonitor(t, fakeGreeting, func(f *fakeConn) {
		for i := range 4 {
			_, id := f.request()
			head, tail := `{"return": "`, strings.TrimSuffix(replyLine(`"`, id), "\n")[1:]
			n := limit - 1 - len(head) - len(tail)
			if i == 3 {
				n++
			}
			if _, err := io.WriteString(f.conn, head+strings.Repeat("y", n)+tail+"\n"); err != nil {
				return
			}
		}
		f.r.ReadBytes('\n')
	})
	c, err := qmp.Dialer{MaxMessage: limit}.Dial(callCtx(t), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 3 {
		if _, err := c.Execute(callCtx(t), "query-status", nil); err != nil {
			t.Fatalf("reply %d of exactly %d bytes: %v", i, limit, err)
		}
	}
	if _, err := c.Execute(callCtx(t), "query-status", nil); !errors.As(err, new(*qmp.MessageTooLargeError)) {
		t.Errorf("a reply of %d bytes: %v, want a *MessageTooLargeError", limit+1, err)
	}
}

func TestFormatLimit(t *testing.T) {
	for n, want := range map[int64]string{64 << 20: "64 MiB", 1500 << 10: "1500 KiB", 100: "100 bytes", 1: "1 byte", 3 << 30: "3 GiB"} {
		if got := qmp.FormatLimit(n); got != want {
			t.Errorf("FormatLimit(%d) = %q, want %q", n, got, want)
		}
	}
}

package libvirt_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hmpsh/hmpsh/internal/libvirttest"
	"github.com/hmpsh/hmpsh/libvirt"
	"github.com/hmpsh/hmpsh/qmp"
)

func TestMonitorSystem(t *testing.T) {
	uri := libvirttest.System(t)
	name := libvirttest.Domain(t, uri, libvirttest.Name(t, "mon"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := libvirt.Dial(ctx, uri)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	running, err := c.Running(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !contains(running, name) {
		t.Fatalf("Running() = %v, want %s among them", running, name)
	}
	if _, err := c.Monitor(ctx, name+"-none"); !errors.Is(err, libvirt.ErrNotRunning) {
		t.Errorf("a domain that does not exist: %v, want ErrNotRunning", err)
	}
	m, err := c.Monitor(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if v := m.Greeting().Version; v.Major != 7 || v.Minor != 2 {
		t.Errorf("version %v, want 7.2 (Debian's QEMU, which libvirt runs)", v)
	}
	ret, err := m.Execute(ctx, "query-status", nil)
	if err != nil || !strings.Contains(string(ret), `"status":"running"`) {
		t.Fatalf("query-status: %s, %v", ret, err)
	}
	// Error classes survive libvirt.
	_, err = m.Execute(ctx, "no-such-command", nil)
	var qe *qmp.Error
	if !errors.As(err, &qe) || qe.Class != "CommandNotFound" {
		t.Fatalf("no-such-command: %v, want a CommandNotFound *qmp.Error", err)
	}
	// A raw request's own id is not libvirt's business, and its reply has none.
	reply, err := m.ExecuteRaw(ctx, []byte(`{"execute":"query-status","id":"mine"}`))
	if err != nil || strings.Contains(string(reply), `"id"`) || !strings.Contains(string(reply), `"running":true`) {
		t.Fatalf("raw query-status: %s, %v", reply, err)
	}
	out, err := m.HMP(ctx, "info status")
	if err != nil || !strings.Contains(out, "VM status: running") {
		t.Fatalf("HMP info status: %q, %v", out, err)
	}
	// Events come through libvirt's monitor-event registration.
	if _, err := m.Execute(ctx, "stop", nil); err != nil {
		t.Fatal(err)
	}
	ev := next(t, m)
	if ev.Name != "STOP" {
		t.Fatalf("event %s, want STOP", ev.Name)
	}
	if _, err := m.Execute(ctx, "cont", nil); err != nil {
		t.Fatal(err)
	}
	ev = next(t, m)
	if ev.Name != "RESUME" {
		t.Fatalf("event %s, want RESUME", ev.Name)
	}
	// A domain that stops ends its monitor at once.
	if _, err := libvirttest.Virsh(t, uri, "destroy", name); err != nil {
		t.Fatal(err)
	}
	select {
	case <-m.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the monitor of a destroyed domain is still up")
	}
	if err := m.Err(); !errors.Is(err, qmp.ErrClosed) || !strings.Contains(err.Error(), "destroyed") {
		t.Fatalf("Err() = %v, want ErrClosed saying the domain was destroyed", err)
	}
	if _, err := m.Execute(ctx, "query-status", nil); !errors.Is(err, qmp.ErrClosed) {
		t.Fatalf("query-status after the end: %v, want ErrClosed", err)
	}
}

func next(t *testing.T, m *libvirt.Monitor) qmp.Event {
	t.Helper()
	select {
	case ev, ok := <-m.Events():
		if !ok {
			t.Fatalf("events closed: %v", m.Err())
		}
		if ev.Time.IsZero() {
			t.Errorf("event %s has no time", ev.Name)
		}
		if ev.Data != nil && !json.Valid(ev.Data) {
			t.Errorf("event %s data %q is not JSON", ev.Name, ev.Data)
		}
		return ev
	case <-time.After(20 * time.Second):
		t.Fatal("no event")
	}
	return qmp.Event{}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// infoStatusOver connects to uri and checks that HMP info status works on
// domain; the connection is the caller's to close.
func infoStatusOver(ctx context.Context, t *testing.T, uri, domain string) *libvirt.Conn {
	t.Helper()
	c, err := libvirt.Dial(ctx, uri)
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Monitor(ctx, domain)
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	out, err := m.HMP(ctx, "info status")
	if err != nil || !strings.Contains(out, "VM status: running") {
		t.Errorf("HMP info status over %s: %q, %v", uri, out, err)
	}
	return c
}

// qemu+ssh through a private sshd on loopback: the monitor works, and
// closing the connection ends the ssh connection too (go-libvirt's own
// ssh dialer left it open).
func TestMonitorSSH(t *testing.T) {
	uri := libvirttest.SSHURI(t)
	name := libvirttest.Domain(t, libvirttest.SystemURI, libvirttest.Name(t, "ssh"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := infoStatusOver(ctx, t, uri, name)
	u, _ := url.Parse(uri)
	if n := established(t, u.Port()); n == 0 {
		t.Fatalf("no TCP connection to sshd's port %s while connected", u.Port())
	}
	c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for established(t, u.Port()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the ssh connection to port %s is still open after Close", u.Port())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// established counts the established TCP connections to 127.0.0.1:port
// from this machine (/proc/net/tcp).
func established(t *testing.T, port string) int {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Skipf("no /proc/net/tcp: %v", err)
	}
	p, _ := strconv.Atoi(port)
	remote := fmt.Sprintf("0100007F:%04X", p)
	n := 0
	for _, l := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) > 3 && f[2] == remote && f[3] == "01" {
			n++
		}
	}
	return n
}

// qemu+tls through a TLS endpoint of the test's own (client certificate
// required) in front of the machine's libvirtd: pkipath= and the port are
// taken from the URI, and a server the CA did not sign is refused.
func TestMonitorTLS(t *testing.T) {
	uri := libvirttest.TLSURI(t)
	name := libvirttest.Domain(t, libvirttest.SystemURI, libvirttest.Name(t, "tls"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := infoStatusOver(ctx, t, uri, name)
	defer c.Close()

	// Another test CA: the server's certificate does not verify.
	other := libvirttest.TLSURI(t)
	u, _ := url.Parse(uri)
	o, _ := url.Parse(other)
	q := u.Query()
	q.Set("pkipath", o.Query().Get("pkipath"))
	u.RawQuery = q.Encode()
	if c2, err := libvirt.Dial(ctx, u.String()); err == nil {
		c2.Close()
		t.Errorf("a server signed by another CA was taken")
	} else if !strings.Contains(err.Error(), "certificate") {
		t.Errorf("another CA: %v, want a certificate error", err)
	}
}

package libvirt

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"

	"github.com/digitalocean/go-libvirt/socket"
	"github.com/digitalocean/go-libvirt/socket/dialers"
)

// dialerFor picks go-libvirt's dialer for a URI, as go-libvirt's own
// ConnectToURI does, and wraps it in eventFix.
func dialerFor(u *url.URL) (socket.Dialer, error) {
	_, transport, _ := strings.Cut(u.Scheme, "+")
	if transport == "" && u.Host != "" {
		transport = "tls" // libvirt's rule for qemu://host/system
	}
	q := u.Query()
	var d socket.Dialer
	switch transport {
	case "", "unix":
		var opts []dialers.LocalOption
		if s := q.Get("socket"); s != "" {
			opts = append(opts, dialers.WithSocket(s))
		}
		d = dialers.NewLocal(opts...)
	case "tcp":
		var opts []dialers.RemoteOption
		if p := u.Port(); p != "" {
			opts = append(opts, dialers.UsePort(p))
		}
		d = dialers.NewRemote(u.Hostname(), opts...)
	case "tls":
		var opts []dialers.TLSOption
		if p := u.Port(); p != "" {
			opts = append(opts, dialers.UseTLSPort(p))
		}
		if p := q.Get("pkipath"); p != "" {
			opts = append(opts, dialers.UsePKIPath(p))
		}
		if nv := q.Get("no_verify"); nv != "" && nv != "0" {
			opts = append(opts, dialers.WithInsecureNoVerify())
		}
		d = dialers.NewTLS(u.Hostname(), opts...)
	case "ssh", "libssh", "libssh2":
		sd, err := newSSHDialer(u)
		if err != nil {
			return nil, err
		}
		d = sd
	default:
		return nil, fmt.Errorf("transport %q is not one hmpsh can dial (unix, tcp, tls, ssh)", transport)
	}
	return eventFix{d}, nil
}

// eventFix mends libvirt's QEMU monitor events on their way into
// go-libvirt. Such an event's data is an optional string, absent for an
// event without data (STOP, RESUME, SHUTDOWN, ...); go-libvirt decodes it
// as always present, fails, and drops the event. eventFix rewrites an
// absent data into an empty one, which go-libvirt reads.
type eventFix struct{ socket.Dialer }

func (d eventFix) Dial() (net.Conn, error) {
	c, err := d.Dialer.Dial()
	if err != nil {
		return nil, err
	}
	return &fixConn{Conn: c, r: bufio.NewReaderSize(c, 64<<10)}, nil
}

// The packet that carries a QEMU monitor event (libvirt's
// qemu_protocol.x: QEMU_PROGRAM, QEMU_PROC_DOMAIN_MONITOR_EVENT).
const (
	qemuProgram      = 0x20008087
	qemuMonitorEvent = 6
	headerSize       = 24 // program, version, procedure, type, serial, status
	maxPacket        = 32 << 20
)

type fixConn struct {
	net.Conn
	r *bufio.Reader

	mu  sync.Mutex
	buf []byte // what the reader has not taken yet of the current packet
}

func (c *fixConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.buf) == 0 {
		pkt, err := readPacket(c.r)
		if err != nil {
			return 0, err
		}
		c.buf = fixEvent(pkt)
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

func readPacket(r *bufio.Reader) ([]byte, error) {
	var lb [4]byte
	if _, err := io.ReadFull(r, lb[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(lb[:])
	if n < 4 || n > maxPacket {
		return nil, fmt.Errorf("libvirt: a packet of %d bytes", n)
	}
	pkt := make([]byte, n)
	copy(pkt, lb[:])
	if _, err := io.ReadFull(r, pkt[4:]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return pkt, nil
}

// fixEvent returns pkt, or for a QEMU monitor event without data, the
// same event with empty data.
func fixEvent(pkt []byte) []byte {
	if len(pkt) < 4+headerSize {
		return pkt
	}
	h := pkt[4:]
	if binary.BigEndian.Uint32(h[0:]) != qemuProgram || binary.BigEndian.Uint32(h[8:]) != qemuMonitorEvent {
		return pkt
	}
	// callbackID, dom{name, uuid[16], id}, event, seconds, micros, details
	x := xdr{b: pkt, off: 4 + headerSize}
	x.skip(4)
	x.skipString()
	x.skip(16 + 4)
	x.skipString()
	x.skip(8 + 4)
	if x.bad || x.off+4 != len(pkt) || binary.BigEndian.Uint32(pkt[x.off:]) != 0 {
		return pkt // data present, or not the layout expected: as it is
	}
	out := make([]byte, len(pkt)+4)
	copy(out, pkt)
	binary.BigEndian.PutUint32(out[x.off:], 1)   // present
	binary.BigEndian.PutUint32(out[x.off+4:], 0) // an empty string
	binary.BigEndian.PutUint32(out[0:], uint32(len(out)))
	return out
}

type xdr struct {
	b   []byte
	off int
	bad bool
}

func (x *xdr) skip(n int) {
	if x.off+n > len(x.b) {
		x.bad = true
		return
	}
	x.off += n
}

func (x *xdr) skipString() {
	if x.off+4 > len(x.b) {
		x.bad = true
		return
	}
	n := int(binary.BigEndian.Uint32(x.b[x.off:]))
	x.skip(4 + (n+3)/4*4)
}

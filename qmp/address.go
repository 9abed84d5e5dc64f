package qmp

import (
	"fmt"
	"net"
	"strings"
)

// ParseAddress turns a monitor address into a network and an address for
// net.Dial. It accepts the forms QEMU's -qmp option uses for a client's side:
//
//	unix:/path/to/qmp.sock   a unix socket
//	tcp:HOST:PORT            a TCP socket; an IPv6 host in brackets: tcp:[::1]:4444
//	/path/to/qmp.sock        a bare path: a unix socket
//
// QEMU's server-side options (",server=on,wait=off") are not part of an
// address a client dials, and are rejected so that a pasted -qmp value fails
// loudly instead of dialling a file named "qmp.sock,server=on".
func ParseAddress(addr string) (network, address string, err error) {
	rest, isUnix := strings.CutPrefix(addr, "unix:")
	if !isUnix {
		if hostport, isTCP := strings.CutPrefix(addr, "tcp:"); isTCP {
			return parseTCP(addr, hostport)
		}
		if i := strings.IndexByte(addr, ':'); i > 0 && !strings.ContainsRune(addr[:i], '/') {
			// "telnet:...", "vsock:...", or a host:port without "tcp:".
			return "", "", fmt.Errorf("qmp: address %q: unsupported scheme %q (use unix:PATH, tcp:HOST:PORT or a path)", addr, addr[:i])
		}
		rest = addr
	}
	if rest == "" {
		return "", "", fmt.Errorf("qmp: address %q: empty socket path", addr)
	}
	if strings.Contains(rest, ",") {
		return "", "", fmt.Errorf("qmp: address %q: options such as %q belong to QEMU's -qmp, not to a client address", addr, rest[strings.IndexByte(rest, ','):])
	}
	return "unix", rest, nil
}

func parseTCP(addr, hostport string) (string, string, error) {
	if strings.Contains(hostport, ",") {
		return "", "", fmt.Errorf("qmp: address %q: options such as %q belong to QEMU's -qmp, not to a client address", addr, hostport[strings.IndexByte(hostport, ','):])
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return "", "", fmt.Errorf("qmp: address %q: want tcp:HOST:PORT: %w", addr, err)
	}
	if port == "" {
		return "", "", fmt.Errorf("qmp: address %q: missing port", addr)
	}
	if host == "" {
		// QEMU's "tcp::4444" listens on every address; a client means localhost.
		host = "localhost"
	}
	return "tcp", net.JoinHostPort(host, port), nil
}

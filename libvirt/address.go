// Package libvirt is a monitor backend over libvirt's RPC protocol: a
// domain libvirtd manages is reached through libvirtd (QMP pass-through,
// QEMU events through libvirt's monitor-event registration), locally or
// over qemu+tcp, qemu+tls and qemu+ssh, as go-libvirt's dialers allow. A
// Monitor satisfies qmp.Conn, so every line runs on it as on a socket.
package libvirt

import (
	"fmt"
	"net/url"
	"strings"
)

// DefaultURI is the connection a libvirt: address without @URI uses.
const DefaultURI = "qemu:///system"

// AllDomains is the domain of "libvirt:*": every running domain.
const AllDomains = "*"

// Prefix starts every libvirt monitor address.
const Prefix = "libvirt:"

// Address is a libvirt monitor address: libvirt:DOMAIN[@URI].
type Address struct {
	Domain string // a domain name, or AllDomains
	URI    string // DefaultURI when the address names none
}

func (a Address) String() string {
	if a.URI == DefaultURI {
		return Prefix + a.Domain
	}
	return Prefix + a.Domain + "@" + a.URI
}

// IsAddress tells a libvirt address from a QMP socket's.
func IsAddress(addr string) bool { return strings.HasPrefix(addr, Prefix) }

// ParseAddress reads libvirt:DOMAIN, libvirt:DOMAIN@URI, libvirt:* and
// libvirt:*@URI. The URI is one libvirt itself accepts (qemu:///system,
// qemu:///session, qemu+tcp://host/system, qemu+tls://host/system,
// qemu+ssh://user@host/system, qemu+unix:///system?socket=PATH); the
// domain name is everything before the first "@" that starts a URI, so
// names holding "@" work as long as the URI is given.
func ParseAddress(addr string) (Address, error) {
	rest, ok := strings.CutPrefix(addr, Prefix)
	if !ok {
		return Address{}, fmt.Errorf("libvirt: address %q: want libvirt:DOMAIN[@URI]", addr)
	}
	a := Address{Domain: rest, URI: DefaultURI}
	if i := strings.Index(rest, "@"); i >= 0 {
		a.Domain, a.URI = rest[:i], rest[i+1:]
	}
	if a.Domain == "" {
		return Address{}, fmt.Errorf("libvirt: address %q: no domain (libvirt:DOMAIN, or libvirt:* for every running domain)", addr)
	}
	if err := CheckURI(a.URI); err != nil {
		return Address{}, fmt.Errorf("libvirt: address %q: %w", addr, err)
	}
	return a, nil
}

// transports are the URI schemes' transport parts go-libvirt can dial.
var transports = map[string]bool{"": true, "unix": true, "tcp": true, "tls": true, "ssh": true, "libssh": true, "libssh2": true}

// CheckURI says whether uri is a libvirt URI hmpsh can dial: a QEMU
// driver's, over a transport go-libvirt has.
func CheckURI(uri string) error {
	u, err := url.Parse(uri)
	if err != nil {
		return fmt.Errorf("URI %q: %w", uri, err)
	}
	driver, transport, _ := strings.Cut(u.Scheme, "+")
	if driver != "qemu" {
		return fmt.Errorf("URI %q: hmpsh talks to QEMU domains: want qemu:// or qemu+TRANSPORT://", uri)
	}
	if !transports[transport] {
		return fmt.Errorf("URI %q: transport %q is not one hmpsh can dial (unix, tcp, tls, ssh, libssh)", uri, transport)
	}
	if u.Path != "/system" && u.Path != "/session" {
		return fmt.Errorf("URI %q: want /system or /session after the host", uri)
	}
	return nil
}

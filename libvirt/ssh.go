package libvirt

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"
)

// sshDialer reaches a libvirtd's unix socket through an ssh connection
// (qemu+ssh://[USER@]HOST[:PORT]/system), as libvirt's own client does
// with a remote netcat, but in-process: golang.org/x/crypto/ssh forwards
// the socket (streamlocal, which sshd allows by default).
//
// go-libvirt has a dialer of its own, but the net.Conn it returns is the
// forwarded channel alone: closing it leaves the ssh connection open, one
// leaked connection (and a remote sshd process) per closed monitor.
// Here closing the conn closes the ssh client too.
//
// Authentication is by public key: the ssh agent's keys
// ($SSH_AUTH_SOCK), then keyfile= from the URI, or else the usual
// ~/.ssh/id_* files. The host key must be in known_hosts= or
// ~/.ssh/known_hosts, unless no_verify=1. ~/.ssh/config is not read.
type sshDialer struct {
	addr, user, socket string
	keyFiles           []string
	knownHosts         string
	noVerify           bool
	timeout            time.Duration
}

// remoteSocket is libvirtd's socket on a host for a URI's path, as
// libvirt's remote driver names it.
func remoteSocket(u *url.URL) string {
	if s := u.Query().Get("socket"); s != "" {
		return s
	}
	if u.Path == "/session" {
		// A session daemon's socket is under the remote user's
		// runtime directory, which only socket= can name.
		return ""
	}
	return "/var/run/libvirt/libvirt-sock"
}

func newSSHDialer(u *url.URL) (*sshDialer, error) {
	d := &sshDialer{user: u.User.Username(), socket: remoteSocket(u), timeout: 20 * time.Second}
	if d.socket == "" {
		return nil, fmt.Errorf("%s: a session daemon over ssh needs socket=PATH", u.Redacted())
	}
	port := u.Port()
	if port == "" {
		port = "22"
	}
	d.addr = net.JoinHostPort(u.Hostname(), port)
	home, _ := os.UserHomeDir()
	if d.user == "" {
		d.user = os.Getenv("USER")
		if d.user == "" {
			d.user = "root"
		}
	}
	q := u.Query()
	if k := q.Get("keyfile"); k != "" {
		d.keyFiles = []string{k}
	} else if home != "" {
		for _, n := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
			d.keyFiles = append(d.keyFiles, filepath.Join(home, ".ssh", n))
		}
	}
	d.knownHosts = q.Get("known_hosts")
	if d.knownHosts == "" && home != "" {
		d.knownHosts = filepath.Join(home, ".ssh", "known_hosts")
	}
	if nv := q.Get("no_verify"); nv != "" && nv != "0" {
		d.noVerify = true
	}
	return d, nil
}

// signers are the keys to offer: the agent's, then the key files that
// exist and need no passphrase. The agent signs through its connection,
// which done closes once the handshake is over.
func (d *sshDialer) signers() (out []ssh.Signer, errs []error, done func()) {
	done = func() {}
	if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" {
		if c, err := net.Dial("unix", sock); err == nil {
			s, err := agent.NewClient(c).Signers()
			if err != nil {
				errs = append(errs, fmt.Errorf("ssh agent: %w", err))
			}
			out = append(out, s...)
			done = func() { c.Close() }
		}
	}
	for _, f := range d.keyFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		s, err := ssh.ParsePrivateKey(b)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w (a key with a passphrase goes through the ssh agent)", f, err))
			continue
		}
		out = append(out, s)
	}
	return out, errs, done
}

func (d *sshDialer) Dial() (net.Conn, error) {
	signers, errs, done := d.signers()
	defer done()
	if len(signers) == 0 {
		return nil, errors.Join(append([]error{errors.New("ssh: no key to offer (none in the ssh agent, keyfile= or ~/.ssh/id_*)")}, errs...)...)
	}
	hostKey := ssh.InsecureIgnoreHostKey() //nolint:gosec // no_verify=1 asked for it
	if !d.noVerify {
		cb, err := knownhosts.New(d.knownHosts)
		if err != nil {
			return nil, fmt.Errorf("ssh: known hosts: %w (no_verify=1 skips the check)", err)
		}
		hostKey = cb
	}
	conf := &ssh.ClientConfig{
		User:            d.user,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signers...)},
		HostKeyCallback: hostKey,
		Timeout:         d.timeout,
	}
	client, err := ssh.Dial("tcp", d.addr, conf)
	if err != nil {
		return nil, errors.Join(append([]error{fmt.Errorf("ssh %s@%s: %w", d.user, d.addr, err)}, errs...)...)
	}
	c, err := client.Dial("unix", d.socket)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("ssh %s: libvirtd's socket %s: %w", d.addr, d.socket, err)
	}
	return &sshConn{Conn: c, client: client}, nil
}

// sshConn is the forwarded socket; closing it ends the ssh connection.
type sshConn struct {
	net.Conn
	client *ssh.Client
}

func (c *sshConn) Close() error {
	err := c.Conn.Close()
	c.client.Close()
	return err
}

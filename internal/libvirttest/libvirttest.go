// Package libvirttest gives tests real libvirt daemons and domains.
//
// System is the machine's libvirtd (qemu:///system, and
// qemu+tcp://127.0.0.1/system when it listens there), which
// build/install-libvirt.sh installs and starts (`make test` runs it).
// Private starts a libvirtd of the test's own, unprivileged, in session
// mode, that the test may kill without harming the others. Domains are
// transient, named after the test, of type qemu (TCG), machine pc, 64 MiB,
// no disks, and destroyed when the test ends.
//
// Without libvirt a test is skipped, unless HMPSH_REQUIRE_QEMU=1 (as in
// `make test`), where it fails: CI must not go green by skipping.
package libvirttest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hmpsh/hmpsh/internal/qemutest"
)

// SystemURI and SystemTCPURI reach the machine's libvirtd.
const (
	SystemURI    = "qemu:///system"
	SystemTCPURI = "qemu+tcp://127.0.0.1/system"
)

func unavailable(t testing.TB, format string, a ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, a...) + " (build/install-libvirt.sh installs and starts it)"
	if os.Getenv(qemutest.RequireEnv) == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Virsh runs virsh -c uri args and returns its standard output.
func Virsh(t testing.TB, uri string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("virsh", append([]string{"-q", "-c", uri}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("virsh %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}

// System returns qemu:///system once the machine's libvirtd answers there.
func System(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("virsh"); err != nil {
		unavailable(t, "libvirttest: virsh not installed")
	}
	if _, err := Virsh(t, SystemURI, "version"); err != nil {
		unavailable(t, "libvirttest: libvirtd does not answer on %s: %v", SystemURI, err)
	}
	return SystemURI
}

// SystemTCP returns qemu+tcp://127.0.0.1/system once libvirtd answers
// there.
func SystemTCP(t testing.TB) string {
	t.Helper()
	System(t)
	if _, err := Virsh(t, SystemTCPURI, "version"); err != nil {
		unavailable(t, "libvirttest: libvirtd does not listen on %s: %v", SystemTCPURI, err)
	}
	return SystemTCPURI
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// Name is a domain name unique to this test and run.
func Name(t testing.TB, hint string) string {
	var b [3]byte
	rand.Read(b[:])
	n := unsafeName.ReplaceAllString(hint, "-")
	if len(n) > 24 {
		n = n[:24]
	}
	return "hmpsh-" + n + "-" + hex.EncodeToString(b[:])
}

// Domain starts a transient domain named name on uri and destroys it when
// the test ends.
func Domain(t testing.TB, uri, name string) string {
	t.Helper()
	qemu := qemutest.Require(t, qemutest.Gen72).Path
	xml := fmt.Sprintf(`<domain type='qemu'>
  <name>%s</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><emulator>%s</emulator></devices>
</domain>
`, name, qemu)
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	f := filepath.Join(dir, name+".xml")
	if err := os.WriteFile(f, []byte(xml), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Virsh(t, uri, "create", f); err != nil {
		t.Fatalf("libvirttest: starting domain %s: %v", name, err)
	}
	t.Cleanup(func() { Virsh(t, uri, "destroy", name) })
	return name
}

// Daemon is a private libvirtd.
type Daemon struct {
	URI string // qemu+unix:///session?socket=...
	dir string
	cmd *exec.Cmd
}

// Private starts a libvirtd of the test's own, as an unprivileged user in
// session mode, with its socket in a directory of its own. It is killed,
// with the QEMUs it started, when the test ends.
func Private(t testing.TB) *Daemon {
	t.Helper()
	if _, err := exec.LookPath("libvirtd"); err != nil {
		unavailable(t, "libvirttest: libvirtd not installed")
	}
	uid, gid := 65534, 65534 // nobody, nogroup
	if u, err := user.Lookup("nobody"); err == nil {
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
	}
	// The daemon's user must reach its directories: not under t.TempDir,
	// whose parents are private to root.
	dir, err := os.MkdirTemp("", "hmpsh-libvirtd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, d := range []string{"home", "run", "config", "cache"} {
		os.MkdirAll(filepath.Join(dir, d), 0o700)
	}
	filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error { return os.Chown(p, uid, gid) })
	os.Chmod(dir, 0o755)
	denv := append(os.Environ(),
		"HOME="+filepath.Join(dir, "home"),
		"XDG_RUNTIME_DIR="+filepath.Join(dir, "run"),
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"XDG_CACHE_HOME="+filepath.Join(dir, "cache"),
	)
	d := &Daemon{dir: dir}
	d.cmd = exec.Command("libvirtd", "--timeout", "0")
	d.cmd.Env = denv
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, Setpgid: true}
	logf, _ := os.Create(filepath.Join(dir, "libvirtd.log"))
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	if err := d.cmd.Start(); err != nil {
		unavailable(t, "libvirttest: starting a private libvirtd: %v", err)
	}
	sock := filepath.Join(dir, "run", "libvirt", "libvirt-sock")
	d.URI = "qemu+unix:///session?socket=" + sock
	t.Cleanup(d.Kill)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			if _, err := Virsh(t, d.URI, "version"); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "libvirtd.log"))
			t.Fatalf("libvirttest: the private libvirtd did not answer on %s:\n%s", d.URI, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return d
}

// Kill ends the daemon with SIGKILL, as a crash would, and the QEMUs it
// started (they outlive a session daemon otherwise).
func (d *Daemon) Kill() {
	if d.cmd.Process == nil {
		return
	}
	d.cmd.Process.Kill()
	d.cmd.Wait()
	// QEMUs a session libvirtd started hold its directory in their
	// command lines.
	exec.Command("pkill", "-KILL", "-f", "qemu-system.*"+regexp.QuoteMeta(d.dir)).Run()
}

// SSHURI starts a private sshd on loopback that lets root in with a key of
// the test's own, and returns the qemu+ssh URI that reaches the machine's
// libvirtd through it (go-libvirt's ssh dialer: key file and known_hosts
// given in the URI, the host key checked).
func SSHURI(t testing.TB) string {
	t.Helper()
	System(t)
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		unavailable(t, "libvirttest: sshd not installed")
	}
	dir := t.TempDir()
	for _, k := range []string{"host", "client"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	pub, _ := os.ReadFile(filepath.Join(dir, "client.pub"))
	os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	hostPub, _ := os.ReadFile(filepath.Join(dir, "host.pub"))
	fields := strings.Fields(string(hostPub))
	known := fmt.Sprintf("[127.0.0.1]:%d %s %s\n", port, fields[0], fields[1])
	os.WriteFile(filepath.Join(dir, "known_hosts"), []byte(known), 0o600)
	conf := fmt.Sprintf(`ListenAddress 127.0.0.1
Port %d
HostKey %s
AuthorizedKeysFile %s
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowStreamLocalForwarding yes
PidFile %s
`, port, filepath.Join(dir, "host"), filepath.Join(dir, "authorized_keys"), filepath.Join(dir, "sshd.pid"))
	os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(conf), 0o600)
	os.MkdirAll("/run/sshd", 0o755) // sshd's privilege separation directory
	cmd := exec.Command(sshd, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	var logBuf syncBuffer
	cmd.Stdout, cmd.Stderr = &logBuf, &logBuf
	// Its own process group, so that the per-connection sshd processes
	// (which hold the log pipe) die with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("sshd: %v", err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd does not listen on %d: %s", port, logBuf.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Sprintf("qemu+ssh://root@127.0.0.1:%d/system?keyfile=%s&known_hosts=%s", port, filepath.Join(dir, "client"), filepath.Join(dir, "known_hosts"))
}

// syncBuffer is a bytes.Buffer that a process's output goroutine and the
// test may use at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TLSURI returns a qemu+tls URI that reaches the machine's libvirtd
// through a TLS endpoint on loopback of the test's own: a listener that
// asks for a client certificate, as libvirtd's TLS port does, and relays
// each connection to libvirtd's unix socket (libvirt's TLS transport is
// its RPC stream inside TLS, after a byte that says the client's
// certificate was accepted). The certificates are
// made for the test, in pkipath's layout (cacert.pem, clientcert.pem,
// clientkey.pem), and the URI's pkipath names them.
func TLSURI(t testing.TB) string {
	t.Helper()
	System(t)
	dir := t.TempDir()
	ca, caKey := newCert(t, nil, nil, "hmpsh test CA", true)
	writePEM(t, filepath.Join(dir, "cacert.pem"), "CERTIFICATE", ca.Raw)
	server, serverKey := newCert(t, ca, caKey, "127.0.0.1", false)
	client, clientKey := newCert(t, ca, caKey, "hmpsh test client", false)
	writePEM(t, filepath.Join(dir, "clientcert.pem"), "CERTIFICATE", client.Raw)
	kb, err := x509.MarshalECPrivateKey(clientKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, "clientkey.pem"), "EC PRIVATE KEY", kb)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	conf := &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{server.Raw}, PrivateKey: serverKey}},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				// libvirtd, once it has checked the client's
				// certificate, says so with one byte, 1, before the RPC
				// stream (go-libvirt's TLS dialer waits for it).
				tc := c.(*tls.Conn)
				if tc.Handshake() != nil {
					tc.Close()
					return
				}
				if _, err := tc.Write([]byte{1}); err != nil {
					tc.Close()
					return
				}
				relay(tc, "/var/run/libvirt/libvirt-sock")
			}()
		}
	}()
	return fmt.Sprintf("qemu+tls://127.0.0.1:%d/system?pkipath=%s", l.Addr().(*net.TCPAddr).Port, dir)
}

// relay copies between c and a new connection to the unix socket path,
// until either side ends.
func relay(c net.Conn, path string) {
	defer c.Close()
	u, err := net.Dial("unix", path)
	if err != nil {
		return
	}
	defer u.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(u, c); done <- struct{}{} }()
	go func() { io.Copy(c, u); done <- struct{}{} }()
	<-done
}

// newCert makes a certificate for name (an IP address becomes its
// subject alternative name), signed by parent, or self-signed when parent
// is nil.
func newCert(t testing.TB, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, name string, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  isCA,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	if isCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	if ip := net.ParseIP(name); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent, parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func writePEM(t testing.TB, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/hmpsh/hmpsh/libvirt"
)

// LibvirtOptions shape a libvirt sandbox.
type LibvirtOptions struct {
	// URI is the libvirt that runs the domains; libvirt.DefaultURI
	// (qemu:///system) when empty.
	URI string
}

// Domain is one of a libvirt sandbox's domains.
type Domain struct {
	Name   string // the monitor's name: "src" or "dst"
	Domain string // libvirt's: "hmpsh-sandbox-src-1a2b3c4d"
	Addr   string // its monitor, as --qmp takes it: "libvirt:hmpsh-sandbox-src-1a2b3c4d"
}

// Libvirt is the libvirt sandbox: two transient domains, src and dst, of
// type qemu (TCG), -machine pc, 64 MiB and no disks, both running (libvirt
// starts no domain waiting for a migration: it does that itself, in its
// own migrations). They are destroyed when the shell ends, however it
// ends:
//
//   - Close destroys them, and a shell calls it on every exit it sees (a
//     line, Ctrl-D, a signal it catches, a panic unwinding).
//   - For a death nobody sees (SIGKILL, a crash), a watchdog destroys them:
//     a /bin/sh child in its own process group whose standard input is a
//     pipe from the shell, as for the QEMU sandbox. The kernel closes the
//     pipe when the shell dies, and the watchdog runs virsh destroy on each
//     domain. Close takes that path too, so that the code a crash relies
//     on runs on every exit; it then checks over its own connection that
//     both domains are gone.
//
// The domains are not marked for libvirt's autodestroy (destroyed when the
// connection that created them closes), which would need no watchdog:
// libvirt refuses to migrate such a domain ("domain is marked for auto
// destroy"), and virsh migrate is the one way a libvirt domain migrates.
type Libvirt struct {
	URI      string
	Src, Dst Domain
	Virsh    string // the virsh the watchdog runs

	conn     *libvirt.Conn
	watchdog *exec.Cmd
	wdPipe   *os.File      // the write end of the watchdog's standard input
	wdDone   chan struct{} // closed when the watchdog has exited and been reaped
	closed   chan struct{} // closed by Close; keeps wdPipe reachable until then

	closeOnce sync.Once
	closeErr  error
}

// DomainPrefix starts the name of every libvirt sandbox domain.
const DomainPrefix = "hmpsh-sandbox-"

// libvirtStartTimeout bounds StartLibvirt when its context has no deadline
// of its own: libvirt takes a second or two for each domain, more on a
// busy machine.
const libvirtStartTimeout = 2 * time.Minute

// LibvirtUnreachableError is StartLibvirt's error when libvirtd does not
// answer; it says how to get one.
type LibvirtUnreachableError struct {
	URI string
	Err error
}

func (e *LibvirtUnreachableError) Error() string {
	return fmt.Sprintf(`sandbox: libvirtd does not answer on %s: %v
  install and start it:    build/install-libvirt.sh (in the hmpsh repository; make deps runs it)
  start an installed one:  sudo virtlogd -d; sudo libvirtd -d   (with systemd: sudo systemctl start libvirtd)
  or use the QEMU sandbox: hmpsh   (without --sandbox libvirt: two QEMUs of hmpsh's own)`, e.URI, e.Err)
}

func (e *LibvirtUnreachableError) Unwrap() error { return e.Err }

// StartLibvirt starts the two domains on o.URI and returns once libvirt
// runs both. On failure nothing is left behind.
func StartLibvirt(ctx context.Context, o LibvirtOptions) (_ *Libvirt, err error) {
	uri := o.URI
	if uri == "" {
		uri = libvirt.DefaultURI
	}
	if err := libvirt.CheckURI(uri); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, libvirtStartTimeout)
		defer cancel()
	}
	conn, err := libvirt.Dial(ctx, uri)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		return nil, &LibvirtUnreachableError{URI: uri, Err: err}
	}
	virsh, err := exec.LookPath("virsh")
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("sandbox: virsh not found (%v): the libvirt sandbox needs it to destroy its domains should hmpsh be killed, and virsh migrate is how a libvirt domain migrates; build/install-libvirt.sh installs it (Debian: libvirt-clients)", err)
	}
	var b [4]byte
	rand.Read(b[:])
	suffix := hex.EncodeToString(b[:])
	l := &Libvirt{URI: uri, Virsh: virsh, conn: conn, closed: make(chan struct{})}
	for _, d := range []*Domain{&l.Src, &l.Dst} {
		name := "src"
		if d == &l.Dst {
			name = "dst"
		}
		dom := DomainPrefix + name + "-" + suffix
		*d = Domain{Name: name, Domain: dom, Addr: libvirt.Address{Domain: dom, URI: uri}.String()}
	}
	defer func() {
		if err != nil {
			l.Close()
		}
	}()
	if err := l.startWatchdog(); err != nil {
		return nil, err
	}
	for _, d := range []Domain{l.Src, l.Dst} {
		// The watchdog hears of a domain before libvirt starts it, so that
		// no moment leaves one running that nobody would destroy.
		if _, err := fmt.Fprintf(l.wdPipe, "%s\n", d.Domain); err != nil {
			return nil, fmt.Errorf("sandbox: watchdog: %w", err)
		}
		// Not given up on when ctx is cancelled (Ctrl-C): go-libvirt's
		// call would go on without us, and the domain could be created
		// after Close destroyed it. It takes seconds.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), libvirtStartTimeout)
		err := conn.CreateTransient(cctx, domainXML(d.Domain))
		cancel()
		if err == nil && ctx.Err() != nil {
			err = ctx.Err()
		}
		if err != nil {
			return nil, fmt.Errorf("sandbox: starting domain %s (%s) on %s: %w", d.Name, d.Domain, uri, err)
		}
	}
	return l, nil
}

// domainXML describes a sandbox domain: TCG, so that it runs without KVM;
// no disks or network, so that it needs nothing of the host; libvirt's
// default emulator for x86_64.
func domainXML(name string) string {
	return fmt.Sprintf(`<domain type='qemu'>
  <name>%s</name>
  <description>hmpsh --sandbox libvirt (pid %d): destroyed when that hmpsh exits</description>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
</domain>
`, name, os.Getpid())
}

// libvirtWatchdogScript destroys the sandbox's domains when the shell is
// gone. $1 is virsh, $2 the URI; standard input is a pipe from the shell
// carrying the domain names, one a line. End of file means the shell
// closed the sandbox or died, however it died.
//
// It ignores the signals a terminal or a session's end sends to
// everybody, as the QEMU sandbox's watchdog does, and destroys only
// domains named as the sandbox names them, so that nothing can make it
// destroy another.
const libvirtWatchdogScript = `trap '' HUP INT QUIT TERM
virsh=$1
uri=$2
names=
while read -r name; do
	case $name in
	*[!A-Za-z0-9_-]*) ;;
	` + DomainPrefix + `*) names="$names $name" ;;
	esac
done
for name in $names; do
	"$virsh" -q -c "$uri" destroy "$name" >/dev/null 2>&1
done
`

// startWatchdog starts the watchdog, in its own process group and with no
// death signal: it is the one process meant to outlive the shell.
func (l *Libvirt) startWatchdog() error {
	cmd, w, done, err := runWatchdog(libvirtWatchdogScript, "hmpsh-libvirt-sandbox-watchdog", l.Virsh, l.URI)
	if err != nil {
		return err
	}
	l.watchdog, l.wdPipe, l.wdDone = cmd, w, done
	// An *os.File nobody references is closed by its finalizer, which the
	// watchdog would take for the shell's death: the pipe stays reachable
	// until Close.
	go func() {
		<-l.closed
		runtime.KeepAlive(w)
	}()
	return nil
}

// Close destroys both domains and waits until libvirt has. It is
// idempotent and safe to call concurrently.
func (l *Libvirt) Close() error {
	if l == nil {
		return nil
	}
	l.closeOnce.Do(func() { l.closeErr = l.close() })
	return l.closeErr
}

func (l *Libvirt) close() error {
	defer close(l.closed)
	var errs []error
	if l.wdPipe != nil {
		l.wdPipe.Close()
		select {
		case <-l.wdDone:
		case <-time.After(time.Minute):
			syscall.Kill(-l.watchdog.Process.Pid, syscall.SIGKILL)
			<-l.wdDone
			errs = append(errs, fmt.Errorf("watchdog (pid %d) did not finish", l.watchdog.Process.Pid))
		}
	}
	// Whatever the watchdog's virsh did, the domains must be gone: destroy
	// them again over the sandbox's own connection, which says nothing
	// when they are.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn := l.conn
	select {
	case <-conn.Done():
		c, err := libvirt.Dial(ctx, l.URI)
		if err != nil {
			errs = append(errs, fmt.Errorf("reconnecting to destroy the domains: %w", err))
			conn = nil
		} else {
			defer c.Close()
			conn = c
		}
	default:
	}
	if conn != nil {
		for _, d := range []Domain{l.Src, l.Dst} {
			if d.Domain == "" {
				continue
			}
			if err := conn.Destroy(ctx, d.Domain); err != nil {
				errs = append(errs, err)
			}
		}
	}
	l.conn.Close()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sandbox: close: %w", err)
	}
	return nil
}

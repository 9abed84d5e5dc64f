// Package sandbox runs the two private QEMUs that hmpsh talks to when it is
// given no --qmp: "src", and "dst" started with -incoming defer, so that a
// migration can be tried at once. Both live in a private temporary directory
// with their QMP sockets and logs, and both die with the shell however it ends
// (Close, a plain exit, a signal's default action, SIGKILL); the directory is
// removed then too.
//
// How they die with the shell:
//
//   - The QEMUs are started with Pdeathsig=SIGKILL, so the kernel kills them
//     the moment the shell dies, without anybody's help. That needs care in
//     Go; see owner.
//   - A directory cannot be given a death signal, so a watchdog removes it: a
//     small /bin/sh child in its own process group whose standard input is a
//     pipe from the shell. The kernel closes the pipe whenever the shell dies,
//     and EOF wakes the watchdog at once (no polling, no pid to be reused); it
//     kills whatever QEMU is still alive (a backstop for Pdeathsig) and
//     removes the directory. Close takes the same path on purpose: it kills
//     the QEMUs and closes the pipe, so the code a crash relies on runs on
//     every normal exit as well.
//   - Each QEMU has its own process group (Setpgid): Ctrl-C at the terminal is
//     the shell's (it detaches a waiting migrate), never the QEMUs', and a kill
//     of the group also ends what QEMU forked (an exec: migration's command).
//
// StartLibvirt is the other sandbox (hmpsh --sandbox libvirt): src and dst
// as two transient libvirt domains, destroyed the same ways; see Libvirt.
package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/hmpsh/hmpsh/internal/qemubin"
)

// Options shape the sandbox's QEMUs.
type Options struct {
	// QEMU is the binary: a path, or a name looked up in PATH. Empty means
	// Find's choice, the newest installed.
	QEMU string
	// Machine is -machine: "none" when empty (no RAM, no CPUs; starts in
	// milliseconds and is enough to migrate), "pc" for a machine with RAM.
	// Any -machine value is passed on as it is ("q35", "pc,accel=kvm").
	Machine string
	// Mem is -m; "64" when empty and Machine is not "none".
	Mem string
	// Stderr, when not nil, receives a copy of QEMU's standard error, each line
	// prefixed "src: " or "dst: ". It always goes to the log files as well.
	Stderr io.Writer
}

// VM is one of the sandbox's QEMUs.
type VM struct {
	Name string // "src" or "dst"
	Addr string // its QMP socket, as qmp.Dial takes it: "unix:/tmp/hmpsh-123/src.qmp"
	Pid  int
	Log  string // QEMU's standard output and error
}

// Sandbox is a directory and the two QEMUs that run in it.
type Sandbox struct {
	Dir      string // private (0700), short enough for unix socket paths inside it
	Src, Dst VM
	QEMU     string // the binary's path
	Version  string // from `QEMU --version`, e.g. "10.0.2"
	Binary   Binary

	procs    []*proc
	owner    *owner
	watchdog *exec.Cmd
	wdPipe   *os.File      // the write end of the watchdog's standard input
	wdDone   chan struct{} // closed when the watchdog has exited and been reaped

	closeOnce sync.Once
	closeErr  error
}

type proc struct {
	vm     VM
	sock   string
	cmd    *exec.Cmd
	log    *os.File
	stderr *linePrefixer // nil without Options.Stderr
	exited chan struct{} // closed when QEMU has exited; it is reaped only by Close
	conn   net.Conn      // the readiness probe's QMP connection, until taken
	how    string        // how it exited ("exit status 1"); valid once exited is closed
}

// maxDirLen leaves room under the 108-byte sockaddr_un limit for the sockets
// of the sandbox and for ones a user puts beside them ("/migrate-dest.sock").
const maxDirLen = 80

// startTimeout bounds Start when its context has no deadline of its own.
const startTimeout = 30 * time.Second

// Start finds the QEMU binary, creates the directory and starts both QEMUs,
// and returns once both monitors have sent their QMP greeting. On failure
// nothing is left behind, and the error quotes QEMU's own complaint.
func Start(ctx context.Context, o Options) (_ *Sandbox, err error) {
	bin, err := Find(o.QEMU)
	if err != nil {
		return nil, err
	}
	machine := o.Machine
	if machine == "" {
		machine = "none"
	}
	mem := o.Mem
	if mem == "" && machine != "none" {
		mem = "64"
	}
	// Each is one argument; one that looks like an option would shift the
	// rest of the command line.
	if strings.HasPrefix(machine, "-") || strings.HasPrefix(mem, "-") {
		return nil, fmt.Errorf("sandbox: machine %q, memory %q: not an option's value", machine, mem)
	}

	dir, err := makeDir()
	if err != nil {
		return nil, err
	}
	s := &Sandbox{Dir: dir, QEMU: bin.Path, Version: bin.Version.String(), Binary: bin}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if err := s.startWatchdog(); err != nil {
		// Nobody else will remove it.
		os.RemoveAll(dir)
		return nil, err
	}
	s.owner = newOwner(s.wdPipe)

	var mu sync.Mutex // shared by both prefixers, so that lines do not interleave
	for _, name := range []string{"src", "dst"} {
		sock := filepath.Join(dir, name+".qmp")
		args := append(bin.Args(),
			"-nodefaults", "-no-user-config", "-display", "none",
			"-name", name,
			"-machine", machine,
			"-qmp", "unix:"+sock+",server=on,wait=off",
		)
		if mem != "" {
			args = append(args, "-m", mem)
		}
		if name == "dst" {
			args = append(args, "-incoming", "defer")
		}
		p, err := s.startQEMU(name, sock, args, o.Stderr, &mu)
		if err != nil {
			return nil, err
		}
		s.procs = append(s.procs, p)
	}
	s.Src, s.Dst = s.procs[0].vm, s.procs[1].vm

	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for _, p := range s.procs {
		if err := p.waitReady(ctx); err != nil {
			return nil, fmt.Errorf("sandbox: QEMU %s (%s %s) did not come up: %w%s",
				p.vm.Name, bin.Path, strings.Join(p.cmd.Args[1:], " "), err, logTail(p.vm.Log))
		}
	}
	return s, nil
}

// makeDir creates the sandbox directory under $TMPDIR, or under /tmp when
// that would make socket paths too long.
func makeDir() (string, error) {
	var errs []error
	for _, base := range []string{os.TempDir(), "/tmp"} {
		if abs, err := filepath.Abs(base); err == nil {
			base = abs // the watchdog accepts only an absolute directory
		}
		d, err := os.MkdirTemp(base, "hmpsh-") // mode 0700
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(d) > maxDirLen {
			os.Remove(d)
			errs = append(errs, fmt.Errorf("%s is too long for unix socket paths inside it", d))
			continue
		}
		return d, nil
	}
	return "", fmt.Errorf("sandbox: no private directory: %w", errors.Join(errs...))
}

func (s *Sandbox) startQEMU(name, sock string, args []string, stderr io.Writer, mu *sync.Mutex) (*proc, error) {
	logPath := filepath.Join(s.Dir, name+".log")
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	cmd := exec.Command(s.Binary.Path, args...)
	cmd.Dir = s.Dir
	cmd.Env = s.Binary.Environ()
	cmd.Stdout = logf
	cmd.Stderr = logf
	p := &proc{vm: VM{Name: name, Addr: "unix:" + sock, Log: logPath}, sock: sock, cmd: cmd, log: logf, exited: make(chan struct{})}
	if stderr != nil {
		p.stderr = &linePrefixer{w: stderr, prefix: name + ": ", mu: mu}
		cmd.Stderr = io.MultiWriter(logf, p.stderr)
		cmd.WaitDelay = time.Second // Close must not hang on the copy
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := s.owner.do(cmd.Start); err != nil {
		logf.Close()
		return nil, fmt.Errorf("sandbox: starting QEMU %s: %w", name, err)
	}
	p.vm.Pid = cmd.Process.Pid
	go func() {
		p.how = waitExited(p.vm.Pid)
		close(p.exited)
	}()
	// From now on the watchdog kills this QEMU if the shell dies, even should
	// the death signal not fire. Only a QEMU that has the sandbox's directory
	// on its command line is killed, so a pid reused meanwhile is safe.
	if _, err := fmt.Fprintf(s.wdPipe, "%d\n", p.vm.Pid); err != nil {
		s.procs = append(s.procs, p) // so that Close reaps it
		return nil, fmt.Errorf("sandbox: watchdog: %w", err)
	}
	return p, nil
}

// waitReady polls until QEMU's monitor accepts a connection and sends its
// greeting, which it does once its main loop runs. The probe's connection
// is kept for the shell to take over (TakeConn): a QMP socket serves one
// client, and QEMU can turn away one that connects right after another
// left.
func (p *proc) waitReady(ctx context.Context) error {
	var lastErr error
	for {
		conn, err := qemubin.ProbeQMPConn(ctx, p.sock, 10*time.Second)
		if err == nil {
			p.conn = conn
			return nil
		}
		var notQMP *qemubin.NotQMPError
		if errors.As(err, &notQMP) {
			return err
		}
		lastErr = err
		select {
		case <-p.exited:
			return fmt.Errorf("QEMU exited (%s)", p.how)
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), lastErr)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// logTail is the end of a QEMU log, to quote in an error.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return ""
	}
	const max = 2000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return "\n" + strings.TrimRight(string(b), "\n")
}

// Close kills both QEMUs (their whole process groups), waits for them, and
// removes the directory. It is idempotent and safe to call concurrently, from
// a signal handler's goroutine too: a second caller waits for the first and
// gets the same result. It does not block for long (a few seconds at worst,
// when a process will not die).
func (s *Sandbox) Close() error {
	if s == nil {
		return nil
	}
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

// TakeConn hands over the QMP connection the sandbox made to VM name
// ("src" or "dst") when it checked that QEMU was up, greeting unread: a
// client takes it over instead of connecting again. It is nil once taken,
// and for any other name.
func (s *Sandbox) TakeConn(name string) net.Conn {
	for _, p := range s.procs {
		if p.vm.Name == name {
			c := p.conn
			p.conn = nil
			return c
		}
	}
	return nil
}

func (s *Sandbox) close() error {
	var errs []error
	for _, p := range s.procs {
		if p.conn != nil {
			p.conn.Close()
		}
	}
	// A QEMU is reaped only below, so its pid, which is also its process
	// group's id, cannot have been given to anybody else yet: killing the
	// group is safe even when QEMU has already exited (quit).
	for _, p := range s.procs {
		if err := syscall.Kill(-p.vm.Pid, syscall.SIGKILL); err != nil && err != syscall.ESRCH {
			errs = append(errs, fmt.Errorf("killing QEMU %s (pid %d): %w", p.vm.Name, p.vm.Pid, err))
		}
	}
	for _, p := range s.procs {
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
			errs = append(errs, fmt.Errorf("QEMU %s (pid %d) did not die", p.vm.Name, p.vm.Pid))
		}
	}
	// The watchdog now finds every QEMU dead, removes the directory and exits.
	if s.wdPipe != nil {
		s.wdPipe.Close()
		select {
		case <-s.wdDone:
		case <-time.After(5 * time.Second):
			syscall.Kill(-s.watchdog.Process.Pid, syscall.SIGKILL)
			<-s.wdDone
			errs = append(errs, fmt.Errorf("watchdog (pid %d) did not finish", s.watchdog.Process.Pid))
		}
	}
	for _, p := range s.procs {
		select {
		case <-p.exited:
			p.cmd.Wait() // its status is SIGKILL, or quit's 0: not an error
		default:
		}
		p.log.Close()
		if p.stderr != nil {
			p.stderr.flush()
		}
	}
	if s.owner != nil {
		s.owner.stop()
	}
	// Normally the watchdog did this already.
	if err := os.RemoveAll(s.Dir); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sandbox: close: %w", err)
	}
	return nil
}

// waitExited blocks until the process pid has exited, without reaping it
// (WNOWAIT): the zombie keeps the pid, and so its process group id, from being
// reused until Close reaps it with exec.Cmd.Wait. It says how the process
// ended.
func waitExited(pid int) string {
	const (
		pPID      = 1 // P_PID
		cldExited = 1 // CLD_EXITED; the other codes are signals
	)
	// siginfo_t for SIGCHLD on Linux: int32 si_signo, si_errno, si_code, a
	// pad to 8 bytes, then int32 si_pid, si_uid, si_status.
	var info [128]byte
	for {
		_, _, e := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid),
			uintptr(unsafe.Pointer(&info[0])), syscall.WEXITED|syscall.WNOWAIT, 0, 0)
		switch {
		case e == syscall.EINTR:
			continue
		case e != 0:
			return e.Error()
		}
		code := *(*int32)(unsafe.Pointer(&info[8]))
		status := *(*int32)(unsafe.Pointer(&info[24]))
		if code == cldExited {
			return fmt.Sprintf("exit status %d", status)
		}
		return "signal: " + syscall.Signal(status).String()
	}
}

// owner is the OS thread that forks a sandbox's QEMUs.
//
// Linux sends the parent-death signal (Pdeathsig) when the *thread* that
// forked the child exits, not when the process does, and Go threads do exit:
// the runtime ends a thread whose goroutine returns while locked to it
// (runtime.LockOSThread without Unlock), and nothing promises that it keeps
// idle threads forever. Had Start forked on whatever thread its caller ran on
// (a locked one, say), a QEMU could be killed in the middle of a session
// because some goroutine ended (TestStartingThreadMayEnd). So every
// fork of a sandbox happens on one goroutine that locks its thread and never
// unlocks it while the sandbox lives: a locked thread runs nothing else, and
// the runtime does not end it while its goroutine lives. Close stops that
// goroutine after the QEMUs are reaped; it returns still locked, so the runtime
// ends the thread, which is harmless by then. The cost is one parked OS
// thread per sandbox. (Making the watchdog QEMU's parent instead would trade
// the kernel's immediate kill for a shell script's, and hide QEMU's exit from
// the shell.)
//
// The goroutine also keeps the watchdog's pipe reachable: an *os.File that
// nobody references is closed by its finalizer, which the watchdog would take
// for the shell's death. Tearing the sandbox down is Close's job, or the
// process's end, never the garbage collector's.
type owner struct {
	req chan func()
}

func newOwner(keep *os.File) *owner {
	o := &owner{req: make(chan func())}
	go func() {
		runtime.LockOSThread()
		for f := range o.req {
			f()
		}
		runtime.KeepAlive(keep)
	}()
	return o
}

// do runs f on the owner's thread and returns its error.
func (o *owner) do(f func() error) error {
	done := make(chan error, 1)
	o.req <- func() { done <- f() }
	return <-done
}

func (o *owner) stop() { close(o.req) }

// linePrefixer writes whole lines to w, each with prefix. A write error is
// dropped: QEMU's log must not suffer for the terminal.
type linePrefixer struct {
	w      io.Writer
	prefix string
	mu     *sync.Mutex
	buf    []byte
}

func (l *linePrefixer) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.emit(l.buf[:i+1])
		l.buf = l.buf[i+1:]
	}
	return len(p), nil
}

func (l *linePrefixer) emit(line []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w.Write(append([]byte(l.prefix), line...))
}

// flush writes a last line that lacked its newline; called after QEMU is reaped.
func (l *linePrefixer) flush() {
	if len(l.buf) > 0 {
		l.emit(append(l.buf, '\n'))
		l.buf = nil
	}
}

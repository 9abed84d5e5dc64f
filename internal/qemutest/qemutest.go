// Package qemutest starts real QEMU processes for tests.
//
// Two generations are supported, the ones hmpsh targets: "7.2" (Debian 12's
// qemu-system-x86) and "10.0" (bookworm-backports', unpacked by
// build/install-qemu.sh). A test asks for a generation; when its binary is
// missing the test is skipped, unless HMPSH_REQUIRE_QEMU=1 (set by
// `make test`), where a missing QEMU is a failure: CI must not go green by
// skipping everything.
package qemutest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hmpsh/hmpsh/internal/qemubin"
)

// The generations hmpsh is tested against.
const (
	Gen72  = "7.2"
	Gen100 = "10.0"
)

// Generations lists the supported generations, oldest first.
func Generations() []string { return []string{Gen72, Gen100} }

// RequireEnv, when "1", turns a missing QEMU from a skip into a failure.
const RequireEnv = "HMPSH_REQUIRE_QEMU"

// Binary is one QEMU generation's executable and its firmware directories.
type Binary struct {
	Gen      string   // "7.2" or "10.0"
	Path     string   // the qemu-system-x86_64 executable
	DataDirs []string // passed as -L, in order; only those that exist
	// ModuleDir is the binary's own module directory, if it has one. Debian's
	// 10.0 otherwise loads the installed 7.2 modules and aborts (on
	// "-device help", "info qdm", ...); QEMU_MODULE_DIR is searched first.
	ModuleDir string
	Env       string // the environment variable that overrides Path
	Found     bool   // Path exists and is executable
}

// Environ returns the environment to run b in: os.Environ() plus
// QEMU_MODULE_DIR when b has its own modules.
func (b Binary) Environ() []string { return b.bin().Environ() }

// Args returns the -L arguments for b's firmware directories.
func (b Binary) Args() []string { return b.bin().Args() }

func (b Binary) bin() qemubin.Binary {
	return qemubin.Binary{Path: b.Path, DataDirs: b.DataDirs, ModuleDir: b.ModuleDir}
}

// Binaries returns both generations, oldest first, whether found or not.
func Binaries() []Binary {
	out := make([]Binary, 0, 2)
	for _, g := range Generations() {
		b, _ := Lookup(g)
		out = append(out, b)
	}
	return out
}

// Lookup finds the binary of generation gen. The environment variables
// HMPSH_QEMU_7_2 and HMPSH_QEMU_10_0 override the default locations:
// /usr/bin/qemu-system-x86_64 for 7.2 and
// ${QEMU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hmpsh/qemu}/10.0/usr/bin/qemu-system-x86_64
// for 10.0 (the same place build/install-qemu.sh unpacks it to). The error
// says what is missing and how to install it; the Binary is filled in even
// then, so that messages can name the path.
func Lookup(gen string) (Binary, error) {
	b := Binary{Gen: gen}
	switch gen {
	case Gen72:
		b.Env = "HMPSH_QEMU_7_2"
		b.Path = "/usr/bin/qemu-system-x86_64"
	case Gen100:
		b.Env = "HMPSH_QEMU_10_0"
		b.Path = qemubin.Cached(Gen100)
	default:
		return b, fmt.Errorf("qemutest: unknown QEMU generation %q (want %q or %q)", gen, Gen72, Gen100)
	}
	if p := os.Getenv(b.Env); p != "" {
		b.Path = p
	}
	// Firmware and modules live beside the binary (see qemubin.At).
	found := qemubin.At(b.Path)
	b.DataDirs, b.ModuleDir = found.DataDirs, found.ModuleDir
	fi, err := os.Stat(b.Path)
	switch {
	case err != nil:
		return b, fmt.Errorf("qemutest: QEMU %s not found at %s (set %s, or run build/install-qemu.sh): %w", gen, b.Path, b.Env, err)
	case fi.IsDir() || fi.Mode().Perm()&0o111 == 0:
		return b, fmt.Errorf("qemutest: QEMU %s at %s is not an executable (set %s, or run build/install-qemu.sh)", gen, b.Path, b.Env)
	}
	b.Found = true
	return b, nil
}

// Require returns gen's binary, or ends the test: skipped when QEMU is missing,
// failed when HMPSH_REQUIRE_QEMU=1.
func Require(t testing.TB, gen string) Binary {
	t.Helper()
	b, err := Lookup(gen)
	if err == nil {
		return b
	}
	switch {
	case b.Env == "":
		// An unknown generation is a bug in the test, never a reason to skip.
		t.Fatalf("%v", err)
	case os.Getenv(RequireEnv) == "1":
		t.Fatalf("%v (%s=1)", err, RequireEnv)
	}
	t.Skipf("%v", err)
	return b
}

// Options shape the QEMU command line.
type Options struct {
	Machine   string   // -machine; "none" when empty (starts in milliseconds)
	Mem       string   // -m, e.g. "64"; defaults to "64" for any machine but "none"
	Incoming  bool     // -incoming defer: a migration destination
	ExtraArgs []string // appended last
}

// Instance is one running QEMU, killed when the test ends.
type Instance struct {
	Gen     string    // the generation asked for
	Version string    // same as Gen: the QMP greeting carries the exact version
	Binary  Binary    //
	QMPPath string    // the QMP unix socket
	Dir     string    // a short private directory for migration sockets and files
	LogPath string    // QEMU's stderr
	Cmd     *exec.Cmd // already started; Cmd.Process.Pid is QEMU's pid

	exited  chan struct{}
	waitErr error
	once    sync.Once
}

// Addr is QMPPath in the form qmp.Dial takes.
func (in *Instance) Addr() string { return "unix:" + in.QMPPath }

// Exited is closed once QEMU has exited and been reaped.
func (in *Instance) Exited() <-chan struct{} { return in.exited }

// WaitErr is what exec.Cmd.Wait returned; valid after Exited is closed.
func (in *Instance) WaitErr() error {
	<-in.exited
	return in.waitErr
}

// Kill kills QEMU's process group and waits for it. Safe to call many times;
// the test's cleanup calls it too.
func (in *Instance) Kill() {
	in.once.Do(func() {
		// Negative pid: the whole group, in case QEMU forked helpers.
		_ = syscall.Kill(-in.Cmd.Process.Pid, syscall.SIGKILL)
		_ = in.Cmd.Process.Kill()
	})
	<-in.exited
}

// Stderr returns what QEMU has written to stderr so far.
func (in *Instance) Stderr() string {
	b, _ := os.ReadFile(in.LogPath)
	return string(b)
}

// sunPathMax leaves room under the 108-byte sockaddr_un limit for the
// longest name a test is likely to put in Dir ("migrate-dest.sock").
const sunPathMax = 80

// Start starts QEMU of generation gen with a QMP socket, waits until the
// monitor greets, and registers a cleanup that kills it. A missing binary
// skips the test (or fails it, with HMPSH_REQUIRE_QEMU=1); a QEMU that does not
// come up fails it, showing QEMU's stderr.
func Start(t testing.TB, gen string, opts Options) *Instance {
	t.Helper()
	bin := Require(t, gen)

	dir := shortDir(t)
	in := &Instance{
		Gen:     gen,
		Version: gen,
		Binary:  bin,
		Dir:     dir,
		QMPPath: filepath.Join(dir, "qmp.sock"),
		LogPath: filepath.Join(dir, "qemu.log"),
		exited:  make(chan struct{}),
	}
	machine := opts.Machine
	if machine == "" {
		machine = "none"
	}
	args := append(bin.Args(),
		"-no-user-config", "-nodefaults", "-display", "none",
		"-machine", machine,
		"-qmp", "unix:"+in.QMPPath+",server=on,wait=off",
	)
	mem := opts.Mem
	if mem == "" && machine != "none" {
		mem = "64"
	}
	if mem != "" {
		args = append(args, "-m", mem)
	}
	if opts.Incoming {
		args = append(args, "-incoming", "defer")
	}
	args = append(args, opts.ExtraArgs...)

	logf, err := os.Create(in.LogPath)
	if err != nil {
		t.Fatalf("qemutest: %v", err)
	}
	cmd := exec.Command(bin.Path, args...)
	cmd.Dir = dir
	cmd.Env = bin.Environ()
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid: true,
		// QEMU must never outlive a test binary that dies (panic, timeout,
		// SIGKILL), or it would hold sockets and CPU on the CI machine.
		Pdeathsig: syscall.SIGKILL,
	}
	in.Cmd = cmd
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("qemutest: starting QEMU %s: %v", gen, err)
	}
	logf.Close() // the child has its own descriptor
	go func() {
		in.waitErr = cmd.Wait()
		close(in.exited)
	}()
	t.Cleanup(in.Kill)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := in.waitReady(ctx); err != nil {
		in.Kill()
		t.Fatalf("qemutest: QEMU %s (%s %s) did not come up: %v\nstderr:\n%s",
			gen, bin.Path, strings.Join(args, " "), err, in.Stderr())
	}
	return in
}

// shortDir returns t.TempDir(), or a shorter directory when the socket path
// inside it would not fit in a sockaddr_un.
func shortDir(t testing.TB) string {
	dir := t.TempDir()
	if len(dir)+len("/qmp.sock") <= sunPathMax {
		return dir
	}
	for _, base := range []string{"", "/tmp"} {
		d, err := os.MkdirTemp(base, "hq")
		if err != nil {
			continue
		}
		if len(d)+len("/qmp.sock") > sunPathMax {
			os.RemoveAll(d)
			continue
		}
		t.Cleanup(func() { os.RemoveAll(d) })
		return d
	}
	t.Fatalf("qemutest: no directory short enough for a unix socket (TMPDIR=%q)", os.Getenv("TMPDIR"))
	return ""
}

// waitReady polls until the QMP socket accepts and QEMU sends its greeting,
// which means the main loop runs. The probe connection is closed at once;
// QEMU then accepts the test's own connection.
func (in *Instance) waitReady(ctx context.Context) error {
	var lastErr error
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-in.exited:
			return fmt.Errorf("QEMU exited: %v", in.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), lastErr)
		case <-tick.C:
		}
		err := qemubin.ProbeQMP(ctx, in.QMPPath, 5*time.Second)
		var notQMP *qemubin.NotQMPError
		if errors.As(err, &notQMP) {
			return err
		}
		if err != nil {
			lastErr = err
			continue
		}
		return nil
	}
}

// Each runs f as a parallel subtest for every generation, named after it.
func Each(t *testing.T, f func(t *testing.T, gen string)) {
	t.Helper()
	for _, gen := range Generations() {
		t.Run(gen, func(t *testing.T) {
			t.Parallel()
			f(t, gen)
		})
	}
}

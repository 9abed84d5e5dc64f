// Package qemubin knows where hmpsh's QEMU binaries live and what each needs
// to run: its firmware directories (-L) and, for an unpacked QEMU, its own
// module directory. It is shared by internal/qemutest (tests) and sandbox (the
// shell's private QEMUs), so that both find and start QEMU the same way.
package qemubin

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hmpsh/hmpsh/qmp"
)

// Name is the executable hmpsh drives.
const Name = "qemu-system-x86_64"

// Binary is one QEMU executable and what it needs beside it.
type Binary struct {
	Path     string   // the executable, as given
	DataDirs []string // passed as -L, in order; only those that exist
	// ModuleDir is the binary's own module directory, if it has one.
	// Debian's 10.0 unpacked beside an installed 7.2 otherwise loads the 7.2
	// modules and aborts (on "-device help", "info qdm", ...);
	// QEMU_MODULE_DIR is searched first.
	ModuleDir string
}

// At describes the binary at path. Firmware and modules are looked for beside
// it: PREFIX/bin/qemu -> PREFIX/share/{qemu,seabios} and
// PREFIX/lib/x86_64-linux-gnu/qemu. For the unpacked 10.0 this picks its own
// newer SeaBIOS, option ROMs and modules, which the installed 7.2's would not
// match. A symbolic link is followed first (/bin -> /usr/bin on a merged-/usr
// system), since the files sit beside the real executable. At does not check
// that path exists; see Check.
func At(path string) Binary {
	b := Binary{Path: path}
	real := path
	if r, err := filepath.EvalSymlinks(path); err == nil {
		real = r
	}
	prefix := filepath.Dir(filepath.Dir(real))
	for _, d := range []string{"qemu", "seabios"} {
		dir := filepath.Join(prefix, "share", d)
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			b.DataDirs = append(b.DataDirs, dir)
		}
	}
	mod := filepath.Join(prefix, "lib", "x86_64-linux-gnu", "qemu")
	if fi, err := os.Stat(mod); err == nil && fi.IsDir() {
		b.ModuleDir = mod
	}
	return b
}

// Check reports whether b.Path is an executable file.
func (b Binary) Check() error {
	fi, err := os.Stat(b.Path)
	switch {
	case err != nil:
		return err
	case fi.IsDir() || fi.Mode().Perm()&0o111 == 0:
		return fmt.Errorf("%s is not an executable", b.Path)
	}
	return nil
}

// Environ returns the environment to run b in: os.Environ() plus
// QEMU_MODULE_DIR when b has its own modules.
func (b Binary) Environ() []string {
	env := os.Environ()
	if b.ModuleDir != "" {
		env = append(env, "QEMU_MODULE_DIR="+b.ModuleDir)
	}
	return env
}

// Args returns the -L arguments for b's firmware directories.
func (b Binary) Args() []string {
	var args []string
	for _, d := range b.DataDirs {
		args = append(args, "-L", d)
	}
	return args
}

// CacheDir is where build/install-qemu.sh unpacks QEMUs that cannot be
// installed as packages: ${QEMU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hmpsh/qemu}.
func CacheDir() string {
	if c := os.Getenv("QEMU_CACHE"); c != "" {
		return c
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = "/root"
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "hmpsh", "qemu")
}

// Cached is the path of generation gen ("10.0") unpacked in CacheDir.
func Cached(gen string) string {
	return filepath.Join(CacheDir(), gen, "usr", "bin", Name)
}

// Version is what `qemu --version` says about itself: the number (as a
// QMP greeting would give it, so String and Less are qmp's) and the line.
type Version struct {
	qmp.Version
	Line string // the first line, e.g. "QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2...)"
}

// Version runs `b.Path --version`, which also proves that b runs at all
// (libraries present, really a QEMU).
func (b Binary) Version(ctx context.Context) (Version, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.Path, "--version")
	cmd.Env = b.Environ()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			err = fmt.Errorf("%w: %s", err, firstLine(msg))
		}
		return Version{}, fmt.Errorf("%s --version: %w", b.Path, err)
	}
	v, err := ParseVersion(string(out))
	if err != nil {
		return Version{}, fmt.Errorf("%s --version: %w", b.Path, err)
	}
	return v, nil
}

// ParseVersion reads the output of `qemu --version`:
// "QEMU emulator version 10.0.2 (Debian ...)".
func ParseVersion(out string) (Version, error) {
	line := firstLine(out)
	const intro = "QEMU emulator version "
	i := strings.Index(line, intro)
	if i < 0 {
		return Version{}, fmt.Errorf("not a QEMU version line: %q", line)
	}
	num, _, _ := strings.Cut(line[i+len(intro):], " ")
	v := Version{Line: line}
	parts := strings.SplitN(num, ".", 3)
	dst := []*int{&v.Major, &v.Minor, &v.Micro}
	for j, p := range parts {
		// Only the leading digits count: a build may append "-rc1" or "+dfsg".
		end := 0
		for end < len(p) && p[end] >= '0' && p[end] <= '9' {
			end++
		}
		n, err := strconv.Atoi(p[:end])
		if err != nil {
			return Version{}, fmt.Errorf("not a QEMU version: %q in %q", num, line)
		}
		*dst[j] = n
	}
	if len(parts) < 2 {
		return Version{}, fmt.Errorf("not a QEMU version: %q in %q", num, line)
	}
	return v, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimLeft(s, "\r\n"), "\n")
	return strings.TrimSpace(line)
}

// NotQMPError is a socket that answered with something other than a QMP
// greeting: retrying will not help.
type NotQMPError struct{ Line []byte }

func (e *NotQMPError) Error() string { return fmt.Sprintf("unexpected greeting %q", e.Line) }

// ProbeQMP connects once to a QMP unix socket and reads its greeting,
// waiting at most timeout (or until ctx ends). It skips events: QEMU may
// send one (a RESUME at start-up) before its greeting. A socket that is
// not up yet gives an ordinary error, worth retrying; one that is not QMP
// gives a *NotQMPError.
func ProbeQMP(ctx context.Context, sock string, timeout time.Duration) error {
	conn, err := ProbeQMPConn(ctx, sock, timeout)
	if err == nil {
		conn.Close()
	}
	return err
}

// ProbeQMPConn is ProbeQMP that keeps the connection: it is returned as
// if nothing had been read from it, greeting included, so that a QMP
// client can take it over. A QMP socket serves one client at a time, and
// QEMU (7.2 and 10.0 alike, under load) can refuse, or close unanswered,
// a client that connects right after another one left: handing over the
// probe's connection avoids that second connect.
func ProbeQMPConn(ctx context.Context, sock string, timeout time.Duration) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	conn.SetReadDeadline(deadline)
	br := bufio.NewReader(conn)
	var seen []byte
	for {
		line, err := br.ReadBytes('\n')
		seen = append(seen, line...)
		switch {
		case err != nil:
			conn.Close()
			return nil, err
		case bytes.HasPrefix(bytes.TrimSpace(line), []byte(`{"QMP":`)):
			conn.SetReadDeadline(time.Time{})
			// What the reader holds beyond the greeting is kept too.
			rest, _ := br.Peek(br.Buffered())
			return &replayConn{Conn: conn, r: io.MultiReader(bytes.NewReader(append(seen, rest...)), conn)}, nil
		case !bytes.Contains(line, []byte(`"event"`)):
			conn.Close()
			return nil, &NotQMPError{Line: line}
		}
	}
}

// replayConn is a connection whose first bytes were read already and are
// read again.
type replayConn struct {
	net.Conn
	r io.Reader
}

func (c *replayConn) Read(p []byte) (int, error) { return c.r.Read(p) }

package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/hmpsh/hmpsh/internal/qemubin"
)

// ErrNoQEMU is what Find's error wraps when no usable QEMU binary is found.
var ErrNoQEMU = errors.New("no QEMU found")

// Binary is the QEMU a sandbox runs: its path, the -L directories and
// environment it needs (qemubin.Binary's Args and Environ), and its version.
type Binary struct {
	qemubin.Binary
	Version qemubin.Version
}

// NoQEMUError says which binaries were tried and why none will do, and how to
// get one. It wraps ErrNoQEMU.
type NoQEMUError struct {
	Tried []string // "PATH: reason", one per candidate
}

func (e *NoQEMUError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sandbox: %v (%s)\n", ErrNoQEMU, strings.Join(e.Tried, "; "))
	b.WriteString("  install one:        sudo apt install qemu-system-x86\n")
	b.WriteString("                      or, in the hmpsh repository: make deps (runs build/install-qemu.sh)\n")
	b.WriteString("  pick one:           hmpsh --qemu /path/to/" + qemubin.Name + "\n")
	b.WriteString("  use a running one:  hmpsh --qmp unix:/path/to/qmp.sock\n")
	b.WriteString("  or without QEMU:    hmpsh --dry-run -c LINE   (prints the QMP each line would send)")
	return b.String()
}

func (e *NoQEMUError) Unwrap() error { return ErrNoQEMU }

// Find returns the QEMU to start. explicit, when not empty, is the one asked
// for (--qemu): a path, or a bare name looked up in PATH. Otherwise the
// candidates are the QEMU 10.0 that build/install-qemu.sh unpacks
// (qemubin.Cached) and qemu-system-x86_64 on PATH; the newest that runs wins,
// the unpacked one on a tie. Each candidate is run once with --version, which
// also proves it starts at all. The error is a *NoQEMUError, whose text says
// how to install a QEMU and how to do without (--qmp, --dry-run).
func Find(explicit string) (Binary, error) {
	ctx := context.Background() // qemubin's --version has its own timeout
	if explicit != "" {
		b, err := probe(ctx, explicit)
		if err != nil {
			return Binary{}, &NoQEMUError{Tried: []string{"--qemu " + err.Error()}}
		}
		return b, nil
	}
	var (
		best  Binary
		found bool
		tried []string
		seen  = map[string]bool{}
	)
	for _, path := range []string{qemubin.Cached("10.0"), qemubin.Name} {
		if real, err := filepath.EvalSymlinks(path); err == nil {
			if seen[real] {
				continue
			}
			seen[real] = true
		}
		b, err := probe(ctx, path)
		if err != nil {
			tried = append(tried, err.Error())
			continue
		}
		if !found || best.Version.Less(b.Version.Version) {
			best, found = b, true
		}
	}
	if !found {
		return Binary{}, &NoQEMUError{Tried: tried}
	}
	return best, nil
}

// probe checks that path (or a bare name in PATH) is a QEMU that runs.
func probe(ctx context.Context, path string) (Binary, error) {
	if !strings.Contains(path, "/") {
		p, err := exec.LookPath(path)
		if err != nil {
			return Binary{}, fmt.Errorf("%s: not found in PATH", path)
		}
		path = p
	}
	qb := qemubin.At(path)
	if err := qb.Check(); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Binary{}, fmt.Errorf("%s: no such file", path)
		}
		return Binary{}, err
	}
	v, err := qb.Version(ctx)
	if err != nil {
		return Binary{}, err
	}
	return Binary{Binary: qb, Version: v}, nil
}

package qemubin

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCacheDir(t *testing.T) {
	t.Setenv("QEMU_CACHE", "")
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "/home/someone")
	if got, want := Cached("10.0"), "/home/someone/.cache/hmpsh/qemu/10.0/usr/bin/qemu-system-x86_64"; got != want {
		t.Errorf("with HOME: %s, want %s", got, want)
	}
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	if got, want := CacheDir(), "/xdg/hmpsh/qemu"; got != want {
		t.Errorf("with XDG_CACHE_HOME: %s, want %s", got, want)
	}
	t.Setenv("QEMU_CACHE", "/qc")
	if got, want := CacheDir(), "/qc"; got != want {
		t.Errorf("with QEMU_CACHE: %s, want %s", got, want)
	}
}

// fakeTree makes PREFIX/bin/qemu-system-x86_64 (a script printing out) with
// the given directories under PREFIX.
func fakeTree(t *testing.T, out string, dirs ...string) (root, bin string) {
	t.Helper()
	root = t.TempDir()
	bin = filepath.Join(root, "usr", "bin", Name)
	for _, d := range append([]string{"bin"}, dirs...) {
		if err := os.MkdirAll(filepath.Join(root, "usr", d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script := "#!/bin/sh\nprintf '%s\\n' '" + out + "'\nprintf '%s\\n' \"$QEMU_MODULE_DIR\" >&2\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return root, bin
}

func TestAtFollowsLinks(t *testing.T) {
	root, bin := fakeTree(t, "QEMU emulator version 10.0.2 (fake)", "share/qemu", "share/seabios", "lib/x86_64-linux-gnu/qemu")
	link := filepath.Join(t.TempDir(), "qemu")
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	b := At(link)
	if b.Path != link {
		t.Errorf("Path = %s, want the link as given", b.Path)
	}
	want := []string{"-L", filepath.Join(root, "usr/share/qemu"), "-L", filepath.Join(root, "usr/share/seabios")}
	if !slices.Equal(b.Args(), want) {
		t.Errorf("Args() = %q, want %q", b.Args(), want)
	}
	if !slices.Contains(b.Environ(), "QEMU_MODULE_DIR="+filepath.Join(root, "usr/lib/x86_64-linux-gnu/qemu")) {
		t.Errorf("Environ() lacks QEMU_MODULE_DIR")
	}
	if err := b.Check(); err != nil {
		t.Errorf("Check: %v", err)
	}
	v, err := b.Version(context.Background())
	if err != nil || v.String() != "10.0.2" || v.Line != "QEMU emulator version 10.0.2 (fake)" {
		t.Errorf("Version = %+v, %v", v, err)
	}

	if err := At(filepath.Join(root, "nope")).Check(); err == nil {
		t.Error("Check of a missing file succeeded")
	}
	if err := At(root).Check(); err == nil || !strings.Contains(err.Error(), "not an executable") {
		t.Errorf("Check of a directory: %v", err)
	}
}

func TestVersionOfNonQEMU(t *testing.T) {
	_, bin := fakeTree(t, "hello")
	if _, err := At(bin).Version(context.Background()); err == nil || !strings.Contains(err.Error(), "not a QEMU version line") {
		t.Errorf("err = %v", err)
	}
	if _, err := At("/bin/false").Version(context.Background()); err == nil {
		t.Error("/bin/false --version succeeded")
	}
}

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright", "7.2.22", true},
		{"QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)\n", "10.0.2", true},
		{"QEMU emulator version 9.2.90\n", "9.2.90", true},
		{"QEMU emulator version 8.0.0-rc1\n", "8.0.0", true},
		{"QEMU emulator version 6.2\n", "6.2.0", true},
		{"QEMU emulator version x.y\n", "", false},
		{"QEMU emulator version 7\n", "", false},
		{"", "", false},
	} {
		v, err := ParseVersion(tc.in)
		if (err == nil) != tc.ok || (tc.ok && v.String() != tc.want) {
			t.Errorf("ParseVersion(%q) = %v, %v; want %s ok=%v", tc.in, v, err, tc.want, tc.ok)
		}
	}
	a, _ := ParseVersion("QEMU emulator version 7.2.22")
	b, _ := ParseVersion("QEMU emulator version 10.0.2")
	if !a.Less(b.Version) || b.Less(a.Version) || a.Less(a.Version) {
		t.Error("Less: 7.2.22 < 10.0.2 expected")
	}
}

// ProbeQMP against real QEMU is exercised by every qemutest and sandbox
// start; these are the answers QEMU does not give on demand.
func TestProbeQMP(t *testing.T) {
	for _, tc := range []struct {
		say    string
		notQMP bool
	}{
		{`{"QMP": {"version": {}}}` + "\n", false},
		{`{"timestamp": {}, "event": "RESUME"}` + "\r\n" + `{"QMP": {"version": {}}}` + "\n", false},
		{"SSH-2.0-OpenSSH_9.2\r\n", true},
	} {
		sock := filepath.Join(t.TempDir(), "q.sock")
		l, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			c, err := l.Accept()
			if err == nil {
				c.Write([]byte(tc.say))
				c.Close()
			}
		}()
		err = ProbeQMP(context.Background(), sock, 5*time.Second)
		var nq *NotQMPError
		if got := errors.As(err, &nq); got != tc.notQMP || (!tc.notQMP && err != nil) {
			t.Errorf("%q: %v", tc.say, err)
		}
		l.Close()
	}
	if err := ProbeQMP(context.Background(), filepath.Join(t.TempDir(), "none.sock"), time.Second); err == nil {
		t.Error("no socket: no error")
	}
}

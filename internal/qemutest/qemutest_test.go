package qemutest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestLookupDefaults(t *testing.T) {
	for _, env := range []string{"HMPSH_QEMU_7_2", "HMPSH_QEMU_10_0", "QEMU_CACHE"} {
		t.Setenv(env, "")
	}
	t.Setenv("HOME", "/home/someone")
	t.Setenv("XDG_CACHE_HOME", "")

	b, _ := Lookup(Gen72)
	if b.Path != "/usr/bin/qemu-system-x86_64" || b.Env != "HMPSH_QEMU_7_2" {
		t.Errorf("7.2: got %+v", b)
	}
	b, _ = Lookup(Gen100)
	if want := "/home/someone/.cache/hmpsh/qemu/10.0/usr/bin/qemu-system-x86_64"; b.Path != want {
		t.Errorf("10.0 with HOME: got %s, want %s", b.Path, want)
	}
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	b, _ = Lookup(Gen100)
	if want := "/xdg/hmpsh/qemu/10.0/usr/bin/qemu-system-x86_64"; b.Path != want {
		t.Errorf("10.0 with XDG_CACHE_HOME: got %s, want %s", b.Path, want)
	}
	if _, err := Lookup("9.9"); err == nil {
		t.Error("Lookup(9.9) succeeded")
	}
	if got := len(Binaries()); got != 2 {
		t.Errorf("Binaries() has %d entries", got)
	}
}

// A fake installation tree shows how the override and the -L directories
// are derived from the binary's location.
func TestLookupOverride(t *testing.T) {
	root := t.TempDir()
	bin := filepath.Join(root, "usr", "bin", "qemu-system-x86_64")
	for _, d := range []string{filepath.Dir(bin), filepath.Join(root, "usr", "share", "qemu"), filepath.Join(root, "usr", "lib", "x86_64-linux-gnu", "qemu")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HMPSH_QEMU_10_0", bin)
	b, err := Lookup(Gen100)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Found || b.Path != bin {
		t.Errorf("got %+v", b)
	}
	// No share/seabios in the fake tree: only the directories that exist.
	if want := []string{"-L", filepath.Join(root, "usr", "share", "qemu")}; strings.Join(b.Args(), " ") != strings.Join(want, " ") {
		t.Errorf("Args() = %q, want %q", b.Args(), want)
	}
	if want := "QEMU_MODULE_DIR=" + filepath.Join(root, "usr", "lib", "x86_64-linux-gnu", "qemu"); !contains(b.Environ(), want) {
		t.Errorf("Environ() lacks %s", want)
	}

	os.Chmod(bin, 0o644)
	if _, err := Lookup(Gen100); err == nil || !strings.Contains(err.Error(), "not an executable") {
		t.Errorf("non-executable: err = %v", err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// recorder stands in for a testing.TB to observe Skip and Fatal, which end
// the goroutine just as the real ones do.
type recorder struct {
	testing.TB
	mu      sync.Mutex
	skipped string
	failed  string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.mu.Lock()
	r.skipped = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.failed = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}

func runRecorded(t *testing.T, f func(tb testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func TestMissingBinarySkipsOrFails(t *testing.T) {
	t.Setenv("HMPSH_QEMU_7_2", "/nonexistent/qemu-system-x86_64")

	t.Setenv(RequireEnv, "")
	r := runRecorded(t, func(tb testing.TB) { Start(tb, Gen72, Options{}) })
	if r.skipped == "" || r.failed != "" {
		t.Errorf("without %s: skipped=%q failed=%q, want a skip", RequireEnv, r.skipped, r.failed)
	}

	t.Setenv(RequireEnv, "1")
	r = runRecorded(t, func(tb testing.TB) { Start(tb, Gen72, Options{}) })
	if r.failed == "" || r.skipped != "" {
		t.Errorf("with %s=1: skipped=%q failed=%q, want a failure", RequireEnv, r.skipped, r.failed)
	}

	t.Setenv(RequireEnv, "")
	r = runRecorded(t, func(tb testing.TB) { Require(tb, "6.0") })
	if r.failed == "" {
		t.Errorf("unknown generation: skipped=%q, want a failure", r.skipped)
	}
}

func TestLookupMessageNamesInstallScript(t *testing.T) {
	t.Setenv("HMPSH_QEMU_7_2", "/nonexistent/qemu")
	_, err := Lookup(Gen72)
	if err == nil || !strings.Contains(err.Error(), "build/install-qemu.sh") || !strings.Contains(err.Error(), "HMPSH_QEMU_7_2") {
		t.Errorf("err = %v", err)
	}
}

// greet reads the greeting of a fresh QMP connection.
func greet(t *testing.T, path string) map[string]any {
	t.Helper()
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(conn).ReadBytes('\n')
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatalf("greeting %q: %v", line, err)
	}
	return m
}

func TestStart(t *testing.T) {
	Each(t, func(t *testing.T, gen string) {
		var pid int
		t.Run("none", func(t *testing.T) {
			in := Start(t, gen, Options{})
			pid = in.Cmd.Process.Pid
			if in.Version != gen || in.Gen != gen {
				t.Errorf("Version=%q Gen=%q", in.Version, in.Gen)
			}
			if len(in.QMPPath) >= 100 {
				t.Errorf("socket path too long: %d bytes", len(in.QMPPath))
			}
			if filepath.Dir(in.QMPPath) != in.Dir {
				t.Errorf("QMPPath %s not in Dir %s", in.QMPPath, in.Dir)
			}
			g := greet(t, in.QMPPath)
			v := g["QMP"].(map[string]any)["version"].(map[string]any)["qemu"].(map[string]any)
			got := strings.Join([]string{jsonInt(v["major"]), jsonInt(v["minor"])}, ".")
			if got != gen {
				t.Errorf("greeting says %s, want %s", got, gen)
			}
			if !contains(in.Cmd.Args, "none") {
				t.Errorf("args %q lack -machine none", in.Cmd.Args)
			}
		})
		// The cleanup of the finished subtest killed and reaped QEMU.
		if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
			t.Errorf("QEMU pid %d still exists after cleanup (kill 0: %v)", pid, err)
		}

		t.Run("pc-incoming", func(t *testing.T) {
			in := Start(t, gen, Options{Machine: "pc", Incoming: true, ExtraArgs: []string{"-name", "hq-test"}})
			for _, want := range []string{"pc", "-incoming", "defer", "-m", "64", "hq-test"} {
				if !contains(in.Cmd.Args, want) {
					t.Errorf("args %q lack %q", in.Cmd.Args, want)
				}
			}
			greet(t, in.QMPPath)
			in.Kill()
			select {
			case <-in.Exited():
			default:
				t.Error("Exited not closed after Kill")
			}
			in.Kill() // idempotent
		})
	})
}

func jsonInt(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestStartFailureShowsStderr(t *testing.T) {
	Require(t, Gen72)
	r := runRecorded(t, func(tb testing.TB) {
		Start(tb, Gen72, Options{ExtraArgs: []string{"-no-such-option"}})
	})
	if !strings.Contains(r.failed, "did not come up") || !strings.Contains(r.failed, "-no-such-option") {
		t.Fatalf("QEMU with a bad option: failure %q, want one quoting its stderr", r.failed)
	}
}

func TestShortDirForLongTempDir(t *testing.T) {
	Require(t, Gen72)
	long := filepath.Join(t.TempDir(), strings.Repeat("d", 90))
	if err := os.MkdirAll(long, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", long)
	var in *Instance
	t.Run(strings.Repeat("long", 10), func(t *testing.T) {
		in = Start(t, Gen72, Options{})
		if len(in.QMPPath) > sunPathMax {
			t.Errorf("QMPPath %s is %d bytes", in.QMPPath, len(in.QMPPath))
		}
		greet(t, in.QMPPath)
	})
	if _, err := os.Stat(in.Dir); !os.IsNotExist(err) {
		t.Errorf("short dir %s left behind (stat: %v)", in.Dir, err)
	}
}

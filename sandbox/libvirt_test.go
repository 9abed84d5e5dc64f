package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hmpsh/hmpsh/internal/libvirttest"
)

// libvirtHelper is the helper process for a libvirt sandbox
// (SANDBOX_HELPER=libvirt): it starts one on SANDBOX_URI, prints it as
// one JSON line, then obeys one line of standard input, or a signal.
func libvirtHelper() {
	l, err := StartLibvirt(context.Background(), LibvirtOptions{URI: os.Getenv("SANDBOX_URI")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	json.NewEncoder(os.Stdout).Encode(l)
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	switch strings.TrimSpace(line) {
	case "close":
		if err := l.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "exit": // as a shell that forgets Close
		os.Exit(0)
	case "panic":
		panic("the helper was told to panic")
	}
	time.Sleep(time.Minute)
	runtime.KeepAlive(l)
	os.Exit(4)
}

// domains lists the domains uri knows, running or not.
func domains(t *testing.T, uri string) []string {
	t.Helper()
	out, err := libvirttest.Virsh(t, uri, "list", "--all", "--name")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(out)
}

// Both domains run, named as the sandbox names them, and are gone when
// Close returns.
func TestLibvirtStartClose(t *testing.T) {
	uri := libvirttest.System(t)
	l, err := StartLibvirt(context.Background(), LibvirtOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.URI != uri || l.Src.Name != "src" || l.Dst.Name != "dst" || !strings.HasPrefix(l.Src.Domain, "hmpsh-sandbox-src-") ||
		l.Dst.Domain != "hmpsh-sandbox-dst-"+strings.TrimPrefix(l.Src.Domain, "hmpsh-sandbox-src-") || l.Src.Addr != "libvirt:"+l.Src.Domain {
		t.Fatalf("sandbox %+v", l)
	}
	for _, d := range []Domain{l.Src, l.Dst} {
		if st, err := libvirttest.Virsh(t, uri, "domstate", d.Domain); err != nil || strings.TrimSpace(st) != "running" {
			t.Errorf("%s: %q, %v", d.Domain, st, err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if left := domains(t, uri); slices.Contains(left, l.Src.Domain) || slices.Contains(left, l.Dst.Domain) {
		t.Fatalf("after Close: %v", left)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
}

// A libvirtd that does not answer is said so, with how to start one.
func TestLibvirtUnreachable(t *testing.T) {
	uri := "qemu+unix:///system?socket=" + t.TempDir() + "/no-libvirt-sock"
	_, err := StartLibvirt(context.Background(), LibvirtOptions{URI: uri})
	var ue *LibvirtUnreachableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "build/install-libvirt.sh") || !strings.Contains(err.Error(), "libvirtd does not answer on "+uri) {
		t.Fatalf("%v, want a LibvirtUnreachableError naming build/install-libvirt.sh", err)
	}
	if _, err := StartLibvirt(context.Background(), LibvirtOptions{URI: "xen:///system"}); err == nil || !strings.Contains(err.Error(), "QEMU domains") {
		t.Fatalf("xen:///system: %v", err)
	}
}

// The domains go with the shell however it ends; for the ends the shell
// does not see (SIGKILL, a panic, an exit without Close) the watchdog
// destroys them.
func TestLibvirtEndsWithShell(t *testing.T) {
	uri := libvirttest.System(t)
	for _, tc := range []struct {
		name  string
		end   func(p *os.Process, stdin io.Writer) error
		exit0 bool
		clean bool // gone once the helper has exited
	}{
		{"Close", ltell("close"), true, true},
		{"exit-without-Close", ltell("exit"), true, false},
		{"panic", ltell("panic"), false, false},
		{"SIGTERM", func(p *os.Process, _ io.Writer) error { return p.Signal(syscall.SIGTERM) }, false, false},
		{"SIGKILL", func(p *os.Process, _ io.Writer) error { return p.Kill() }, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), "SANDBOX_HELPER=libvirt", "SANDBOX_URI="+uri)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			var l Libvirt
			got := make(chan error, 1)
			go func() {
				line, err := bufio.NewReader(stdout).ReadBytes('\n')
				if err == nil {
					err = json.Unmarshal(line, &l)
				}
				got <- err
			}()
			select {
			case err := <-got:
				if err != nil {
					cmd.Wait()
					t.Fatalf("helper: %v\n%s", err, stderr.Bytes())
				}
			case <-time.After(3 * time.Minute):
				t.Fatalf("helper did not start a sandbox\n%s", stderr.Bytes())
			}
			ours := []string{l.Src.Domain, l.Dst.Domain}
			t.Cleanup(func() {
				for _, d := range ours {
					libvirttest.Virsh(t, uri, "destroy", d)
				}
			})
			if running := domains(t, uri); !slices.Contains(running, ours[0]) || !slices.Contains(running, ours[1]) {
				t.Fatalf("domains %v, want %v among them", running, ours)
			}
			if err := tc.end(cmd.Process, stdin); err != nil {
				t.Fatal(err)
			}
			err = cmd.Wait()
			if (err == nil) != tc.exit0 {
				t.Fatalf("helper ended by %s: %v, want exit status 0: %v\n%s", tc.name, err, tc.exit0, stderr.Bytes())
			}
			deadline := time.Now().Add(time.Minute)
			for {
				left := slices.DeleteFunc(domains(t, uri), func(d string) bool { return !slices.Contains(ours, d) })
				if len(left) == 0 {
					break
				}
				if tc.clean {
					t.Fatalf("Close returned with %v still there", left)
				}
				if time.Now().After(deadline) {
					t.Fatalf("a minute after the shell ended (%v), still there: %v", err, left)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

func ltell(line string) func(*os.Process, io.Writer) error {
	return func(_ *os.Process, in io.Writer) error {
		_, err := io.WriteString(in, line+"\n")
		return err
	}
}

package shell

import (
	"bytes"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hmpsh/hmpsh/internal/libvirttest"
)

// sandboxDomains are the libvirt sandbox's domains as .monitors (or the
// banner) names them: src's, then dst's.
var sandboxDomains = regexp.MustCompile(`libvirt:(hmpsh-sandbox-(?:src|dst)-[0-9a-f]+)`)

func domainsIn(t *testing.T, text string) []string {
	t.Helper()
	var names []string
	for _, m := range sandboxDomains.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	if len(names) != 2 {
		t.Fatalf("want the two sandbox domains in:\n%s", text)
	}
	return names
}

// left is which of names libvirt at uri still knows, running or not.
func left(t *testing.T, uri string, names []string) []string {
	t.Helper()
	out, err := libvirttest.Virsh(t, uri, "list", "--all", "--name")
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(strings.Fields(out), func(d string) bool { return !slices.Contains(names, d) })
}

// destroyAfter destroys names when the test ends, should hmpsh not have.
func destroyAfter(t *testing.T, uri string, names []string) {
	t.Cleanup(func() {
		for _, d := range names {
			libvirttest.Virsh(t, uri, "destroy", d)
		}
	})
}

// goneWithin polls until libvirt knows none of names: a killed hmpsh's
// domains are destroyed by its watchdog, after hmpsh is gone.
func goneWithin(t *testing.T, uri string, names []string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		l := left(t, uri, names)
		if len(l) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v after hmpsh ended, still there: %v", d, l)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// --sandbox libvirt: two running domains, src and dst, whose monitors
// are libvirt's; lines run on both, migration is refused with virsh's
// way, and both domains are gone when hmpsh returns (.exit here).
func TestLibvirtSandbox(t *testing.T) {
	uri := libvirttest.System(t)
	var out, errOut bytes.Buffer
	code := Main([]string{"--cache-dir", t.TempDir(), "--sandbox", "libvirt", "--keep-going",
		"-c", "info status",
		"-c", "@dst info status",
		"-c", ".monitors",
		"-c", "@* info status",
		"-c", "migrate tcp:10.0.0.2:4444",
		"-c", "migrate_set_parameter downtime-limit 400",
		"-c", ".exit",
		"-c", "no_such_command_after_exit",
	}, strings.NewReader(""), &out, &errOut)
	o, e := out.String(), errOut.String()
	names := domainsIn(t, o)
	destroyAfter(t, uri, names)
	if code != 1 { // the refused migrate; .exit ends the script there
		t.Errorf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, o, e)
	}
	src, dst := names[0], names[1]
	if !strings.HasPrefix(src, "hmpsh-sandbox-src-") || dst != "hmpsh-sandbox-dst-"+strings.TrimPrefix(src, "hmpsh-sandbox-src-") {
		t.Errorf("domains %v", names)
	}
	for _, want := range []string{
		"VM status: running\nVM status: running\n",
		"src: VM status: running\n", "dst: VM status: running\n",
	} {
		if !strings.Contains(o, want) {
			t.Errorf("stdout lacks %q:\n%s", want, o)
		}
	}
	q := regexp.QuoteMeta
	for _, re := range []string{`(?m)^\* src +` + q("libvirt:"+src) + ` +QEMU `, `(?m)^  dst +` + q("libvirt:"+dst) + ` +QEMU `} {
		if !regexp.MustCompile(re).MatchString(o) {
			t.Errorf(".monitors lacks %s:\n%s", re, o)
		}
	}
	for _, want := range []string{
		"migrate: not sent: src is managed by libvirt",
		"virsh -c qemu:///system migrate --live " + src + " qemu+ssh://10.0.0.2/system",
		"warning: src is managed by libvirt",
	} {
		if !strings.Contains(e, want) {
			t.Errorf("stderr lacks %q:\n%s", want, e)
		}
	}
	if strings.Contains(e, "no_such_command") {
		t.Errorf("a line after .exit ran:\n%s", e)
	}
	// Gone when hmpsh returns, not later.
	if l := left(t, uri, names); len(l) != 0 {
		t.Errorf("after hmpsh returned, libvirt still has %v", l)
	}
}

// In the shell: the banner names both domains and says what to try and
// how a migration goes; Ctrl-D leaves, and the domains go.
func TestLibvirtSandboxInteractive(t *testing.T) {
	uri := libvirttest.System(t)
	env, _ := xdg(t)
	tm := startTerm(t, env, "--sandbox", "libvirt")
	waitScreen(t, tm, `(?m)^\(src\)$`, 3*time.Minute)
	screen := tm.screen()
	names := domainsIn(t, screen)
	destroyAfter(t, uri, names)
	q := regexp.QuoteMeta
	for _, re := range []string{
		`hmpsh sandbox: two libvirt domains on qemu:///system, QEMU \S+ \(TCG, -machine pc, 64 MiB\)`,
		`(?m)^  src  ` + q("libvirt:"+names[0]) + `  running$`,
		`(?m)^  dst  ` + q("libvirt:"+names[1]) + `  running$`,
		`(?m)^  info migrate_parameters$`,
		`(?m)^  virsh -c qemu:///system migrate --live ` + q(names[0]) + ` DESTURI$`,
		`libvirt refuses that\s+\("Attempt\s+to\s+migrate\s+guest\s+to\s+the\s+same\s+host"\)`,
	} {
		if !regexp.MustCompile(re).MatchString(screen) {
			t.Errorf("the banner lacks %s:\n%s", re, screen)
		}
	}
	tm.send("stop\r")
	tm.expect(` src STOP`)
	if st, err := libvirttest.Virsh(t, uri, "domstate", names[0]); err != nil || strings.TrimSpace(st) != "paused" {
		t.Errorf("after stop, libvirt says src is %q (%v), want paused", st, err)
	}
	tm.send("@* info status\r")
	tm.expect(`dst: VM status: running`)
	tm.send("\x04")
	if code := waitExit(t, tm.cmd, 3*time.Minute); code != 0 {
		t.Errorf("exit %d", code)
	}
	if l := left(t, uri, names); len(l) != 0 {
		t.Errorf("after Ctrl-D, libvirt still has %v", l)
	}
}

// waitScreen waits, up to d, until the terminal shows re: starting two
// domains takes libvirt longer than a QEMU of hmpsh's own.
func waitScreen(t *testing.T, tm *term, re string, d time.Duration) {
	t.Helper()
	rx := regexp.MustCompile(re)
	for deadline := time.Now().Add(d); !rx.MatchString(tm.screen()); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never showed %q; it shows:\n%s", re, tm.screen())
		}
	}
}

// waitExit waits, up to d, for cmd to exit, and returns its status.
func waitExit(t *testing.T, cmd *exec.Cmd, d time.Duration) int {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- cmd.Wait() }()
	select {
	case err := <-errc:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(d):
		t.Fatalf("hmpsh did not exit within %v", d)
	}
	return -1
}

// A SIGTERMed or SIGHUPed hmpsh destroys its domains on its way out; a
// SIGKILLed one cannot, and its watchdog does.
func TestLibvirtSandboxKilled(t *testing.T) {
	uri := libvirttest.System(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(hmpshBinary(t), "--cache-dir", t.TempDir(), "--sandbox", "libvirt", "-c", ".monitors", "-c", ".sleep 10m")
			var out, errOut syncBuffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			for deadline := time.Now().Add(3 * time.Minute); len(sandboxDomains.FindAllString(out.String(), -1)) < 2; time.Sleep(50 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("no .monitors after 3 minutes\nstdout:\n%s\nstderr:\n%s", &out, &errOut)
				}
			}
			names := domainsIn(t, out.String())
			destroyAfter(t, uri, names)
			if l := left(t, uri, names); len(l) != 2 {
				t.Fatalf("libvirt has %v of %v", l, names)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			code := waitExit(t, cmd, 3*time.Minute)
			if want := 128 + int(sig); sig != syscall.SIGKILL && code != want {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, want, &errOut)
			}
			goneWithin(t, uri, names, 2*time.Minute)
		})
	}
}

// A libvirtd that does not answer ends hmpsh at once, with exit status 2
// and how to start one.
func TestLibvirtSandboxUnreachable(t *testing.T) {
	uri := "qemu+unix:///system?socket=" + t.TempDir() + "/no-libvirt-sock"
	var out, errOut bytes.Buffer
	code := Main([]string{"--cache-dir", t.TempDir(), "--sandbox", "libvirt@" + uri, "-c", "info status"}, strings.NewReader(""), &out, &errOut)
	if e := errOut.String(); code != ExitMonitor || !strings.HasPrefix(e, "hmpsh: sandbox: libvirtd does not answer on "+uri+": ") || !strings.Contains(e, "build/install-libvirt.sh") || out.Len() != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, &out, e)
	}
}

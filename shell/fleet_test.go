package shell

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hmpsh/hmpsh/internal/qemutest"
)

// fleet starts three QEMUs, a on 7.2 and bb and c on 10.0 (names of two
// lengths: the blocks line up), and returns them in that order.
func fleet(t *testing.T) []*qemutest.Instance {
	t.Helper()
	return []*qemutest.Instance{
		qemutest.Start(t, qemutest.Gen72, qemutest.Options{}),
		qemutest.Start(t, qemutest.Gen100, qemutest.Options{}),
		qemutest.Start(t, qemutest.Gen100, qemutest.Options{}),
	}
}

var fleetNames = []string{"a", "bb", "c"}

// fleetArgs are the --qmp options of a fleet.
func fleetArgs(qs []*qemutest.Instance) []string {
	var args []string
	for i, q := range qs {
		args = append(args, "--qmp", fleetNames[i]+"="+q.Addr())
	}
	return args
}

// fleetSession connects a session to a fleet as a, bb and c.
func fleetSession(t *testing.T, qs []*qemutest.Instance, cfg Config) *Session {
	t.Helper()
	s := newTestSession(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i, q := range qs {
		if _, err := s.Connect(ctx, fleetNames[i], q.Addr()); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// runLine runs one line on s in the background; the channel gets its
// error.
func runLine(s *Session, line string) <-chan error {
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		done <- s.Run(ctx, line)
	}()
	return done
}

// waitFor waits until text has every string of want, or fails the test.
func waitFor(t *testing.T, text func() string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		missing := false
		for _, w := range want {
			if !strings.Contains(text(), w) {
				missing = true
			}
		}
		if !missing {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("never saw %q in:\n%s", want, text())
}

func sendSignal(t *testing.T, q *qemutest.Instance, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(q.Cmd.Process.Pid, sig); err != nil {
		t.Fatal(err)
	}
}

// "@* LINE" runs LINE on every monitor and prints each one's output as a
// block in the order of .monitors, each line after "NAME: "; with --json
// each value names its monitor. The line is translated for each QEMU:
// info status needs no schema, migrate_set_parameter reads each one's.
func TestEachMonitor(t *testing.T) {
	qs := fleet(t)
	cache := t.TempDir()
	args := append(fleetArgs(qs), "--no-events")

	out, errOut, code := hmpsh(t, cache, append(args, "-c", "@bb stop", "-c", "@* info status", "-c", "@* migrate_set_parameter downtime-limit 250", "-c", "@* info migrate_parameters", "-c", "@bb cont", "-c", "@* info version")...)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if want := "a:  VM status: running\nbb: VM status: paused\nc:  VM status: running\n"; !strings.HasPrefix(out, want) {
		t.Errorf("@* info status printed\n%s\nwant it to start with\n%s", out, want)
	}
	// info migrate_parameters is QEMU's own text, one block per monitor.
	if got := regexp.MustCompile(`(?m)^(a: |bb:|c: ) downtime-limit: 250 ms$`).FindAllString(out, -1); len(got) != 3 {
		t.Errorf("want downtime-limit 250 ms in each block, got %q:\n%s", got, out)
	}
	// info version is HMP passed through.
	if !regexp.MustCompile(`(?m)^a:  7\.2\.\d+.*\nbb: 10\.0\.\d+.*\nc:  10\.0\.\d+`).MatchString(out) {
		t.Errorf("@* info version printed no block per QEMU version:\n%s", out)
	}
	if i, j, k := strings.Index(out, "a:  announce-initial"), strings.Index(out, "bb: announce-initial"), strings.Index(out, "c:  announce-initial"); !(i >= 0 && i < j && j < k) {
		t.Errorf("blocks not in the order a, bb, c:\n%s", out)
	}

	out, errOut, code = hmpsh(t, cache, append(args, "--json", "-c", "@* info status", "-c", "@* query-status", "-c", `@* {"execute":"query-status"}`)...)
	if code != 0 {
		t.Fatalf("--json: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 9 {
		t.Fatalf("--json printed %d lines, want 9:\n%s", len(lines), out)
	}
	for i, l := range lines {
		want := `,"monitor":"` + fleetNames[i%3] + `"}`
		if !strings.HasPrefix(l, `{"return":`) || !strings.HasSuffix(l, want) || !strings.Contains(l, `"status":"running"`) && !strings.Contains(l, `"status": "running"`) {
			t.Errorf("--json line %d: %s; want a reply ending in %s", i+1, l, want)
		}
	}

	// --parallel 1 (TestEachMonitorParallel1 shows what it does); 0 is
	// refused.
	out, errOut, code = hmpsh(t, cache, append(args, "--parallel", "1", "-c", "@* info status")...)
	if code != 0 || out != "a:  VM status: running\nbb: VM status: running\nc:  VM status: running\n" {
		t.Errorf("--parallel 1: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	_, errOut, code = hmpsh(t, cache, append(args, "--parallel", "0", "-c", "@* info status")...)
	if code != ExitMonitor || !strings.Contains(errOut, "--parallel 0: want 1 or more") {
		t.Errorf("--parallel 0: exit %d: %s", code, errOut)
	}

	// A line one QEMU cannot take is sent to none: 7.2 has no
	// zero-page-detection, and the 10.0s are left as they were.
	out, errOut, code = hmpsh(t, cache, append(args, "--trace", "-c", "@* migrate_set_parameter zero-page-detection none")...)
	if code != ExitFailed || out != "" {
		t.Errorf("exit %d, stdout %q", code, out)
	}
	if !strings.Contains(errOut, `-c:1: monitor a: migrate_set_parameter: parameter "zero-page-detection" exists in QEMU 10.0 but not in this QEMU (7.2`) ||
		strings.Contains(errOut, "migrate-set-parameters") || strings.Contains(errOut, "monitor bb") {
		t.Errorf("want an error for a alone and nothing sent:\n%s", errOut)
	}

	// The same error on every monitor is said once; an error on some
	// names each; what printed is printed all the same. .wait runs on
	// each monitor; session commands and help are refused.
	out, errOut, code = hmpsh(t, cache, append(args, "--keep-going", "-c", "@bb stop",
		"-c", "@* bogus_command_x", "-c", "@* .wait status running timeout=300ms", "-c", `@* {"execute":"bogus"}`,
		"-c", "@* .use bb", "-c", "@* help migrate", "-c", "@* .monitors")...)
	if code != ExitFailed {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{
		"-c:2: unknown command \"bogus_command_x\"\n",
		"-c:3: monitor bb: .wait status running: timed out after 300ms; last seen: paused\n",
		"-c:4: CommandNotFound: The command bogus has not been found\n",
		"-c:5: .use acts on the session, not on one monitor; leave out @*\n",
		"-c:6: help is about one QEMU and does not run on every monitor: write @NAME help\n",
		"-c:7: .monitors acts on the session, not on one monitor; leave out @*\n",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "monitor a:") || strings.Contains(errOut, "monitor c:") {
		t.Errorf("a and c did not fail:\n%s", errOut)
	}
	if n := strings.Count(out, `{"error": {"class": "CommandNotFound"`) + strings.Count(out, `{"error":{"class":"CommandNotFound"`); n != 3 {
		t.Errorf("want the error reply of each of the 3 monitors, got %d:\n%s", n, out)
	}
}

// A monitor that is down before the line (its QEMU killed, or
// .disconnect) or lost during it is reported, by name, with exit status
// 2, while the others answer.
func TestEachMonitorLost(t *testing.T) {
	qs := fleet(t)
	errOut := &syncBuffer{}
	out := &syncBuffer{}
	s := fleetSession(t, qs, Config{Out: out, Err: errOut, Trace: true, NoEvents: true})

	// Lost mid-line: c has the request when its QEMU dies.
	sendSignal(t, qs[2], syscall.SIGSTOP)
	done := runLine(s, "@* info status")
	waitFor(t, errOut.String, `c -> {"execute":"query-status"}`)
	qs[2].Kill()
	err := <-done
	s.out.flush()
	if code := exitCode(err); code != ExitMonitor || err == nil || !strings.HasPrefix(err.Error(), "monitor c: ") || strings.Contains(err.Error(), "monitor a") {
		t.Errorf("exit %d, error %v; want 2 and c named alone", code, err)
	}
	if want := "a:  VM status: running\nbb: VM status: running\n"; out.String() != want {
		t.Errorf("stdout %q, want %q", out.String(), want)
	}

	// Down before the line: lost, and disconnected. (Done, not watched:
	// the client closes Events, which ends watch, just before Done.)
	<-s.mons.lookup("c").client.Done()
	if err := s.Disconnect("a"); err != nil {
		t.Fatal(err)
	}
	before := len(out.String())
	err = <-runLine(s, "@* info status")
	s.out.flush()
	if code := exitCode(err); code != ExitMonitor {
		t.Errorf("exit %d, want 2", code)
	}
	want := "monitor a: disconnected (.connect a ADDR attaches it again)\nmonitor c: lost: qmp: connection closed by QEMU"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %v\nwant it to start with\n%s", err, want)
	}
	if got := out.String()[before:]; got != "bb: VM status: running\n" {
		t.Errorf("stdout %q", got)
	}
	// A script says each after FILE:LINE.
	lines := errorLines(err)
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "monitor a: ") || !strings.HasPrefix(lines[1], "monitor c: ") {
		t.Errorf("errorLines: %q", lines)
	}
	var me *MonitorError
	if !errors.As(err, &me) {
		t.Error("no MonitorError in the error")
	}
}

// The blocks come in the order of .monitors even when the first monitor
// answers last: a stopped QEMU answers once it goes on, after the others
// have (the trace shows their replies first).
func TestEachMonitorOrder(t *testing.T) {
	qs := fleet(t)
	errOut := &syncBuffer{}
	out := &syncBuffer{}
	s := fleetSession(t, qs, Config{Out: out, Err: errOut, Trace: true, NoEvents: true})
	sendSignal(t, qs[0], syscall.SIGSTOP)
	done := runLine(s, "@* info status")
	waitFor(t, errOut.String, "bb <- ", "c <- ", `a -> {"execute":"query-status"}`)
	sendSignal(t, qs[0], syscall.SIGCONT)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s.out.flush()
	if want := "a:  VM status: running\nbb: VM status: running\nc:  VM status: running\n"; out.String() != want {
		t.Errorf("stdout %q, want %q", out.String(), want)
	}
	trace := errOut.String()
	if i := strings.Index(trace, "a <- "); i < strings.Index(trace, "bb <- ") || i < strings.Index(trace, "c <- ") {
		t.Errorf("a did not answer last:\n%s", trace)
	}
}

// --parallel 1 talks to one monitor at a time, in order: each request's
// reply comes before the next request.
func TestEachMonitorParallel1(t *testing.T) {
	qs := fleet(t)
	errOut := &syncBuffer{}
	out := &syncBuffer{}
	s := fleetSession(t, qs, Config{Out: out, Err: errOut, Trace: true, NoEvents: true, Parallel: 1})
	if err := <-runLine(s, "@* info status"); err != nil {
		t.Fatal(err)
	}
	s.out.flush()
	if want := "a:  VM status: running\nbb: VM status: running\nc:  VM status: running\n"; out.String() != want {
		t.Errorf("stdout %q, want %q", out.String(), want)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(errOut.String()), "\n") {
		f := strings.Fields(l)
		got = append(got, f[0]+" "+f[1])
	}
	if want := "a -> ,a <- ,bb -> ,bb <- ,c -> ,c <- "; strings.Join(got, " ,")+" " != want {
		t.Errorf("trace %q, want %q:\n%s", got, want, errOut.String())
	}
}

// The pieces of a block and of a JSON value.
func TestEachBlocks(t *testing.T) {
	var b bytes.Buffer
	writeBlock(&b, blockPrefix("a", 2), []byte("x\n\n  y"))
	if want := "a:  x\na:\na:    y\n"; b.String() != want {
		t.Errorf("writeBlock: %q, want %q", b.String(), want)
	}
	for in, want := range map[string]string{
		`{"return":{}}`:               `{"return":{},"monitor":"m"}`,
		`{}`:                          `{"monitor":"m"}`,
		"{ \"return\": {} }\r\n":      `{ "return": {} ,"monitor":"m"}`,
		`[1]`:                         `[1]`,
		`{"error":{"class":"X"}}`:     `{"error":{"class":"X"},"monitor":"m"}`,
		`{"event":"STOP","data":{} }`: `{"event":"STOP","data":{} ,"monitor":"m"}`,
	} {
		if got := string(withMonitor([]byte(in), "m")); got != want {
			t.Errorf("withMonitor(%q) = %s, want %s", in, got, want)
		}
	}
	mk := masker{names: []string{"a", "bb"}}
	mask := mk.mask(nil)
	for in, want := range map[string]string{
		"a:  event 2026-12-01T08:22:31.971153Z a STOP": "a:  event ... a STOP",
		"bb: event 2026-12-01T08:22:31.971153Z STOP":   "bb: event ... STOP",
		"ab: event 2026-12-01T08:22:31.971153Z STOP":   "ab: event 2026-12-01T08:22:31.971153Z STOP",
	} {
		if got := mask(in); got != want {
			t.Errorf("mask(%q) = %q, want %q", in, got, want)
		}
	}
}

package shell

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hmpsh/hmpsh/internal/libvirttest"
	"github.com/hmpsh/hmpsh/shell/complete"
)

// hmpsh on a libvirt domain, locally, over qemu+tcp, over qemu+ssh (a
// private sshd on loopback) and over qemu+tls (a TLS endpoint of the
// test's own in front of libvirtd): every kind of line
// runs as on a socket, events arrive, the live schema types lines.
func TestLibvirtLines(t *testing.T) {
	uri := libvirttest.System(t)
	a := libvirttest.Domain(t, uri, libvirttest.Name(t, "lines-a"))
	b := libvirttest.Domain(t, uri, libvirttest.Name(t, "lines-b"))
	for _, tc := range []struct{ name, uri string }{
		{"local", ""},
		{"tcp", "@" + libvirttest.SystemTCP(t)},
		{"ssh", "@" + libvirttest.SSHURI(t)},
		{"tls", "@" + libvirttest.TLSURI(t)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Main([]string{"--cache-dir", t.TempDir(),
				"--qmp", "libvirt:" + a + tc.uri, "--qmp", "second=libvirt:" + b + tc.uri,
				"-c", "info status",
				"-c", `{"execute":"query-status"}`,
				"-c", "query-status",
				"-c", "info mtree -f", // passed through as HMP
				"-c", "migrate_set_parameter downtime-limit 400", // typed by the live schema
				"-c", "stop", "-c", "cont",
				"-c", "@second info status",
				"-c", ".monitors",
			}, strings.NewReader(""), &out, &errOut)
			if code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, &out, &errOut)
			}
			o := out.String()
			for _, want := range []string{
				"VM status: running\n",
				`{"return":{"status":"running","singlestep":false,"running":true}}`,
				`"status": "running"`,
				"FlatView #0",
				" STOP\n", " RESUME\n",
			} {
				if !strings.Contains(o, want) {
					t.Errorf("stdout lacks %q:\n%s", want, o)
				}
			}
			q := regexp.QuoteMeta
			for _, want := range []string{q("* "+a) + " +" + q("libvirt:"+a+tc.uri) + ` +QEMU 7\.2`, "second +" + q("libvirt:"+b+tc.uri) + ` +QEMU 7\.2`} {
				if !regexp.MustCompile(want).MatchString(o) {
					t.Errorf(".monitors lacks %s:\n%s", want, o)
				}
			}
			// STOP comes after stop's line and before cont's.
			if i, j := strings.Index(o, " STOP\n"), strings.Index(o, " RESUME\n"); i < 0 || j < i {
				t.Errorf("events out of order:\n%s", o)
			}
			if !strings.Contains(errOut.String(), "warning: "+a+" is managed by libvirt") {
				t.Errorf("no warning for migrate_set_parameter:\n%s", &errOut)
			}
		})
	}
}

// The live schema of a libvirt domain's QEMU drives completion as it does
// on a socket.
func TestLibvirtCompletion(t *testing.T) {
	uri := libvirttest.System(t)
	d := libvirttest.Domain(t, uri, libvirttest.Name(t, "complete"))
	s := newTestSession(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := s.Connect(ctx, "vm", "libvirt:"+d); err != nil {
		t.Fatal(err)
	}
	if err := s.Run(ctx, "migrate_set_parameter downtime-limit 300"); err != nil {
		t.Fatal(err) // reads the schema
	}
	// compress is a capability of QEMU 7.2 (the domain's) that 10.0 lost:
	// offered only from the live schema.
	c := complete.New(completionSource{sess: s})
	line := "migrate_set_capability compr"
	cands, n := c.Candidates(line, len(line))
	if !slices.ContainsFunc(cands, func(cd complete.Candidate) bool {
		return strings.HasPrefix(line[:len(line)-n]+cd.Text, "migrate_set_capability compress")
	}) {
		t.Fatalf("%q: candidates %+v lack compress (QEMU 7.2's)", line, cands)
	}
	// Domain names after libvirt: come from libvirtd, listed in the
	// background: the first Tab starts the listing.
	line = ".connect x libvirt:" + d[:len(d)-3]
	deadline := time.Now().Add(20 * time.Second)
	for {
		cands, n = c.Candidates(line, len(line))
		if slices.ContainsFunc(cands, func(cd complete.Candidate) bool { return line[:len(line)-n]+cd.Text == ".connect x libvirt:"+d+" " }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q: candidates %+v lack the domain %s", line, cands, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// .connect libvirt:DOMAIN alone: the same, in NAME's place.
	line = ".connect libvirt:" + d[:len(d)-3]
	cands, n = c.Candidates(line, len(line))
	if !slices.ContainsFunc(cands, func(cd complete.Candidate) bool { return line[:len(line)-n]+cd.Text == ".connect libvirt:"+d+" " }) {
		t.Errorf("%q: candidates %+v lack the domain %s", line, cands, d)
	}
}

// Every migration command is refused before anything is sent, with the
// virsh command that does it libvirt's way; explain says the same.
func TestLibvirtMigrationRefused(t *testing.T) {
	uri := libvirttest.System(t)
	d := libvirttest.Domain(t, uri, libvirttest.Name(t, "refuse"))
	for _, tc := range []struct{ line, virsh string }{
		{"migrate tcp:10.0.0.2:4444", "virsh -c qemu:///system migrate --live " + d + " qemu+ssh://10.0.0.2/system --migrateuri tcp://10.0.0.2:4444"},
		{"migrate -d -c socket,type=inet,host=h2,port=49152", "virsh -c qemu:///system migrate --live " + d + " qemu+ssh://h2/system --migrateuri tcp://h2:49152"},
		{"migrate unix:/run/m.sock", "--migrateuri unix:///run/m.sock"},
		{"migrate -c file,filename=/tmp/vm.state", "virsh -c qemu:///system save " + d + " /tmp/vm.state"},
		{"migrate_incoming tcp:0:4444", "virsh -c SOURCEURI migrate --live DOMAIN qemu:///system"},
		{"migrate_recover tcp:0:4444", "libvirt starts the destination itself"},
		{"migrate_cancel", "virsh -c qemu:///system domjobabort " + d},
		{"migrate_pause", "virsh -c qemu:///system domjobabort --postcopy " + d},
		{"migrate_continue pre-switchover", "domjobinfo " + d},
		{"migrate_start_postcopy", "virsh -c qemu:///system migrate-postcopy " + d},
		{`{"execute":"migrate","arguments":{"uri":"tcp:h3:1234"}}`, "--migrateuri tcp://h3:1234"},
		{`human-monitor-command command-line=migrate_cancel`, "domjobabort " + d},
	} {
		var out, errOut bytes.Buffer
		code := Main([]string{"--cache-dir", t.TempDir(), "--trace", "--qmp", "libvirt:" + d, "-c", tc.line}, strings.NewReader(""), &out, &errOut)
		e := errOut.String()
		if code != 1 || !strings.Contains(e, "not sent: "+d+" is managed by libvirt") || !strings.Contains(e, tc.virsh) {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant exit 1 and %q", tc.line, code, e, tc.virsh)
		}
		if regexp.MustCompile(`(?m)^-> .*migrat`).MatchString(e) {
			t.Errorf("%s: something was sent:\n%s", tc.line, e)
		}
	}
	// .explain shows the refusal for the connected domain.
	var out, errOut bytes.Buffer
	Main([]string{"--cache-dir", t.TempDir(), "--qmp", "libvirt:" + d, "-c", ".explain migrate tcp:10.0.0.2:4444"}, strings.NewReader(""), &out, &errOut)
	if !strings.Contains(out.String(), "virsh -c qemu:///system migrate --live "+d) {
		t.Errorf(".explain: no virsh equivalent:\n%s\n%s", &out, &errOut)
	}
	// Reading and tuning go through, with the warning.
	out.Reset()
	errOut.Reset()
	code := Main([]string{"--cache-dir", t.TempDir(), "--qmp", "libvirt:" + d,
		"-c", "migrate_set_parameter max-bandwidth 12M", "-c", "migrate_set_capability xbzrle on",
		"-c", "info migrate_parameters", "-c", "info migrate_capabilities", "-c", "info migrate"}, strings.NewReader(""), &out, &errOut)
	if code != 0 || !strings.Contains(out.String(), "max-bandwidth: 12582912 bytes/second") || !strings.Contains(out.String(), "xbzrle: on") {
		t.Errorf("tuning: exit %d\n%s\n%s", code, &out, &errOut)
	}
	if n := strings.Count(errOut.String(), "is managed by libvirt"); n != 2 {
		t.Errorf("%d warnings, want one per tuning line:\n%s", n, &errOut)
	}
}

// A domain destroyed, and a libvirtd killed, during a session: reported
// at once as a lost monitor (exit 2 in a script), nothing hangs, and no
// goroutine is left behind.
func TestLibvirtLost(t *testing.T) {
	d := libvirttest.Private(t)
	dom := libvirttest.Domain(t, d.URI, libvirttest.Name(t, "lost"))
	before := runtime.NumGoroutine()
	errOut := &syncBuffer{}
	s := newTestSession(t, Config{Err: errOut})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	m, err := s.Connect(ctx, "vm", "libvirt:"+dom+"@"+d.URI)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(ctx, "info status"); err != nil {
		t.Fatal(err)
	}
	d.Kill()
	select {
	case <-m.watched:
	case <-time.After(20 * time.Second):
		t.Fatal("libvirtd killed: the monitor is still up after 20 s")
	}
	if !strings.Contains(errOut.String(), "hmpsh: monitor vm lost: libvirt connection") {
		t.Errorf("stderr:\n%s (Err %v)", errOut, m.client.Err())
	}
	err = s.Run(ctx, "info status")
	var me *MonitorError
	if !errors.As(err, &me) {
		t.Fatalf("a line after the loss: %v, want a MonitorError", err)
	}
	s.Close()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before+2 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// In a script, a destroyed domain is a lost monitor: exit 2.
func TestLibvirtDomainDestroyedInScript(t *testing.T) {
	uri := libvirttest.System(t)
	dom := libvirttest.Domain(t, uri, libvirttest.Name(t, "destroyed"))
	script := filepath.Join(t.TempDir(), "s.hmp")
	os.WriteFile(script, []byte("info status\n.wait status paused timeout=60s\ninfo status\n"), 0o644)
	done := make(chan struct{})
	out, errOut := &syncBuffer{}, &syncBuffer{}
	var code int
	go func() {
		defer close(done)
		code = Main([]string{"--cache-dir", t.TempDir(), "--qmp", "libvirt:" + dom, "-f", script}, strings.NewReader(""), out, errOut)
	}()
	// Destroyed while line 2 waits.
	for !strings.Contains(out.String(), "VM status: running") {
		select {
		case <-done:
			t.Fatalf("ended early: exit %d\n%s\n%s", code, out, errOut)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if _, err := libvirttest.Virsh(t, uri, "destroy", dom); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the script goes on waiting on a destroyed domain")
	}
	// Whether libvirt's lifecycle event or the failed request says it
	// first, the monitor is lost.
	if e := errOut.String(); code != 2 || !strings.Contains(e, "domain "+dom) || !strings.Contains(e, "s.hmp:2:") {
		t.Fatalf("exit %d, stderr:\n%s", code, e)
	}
}

// "@* LINE" over every domain of one libvirtd (libvirt:*@URI, a private
// daemon so that no other test's domain joins the fleet): blocks in the
// order of .monitors, in text and --json; a domain destroyed while the
// line waits is reported lost (exit 2) while the others answer.
func TestLibvirtFleet(t *testing.T) {
	d := libvirttest.Private(t)
	var doms []string
	for _, n := range []string{"fleet-a", "fleet-b", "fleet-c"} {
		doms = append(doms, libvirttest.Domain(t, d.URI, libvirttest.Name(t, n)))
	}
	// A domain whose name is no monitor name is left out with a word.
	odd := libvirttest.Domain(t, d.URI, libvirttest.Name(t, "fleet")+".odd")
	all := "libvirt:*@" + d.URI
	cache := t.TempDir()

	var out, errOut bytes.Buffer
	code := Main([]string{"--cache-dir", cache, "--qmp", all, "-c", ".monitors", "-c", "@* migrate_set_parameter downtime-limit 250", "-c", "@* info status"}, strings.NewReader(""), &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, &out, &errOut)
	}
	// The blocks come in the order .monitors lists the domains.
	var order []string
	for _, l := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(strings.TrimPrefix(l, "* ")); len(f) > 1 && strings.HasPrefix(f[1], "libvirt:") {
			order = append(order, f[0])
		}
	}
	if got, want := slices.Sorted(slices.Values(order)), doms; !slices.Equal(got, want) {
		t.Fatalf(".monitors lists %v, want %v:\n%s", order, want, &out)
	}
	var want strings.Builder
	width := 0
	for _, n := range order {
		width = max(width, len(n))
	}
	for _, n := range order {
		want.WriteString(n + ":" + strings.Repeat(" ", width-len(n)+1) + "VM status: running\n")
	}
	if !strings.HasSuffix(out.String(), want.String()) {
		t.Errorf("@* info status:\n%s\nwant it to end with:\n%s", &out, &want)
	}
	// Tuning the fleet warns once, naming every domain in that order.
	skipped := "hmpsh: " + all + ": domain \"" + odd + "\" is not a monitor name (letters, digits, - and _): name it with NAME=libvirt:" + odd + "; skipped\n"
	if w := skipped + "hmpsh: " + tunedWarning(order) + "\n"; errOut.String() != w {
		t.Errorf("stderr:\n%s\nwant:\n%s", &errOut, w)
	}

	out.Reset()
	errOut.Reset()
	code = Main([]string{"--cache-dir", cache, "--json", "--qmp", all, "-c", "@* info status"}, strings.NewReader(""), &out, &errOut)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if code != 0 || len(lines) != len(order) {
		t.Fatalf("--json: exit %d\n%s\n%s", code, &out, &errOut)
	}
	for i, n := range order {
		if w := `{"return":{"status":"running","singlestep":false,"running":true},"monitor":"` + n + `"}`; lines[i] != w {
			t.Errorf("--json line %d: %s, want %s", i+1, lines[i], w)
		}
	}

	// .connect takes a libvirt address alone: libvirt:* adds the domains
	// not connected yet, each named after it; a domain is one monitor.
	out.Reset()
	errOut.Reset()
	code = Main([]string{"--cache-dir", cache, "--qmp", "first=libvirt:" + order[0] + "@" + d.URI,
		"-c", ".connect libvirt:" + order[1] + "@" + d.URI, "-c", ".connect libvirt:*@" + d.URI, "-c", ".monitors",
		"-c", ".connect again libvirt:" + order[2] + "@" + d.URI}, strings.NewReader(""), &out, &errOut)
	o, e := out.String(), ""
	for _, want := range []string{"connected " + order[1] + ": QEMU", "connected " + order[2] + ": QEMU", "* first ", "  " + order[1] + " ", "  " + order[2] + " "} {
		if !strings.Contains(o, want) {
			t.Errorf(".connect: stdout lacks %q:\n%s", want, o)
		}
	}
	if strings.Contains(o, "connected "+order[0]) || strings.Count(o, "connected "+order[1]) != 1 {
		t.Errorf(".connect libvirt:* connected a domain twice:\n%s", o)
	}
	if w := "-c:4: domain " + order[2] + " on " + d.URI + " is monitor " + order[2] + " already"; code != 1 || !strings.Contains(errOut.String(), w) {
		t.Errorf("exit %d, stderr:\n%s\nwant %q", code, &errOut, w)
	}

	// One domain destroyed while "@* .wait" waits; the others are paused
	// by virsh, so their waits end. --keep-going runs the last line too.
	script := filepath.Join(t.TempDir(), "fleet.hmp")
	os.WriteFile(script, []byte("@* info status\n@* .wait status paused timeout=60s\n@* info status\n"), 0o644)
	sout, serr := &syncBuffer{}, &syncBuffer{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		code = Main([]string{"--cache-dir", cache, "--keep-going", "--qmp", all, "-f", script}, strings.NewReader(""), sout, serr)
	}()
	for strings.Count(sout.String(), "VM status: running") < len(order) {
		select {
		case <-done:
			t.Fatalf("ended early: exit %d\n%s\n%s", code, sout, serr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	gone := order[1]
	if _, err := libvirttest.Virsh(t, d.URI, "destroy", gone); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{order[0], order[2]} {
		if _, err := libvirttest.Virsh(t, d.URI, "suspend", n); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("the fleet script goes on waiting:\n%s\n%s", sout, serr)
	}
	o, e = sout.String(), serr.String()
	if code != 2 {
		t.Errorf("exit %d, want 2 (a monitor lost)\n%s\n%s", code, o, e)
	}
	if !strings.Contains(e, "fleet.hmp:2: monitor "+gone+": ") || !strings.Contains(e, "fleet.hmp:3: monitor "+gone+": lost") {
		t.Errorf("stderr does not report %s lost on lines 2 and 3:\n%s", gone, e)
	}
	for _, n := range []string{order[0], order[2]} {
		if strings.Contains(e, "monitor "+n+":") {
			t.Errorf("%s failed:\n%s", n, e)
		}
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(n) + `: +VM status: paused$`).MatchString(o) {
			t.Errorf("no paused status from %s:\n%s", n, o)
		}
	}
}

// On a terminal, a libvirt domain's events come above the prompt as they
// happen (one sent by virsh, not by hmpsh, included), and Tab completes
// from its QEMU's schema.
func TestLibvirtInteractive(t *testing.T) {
	uri := libvirttest.System(t)
	d := libvirttest.Domain(t, uri, libvirttest.Name(t, "tty"))
	env, _ := xdg(t)
	tm := startTerm(t, env, "--no-tips", "--qmp", "vm=libvirt:"+d)
	tm.expect(`(?m)^\(qemu\)$`)
	tm.send("stop\r")
	tm.expect(`(?m)^event \S+ STOP\n\(qemu\)$`)
	// Resumed behind hmpsh's back: the event still comes, above the prompt
	// and the half-typed line.
	tm.send("info sta")
	if _, err := libvirttest.Virsh(t, uri, "resume", d); err != nil {
		t.Fatal(err)
	}
	tm.expect(`(?m)^event \S+ RESUME\n\(qemu\) info sta$`)
	tm.send("\x15migrate_set_capability xbz\t")
	tm.expect(`(?m)^\(qemu\) migrate_set_capability xbzrle$`)
	tm.send("on\r")
	tm.expect(`warning: vm is managed by libvirt`)
	tm.send("\x04")
	if code := tm.wait(); code != 0 {
		t.Errorf("exit %d\n%s", code, tm.log())
	}
}

// One script reads migration settings across libvirt connections
// (qemu:///system and qemu+tcp, standing for two hosts).
func TestLibvirtSeveralURIs(t *testing.T) {
	uri := libvirttest.System(t)
	a := libvirttest.Domain(t, uri, libvirttest.Name(t, "uris-a"))
	b := libvirttest.Domain(t, uri, libvirttest.Name(t, "uris-b"))
	tcp := libvirttest.SystemTCP(t)
	var out, errOut bytes.Buffer
	code := Main([]string{"--cache-dir", t.TempDir(), "--qmp", "here=libvirt:" + a, "--qmp", "there=libvirt:" + b + "@" + tcp,
		"-c", "@* info migrate_parameters"}, strings.NewReader(""), &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, &out, &errOut)
	}
	for _, re := range []string{`(?m)^here: +downtime-limit: \d+ ms$`, `(?m)^there: +downtime-limit: \d+ ms$`} {
		if !regexp.MustCompile(re).MatchString(out.String()) {
			t.Errorf("stdout lacks %s:\n%s", re, &out)
		}
	}
}

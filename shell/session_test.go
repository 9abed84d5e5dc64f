package shell

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/internal/qemutest"
	"github.com/hmpsh/hmpsh/qmp"
)

// syncBuffer is a buffer event printers and the test may use at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newTestSession is a live session without monitors, printing to out.
func newTestSession(t *testing.T, cfg Config) *Session {
	t.Helper()
	sx, err := NewSyntax()
	if err != nil {
		t.Fatal(err)
	}
	known, err := hmp.KnownTargets()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Out == nil {
		cfg.Out = &syncBuffer{}
	}
	if cfg.Err == nil {
		cfg.Err = &syncBuffer{}
	}
	s := NewSession(cfg, sx, known, nil)
	t.Cleanup(s.Close)
	return s
}

// A monitor connecting while another streams events: the registry is
// read by the event printers (how many monitors there are) while Connect
// changes it, which -race reported before the registry had one lock.
func TestConnectWhileEventsStream(t *testing.T) {
	side := filepath.Join(t.TempDir(), "side.sock")
	a := qemutest.Start(t, qemutest.Gen100, qemutest.Options{ExtraArgs: []string{"-qmp", "unix:" + side + ",server=on,wait=off"}})
	b := qemutest.Start(t, qemutest.Gen100, qemutest.Options{})
	out := &syncBuffer{}
	s := newTestSession(t, Config{Out: out})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := s.Connect(ctx, "a", a.Addr()); err != nil {
		t.Fatal(err)
	}
	c, err := qmp.Dial(ctx, "unix:"+side)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	done := make(chan error, 1)
	go func() {
		for i := 0; i < 40; i++ {
			for _, cmd := range []string{"stop", "cont"} {
				if _, err := c.Execute(ctx, cmd, nil); err != nil {
					done <- err
					return
				}
			}
		}
		done <- nil
	}()
	for i := 0; i < 5; i++ {
		if _, err := s.Connect(ctx, "b", b.Addr()); err != nil {
			t.Fatal(err)
		}
		if err := s.Run(ctx, ".monitors"); err != nil {
			t.Fatal(err)
		}
		if err := s.Disconnect("b"); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(out.String(), " RESUME") < 40 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := strings.Count(out.String(), " RESUME"); n < 40 {
		t.Errorf("%d RESUME events printed, want 40:\n%s", n, out)
	}
}

// A schema read that failed (here: cancelled, as Ctrl-C does) is tried
// again by the next line instead of failing every line from then on.
func TestSchemaReadRetried(t *testing.T) {
	q := qemutest.Start(t, qemutest.Gen100, qemutest.Options{})
	out := &syncBuffer{}
	s := newTestSession(t, Config{Out: out, CacheDir: t.TempDir()})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	m, err := s.Connect(ctx, "q", q.Addr())
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancelNow := context.WithCancel(ctx)
	cancelNow()
	if err := s.Run(cancelled, "query-status"); err == nil {
		t.Fatal("a line ran with a cancelled context")
	}
	if m.loadedTarget() != nil {
		t.Fatal("the schema was read with a cancelled context")
	}
	if err := s.Run(ctx, "query-status"); err != nil {
		t.Fatalf("after a cancelled schema read: %v", err)
	}
	if !strings.Contains(out.String(), `"running": true`) {
		t.Errorf("query-status printed %q", out)
	}
}

// The same script, with hmpsh's own commands, @NAME prefixes, help and
// trailing comments, means the same from -f, from standard input and from
// -c, on the sandbox, on both QEMU generations; --dry-run shows it.
func TestScriptSameEverywhere(t *testing.T) {
	script := `# both ends of a migration, from one script
@dst info status            # paused (inmigrate)
@dst migrate_incoming -c exec,args.0=/bin/sh,args.1=-c,args.2=cat>/dev/null
.use dst
@src info status # check
help migrate_cancel
info status
{"execute": "query-status"}   # JSON too
.use src
migrate_set_parameter downtime-limit 300 # ms
info migrate_parameters
.exit
this line is never run
`
	qemutest.Each(t, func(t *testing.T, gen string) {
		bin := qemutest.Require(t, gen)
		dir := t.TempDir()
		file := filepath.Join(dir, "script.hmp")
		if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, l := range strings.Split(script, "\n") {
			lines = append(lines, "-c", l)
		}
		runs := map[string][]string{
			"-f":    {"-f", file},
			"stdin": {"-f", "-"},
			"-c":    lines,
		}
		outs := map[string]string{}
		for name, args := range runs {
			var out, errOut bytes.Buffer
			args = append([]string{"--cache-dir", dir, "--no-events", "--qemu", bin.Path}, args...)
			code := Main(args, strings.NewReader(script), &out, &errOut)
			if code != 0 {
				t.Fatalf("%s: exit %d: %s", name, code, errOut.String())
			}
			outs[name] = out.String()
		}
		got := outs["-f"]
		for name, out := range outs {
			if out != got {
				t.Errorf("%s printed\n%s\n-f printed\n%s", name, out, got)
			}
		}
		for _, want := range []string{
			"VM status: paused (inmigrate)\n",
			"VM status: running\n",
			"migrate_cancel -- cancel the current migration\n",
			`"status":"inmigrate"`,
			"downtime-limit: 300 ms\n",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("the script's output lacks %q:\n%s", want, got)
			}
		}
		if strings.Contains(got, "unknown command") || strings.Contains(got, "never run") {
			t.Errorf("the script ran past .exit or sent a line to QEMU's HMP:\n%s", got)
		}
		// The order: @dst's status before .use dst, then src's own.
		if !regexp.MustCompile(`(?s)paused \(inmigrate\).*VM status: running.*cancel the current`).MatchString(got) {
			t.Errorf("lines ran out of order:\n%s", got)
		}
	})

	var out, errOut bytes.Buffer
	code := Main([]string{"--dry-run", "-c", script}, strings.NewReader(""), &out, &errOut)
	if code != 0 {
		t.Fatalf("dry-run of one line: exit %d: %s", code, errOut.String())
	}
	file := filepath.Join(t.TempDir(), "script.hmp")
	os.WriteFile(file, []byte(script), 0o644)
	out.Reset()
	if code := Main([]string{"--dry-run", "-f", file}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("dry-run: exit %d: %s", code, errOut.String())
	}
	want := `@dst {"execute":"query-status"}
@dst {"execute":"migrate-incoming","arguments":{"channels":[{"channel-type":"main","addr":{"transport":"exec","args":["/bin/sh","-c","cat>/dev/null"]}}]}}
# .use dst
@src {"execute":"query-status"}
# migrate_cancel -- cancel the current migration
#
# Sends QMP: migrate_cancel
#
# Examples:
#   migrate_cancel
{"execute":"query-status"}
{"execute":"query-status"}
# .use src
{"execute":"migrate-set-parameters","arguments":{"downtime-limit":300}}
{"execute":"query-migrate-parameters"}
# .exit
`
	if out.String() != want {
		t.Errorf("dry-run printed\n%s\nwant\n%s", out.String(), want)
	}
}

// With --json, every line on standard output is one JSON value: replies,
// events, a waited migration's summary, hmpsh's own commands' output.
func TestJSONEveryLine(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		bin := qemutest.Require(t, gen)
		dir := t.TempDir()
		sock := filepath.Join(dir, "mig.sock")
		var out, errOut bytes.Buffer
		code := Main([]string{"--cache-dir", dir, "--json", "--qemu", bin.Path,
			"-c", "@dst migrate_incoming -c socket,type=unix,path=" + sock,
			"-c", "migrate -c socket,type=unix,path=" + sock,
			"-c", "@dst info status",
			"-c", "info version",
			"-c", ".monitors",
			"-c", "help migrate_pause",
			"-c", "query-status",
		}, strings.NewReader(""), &out, &errOut)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
		var summary, events, monitors int
		for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			var v map[string]json.RawMessage
			if err := json.Unmarshal([]byte(line), &v); err != nil {
				t.Errorf("not a JSON value: %q (%v)", line, err)
				continue
			}
			switch {
			case v["migration"] != nil:
				summary++
				if !strings.Contains(string(v["migration"]), `"completed"`) {
					t.Errorf("summary: %s", line)
				}
			case v["event"] != nil:
				events++
			case v["monitor"] != nil:
				monitors++
			}
		}
		if summary != 1 || events == 0 || monitors != 2 {
			t.Errorf("%d summaries, %d events, %d monitor lines in:\n%s", summary, events, monitors, out.String())
		}
	})
}

// Lines the line model rejects are errors, with FILE:LINE, in every mode.
func TestLineErrors(t *testing.T) {
	for _, tt := range []struct{ line, msg string }{
		{".nosuch", `unknown hmpsh command ".nosuch"`},
		{"@dst .use src", ".use acts on the session, not on one monitor; leave out @dst"},
		{"@ info status", "@ needs a monitor name"},
		{"@a/b info status", "@a/b: not a monitor name"},
		{".use", ".use: missing argument NAME; usage: .use NAME"},
		{`{"execute":"stop"} x`, "JSON line: more than one value"},
		{"{\"execute\":\"stop\"}\x00", `JSON line: a NUL byte (\x00) after the JSON value at column 19`},
	} {
		var out, errOut bytes.Buffer
		code := Main([]string{"--dry-run", "-c", "stop", "-c", tt.line}, strings.NewReader(""), &out, &errOut)
		want := fmt.Sprintf("-c:2: %s", tt.msg)
		if code != 1 || !strings.Contains(errOut.String(), want) || out.String() != "{\"execute\":\"stop\"}\n" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %q", tt.line, code, out.String(), errOut.String(), want)
		}
	}
}

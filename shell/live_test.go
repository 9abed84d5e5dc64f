package shell

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hmpsh/hmpsh/internal/qemutest"
	"github.com/hmpsh/hmpsh/qmp"
)

// hmpsh runs the command line as a user would and returns what it printed
// and its exit status. Every run gets the test's own schema cache.
func hmpsh(t *testing.T, cache string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	args = append([]string{"--cache-dir", cache}, args...)
	code = Main(args, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), code
}

// waitStatus polls a QEMU until query-status says want, or fails the test.
func waitStatus(t *testing.T, in *qemutest.Instance, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := qmp.Dial(ctx, in.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	last := ""
	for ctx.Err() == nil {
		ret, err := c.Execute(ctx, "query-status", nil)
		if err != nil {
			t.Fatal(err)
		}
		var st struct{ Status string }
		_ = json.Unmarshal(ret, &st)
		if st.Status == want {
			return
		}
		last = st.Status
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("QEMU %s: status %q, want %q\nQEMU's stderr:\n%s", in.Gen, last, want, in.Stderr())
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

// migration is one way to move a VM: the destination's and the source's
// lines, and whether the source must go first (exec and file write a
// stream that the destination reads afterwards).
type migration struct {
	name        string
	incoming    string
	migrate     string
	sourceFirst bool
	minGen      string // oldest generation that has it
}

func migrations(t *testing.T, dir string) []migration {
	port := freePort(t)
	sock := filepath.Join(dir, "mig.sock")
	stream := filepath.Join(dir, "vm.mig")
	return []migration{
		{name: "tcp-channel", incoming: "migrate_incoming -c socket,type=inet,host=127.0.0.1,port=" + port, migrate: "migrate -c socket,type=inet,host=127.0.0.1,port=" + port},
		{name: "tcp-uri", incoming: "migrate_incoming tcp:127.0.0.1:" + port, migrate: "migrate tcp:127.0.0.1:" + port},
		{name: "unix-channel", incoming: "migrate_incoming -c socket,type=unix,path=" + sock, migrate: "migrate -c socket,type=unix,path=" + sock},
		{name: "unix-uri", incoming: "migrate_incoming unix:" + sock, migrate: "migrate unix:" + sock},
		{name: "exec-channel", sourceFirst: true,
			migrate:  fmt.Sprintf(`migrate -c "exec,args=/bin/sh -c 'cat > %s'"`, stream),
			incoming: fmt.Sprintf(`migrate_incoming -c "exec,args=/bin/cat %s"`, stream)},
		{name: "exec-uri", sourceFirst: true,
			migrate:  fmt.Sprintf(`migrate "exec:cat > %s"`, stream),
			incoming: fmt.Sprintf(`migrate_incoming "exec:cat %s"`, stream)},
		{name: "file-channel", sourceFirst: true, minGen: qemutest.Gen100,
			migrate:  "migrate -c file,filename=" + stream + ",offset=4K",
			incoming: "migrate_incoming -c file,filename=" + stream + ",offset=4K"},
		{name: "file-uri", sourceFirst: true, minGen: qemutest.Gen100,
			migrate:  "migrate file:" + stream + ",offset=4096",
			incoming: "migrate_incoming file:" + stream + ",offset=4096"},
	}
}

// TestMigrate migrates a -machine none VM between two real QEMUs of each
// generation, over every transport, with the -c syntax and the legacy URI,
// and checks that the destination ends running and that the wire form was
// the one that QEMU needs (uri for 7.2, channels for 10.0).
func TestMigrate(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		cache := t.TempDir()
		for _, mg := range migrations(t, "DIR") {
			if mg.minGen == qemutest.Gen100 && gen == qemutest.Gen72 {
				continue
			}
			t.Run(mg.name, func(t *testing.T) {
				src := qemutest.Start(t, gen, qemutest.Options{})
				dst := qemutest.Start(t, gen, qemutest.Options{Incoming: true})
				// Paths inside this test's own directory.
				mg := migrationIn(mg, "DIR", src.Dir)
				lines := []string{"-c", "@dst " + mg.incoming, "-c", mg.migrate}
				if mg.sourceFirst {
					lines = []string{"-c", mg.migrate, "-c", "@dst " + mg.incoming}
				}
				args := append([]string{"--trace", "--qmp", "src=" + src.Addr(), "--qmp", "dst=" + dst.Addr()}, lines...)
				out, errOut, code := hmpsh(t, cache, args...)
				if code != 0 {
					t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
				}
				if !strings.Contains(out, "migration completed: total ") {
					t.Errorf("no summary line:\n%s", out)
				}
				wire := `"uri":`
				if gen == qemutest.Gen100 {
					wire = `"channels":[{"channel-type":"main","addr":{"transport":`
				}
				if !strings.Contains(errOut, `src -> {"execute":"migrate","arguments":{`+wire) {
					t.Errorf("QEMU %s was not sent %s:\n%s", gen, wire, errOut)
				}
				waitStatus(t, dst, "running")
				st, _, code := hmpsh(t, cache, "--qmp", dst.Addr(), "-c", "info status")
				if code != 0 || st != "VM status: running\n" {
					t.Errorf("destination: %q (exit %d)", st, code)
				}
			})
		}
	})
}

// migrationIn moves a migration's paths from one directory to another.
func migrationIn(mg migration, from, to string) migration {
	mg.incoming = strings.ReplaceAll(mg.incoming, from, to)
	mg.migrate = strings.ReplaceAll(mg.migrate, from, to)
	return mg
}

// TestMigrateWithRAM moves a -machine pc VM with 64 MiB of RAM.
func TestMigrateWithRAM(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		src := qemutest.Start(t, gen, qemutest.Options{Machine: "pc", Mem: "64"})
		dst := qemutest.Start(t, gen, qemutest.Options{Machine: "pc", Mem: "64", Incoming: true})
		sock := filepath.Join(src.Dir, "ram.sock")
		out, errOut, code := hmpsh(t, t.TempDir(), "--qmp", "src="+src.Addr(), "--qmp", "dst="+dst.Addr(),
			"-c", "@dst migrate_incoming -c socket,type=unix,path="+sock,
			"-c", "migrate -c socket,type=unix,path="+sock,
			"-c", "info migrate")
		if code != 0 {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		// Free pages travel as zero pages; what is sent is still well
		// over a few KiB for a booting pc.
		if !strings.Contains(out, "migration completed") || !strings.Contains(out, "Migration status: completed") {
			t.Errorf("stdout:\n%s", out)
		}
		if !strings.Contains(out, "total ram: 6") { // 64 MiB and then some, in kbytes
			t.Errorf("no RAM total in info migrate:\n%s", out)
		}
		waitStatus(t, dst, "running")
	})
}

// TestMigrateFails: nobody listens; QEMU's error is reported, exit 1.
func TestMigrateFails(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		src := qemutest.Start(t, gen, qemutest.Options{})
		port := freePort(t)
		out, errOut, code := hmpsh(t, t.TempDir(), "--qmp", src.Addr(), "-c", "migrate -c socket,type=inet,host=127.0.0.1,port="+port, "-c", "info status")
		if code != 1 {
			t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		if !strings.Contains(errOut, "-c:1: migration failed: ") || !strings.Contains(errOut, "Connection refused") {
			t.Errorf("stderr does not carry QEMU's error:\n%s", errOut)
		}
		if strings.Contains(out, "VM status") {
			t.Errorf("the script went on after the failure:\n%s", out)
		}
		// -d returns at once, before the connection fails.
		_, errOut, code = hmpsh(t, t.TempDir(), "--qmp", src.Addr(), "-c", "migrate -d tcp:127.0.0.1:"+port)
		if code != 0 {
			t.Errorf("migrate -d: exit %d: %s", code, errOut)
		}
	})
}

func TestCommands(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		q := qemutest.Start(t, gen, qemutest.Options{})
		cache := t.TempDir()
		run := func(args ...string) (string, string, int) {
			return hmpsh(t, cache, append([]string{"--qmp", q.Addr()}, args...)...)
		}

		// A passthrough command: QEMU's own HMP output.
		out, errOut, code := run("-c", "info version")
		if code != 0 || !strings.HasPrefix(out, gen+".") {
			t.Errorf("info version: %q %q exit %d", out, errOut, code)
		}
		// An HMP failure in a passthrough command is an error.
		out, errOut, code = run("-c", "info nosuch")
		if code != 1 || out != "" || !strings.Contains(errOut, "-c:1: ") {
			t.Errorf("info nosuch: %q %q exit %d", out, errOut, code)
		}

		// Events: stop and cont print STOP and RESUME.
		out, errOut, code = run("-c", "stop", "-c", "info status", "-c", "cont", "-c", "info status")
		if code != 0 {
			t.Fatalf("stop/cont: exit %d: %s", code, errOut)
		}
		for _, want := range []string{"VM status: paused\n", "VM status: running\n", " STOP\n", " RESUME\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("stop/cont: no %q in:\n%s", want, out)
			}
		}
		if strings.Contains(out, "event") && !strings.Contains(out, "event "+time.Now().UTC().Format("2006-01-02")) {
			t.Errorf("event lines lack a timestamp:\n%s", out)
		}
		out, _, _ = run("--no-events", "-c", "stop", "-c", "cont")
		if strings.Contains(out, "STOP") {
			t.Errorf("--no-events printed events:\n%s", out)
		}

		// A capability and a parameter, set and read back.
		out, errOut, code = run("-c", "migrate_set_capability xbzrle on", "-c", "migrate_set_parameter max-bandwidth 100",
			"-c", "migrate_set_parameter downtime-limit 500", "-c", "info migrate_capabilities", "-c", "info migrate_parameters")
		if code != 0 {
			t.Fatalf("set/read back: exit %d: %s", code, errOut)
		}
		for _, want := range []string{"xbzrle: on\n", "max-bandwidth: 104857600 bytes/second\n", "downtime-limit: 500 ms\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("read back: no %q in:\n%s", want, out)
			}
		}
		// An unknown capability is refused before anything is sent.
		_, errOut, code = run("-c", "migrate_set_capability xbzrl on")
		if code != 1 || !strings.Contains(errOut, `did you mean "xbzrle"`) {
			t.Errorf("xbzrl: exit %d: %s", code, errOut)
		}

		// QMP lines: a QMP command with key=value, raw JSON, a QMP error
		// with its class.
		out, errOut, code = run("-c", "query-status", "-c", `{"execute":"query-name"}`)
		if code != 0 || !strings.Contains(out, `"status": "running"`) || !strings.Contains(out, `{"return":{}}`) {
			t.Errorf("QMP lines: %q %q exit %d", out, errOut, code)
		}
		_, errOut, code = run("-c", `{"execute":"nosuch"}`)
		if code != 1 || !strings.Contains(errOut, "CommandNotFound") {
			t.Errorf("QMP error: %q exit %d", errOut, code)
		}
		_, errOut, code = run("-c", "migrate_cancel", "-c", "migrate_continue pre-switchover")
		if code != 1 || !strings.Contains(errOut, "-c:2: GenericError: ") {
			t.Errorf("migrate_continue outside a migration: %q exit %d", errOut, code)
		}

		// --json: the raw replies, one per line.
		out, _, code = run("--json", "-c", "info status")
		if code != 0 || !strings.HasPrefix(out, `{"return":{`) || !strings.Contains(out, `"running":true`) {
			t.Errorf("--json: %q exit %d", out, code)
		}
	})
}

// TestMonitorGone: a monitor that cannot be reached, or is lost, gives exit
// status 2.
func TestMonitorGone(t *testing.T) {
	_, errOut, code := hmpsh(t, t.TempDir(), "--qmp", filepath.Join(t.TempDir(), "nosuch.sock"), "-c", "info status")
	if code != 2 || !strings.Contains(errOut, "nosuch.sock") {
		t.Errorf("unreachable: exit %d: %s", code, errOut)
	}
	qemutest.Each(t, func(t *testing.T, gen string) {
		q := qemutest.Start(t, gen, qemutest.Options{})
		_, errOut, code := hmpsh(t, t.TempDir(), "--qmp", q.Addr(), "-c", "quit", "-c", "info status")
		if code != 2 || !strings.Contains(errOut, "-c:2: monitor qemu: ") {
			t.Errorf("after quit: exit %d: %s", code, errOut)
		}
	})
}

// TestSchemaCache: the live schema is cached per version and package, and
// a second start uses the cache (a planted schema proves it).
func TestSchemaCache(t *testing.T) {
	q := qemutest.Start(t, qemutest.Gen100, qemutest.Options{})
	cache := t.TempDir()
	_, errOut, code := hmpsh(t, cache, "--qmp", q.Addr(), "--trace", "-c", "migrate -d -c socket,type=unix,path=/nonexistent/x")
	files, _ := filepath.Glob(filepath.Join(cache, "schemas", "qemu-10.0.*.json.gz"))
	if len(files) != 1 {
		t.Fatalf("cache: %v (exit %d, %s)", files, code, errOut)
	}
	if !strings.Contains(errOut, `"channels"`) {
		t.Errorf("10.0 not sent channels: %s", errOut)
	}
	// Plant the 7.2 schema under 10.0's name: hmpsh must now send a URI.
	known, err := qmp.KnownSchemas()
	if err != nil {
		t.Fatal(err)
	}
	if known[0].QEMU.Short() != "7.2" {
		t.Fatalf("oldest built-in schema is %s", known[0].QEMU)
	}
	data, err := os.ReadFile("../qmp/schemas/qemu-7.2.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files[0], data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, _ = hmpsh(t, cache, "--qmp", q.Addr(), "--trace", "-c", "migrate -d -c socket,type=unix,path=/nonexistent/x")
	if !strings.Contains(errOut, `"uri":"unix:/nonexistent/x"`) {
		t.Errorf("the cached schema was not used: %s", errOut)
	}
}

package hmp

import (
	"fmt"
	"strings"
	"testing"
)

func TestConvert(t *testing.T) {
	targets, err := KnownTargets()
	if err != nil {
		t.Fatal(err)
	}
	sx := testSyntax(t)
	list := all(t, targets)
	tests := []struct {
		line string
		to   Form
		want string // "error: SUBSTRING" for an error
	}{
		// URI to channels: minimal, the transport implied, flags, @NAME
		// and comment in place.
		{"migrate tcp:10.0.0.2:4444", FormChannels, "migrate -c socket,type=inet,host=10.0.0.2,port=4444"},
		{"@dst migrate_incoming  tcp::4444   # listen", FormChannels, "@dst migrate_incoming  -c socket,type=inet,host=,port=4444   # listen"},
		{"migrate -d -r tcp:h:4444,to=5000,ipv4,keep-alive=off", FormChannels, "migrate -d -r -c socket,type=inet,host=h,port=4444,to=5000,ipv4=on,keep-alive=off"},
		{"migrate tcp:[::1]:4444,ipv6", FormChannels, "migrate -c socket,type=inet,host=::1,port=4444,ipv6=on"},
		{"migrate -- tcp:h:1", FormChannels, "migrate -c socket,type=inet,host=h,port=1"},
		{"migrate unix:/run/a,b:c.sock", FormChannels, "migrate -c socket,type=unix,path=/run/a,,b:c.sock"},
		{`migrate "unix:/run/my vm.sock"`, FormChannels, `migrate -c "socket,type=unix,path=/run/my vm.sock"`},
		{"migrate vsock:3:4444", FormChannels, "migrate -c socket,type=vsock,cid=3,port=4444"},
		{"migrate fd:migfd", FormChannels, "migrate -c socket,type=fd,str=migfd"},
		{`migrate "exec:gzip -c > /tmp/vm.gz"`, FormChannels, `migrate -c "exec,args=/bin/sh -c 'gzip -c > /tmp/vm.gz'"`},
		{`migrate "exec:cat > '/tmp/a b'"`, FormChannels, `migrate -c "exec,args=/bin/sh -c 'cat > '\\''/tmp/a b'\\'''"`},
		{"migrate rdma:192.168.0.2:4444", FormChannels, "migrate -c rdma,host=192.168.0.2,port=4444"},
		{"migrate file:/tmp/vm.mig", FormChannels, "migrate -c file,filename=/tmp/vm.mig"},
		{"migrate file:/tmp/vm.mig,offset=0", FormChannels, "migrate -c file,filename=/tmp/vm.mig"},
		{"migrate file:/tmp/vm.mig,offset=4K", FormChannels, "migrate -c file,filename=/tmp/vm.mig,offset=4K"},
		{"migrate -c tcp:h:1 -d", FormChannels, "migrate -c socket,type=inet,host=h,port=1 -d"},
		{"migrate_recover tcp:0.0.0.0:4445", FormChannels, "migrate_recover -c socket,type=inet,host=0.0.0.0,port=4445"},
		// Already channels: unchanged, byte for byte.
		{"migrate  -c socket,type=unix,path=/s,tight=off  # x", FormChannels, "migrate  -c socket,type=unix,path=/s,tight=off  # x"},
		// Channels to a URI.
		{"migrate -c socket,type=inet,host=10.0.0.2,port=4444", FormURI, "migrate tcp:10.0.0.2:4444"},
		{"@src migrate -d -c socket,type=unix,path=/s # go", FormURI, "@src migrate -d unix:/s # go"},
		{"migrate -c socket,type=unix,path=/s -d # x", FormURI, "migrate -d unix:/s # x"},
		{"migrate -c socket,type=unix,path=/run/mig,,1.sock", FormURI, "migrate unix:/run/mig,1.sock"},
		{`migrate -c "exec,args=/bin/sh -c 'gzip > /tmp/vm.gz'"`, FormURI, `migrate "exec:gzip > /tmp/vm.gz"`},
		{"migrate -c file,filename=/x,offset=4K", FormURI, "migrate file:/x,offset=4096"},
		{"migrate -c tcp:h:1", FormURI, "migrate tcp:h:1"},
		{`migrate_recover -c "exec,args=nc -l 4445"`, FormURI, `migrate_recover "exec:nc -l 4445"`},
		{"migrate tcp:h:1 # already", FormURI, "migrate tcp:h:1 # already"},
		// No URI spelling: the key is named.
		{"migrate -c socket,type=unix,path=/s,tight=off", FormURI, `error: key "tight" has no URI form`},
		{"migrate -c socket,type=unix,path=/s,abstract=on", FormURI, "error: abstract=on has no URI form"},
		{"migrate -c socket,type=inet,host=h,port=1,numeric=on", FormURI, "error: numeric has no URI form"},
		{`migrate -c "exec,args=/usr/bin/nc -U /s"`, FormURI, "error: args=/usr/bin/nc -U /s has no URI form"},
		{"migrate -c socket,type=unix,path=/a -c socket,type=unix,path=/b,channel-type=cpr", FormURI, "error: channel-type=cpr has no URI form"},
		// A line that fails everywhere is its own error.
		{"migrate -c socket,type=inet,host=h,port=99999", FormURI, "error: port=99999: a TCP port"},
		{"migrate tcp:h:99999", FormChannels, "error: port=99999: a TCP port"},
		{"migrate tcp:h", FormChannels, "error: want HOST:PORT"},
		// Other lines are left alone.
		{"info status # x", FormChannels, "info status # x"},
		{"migrate_set_parameter max-bandwidth 100", FormURI, "migrate_set_parameter max-bandwidth 100"},
		{"# migrate tcp:h:1", FormChannels, "# migrate tcp:h:1"},
		{"", FormChannels, ""},
	}
	for _, tt := range tests {
		got, err := sx.ConvertLine(tt.line, tt.to, list)
		if want, ok := strings.CutPrefix(tt.want, "error: "); ok {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("ConvertLine(%q, %s) = %q, %v; want an error with %q", tt.line, tt.to, got, err, want)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ConvertLine(%q, %s) = %q, %v; want %q", tt.line, tt.to, got, err, tt.want)
			continue
		}
		checkExact(t, sx, tt.line, got, list)
	}
}

// TestConvertOneTarget: for one QEMU, what only that QEMU makes exact is
// converted; what it cannot take is refused.
func TestConvertOneTarget(t *testing.T) {
	targets, err := KnownTargets()
	if err != nil {
		t.Fatal(err)
	}
	sx := testSyntax(t)
	old, err := targets.Pick("7.2")
	if err != nil {
		t.Fatal(err)
	}
	// QEMU 7.2 gets a URI either way: an argv that is not /bin/sh -c
	// goes as its shell-quoted command line, a key QMP alone has is left
	// out of both.
	for line, want := range map[string]string{
		`migrate -c "exec,args=/usr/bin/nc -U /s"`:      `migrate "exec:/usr/bin/nc -U /s"`,
		"migrate -c socket,type=unix,path=/s,tight=off": "migrate unix:/s",
	} {
		got, err := sx.ConvertLine(line, FormURI, []*Target{old})
		if err != nil || got != want {
			t.Errorf("7.2: %q: got %q, %v; want %q", line, got, err, want)
		}
		checkExact(t, sx, line, got, []*Target{old})
	}
	if _, err := sx.ConvertLine("migrate file:/x", FormChannels, []*Target{old}); err == nil || !strings.Contains(err.Error(), "no URI form before QEMU 8.2") {
		t.Errorf("7.2: a file migration converted: %v", err)
	}
}

// checkExact fails unless conv sends what orig sends on every target (or
// fails where it fails), each line read the way every mode reads it.
func checkExact(t *testing.T, sx *Syntax, orig, conv string, targets []*Target) {
	t.Helper()
	for _, target := range targets {
		a, b := translateForGolden(sx, orig, target), translateForGolden(sx, conv, target)
		if strings.HasPrefix(a, "error: ") && strings.HasPrefix(b, "error: ") {
			continue
		}
		if a != b {
			t.Errorf("QEMU %s: %q sends\n\t%s\nbut %q sends\n\t%s", target.Version(), orig, a, conv, b)
		}
	}
}

// targetSets are the sets of targets conversions are checked for: every
// known QEMU together, and each alone.
func targetSets(tb testing.TB) [][]*Target {
	targets, err := KnownTargets()
	if err != nil {
		tb.Fatal(err)
	}
	list := all(tb, targets)
	sets := [][]*Target{list}
	for _, t := range list {
		sets = append(sets, []*Target{t})
	}
	return sets
}

// convertExactly converts line to form to for targets and checks the
// result both ways: exact, and in form to. It reports whether it was
// converted.
func convertExactly(t *testing.T, sx *Syntax, line string, to Form, targets []*Target) (string, bool) {
	t.Helper()
	got, err := sx.ConvertLine(line, to, targets)
	if err != nil {
		if err.Error() == "" {
			t.Errorf("%q: empty error", line)
		}
		return "", false
	}
	checkExact(t, sx, line, got, targets)
	if got == line {
		return got, true
	}
	ln, err := sx.Parse(got, func(string) (*Target, error) { return targets[len(targets)-1], nil })
	if err != nil {
		t.Errorf("%q converted to %q, which does not parse: %v", line, got, err)
		return "", false
	}
	if f, ok := FormOf(ln); ok && f != to {
		t.Errorf("%q converted to %s is %q, in form %s", line, to, got, f)
	}
	return got, true
}

// TestConvertGolden: every input of the golden files, converted each way
// and back for every set of targets, sends what it sent. A URI that some
// target takes always has a CHANNEL.
func TestConvertGolden(t *testing.T) {
	sx := testSyntax(t)
	var lines []string
	for _, l := range goldenLines(t) {
		lines = append(lines, l, "@dst "+l+"  # a comment")
	}
	converted := 0
	for _, targets := range targetSets(t) {
		for _, line := range lines {
			for _, to := range []Form{FormChannels, FormURI} {
				got, ok := convertExactly(t, sx, line, to, targets)
				if !ok {
					if to == FormChannels && worksOnSome(sx, line, targets) && isMigration(sx, line) {
						t.Errorf("%q works on some target but has no channel form: %v", line, convertErr(sx, line, to, targets))
					}
					continue
				}
				if got != line {
					converted++
				}
				if back, ok := convertExactly(t, sx, got, to.Other(), targets); ok {
					checkExact(t, sx, line, back, targets)
				}
			}
		}
	}
	if converted < 100 {
		t.Errorf("only %d golden lines converted", converted)
	}
}

func convertErr(sx *Syntax, line string, to Form, targets []*Target) error {
	_, err := sx.ConvertLine(line, to, targets)
	return err
}

func worksOnSome(sx *Syntax, line string, targets []*Target) bool {
	for _, t := range targets {
		if _, err := sx.Translate(line, t); err == nil {
			return true
		}
	}
	return false
}

func isMigration(sx *Syntax, line string) bool {
	return sx.migrationHead(line)
}

// transportLines are a migration line for every transport, with options
// and quoting, in both forms.
func transportLines() []string {
	var uris []string
	for _, host := range []string{"10.0.0.2", "", "[::1]", "[fe80::1%eth0]", "example.org"} {
		for _, opts := range []string{"", ",to=4450", ",ipv4", ",ipv6=off", ",keep-alive", ",keep-alive=off,ipv4=on", ",to=4460,ipv6,keep-alive=on", ",mptcp"} {
			uris = append(uris, "tcp:"+host+":4444"+opts)
			if host != "" {
				uris = append(uris, "rdma:"+host+":4444"+opts)
			}
		}
	}
	uris = append(uris,
		"unix:/run/mig.sock", "unix:/run/a,b:c.sock", "unix:/run/my vm.sock", `unix:/run/q"uote`, "unix:/run/it's",
		"vsock:3:4444", "vsock:4294967295:1",
		"fd:migfd", "fd:7", "fd:a,b",
		"exec:cat", "exec:gzip -c > /tmp/vm.gz", "exec:cat > '/tmp/a b'", `exec:printf "%s\n" a,b`, "exec:nc -U /run/mig.sock",
		"exec:echo $HOME", "exec:a=b /bin/cat", "exec:  /bin/cat  ", "exec:cat # not a comment to sh? it is",
		"file:/tmp/vm.mig", "file:/tmp/vm.mig,offset=0", "file:/tmp/vm.mig,offset=4096", "file:/tmp/vm.mig,offset=4K",
		"file:/tmp/vm.mig,offset=0x1000", "file:/tmp/a b,offset=1M",
	)
	channels := []string{
		"socket,type=inet,host=10.0.0.2,port=4444,numeric=on",
		"socket,type=unix,path=mig,abstract=on,tight=off",
		"exec,args=/usr/bin/nc -U '/run/mig sock'",
		"exec,args.0=/bin/sh,args.1=-c,args.2=cat > /x",
		"exec,args=/bin/sh -c 'gzip > /tmp/vm.gz'",
		"file,filename=/tmp/vm.mig,offset=1G",
		"socket,type=inet,host=h,port=4444,channel-type=main",
	}
	var lines []string
	for _, cmd := range []string{"migrate", "migrate -d", "migrate -r -d", "migrate_incoming", "migrate_recover"} {
		for _, u := range uris {
			lines = append(lines, cmd+" "+quoteIfNeeded(u))
		}
		for _, c := range channels {
			lines = append(lines, cmd+" -c "+quoteIfNeeded(c))
		}
	}
	return lines
}

func quoteIfNeeded(s string) string {
	if strings.ContainsAny(s, " \t\"") {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	return s
}

// TestConvertTransports: every transport, with options and quoting, for
// both built-in targets together and each alone: a URI any target takes
// converts to channels and back, sending the same QMP at each step.
func TestConvertTransports(t *testing.T) {
	sx := testSyntax(t)
	for _, targets := range targetSets(t) {
		for _, line := range transportLines() {
			for _, to := range []Form{FormChannels, FormURI} {
				got, ok := convertExactly(t, sx, line, to, targets)
				if !ok {
					if to == FormChannels && worksOnSome(sx, line, targets) {
						t.Errorf("%s: %q has no channel form: %v", versions(targets), line, convertErr(sx, line, to, targets))
					}
					continue
				}
				back, ok := convertExactly(t, sx, got, to.Other(), targets)
				if ok {
					checkExact(t, sx, line, back, targets)
				} else if to == FormChannels && strings.Contains(line, ":") && !strings.Contains(line, "-c ") {
					t.Errorf("%s: %q became %q, which does not convert back: %v", versions(targets), line, got, convertErr(sx, got, to.Other(), targets))
				}
			}
		}
	}
}

func versions(ts []*Target) string {
	var v []string
	for _, t := range ts {
		v = append(v, t.Version())
	}
	return fmt.Sprintf("QEMU %s", strings.Join(v, "+"))
}

// FuzzConvert: whatever a line is, converting it either fails with an
// error or gives a line that sends the same QMP on every target.
func FuzzConvert(f *testing.F) {
	for _, l := range goldenLines(f) {
		f.Add(l, false)
	}
	for _, l := range transportLines() {
		f.Add(l, true)
	}
	sx := testSyntax(f)
	sets := targetSets(f)
	f.Fuzz(func(t *testing.T, line string, toURI bool) {
		to := FormChannels
		if toURI {
			to = FormURI
		}
		for _, targets := range sets {
			convertExactly(t, sx, line, to, targets)
		}
	})
}

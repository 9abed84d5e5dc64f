package hmp

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hmpsh/hmpsh/qmp"
)

// Every example in every help text must translate on the newest QEMU,
// so the help cannot drift from what the code accepts.
func TestExamplesTranslate(t *testing.T) {
	targets, err := KnownTargets()
	if err != nil {
		t.Fatal(err)
	}
	sx := testSyntax(t)
	for _, cmd := range sx.Table.Commands {
		if len(cmd.Examples) == 0 {
			t.Errorf("%s: no example", cmd.Name)
		}
		for _, ex := range cmd.Examples {
			tn, err := sx.Translate(ex.Line, targets.Newest())
			if err != nil {
				t.Errorf("%s: example %q: %v", cmd.Name, ex.Line, err)
				continue
			}
			if tn.Kind != Native || tn.Command != cmd {
				t.Errorf("%s: example %q is not translated by its own entry", cmd.Name, ex.Line)
			}
		}
	}
}

func TestHelpText(t *testing.T) {
	sx := testSyntax(t)
	var b bytes.Buffer
	targets, err := KnownTargets()
	if err != nil {
		t.Fatal(err)
	}
	sx.Table.Get("migrate").WriteHelp(&b, targets.Newest())
	help := b.String()
	for _, want := range []string{
		"migrate [-d] [-r] [-b] [-i] (-c CHANNEL [-c CHANNEL] | URI) -- ",
		"migrate -c socket,type=inet,host=10.0.0.2,port=4444",
		"migrate tcp:10.0.0.2:4444",
		"channel-type=main|cpr",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("help migrate lacks %q:\n%s", want, help)
		}
	}
	if got := sx.Table.Get("quit").Usage(); got != "quit" {
		t.Errorf("quit usage = %q", got)
	}
	if got := sx.Table.Get("migrate_set_parameter").Usage(); got != "migrate_set_parameter NAME VALUE" {
		t.Errorf("migrate_set_parameter usage = %q", got)
	}
	if sx.Table.Get("q") != sx.Table.Get("quit") {
		t.Error("q is not an alias of quit")
	}
}

func TestBadTables(t *testing.T) {
	tr := func(*Call) ([]qmp.Request, error) { return nil, nil }
	ex := []Example{{Line: "a"}}
	for _, cmds := range [][]*Command{
		{{Name: "a", Params: []Param{{Flag: "-x"}}, Examples: ex, Translate: tr}},
		{{Name: "a", Params: []Param{{Name: "x", Flag: "-"}}, Examples: ex, Translate: tr}},
		{{Name: "a", Params: []Param{{Name: "x", Type: Text}, {Name: "y", Flag: "-y"}}, Examples: ex, Translate: tr}},
		{{Name: "a", Params: []Param{{Name: "x", Type: Text, Optional: true}, {Name: "y", Type: Text}}, Examples: ex, Translate: tr}},
		{{Name: "a", Params: []Param{{Name: "x", Type: Text, Rest: true}, {Name: "y", Type: Text}}, Examples: ex, Translate: tr}},
		{{Name: "a", Params: []Param{{Name: "x", Type: Enum}}, Examples: ex, Translate: tr}},
		{{Name: "a", Params: []Param{{Name: "x", Type: Text}, {Name: "x", Flag: "-x"}}, Examples: ex, Translate: tr}},
		{{Name: "a", Translate: tr}},
		{{Name: "a", Examples: ex}},
		{{Name: "a", Examples: ex, Translate: tr}, {Name: "b", Aliases: []string{"a"}, Examples: ex, Translate: tr}},
	} {
		if _, err := NewTable(cmds); err == nil {
			t.Errorf("NewTable(%s...) accepted a bad table", cmds[0].Name)
		}
	}
}

// The same destination written as a CHANNEL and as a legacy URI sends the
// same bytes, on every target.
func TestURIAndChannelAgree(t *testing.T) {
	targets, err := KnownTargets()
	if err != nil {
		t.Fatal(err)
	}
	sx := testSyntax(t)
	pairs := [][2]string{
		{"migrate tcp:10.0.0.2:4444", "migrate -c socket,type=inet,host=10.0.0.2,port=4444"},
		{"migrate tcp:[::1]:4444,ipv6=on", "migrate -c socket,type=inet,host=::1,port=4444,ipv6=on"},
		{"migrate unix:/run/m.sock", "migrate -c socket,type=unix,path=/run/m.sock"},
		{"migrate vsock:3:4444", "migrate -c socket,type=vsock,cid=3,port=4444"},
		{"migrate fd:mig", "migrate -c socket,type=fd,str=mig"},
		{`migrate "exec:gzip > /tmp/x"`, `migrate -c "exec,args=/bin/sh -c 'gzip > /tmp/x'"`},
		{"migrate rdma:h:4444", "migrate -c rdma,host=h,port=4444"},
		{"migrate file:/tmp/x,offset=4096", "migrate -c file,filename=/tmp/x,offset=4K"},
		{"migrate_incoming tcp::4444", "migrate_incoming -c socket,type=inet,host=,port=4444"},
	}
	for _, target := range all(t, targets) {
		for _, p := range pairs {
			a, errA := sx.Translate(p[0], target)
			b, errB := sx.Translate(p[1], target)
			if (errA == nil) != (errB == nil) {
				t.Errorf("%s: %q and %q disagree: %v / %v", target.Version(), p[0], p[1], errA, errB)
				continue
			}
			if errA != nil {
				continue
			}
			ja, _ := a.Requests[0].MarshalJSON()
			jb, _ := b.Requests[0].MarshalJSON()
			if !bytes.Equal(ja, jb) {
				t.Errorf("%s: %q and %q differ:\n%s\n%s", target.Version(), p[0], p[1], ja, jb)
			}
		}
	}
}

// testSyntax is the line model of the standard table, without hmpsh's own
// commands (those are the shell's).
func testSyntax(tb testing.TB) *Syntax {
	tb.Helper()
	sx, err := NewSyntax(DefaultTable(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	return sx
}

// all reads every built-in target.
func all(tb testing.TB, ts *Targets) []*Target {
	tb.Helper()
	list, err := ts.All()
	if err != nil {
		tb.Fatal(err)
	}
	return list
}

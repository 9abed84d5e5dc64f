package hmp

import (
	"bytes"
	"strings"
	"testing"
)

// Every example in every help text must translate on the newest QEMU,
// so the help cannot drift from what the code accepts.
func TestExamplesTranslate(t *testing.T) {
	targets, err := KnownTargets()
	if err != nil {
		t.Fatal(err)
	}
	tr := NewTranslator()
	for _, cmd := range tr.Table.Commands {
		if len(cmd.Examples) == 0 {
			t.Errorf("%s: no example", cmd.Name)
		}
		for _, ex := range cmd.Examples {
			tn, err := tr.Translate(ex.Line, targets.Newest())
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
	tr := NewTranslator()
	var b bytes.Buffer
	tr.Table.Get("migrate").WriteHelp(&b)
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
	if got := tr.Table.Get("quit").Usage(); got != "quit" {
		t.Errorf("quit usage = %q", got)
	}
	if got := tr.Table.Get("migrate_set_parameter").Usage(); got != "migrate_set_parameter NAME VALUE" {
		t.Errorf("migrate_set_parameter usage = %q", got)
	}
	if tr.Table.Get("q") != tr.Table.Get("quit") {
		t.Error("q is not an alias of quit")
	}
}

func TestBadTables(t *testing.T) {
	for _, cmds := range [][]*Command{
		{{Name: "a", Params: "x", Examples: []Example{{Line: "a"}}}},
		{{Name: "a", Params: "x:-", Examples: []Example{{Line: "a"}}}},
		{{Name: "a"}},
		{{Name: "a", Examples: []Example{{Line: "a"}}}, {Name: "b", Aliases: []string{"a"}, Examples: []Example{{Line: "b"}}}},
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
	tr := NewTranslator()
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
	for _, target := range targets.List {
		for _, p := range pairs {
			a, errA := tr.Translate(p[0], target)
			b, errB := tr.Translate(p[1], target)
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

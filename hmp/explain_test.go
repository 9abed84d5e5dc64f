package hmp

import (
	"fmt"
	"strings"
	"testing"
)

func explainTargets(t *testing.T) []ExplainTarget {
	t.Helper()
	targets, err := KnownTargets()
	if err != nil {
		t.Fatal(err)
	}
	et, err := KnownExplainTargets(targets)
	if err != nil {
		t.Fatal(err)
	}
	return et
}

func key(t *testing.T, ce ChannelExplanation, name string) KeyValue {
	t.Helper()
	for _, k := range ce.Keys {
		if k.Key == name {
			return k
		}
	}
	t.Fatalf("channel %q has no key %s: %+v", ce.Spec, name, ce.Keys)
	return KeyValue{}
}

func TestExplainURI(t *testing.T) {
	sx := lineSyntax(t)
	e := sx.Explain("@dst migrate_incoming tcp:0.0.0.0:4444,to=4450 # listen", explainTargets(t), nil)
	if e.Err != nil {
		t.Fatal(e.Err)
	}
	if e.Kind != Native || e.Name != "migrate_incoming" || e.QMP != "migrate-incoming" || e.Monitor != "dst" || e.Comment != "# listen" {
		t.Errorf("read as %+v", e)
	}
	if len(e.Channels) != 1 || !e.Channels[0].URI || e.Form != FormURI {
		t.Fatalf("channels %+v, form %s", e.Channels, e.Form)
	}
	ch := e.Channels[0]
	for _, want := range []KeyValue{
		{Key: "channel-type", Value: `"main"`, Type: "enum", Default: true},
		{Key: "transport", Value: `"socket"`, Type: "enum"},
		{Key: "type", Value: `"inet"`, Type: "enum"},
		{Key: "host", Value: `"0.0.0.0"`, Type: "str"},
		{Key: "port", Value: `"4444"`, Type: "str"},
		{Key: "to", Value: "4450", Type: "int"},
	} {
		if got := key(t, ch, want.Key); got != want {
			t.Errorf("key %s: got %+v, want %+v", want.Key, got, want)
		}
	}
	if e.Other == nil || e.Other.Err != nil || e.Other.Line != "@dst migrate_incoming -c socket,type=inet,host=0.0.0.0,port=4444,to=4450 # listen" {
		t.Errorf("other form: %+v", e.Other)
	}
	if len(e.Sends) != 2 || !e.Differ {
		t.Fatalf("sends %+v", e.Sends)
	}
	old, cur := e.Sends[0], e.Sends[1]
	if old.Label != "QEMU 7.2" || old.Requests[0] != `{"execute":"migrate-incoming","arguments":{"uri":"tcp:0.0.0.0:4444,to=4450"}}` ||
		!strings.Contains(old.Note, "QEMU 7.2 has no `channels` in migrate-incoming: sent as `uri`") {
		t.Errorf("7.2: %+v", old)
	}
	if cur.Label != "QEMU 10.0" || !strings.Contains(cur.Requests[0], `"channels":[{"channel-type":"main"`) || cur.Note == "" {
		t.Errorf("10.0: %+v", cur)
	}
}

func TestExplainDefaults(t *testing.T) {
	sx := lineSyntax(t)
	et := explainTargets(t)
	for line, wantDefault := range map[string]bool{
		"migrate file:/tmp/vm":                         true,
		"migrate file:/tmp/vm,offset=4K":               false,
		"migrate -c file,filename=/tmp/vm":             true,
		"migrate -c file,filename=/tmp/vm,offset=0":    false,
		"migrate -c file,filename=/tmp/vm,offset=0x10": false,
	} {
		e := sx.Explain(line, et, nil)
		if len(e.Channels) != 1 || e.Channels[0].Err != nil {
			t.Fatalf("%s: %+v", line, e.Channels)
		}
		if got := key(t, e.Channels[0], "offset"); got.Default != wantDefault {
			t.Errorf("%s: offset %+v, want default %v", line, got, wantDefault)
		}
		// QEMU 7.2 has no file migration: its row is the error.
		if e.Sends[0].Err == nil || !strings.Contains(e.Sends[0].Err.Error(), "transport=file has no URI form before QEMU 8.2") {
			t.Errorf("%s: 7.2: %+v", line, e.Sends[0])
		}
	}
}

func TestExplainNoURI(t *testing.T) {
	sx := lineSyntax(t)
	e := sx.Explain("migrate -c socket,type=unix,path=mig,abstract=on", explainTargets(t), nil)
	if e.Form != FormChannels || e.Other == nil || e.Other.Form != FormURI || e.Other.Err == nil || !strings.Contains(e.Other.Err.Error(), "abstract=on has no URI form") {
		t.Errorf("other form: %+v", e.Other)
	}
	if !e.Detachable || !e.Waits {
		t.Errorf("migrate without -d does not wait: %+v", e)
	}
}

func TestExplainOtherLines(t *testing.T) {
	sx := lineSyntax(t)
	et := explainTargets(t)
	tests := []struct {
		line  string
		kind  Kind
		sends string // what every target gets; "" for nothing
	}{
		{"info status", Native, `{"execute":"query-status"}`},
		{"savevm snap1", Passthrough, `{"execute":"human-monitor-command","arguments":{"command-line":"savevm snap1"}}`},
		{"query-migrate", QMPArgs, `{"execute":"query-migrate"}`},
		{`{"execute":"stop"}`, QMPJSON, `{"execute":"stop"}`},
		{".use dst", Builtin, ""},
		{"# just a comment", Blank, ""},
	}
	for _, tt := range tests {
		e := sx.Explain(tt.line, et, nil)
		if e.Err != nil || e.Kind != tt.kind || e.Channels != nil || e.Other != nil {
			t.Errorf("%s: %+v", tt.line, e)
			continue
		}
		if tt.sends == "" {
			if len(e.Sends) != 0 {
				t.Errorf("%s: sends %+v", tt.line, e.Sends)
			}
			continue
		}
		if len(e.Sends) != len(et) || e.Differ {
			t.Errorf("%s: sends %+v", tt.line, e.Sends)
		}
		for _, s := range e.Sends {
			if s.Err != nil || len(s.Requests) != 1 || s.Requests[0] != tt.sends || s.Note != "" {
				t.Errorf("%s: %s gets %+v", tt.line, s.Label, s)
			}
		}
	}
	e := sx.Explain("migrate-set-parameters max-bandwidth=1G tls-creds=x", et, nil)
	if len(e.Args) != 2 || e.Args[0].Name != "max-bandwidth" || e.Args[0].Type != "int" || e.Args[1].Type != "alternate" {
		t.Errorf("QMP arguments: %+v", e.Args)
	}
	e = sx.Explain("migrate -d -r tcp:h:1", et, nil)
	if len(e.Flags) != 2 || e.Flags[0].Name != "-d" || e.Flags[1].Name != "-r" || e.Flags[0].Meaning == "" || e.Waits {
		t.Errorf("flags: %+v", e.Flags)
	}
	e = sx.Explain("migrate -x tcp:h:1", et, nil)
	if e.Err == nil || !strings.Contains(e.Err.Error(), "unsupported option -x") {
		t.Errorf("a bad line: %+v", e)
	}
}

// TestExplainDescriber: the meaning of each key comes from the
// Describer, asked with the key's branch.
func TestExplainDescriber(t *testing.T) {
	sx := lineSyntax(t)
	var asked []Subject
	d := DescribeFunc(func(s Subject) string {
		asked = append(asked, s)
		return fmt.Sprintf("%s %s %v", s.Entity, s.Member, s.Branch)
	})
	e := sx.Explain("migrate vsock:3:4444", explainTargets(t), d)
	port := key(t, e.Channels[0], "port")
	if port.Meaning != "MigrationChannel port [{transport socket} {type vsock}]" {
		t.Errorf("port's meaning: %q", port.Meaning)
	}
	if len(asked) == 0 || asked[0].Schema == nil {
		t.Errorf("asked %+v", asked)
	}
	e = sx.Explain("migrate_set_capability xbzrle on", explainTargets(t), d)
	if e.Args[0].Meaning != "MigrationCapability xbzrle []" {
		t.Errorf("capability's meaning: %+v", e.Args)
	}
}

func TestExplainText(t *testing.T) {
	sx := lineSyntax(t)
	var b strings.Builder
	sx.Explain("migrate -d tcp:10.0.0.2:4444", explainTargets(t), nil).WriteText(&b)
	for _, want := range []string{
		"kind:        HMP, translated by hmpsh: sent as QMP migrate\n",
		"flag:        -d  return at once",
		"  channel-type  \"main\"      enum  (default)\n",
		"as channels: migrate -d -c socket,type=inet,host=10.0.0.2,port=4444\n",
		"  QEMU 7.2   {\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:10.0.0.2:4444\"}}\n",
		"             ^ QEMU 7.2 has no `channels` in migrate: sent as `uri`\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("explanation lacks %q:\n%s", want, b.String())
		}
	}
}

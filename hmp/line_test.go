package hmp

import (
	"strings"
	"testing"

	"github.com/hmpsh/hmpsh/split"
)

// own is a stand-in for the shell's own commands.
type own struct {
	name      string
	params    []Param
	onMonitor bool
}

func (o own) Names() []string    { return []string{o.name} }
func (o own) ParamList() []Param { return o.params }
func (o own) Usage() string      { return Usage(o.name, o.params) }
func (o own) Summary() string    { return o.name }
func (o own) TakesMonitor() bool { return o.onMonitor }

func lineSyntax(t *testing.T) *Syntax {
	t.Helper()
	sx, err := NewSyntax(DefaultTable(), []BuiltinEntry{
		own{"help", []Param{{Name: "command", Type: CommandName, Optional: true, Rest: true}}, true},
		own{".use", []Param{{Name: "name", Type: Monitor}}, false},
	})
	if err != nil {
		t.Fatal(err)
	}
	return sx
}

func TestCutHead(t *testing.T) {
	tests := []struct {
		line string
		want Head
	}{
		{"", Head{Blank: true}},
		{"  # c", Head{Body: "# c", Offset: 2, Blank: true}},
		{"info status", Head{Body: "info status"}},
		{"@dst info status", Head{Monitor: "dst", Prefixed: true, Body: "info status", Offset: 5}},
		{" @dst\tinfo", Head{Monitor: "dst", Prefixed: true, Body: "info", Offset: 6}},
		{"@ds", Head{Monitor: "ds", Prefixed: true, NameOnly: true, Offset: 3, Blank: true}},
		{"@* stop", Head{Monitor: "*", Prefixed: true, Body: "stop", Offset: 3}},
		{` {"execute":"stop"}`, Head{Body: `{"execute":"stop"}`, Offset: 1, JSON: true}},
		{`@d {"a":1}`, Head{Monitor: "d", Prefixed: true, Body: `{"a":1}`, Offset: 3, JSON: true}},
	}
	for _, tt := range tests {
		if got := CutHead(tt.line); got != tt.want {
			t.Errorf("CutHead(%q) = %+v, want %+v", tt.line, got, tt.want)
		}
	}
}

func TestParseKinds(t *testing.T) {
	sx := lineSyntax(t)
	targets, err := KnownTargets()
	if err != nil {
		t.Fatal(err)
	}
	asked := ""
	target := func(m string) (*Target, error) { asked += "[" + m + "]"; return targets.Newest(), nil }
	tests := []struct {
		line                        string
		kind                        Kind
		monitor, name, body, commnt string
		asks                        string // the target asked for
	}{
		{"", Blank, "", "", "", "", ""},
		{"   # only a comment", Blank, "", "", "", "# only a comment", ""},
		{"@dst # a comment", Blank, "dst", "", "", "# a comment", ""},
		{"info status # check", Native, "", "info status", "info status", "# check", ""},
		{"@src info status", Native, "src", "info status", "info status", "", ""},
		{"migrate -c socket,type=unix,path=/a#b", Native, "", "migrate", "migrate -c socket,type=unix,path=/a#b", "", ""},
		{`migrate -c "exec,args=/bin/sh -c 'echo # no comment'"`, Native, "", "migrate", `migrate -c "exec,args=/bin/sh -c 'echo # no comment'"`, "", ""},
		{"q", Native, "", "quit", "q", "", ""},
		{".use dst   #  switch", Builtin, "", ".use", ".use dst", "#  switch", ""},
		{"help", Builtin, "", "help", "help", "", ""},
		{"help migrate", Builtin, "", "help", "help migrate", "", ""},
		{"help info status", Builtin, "", "help", "help info status", "", ""},
		{"@dst help .use", Builtin, "dst", "help", "help .use", "", ""},
		{"help savevm", Passthrough, "", "help", "help savevm", "", "[]"},
		// help COMMAND KEY is hmpsh's for a command of its table.
		{"help migrate port", Builtin, "", "help", "help migrate port", "", ""},
		{"help info status x", Builtin, "", "help", "help info status x", "", ""},
		{"help savevm x", Passthrough, "", "help", "help savevm x", "", "[]"},
		{"info version  # x", Passthrough, "", "info", "info version", "# x", "[]"},
		{"@dst balloon 64", Passthrough, "dst", "balloon", "balloon 64", "", "[dst]"},
		{"query-status", QMPArgs, "", "query-status", "query-status", "", "[]"},
		{"@* query-status", QMPArgs, "*", "query-status", "query-status", "", "[*]"},
		{`{"execute":"stop"}  # json`, QMPJSON, "", "stop", `{"execute":"stop"}`, "# json", ""},
		{`@d { "exec-oob" : "x" }`, QMPJSON, "d", "x", `{ "exec-oob" : "x" }`, "", ""},
		{`"info" status`, Passthrough, "", "info", `"info" status`, "", "[]"},
	}
	for _, tt := range tests {
		asked = ""
		ln, err := sx.Parse(tt.line, target)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.line, err)
			continue
		}
		if ln.Kind != tt.kind || ln.Monitor != tt.monitor || ln.Name != tt.name || ln.Body != tt.body || ln.Comment != tt.commnt || asked != tt.asks {
			t.Errorf("Parse(%q) = kind %v monitor %q name %q body %q comment %q, asked %q\n want kind %v monitor %q name %q body %q comment %q, asked %q",
				tt.line, ln.Kind, ln.Monitor, ln.Name, ln.Body, ln.Comment, asked, tt.kind, tt.monitor, tt.name, tt.body, tt.commnt, tt.asks)
		}
		if (ln.Kind == Native || ln.Kind == Builtin) != (ln.Call != nil) {
			t.Errorf("Parse(%q): call %v for kind %v", tt.line, ln.Call, ln.Kind)
		}
	}
	// The arguments are read by the entry's params.
	ln, err := sx.Parse("help info migrate # x", target)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := ln.Call.Arg("command"); v != "info migrate" {
		t.Errorf("help's COMMAND = %q", v)
	}
	// A comment's words are not the line's: passthrough sends the body.
	tn, err := sx.Translate("info version # comment", targets.Newest())
	if err != nil {
		t.Fatal(err)
	}
	if data, _ := tn.Requests[0].MarshalJSON(); string(data) != `{"execute":"human-monitor-command","arguments":{"command-line":"info version"}}` {
		t.Errorf("passthrough with a comment sends %s", data)
	}
}

func TestParseErrors(t *testing.T) {
	sx := lineSyntax(t)
	targets, err := KnownTargets()
	if err != nil {
		t.Fatal(err)
	}
	target := func(string) (*Target, error) { return targets.Newest(), nil }
	for _, tt := range []struct{ line, msg string }{
		{"@ stop", "@ needs a monitor name"},
		{"@a.b stop", "@a.b: not a monitor name"},
		{".usee dst", `unknown hmpsh command ".usee" (did you mean ".use"?); hmpsh's commands: .use`},
		{"@dst .use src", ".use acts on the session, not on one monitor; leave out @dst"},
		{".use", ".use: missing argument NAME"},
		{".use a b", `.use: extraneous characters at the end of line: "b"`},
		{"migrate -x tcp:h:1", "migrate: unsupported option -x"},
		{`info "status`, "unterminated string"},
		{`{"execute":"stop"} junk`, `JSON line: more than one value: "junk" at column 20 (a comment after it starts with #)`},
		{"{\"execute\":\"stop\"}\x00", `JSON line: a NUL byte (\x00) after the JSON value at column 19`},
		{"@src {\"execute\":\"stop\"} \x00 \n", `JSON line: a NUL byte (\x00) after the JSON value at column 25`},
		{"{\"execute\":\"stop\"}\x1b[A", `JSON line: a control byte (\x1b) after the JSON value at column 19`},
		{`{"execute":"stop"}{"execute":"cont"}`, `JSON line: more than one value: "{\"execute\":\"cont\"}" at column 19`},
		{`{"execute":`, "JSON line: unexpected EOF"},
		{`"" status`, `"": an empty command name`},
	} {
		_, err := sx.Parse(tt.line, target)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Parse(%q) = %v, want %q", tt.line, err, tt.msg)
		}
	}
}

func TestCommentAt(t *testing.T) {
	words, _ := split.Words(`a "#b" c #d e`)
	if got := CommentAt(words); got != 3 {
		t.Errorf("CommentAt = %d, want 3", got)
	}
	if got := CommentAt(words[:3]); got != 3 {
		t.Errorf("CommentAt without a comment = %d", got)
	}
}

// One parsed line translated for every target: each translation stays
// what it was when the next is made.
func TestTranslateOneLineTwice(t *testing.T) {
	sx := lineSyntax(t)
	targets, err := KnownTargets()
	if err != nil {
		t.Fatal(err)
	}
	list, err := targets.All()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := sx.Parse("migrate -c socket,type=inet,host=h,port=1", func(string) (*Target, error) { return list[0], nil })
	if err != nil {
		t.Fatal(err)
	}
	var tns []*Translation
	var want []string
	for _, tg := range list {
		tn, err := Translate(ln, tg)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := tn.Requests[0].MarshalJSON()
		tns, want = append(tns, tn), append(want, string(data))
	}
	if want[0] == want[len(want)-1] {
		t.Fatalf("7.2 and 10.0 got the same request: %s", want[0])
	}
	for i, tn := range tns {
		if data, _ := tn.Requests[0].MarshalJSON(); string(data) != want[i] {
			t.Errorf("translation %d changed to %s, was %s", i, data, want[i])
		}
	}
}

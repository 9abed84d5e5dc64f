package hmp

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// lineSeeds are lines of every kind, and the ones the line model has
// tripped on.
var lineSeeds = []string{
	"", "   ", "# a comment", "  # indented", "info status", "@dst info status  # where", "@* stop", "@ stop", "@a.b stop", "@dst",
	".use dst", ".use", "@dst .use src", ".nosuch", "help", "help migrate", "help migrate host", "help nosuch",
	`{"execute":"stop"}`, `{"execute":"stop"} # c`, "{\"execute\":\"stop\"}\x00", `{"execute":"stop"}{"execute":"cont"}`, `{"execute":`, `{}`, `{"exec-oob":"x"}`,
	"query-status", "migrate-set-parameters max-bandwidth=1G downtime-limit=300", "migrate-set-parameters tls-creds.0=x",
	`info "status`, `"info" status`, "migrate -d -c socket,type=inet,host=h,port=1", "migrate tcp:[::1]:4444", "migrate -x tcp:h:1",
	"migrate_set_capability events on", "migrate_set_parameter max-bandwidth 1.5", "system_reset", "x \x00 y", "\t@dst\tstop",
}

// FuzzParse: the line model takes any line. Parse never panics; what it
// reads hangs together (the line kept, body and comment pieces of it, the
// words inside the body, a valid monitor name, the parts each kind has);
// a Line parsed into again reads the same as a new one; and a line that
// parses translates, on every built-in target, into valid JSON requests
// or fails with an error.
func FuzzParse(f *testing.F) {
	for _, l := range append(lineSeeds, goldenLines(f)...) {
		f.Add(l)
	}
	sx, err := NewSyntax(DefaultTable(), []BuiltinEntry{
		own{"help", []Param{{Name: "command", Type: CommandName, Optional: true, Rest: true}}, true},
		own{".use", []Param{{Name: "name", Type: Monitor}}, false},
	})
	if err != nil {
		f.Fatal(err)
	}
	targets, err := KnownTargets()
	if err != nil {
		f.Fatal(err)
	}
	list := all(f, targets)
	var used Line
	f.Fuzz(func(t *testing.T, line string) {
		for _, target := range list {
			tf := func(string) (*Target, error) { return target, nil }
			ln, err := sx.Parse(line, tf)
			if err != nil {
				if err.Error() == "" {
					t.Fatalf("%q: empty error", line)
				}
				if err2 := sx.ParseInto(&used, line, tf); err2 == nil || err2.Error() != err.Error() {
					t.Fatalf("%q: Parse fails with %v, ParseInto a used Line with %v", line, err, err2)
				}
				continue
			}
			checkLine(t, ln)
			want := lineSummary(t, ln, target)
			// A used Line, last parsed from something else: the session
			// keeps one for every line it runs.
			if err := sx.ParseInto(&used, "migrate -d -c socket,type=inet,host=h,port=1 # x", tf); err != nil {
				t.Fatal(err)
			}
			if _, err := Translate(&used, target); err != nil {
				t.Fatal(err)
			}
			if err := sx.ParseInto(&used, line, tf); err != nil {
				t.Fatalf("%q: Parse reads it, ParseInto a used Line fails: %v", line, err)
			}
			if got := lineSummary(t, &used, target); got != want {
				t.Fatalf("%q: a used Line reads\n%s\na new one\n%s", line, got, want)
			}
		}
	})
}

// checkLine checks what any parsed line must be.
func checkLine(t *testing.T, ln *Line) {
	t.Helper()
	line := ln.Raw
	if ln.Kind < Blank || ln.Kind > QMPJSON {
		t.Fatalf("%q: kind %d", line, ln.Kind)
	}
	if m := ln.Monitor; m != "" && m != AllMonitors && !ValidName(m) {
		t.Fatalf("%q: monitor %q", line, m)
	}
	if !strings.Contains(line, ln.Body) || !strings.Contains(line, ln.Comment) {
		t.Fatalf("%q: body %q, comment %q: not pieces of the line", line, ln.Body, ln.Comment)
	}
	if ln.Comment != "" && ln.Comment[0] != '#' {
		t.Fatalf("%q: comment %q", line, ln.Comment)
	}
	for _, w := range ln.Words {
		if w.Start < 0 || w.Start > w.End || w.End > len(ln.Body) {
			t.Fatalf("%q: word %+v outside the body %q", line, w, ln.Body)
		}
	}
	switch ln.Kind {
	case Blank:
		if ln.Body != "" {
			t.Fatalf("%q: blank with body %q", line, ln.Body)
		}
	case Native:
		if ln.Command == nil || ln.Call == nil || len(ln.Words) == 0 {
			t.Fatalf("%q: a translated command without entry, call or words", line)
		}
	case Builtin:
		if ln.Builtin == nil || ln.Call == nil {
			t.Fatalf("%q: an own command without entry or call", line)
		}
	case QMPJSON:
		if !json.Valid(ln.JSON) || ln.Name == "" {
			t.Fatalf("%q: JSON %q, name %q", line, ln.JSON, ln.Name)
		}
	case Passthrough, QMPArgs:
		if len(ln.Words) == 0 || ln.Name == "" {
			t.Fatalf("%q: a command for QEMU without words or name", line)
		}
	}
}

// lineSummary is what a parsed line means on target, as text: its parts,
// and its translation or why there is none. A translation must be valid
// JSON, a failure must say something.
func lineSummary(t *testing.T, ln *Line, target *Target) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "raw %q monitor %q kind %s name %q body %q comment %q json %q\n", ln.Raw, ln.Monitor, ln.Kind, ln.Name, ln.Body, ln.Comment, ln.JSON)
	for _, w := range ln.Words {
		fmt.Fprintf(&b, "word %+v\n", w)
	}
	if ln.Kind == Builtin {
		return b.String() // its own command runs it; nothing to translate
	}
	tn, err := Translate(ln, target)
	if err != nil {
		if err.Error() == "" {
			t.Fatalf("%q: translation fails with an empty error", ln.Raw)
		}
		return b.String() + "error " + err.Error()
	}
	for _, r := range tn.Requests {
		data, err := r.MarshalJSON()
		if err != nil || !json.Valid(data) {
			t.Fatalf("%q: request %s, %v", ln.Raw, data, err)
		}
		fmt.Fprintf(&b, "request %s\n", data)
	}
	fmt.Fprintf(&b, "wait %v", tn.Wait)
	return b.String()
}

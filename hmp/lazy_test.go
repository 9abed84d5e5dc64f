package hmp

import (
	"slices"
	"testing"

	"github.com/hmpsh/hmpsh/qmp"
)

// A command marked NoSchema sends the same everywhere: its examples
// translate without a target, to what each built-in target gets.
func TestNoSchemaNeedsNoTarget(t *testing.T) {
	targets, err := KnownTargets()
	if err != nil {
		t.Fatal(err)
	}
	sx := testSyntax(t)
	n := 0
	for _, cmd := range sx.Table.Commands {
		if !cmd.NoSchema {
			continue
		}
		n++
		for _, ex := range cmd.Examples {
			ln, err := sx.Parse(ex.Line, func(string) (*Target, error) {
				t.Fatalf("%s: the parse asked for a target", ex.Line)
				return nil, nil
			})
			if err != nil {
				t.Fatalf("%s: %v", ex.Line, err)
			}
			if ln.NeedsTarget() {
				t.Errorf("%s: NeedsTarget", ex.Line)
			}
			tn, err := Translate(ln, nil)
			if err != nil {
				t.Fatalf("%s without a target: %v", ex.Line, err)
			}
			got := marshalAll(t, tn.Requests)
			for _, target := range all(t, targets) {
				tn, err := sx.Translate(ex.Line, target)
				if err != nil {
					t.Fatalf("%s for QEMU %s: %v", ex.Line, target.Version(), err)
				}
				if want := marshalAll(t, tn.Requests); !slices.Equal(got, want) {
					t.Errorf("%s: %q without a target, %q for QEMU %s", ex.Line, got, want, target.Version())
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no command is marked NoSchema")
	}
	// What reads the schema says so.
	for line, want := range map[string]bool{
		"migrate -d tcp:10.0.0.2:4444":     true,
		"migrate_set_capability xbzrle on": true,
		"query-migrate":                    true, // QMP with key=value words
		`{"execute":"query-status"}`:       false,
		"info version":                     false, // passthrough: the parse read the schema already
		"# comment":                        false,
	} {
		ln, err := sx.Parse(line, func(string) (*Target, error) { return targets.Newest(), nil })
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if ln.NeedsTarget() != want {
			t.Errorf("%s (%s): NeedsTarget %v, want %v", line, ln.Kind, !want, want)
		}
	}
}

func marshalAll(t *testing.T, reqs []qmp.Request) []string {
	t.Helper()
	var out []string
	for _, r := range reqs {
		data, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(data))
	}
	return out
}

// A connected QEMU's target reads the newest built-in schema only when
// its own has no channel syntax.
func TestForReadsTheNewestOnlyWhenNeeded(t *testing.T) {
	schemas, err := qmp.KnownSchemas()
	if err != nil {
		t.Fatal(err)
	}
	oldest, newest := schemas[0], schemas[len(schemas)-1]
	ts, err := KnownTargets()
	if err != nil {
		t.Fatal(err)
	}
	last := len(ts.targets) - 1
	if ts.targets[last] != nil {
		t.Fatal("KnownTargets read the newest schema")
	}
	if ts.For(newest).Channels() == nil {
		t.Fatalf("QEMU %s: no channel syntax", newest.QEMU)
	}
	if ts.targets[last] != nil {
		t.Errorf("QEMU %s, which has the channel syntax, read the built-in one", newest.QEMU)
	}
	if oldest.Command("migrate") != nil && oldest.Path(oldest.Args("migrate"), "channels", "[]") != nil {
		t.Skipf("the oldest built-in schema (%s) has the channel syntax", oldest.QEMU)
	}
	if ts.For(oldest).Channels() == nil {
		t.Fatalf("QEMU %s: no channel syntax from the newest schema", oldest.QEMU)
	}
	if ts.targets[last] == nil {
		t.Errorf("QEMU %s got the channel syntax without the newest schema", oldest.QEMU)
	}
}

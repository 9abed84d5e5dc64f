package hmp

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hmpsh/hmpsh/internal/update"
)

// The golden files hold HMP lines, each followed by what it becomes on
// every built-in target, one indented line per target:
//
//	migrate tcp:h:4444
//		7.2: {"execute":"migrate","arguments":{"uri":"tcp:h:4444"}}
//		10.0: {"execute":"migrate","arguments":{"channels":[...]}}
//
// A request per line of output; "error: ..." when the line is refused.
// Comments (#) and blank lines are kept. go test ./hmp -update rewrites the
// indented lines from what the code does now; review the diff.
func TestGolden(t *testing.T) {
	targets, err := KnownTargets()
	if err != nil {
		t.Fatal(err)
	}
	sx := testSyntax(t)
	files, err := filepath.Glob("../testdata/golden/*.golden")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want := string(data)
			got := renderGolden(t, want, sx, targets)
			if got == want {
				return
			}
			if *update.Golden {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			t.Errorf("%s differs from what the code does (go test ./hmp -update rewrites it):\n%s", file, diffLines(want, got))
		})
	}
}

// renderGolden keeps the inputs and comments of a golden file and writes
// the current translations under each input.
func renderGolden(t *testing.T, text string, sx *Syntax, targets *Targets) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if strings.HasPrefix(line, "\t") {
			continue // an old result: recomputed below its input
		}
		b.WriteString(line + "\n")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, target := range all(t, targets) {
			fmt.Fprintf(&b, "\t%s: %s\n", target.Version(), translateForGolden(sx, line, target))
		}
	}
	return b.String()
}

func translateForGolden(sx *Syntax, line string, target *Target) string {
	tn, err := sx.Translate(line, target)
	if err != nil {
		return "error: " + err.Error()
	}
	var out []string
	for _, r := range tn.Requests {
		data, err := r.MarshalJSON()
		if err != nil {
			return "error: marshal: " + err.Error()
		}
		out = append(out, string(data))
	}
	if tn.Wait {
		out = append(out, "(waits)")
	}
	return strings.Join(out, " ")
}

func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b bytes.Buffer
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want %s\n  got  %s\n", i+1, wl, gl)
		}
	}
	return b.String()
}

package shell

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/internal/qemutest"
)

// runOut runs lines on s and returns what they printed; a line that
// fails fails the test.
func runOut(t *testing.T, s *Session, out *syncBuffer, lines ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	before := len(out.String())
	for _, l := range lines {
		if err := s.Run(ctx, l); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
	}
	s.out.flush()
	return out.String()[before:]
}

// norm joins a text's words with single spaces: help wraps its lines.
func norm(s string) string { return strings.Join(strings.Fields(s), " ") }

// On a real QEMU of each generation: help lists that QEMU's own HMP
// commands from its own help, one a line; help COMMAND KEY shows QEMU's
// documentation with hmpsh's rule; help COMMAND of a command hmpsh does
// not translate is QEMU's own help.
func TestHelpOnQEMU(t *testing.T) {
	for _, gen := range qemutest.Generations() {
		t.Run(gen, func(t *testing.T) {
			q := qemutest.Start(t, gen, qemutest.Options{})
			out := &syncBuffer{}
			s := newTestSession(t, Config{Out: out, CacheDir: t.TempDir()})
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			m, err := s.Connect(ctx, "q", q.Addr())
			if err != nil {
				t.Fatal(err)
			}
			index := runOut(t, s, out, "help")
			head := regexp.MustCompile(`\nQEMU (\d+\.\d+\.\d+)'s own HMP commands, from its "help"\.\n`).FindStringSubmatch(index)
			if head == nil || head[1] != m.Version().String() {
				t.Fatalf("help lists no HMP commands of QEMU %s:\n%s", m.Version(), index)
			}
			_, qemuPart, _ := strings.Cut(index, head[0])
			// Every command of QEMU's help on a line of its own,
			// marked when hmpsh translates it.
			entries := hmp.ParseHelp(m.loadedTarget().Schema.HMPHelp)
			if len(entries) < 80 {
				t.Fatalf("QEMU %s's help has %d commands", gen, len(entries))
			}
			for _, e := range entries {
				mark := " "
				if s.sx.Known(e.Names[0]) {
					mark = `\*`
				}
				name := regexp.QuoteMeta(strings.Join(e.Names, "|"))
				if !regexp.MustCompile(`(?m)^` + mark + ` ` + name + `( |$)`).MatchString(qemuPart) {
					t.Errorf("help lacks a line for %s (mark %q)", name, mark)
				}
			}
			for _, want := range []string{"\n* migrate_set_parameter parameter value ", "\n  savevm tag "} {
				if !strings.Contains(qemuPart, want) {
					t.Errorf("help lacks %q:\n%s", want, qemuPart)
				}
			}

			got := runOut(t, s, out, "help migrate_set_parameter max-bandwidth")
			for _, want := range []string{"max-bandwidth (parameter): integer\n", "maximum speed for migration, in bytes per second.",
				"unit: bytes per second", "hmpsh: a number without a suffix is MiB, as in QEMU's HMP (100 is 100 MiB, sent as 104857600)"} {
				if !strings.Contains(norm(got), norm(want)) || !strings.HasPrefix(got, "max-bandwidth (parameter)") {
					t.Errorf("help migrate_set_parameter max-bandwidth =\n%s\nwant %q", got, want)
				}
			}
			got = runOut(t, s, out, "help migrate_set_capability xbzrle", "help migrate port")
			for _, want := range []string{"Xor Based Zero Run Length Encoding", "port part of the address"} {
				if !strings.Contains(norm(got), want) {
					t.Errorf("help ... =\n%s\nwant %q", got, want)
				}
			}
			// Not translated by hmpsh: QEMU's own help of it.
			if got := runOut(t, s, out, "help savevm"); !strings.HasPrefix(got, "savevm tag -- ") {
				t.Errorf("help savevm = %q, want QEMU's own help", got)
			}
			if err := s.Run(ctx, "help migrate nosuch"); err == nil || !strings.Contains(err.Error(), `no flag or name "nosuch"`) {
				t.Errorf("help migrate nosuch: %v", err)
			}
		})
	}
}

// Without a QEMU, help lists the QEMU the dry run translates for, from
// the copy of its help built into hmpsh, and says so (a dry run prints
// help as "#" lines).
func TestHelpDryRun(t *testing.T) {
	known, err := hmp.KnownTargets()
	if err != nil {
		t.Fatal(err)
	}
	sx, err := NewSyntax()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range known.Versions() {
		tg, err := known.Pick(v)
		if err != nil {
			t.Fatal(err)
		}
		out := &syncBuffer{}
		s := NewSession(Config{Out: out, Err: &syncBuffer{}}, sx, known, tg)
		got := runOut(t, s, out, "help")
		s.Close()
		if want := "QEMU " + tg.Schema.QEMU.String() + "'s own HMP commands, from hmpsh's built-in copy of its \"help\"."; !strings.Contains(got, want) {
			t.Errorf("dry run for %s: help lacks %q:\n%s", v, want, got)
		}
		if !strings.Contains(got, "Commands hmpsh translates itself:") || !strings.Contains(got, "#   announce_self [interfaces] [id] ") {
			t.Errorf("dry run for %s: help =\n%s", v, got)
		}
	}
}

package shell

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/hmpsh/hmpsh/internal/qemutest"
	"github.com/hmpsh/hmpsh/transcript"
)

// The info commands print what the connected QEMU's own HMP prints for the
// same state: asked both ways (hmpsh's line, and human-monitor-command
// with the same command line), in each state a migration goes through,
// on the source and the destination, on each QEMU generation.
func TestInfoFaithful(t *testing.T) {
	infos := []string{"info status", "info migrate", "info migrate_capabilities", "info migrate_parameters"}
	ask := func(monitor string) []string {
		var lines []string
		for _, info := range infos {
			hmpLine, _ := json.Marshal(map[string]any{"execute": "human-monitor-command", "arguments": map[string]string{"command-line": info}})
			lines = append(lines, "-c", monitor+info, "-c", monitor+string(hmpLine))
		}
		return lines
	}
	states := []struct {
		name    string
		machine string
		lines   []string
		during  bool // numbers move between the two askings
	}{
		{name: "before any migration", lines: nil},
		{name: "after a completed migration", lines: []string{"-c", "@dst migrate_incoming unix:${SANDBOX}/m.sock", "-c", "migrate unix:${SANDBOX}/m.sock", "-c", "@dst .wait status running"}},
		{name: "after a failed migration", lines: []string{"-c", "migrate -d unix:${SANDBOX}/nobody.sock", "-c", ".wait migration"}},
		{name: "during a migration", machine: "pc", during: true, lines: []string{"-c", "migrate_set_parameter max-bandwidth 64k",
			"-c", "@dst migrate_incoming unix:${SANDBOX}/m.sock", "-c", "migrate -d unix:${SANDBOX}/m.sock", "-c", ".wait event MIGRATION status=active"}},
	}
	echoed := regexp.MustCompile(`(?m)^\(src\) `)
	qemutest.Each(t, func(t *testing.T, gen string) {
		bin := qemutest.Require(t, gen)
		for _, st := range states {
			t.Run(st.name, func(t *testing.T) {
				args := []string{"--no-events", "--keep-going", "--echo"}
				if st.machine != "" {
					args = append(args, "--sandbox-machine", st.machine)
				}
				args = append(args, st.lines...)
				args = append(args, ask("")...)
				args = append(args, ask("@dst ")...)
				out, errOut, _ := sandboxRun(t, bin, "", args...)
				// Each asking's output runs from its echoed line to the next.
				blocks := echoed.Split(out, -1)
				var pairs [][2]string
				for i, b := range blocks {
					head, body, _ := strings.Cut(b, "\n")
					if !strings.HasSuffix(head, "info status") && !strings.Contains(head, "info migrate") || strings.HasPrefix(strings.TrimPrefix(head, "@dst "), "{") || i+1 >= len(blocks) {
						continue
					}
					_, reply, _ := strings.Cut(blocks[i+1], "\n")
					var r struct {
						Return string `json:"return"`
					}
					if err := json.Unmarshal([]byte(strings.TrimSpace(reply)), &r); err != nil {
						t.Fatalf("%s: the HMP asking printed %q: %v\nstderr:\n%s", head, reply, err, errOut)
					}
					pairs = append(pairs, [2]string{body, strings.ReplaceAll(r.Return, "\r\n", "\n")})
				}
				if len(pairs) != 2*len(infos) {
					t.Fatalf("%d pairs, want %d:\n%s\nstderr:\n%s", len(pairs), 2*len(infos), out, errOut)
				}
				for i, p := range pairs {
					got, want := p[0], p[1]
					if st.during {
						got, want = maskAll(got), maskAll(want)
					}
					if got != want {
						t.Errorf("%s: hmpsh printed\n%s\nQEMU's HMP prints\n%s", infos[i%len(infos)], got, want)
					}
				}
			})
		}
	})
}

func maskAll(text string) string {
	var b strings.Builder
	for _, l := range transcript.Lines(text) {
		b.WriteString(transcript.MaskNumbers(l) + "\n")
	}
	return b.String()
}

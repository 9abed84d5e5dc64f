package shell

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hmpsh/hmpsh/internal/qemutest"
)

// TestExplainLive: .explain on a sandbox adds the connected QEMU's row,
// labelled with its version and monitor, and sends nothing; .convert
// writes the line for it.
func TestExplainLive(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		bin := qemutest.Require(t, gen)
		out, errOut, code := sandboxRun(t, bin, "", "--no-events",
			"-c", ".explain @dst migrate_incoming unix:${SANDBOX}/mig.sock",
			"-c", "@dst .explain migrate_set_parameter downtime-limit 1234",
			"-c", "@dst info migrate_parameters",
			"-c", ".convert @dst migrate_incoming unix:/run/mig.sock # x",
		)
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		// The known generations, then dst's own QEMU.
		row := regexp.MustCompile(`(?m)^  QEMU (` + regexp.QuoteMeta(gen) + `\.\d+) \(dst\)  +(.*)$`)
		m := row.FindAllStringSubmatch(out, -1)
		if len(m) != 2 {
			t.Fatalf("no row for the connected QEMU %s (dst):\n%s", gen, out)
		}
		for _, want := range []string{"  QEMU 7.2 ", "  QEMU 10.0 "} {
			if !strings.Contains(out, want) {
				t.Errorf("no row %q:\n%s", want, out)
			}
		}
		want := `{"execute":"migrate-incoming","arguments":{"channels":[{"channel-type":"main","addr":{"transport":"socket","type":"unix","path":"`
		if gen == qemutest.Gen72 {
			want = `{"execute":"migrate-incoming","arguments":{"uri":"unix:`
		}
		if !strings.HasPrefix(m[0][2], want) {
			t.Errorf("QEMU %s (dst) gets %s, want %s...", m[0][1], m[0][2], want)
		}
		if !strings.Contains(m[1][2], `{"execute":"migrate-set-parameters","arguments":{"downtime-limit":1234}}`) {
			t.Errorf("QEMU %s (dst) gets %s", m[1][1], m[1][2])
		}
		// Nothing was sent: the parameter is as it was.
		if !regexp.MustCompile(`(?m)^downtime-limit: 300 ms$`).MatchString(out) {
			t.Errorf(".explain set a parameter:\n%s", out)
		}
		if !strings.Contains(out, "\n@dst migrate_incoming -c socket,type=unix,path=/run/mig.sock # x\n") {
			t.Errorf(".convert:\n%s", out)
		}
	})
}

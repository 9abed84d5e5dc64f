package shell

import (
	"strings"
	"testing"

	"github.com/hmpsh/hmpsh/internal/qemutest"
)

// On a live QEMU the names come from its own schema and help: a typo gets
// the closest, and a name only another generation has says which.
func TestNamesLive(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		bin := qemutest.Require(t, gen)
		_, errOut, code := sandboxRun(t, bin, "", "--keep-going", "-c", "inf status", "-c", "info stauts",
			"-c", "migrate_set_capability compress on", "-c", "migrate_set_capability mapped-ram on")
		if code != ExitFailed {
			t.Errorf("exit %d", code)
		}
		want := []string{
			`-c:1: unknown command "inf" (did you mean "info"?)`,
			`-c:2: info: unknown subcommand "stauts" (did you mean "status"?)`,
		}
		if gen == qemutest.Gen100 {
			want = append(want, `-c:3: migrate_set_capability: capability "compress" exists in QEMU 7.2 but not in this QEMU (10.0.`)
		} else {
			want = append(want, `-c:4: migrate_set_capability: capability "mapped-ram" exists in QEMU 10.0 but not in this QEMU (7.2.`)
		}
		for _, w := range want {
			if !strings.Contains(errOut, w) {
				t.Errorf("stderr lacks %q:\n%s", w, errOut)
			}
		}
	})
}

// --trace writes secrets as the history file does; --trace-secrets shows
// them.
func TestTraceSecrets(t *testing.T) {
	bin := qemutest.Require(t, qemutest.Gen100)
	lines := []string{"-c", "set_password vnc hunter2", "-c", `{"execute":"human-monitor-command","arguments":{"command-line":"set_password vnc hunter3"}}`}
	_, errOut, _ := sandboxRun(t, bin, "", append([]string{"--trace", "--keep-going"}, lines...)...)
	if strings.Contains(errOut, "hunter") || !strings.Contains(errOut, `set_password vnc ***`) {
		t.Errorf("--trace shows a secret, or no redacted request:\n%s", errOut)
	}
	_, errOut, _ = sandboxRun(t, bin, "", append([]string{"--trace", "--trace-secrets", "--keep-going"}, lines...)...)
	if !strings.Contains(errOut, "hunter2") || !strings.Contains(errOut, "hunter3") {
		t.Errorf("--trace-secrets hides a secret:\n%s", errOut)
	}
}

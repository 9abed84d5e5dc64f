package shell

import (
	"strings"
	"testing"

	"github.com/hmpsh/hmpsh/internal/qemutest"
)

// The end of a script waits for what QEMU sends after a reply: the RESET
// that system_reset causes, and the end of the connection after quit.
func TestScriptEndSettles(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		q := qemutest.Start(t, gen, qemutest.Options{})
		cache := t.TempDir()
		out, errOut, code := hmpsh(t, cache, "--qmp", q.Addr(), "-c", "system_reset")
		if code != 0 || !strings.Contains(out, " RESET ") {
			t.Errorf("system_reset: exit %d, no RESET event\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		out, errOut, code = hmpsh(t, cache, "--qmp", q.Addr(), "--no-events", "-c", "quit")
		if code != 0 || out != "" || errOut != "hmpsh: monitor qemu lost: qmp: connection closed by QEMU\n" {
			t.Errorf("quit: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
	})
}

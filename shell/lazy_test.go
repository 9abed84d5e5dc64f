package shell

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hmpsh/hmpsh/internal/qemutest"
)

// A line that sends the same to every QEMU (info status, stop, a line of
// JSON) runs without its schema: the cache stays empty. The first line
// that needs it (a passthrough, whose kind depends on it) reads it.
func TestLinesWithoutSchema(t *testing.T) {
	q := qemutest.Start(t, qemutest.Gen100, qemutest.Options{})
	cache := t.TempDir()
	schemas := func() []string {
		files, _ := filepath.Glob(filepath.Join(cache, "schemas", "*.json.gz"))
		return files
	}
	out, errOut, code := hmpsh(t, cache, "--qmp", q.Addr(), "-c", "info status", "-c", "stop", "-c", `{"execute":"query-status"}`, "-c", "cont", "-c", "info status")
	if code != 0 || strings.Count(out, "VM status: running\n") != 2 || !strings.Contains(out, `"status":"paused"`) {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if f := schemas(); len(f) != 0 {
		t.Errorf("schema read for lines that need none: %v", f)
	}
	if _, errOut, code := hmpsh(t, cache, "--qmp", q.Addr(), "-c", "info status", "-c", "info version"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if f := schemas(); len(f) != 1 {
		t.Errorf("a passthrough line did not read the schema: %v", f)
	}
}

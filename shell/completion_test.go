package shell

import (
	"slices"
	"testing"

	"github.com/hmpsh/hmpsh/shell/complete"
)

// .wait completes from the QEMU's schema: what to wait for, run states,
// event names, an event's data keys and an enum key's values.
func TestCompleteWait(t *testing.T) {
	s := newTestSession(t, Config{})
	c := complete.New(completionSource{sess: s})
	texts := func(line string) []string {
		cands, n := c.Candidates(line, len(line))
		var out []string
		for _, cd := range cands {
			out = append(out, line[len(line)-n:]+cd.Text[n:])
		}
		return out
	}
	// A lone candidate ends with what follows it: a space, or nothing
	// after KEY=.
	for _, tc := range []struct {
		line string
		want []string
	}{
		{".wa", []string{".wait "}},
		{".wait ", []string{"status", "event", "migration"}},
		{".wait status ", []string{"running", "inmigrate", "postmigrate", "timeout="}},
		{".wait event MIGRAT", []string{"MIGRATION", "MIGRATION_PASS"}},
		{".wait event MIGRATION ", []string{"status=", "timeout="}},
		{".wait event MIGRATION status=comp", []string{"status=completed "}},
		{"@dst .wa", []string{".wait "}},
	} {
		got := texts(tc.line)
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("%q: candidates %q lack %q", tc.line, got, w)
			}
		}
	}
	if got := texts("@dst .us"); len(got) != 0 {
		t.Errorf("@dst .us: %q; .use is not about one monitor", got)
	}
}

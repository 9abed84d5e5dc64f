package shell

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/hmpsh/hmpsh/internal/qemutest"
)

const mib = 1 << 20

// The progress line fits the terminal, 40, 80 or 200 columns, and does
// not claim more than it knows: no 100% before the end, no percentage
// once QEMU re-sends RAM the guest dirtied.
func TestProgressLine(t *testing.T) {
	firstPass := &MigrationInfo{Status: "active", ExpectedDowntime: 300, RAM: &MigrationRAM{
		Total: 64 * mib, Remaining: 52 * mib, Transferred: 12 * mib, Mbps: 8.388608, DirtySyncCount: 1, PageSize: 4096}}
	// More is sent than there is RAM, and nothing remains of this pass:
	// the old line said "(100%) ... 0 B remaining" here.
	resending := &MigrationInfo{Status: "active", ExpectedDowntime: 1200, RAM: &MigrationRAM{
		Total: 64 * mib, Remaining: 0, Transferred: 70 * mib, Mbps: 8.388608, DirtySyncCount: 3, DirtyPagesRate: 600, PageSize: 4096}}
	resendingLeft := &MigrationInfo{Status: "active", RAM: &MigrationRAM{
		Total: 64 * mib, Remaining: 3 * mib, Transferred: 70 * mib, Mbps: 8.388608, DirtySyncCount: 12, DirtyPagesRate: 300}}
	// The first pass has sent everything; what the guest dirtied
	// meanwhile is not counted until the next sync.
	passDone := &MigrationInfo{Status: "active", RAM: &MigrationRAM{
		Total: 64 * mib, Remaining: 0, Transferred: 20 * mib, Mbps: 80, DirtySyncCount: 1}}
	// QEMU 7.2 without dirty-sync-count reads as a first pass.
	almost := &MigrationInfo{Status: "active", RAM: &MigrationRAM{Total: 64 * mib, Remaining: 1, Transferred: 64 * mib, Mbps: 80}}
	setup := &MigrationInfo{Status: "setup"}
	elapsed := 12345 * time.Millisecond

	for _, c := range []struct {
		info  *MigrationInfo
		width int
		want  string
	}{
		{firstPass, 200, "migration active: 18% of 64.0 MiB RAM, sending 1.0 MiB/s, 52.0 MiB remaining, 12.0 MiB sent, expected downtime 300 ms, elapsed 12.3 s"},
		{firstPass, 80, "migration active: 18%, 1.0 MiB/s, 52.0 MiB left, downtime 300 ms, 12.3 s"},
		{firstPass, 40, "active: 18%, 1.0 MiB/s, 12.3 s"},
		{resending, 200, "migration active: pass 3, re-sending dirty RAM, guest dirties 2.3 MiB/s, sending 1.0 MiB/s, 70.0 MiB sent of 64.0 MiB RAM, expected downtime 1200 ms, elapsed 12.3 s"},
		{resending, 80, "migration active: pass 3, dirty 2.3 MiB/s, sending 1.0 MiB/s, 12.3 s"},
		{resending, 40, "active: pass 3, dirty 2.3 MiB/s"},
		{resendingLeft, 200, "migration active: pass 12, re-sending dirty RAM, guest dirties 1.2 MiB/s, sending 1.0 MiB/s, 70.0 MiB sent of 64.0 MiB RAM, 3.0 MiB left in this pass, elapsed 12.3 s"},
		{resendingLeft, 80, "migration active: pass 12, dirty 1.2 MiB/s, sending 1.0 MiB/s, 12.3 s"},
		{resendingLeft, 40, "active: pass 12, dirty 1.2 MiB/s"},
		{passDone, 200, "migration active: first pass over 64.0 MiB RAM done, sending 9.5 MiB/s, 20.0 MiB sent, elapsed 12.3 s"},
		{passDone, 80, "migration active: pass 1 done, 9.5 MiB/s, 20.0 MiB sent, 12.3 s"},
		{passDone, 40, "active: pass 1 done, 9.5 MiB/s, 12.3 s"},
		{almost, 200, "migration active: 99% of 64.0 MiB RAM, sending 9.5 MiB/s, 1 B remaining, 64.0 MiB sent, elapsed 12.3 s"},
		{setup, 200, "migration setup: elapsed 12.3 s"},
		{setup, 20, "setup: 12.3 s"},
		{firstPass, 10, "active"},
		{firstPass, 1, ""},
	} {
		got := progressLine(c.info, elapsed, c.width)
		if got != c.want {
			t.Errorf("%d columns:\n got %q\nwant %q", c.width, got, c.want)
		}
		if len(got) > max(0, c.width-1) {
			t.Errorf("%d columns: %d long", c.width, len(got))
		}
		if c.info.RAM != nil && c.info.RAM.DirtySyncCount > 1 && (strings.Contains(got, "%") || strings.Contains(got, " 0 B")) {
			t.Errorf("a percentage or 0 B while re-sending: %q", got)
		}
		if strings.Contains(got, "100%") {
			t.Errorf("100%% before the end: %q", got)
		}
	}
}

// On a 60-column terminal, a synchronous migrate's progress line fits in
// 59 columns and is redrawn on its one line: when Ctrl-C detaches, the
// line after the command is the notice, with no leftovers of earlier
// draws between them.
func TestProgressLineOnNarrowTerminal(t *testing.T) {
	q := qemutest.Start(t, qemutest.Gen100, qemutest.Options{Machine: "pc", Mem: "64"})
	env, _ := xdg(t)
	tm := startTermSize(t, &pty.Winsize{Rows: 40, Cols: 60}, env, "--qmp", q.Addr())
	tm.expect(`(?m)^\(qemu\)$`)
	// Slow: 64 KiB/s, and a 1 ms downtime limit keeps QEMU from finishing
	// early by stopping the VM (here it took 4 to 100 s).
	// One line at a time, each at its prompt: lines typed ahead while one
	// runs are echoed by the terminal and would muddle the screen.
	tm.send("migrate_set_parameter max-bandwidth 64K\r")
	tm.expect(`max-bandwidth 64K\n\(qemu\)`)
	tm.send("migrate_set_parameter downtime-limit 1\r")
	tm.expect(`downtime-limit 1\n\(qemu\)`)
	tm.send(`migrate -c "exec,args=/bin/dd of=/dev/null"` + "\r")
	draw := regexp.MustCompile(`\r((?:migration )?active[^\r\n\x1b]*)\x1b\[K`)
	for try := 0; len(draw.FindAllString(tm.raw(), -1)) < 3; try++ {
		if try == 400 {
			t.Fatalf("no progress line drawn three times:\n%q", tm.raw())
		}
		time.Sleep(50 * time.Millisecond)
	}
	tm.send("\x03")
	tm.expect(`detached: the migration goes on`)
	for _, m := range draw.FindAllStringSubmatch(tm.raw(), -1) {
		if len(m[1]) > 59 {
			t.Errorf("a progress line of %d columns: %q", len(m[1]), m[1])
		}
	}
	rows := strings.Split(tm.screen(), "\n")
	cmd := slices.IndexFunc(rows, func(r string) bool { return strings.HasPrefix(r, "(qemu) migrate -c") })
	if cmd < 0 || cmd+1 >= len(rows) || !strings.HasPrefix(rows[cmd+1], "detached: ") {
		t.Errorf("the line after the command is not the notice:\n%s", tm.screen())
	}
	tm.expect(`(?m)^\(qemu\)$`)
	tm.send("migrate_cancel\r")
	tm.send("info status\r")
	tm.expect(`VM status: running`)
	tm.send(".exit\r")
	if code := tm.wait(); code != 0 {
		t.Errorf("exit %d", code)
	}
}

package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/hmpsh/hmpsh/internal/qemutest"
)

// replayLines is the size of BenchmarkLiveReplay10k's script.
const replayLines = 10_000

// BenchmarkLiveStartup measures the whole process
// `hmpsh --qmp unix:SOCK -c 'info status'` against a private QEMU 10.0
// (-machine none) and the floor, qmpfloor, a minimal Go QMP client that
// connects, reads the greeting, negotiates, sends one query-status and
// prints the same line. hmpsh's schema cache (a --cache-dir in the
// benchmark's temporary directory) is filled by the untimed first run, as
// it is for anyone who has connected to that QEMU before.
//
// The runs alternate as in BenchmarkDryRun100k and the same medians are
// reported, wall times in milliseconds (hmpsh-ms, floor-ms). A run is a
// few milliseconds, so make bench gives this one more rounds.
func BenchmarkLiveStartup(b *testing.B) {
	lb := newLive(b)
	hmpshCmd := []string{lb.hmpsh, "--qmp", lb.qemu.Addr(), "--cache-dir", lb.cache, "-c", "info status"}
	floorCmd := []string{lb.floor, lb.qemu.QMPPath, "1"}
	hmpshRuns, floorRuns := lb.r.alternate(b, lb.dir, hmpshCmd, floorCmd, 1)
	report(b, hmpshRuns, floorRuns, "ms")
}

// BenchmarkLiveReplay10k measures the whole process
// `hmpsh --qmp unix:SOCK -f FILE` on a script of 10,000 lines
// `info status` against qmpfloor sending 10,000 query-status, one at a
// time, to the same private QEMU 10.0: the cost of a line beyond its
// request and its reply. The rest is as in BenchmarkLiveStartup, wall
// times in seconds.
func BenchmarkLiveReplay10k(b *testing.B) {
	lb := newLive(b)
	in := filepath.Join(lb.dir, "in.txt")
	if err := os.WriteFile(in, bytes.Repeat([]byte("info status\n"), replayLines), 0o644); err != nil {
		b.Fatal(err)
	}
	hmpshCmd := []string{lb.hmpsh, "--qmp", lb.qemu.Addr(), "--cache-dir", lb.cache, "-f", in}
	floorCmd := []string{lb.floor, lb.qemu.QMPPath, strconv.Itoa(replayLines)}
	hmpshRuns, floorRuns := lb.r.alternate(b, lb.dir, hmpshCmd, floorCmd, replayLines)
	report(b, hmpshRuns, floorRuns, "s")
}

// live is what a live benchmark runs: the built programs and a QEMU.
type live struct {
	r            runner
	dir          string
	hmpsh, floor string
	cache        string // hmpsh's --cache-dir
	qemu         *qemutest.Instance
}

// newLive builds hmpsh, the floor and measure, and starts a private QEMU
// 10.0 that goes when the benchmark ends. Without QEMU 10.0 the benchmark
// is skipped (build/install-qemu.sh installs it), even where a missing
// QEMU fails a test: a benchmark is not a check.
func newLive(b *testing.B) *live {
	b.Helper()
	if _, err := qemutest.Lookup(qemutest.Gen100); err != nil {
		b.Skipf("%v", err)
	}
	dir := b.TempDir()
	lb := &live{
		r:     runner{measure: buildBinary(b, dir, "measure", "github.com/hmpsh/hmpsh/internal/bench/measure")},
		dir:   dir,
		hmpsh: hmpshBinary(b, dir),
		floor: buildBinary(b, dir, "qmpfloor", "github.com/hmpsh/hmpsh/internal/bench/qmpfloor"),
		cache: filepath.Join(dir, "cache"),
	}
	lb.qemu = qemutest.Start(b, qemutest.Gen100, qemutest.Options{})
	return lb
}

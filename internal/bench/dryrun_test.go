package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// dryRunLines is the size of BenchmarkDryRun100k's input.
const dryRunLines = 100_000

// BenchmarkDryRun100k measures the whole process `hmpsh --dry-run -f FILE`
// on a 100,000-line file of migrate lines against the floor, dryfloor, a
// plain Go program that prints the same bytes for that one shape of line.
//
// Both binaries are built once, into a temporary directory, and their
// outputs checked to be byte-identical (the ratio is only fair if they do
// the same work). Each iteration then runs hmpsh once and the floor once,
// alternately, each with its standard output to a file. They are started
// by measure, a small helper built alongside, which times each run from
// start to exit and reads its peak RSS from wait4 (see measure/main.go
// for why not from the test process). At the end it reports the medians:
//
//	ratio             hmpsh-s / floor-s
//	hmpsh-s, floor-s  wall seconds per run
//	hmpsh-cpu-s, floor-cpu-s  processor seconds per run (user and system)
//	hmpsh-maxrss-KiB, floor-maxrss-KiB  peak resident set (ru_maxrss)
//
// ns/op is the sum of one run of each plus the harness's own work between
// them. The number of rounds is -benchtime's: make bench passes
// -benchtime 15x, i.e. 15 runs of each.
func BenchmarkDryRun100k(b *testing.B) {
	dir := b.TempDir()
	r := runner{measure: buildBinary(b, dir, "measure", "github.com/hmpsh/hmpsh/internal/bench/measure")}
	hmpsh := hmpshBinary(b, dir)
	floor := buildBinary(b, dir, "dryfloor", "github.com/hmpsh/hmpsh/internal/bench/dryfloor")
	in := filepath.Join(dir, "in.txt")
	if err := os.WriteFile(in, dryRunInput(dryRunLines), 0o644); err != nil {
		b.Fatal(err)
	}

	hmpshCmd := []string{hmpsh, "--dry-run", "-f", in}
	floorCmd := []string{floor, in}
	hmpshRuns, floorRuns := r.alternate(b, dir, hmpshCmd, floorCmd, dryRunLines)
	report(b, hmpshRuns, floorRuns, "s")
}

// dryRunInput is n lines "migrate -d -c socket,type=inet,host=H,port=P",
// the same for the same n, with every line's host and port different
// from the last one's.
func dryRunInput(n int) []byte {
	var buf bytes.Buffer
	for i := range n {
		var host string
		if i%4 == 3 {
			host = fmt.Sprintf("node%d.example.org", i)
		} else {
			host = fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		}
		fmt.Fprintf(&buf, "migrate -d -c socket,type=inet,host=%s,port=%d\n", host, 1024+i%64000)
	}
	return buf.Bytes()
}

// hmpshBinary is the hmpsh the benchmarks run: the tree's, built into
// dir, or the one $HMPSH_BENCH_BINARY names (an older build, to measure
// a change against it in the same harness).
func hmpshBinary(b *testing.B, dir string) string {
	b.Helper()
	if p := os.Getenv("HMPSH_BENCH_BINARY"); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			b.Fatal(err)
		}
		return abs
	}
	return buildBinary(b, dir, "hmpsh", "github.com/hmpsh/hmpsh")
}

// buildBinary builds pkg into dir/name with the go command that runs the
// test (go test puts its own GOROOT/bin first in PATH).
func buildBinary(b *testing.B, dir, name, pkg string) string {
	b.Helper()
	gocmd, err := exec.LookPath("go")
	if err != nil {
		b.Fatalf("building %s: no go command: %v", pkg, err)
	}
	exe := filepath.Join(dir, name)
	cmd := exec.Command(gocmd, "build", "-o", exe, pkg)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build -o %s %s: %v\n%s", exe, pkg, err, out)
	}
	return exe
}

// result is one process's run.
type result struct {
	wall   time.Duration
	cpu    time.Duration // user and system
	maxRSS int64         // KiB
}

// runner runs programs through measure (see measure/main.go for why).
type runner struct {
	measure string // the built measure
}

// run runs argv with standard output to the file out (truncated first)
// and returns its wall time, from start to exit, and peak RSS.
func (r runner) run(argv []string, out string) (result, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(r.measure, append([]string{out}, argv...)...)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return result{}, fmt.Errorf("%s: %v\nstderr:\n%s", strings.Join(argv, " "), err, tail(stderr.Bytes()))
	}
	var wallNS, maxRSS, ownHWM, cpuNS int64
	if _, err := fmt.Sscan(stdout.String(), &wallNS, &maxRSS, &ownHWM, &cpuNS); err != nil {
		return result{}, fmt.Errorf("%s: measure printed %q: %v", strings.Join(argv, " "), stdout.String(), err)
	}
	if maxRSS <= ownHWM {
		return result{}, fmt.Errorf("%s: peak RSS %d KiB is not above measure's own %d KiB, so it may be measure's and not the program's", strings.Join(argv, " "), maxRSS, ownHWM)
	}
	return result{wall: time.Duration(wallNS), cpu: time.Duration(cpuNS), maxRSS: maxRSS}, nil
}

// checkSame fails b unless the two files hold the same bytes, lines
// lines of them, and returns their size.
func checkSame(b *testing.B, hmpshOut, floorOut string, lines int) int64 {
	b.Helper()
	h, err := os.ReadFile(hmpshOut)
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.ReadFile(floorOut)
	if err != nil {
		b.Fatal(err)
	}
	if n := bytes.Count(f, []byte("\n")); n != lines {
		b.Fatalf("the floor printed %d lines for %d", n, lines)
	}
	if !bytes.Equal(h, f) {
		hl, fl := bytes.Split(h, []byte("\n")), bytes.Split(f, []byte("\n"))
		i := 0
		for i < len(hl) && i < len(fl) && bytes.Equal(hl[i], fl[i]) {
			i++
		}
		line := func(ls [][]byte) string {
			if i < len(ls) {
				return string(ls[i])
			}
			return "(end of output)"
		}
		b.Fatalf("hmpsh and the floor print different bytes (%d and %d), the comparison would not be fair; first difference, line %d:\nhmpsh: %s\nfloor: %s",
			len(h), len(f), i+1, line(hl), line(fl))
	}
	return int64(len(h))
}

// checkSize tells whether a timed run's output has the size of the
// checked one.
func checkSize(out string, want int64) error {
	fi, err := os.Stat(out)
	if err != nil {
		return err
	}
	if fi.Size() != want {
		return fmt.Errorf("%s: %d bytes, the checked run printed %d", out, fi.Size(), want)
	}
	return nil
}

// tail is the last few KiB of a process's stderr.
func tail(p []byte) []byte {
	const limit = 4 << 10
	if len(p) > limit {
		return append([]byte("..."), p[len(p)-limit:]...)
	}
	return p
}

// alternate runs hmpshCmd and floorCmd, each with its standard output
// to a file in dir. One untimed run of each comes first, which also warms
// the page cache (and whatever else a first run fills); their outputs
// must be the same bytes, lines lines, or the comparison would not be
// fair. Then each b.Loop iteration runs hmpsh once and the floor once,
// alternately, so that whatever else the machine does weighs on both
// alike; every timed run's output must have the checked size.
func (r runner) alternate(b *testing.B, dir string, hmpshCmd, floorCmd []string, lines int) (hmpshRuns, floorRuns []result) {
	b.Helper()
	hmpshOut := filepath.Join(dir, "hmpsh.out")
	floorOut := filepath.Join(dir, "floor.out")
	if _, err := r.run(hmpshCmd, hmpshOut); err != nil {
		b.Fatal(err)
	}
	if _, err := r.run(floorCmd, floorOut); err != nil {
		b.Fatal(err)
	}
	want := checkSame(b, hmpshOut, floorOut, lines)
	for b.Loop() {
		h, err := r.run(hmpshCmd, hmpshOut)
		if err == nil {
			err = checkSize(hmpshOut, want)
		}
		if err != nil {
			b.Fatal(err)
		}
		hmpshRuns = append(hmpshRuns, h)

		f, err := r.run(floorCmd, floorOut)
		if err == nil {
			err = checkSize(floorOut, want)
		}
		if err != nil {
			b.Fatal(err)
		}
		floorRuns = append(floorRuns, f)
	}
	return hmpshRuns, floorRuns
}

// report reports the medians of the runs: the ratio of the wall times,
// each wall time and processor time in unit ("s" or "ms"), and each peak
// RSS.
func report(b *testing.B, hmpshRuns, floorRuns []result, unit string) {
	scale := 1.0
	if unit == "ms" {
		scale = 1e3
	}
	h := median(hmpshRuns, func(r result) float64 { return r.wall.Seconds() })
	f := median(floorRuns, func(r result) float64 { return r.wall.Seconds() })
	b.ReportMetric(h/f, "ratio")
	b.ReportMetric(h*scale, "hmpsh-"+unit)
	b.ReportMetric(f*scale, "floor-"+unit)
	b.ReportMetric(median(hmpshRuns, func(r result) float64 { return r.cpu.Seconds() })*scale, "hmpsh-cpu-"+unit)
	b.ReportMetric(median(floorRuns, func(r result) float64 { return r.cpu.Seconds() })*scale, "floor-cpu-"+unit)
	b.ReportMetric(median(hmpshRuns, func(r result) float64 { return float64(r.maxRSS) }), "hmpsh-maxrss-KiB")
	b.ReportMetric(median(floorRuns, func(r result) float64 { return float64(r.maxRSS) }), "floor-maxrss-KiB")
}

// median of f over rs.
func median(rs []result, f func(result) float64) float64 {
	if len(rs) == 0 {
		return 0
	}
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

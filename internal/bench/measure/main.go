// Command measure runs one program and reports its wall time and peak
// resident set size: BenchmarkDryRun100k's way of starting hmpsh and its
// floor.
//
//	measure OUT PROG [ARG]...
//
// runs PROG with its standard output to the file OUT (created or
// truncated), its standard error to measure's, and, if PROG exits 0,
// prints one line:
//
//	WALL_NS MAXRSS_KIB OWN_HWM_KIB CPU_NS
//
// WALL_NS is the time from start to exit, MAXRSS_KIB PROG's ru_maxrss as
// wait4 returns it, OWN_HWM_KIB measure's own peak resident set, and
// CPU_NS the processor time PROG used (user and system), which a busy
// machine disturbs less than the wall time.
//
// It exists because Go starts programs with vfork (CLONE_VM): until its
// exec the child shares its parent's memory, and Linux counts the
// parent's peak into the child's ru_maxrss. Started from a go test
// process that has held megabytes of input and output, hmpsh and the
// floor would both report the test's peak. measure is a small process, so
// what it reports is PROG's own peak whenever that is above OWN_HWM_KIB;
// the benchmark checks that it is.
package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: measure OUT PROG [ARG]...")
		os.Exit(2)
	}
	out, err := os.Create(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stdout = out
	cmd.Stderr = os.Stderr
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if err != nil {
		fmt.Fprintf(os.Stderr, "measure: %s: %v\n", strings.Join(os.Args[2:], " "), err)
		os.Exit(1)
	}
	if err := out.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		os.Exit(1)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		fmt.Fprintln(os.Stderr, "measure: no rusage on this system")
		os.Exit(1)
	}
	hwm, err := ownHWM()
	if err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		os.Exit(1)
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	fmt.Println(wall.Nanoseconds(), ru.Maxrss, hwm, cpu.Nanoseconds()) // ru_maxrss is in KiB on Linux
}

// ownHWM is VmHWM from /proc/self/status, in KiB.
func ownHWM() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}

package sandbox

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// watchdogScript removes the sandbox when the shell is gone. $1 is the
// directory; standard input is a pipe from the shell carrying the QEMU pids,
// one a line. End of file means the shell closed the sandbox or died, however
// it died: the kernel closes the pipe either way.
//
// It ignores the signals a terminal or a session's end sends to everybody
// (it must outlive the shell to clean up after it, and it exits right after),
// and it refuses any directory that is not an absolute hmpsh- one, so that
// nothing can turn it into rm -rf of something else. A pid is killed (its
// whole group) only while /proc/PID/cmdline names the directory: that is one
// of our QEMUs still running, not a zombie (empty cmdline) and not a process
// that got the number after ours was reaped. It then waits, up to 5 s, until
// none is left, so that no QEMU writes into the directory after rm.
const watchdogScript = `trap '' HUP INT QUIT TERM
dir=$1
case $dir in /*/hmpsh-*) ;; *) echo "hmpsh sandbox watchdog: refusing directory $dir" >&2; exit 2 ;; esac
pids=
while read -r pid; do
	case $pid in ''|*[!0-9]*) ;; *) pids="$pids $pid" ;; esac
done
ours() { grep -qsF -- "$dir/" "/proc/$1/cmdline"; }
for pid in $pids; do
	if ours "$pid"; then kill -s KILL -- "-$pid" 2>/dev/null; fi
done
i=0
while [ "$i" -lt 50 ]; do
	left=
	for pid in $pids; do
		if ours "$pid"; then left=1; fi
	done
	[ -z "$left" ] && break
	sleep 0.1
	i=$((i + 1))
done
rm -rf -- "$dir"
`

// startWatchdog starts the watchdog for s.Dir. It gets its own process group,
// so that a signal to the shell's group (Ctrl-C, a job control kill) does not
// reach it, and no death signal: it is the one process meant to outlive the
// shell.
func (s *Sandbox) startWatchdog() error {
	cmd, w, done, err := runWatchdog(watchdogScript, "hmpsh-sandbox-watchdog", s.Dir)
	if err != nil {
		return err
	}
	s.watchdog, s.wdPipe, s.wdDone = cmd, w, done
	return nil
}

// runWatchdog starts /bin/sh -c script (named name, with args) in its own
// process group, its standard input a pipe whose write end it returns:
// the script wakes when that end is closed, by the shell or by the
// kernel when the shell dies. done is closed once the watchdog has been
// reaped.
func runWatchdog(script, name string, args ...string) (cmd *exec.Cmd, w *os.File, done chan struct{}, err error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("sandbox: watchdog: %w", err)
	}
	cmd = exec.Command("/bin/sh", append([]string{"-c", script, name}, args...)...)
	cmd.Dir = "/"
	cmd.Stdin = r
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	r.Close() // the watchdog has its own; ours would hide the end of file
	if err != nil {
		w.Close()
		return nil, nil, nil, fmt.Errorf("sandbox: starting watchdog: %w", err)
	}
	done = make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	return cmd, w, done, nil
}

package shell

import (
	"io"
	"syscall"
	"unsafe"
)

// waitingInput returns how many bytes a terminal has ready to be read
// (TIOCINQ), or nil when in is not a file.
func waitingInput(in io.Reader) func() int {
	sc, ok := in.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return func() int {
		var n int32
		var errno syscall.Errno
		if err := rc.Control(func(fd uintptr) {
			_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n)))
		}); err != nil || errno != 0 {
			return 0
		}
		return int(n)
	}
}

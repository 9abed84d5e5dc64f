package shell

import "syscall"

// ttyAttr makes the terminal hmpsh's controlling terminal, as a login
// shell's would be: Ctrl-C then sends SIGINT to hmpsh.
func ttyAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
}

// Command hmpsh is a monitor shell for QEMU: type HMP, speak QMP.
package main

import (
	"os"
	"runtime"

	"github.com/hmpsh/hmpsh/shell"
)

func main() {
	// hmpsh is one flow of requests and replies. On one processor a reply
	// goes from the goroutine that reads the socket to the line waiting
	// for it without waking a second thread, as it does on several: a
	// replay of 3,000 lines made as many context switches as its floor
	// and used a third less processor time (make bench). GOMAXPROCS in
	// the environment still decides.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	os.Exit(shell.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

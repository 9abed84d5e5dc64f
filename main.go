// Command hmpsh is a monitor shell for QEMU: type HMP, speak QMP.
package main

import (
	"os"

	"github.com/hmpsh/hmpsh/shell"
)

func main() {
	os.Exit(shell.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

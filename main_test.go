package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/hmpsh/hmpsh/internal/update"
	"github.com/hmpsh/hmpsh/shell"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"hmpsh": func() { os.Exit(shell.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the command-line transcripts in testdata/script: each
// is what a user types and sees, checked on every run.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update.Golden,
	})
}

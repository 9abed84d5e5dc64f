// Package update is the -update flag of every test package, so that the
// documented habit, "go test ./... -update", runs everywhere: the packages
// with golden files or transcripts rewrite them from what the code does
// now (review the diff), the others accept the flag and test as usual.
// A test package takes part by importing this one, blank where it has
// nothing to rewrite.
package update

import "flag"

// Golden is true under -update: expected output is rewritten instead of
// compared.
var Golden = flag.Bool("update", false, "rewrite golden files and transcripts from the actual output; review the diff")

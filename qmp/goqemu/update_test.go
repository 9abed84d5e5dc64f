package goqemu_test

// -update is accepted here too: go test ./... -update.
import _ "github.com/hmpsh/hmpsh/internal/update"

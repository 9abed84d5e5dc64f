// Package transports is hmpsh's knowledge of where a migration goes that
// the schema does not hold: how each transport of QMP's MigrationAddress
// (socket with inet, unix, vsock and fd addresses; exec; rdma; file) is
// spelled as a legacy URI, in both directions, and the checks QEMU itself
// does not do.
//
// Which keys exist and what type each has is the schema's business
// (package qmp converts a CHANNEL by the target's MigrationAddress); this
// package reads the typed result, so it never second-guesses QEMU about
// which keys exist, only about what they may say.
package transports

import (
	"iter"
	"strconv"
)

// Fields is a MigrationAddress as the schema typed it: members read by
// name and type. qmp.Object is one.
type Fields interface {
	Str(key string) (string, bool)
	Bool(key string) (bool, bool)
	Number(key string) (string, bool) // the digits
	Strings(key string) ([]string, bool)
	Keys() iter.Seq[string]
}

// Channel is one MigrationChannel: a channel type and an address.
type Channel struct {
	Type string // "main" or "cpr"
	Addr Fields
}

// addr reads a channel's typed members by the names QEMU gives them.
type addr struct{ Fields }

// str is a string member, "" when absent.
func (a addr) str(key string) string {
	s, _ := a.Str(key)
	return s
}

// flag is a boolean member: its value and whether it was given.
func (a addr) flag(key string) (on, given bool) { return a.Bool(key) }

// uint is an unsigned number member and whether it was given as one.
func (a addr) uint(key string) (uint64, bool) {
	s, ok := a.Number(key)
	if !ok {
		return 0, false
	}
	u, err := strconv.ParseUint(s, 10, 64)
	return u, err == nil
}

// strings is a list-of-strings member.
func (a addr) strings(key string) []string {
	l, _ := a.Strings(key)
	return l
}

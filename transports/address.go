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
	"encoding/json"
	"iter"
	"strconv"
)

// Fields is a MigrationAddress as the schema typed it: member names with
// values that are strings, booleans, json.Numbers or lists of strings
// ([]any). qmp.Object is one.
type Fields interface {
	Get(key string) (any, bool)
	All() iter.Seq2[string, any]
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
	v, _ := a.Get(key)
	s, _ := v.(string)
	return s
}

// flag is a boolean member: its value and whether it was given.
func (a addr) flag(key string) (on, given bool) {
	v, ok := a.Get(key)
	b, isBool := v.(bool)
	return b, ok && isBool
}

// uint is an unsigned number member and whether it was given as one.
func (a addr) uint(key string) (uint64, bool) {
	v, ok := a.Get(key)
	if !ok {
		return 0, false
	}
	var s string
	switch n := v.(type) {
	case json.Number:
		s = string(n)
	case string:
		s = n
	default:
		return 0, false
	}
	u, err := strconv.ParseUint(s, 10, 64)
	return u, err == nil
}

// strings is a list-of-strings member.
func (a addr) strings(key string) []string {
	v, _ := a.Get(key)
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		out := make([]string, 0, len(l))
		for _, e := range l {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

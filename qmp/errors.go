package qmp

import "errors"

// Error is an error reply from QEMU, with its class kept: callers branch on
// Class ("CommandNotFound", "DeviceNotFound", "GenericError", ...).
type Error struct {
	Class string `json:"class"`
	Desc  string `json:"desc"`
}

func (e *Error) Error() string {
	if e.Class == "" {
		return e.Desc
	}
	return e.Class + ": " + e.Desc
}

// ErrClosed is wrapped by every error caused by a connection that is gone:
// QEMU exited or was killed, the socket broke, or Close was called. The same
// error also wraps the cause (io.EOF, a reset, ...).
var ErrClosed = errors.New("connection closed")

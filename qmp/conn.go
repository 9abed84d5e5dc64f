package qmp

import (
	"context"
	"encoding/json"
)

// Conn is the monitor interface every backend implements: a QMP socket
// (*Client) or a libvirt domain's monitor reached through libvirtd. It is
// go-qemu's qmp.Monitor in spirit (connect elsewhere, then run commands and
// read events) with what a shell needs on top: contexts, typed errors, and
// knowing when the connection is gone.
type Conn interface {
	// Greeting is what the QEMU said about itself; a backend that never
	// sees QMP's greeting fills in at least Version.
	Greeting() Greeting
	// Execute runs command with args (nil for none) and returns the
	// "return" member of the reply; a QMP error reply is a *Error.
	Execute(ctx context.Context, command string, args any) (json.RawMessage, error)
	// ExecuteRaw sends a request typed as raw JSON and returns the whole
	// reply without its id, together with a *Error for an error reply.
	ExecuteRaw(ctx context.Context, req []byte) ([]byte, error)
	// HMP runs an HMP command line through human-monitor-command.
	HMP(ctx context.Context, cmdline string) (string, error)
	// Sync returns once every event sent before its answer has been put
	// in Events.
	Sync(ctx context.Context) error
	// Events is closed when the connection is down, after the events
	// that came before. It must be read.
	Events() <-chan Event
	// Done is closed when the connection is down; Err then says why,
	// wrapping ErrClosed.
	Done() <-chan struct{}
	Err() error
	Close() error
}

var _ Conn = (*Client)(nil)

// SetMark sets the Mark of a call made with WithMark, for backends other
// than Client: events is how many events the backend had put in Events
// when the reply came.
func SetMark(ctx context.Context, events uint64) { setMark(ctx, events) }

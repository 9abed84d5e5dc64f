package qmp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// ParseRawRequest reads a request typed as raw JSON (one object, nothing
// after it) for a backend's ExecuteRaw, and names its command for errors.
func ParseRawRequest(req []byte) (obj map[string]json.RawMessage, command string, err error) {
	dec := json.NewDecoder(bytes.NewReader(req))
	if err := dec.Decode(&obj); err != nil {
		return nil, "", fmt.Errorf("qmp: raw request: %w", err)
	}
	if obj == nil {
		return nil, "", errors.New("qmp: raw request: want a JSON object, got null")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, "", errors.New("qmp: raw request: more than one JSON value")
	}
	command = "raw request"
	for _, k := range []string{"execute", "exec-oob"} {
		var s string
		if json.Unmarshal(obj[k], &s) == nil && s != "" {
			command = s
			break
		}
	}
	return obj, command, nil
}

// RunHMP runs an HMP command line through human-monitor-command on any
// backend and returns its output unchanged (QEMU ends lines with "\r\n").
// HMP reports failures as ordinary text; when the output looks like one
// (see HMPFailure), the output is returned together with an *HMPError.
func RunHMP(ctx context.Context, c interface {
	Execute(ctx context.Context, command string, args any) (json.RawMessage, error)
}, cmdline string) (string, error) {
	ret, err := c.Execute(ctx, "human-monitor-command", map[string]string{"command-line": cmdline})
	if err != nil {
		return "", err
	}
	var out string
	if err := json.Unmarshal(ret, &out); err != nil {
		return "", fmt.Errorf("qmp: human-monitor-command: reply is not a string: %s", ret)
	}
	return out, HMPFailure(out)
}

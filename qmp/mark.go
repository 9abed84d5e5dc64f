package qmp

import "context"

// A Mark tells where a reply came among the connection's events, so that
// a caller that shows both can show them in the order QEMU sent them.
type Mark struct {
	// Events is how many events the connection had put in Events when
	// the reply came (or the connection failed): the first Events events
	// came before it.
	Events uint64
}

type markKey struct{}

// WithMark returns a context with which a call (Execute, ExecuteRaw, HMP)
// sets *m when its reply comes. The call's own goroutine sets it, before
// the call returns.
func WithMark(ctx context.Context, m *Mark) context.Context {
	return context.WithValue(ctx, markKey{}, m)
}

func setMark(ctx context.Context, events uint64) {
	if m, ok := ctx.Value(markKey{}).(*Mark); ok {
		m.Events = events
	}
}

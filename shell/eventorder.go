package shell

import (
	"context"
	"sync"

	"github.com/hmpsh/hmpsh/qmp"
)

// eventCursor counts the events of one monitor that its watch has been
// through (printed, or with --no-events passed over), so that a line can
// print a reply after the events QEMU sent before it: the reply reaches
// the line's goroutine while those events may still be on their way to
// the printer.
type eventCursor struct {
	mu      sync.Mutex
	n       uint64
	ended   bool // watch is over: nothing more will come
	waiters []cursorWaiter
}

type cursorWaiter struct {
	n    uint64
	done chan struct{}
}

// advance counts one more event done.
func (c *eventCursor) advance() {
	c.mu.Lock()
	c.n++
	if len(c.waiters) > 0 {
		c.wake()
	}
	c.mu.Unlock()
}

// end says that watch is over.
func (c *eventCursor) end() {
	c.mu.Lock()
	c.ended = true
	c.wake()
	c.mu.Unlock()
}

func (c *eventCursor) wake() {
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if c.ended || c.n >= w.n {
			close(w.done)
		} else {
			kept = append(kept, w)
		}
	}
	clear(c.waiters[len(kept):])
	c.waiters = kept
}

// wait returns once the first n events are done, watch is over, or ctx
// ends.
func (c *eventCursor) wait(ctx context.Context, n uint64) {
	c.mu.Lock()
	if c.ended || c.n >= n {
		c.mu.Unlock()
		return
	}
	w := cursorWaiter{n: n, done: make(chan struct{})}
	c.waiters = append(c.waiters, w)
	c.mu.Unlock()
	select {
	case <-w.done:
	case <-ctx.Done():
	}
}

// eventsFirst prints the events m's QEMU sent before the reply that mark
// notes, before the caller prints that reply.
func (s *Session) eventsFirst(ctx context.Context, m *Monitor, mark *qmp.Mark) {
	m.shown.wait(ctx, mark.Events)
}

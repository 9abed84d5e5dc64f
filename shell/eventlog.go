package shell

import (
	"sync"

	"github.com/hmpsh/hmpsh/qmp"
)

// eventLogSize is how many of a monitor's latest events .wait event can
// look back on: far more than a line's worth (a migration sends a
// handful), bounded so a storm cannot grow it.
const eventLogSize = 4096

// eventLog keeps a monitor's latest events, numbered in arrival order, so
// that ".wait event" finds one that came before the wait began: after
// "migrate -d", a fast migration's MIGRATION completed may arrive before
// the next line is read.
type eventLog struct {
	mu     sync.Mutex
	next   uint64 // the number the next event gets
	ring   [eventLogSize]qmp.Event
	notify chan struct{} // closed, and replaced, when an event arrives
	// mark is the first event number a wait considers: set when a line
	// that sends something starts, moved past an event a wait matched.
	mark uint64
}

func (l *eventLog) add(ev qmp.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ring[l.next%eventLogSize] = ev
	l.next++
	if l.notify != nil {
		close(l.notify)
		l.notify = nil
	}
}

// setMark makes the events from now on the ones a wait considers.
func (l *eventLog) setMark() {
	l.mu.Lock()
	l.mark = l.next
	l.mu.Unlock()
}

// scan calls match on each event from the mark on, in order; at the first
// match it moves the mark past that event and returns it. Otherwise it
// returns a channel closed at the next event.
func (l *eventLog) scan(match func(qmp.Event) bool) (ev qmp.Event, found bool, more <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	from := l.mark
	if l.next > eventLogSize && from < l.next-eventLogSize {
		from = l.next - eventLogSize
	}
	for n := from; n < l.next; n++ {
		if e := l.ring[n%eventLogSize]; match(e) {
			l.mark = n + 1
			return e, true, nil
		}
	}
	l.mark = l.next
	if l.notify == nil {
		l.notify = make(chan struct{})
	}
	return qmp.Event{}, false, l.notify
}

// latest is the newest event called name the log holds, if any.
func (l *eventLog) latest(name string) (qmp.Event, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for n := l.next; n > 0 && l.next-n < eventLogSize; n-- {
		if e := l.ring[(n-1)%eventLogSize]; e.Name == name {
			return e, true
		}
	}
	return qmp.Event{}, false
}

// Package qmp speaks the QEMU Machine Protocol: connect, greeting,
// negotiation, requests matched to replies by id, events, typed errors; and
// the introspected schema that drives the conversion of key=value arguments
// to typed JSON.
//
// The client keeps the four-method shape of go-qemu's qmp.Monitor (see
// qmp/goqemu) but fixes what hmpsh cannot live with there: replies of any
// size up to a cap per message (query-qmp-schema is ~300 KB; Dialer), no
// event lost (a slow reader of events slows the connection down instead),
// a context on every call, and QMP error classes kept.
package qmp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// EventBufferSize is how many events a Client holds for a slow reader.
// When they are all unread the client stops reading the connection until
// the reader takes one: QEMU keeps what it sends meanwhile, and nothing is
// dropped. Replies behind those events wait as well, so a client's events
// must be read, if only to be thrown away.
const EventBufferSize = 256

// Greeting is what QEMU announces on connect.
type Greeting struct {
	Version      Version
	Capabilities []string // e.g. ["oob"]; hmpsh enables none of them
}

// Version is QEMU's version as in the greeting and query-version.
type Version struct {
	Major   int
	Minor   int
	Micro   int
	Package string // distribution build, e.g. "Debian 1:7.2+dfsg-7+deb12u18"
}

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Micro) }

// AtLeast reports whether v is major.minor or newer.
func (v Version) AtLeast(major, minor int) bool {
	return v.Major > major || v.Major == major && v.Minor >= minor
}

// Event is an asynchronous QMP event.
type Event struct {
	Name string          // e.g. "STOP", "MIGRATION"
	Data json.RawMessage // the "data" member; nil when the event has none
	Time time.Time       // QEMU's timestamp
}

// Client is one QMP connection. It is safe for concurrent use: any number of
// goroutines may Execute at once; a single goroutine reads the socket and
// hands each reply to the call it answers.
//
// A request goes without an id when no other is on the wire (see send): QEMU's monitor reads a request one byte per turn of its loop,
// so the 20 bytes of an id cost about as much as the rest of a short
// request, and most requests are alone.
type Client struct {
	conn     net.Conn
	greeting Greeting

	// wsem serialises writes; a channel rather than a mutex so that waiting
	// for it honours the caller's context. Whoever holds it decides whether
	// its request needs an id and puts the request on the wire.
	wsem chan struct{}

	mu  sync.Mutex
	seq uint64
	// onWire is every request sent whose reply has not come, oldest
	// first, including those whose caller has given up: their replies
	// are still to come, and one without an id must not be taken for
	// another's. QEMU answers in order.
	onWire    []*pendingCall
	closing   bool         // Close was called
	abandoned bool         // a write was cut short: the stream is garbled
	closed    *closedError // how the connection ended; nil while it is up
	err       error        // closed, with the calls it cut short

	events chan Event
	// delivered counts the events put in events; only the reader uses it.
	delivered uint64
	// negotiated is set once the handshake is over: before, nobody can
	// read events yet, and the reader does not wait for one.
	negotiated atomic.Bool
	quit       chan struct{} // closed by Close: the reader waits for nobody
	quitOnce   sync.Once
	done       chan struct{}
}

type pendingCall struct {
	id      string // "" when sent without one
	command string
	// gaveUp: the caller has gone (context, a write cut short); the reply
	// is thrown away when it comes.
	gaveUp bool
	reply  chan callResult // buffered: the reader never blocks on it
}

type callResult struct {
	ret    json.RawMessage // the "return" member
	msg    json.RawMessage // the whole reply
	err    error           // *Error, or the connection's failure
	events uint64          // how many events came before it (Mark)
}

// DefaultMaxMessage is the longest message from QEMU a Client takes when
// its Dialer says nothing else: far above the longest real one
// (query-qmp-schema, about 300 KB), low enough that a monitor sending
// without end fails instead of taking all the memory there is.
const DefaultMaxMessage = 64 << 20

// Dialer holds the options of a connection. The zero value is ready to
// use; Dial and NewClient are its methods on a zero Dialer.
type Dialer struct {
	// MaxMessage caps one message from QEMU, greeting included, in bytes
	// (DefaultMaxMessage when 0); the white space before a message counts
	// with it. A longer one fails the connection with a
	// *MessageTooLargeError: the client never holds more than a few times
	// this much of what QEMU sends.
	MaxMessage int64
}

func (d Dialer) maxMessage() int64 {
	if d.MaxMessage > 0 {
		return d.MaxMessage
	}
	return DefaultMaxMessage
}

// Dial connects to a QMP monitor at addr (see ParseAddress), reads the
// greeting and negotiates capabilities. ctx bounds all of that; a monitor
// that does not greet fails with ctx's error.
func Dial(ctx context.Context, addr string) (*Client, error) { return Dialer{}.Dial(ctx, addr) }

// NewClient runs the QMP handshake over an established connection and takes
// ownership of it (it is closed on failure and by Close).
func NewClient(ctx context.Context, conn net.Conn) (*Client, error) {
	return Dialer{}.NewClient(ctx, conn)
}

// Dial is the package's Dial with d's options.
func (dl Dialer) Dial(ctx context.Context, addr string) (*Client, error) {
	network, address, err := ParseAddress(addr)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	wait := 50 * time.Millisecond
	for start := time.Now(); ; {
		c, err := dl.dialOnce(ctx, &d, network, address)
		if err == nil {
			return c, nil
		}
		if errors.Is(err, errNoNegotiation) && ctx.Err() == nil {
			continue // a new connection; see negotiate
		}
		// A QEMU whose previous client has just left can refuse the next
		// connection (its listen backlog is one) or accept it and close it
		// unanswered before it has finished with the old one: try again
		// for a moment. A monitor that really has another client, or no
		// QEMU behind the socket, keeps doing that and fails after it.
		transient := errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
		if !transient || time.Since(start) > closedRetry {
			return nil, fmt.Errorf("qmp: %s: %w", addr, err)
		}
		// Each try is another connection for QEMU to clean up after: back
		// off, so that the tries do not keep it busy.
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("qmp: %s: %w", addr, err)
		case <-time.After(wait):
		}
		wait = min(2*wait, 400*time.Millisecond)
	}
}

// dialOnce connects and runs the handshake once.
func (dl Dialer) dialOnce(ctx context.Context, d *net.Dialer, network, address string) (*Client, error) {
	conn, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	return dl.NewClient(ctx, conn)
}

// closedRetry is how long Dial tries again a monitor that closes the
// connection before its greeting (ctx may end it sooner). 5 s was too
// short on a loaded 2-core machine: QEMU 10.0 went on closing a test's
// connections for over 8 s after a readiness probe had left.
const closedRetry = 15 * time.Second

// NewClient is the package's NewClient with d's options.
func (dl Dialer) NewClient(ctx context.Context, conn net.Conn) (*Client, error) {
	dec := newDecoder(conn, dl.maxMessage())
	g, err := readGreeting(ctx, conn, dec)
	if err != nil {
		conn.Close()
		return nil, err
	}
	c := &Client{
		conn:     conn,
		greeting: g,
		wsem:     make(chan struct{}, 1),
		events:   make(chan Event, EventBufferSize),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go c.readLoop(dec)
	if err := c.negotiate(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("negotiating capabilities: %w", err)
	}
	c.negotiated.Store(true)
	return c, nil
}

// negotiateRetry is how long the latest qmp_capabilities may go
// unanswered before another is sent; negotiateGiveUp is how long a
// connection may leave all of them unanswered before Dial connects again.
const (
	negotiateRetry  = 2 * time.Second
	negotiateGiveUp = 8 * time.Second
)

// errNoNegotiation: the connection answered no qmp_capabilities at all.
var errNoNegotiation = errors.New("qmp_capabilities: no reply")

// negotiate sends qmp_capabilities until QEMU answers. QEMU has been seen
// under load to leave it unanswered for 30 s for a client that connected
// right after another one left (the sandbox's readiness probe); the likely
// cause is the clean-up of the previous connection emptying the request
// queue the new request was already in. So another is sent every
// negotiateRetry, while every earlier one stays awaited: a slow QEMU's
// late answer to the first counts (a second one, once the first went
// through, gets "Capabilities negotiation is already complete", which
// counts as well). A connection that answers none within negotiateGiveUp
// fails with errNoNegotiation, and Dial tries a new one.
func (c *Client) negotiate(ctx context.Context) error {
	nctx, cancel := context.WithTimeout(ctx, negotiateGiveUp)
	defer cancel()
	results := make(chan error, int(negotiateGiveUp/negotiateRetry)+2)
	send := func() {
		_, err := c.Execute(nctx, "qmp_capabilities", nil)
		var qe *Error
		if errors.As(err, &qe) && strings.Contains(qe.Desc, "negotiation is already complete") {
			err = nil
		}
		results <- err
	}
	go send()
	pending := 1
	tick := time.NewTicker(negotiateRetry)
	defer tick.Stop()
	for {
		select {
		case err := <-results:
			pending--
			switch {
			case err == nil:
				return nil
			case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
				if pending == 0 && nctx.Err() != nil {
					if ctx.Err() != nil {
						return err
					}
					return errNoNegotiation
				}
			default:
				return err
			}
		case <-tick.C:
			if nctx.Err() == nil {
				pending++
				go send()
			}
		}
	}
}

func readGreeting(ctx context.Context, conn net.Conn, dec *decoder) (Greeting, error) {
	// A read cannot take a context; a deadline in the past wakes it.
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		conn.SetReadDeadline(time.Unix(1, 0))
		close(fired)
	})
	var msg struct {
		QMP *struct {
			Version struct {
				QEMU    wireVersion `json:"qemu"`
				Package string      `json:"package"`
			} `json:"version"`
			Capabilities []string `json:"capabilities"`
		} `json:"QMP"`
	}
	// An event can come before the greeting: QEMU sends events to a
	// monitor whose connection its main loop has not seen open yet (a
	// RESUME at start-up, seen once in a few hundred starts). So can a
	// reply: one to a request of the previous client, which QEMU answered
	// after that client left and this one came (seen under load after
	// Dial gave up on a connection whose qmp_capabilities went
	// unanswered). Neither is the greeting; skip them.
	var err error
	var first []byte
	for {
		var raw json.RawMessage
		if raw, err = dec.next(); err != nil {
			break
		}
		var probe struct {
			Event  *string          `json:"event"`
			Return *json.RawMessage `json:"return"`
			Error  *json.RawMessage `json:"error"`
		}
		if json.Unmarshal(raw, &probe) == nil && (probe.Event != nil || probe.Return != nil || probe.Error != nil) {
			continue
		}
		first = raw
		err = json.Unmarshal(raw, &msg)
		break
	}
	if !stop() {
		<-fired
		return Greeting{}, fmt.Errorf("waiting for the QMP greeting: %w", ctx.Err())
	}
	switch {
	case err == io.EOF:
		return Greeting{}, fmt.Errorf("waiting for the QMP greeting: %w: %w (is another client connected?)", ErrClosed, err)
	case err != nil:
		return Greeting{}, fmt.Errorf("reading the QMP greeting: %w", err)
	case msg.QMP == nil:
		return Greeting{}, fmt.Errorf("not a QMP monitor: the first message has no \"QMP\" greeting: %s", quoteStart(first, 120))
	}
	v := msg.QMP.Version
	return Greeting{
		Version:      v.QEMU.version(v.Package),
		Capabilities: msg.QMP.Capabilities,
	}, nil
}

// Greeting returns what QEMU announced on connect.
func (c *Client) Greeting() Greeting { return c.greeting }

// Events returns the channel of events, closed when the connection is down
// (after the events that came before). There is one channel per Client:
// events are not copied to several readers. It must be read: past
// EventBufferSize unread events the client stops reading the connection,
// replies included, until it is.
func (c *Client) Events() <-chan Event { return c.events }

// Done is closed when the connection is down; Err then says why.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is nil while the connection is up; afterwards it wraps ErrClosed and
// the cause (io.EOF when QEMU exited), naming the commands that were in
// flight.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close closes the connection and waits for the reader to stop. Calls in
// flight return an error wrapping ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	c.quitOnce.Do(func() { close(c.quit) })
	err := c.conn.Close()
	<-c.done
	if errors.Is(err, net.ErrClosed) {
		err = nil // already closed by the reader
	}
	return err
}

// Execute runs command with args (anything json.Marshal accepts; nil for
// none) and returns the "return" member of the reply. A QMP error reply is a
// *Error.
func (c *Client) Execute(ctx context.Context, command string, args any) (json.RawMessage, error) {
	var rawArgs []byte
	if args != nil {
		b, err := json.Marshal(args)
		if err != nil {
			return nil, fmt.Errorf("qmp: %s: arguments: %w", command, err)
		}
		// A typed nil map marshals as null, which QEMU rejects; no
		// arguments mean {} to QEMU, in fewer bytes.
		if !bytes.Equal(b, []byte("null")) && !bytes.Equal(b, []byte("{}")) {
			rawArgs = b
		}
	}
	// Put together by hand: arguments can be megabytes (ringbuf-write),
	// and json.Marshal would validate them a second time. Room is left for
	// the id and the end that roundTrip adds.
	head := make([]byte, 0, len(`{"execute":"","arguments":`)+len(command)+len(rawArgs)+len(`,"id":"hmpsh-18446744073709551615"}`)+1)
	head = append(head, `{"execute":`...)
	head = appendJSONString(head, command)
	if rawArgs != nil {
		head = append(head, `,"arguments":`...)
		head = append(head, rawArgs...)
	}
	r, err := c.roundTrip(ctx, command, head, false)
	if err != nil {
		return nil, err
	}
	return r.ret, r.err
}

// appendJSONString appends s as a JSON string. A command's name is plain
// ASCII, which needs no escaping and no json.Marshal.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if ch := s[i]; ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// ExecuteRaw sends a request typed as raw JSON, e.g. by a user:
// {"execute": "query-status"}. Its "id" is replaced by the client's own, and
// the reply is returned whole but without the id. A QMP error reply is
// returned as well as a *Error, so that the caller can show either.
func (c *Client) ExecuteRaw(ctx context.Context, req []byte) ([]byte, error) {
	obj, command, err := ParseRawRequest(req)
	if err != nil {
		return nil, err
	}
	delete(obj, "id")
	head, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("qmp: %s: %w", command, err)
	}
	// Always with the client's id, as before requests went without one:
	// a request typed by hand may be anything (an exec-oob, say), and
	// this is not the path whose bytes count.
	r, err := c.roundTrip(ctx, command, head[:len(head)-1], true)
	if err != nil {
		return nil, err
	}
	var reply map[string]json.RawMessage
	if err := json.Unmarshal(r.msg, &reply); err != nil {
		return nil, fmt.Errorf("qmp: %s: reply: %w", command, err)
	}
	delete(reply, "id")
	out, err := json.Marshal(reply)
	if err != nil {
		return nil, fmt.Errorf("qmp: %s: reply: %w", command, err)
	}
	return out, r.err
}

// HMP runs an HMP command line through human-monitor-command and returns its
// output unchanged (QEMU ends lines with "\r\n"). HMP reports failures as
// ordinary text; when the output looks like one (see HMPFailure), the output
// is returned together with an *HMPError.
func (c *Client) HMP(ctx context.Context, cmdline string) (string, error) {
	return RunHMP(ctx, c, cmdline)
}

// roundTrip sends a request and waits for its reply, the context, or the
// end of the connection. head is the request as a JSON object without its
// closing brace; send ends it, with an id when it needs one.
func (c *Client) roundTrip(ctx context.Context, command string, head []byte, needID bool) (callResult, error) {
	if err := ctx.Err(); err != nil {
		return callResult{}, fmt.Errorf("qmp: %s: %w", command, err)
	}
	call, err := c.send(ctx, command, head, needID)
	if err != nil {
		return callResult{}, err
	}
	select {
	case r := <-call.reply:
		return replied(ctx, r)
	case <-ctx.Done():
		c.mu.Lock()
		// Still on the wire until its reply comes: a request sent
		// meanwhile carries an id.
		call.gaveUp = true
		c.mu.Unlock()
		select {
		case r := <-call.reply: // arrived in the meantime: better late than lost
			return replied(ctx, r)
		default:
		}
		// QEMU may still run the command; its late reply is discarded.
		return callResult{}, fmt.Errorf("qmp: %s: no reply: %w", command, ctx.Err())
	}
}

// replied is what a call returns for what the reader handed it.
func replied(ctx context.Context, r callResult) (callResult, error) {
	setMark(ctx, r.events)
	if r.msg == nil {
		return callResult{}, r.err // the connection's failure
	}
	return r, nil
}

// send ends the request head, puts it on the wire and returns its call,
// whose reply the reader hands on.
//
// A reply has no id when its request had none, so a request may go
// without one only when its reply cannot be taken for another's: when no
// other request is on the wire, counting those whose caller has given up
// and whose replies are still to come. Deciding and writing under wsem
// keeps both in the order of the wire. A request sent while an id-less one
// is on the wire carries an id; its reply then comes with that id, after
// the id-less one (QEMU answers in order). needID asks for an id
// whatever is on the wire.
func (c *Client) send(ctx context.Context, command string, head []byte, needID bool) (*pendingCall, error) {
	select {
	case c.wsem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("qmp: %s: %w", command, ctx.Err())
	case <-c.done:
		c.mu.Lock()
		defer c.mu.Unlock()
		return nil, fmt.Errorf("qmp: %s: %w", command, c.closed)
	}
	defer func() { <-c.wsem }()

	call := &pendingCall{command: command, reply: make(chan callResult, 1)}
	c.mu.Lock()
	if c.closed != nil {
		defer c.mu.Unlock()
		return nil, fmt.Errorf("qmp: %s: %w", command, c.closed)
	}
	line := head
	if needID || len(c.onWire) > 0 {
		c.seq++
		call.id = "hmpsh-" + strconv.FormatUint(c.seq, 10)
		if line[len(line)-1] != '{' {
			line = append(line, ',')
		}
		line = append(line, `"id":"`...)
		line = append(line, call.id...) // nothing to escape
		line = append(line, '"')
	}
	line = append(line, "}\n"...)
	c.onWire = append(c.onWire, call)
	c.mu.Unlock()

	n, err := c.write(ctx, line)
	if err == nil {
		return call, nil
	}
	c.mu.Lock()
	if n == 0 {
		// Nothing went out, and nothing will answer.
		if i := slices.Index(c.onWire, call); i >= 0 {
			c.onWire = slices.Delete(c.onWire, i, i+1)
		}
	} else {
		// Half a request on the wire would garble the next one: give up
		// the connection rather than send QEMU nonsense.
		c.abandoned = true
		call.gaveUp = true
	}
	c.mu.Unlock()
	if n > 0 {
		c.conn.Close()
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("qmp: %s: %w", command, ctx.Err())
	}
	// The reader may have delivered the connection's failure meanwhile;
	// it says more than a write error does.
	select {
	case r := <-call.reply:
		return nil, r.err
	default:
	}
	if errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed) {
		// The peer is gone (QEMU quit) before the reader saw EOF: that is
		// a closed connection, whichever side notices first.
		err = fmt.Errorf("%w by QEMU: %w", ErrClosed, err)
	}
	return nil, fmt.Errorf("qmp: %s: %w", command, err)
}

// write writes line, cut short when ctx ends, and returns how much of it
// went out.
func (c *Client) write(ctx context.Context, line []byte) (int, error) {
	if ctx.Done() == nil {
		return c.conn.Write(line)
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		c.conn.SetWriteDeadline(time.Unix(1, 0))
		close(fired)
	})
	n, err := c.conn.Write(line)
	if !stop() {
		<-fired
		c.conn.SetWriteDeadline(time.Time{})
	}
	return n, err
}

// wireMessage is any message from QEMU after the greeting.
type wireMessage struct {
	ID        json.RawMessage `json:"id"`
	Return    json.RawMessage `json:"return"`
	Error     *Error          `json:"error"`
	Event     string          `json:"event"`
	Data      json.RawMessage `json:"data"`
	Timestamp *struct {
		Seconds      int64 `json:"seconds"`
		Microseconds int64 `json:"microseconds"`
	} `json:"timestamp"`
}

// readLoop is the only reader of the socket. Messages are read whole
// whatever their layout (QEMU's pretty=on spreads one over many lines), up
// to the Dialer's MaxMessage: a 300 KB schema reply is just another message.
func (c *Client) readLoop(dec *decoder) {
	for {
		raw, err := dec.next()
		if err != nil {
			c.shutdown(err)
			return
		}
		var m wireMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			c.shutdown(fmt.Errorf("malformed message %s: %w", truncate(raw, 120), err))
			return
		}
		switch {
		case m.Event != "":
			ev := Event{Name: m.Event, Data: m.Data}
			if m.Timestamp != nil {
				ev.Time = time.Unix(m.Timestamp.Seconds, m.Timestamp.Microseconds*1000)
			}
			c.deliverEvent(ev)
		case m.Return != nil || m.Error != nil:
			c.deliverReply(m, raw)
		default:
			// Nothing QEMU sends today; ignoring it keeps newer QEMUs working.
		}
	}
}

// deliverEvent waits until the reader of Events has room for ev: reading
// the connection waits with it, and QEMU keeps what it sends meanwhile
// (hmpsh printing 100,000 events to a file lost up to 61 % of them when
// the oldest were dropped instead). Two exceptions, where nobody can
// read: during the handshake (QEMU sends no events then; an odd one
// beyond the buffer is dropped), and after Close.
func (c *Client) deliverEvent(ev Event) {
	if !c.negotiated.Load() {
		select {
		case c.events <- ev:
			c.delivered++
		default:
		}
		return
	}
	select {
	case c.events <- ev:
		c.delivered++
	case <-c.quit:
	}
}

func (c *Client) deliverReply(m wireMessage, raw json.RawMessage) {
	r := callResult{ret: m.Return, msg: raw, events: c.delivered}
	if m.Error != nil {
		r.err = m.Error
	}
	c.mu.Lock()
	i := -1
	if len(m.ID) == 0 {
		// The reply to a request sent without an id, or QEMU's answer to
		// one it could not parse far enough to find the id: either way
		// the oldest request on the wire's, as QEMU answers in order (a
		// request goes without an id only when it is the only one).
		if len(c.onWire) > 0 {
			i = 0
		}
	} else if id := ""; json.Unmarshal(m.ID, &id) == nil && id != "" {
		i = slices.IndexFunc(c.onWire, func(p *pendingCall) bool { return p.id == id })
	}
	var call *pendingCall
	if i >= 0 {
		call = c.onWire[i]
		c.onWire = slices.Delete(c.onWire, i, i+1)
	}
	c.mu.Unlock()
	if call != nil {
		call.reply <- r // thrown away if the caller gave up
	}
	// else: a reply to an id we never sent; nobody waits for it.
}

// shutdown records why the connection is down, fails every call in flight
// and closes Events and Done. Only the reader calls it, once.
func (c *Client) shutdown(readErr error) {
	c.mu.Lock()
	cause := &closedError{cause: readErr}
	switch {
	case c.abandoned:
		cause.how = "by client: a request was cut short while being sent"
	case c.closing:
		cause.how = "by client"
	case readErr == io.EOF || errors.Is(readErr, syscall.ECONNRESET):
		// QEMU exited or closed the socket. After "quit" Linux reports a
		// reset rather than EOF on the unix socket; both mean the same here.
		cause.how, cause.eof = "by QEMU", true
	case errors.Is(readErr, io.ErrUnexpectedEOF):
		cause.how, cause.showCause = "by QEMU in the middle of a message", true
	case isTooLarge(readErr):
		cause.how, cause.showCause = "by client", true
	default:
		cause.showCause = true
		if _, ok := errors.AsType[*json.SyntaxError](readErr); ok {
			// The stream cannot be resynchronised after bytes that are not JSON.
			cause.how = "after garbage from QEMU"
		}
	}
	inflight := c.onWire // in the order they were sent
	names := make([]string, 0, len(inflight))
	for _, p := range inflight {
		if p.command != syncCommand && !p.gaveUp {
			names = append(names, p.command)
		}
	}
	c.closed = cause
	if len(names) > 0 {
		c.err = fmt.Errorf("qmp: %w (in flight: %s)", cause, strings.Join(names, ", "))
	} else {
		c.err = fmt.Errorf("qmp: %w", cause)
	}
	c.onWire = nil
	c.mu.Unlock()

	for _, p := range inflight {
		p.reply <- callResult{err: fmt.Errorf("qmp: %s: %w", p.command, cause), events: c.delivered}
	}
	c.conn.Close()
	close(c.events)
	close(c.done)
}

// closedError says how the connection ended. It wraps ErrClosed and the read
// error; a connection QEMU closed also wraps io.EOF, whatever the socket said.
type closedError struct {
	how       string // "by QEMU", "by client", ...
	showCause bool   // the read error tells more than how
	eof       bool   // QEMU went away
	cause     error
}

func (e *closedError) Error() string {
	msg := ErrClosed.Error()
	if e.how != "" {
		msg += " " + e.how
	}
	if e.showCause || e.how == "" {
		msg += ": " + e.cause.Error()
	}
	return msg
}

func (e *closedError) Unwrap() []error {
	errs := []error{ErrClosed, e.cause}
	if e.eof && e.cause != io.EOF {
		errs = append(errs, io.EOF)
	}
	return errs
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "..."
}

// quoteStart is the start of a message, quoted, to show in an error.
func quoteStart(b []byte, n int) string {
	if len(b) > n {
		return strconv.Quote(string(b[:n])) + "..."
	}
	return strconv.Quote(string(b))
}

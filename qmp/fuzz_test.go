package qmp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// bytesConn is a connection whose peer sent data and then hung up.
type bytesConn struct {
	r *bytes.Reader
}

func (c *bytesConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *bytesConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *bytesConn) Close() error                     { return nil }
func (c *bytesConn) LocalAddr() net.Addr              { return &net.UnixAddr{Name: "fuzz", Net: "unix"} }
func (c *bytesConn) RemoteAddr() net.Addr             { return &net.UnixAddr{Name: "fuzz", Net: "unix"} }
func (c *bytesConn) SetDeadline(time.Time) error      { return nil }
func (c *bytesConn) SetReadDeadline(time.Time) error  { return nil }
func (c *bytesConn) SetWriteDeadline(time.Time) error { return nil }

// fuzzLimit turns the fuzzer's number into a message limit: small, so
// that the fuzzer finds messages beyond it.
func fuzzLimit(n uint16) int64 { return int64(n%4096) + 1 }

// fuzzMaxInput is the longest input the targets take: twice the longest
// limit shows all there is to see, and the fuzzer spent most of its time
// minimizing the long inputs it made.
const fuzzMaxInput = 8 << 10

// What QEMU 7.2 and 10.0 send first (10.0's package string shortened).
var greetingSeeds = []string{
	`{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7+deb12u18"}, "capabilities": ["oob"]}}` + "\r\n",
	`{"QMP": {"version": {"qemu": {"micro": 2, "minor": 0, "major": 10}, "package": "Debian 1:10.0.2+ds-2"}, "capabilities": ["oob"]}}` + "\r\n",
	`{"timestamp": {"seconds": 1795679619, "microseconds": 770210}, "event": "RESUME"}` + "\r\n" + `{"QMP": {"version": {"qemu": {"micro": 0, "minor": 0, "major": 99}, "package": ""}, "capabilities": []}}`,
	"{\n    \"QMP\": {\n        \"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\": \"\"},\n        \"capabilities\": [\n        ]\n    }\n}\n",
	`{"QMP": null}`, `{"QMP": {"version": {"qemu": {"major": 1e3}}}}`, `{"return": {}}`, `[]`, `"QMP"`, `{"QMP": {}`,
	"SSH-2.0-OpenSSH_9.2\r\n", "QEMU 7.2.22 monitor - type 'help' for more information\r\n(qemu) ", "\x00\x01garbage }{",
}

// FuzzGreeting: whatever a monitor sends first, reading the greeting
// ends with a greeting or an error, reading no more than the limit of any
// message; and it finds the greeting that encoding/json finds, with no
// limit, whenever that one and the events before it fit the limit.
func FuzzGreeting(f *testing.F) {
	for _, s := range greetingSeeds {
		f.Add([]byte(s), uint16(4095))
		f.Add([]byte(s), uint16(40))
	}
	f.Fuzz(func(t *testing.T, data []byte, n uint16) {
		if len(data) > fuzzMaxInput {
			return
		}
		limit := fuzzLimit(n)
		conn := &bytesConn{r: bytes.NewReader(data)}
		dec := newDecoder(conn, limit)
		g, err := readGreeting(context.Background(), conn, dec)
		if dec.lim.read > dec.lim.start+limit {
			t.Fatalf("read %d bytes of one message, limit %d", dec.lim.read-dec.lim.start, limit)
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error")
		}
		want, longest, found := plainGreeting(data)
		switch {
		case found && longest <= limit && err != nil:
			t.Fatalf("no greeting (%v); encoding/json finds %+v within the limit %d", err, want, limit)
		case err == nil && !found:
			t.Fatalf("greeting %+v where encoding/json finds none", g)
		case err == nil && !reflect.DeepEqual(g, want):
			t.Fatalf("greeting %+v, encoding/json finds %+v", g, want)
		}
	})
}

// plainGreeting reads what readGreeting reads, with encoding/json alone:
// the first value that is not an event, when it has a "QMP" member. longest
// is the longest of the values up to it, with the white space before each.
func plainGreeting(data []byte) (g Greeting, longest int64, found bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		start := dec.InputOffset()
		var v struct {
			QMP *struct {
				Version struct {
					QEMU    wireVersion `json:"qemu"`
					Package string      `json:"package"`
				} `json:"version"`
				Capabilities []string `json:"capabilities"`
			} `json:"QMP"`
		}
		var raw json.RawMessage
		if dec.Decode(&raw) != nil {
			return g, longest, false
		}
		longest = max(longest, dec.InputOffset()-start)
		var probe struct {
			Event *string `json:"event"`
		}
		if json.Unmarshal(raw, &probe) == nil && probe.Event != nil {
			continue
		}
		if json.Unmarshal(raw, &v) != nil || v.QMP == nil {
			return g, longest, false
		}
		return Greeting{Version: v.QMP.Version.QEMU.version(v.QMP.Version.Package), Capabilities: v.QMP.Capabilities}, longest, true
	}
}

// FuzzMessages: whatever a monitor sends after the greeting, the reader
// ends (at the end of the bytes, or earlier on garbage or a message over
// the limit) having answered the call waiting exactly once, with a reply
// that carries its id or none, or with the connection's failure; having
// delivered the events, and noted in the reply how many came before it;
// and having taken no message longer than the limit. It runs once for
// each of the calls hmpsh-1 to hmpsh-3, waiting alone: the events must be
// the same each time. The reader runs alone too, with room for every
// event the bytes can hold, because coverage that depends on how
// goroutines meet, or on the order of a map of several calls, makes the
// fuzzer spend its time minimizing inputs that do not reproduce (the
// waits for room are tested in events_test.go).
func FuzzMessages(f *testing.F) {
	for _, s := range []string{
		`{"return": {}, "id": "hmpsh-1"}` + "\r\n" + `{"return": {"status": "running", "singlestep": false, "running": true}, "id": "hmpsh-2"}` + "\r\n",
		`{"timestamp": {"seconds": 1795679619, "microseconds": 770210}, "event": "STOP"}` + "\r\n" + `{"return": {}, "id": "hmpsh-2"}` + "\r\n" + `{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "MIGRATION", "data": {"status": "setup"}}`,
		`{"error": {"class": "GenericError", "desc": "JSON parse error, invalid keyword 'x'"}}` + "\r\n" + `{"return": "ok", "id": "hmpsh-3"}`,
		`{"error": {"class": "CommandNotFound", "desc": "The command nosuch has not been found"}, "id": "hmpsh-1"}`,
		`{"return": "stray", "id": "somebody-else"}{"return": 1, "id": 2}{"return": null, "id": "hmpsh-2"}{"event": ""}{"error": null}`,
		"{\n  \"return\": {\n    \"status\": \"running\"\n  },\n  \"id\": \"hmpsh-1\"\n}\n",
		`{"return": {"status": "runn`, "\x00\x01garbage }{\n", `{"timestamp": {"seconds": 1e30}, "event": "X"}`,
		`{"event": "X", "timestamp": {"seconds": 9223372036854775807, "microseconds": -9223372036854775808}}`,
		`{"return": "` + string(bytes.Repeat([]byte("y"), 100)) + `", "id": "hmpsh-1"}`,
	} {
		f.Add([]byte(s), uint16(4095))
		f.Add([]byte(s), uint16(60))
	}
	f.Fuzz(func(t *testing.T, data []byte, n uint16) {
		if len(data) > fuzzMaxInput {
			return
		}
		limit := fuzzLimit(n)
		var first []Event
		for k := 1; k <= 3; k++ {
			id := "hmpsh-" + strconv.Itoa(k)
			r, evs := readMessages(t, data, limit, id)
			if k == 1 {
				first = evs
			} else if !reflect.DeepEqual(evs, first) {
				t.Fatalf("waiting for %s, events %v; for hmpsh-1, %v", id, evs, first)
			}
			for _, ev := range evs {
				if ev.Name == "" {
					t.Fatal("an event without a name")
				}
				if int64(len(ev.Data)) > limit {
					t.Fatalf("event data of %d bytes, limit %d", len(ev.Data), limit)
				}
			}
			if r.events > uint64(len(evs)) {
				t.Fatalf("%s: mark %d past the %d events", id, r.events, len(evs))
			}
			if r.msg == nil {
				if !errors.Is(r.err, ErrClosed) {
					t.Fatalf("%s: failed with %v, want ErrClosed", id, r.err)
				}
				continue
			}
			if int64(len(r.msg)) > limit || !json.Valid(r.msg) {
				t.Fatalf("%s: reply %q (limit %d)", id, r.msg, limit)
			}
			var reply struct {
				ID json.RawMessage `json:"id"`
			}
			var got string
			if json.Unmarshal(r.msg, &reply) != nil || len(reply.ID) > 0 && (json.Unmarshal(reply.ID, &got) != nil || got != id) {
				t.Fatalf("%s got the reply %s", id, r.msg)
			}
			if qe, ok := r.err.(*Error); r.err != nil && !ok {
				t.Fatalf("%s: reply with error %v, want a *Error", id, r.err)
			} else if ok && qe.Error() == "" && qe.Class != "" {
				t.Fatalf("%s: empty error text", id)
			}
		}
	})
}

// readMessages runs a client's reader over data, with one call waiting
// for the reply with id, and returns what the call got and the events.
func readMessages(t *testing.T, data []byte, limit int64, id string) (callResult, []Event) {
	conn := &bytesConn{r: bytes.NewReader(data)}
	c := &Client{
		conn:   conn,
		wsem:   make(chan struct{}, 1),
		events: make(chan Event, len(data)/len(`{"event":"X"}`)+1),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	c.negotiated.Store(true)
	call := &pendingCall{id: id, command: "call", reply: make(chan callResult, 1)}
	c.onWire = []*pendingCall{call}
	c.readLoop(newDecoder(conn, limit))
	var evs []Event
	for ev := range c.Events() {
		evs = append(evs, ev)
	}
	if err := c.Err(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Err() = %v, want ErrClosed", err)
	}
	if c.delivered != uint64(len(evs)) {
		t.Fatalf("%d events delivered, %d read", c.delivered, len(evs))
	}
	var r callResult
	select {
	case r = <-call.reply:
	default:
		t.Fatalf("%s got no answer", id)
	}
	select {
	case <-call.reply:
		t.Fatalf("%s answered twice", id)
	default:
	}
	return r, evs
}

package shell

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
)

// A fake QMP monitor, only for faults real QEMU cannot be made to produce
// (a message without end, a storm of events before one reply).

const fakeGreeting = `{"QMP": {"version": {"qemu": {"micro": 0, "minor": 0, "major": 99}, "package": "fake"}, "capabilities": []}}` + "\r\n"

// fakeQMP serves every connection to a new unix socket with serve, in a
// goroutine of its own, and returns the address to dial.
func fakeQMP(t *testing.T, serve func(conn net.Conn, r *bufio.Reader)) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fake.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				serve(conn, bufio.NewReader(conn))
			}()
		}
	}()
	return "unix:" + path
}

// fakeRequest reads one request: its command and id (nil when it has
// none); false once the client has gone.
func fakeRequest(r *bufio.Reader) (cmd string, id json.RawMessage, ok bool) {
	line, err := r.ReadBytes('\n')
	if err != nil {
		return "", nil, false
	}
	var req struct {
		Execute string          `json:"execute"`
		ID      json.RawMessage `json:"id"`
	}
	if json.Unmarshal(line, &req) != nil {
		return "", nil, false
	}
	return req.Execute, req.ID, true
}

// fakeReply is the reply that returns ret to a request with id, which it
// carries as QEMU does when the request had one.
func fakeReply(ret string, id json.RawMessage) string {
	if len(id) == 0 {
		return `{"return": ` + ret + "}\r\n"
	}
	return `{"return": ` + ret + `, "id": ` + string(id) + "}\r\n"
}

// writeEndless writes head, then 'x' until the client hangs up.
func writeEndless(w io.Writer, head string) {
	if _, err := io.WriteString(w, head); err != nil {
		return
	}
	block := bytes.Repeat([]byte("x"), 64<<10)
	for {
		if _, err := w.Write(block); err != nil {
			return
		}
	}
}

// A monitor that sends a message without end fails with the limit named
// and the flag that raises it, whether it is the greeting or a reply
// (here the first a line asks for, the schema), and exit status 2.
func TestMaxMessage(t *testing.T) {
	greeting := fakeQMP(t, func(conn net.Conn, _ *bufio.Reader) {
		writeEndless(conn, `{"QMP": {"version": {"qemu": {"micro": 0, "minor": 0, "major": 99}, "package": "`)
	})
	reply := fakeQMP(t, func(conn net.Conn, r *bufio.Reader) {
		io.WriteString(conn, fakeGreeting)
		for {
			cmd, id, ok := fakeRequest(r)
			if !ok {
				return
			}
			if cmd == "qmp_capabilities" {
				io.WriteString(conn, fakeReply("{}", id))
				continue
			}
			writeEndless(conn, `{"return": "`)
			return
		}
	})
	for _, tt := range []struct {
		addr, want string
	}{
		{greeting, "hmpsh: monitor qemu: qmp: " + greeting + ": reading the QMP greeting: QEMU sent a message longer than 1 MiB, the limit for one QMP message (hmpsh --max-message SIZE raises the limit)\n"},
		{reply, "-c:1: monitor qemu: qmp: query-status: connection closed by client: QEMU sent a message longer than 1 MiB, the limit for one QMP message (hmpsh --max-message SIZE raises the limit)\n"},
	} {
		var out, errOut bytes.Buffer
		code := Main([]string{"--qmp", tt.addr, "--cache-dir", "", "--max-message", "1M", "-c", "info status"}, strings.NewReader(""), &out, &errOut)
		if code != ExitMonitor || !strings.Contains(errOut.String(), tt.want) || out.Len() != 0 {
			t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit 2 and stderr with:\n%s", code, out.String(), errOut.String(), tt.want)
		}
	}
}

// stormEvents is how many events the storm monitor sends before its reply
// to query-status.
const stormEvents = 100_000

// stormMonitor answers the schema with an empty one and query-status with
// stormEvents events first, numbered in their data.
func stormMonitor(t *testing.T) string {
	return fakeQMP(t, func(conn net.Conn, r *bufio.Reader) {
		w := bufio.NewWriterSize(conn, 64<<10)
		defer w.Flush()
		io.WriteString(w, fakeGreeting)
		w.Flush()
		for {
			cmd, id, ok := fakeRequest(r)
			if !ok {
				return
			}
			ret := "{}"
			switch cmd {
			case "query-qmp-schema":
				ret = "[]"
			case "human-monitor-command":
				ret = `""`
			case "query-status":
				for i := range stormEvents {
					fmt.Fprintf(w, `{"timestamp": {"seconds": 1795679619, "microseconds": %d}, "event": "STORM", "data": {"n": %d}}`+"\r\n", i%1000000, i)
				}
				ret = `{"status": "running", "singlestep": false, "running": true}`
			}
			io.WriteString(w, fakeReply(ret, id))
			if err := w.Flush(); err != nil {
				return
			}
		}
	})
}

// 100,000 events before a reply: every one is printed, in order, and all
// of them before the reply's output (text and --json); with --no-events
// none is, and nothing is said about dropped events. (36-61 % were
// dropped, and the rest printed after the reply, when the client kept 256
// for a slow reader.)
func TestEventStorm(t *testing.T) {
	addr := stormMonitor(t)
	for _, tt := range []struct {
		name, flag  string
		event, want string // an event line's start; the reply's line
		events      int
	}{
		{"text", "", "event ", "VM status: running", stormEvents},
		{"json", "--json", `{"event":"STORM"`, `{"return":{"status":"running","singlestep":false,"running":true}}`, stormEvents},
		{"no-events", "--no-events", "event ", "VM status: running", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"--qmp", addr, "--cache-dir", "", "-c", "info status"}
			if tt.flag != "" {
				args = append(args, tt.flag)
			}
			out, errOut := &syncBuffer{}, &syncBuffer{}
			code := Main(args, strings.NewReader(""), out, errOut)
			if code != ExitOK || errOut.String() != "" {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut.String())
			}
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			events, reply := 0, -1
			for i, l := range lines {
				switch {
				case strings.HasPrefix(l, tt.event):
					if !strings.Contains(l, fmt.Sprintf(`{"n":%d}`, events)) {
						t.Fatalf("line %d: %q, want event %d", i+1, l, events)
					}
					if reply >= 0 {
						t.Fatalf("line %d: event %d after the reply", i+1, events)
					}
					events++
				case l == tt.want:
					reply = i
				}
			}
			if events != tt.events || reply < 0 {
				t.Errorf("%d event lines (want %d), reply at line %d of %d", events, tt.events, reply+1, len(lines))
			}
		})
	}
}

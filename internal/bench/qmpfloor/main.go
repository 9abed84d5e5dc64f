// Command qmpfloor is the floor hmpsh's live benchmarks are measured
// against: a minimal Go QMP client that connects to a unix socket, reads
// the greeting, negotiates (qmp_capabilities), then sends N query-status
// one at a time, each after the reply to the one before, and prints each
// reply as hmpsh's info status does ("VM status: running"). It skips
// events, decodes each message with encoding/json and writes through a
// buffer: what is left of a QMP shell when everything but the request and
// the reply is taken away.
//
//	qmpfloor SOCKET N
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
)

// message is any message QEMU sends.
type message struct {
	QMP    json.RawMessage `json:"QMP"`
	Event  string          `json:"event"`
	Return json.RawMessage `json:"return"`
	Error  *struct {
		Class string `json:"class"`
		Desc  string `json:"desc"`
	} `json:"error"`
}

type status struct {
	Running bool   `json:"running"`
	Status  string `json:"status"`
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: qmpfloor SOCKET N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "qmpfloor:", err)
		os.Exit(2)
	}
	if err := run(os.Args[1], n); err != nil {
		fmt.Fprintln(os.Stderr, "qmpfloor:", err)
		os.Exit(1)
	}
}

func run(sock string, n int) error {
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return err
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()

	g, err := next(r)
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	if g.QMP == nil {
		return errors.New("no QMP greeting")
	}
	if _, err := execute(conn, r, "{\"execute\":\"qmp_capabilities\"}\n"); err != nil {
		return err
	}
	for range n {
		ret, err := execute(conn, r, "{\"execute\":\"query-status\"}\n")
		if err != nil {
			return err
		}
		var st status
		if err := json.Unmarshal(ret, &st); err != nil {
			return err
		}
		s := "VM status: paused"
		if st.Running {
			s = "VM status: running"
		}
		out.WriteString(s)
		if !st.Running && st.Status != "" && st.Status != "paused" {
			out.WriteString(" (" + st.Status + ")")
		}
		out.WriteByte('\n')
	}
	return nil
}

// execute sends one request and returns its reply's "return".
func execute(conn net.Conn, r *bufio.Reader, req string) (json.RawMessage, error) {
	if _, err := conn.Write([]byte(req)); err != nil {
		return nil, err
	}
	m, err := next(r)
	if err != nil {
		return nil, err
	}
	if m.Error != nil {
		return nil, fmt.Errorf("%s: %s", m.Error.Class, m.Error.Desc)
	}
	return m.Return, nil
}

// next reads the next message that is not an event. QEMU writes one
// message a line.
func next(r *bufio.Reader) (message, error) {
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return message{}, err
		}
		var m message
		if err := json.Unmarshal(line, &m); err != nil {
			return message{}, err
		}
		if m.Event == "" {
			return m, nil
		}
	}
}

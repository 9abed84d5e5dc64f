package transports

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	ch := func(pairs ...string) Channel {
		t.Helper()
		c, err := channelFromPairs(kvs(pairs...))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	inet := func(port string, more ...string) Channel {
		return ch(append([]string{"transport", "socket", "type", "inet", "host", "h", "port", port}, more...)...)
	}
	unix := func(path string, more ...string) Channel {
		return ch(append([]string{"transport", "socket", "type", "unix", "path", path}, more...)...)
	}
	vsock := func(cid, port string) Channel {
		return ch("transport", "socket", "type", "vsock", "cid", cid, "port", port)
	}
	cpr := func(c Channel) Channel { c.Type = "cpr"; return c }
	main := func(c Channel) Channel { c.Type = "main"; return c }
	long := "/" + strings.Repeat("x", 107)
	tests := []struct {
		chans []Channel
		role  Role
		msg   string // "" when the channels are fine
	}{
		{nil, Connect, ""},
		// TCP ports
		{[]Channel{inet("1")}, Connect, ""},
		{[]Channel{inet("65535")}, Connect, ""},
		{[]Channel{inet("0")}, Connect, "port=0: a TCP port is a number from 1 to 65535"},
		{[]Channel{inet("0")}, Listen, ""},
		{[]Channel{inet("65536")}, Connect, "port=65536: a TCP port is a number from 1 to 65535 (QEMU would silently wrap it)"},
		{[]Channel{inet("65536")}, Listen, "port=65536: a TCP port is a number from 0 to 65535"},
		{[]Channel{inet("70000")}, Listen, "port=70000"},
		{[]Channel{inet("99999999999999999999999")}, Connect, "port=99999999999999999999999"},
		{[]Channel{inet("004444")}, Connect, ""},
		{[]Channel{inet("")}, Connect, "port is empty"},
		{[]Channel{inet("http")}, Connect, ""}, // a service name
		{[]Channel{inet("x11-1")}, Listen, ""},
		{[]Channel{ch("transport", "rdma", "host", "h", "port", "0")}, Connect, "port=0"},
		{[]Channel{ch("transport", "rdma", "host", "h", "port", "0")}, Listen, ""},
		{[]Channel{ch("transport", "rdma", "host", "h", "port", "4444", "to", "70000")}, Listen, "to=70000: a port range ends at most at 65535"},
		// to=
		{[]Channel{inet("4444", "to", "4450")}, Listen, ""},
		{[]Channel{inet("4444", "to", "4444")}, Listen, ""},
		{[]Channel{inet("4444", "to", "65535")}, Listen, ""},
		{[]Channel{inet("4444", "to", "65536")}, Listen, "to=65536: a port range ends at most at 65535"},
		{[]Channel{inet("4444", "to", "4443")}, Listen, "to=4443 is below port=4444"},
		{[]Channel{inet("0", "to", "0")}, Listen, ""},
		{[]Channel{inet("http", "to", "1")}, Listen, ""}, // a service name has no number to compare
		// vsock
		{[]Channel{vsock("3", "4444")}, Connect, ""},
		{[]Channel{vsock("0", "0")}, Connect, ""},
		{[]Channel{vsock("4294967295", "4294967295")}, Connect, ""},
		{[]Channel{vsock("4294967296", "1")}, Connect, "cid=4294967296: a vsock cid is a number from 0 to 4294967295"},
		{[]Channel{vsock("host", "1")}, Connect, "cid=host: a vsock cid is a number"},
		{[]Channel{vsock("3", "http")}, Connect, "port=http: a vsock port is a number"},
		{[]Channel{vsock("3", "-1")}, Connect, "port=-1: a vsock port is a number"},
		{[]Channel{vsock("", "1")}, Connect, "cid=: a vsock cid is a number"},
		// unix: sun_path holds 108 bytes, an abstract name one less
		{[]Channel{unix(long)}, Connect, ""},
		{[]Channel{unix(long + "x")}, Connect, "a unix socket path holds at most 108"},
		{[]Channel{unix(long[1:], "abstract", "on")}, Connect, ""},
		{[]Channel{unix(long, "abstract", "on")}, Connect, "108 bytes, but a unix socket path holds at most 107"},
		{[]Channel{unix(long, "abstract", "off")}, Connect, ""},
		{[]Channel{unix("")}, Connect, "path is empty"},
		{[]Channel{unix("", "abstract", "on")}, Listen, ""},
		// fd, exec, file
		{[]Channel{ch("transport", "socket", "type", "fd", "str", "3")}, Connect, ""},
		{[]Channel{ch("transport", "socket", "type", "fd", "str", "")}, Connect, "str is empty"},
		{[]Channel{ch("transport", "exec", "args.0", "nc")}, Connect, ""},
		{[]Channel{ch("transport", "exec")}, Connect, "args: no command to run"},
		{[]Channel{ch("transport", "exec", "args.0", "", "args.1", "x")}, Connect, "args: no command to run"},
		{[]Channel{ch("transport", "file", "filename", "/x", "offset", "0")}, Connect, ""},
		{[]Channel{ch("transport", "file", "filename", "", "offset", "0")}, Connect, "filename is empty"},
		// channel types
		{[]Channel{inet("1"), unix("/x")}, Connect, "two channels with channel-type=main"},
		{[]Channel{main(inet("1")), unix("/x")}, Connect, "two channels with channel-type=main"},
		{[]Channel{cpr(unix("/x")), cpr(unix("/y")), inet("1")}, Connect, "two channels with channel-type=cpr"},
		{[]Channel{cpr(unix("/x"))}, Listen, "a channel-type=cpr channel needs a main channel too"},
		{[]Channel{cpr(unix("/x")), inet("1")}, Connect, ""},
		{[]Channel{main(inet("1")), cpr(unix("/x"))}, Connect, ""},
		// The first problem is reported.
		{[]Channel{inet("0"), cpr(unix(""))}, Connect, "port=0"},
		{[]Channel{cpr(unix("")), inet("0")}, Connect, "path is empty"},
		// Transports this package does not know are QEMU's business.
		{[]Channel{ch("transport", "pigeon")}, Connect, ""},
	}
	for i, tt := range tests {
		err := Check(tt.chans, tt.role)
		switch {
		case tt.msg == "" && err != nil:
			t.Errorf("%d: Check(%+v, %v): %v", i, tt.chans, tt.role, err)
		case tt.msg != "" && (err == nil || !strings.Contains(err.Error(), tt.msg)):
			t.Errorf("%d: Check(%+v, %v) = %v; want an error containing %q", i, tt.chans, tt.role, err, tt.msg)
		}
	}
}

package qmp_test

import (
	"testing"

	"github.com/hmpsh/hmpsh/qmp"
)

func TestParseAddress(t *testing.T) {
	for _, tc := range []struct {
		in, network, addr string
	}{
		{"unix:/run/qmp.sock", "unix", "/run/qmp.sock"},
		{"/run/qmp.sock", "unix", "/run/qmp.sock"},
		{"qmp.sock", "unix", "qmp.sock"},
		{"./dir:with:colons/qmp.sock", "unix", "./dir:with:colons/qmp.sock"},
		{"unix:rel/qmp.sock", "unix", "rel/qmp.sock"},
		{"tcp:127.0.0.1:4444", "tcp", "127.0.0.1:4444"},
		{"tcp:localhost:4444", "tcp", "localhost:4444"},
		{"tcp:[::1]:4444", "tcp", "[::1]:4444"},
		{"tcp::4444", "tcp", "localhost:4444"},
	} {
		network, addr, err := qmp.ParseAddress(tc.in)
		if err != nil || network != tc.network || addr != tc.addr {
			t.Errorf("ParseAddress(%q) = %q, %q, %v; want %q, %q", tc.in, network, addr, err, tc.network, tc.addr)
		}
	}
	for _, bad := range []string{
		"",
		"unix:",
		"tcp:",
		"tcp:localhost",
		"tcp:localhost:",
		"tcp:::1:4444",
		"telnet:localhost:4444",
		"localhost:4444",
		"unix:/run/qmp.sock,server=on,wait=off",
		"tcp:localhost:4444,server=on",
	} {
		if network, addr, err := qmp.ParseAddress(bad); err == nil {
			t.Errorf("ParseAddress(%q) = %q, %q; want an error", bad, network, addr)
		}
	}
}

package transports

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hmpsh/hmpsh/split"
)

// FillDefaults adds what hmpsh's syntax makes optional but QMP requires:
// a file channel's offset is 0 unless given.
func FillDefaults(kvs []split.KV) []split.KV {
	file, hasOffset := false, false
	for _, kv := range kvs {
		if kv.Key == "transport" && kv.Value == "file" {
			file = true
		}
		if kv.Key == "offset" {
			hasOffset = true
		}
	}
	if file && !hasOffset {
		kvs = append(kvs, split.KV{Key: "offset", Value: "0"})
	}
	return kvs
}

// Role says which end of a migration an address is for.
type Role int

const (
	Connect Role = iota // migrate: the source connects out
	Listen              // migrate_incoming: the destination listens
)

// Check finds what QEMU would accept but get wrong, or reject only once
// the migration has started: a numeric port outside 1..65535 (QEMU wraps
// 70000 to 4464), a vsock CID or port that is not a number, a unix path
// too long for a socket address, an empty command, and channel lists with
// two channels of one type or a cpr channel but no main one (QEMU 10.0
// crashes on that).
func Check(chans []Channel, role Role) error {
	hasMain := false
	for i, ch := range chans {
		t := channelType(ch)
		for _, before := range chans[:i] {
			if channelType(before) == t {
				return fmt.Errorf("two channels with channel-type=%s; give one of each type", t)
			}
		}
		hasMain = hasMain || t == "main"
		if err := checkAddress(ch.Addr, role); err != nil {
			return err
		}
	}
	if len(chans) > 0 && !hasMain {
		return fmt.Errorf("a channel-type=cpr channel needs a main channel too: add -c with channel-type=main (the default)")
	}
	return nil
}

func channelType(ch Channel) string {
	if ch.Type == "" {
		return "main"
	}
	return ch.Type
}

func checkAddress(f Fields, role Role) error {
	a := addr{f}
	transport, typ := a.str("transport"), a.str("type")
	switch {
	case transport == "rdma" || transport == "socket" && typ == "inet":
		port := a.str("port")
		if err := checkPort("port", port, role); err != nil {
			return err
		}
		if to, ok := a.uint("to"); ok {
			if to > 65535 {
				return fmt.Errorf("to=%d: a port range ends at most at 65535", to)
			}
			if p, err := strconv.ParseUint(port, 10, 16); err == nil && to < p {
				return fmt.Errorf("to=%d is below port=%s: to= is the last port to try", to, port)
			}
		}
	case transport == "socket" && typ == "vsock":
		for _, key := range []string{"cid", "port"} {
			if v := a.str(key); !isUint32(v) {
				return fmt.Errorf("%s=%s: a vsock %s is a number from 0 to 4294967295", key, v, key)
			}
		}
	case transport == "socket" && typ == "unix":
		path := a.str("path")
		abstract, _ := a.flag("abstract")
		if path == "" && !abstract {
			return fmt.Errorf("path is empty")
		}
		// struct sockaddr_un holds 108 bytes; an abstract name loses one.
		limit := 108
		if abstract {
			limit = 107
		}
		if len(path) > limit {
			return fmt.Errorf("path=%s: %d bytes, but a unix socket path holds at most %d", path, len(path), limit)
		}
	case transport == "socket" && typ == "fd":
		if a.str("str") == "" {
			return fmt.Errorf("str is empty: name a file descriptor passed with getfd, or give its number")
		}
	case transport == "exec":
		if args := a.strings("args"); len(args) == 0 || args[0] == "" {
			return fmt.Errorf("args: no command to run")
		}
	case transport == "file":
		if a.str("filename") == "" {
			return fmt.Errorf("filename is empty")
		}
	}
	return nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isUint32(s string) bool {
	_, err := strconv.ParseUint(s, 10, 32)
	return err == nil
}

func checkPort(key, port string, role Role) error {
	if port == "" {
		return fmt.Errorf("%s is empty", key)
	}
	if !isDigits(port) {
		// A service name such as "http": the resolver's business.
		return nil
	}
	n, err := strconv.ParseUint(port, 10, 64)
	lo := uint64(1)
	if role == Listen {
		lo = 0 // port 0 lets the kernel choose; query-migrate tells which
	}
	if err != nil || n < lo || n > 65535 {
		return fmt.Errorf("%s=%s: a TCP port is a number from %d to 65535 (QEMU would silently wrap it)", key, port, lo)
	}
	return nil
}

// CheckArgv finds what fails only when a channel goes to QEMU as QMP
// channels (not as an exec: URI, which QEMU runs through /bin/sh): QEMU
// spawns exec's args[0] without searching PATH (GLib's g_spawn since QEMU
// 7.1), so "cat" fails there with "Failed to execute child process".
func CheckArgv(chans []Channel) error {
	for _, ch := range chans {
		a := addr{ch.Addr}
		if a.str("transport") != "exec" {
			continue
		}
		args := a.strings("args")
		if len(args) == 0 || strings.Contains(args[0], "/") {
			continue
		}
		return fmt.Errorf("args: QEMU runs %q without searching PATH; give its full path (command -v %s tells it)", args[0], args[0])
	}
	return nil
}

package transports

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hmpsh/hmpsh/internal/suggest"
	"github.com/hmpsh/hmpsh/split"
)

// Protocols are the legacy URI schemes QEMU's migration code knows.
var protocols = []string{"tcp", "unix", "vsock", "fd", "exec", "rdma", "file"}

// Protocols lists the legacy URI schemes, in QEMU's documentation order.
func Protocols() []string { return append([]string(nil), protocols...) }

// URIError is a legacy URI that cannot be parsed.
type URIError struct {
	URI string
	Msg string
}

func (e *URIError) Error() string { return fmt.Sprintf("URI %q: %s", e.URI, e.Msg) }

// LooksLikeURI tells a legacy URI ("tcp:h:p", "exec:cmd") from a CHANNEL
// ("socket,type=inet,..." or "transport=exec,..."): a URI starts with a
// bare scheme name and a colon, before any comma or '='.
func LooksLikeURI(s string) bool {
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return false
	}
	for _, c := range s[:i] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ParseURI reads a legacy migration URI into the key=value pairs a CHANNEL
// written for the same address has, so both forms go through the same
// conversion and checks and produce the same QMP. It follows QEMU's
// parsers (migrate_uri_parse, socket_parse, inet_parse, file_parse_offset)
// but rejects what they would silently ignore, such as unknown inet options.
func ParseURI(uri string) ([]split.KV, error) {
	scheme, rest, ok := strings.Cut(uri, ":")
	if !ok || !LooksLikeURI(uri) {
		return nil, &URIError{uri, "not a migration URI: want PROTOCOL:ADDRESS; known protocols: " + strings.Join(protocols, ", ")}
	}
	kv := func(k, v string) split.KV { return split.KV{Key: k, Value: v} }
	switch scheme {
	case "tcp", "rdma":
		inet, err := parseInet(rest)
		if err != nil {
			return nil, &URIError{uri, err.Error()}
		}
		if scheme == "tcp" {
			return append([]split.KV{kv("transport", "socket"), kv("type", "inet")}, inet...), nil
		}
		return append([]split.KV{kv("transport", "rdma")}, inet...), nil
	case "unix":
		if rest == "" {
			return nil, &URIError{uri, "no socket path after unix:"}
		}
		return []split.KV{kv("transport", "socket"), kv("type", "unix"), kv("path", rest)}, nil
	case "vsock":
		cid, port, ok := strings.Cut(rest, ":")
		if !ok || cid == "" || port == "" || strings.ContainsAny(port, ":,") {
			return nil, &URIError{uri, "want vsock:CID:PORT"}
		}
		return []split.KV{kv("transport", "socket"), kv("type", "vsock"), kv("cid", cid), kv("port", port)}, nil
	case "fd":
		if rest == "" {
			return nil, &URIError{uri, "no file descriptor name after fd:"}
		}
		return []split.KV{kv("transport", "socket"), kv("type", "fd"), kv("str", rest)}, nil
	case "exec":
		if strings.TrimSpace(rest) == "" {
			return nil, &URIError{uri, "no command after exec:"}
		}
		// QEMU hands the whole command to the shell: exactly this argv.
		return []split.KV{kv("transport", "exec"), kv("args.0", "/bin/sh"), kv("args.1", "-c"), kv("args.2", rest)}, nil
	case "file":
		name, offset, hasOffset := strings.Cut(rest, offsetOption)
		if name == "" {
			return nil, &URIError{uri, "no file name after file:"}
		}
		out := []split.KV{kv("transport", "file"), kv("filename", name)}
		if hasOffset {
			if offset == "" {
				return nil, &URIError{uri, "empty offset="}
			}
			out = append(out, kv("offset", offset))
		} else {
			out = append(out, kv("offset", "0"))
		}
		return out, nil
	}
	msg := fmt.Sprintf("unknown migration protocol %q; known protocols: %s", scheme, strings.Join(protocols, ", "))
	if s := closest(scheme, protocols); s != "" {
		msg = fmt.Sprintf("unknown migration protocol %q (did you mean %q?); known protocols: %s", scheme, s, strings.Join(protocols, ", "))
	}
	return nil, &URIError{uri, msg}
}

// offsetOption is what QEMU's file_parse_offset looks for in a file: URI.
const offsetOption = ",offset="

// inetFlags are the boolean options QEMU's inet_parse reads after the port.
var inetFlags = []string{"ipv4", "ipv6", "keep-alive", "mptcp", "numeric"}

// parseInet reads HOST:PORT[,to=N][,ipv4[=on|off]]... as inet_parse does:
// an empty host (":4444") means every address, an IPv6 host is bracketed.
func parseInet(s string) ([]split.KV, error) {
	var host, rest string
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.IndexByte(s, ']')
		if end < 0 || !strings.HasPrefix(s[end+1:], ":") {
			return nil, fmt.Errorf("want [IPV6-ADDRESS]:PORT")
		}
		host, rest = s[1:end], s[end+2:]
		if host == "" {
			return nil, fmt.Errorf("empty IPv6 address in brackets")
		}
	default:
		var ok bool
		host, rest, ok = strings.Cut(s, ":")
		if !ok {
			return nil, fmt.Errorf("want HOST:PORT (an empty host, \":PORT\", means every address)")
		}
	}
	port, opts, _ := strings.Cut(rest, ",")
	if port == "" {
		return nil, fmt.Errorf("no port after the host")
	}
	if strings.Contains(port, ":") {
		return nil, fmt.Errorf("port %q contains ':'; write an IPv6 address in brackets, tcp:[::1]:4444", port)
	}
	out := []split.KV{{Key: "host", Value: host}, {Key: "port", Value: port}}
	if opts == "" {
		return out, nil
	}
	seen := map[string]bool{}
	for _, o := range strings.Split(opts, ",") {
		name, val, hasVal := strings.Cut(o, "=")
		if seen[name] {
			return nil, fmt.Errorf("option %q given twice", name)
		}
		seen[name] = true
		switch {
		case name == "to":
			if !hasVal || val == "" {
				return nil, fmt.Errorf("option to= needs a port number")
			}
			out = append(out, split.KV{Key: "to", Value: val})
		case slices.Contains(inetFlags, name):
			if !hasVal {
				val = "on"
			} else if val != "on" && val != "off" {
				return nil, fmt.Errorf("option %s=%s: want on or off", name, val)
			}
			out = append(out, split.KV{Key: name, Value: val})
		default:
			valid := append([]string{"to"}, inetFlags...)
			msg := fmt.Sprintf("unknown option %q after the port; valid options: %s", name, strings.Join(valid, ", "))
			if c := closest(name, valid); c != "" {
				msg = fmt.Sprintf("unknown option %q after the port (did you mean %q?); valid options: %s", name, c, strings.Join(valid, ", "))
			}
			return nil, fmt.Errorf("%s", msg)
		}
	}
	return out, nil
}

// URICaps says what the target QEMU's URI parser understands.
type URICaps struct {
	File  bool // file:PATH[,offset=N]
	MPTCP bool // the mptcp inet option
}

// RenderURI writes a channel as the legacy URI QEMU parses back into the
// same address: the exact inverse of ParseURI. Anything the URI form
// cannot say on this QEMU is an error naming the key.
func RenderURI(ch Channel, caps URICaps) (string, error) {
	noForm := func(key, why string) error {
		return fmt.Errorf("%s has no URI form%s", key, why)
	}
	if ch.Type != "" && ch.Type != "main" {
		return "", noForm("channel-type="+ch.Type, "")
	}
	a := ch.Addr
	if len(a.Other) > 0 {
		return "", noForm("key "+strconv.Quote(a.Other[0]), "")
	}
	switch a.Transport {
	case "socket":
		switch a.Type {
		case "inet":
			s, err := renderInet(a, caps, noForm)
			return "tcp:" + s, err
		case "unix":
			if a.Abstract != nil && *a.Abstract {
				return "", noForm("abstract=on", " (a unix: URI is always a path in the file system)")
			}
			return "unix:" + a.Path, nil
		case "vsock":
			return "vsock:" + a.CID + ":" + a.Port, nil
		case "fd":
			return "fd:" + a.Str, nil
		}
		return "", fmt.Errorf("socket type %q has no URI form", a.Type)
	case "exec":
		if len(a.Args) == 3 && a.Args[0] == "/bin/sh" && a.Args[1] == "-c" {
			return "exec:" + a.Args[2], nil
		}
		// QEMU runs an exec: URI as /bin/sh -c COMMAND; quoted words
		// give the shell back exactly this argv.
		return "exec:" + ShellQuote(a.Args), nil
	case "rdma":
		s, err := renderInet(a, caps, noForm)
		return "rdma:" + s, err
	case "file":
		if !caps.File {
			return "", noForm("transport=file", " before QEMU 8.2")
		}
		if strings.Contains(a.Filename, offsetOption) {
			return "", noForm(fmt.Sprintf("filename=%q", a.Filename), " (QEMU would read \",offset=\" in the name as the offset)")
		}
		if a.Offset != nil && *a.Offset != 0 {
			return "file:" + a.Filename + offsetOption + strconv.FormatUint(*a.Offset, 10), nil
		}
		return "file:" + a.Filename, nil
	}
	return "", fmt.Errorf("transport %q has no URI form", a.Transport)
}

func renderInet(a Address, caps URICaps, noForm func(key, why string) error) (string, error) {
	host := a.Host
	switch {
	case strings.ContainsAny(host, "[],"):
		return "", noForm(fmt.Sprintf("host=%q", host), "")
	case strings.Contains(host, ":"):
		host = "[" + host + "]"
	}
	if strings.ContainsAny(a.Port, ",:") {
		return "", noForm(fmt.Sprintf("port=%q", a.Port), "")
	}
	// QEMU's inet_parse reads at most 64 bytes of host and 32 of port.
	if len(a.Host) > 64 || len(a.Port) > 32 {
		return "", noForm("a host over 64 bytes or a port over 32", "")
	}
	s := host + ":" + a.Port
	if a.Numeric != nil {
		return "", noForm("numeric", "")
	}
	if a.To != nil {
		s += ",to=" + strconv.FormatUint(*a.To, 10)
	}
	flag := func(name string, v *bool) {
		if v != nil {
			s += "," + name + "=" + map[bool]string{true: "on", false: "off"}[*v]
		}
	}
	flag("ipv4", a.IPv4)
	flag("ipv6", a.IPv6)
	flag("keep-alive", a.KeepAlive)
	if a.MPTCP != nil && !caps.MPTCP {
		return "", noForm("mptcp", "")
	}
	flag("mptcp", a.MPTCP)
	return s, nil
}

func closest(s string, choices []string) string { return suggest.Closest(s, choices) }

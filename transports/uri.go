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

// protocolTags is where each scheme's address goes in a CHANNEL: the
// union tags its MigrationAddress has.
var protocolTags = map[string][]split.KV{
	"tcp":   {{Key: "transport", Value: "socket"}, {Key: "type", Value: "inet"}},
	"unix":  {{Key: "transport", Value: "socket"}, {Key: "type", Value: "unix"}},
	"vsock": {{Key: "transport", Value: "socket"}, {Key: "type", Value: "vsock"}},
	"fd":    {{Key: "transport", Value: "socket"}, {Key: "type", Value: "fd"}},
	"exec":  {{Key: "transport", Value: "exec"}},
	"rdma":  {{Key: "transport", Value: "rdma"}},
	"file":  {{Key: "transport", Value: "file"}},
}

// ProtocolTags is the CHANNEL tags (transport, and type for a socket) of
// URI scheme proto, or nil for a scheme QEMU does not have: a person who
// writes type=tcp means type=inet.
func ProtocolTags(proto string) []split.KV {
	return slices.Clone(protocolTags[proto])
}

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
		return append(ProtocolTags(scheme), inet...), nil
	case "unix":
		if rest == "" {
			return nil, &URIError{uri, "no socket path after unix:"}
		}
		return append(ProtocolTags(scheme), kv("path", rest)), nil
	case "vsock":
		cid, port, ok := strings.Cut(rest, ":")
		if !ok || cid == "" || port == "" || strings.ContainsAny(port, ":,") {
			return nil, &URIError{uri, "want vsock:CID:PORT"}
		}
		return append(ProtocolTags(scheme), kv("cid", cid), kv("port", port)), nil
	case "fd":
		if rest == "" {
			return nil, &URIError{uri, "no file descriptor name after fd:"}
		}
		return append(ProtocolTags(scheme), kv("str", rest)), nil
	case "exec":
		if strings.TrimSpace(rest) == "" {
			return nil, &URIError{uri, "no command after exec:"}
		}
		// QEMU hands the whole command to the shell: exactly this argv.
		return append(ProtocolTags(scheme), kv("args.0", "/bin/sh"), kv("args.1", "-c"), kv("args.2", rest)), nil
	case "file":
		name, offset, hasOffset := strings.Cut(rest, offsetOption)
		if name == "" {
			return nil, &URIError{uri, "no file name after file:"}
		}
		out := append(ProtocolTags(scheme), kv("filename", name))
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
	if ch.Type != "" && ch.Type != "main" {
		return "", noForm("channel-type="+ch.Type, "")
	}
	a := addr{ch.Addr}
	transport := a.str("transport")
	switch transport {
	case "socket":
		switch typ := a.str("type"); typ {
		case "inet":
			s, err := renderInet(a, caps)
			return "tcp:" + s, err
		case "unix":
			if err := onlyKeys(a, "path", "abstract", "tight"); err != nil {
				return "", err
			}
			if on, _ := a.flag("abstract"); on {
				return "", noForm("abstract=on", " (a unix: URI is always a path in the file system)")
			}
			return "unix:" + a.str("path"), nil
		case "vsock":
			if err := onlyKeys(a, "cid", "port"); err != nil {
				return "", err
			}
			return "vsock:" + a.str("cid") + ":" + a.str("port"), nil
		case "fd":
			if err := onlyKeys(a, "str"); err != nil {
				return "", err
			}
			return "fd:" + a.str("str"), nil
		default:
			return "", fmt.Errorf("socket type %q has no URI form", typ)
		}
	case "exec":
		if err := onlyKeys(a, "args"); err != nil {
			return "", err
		}
		args := a.strings("args")
		if len(args) == 3 && args[0] == "/bin/sh" && args[1] == "-c" {
			return "exec:" + args[2], nil
		}
		// QEMU runs an exec: URI as /bin/sh -c COMMAND; quoted words
		// give the shell back exactly this argv.
		return "exec:" + ShellQuote(args), nil
	case "rdma":
		s, err := renderInet(a, caps)
		return "rdma:" + s, err
	case "file":
		if !caps.File {
			return "", noForm("transport=file", " before QEMU 8.2")
		}
		if err := onlyKeys(a, "filename", "offset"); err != nil {
			return "", err
		}
		name := a.str("filename")
		if strings.Contains(name, offsetOption) {
			return "", noForm(fmt.Sprintf("filename=%q", name), " (QEMU would read \",offset=\" in the name as the offset)")
		}
		if off, _ := a.uint("offset"); off != 0 {
			return "file:" + name + offsetOption + strconv.FormatUint(off, 10), nil
		}
		return "file:" + name, nil
	}
	return "", fmt.Errorf("transport %q has no URI form", transport)
}

func noForm(key, why string) error {
	return fmt.Errorf("%s has no URI form%s", key, why)
}

// onlyKeys fails on the first key, besides transport and type, that the
// URI form of the address does not write.
func onlyKeys(a addr, keys ...string) error {
	for k := range a.Keys() {
		if k != "transport" && k != "type" && !slices.Contains(keys, k) {
			return noForm("key "+strconv.Quote(k), "")
		}
	}
	return nil
}

// inetURIKeys are the inet members a tcp: or rdma: URI writes.
var inetURIKeys = append([]string{"host", "port", "to"}, inetFlags...)

func renderInet(a addr, caps URICaps) (string, error) {
	if err := onlyKeys(a, inetURIKeys...); err != nil {
		return "", err
	}
	host, port := a.str("host"), a.str("port")
	bracketed := host
	switch {
	case strings.ContainsAny(host, "[],"):
		return "", noForm(fmt.Sprintf("host=%q", host), "")
	case strings.Contains(host, ":"):
		bracketed = "[" + host + "]"
	}
	if strings.ContainsAny(port, ",:") {
		return "", noForm(fmt.Sprintf("port=%q", port), "")
	}
	// QEMU's inet_parse reads at most 64 bytes of host and 32 of port.
	if len(host) > 64 || len(port) > 32 {
		return "", noForm("a host over 64 bytes or a port over 32", "")
	}
	s := bracketed + ":" + port
	if _, given := a.flag("numeric"); given {
		return "", noForm("numeric", "")
	}
	if to, ok := a.uint("to"); ok {
		s += ",to=" + strconv.FormatUint(to, 10)
	}
	for _, name := range inetFlags {
		on, given := a.flag(name)
		if !given || name == "numeric" {
			continue
		}
		if name == "mptcp" && !caps.MPTCP {
			return "", noForm("mptcp", "")
		}
		s += "," + name + "=" + map[bool]string{true: "on", false: "off"}[on]
	}
	return s, nil
}

func closest(s string, choices []string) string { return suggest.Closest(s, choices) }

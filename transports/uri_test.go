package transports

import (
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hmpsh/hmpsh/split"
)

// kvs writes pairs compactly: kvs("a", "1", "b", "2").
func kvs(kv ...string) []split.KV {
	var out []split.KV
	for i := 0; i < len(kv); i += 2 {
		out = append(out, split.KV{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

// fields is a typed address kept in order, as qmp.Object keeps one.
type fields []field

type field struct {
	k string
	v any
}

func (f fields) get(key string) any {
	for _, x := range f {
		if x.k == key {
			return x.v
		}
	}
	return nil
}

func (f fields) Str(key string) (string, bool) {
	v, ok := f.get(key).(string)
	return v, ok
}

func (f fields) Bool(key string) (bool, bool) {
	v, ok := f.get(key).(bool)
	return v, ok
}

func (f fields) Number(key string) (string, bool) {
	v, ok := f.get(key).(json.Number)
	return string(v), ok
}

func (f fields) Strings(key string) ([]string, bool) {
	l, ok := f.get(key).([]any)
	var out []string
	for _, e := range l {
		out = append(out, e.(string))
	}
	return out, ok
}

func (f fields) Keys() iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, x := range f {
			if !yield(x.k) {
				return
			}
		}
	}
}

// channelFromPairs builds the Channel that the pairs of a URI or CHANNEL
// describe, typing the values as the schema does for the keys this
// package knows (hmp does it through the schema; this stands in for it
// so that transports is tested on its own). It fails on values that are
// not plain on/off or decimal numbers.
func channelFromPairs(pairs []split.KV) (Channel, error) {
	var f fields
	ct := ""
	var args []any
	for _, kv := range pairs {
		switch {
		case kv.Key == "channel-type":
			ct = kv.Value
		case strings.HasPrefix(kv.Key, "args."):
			n, err := strconv.Atoi(strings.TrimPrefix(kv.Key, "args."))
			if err != nil || n != len(args) {
				return Channel{}, fmt.Errorf("args out of order at %s", kv.Key)
			}
			if n == 0 {
				f = append(f, field{"args", nil})
			}
			args = append(args, kv.Value)
		case slices.Contains([]string{"numeric", "ipv4", "ipv6", "keep-alive", "mptcp", "abstract", "tight"}, kv.Key):
			switch kv.Value {
			case "on":
				f = append(f, field{kv.Key, true})
			case "off":
				f = append(f, field{kv.Key, false})
			default:
				return Channel{}, fmt.Errorf("%s=%s is not on/off", kv.Key, kv.Value)
			}
		case kv.Key == "to" || kv.Key == "offset":
			n, err := strconv.ParseUint(kv.Value, 10, 64)
			if err != nil {
				return Channel{}, fmt.Errorf("%s=%s: %v", kv.Key, kv.Value, err)
			}
			f = append(f, field{kv.Key, json.Number(strconv.FormatUint(n, 10))})
		default:
			f = append(f, field{kv.Key, kv.Value})
		}
	}
	for i := range f {
		if f[i].k == "args" {
			f[i].v = args
		}
	}
	return Channel{Type: ct, Addr: f}, nil
}

// sameAddress compares two channels as QEMU would see them: the order in
// which keys were given does not matter.
func sameAddress(a, b Channel) bool {
	asMap := func(f Fields) map[string]any {
		m := map[string]any{}
		for k := range f.Keys() {
			m[k] = f.(fields).get(k)
		}
		return m
	}
	return a.Type == b.Type && reflect.DeepEqual(asMap(a.Addr), asMap(b.Addr))
}

var allCaps = URICaps{File: true, MPTCP: true}

func TestParseURI(t *testing.T) {
	tests := []struct {
		uri    string
		want   []split.KV
		render string // RenderURI's result with every capability; "" for uri itself
	}{
		// tcp
		{"tcp:host:4444", kvs("transport", "socket", "type", "inet", "host", "host", "port", "4444"), ""},
		{"tcp:192.0.2.1:http", kvs("transport", "socket", "type", "inet", "host", "192.0.2.1", "port", "http"), ""},
		{"tcp::4444", kvs("transport", "socket", "type", "inet", "host", "", "port", "4444"), ""},
		{"tcp:[::1]:4444", kvs("transport", "socket", "type", "inet", "host", "::1", "port", "4444"), ""},
		{"tcp:[fe80::1%eth0]:0", kvs("transport", "socket", "type", "inet", "host", "fe80::1%eth0", "port", "0"), ""},
		{"tcp:h:4444,to=4450", kvs("transport", "socket", "type", "inet", "host", "h", "port", "4444", "to", "4450"), ""},
		{"tcp:h:4444,ipv4", kvs("transport", "socket", "type", "inet", "host", "h", "port", "4444", "ipv4", "on"), "tcp:h:4444,ipv4=on"},
		{"tcp:h:4444,ipv6=off", kvs("transport", "socket", "type", "inet", "host", "h", "port", "4444", "ipv6", "off"), ""},
		{"tcp:h:4444,keep-alive=on", kvs("transport", "socket", "type", "inet", "host", "h", "port", "4444", "keep-alive", "on"), ""},
		{"tcp:h:4444,mptcp", kvs("transport", "socket", "type", "inet", "host", "h", "port", "4444", "mptcp", "on"), "tcp:h:4444,mptcp=on"},
		{"tcp:h:4444,numeric=on", kvs("transport", "socket", "type", "inet", "host", "h", "port", "4444", "numeric", "on"), "error"},
		// Options in any order render in one order.
		{"tcp:h:1,mptcp=off,keep-alive,ipv6,ipv4=on,to=9", kvs("transport", "socket", "type", "inet", "host", "h", "port", "1",
			"mptcp", "off", "keep-alive", "on", "ipv6", "on", "ipv4", "on", "to", "9"),
			"tcp:h:1,to=9,ipv4=on,ipv6=on,keep-alive=on,mptcp=off"},
		// A comma after the port with nothing after it adds nothing.
		{"tcp:h:4444,", kvs("transport", "socket", "type", "inet", "host", "h", "port", "4444"), "tcp:h:4444"},
		// unix
		{"unix:/run/mig.sock", kvs("transport", "socket", "type", "unix", "path", "/run/mig.sock"), ""},
		{"unix:/run/a b,c:d", kvs("transport", "socket", "type", "unix", "path", "/run/a b,c:d"), ""},
		{"unix:rel", kvs("transport", "socket", "type", "unix", "path", "rel"), ""},
		// vsock
		{"vsock:3:4444", kvs("transport", "socket", "type", "vsock", "cid", "3", "port", "4444"), ""},
		// fd
		{"fd:migfd", kvs("transport", "socket", "type", "fd", "str", "migfd"), ""},
		{"fd:42", kvs("transport", "socket", "type", "fd", "str", "42"), ""},
		// exec: the whole command goes to the shell.
		{"exec:cat > /tmp/mig", kvs("transport", "exec", "args.0", "/bin/sh", "args.1", "-c", "args.2", "cat > /tmp/mig"), ""},
		{"exec: gzip -c | ssh h 'cat > x'", kvs("transport", "exec", "args.0", "/bin/sh", "args.1", "-c", "args.2", " gzip -c | ssh h 'cat > x'"), ""},
		{"exec:a:b,c", kvs("transport", "exec", "args.0", "/bin/sh", "args.1", "-c", "args.2", "a:b,c"), ""},
		// rdma
		{"rdma:192.0.2.1:4444", kvs("transport", "rdma", "host", "192.0.2.1", "port", "4444"), ""},
		{"rdma:[::1]:4444,ipv6", kvs("transport", "rdma", "host", "::1", "port", "4444", "ipv6", "on"), "rdma:[::1]:4444,ipv6=on"},
		// file: no offset means offset 0, which renders back without it.
		{"file:/tmp/vm.mig", kvs("transport", "file", "filename", "/tmp/vm.mig", "offset", "0"), ""},
		{"file:/tmp/vm.mig,offset=0", kvs("transport", "file", "filename", "/tmp/vm.mig", "offset", "0"), "file:/tmp/vm.mig"},
		{"file:/tmp/vm.mig,offset=4096", kvs("transport", "file", "filename", "/tmp/vm.mig", "offset", "4096"), ""},
		{"file:/a,b:c,offset=1,offset=2", kvs("transport", "file", "filename", "/a,b:c", "offset", "1,offset=2"), "error"},
		{"file:/a,,offset=7", kvs("transport", "file", "filename", "/a,", "offset", "7"), ""},
	}
	for _, tt := range tests {
		got, err := ParseURI(tt.uri)
		if err != nil {
			t.Errorf("ParseURI(%q): %v", tt.uri, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseURI(%q)\n got %v\nwant %v", tt.uri, got, tt.want)
			continue
		}
		ch, err := channelFromPairs(got)
		if err != nil {
			if tt.render != "error" {
				t.Errorf("ParseURI(%q): pairs %v do not type: %v", tt.uri, got, err)
			}
			continue
		}
		uri, err := RenderURI(ch, allCaps)
		want := tt.render
		if want == "" {
			want = tt.uri
		}
		if want == "error" {
			if err == nil {
				t.Errorf("RenderURI(ParseURI(%q)) = %q, want an error", tt.uri, uri)
			}
			continue
		}
		if err != nil || uri != want {
			t.Errorf("RenderURI(ParseURI(%q)) = %q, %v; want %q", tt.uri, uri, err, want)
			continue
		}
		checkRenderRoundTrip(t, tt.uri, ch, uri)
	}
}

// checkRenderRoundTrip checks that a rendered URI parses back to the
// address it was rendered from.
func checkRenderRoundTrip(t testing.TB, from string, ch Channel, uri string) {
	t.Helper()
	again, err := ParseURI(uri)
	if err != nil {
		t.Fatalf("%q renders as %q, which does not parse: %v", from, uri, err)
	}
	ch2, err := channelFromPairs(again)
	if err != nil {
		t.Fatalf("%q renders as %q, whose pairs %v do not type: %v", from, uri, again, err)
	}
	if !sameAddress(ch, ch2) {
		t.Fatalf("%q renders as %q, which parses to %+v, not %+v", from, uri, ch2, ch)
	}
	if uri2, err := RenderURI(ch2, allCaps); err != nil || uri2 != uri {
		t.Fatalf("%q renders as %q, then as %q, %v", from, uri, uri2, err)
	}
}

func TestParseURIErrors(t *testing.T) {
	tests := []struct{ uri, msg string }{
		{"", "not a migration URI"},
		{"tcp", "not a migration URI"},
		{":4444", "not a migration URI"},
		{"socket,type=unix,path=/a:b", "not a migration URI"},
		{"t cp:h:1", "not a migration URI"},
		{"tpc:h:1", `unknown migration protocol "tpc" (did you mean "tcp"?); known protocols: tcp, unix, vsock, fd, exec, rdma, file`},
		{"zzz:h:1", `unknown migration protocol "zzz"; known protocols: tcp, unix, vsock, fd, exec, rdma, file`},
		{"unx:/a", `unknown migration protocol "unx" (did you mean "unix"?)`},
		{"TCP:h:1", `unknown migration protocol "TCP"`},
		{"socket:/a", `unknown migration protocol "socket"`},
		// tcp and rdma
		{"tcp:", "want HOST:PORT"},
		{"tcp:host", "want HOST:PORT"},
		{"tcp:host:", "no port after the host"},
		{"tcp::", "no port after the host"},
		{"tcp:host:,to=5", "no port after the host"},
		{"tcp:::1:4444", `port ":1:4444" contains ':'`},
		{"tcp:h:1:2", `port "1:2" contains ':'`},
		{"tcp:[::1]", "want [IPV6-ADDRESS]:PORT"},
		{"tcp:[::1:4444", "want [IPV6-ADDRESS]:PORT"},
		{"tcp:[::1]4444", "want [IPV6-ADDRESS]:PORT"},
		{"tcp:[]:4444", "empty IPv6 address"},
		{"tcp:[::1]:", "no port after the host"},
		{"tcp:h:1,to", "option to= needs a port number"},
		{"tcp:h:1,to=", "option to= needs a port number"},
		{"tcp:h:1,ipv4=yes", "option ipv4=yes: want on or off"},
		{"tcp:h:1,numeric=", "option numeric=: want on or off"},
		{"tcp:h:1,ipv4,ipv4=off", `option "ipv4" given twice`},
		{"tcp:h:1,to=2,to=3", `option "to" given twice`},
		{"tcp:h:1,ipv5", `unknown option "ipv5" after the port (did you mean "ipv4"?); valid options: to, ipv4, ipv6, keep-alive, mptcp, numeric`},
		{"tcp:h:1,,ipv4", `unknown option "" after the port`},
		{"tcp:h:1,keepalive", `unknown option "keepalive" after the port (did you mean "keep-alive"?)`},
		{"tcp:h:1,reconnect=5", `unknown option "reconnect" after the port; valid options`},
		{"rdma:h", "want HOST:PORT"},
		{"rdma:h:1,foo", `unknown option "foo"`},
		// the others
		{"unix:", "no socket path after unix:"},
		{"vsock:", "want vsock:CID:PORT"},
		{"vsock:3", "want vsock:CID:PORT"},
		{"vsock::4444", "want vsock:CID:PORT"},
		{"vsock:3:", "want vsock:CID:PORT"},
		{"vsock:3:4:5", "want vsock:CID:PORT"},
		{"vsock:3:4,x", "want vsock:CID:PORT"},
		{"fd:", "no file descriptor name after fd:"},
		{"exec:", "no command after exec:"},
		{"exec: \t ", "no command after exec:"},
		{"file:", "no file name after file:"},
		{"file:,offset=4", "no file name after file:"},
		{"file:/x,offset=", "empty offset="},
	}
	for _, tt := range tests {
		got, err := ParseURI(tt.uri)
		var ue *URIError
		if !errors.As(err, &ue) {
			t.Errorf("ParseURI(%q) = %v, %v; want a *URIError", tt.uri, got, err)
			continue
		}
		if got != nil || ue.URI != tt.uri || !strings.Contains(ue.Msg, tt.msg) {
			t.Errorf("ParseURI(%q): %q; want one containing %q", tt.uri, ue.Msg, tt.msg)
		}
		if !strings.HasPrefix(err.Error(), "URI "+strconv.Quote(tt.uri)+": ") {
			t.Errorf("ParseURI(%q): %q does not name the URI", tt.uri, err)
		}
	}
}

func TestLooksLikeURI(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"tcp:h:1", true},
		{"exec:cat", true},
		{"file:/x", true},
		{"x-y_Z9:", true},
		{"tpc:h:1", true}, // an unknown protocol still reads as a URI, for a helpful error
		{"socket,type=unix,path=/a:b", false},
		{"transport=exec,args=nc h:1", false},
		{"exec,args.0=a:b", false},
		{":4444", false},
		{"tcp", false},
		{"", false},
		{"a b:c", false},
		{"/run/x:y", false},
	}
	for _, tt := range tests {
		if got := LooksLikeURI(tt.s); got != tt.want {
			t.Errorf("LooksLikeURI(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestProtocols(t *testing.T) {
	p := Protocols()
	if want := []string{"tcp", "unix", "vsock", "fd", "exec", "rdma", "file"}; !reflect.DeepEqual(p, want) {
		t.Fatalf("Protocols() = %q, want %q", p, want)
	}
	p[0] = "changed"
	if Protocols()[0] != "tcp" {
		t.Fatal("Protocols returns the package's own slice")
	}
}

func TestFillDefaults(t *testing.T) {
	tests := []struct{ in, want []split.KV }{
		{kvs("transport", "file", "filename", "/x"), kvs("transport", "file", "filename", "/x", "offset", "0")},
		{kvs("transport", "file", "filename", "/x", "offset", "5"), kvs("transport", "file", "filename", "/x", "offset", "5")},
		{kvs("transport", "socket", "type", "unix", "path", "/x"), kvs("transport", "socket", "type", "unix", "path", "/x")},
		{nil, nil},
	}
	for _, tt := range tests {
		if got := FillDefaults(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("FillDefaults(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestRenderURI(t *testing.T) {
	tests := []struct {
		pairs []split.KV
		caps  URICaps
		want  string
	}{
		{kvs("transport", "socket", "type", "inet", "host", "h", "port", "1"), URICaps{}, "tcp:h:1"},
		{kvs("channel-type", "main", "transport", "socket", "type", "inet", "host", "h", "port", "1"), URICaps{}, "tcp:h:1"},
		{kvs("transport", "socket", "type", "inet", "host", "fe80::1", "port", "1", "keep-alive", "off"), URICaps{}, "tcp:[fe80::1]:1,keep-alive=off"},
		{kvs("transport", "socket", "type", "inet", "host", strings.Repeat("h", 64), "port", strings.Repeat("9", 32)), URICaps{},
			"tcp:" + strings.Repeat("h", 64) + ":" + strings.Repeat("9", 32)},
		{kvs("transport", "socket", "type", "unix", "path", "/x", "abstract", "off", "tight", "on"), URICaps{}, "unix:/x"},
		{kvs("transport", "exec", "args.0", "nc", "args.1", "-U", "args.2", "/run/mig sock"), URICaps{}, "exec:nc -U '/run/mig sock'"},
		{kvs("transport", "exec", "args.0", "/bin/sh", "args.1", "-c", "args.2", "a; b", "args.3", "x"), URICaps{}, "exec:/bin/sh -c 'a; b' x"},
		{kvs("transport", "exec", "args.0", "A=1", "args.1", "cmd"), URICaps{}, "exec:'A=1' cmd"},
		{kvs("transport", "exec", "args.0", "if"), URICaps{}, "exec:'if'"},
		{kvs("transport", "file", "filename", "/x", "offset", "0"), URICaps{File: true}, "file:/x"},
		{kvs("transport", "file", "filename", "/x"), URICaps{File: true}, "file:/x"},
		{kvs("transport", "file", "filename", "/x,offset", "offset", "9"), URICaps{File: true}, "file:/x,offset,offset=9"},
		{kvs("transport", "socket", "type", "inet", "host", "h", "port", "1", "mptcp", "on"), URICaps{MPTCP: true}, "tcp:h:1,mptcp=on"},
	}
	for _, tt := range tests {
		ch, err := channelFromPairs(tt.pairs)
		if err != nil {
			t.Fatal(err)
		}
		got, err := RenderURI(ch, tt.caps)
		if err != nil || got != tt.want {
			t.Errorf("RenderURI(%v, %+v) = %q, %v; want %q", tt.pairs, tt.caps, got, err, tt.want)
		}
	}
}

func TestRenderURIErrors(t *testing.T) {
	inet := func(more ...string) []split.KV {
		return kvs(append([]string{"transport", "socket", "type", "inet", "host", "h", "port", "1"}, more...)...)
	}
	tests := []struct {
		pairs []split.KV
		caps  URICaps
		msg   string
	}{
		{kvs("transport", "socket", "type", "unix", "path", "x", "abstract", "on"), allCaps, "abstract=on has no URI form"},
		{inet("numeric", "on"), allCaps, "numeric has no URI form"},
		{inet("numeric", "off"), allCaps, "numeric has no URI form"},
		{inet("mptcp", "on"), URICaps{File: true}, "mptcp has no URI form"},
		{inet("mptcp", "off"), URICaps{File: true}, "mptcp has no URI form"},
		{kvs("transport", "rdma", "host", "h", "port", "1", "mptcp", "on"), URICaps{}, "mptcp has no URI form"},
		{kvs("transport", "file", "filename", "/x", "offset", "0"), URICaps{MPTCP: true}, "transport=file has no URI form before QEMU 8.2"},
		{kvs("transport", "file", "filename", "/a,offset=1", "offset", "0"), allCaps, `filename="/a,offset=1" has no URI form`},
		{kvs("channel-type", "cpr", "transport", "socket", "type", "unix", "path", "/x"), allCaps, "channel-type=cpr has no URI form"},
		{kvs("transport", "socket", "type", "unix", "path", "/x", "reconnect-ms", "5"), allCaps, `key "reconnect-ms" has no URI form`},
		{inet("keep-alive-count", "5"), allCaps, `key "keep-alive-count" has no URI form`},
		{kvs("transport", "socket", "type", "inet", "host", "a,b", "port", "1"), allCaps, `host="a,b" has no URI form`},
		{kvs("transport", "socket", "type", "inet", "host", "[::1]", "port", "1"), allCaps, `host="[::1]" has no URI form`},
		{kvs("transport", "socket", "type", "inet", "host", "h", "port", "1:2"), allCaps, `port="1:2" has no URI form`},
		{kvs("transport", "socket", "type", "inet", "host", "h", "port", "1,2"), allCaps, `port="1,2" has no URI form`},
		{kvs("transport", "socket", "type", "inet", "host", strings.Repeat("h", 65), "port", "1"), allCaps, "host over 64 bytes"},
		{kvs("transport", "socket", "type", "inet", "host", "h", "port", strings.Repeat("9", 33)), allCaps, "port over 32"},
		{kvs("transport", "socket", "type", "bluetooth"), allCaps, `socket type "bluetooth" has no URI form`},
		{kvs("transport", "pigeon"), allCaps, `transport "pigeon" has no URI form`},
	}
	for _, tt := range tests {
		ch, err := channelFromPairs(tt.pairs)
		if err != nil {
			t.Fatal(err)
		}
		got, err := RenderURI(ch, tt.caps)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("RenderURI(%v, %+v) = %q, %v; want an error containing %q", tt.pairs, tt.caps, got, err, tt.msg)
		}
	}
}

// A key this package has no URI form for (a newer QEMU's) is never
// dropped on the way to a URI: it is an error naming it.
func TestRenderURIUnknownKey(t *testing.T) {
	ch := Channel{Type: "main", Addr: fields{
		{"transport", "socket"}, {"type", "inet"}, {"port", "1"}, {"host", "h"},
		{"to", json.Number("9")}, {"ipv4", true}, {"new-key", json.Number("1")},
	}}
	_, err := RenderURI(ch, allCaps)
	if err == nil || err.Error() != `key "new-key" has no URI form` {
		t.Errorf("RenderURI with new-key: %v", err)
	}
	ch.Addr = ch.Addr.(fields)[:6]
	if got, err := RenderURI(ch, allCaps); err != nil || got != "tcp:h:1,to=9,ipv4=on" {
		t.Errorf("RenderURI = %q, %v", got, err)
	}
}

// Every URI scheme says where its address goes in a CHANNEL, and ParseURI
// writes those tags first.
func TestProtocolTags(t *testing.T) {
	samples := map[string]string{"tcp": "tcp:h:1", "unix": "unix:/s", "vsock": "vsock:3:1", "fd": "fd:x", "exec": "exec:cat", "rdma": "rdma:h:1", "file": "file:/f"}
	for _, p := range Protocols() {
		tags := ProtocolTags(p)
		if len(tags) == 0 {
			t.Errorf("%s: no tags", p)
			continue
		}
		kvs, err := ParseURI(samples[p])
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for i, tag := range tags {
			if kvs[i] != tag {
				t.Errorf("%s: ParseURI starts %v, want %v", p, kvs[:len(tags)], tags)
			}
		}
	}
	if ProtocolTags("sftp") != nil {
		t.Error("sftp has tags")
	}
}

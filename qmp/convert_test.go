package qmp

import (
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// knownSchemas returns the embedded schemas by "MAJOR.MINOR".
func knownSchemas(t *testing.T) map[string]*Schema {
	t.Helper()
	ss, err := KnownSchemas()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*Schema{}
	for _, s := range ss {
		m[s.QEMU.Short()] = s
	}
	if m["7.2"] == nil || m["10.0"] == nil {
		t.Fatalf("embedded schemas: %v, want 7.2 and 10.0", m)
	}
	return m
}

// pairs writes key=value pairs compactly: pairs("a", "1", "b", "2").
func pairs(kv ...string) []Pair {
	var out []Pair
	for i := 0; i < len(kv); i += 2 {
		out = append(out, Pair{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

// toJSON writes v as hmpsh shows and sends it: without json.Marshal's
// HTML escaping, which would turn a shell command's "<" into \u003c.
func toJSON(t *testing.T, v any) string {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("encoding %#v: %v", v, err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		in   string
		unit int64
		want string // the number, or "error: ..." with part of the message
	}{
		{"0", 1, "0"},
		{"42", 1, "42"},
		{"007", 1, "7"},
		{"-42", 1, "-42"},
		{"-0", 1, "0"},
		{"0x10", 1, "16"},
		{"0X1f", 1, "31"},
		{"-0x10", 1, "-16"},
		// In hex, B and E are digits, not suffixes.
		{"0x1B", 1, "27"},
		{"0x1b", 1, "27"},
		{"0x1E", 1, "30"},
		{"0x10M", 1, "16777216"},
		{"0x1P", 1, "1125899906842624"},
		// Suffixes, either case, powers of 1024.
		{"1B", 1, "1"},
		{"1b", 1, "1"},
		{"1K", 1, "1024"},
		{"1k", 1, "1024"},
		{"2M", 1, "2097152"},
		{"2m", 1, "2097152"},
		{"1G", 1, "1073741824"},
		{"1g", 1, "1073741824"},
		{"1T", 1, "1099511627776"},
		{"1t", 1, "1099511627776"},
		{"1P", 1, "1125899906842624"},
		{"1p", 1, "1125899906842624"},
		{"1E", 1, "1152921504606846976"},
		{"1e", 1, "1152921504606846976"},
		{"-1K", 1, "-1024"},
		{"0K", 1, "0"},
		// Fractions need a suffix.
		{"1.5M", 1, "1572864"},
		{"1.5k", 1, "1536"},
		{".5K", 1, "512"},
		{"1.K", 1, "1024"},
		{"0.1K", 1, "102"}, // truncated, as QEMU does
		{"-1.5K", 1, "-1536"},
		{"1.5", 1, "error: a fraction needs a suffix"},
		{"1.5B", 1, "error: a fraction needs a suffix"},
		{"1.5e3K", 1, "error: bad number"},
		{"+.5K", 1, "error: bad number"},
		{"1.2.3K", 1, "error: bad number"},
		{".K", 1, "error: bad number"},
		{"0x1.5M", 1, "error: bad hex number"},
		// A unit multiplies a number without a suffix, and stands for a
		// suffix for a fraction (HMP's MiB parameters).
		{"10", 1 << 20, "10485760"},
		{"10K", 1 << 20, "10240"},
		{"10B", 1 << 20, "10"},
		{"0x10", 1 << 20, "16777216"},
		{"1.5", 1 << 20, "1572864"},
		{"-2", 1 << 20, "-2097152"},
		{"7", 0, "7"},
		// The range is int64's negatives and uint64's positives.
		{"18446744073709551615", 1, "18446744073709551615"},
		{"18446744073709551616", 1, "error: too large"},
		{"0xffffffffffffffff", 1, "18446744073709551615"},
		{"0x10000000000000000", 1, "error: bad hex number"},
		{"15E", 1, "17293822569102704640"},
		{"16E", 1, "error: too large"},
		{"1.5E", 1, "1729382256910270464"},
		{"15.5E", 1, "17870283321406128128"},
		{"16.0E", 1, "error: too large"},
		{"17179869184G", 1, "error: too large"},
		{"17592186044416", 1 << 20, "error: too large"},
		{"-9223372036854775808", 1, "-9223372036854775808"},
		{"-8E", 1, "-9223372036854775808"},
		{"-9223372036854775809", 1, "error: too small"},
		{"-9E", 1, "error: too small"},
		// Not numbers.
		{"", 1, "error: empty"},
		{"-", 1, "error: no digits"},
		{"K", 1, "error: no digits"},
		{"0x", 1, "error: no digits"},
		{"0xK", 1, "error: no digits"},
		{"-K", 1, "error: no digits"},
		{"abc", 1, "error: no digits"},
		{"1KB", 1, `error: unknown suffix "KB"`},
		{"1X", 1, `error: unknown suffix "X"`},
		{"1 K", 1, `error: unknown suffix " K"`},
		{"1e3", 1, "error: not a number"},
		{"+1", 1, "error: not a number"},
		{"--1", 1, "error: not a number"},
		{"1_000", 1, "error: not a number"},
		{" 1", 1, "error: not a number"},
		{"0x-1", 1, "error: bad hex number"},
		{"0xg", 1, "error: no digits"},
		{"0x1g2", 1, "error: bad hex number"},
	}
	for _, tt := range tests {
		got, err := ParseInt(tt.in, tt.unit)
		if want, isErr := strings.CutPrefix(tt.want, "error: "); isErr {
			if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "not an integer (") {
				t.Errorf("ParseInt(%q, %d) = %q, %v; want an error containing %q", tt.in, tt.unit, got, err, want)
			}
			continue
		}
		if err != nil || string(got) != tt.want {
			t.Errorf("ParseInt(%q, %d) = %q, %v; want %s", tt.in, tt.unit, got, err, tt.want)
		}
	}
}

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{"on": true, "yes": true, "true": true, "off": false, "no": false, "false": false} {
		if got, ok := ParseBool(in); !ok || got != want {
			t.Errorf("ParseBool(%q) = %v, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "On", "1", "0", "y", "n", "enable"} {
		if _, ok := ParseBool(in); ok {
			t.Errorf("ParseBool(%q) accepted", in)
		}
	}
}

// TestConvertMigrationAddress converts CHANNEL pairs through the flat
// union MigrationAddress of QEMU 10.0: the members of the chosen branches
// become valid, and the output follows the schema's order whatever the
// order of the input.
func TestConvertMigrationAddress(t *testing.T) {
	s := knownSchemas(t)["10.0"]
	addr := s.Path(s.Args("migrate"), "channels", "[]", "addr")
	if addr == nil || addr.Tag != "transport" {
		t.Fatalf("MigrationAddress not found: %+v", addr)
	}
	tests := []struct {
		in   []Pair
		want string
	}{
		{pairs("transport", "socket", "type", "inet", "host", "h", "port", "4444"),
			`{"transport":"socket","type":"inet","host":"h","port":"4444"}`},
		{pairs("port", "4444", "to", "0x1B", "host", "h", "ipv6", "yes", "type", "inet", "numeric", "off", "transport", "socket"),
			`{"transport":"socket","type":"inet","host":"h","port":"4444","numeric":false,"to":27,"ipv6":true}`},
		{pairs("transport", "socket", "type", "unix", "path", "/run/a b", "abstract", "on", "tight", "off"),
			`{"transport":"socket","type":"unix","path":"/run/a b","abstract":true,"tight":false}`},
		{pairs("transport", "socket", "type", "vsock", "cid", "3", "port", "4444"),
			`{"transport":"socket","type":"vsock","cid":"3","port":"4444"}`},
		{pairs("transport", "socket", "type", "fd", "str", "migfd"),
			`{"transport":"socket","type":"fd","str":"migfd"}`},
		{pairs("transport", "exec", "args.1", "-U", "args.0", "nc", "args.2", "/run/<a&b>"),
			`{"transport":"exec","args":["nc","-U","/run/<a&b>"]}`},
		{pairs("transport", "rdma", "host", "h", "port", "1", "keep-alive", "true"),
			`{"transport":"rdma","host":"h","port":"1","keep-alive":true}`},
		{pairs("offset", "1.5M", "filename", "/tmp/vm", "transport", "file"),
			`{"transport":"file","filename":"/tmp/vm","offset":1572864}`},
	}
	for _, tt := range tests {
		got, err := s.Convert(addr, tt.in, nil, "")
		if err != nil {
			t.Errorf("Convert(%v): %v", tt.in, err)
			continue
		}
		if j := toJSON(t, got); j != tt.want {
			t.Errorf("Convert(%v)\n got %s\nwant %s", tt.in, j, tt.want)
		}
	}
}

// TestConvertArgs converts whole command arguments: nested dotted keys,
// lists of objects, lists inside them.
func TestConvertArgs(t *testing.T) {
	for _, ver := range []string{"7.2", "10.0"} {
		s := knownSchemas(t)[ver]
		tests := []struct {
			cmd  string
			in   []Pair
			want string
		}{
			{"migrate", pairs("uri", "tcp:h:4444", "detach", "on"), `{"uri":"tcp:h:4444","detach":true}`},
			{"migrate-set-parameters", pairs("downtime-limit", "300", "announce-initial", "50", "multifd-compression", "zstd"),
				`{"announce-initial":50,"downtime-limit":300,"multifd-compression":"zstd"}`},
			{"migrate-set-parameters", pairs(
				"block-bitmap-mapping.1.node-name", "n1", "block-bitmap-mapping.1.alias", "a1", "block-bitmap-mapping.1.bitmaps.0.name", "b",
				"block-bitmap-mapping.1.bitmaps.0.alias", "ba",
				"block-bitmap-mapping.0.bitmaps.1.name", "y", "block-bitmap-mapping.0.bitmaps.1.alias", "ya",
				"block-bitmap-mapping.0.bitmaps.0.alias", "xa", "block-bitmap-mapping.0.bitmaps.0.name", "x",
				"block-bitmap-mapping.0.alias", "a0", "block-bitmap-mapping.0.node-name", "n0"),
				`{"block-bitmap-mapping":[{"node-name":"n0","alias":"a0","bitmaps":[{"name":"x","alias":"xa"},{"name":"y","alias":"ya"}]},` +
					`{"node-name":"n1","alias":"a1","bitmaps":[{"name":"b","alias":"ba"}]}]}`},
			// A flat union at the top (blockdev-add's driver) with an
			// object-or-string alternate inside, written both ways.
			{"blockdev-add", pairs("node-name", "d0", "file", "disk0", "driver", "qcow2"), `{"driver":"qcow2","node-name":"d0","file":"disk0"}`},
			{"blockdev-add", pairs("driver", "qcow2", "node-name", "d0", "file.filename", "/x.qcow2", "file.driver", "file"),
				`{"driver":"qcow2","node-name":"d0","file":{"driver":"file","filename":"/x.qcow2"}}`},
			// An alternate of an enum and an object.
			{"blockdev-add", pairs("driver", "qcow2", "node-name", "d0", "file", "f", "overlap-check", "all"),
				`{"driver":"qcow2","node-name":"d0","file":"f","overlap-check":"all"}`},
			{"blockdev-add", pairs("driver", "qcow2", "node-name", "d0", "file", "f", "overlap-check.template", "none", "overlap-check.main-header", "on"),
				`{"driver":"qcow2","node-name":"d0","file":"f","overlap-check":{"template":"none","main-header":true}}`},
			// "any" keeps JSON as JSON and anything else as a string.
			{"qom-set", pairs("path", "/machine", "property", "p", "value", `{"a":[1,true]}`), `{"path":"/machine","property":"p","value":{"a":[1,true]}}`},
			{"qom-set", pairs("path", "/machine", "property", "p", "value", "5"), `{"path":"/machine","property":"p","value":5}`},
			{"qom-set", pairs("path", "/machine", "property", "p", "value", "on"), `{"path":"/machine","property":"p","value":"on"}`},
			{"query-status", nil, `{}`},
		}
		for _, tt := range tests {
			got, err := s.ConvertArgs(tt.cmd, tt.in, nil)
			if err != nil {
				t.Errorf("%s: ConvertArgs(%s, %v): %v", ver, tt.cmd, tt.in, err)
				continue
			}
			if j := toJSON(t, got); j != tt.want {
				t.Errorf("%s: ConvertArgs(%s, %v)\n got %s\nwant %s", ver, tt.cmd, tt.in, j, tt.want)
			}
		}
	}
}

func TestConvertAlternateNull(t *testing.T) {
	for _, ver := range []string{"7.2", "10.0"} {
		s := knownSchemas(t)[ver]
		tests := []struct {
			cmd         string
			in          []Pair
			stringFirst bool
			want        string
		}{
			{"migrate-set-parameters", pairs("tls-creds", "null"), false, `{"tls-creds":null}`},
			{"migrate-set-parameters", pairs("tls-creds", "null"), true, `{"tls-creds":"null"}`},
			{"migrate-set-parameters", pairs("tls-creds", "tls0"), false, `{"tls-creds":"tls0"}`},
			{"migrate-set-parameters", pairs("tls-creds", ""), false, `{"tls-creds":""}`},
			{"blockdev-add", pairs("driver", "qcow2", "file", "f", "backing", "null"), false, `{"driver":"qcow2","file":"f","backing":null}`},
			{"blockdev-add", pairs("driver", "qcow2", "file", "f", "backing", "null"), true, `{"driver":"qcow2","file":"f","backing":"null"}`},
			{"blockdev-add", pairs("driver", "qcow2", "file", "f", "backing", "b0"), false, `{"driver":"qcow2","file":"f","backing":"b0"}`},
			// StringFirst is for values; sub-keys still make an object.
			{"blockdev-add", pairs("driver", "qcow2", "file", "f", "backing.driver", "raw", "backing.file", "x"), true,
				`{"driver":"qcow2","file":"f","backing":{"driver":"raw","file":"x"}}`},
		}
		for _, tt := range tests {
			got, err := s.ConvertArgs(tt.cmd, tt.in, &ConvertOptions{StringFirst: tt.stringFirst})
			if err != nil {
				t.Errorf("%s: ConvertArgs(%s, %v, StringFirst %v): %v", ver, tt.cmd, tt.in, tt.stringFirst, err)
				continue
			}
			if j := toJSON(t, got); j != tt.want {
				t.Errorf("%s: ConvertArgs(%s, %v, StringFirst %v)\n got %s\nwant %s", ver, tt.cmd, tt.in, tt.stringFirst, j, tt.want)
			}
		}
	}
}

func TestConvertHooks(t *testing.T) {
	s := knownSchemas(t)["10.0"]
	var asked []string
	opt := &ConvertOptions{
		ListFromString: func(path, value string) ([]string, error) {
			asked = append(asked, path+"="+value)
			if value == "bad" {
				return nil, errors.New("hook refused")
			}
			return strings.Fields(value), nil
		},
		IntUnit: func(path string) int64 {
			if path == "max-bandwidth" {
				return 1 << 20
			}
			return 0 // 0 means 1
		},
	}
	got, err := s.ConvertArgs("migrate", pairs("channels.0.addr.transport", "exec", "channels.0.addr.args", "nc -U /s", "channels.0.channel-type", "main"), opt)
	if err != nil {
		t.Fatal(err)
	}
	if j, want := toJSON(t, got), `{"channels":[{"channel-type":"main","addr":{"transport":"exec","args":["nc","-U","/s"]}}]}`; j != want {
		t.Errorf("got %s\nwant %s", j, want)
	}
	if want := []string{"channels.0.addr.args=nc -U /s"}; !reflect.DeepEqual(asked, want) {
		t.Errorf("ListFromString asked %q, want %q", asked, want)
	}
	// Numbered elements do not ask the hook.
	asked = nil
	if _, err := s.ConvertArgs("migrate", pairs("channels.0.addr.transport", "exec", "channels.0.addr.args.0", "nc", "channels.0.channel-type", "main"), opt); err != nil || asked != nil {
		t.Errorf("numbered args: %v, asked %q", err, asked)
	}
	// The hook's error comes back as it is.
	_, err = s.ConvertArgs("migrate", pairs("channels.0.addr.transport", "exec", "channels.0.addr.args", "bad", "channels.0.channel-type", "main"), opt)
	if err == nil || err.Error() != "hook refused" {
		t.Errorf("hook error: %v", err)
	}
	// A list of anything but strings is not the hook's.
	_, err = s.ConvertArgs("migrate-set-parameters", pairs("block-bitmap-mapping", "x"), opt)
	var ae *ArgError
	if !errors.As(err, &ae) || ae.Key != "block-bitmap-mapping" || !strings.Contains(ae.Problem, "is a list: write block-bitmap-mapping.0=...") {
		t.Errorf("list of objects from a string: %v", err)
	}
	// Without the hook a string list needs numbered keys.
	_, err = s.ConvertArgs("migrate", pairs("channels.0.addr.transport", "exec", "channels.0.addr.args", "nc", "channels.0.channel-type", "main"), nil)
	if !errors.As(err, &ae) || ae.Key != "channels.0.addr.args" || !strings.Contains(ae.Problem, "is a list") {
		t.Errorf("string list without the hook: %v", err)
	}

	for _, tt := range []struct{ name, value, want string }{
		{"max-bandwidth", "10", "10485760"},
		{"max-bandwidth", "10B", "10"},
		{"max-bandwidth", "1.5", "1572864"},
		{"max-bandwidth", "1G", "1073741824"},
		{"downtime-limit", "300", "300"},
		{"tls-creds", "null", "null"},
		{"multifd-compression", "zlib", `"zlib"`},
	} {
		v, err := s.ConvertValue("migrate-set-parameters", tt.name, tt.value, opt)
		if err != nil || toJSON(t, v) != tt.want {
			t.Errorf("ConvertValue(%s, %s) = %v, %v; want %s", tt.name, tt.value, v, err, tt.want)
		}
	}
}

// TestConvertErrors checks the ArgError of each kind of mistake: the key
// as written, what is valid, and the closest valid choice.
func TestConvertErrors(t *testing.T) {
	type want struct {
		key, value string
		problem    string // part of Problem
		valid      []string
		kind       string
		suggest    string
	}
	all := knownSchemas(t)
	s := all["10.0"]
	addr := s.Path(s.Args("migrate"), "channels", "[]", "addr")
	inetKeys := []string{"transport", "type", "host", "port", "numeric", "to", "ipv4", "ipv6", "keep-alive", "mptcp"}
	tests := []struct {
		in   []Pair
		want want
	}{
		{pairs("transport", "socket", "type", "inet", "hots", "h", "port", "1"),
			want{key: "hots", problem: "is unknown", valid: inetKeys, kind: "keys", suggest: "host"}},
		{pairs("transport", "socket", "type", "inet", "host", "h"),
			want{key: "port", problem: "is missing (required)", valid: inetKeys, kind: "keys"}},
		{pairs("transport", "sokcet", "type", "inet"),
			want{key: "transport", value: "sokcet", problem: "unknown value", valid: []string{"socket", "exec", "rdma", "file"}, kind: "values", suggest: "socket"}},
		{pairs("transport", "socket", "type", "inte"),
			want{key: "type", value: "inte", problem: "unknown value", valid: []string{"inet", "unix", "vsock", "fd"}, kind: "values", suggest: "inet"}},
		// Without the tag, the branch's keys are not unknown: the tag is
		// missing.
		{pairs("type", "inet"),
			want{key: "transport", problem: "is missing (required)", valid: []string{"transport"}, kind: "keys"}},
		{pairs("transport", "socket", "host", "h", "port", "1"),
			want{key: "type", problem: "is missing (required)", valid: []string{"transport", "type"}, kind: "keys"}},
		{pairs("transport", "socket", "type.x", "inet"),
			want{key: "type", problem: "takes a single value"}},
		{pairs("transport.x", "socket"),
			want{key: "transport", problem: "takes a single value (one of socket|exec|rdma|file), not sub-keys"}},
		{pairs("transport", "socket", "type", "inet", "host", "h", "port", "1", "ipv4", "maybe"),
			want{key: "ipv4", value: "maybe", problem: "not a boolean", valid: []string{"on", "off"}, kind: "values"}},
		{pairs("transport", "socket", "type", "inet", "host", "h", "port", "1", "to", "1.5"),
			want{key: "to", value: "1.5", problem: "not an integer (a fraction needs a suffix"}},
		{pairs("transport", "socket", "type", "inet", "host", "h", "port", "1", "host", "g"),
			want{key: "host", problem: "is given twice"}},
		{pairs("transport", "exec", "args.0", "a", "args.2", "c"),
			want{key: "args.1", problem: "is missing: list elements are numbered 0, 1, 2, ... without gaps"}},
		{pairs("transport", "exec", "args.1", "b"),
			want{key: "args.0", problem: "is missing"}},
		{pairs("transport", "exec", "args.x", "a"),
			want{key: "args.x", problem: "is not a list index"}},
		{pairs("transport", "exec", "args.00", "a"),
			want{key: "args.00", problem: "is not a list index"}},
		{pairs("transport", "exec", "args.-1", "a"),
			want{key: "args.-1", problem: "is not a list index"}},
		{pairs("transport", "exec", "args.0", "a", "args.0", "b"),
			want{key: "args.0", problem: "is given twice"}},
		{pairs("transport", "exec", "args", "a", "args.0", "b"),
			want{key: "args", problem: "is given both a value and sub-keys"}},
		{pairs("transport", "exec", "args.0", "b", "args", "a"),
			want{key: "args", problem: "is given both a value and sub-keys"}},
		{pairs("transport", "exec", "args.0.x", "b"),
			want{key: "args.0", problem: "takes a single value (a string), not sub-keys"}},
		{pairs("transport", "file", "filename..x", "b"),
			want{key: "filename.", problem: "has an empty part between dots"}},
		{pairs("transport", "file", "", "b"),
			want{problem: `"=b" has an empty key`}},
	}
	for _, tt := range tests {
		_, err := s.Convert(addr, tt.in, nil, "")
		var ae *ArgError
		if !errors.As(err, &ae) {
			t.Errorf("Convert(%v) = %v; want an *ArgError", tt.in, err)
			continue
		}
		w := tt.want
		if ae.Key != w.key || ae.Value != w.value || !strings.Contains(ae.Problem, w.problem) ||
			!reflect.DeepEqual(ae.Valid, w.valid) || ae.Kind != w.kind || ae.Suggest != w.suggest {
			t.Errorf("Convert(%v)\n got %+v\nwant %+v", tt.in, *ae, w)
		}
	}

	// A prefix goes before every key in errors.
	_, err := s.Convert(addr, pairs("transport", "socket", "type", "unix", "pth", "/x"), nil, "channels.0.addr")
	var ae *ArgError
	if !errors.As(err, &ae) || ae.Key != "channels.0.addr.pth" || ae.Suggest != "path" {
		t.Errorf("prefixed: %v", err)
	}

	// Whole commands, on both schemas.
	for _, tt := range []struct {
		ver, cmd string
		in       []Pair
		want     want
	}{
		{"7.2", "migrate", pairs("uri", "tcp:h:1", "channels.0.addr.transport", "socket"),
			want{key: "channels", problem: "is unknown", valid: []string{"uri", "blk", "inc", "detach", "resume"}, kind: "keys"}},
		{"10.0", "migrate", pairs("uri", "tcp:h:1", "detach", "on", "detatch", "on"),
			want{key: "detatch", problem: "is unknown", valid: []string{"uri", "channels", "detach", "resume"}, kind: "keys", suggest: "detach"}},
		{"10.0", "migrate", pairs("channels.0.channel-type", "main", "channels.0.addr.transport", "socket", "channels.0.addr.type", "unix", "channels.0.addr.path", "/x", "channels.0.addr.tigth", "on"),
			want{key: "channels.0.addr.tigth", problem: "is unknown", valid: []string{"transport", "type", "path", "abstract", "tight"}, kind: "keys", suggest: "tight"}},
		{"10.0", "migrate", pairs("channels.1.channel-type", "main"),
			want{key: "channels.0", problem: "is missing"}},
		{"10.0", "migrate", pairs("channels", "x"),
			want{key: "channels", problem: "is a list: write channels.0=..., channels.1=..."}},
		{"10.0", "migrate", pairs("channels.0", "x"),
			want{key: "channels.0", problem: "is a group: write channels.0.MEMBER=...; members: channel-type, addr"}},
		{"7.2", "migrate-set-parameters", pairs("multifd-compression", "zstdd"),
			want{key: "multifd-compression", value: "zstdd", problem: "unknown value", valid: []string{"none", "zlib", "zstd"}, kind: "values", suggest: "zstd"}},
		{"10.0", "migrate-set-parameters", pairs("downtime-limit", "soon"),
			want{key: "downtime-limit", value: "soon", problem: "not an integer (no digits)"}},
		{"10.0", "migrate-set-parameters", pairs("downtime-limit", "-"),
			want{key: "downtime-limit", value: "-", problem: "not an integer (no digits)"}},
		{"10.0", "blockdev-add", pairs("driver", "qcow2", "file", "f", "overlap-check", "most"),
			want{key: "overlap-check", value: "most", problem: "none of one of none|constant|cached|all"}},
		{"10.0", "query-status", pairs("verbose", "on"),
			want{key: "verbose", problem: "is unknown", kind: "keys"}},
		{"10.0", "no-such-command", nil,
			want{problem: `QMP command "no-such-command" is not in QEMU 10.0's schema`}},
	} {
		_, err := all[tt.ver].ConvertArgs(tt.cmd, tt.in, nil)
		var ae *ArgError
		if !errors.As(err, &ae) {
			t.Errorf("%s: ConvertArgs(%s, %v) = %v; want an *ArgError", tt.ver, tt.cmd, tt.in, err)
			continue
		}
		w := tt.want
		if ae.Key != w.key || ae.Value != w.value || !strings.Contains(ae.Problem, w.problem) ||
			(w.valid != nil && !reflect.DeepEqual(ae.Valid, w.valid)) || ae.Kind != w.kind || ae.Suggest != w.suggest {
			t.Errorf("%s: ConvertArgs(%s, %v)\n got %+v\nwant %+v", tt.ver, tt.cmd, tt.in, *ae, w)
		}
	}

	// An unknown name in ConvertValue lists the valid ones.
	_, err = s.ConvertValue("migrate-set-parameters", "max-bandwith", "1", nil)
	if !errors.As(err, &ae) || ae.Value != "max-bandwith" || ae.Kind != "names" || ae.Suggest != "max-bandwidth" || !slices.Contains(ae.Valid, "downtime-limit") {
		t.Errorf("ConvertValue unknown name: %v", err)
	}
	_, err = s.ConvertValue("no-such-command", "x", "1", nil)
	if !errors.As(err, &ae) || ae.Kind != "names" || ae.Valid != nil {
		t.Errorf("ConvertValue on an unknown command: %v", err)
	}
}

func TestArgErrorText(t *testing.T) {
	tests := []struct {
		err  ArgError
		want string
	}{
		{ArgError{Key: "hots", Problem: "is unknown", Valid: []string{"host", "port"}, Kind: "keys", Suggest: "host"},
			`key "hots" is unknown (did you mean "host"?); valid keys: host, port`},
		{ArgError{Key: "ipv4", Value: "maybe", Problem: "not a boolean", Valid: []string{"on", "off"}, Kind: "values"},
			`ipv4=maybe: not a boolean; valid values: on, off`},
		{ArgError{Problem: "something"}, "something"},
		{ArgError{Value: "x", Problem: `unknown name "x"`}, `unknown name "x"`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%+v.Error() = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// TestConvertSynthetic covers what the QEMU schemas have no arguments
// for: floating point numbers, QType, alternates of scalars.
func TestConvertSynthetic(t *testing.T) {
	s, err := ParseSchema([]byte(`[
		{"name":"cmd","meta-type":"command","arg-type":"args","ret-type":"0"},
		{"name":"args","meta-type":"object","members":[
			{"name":"f","type":"number","default":null},
			{"name":"q","type":"QType","default":null},
			{"name":"alt","type":"alt","default":null},
			{"name":"e","type":"e","default":null},
			{"name":"ints","type":"[int]","default":null},
			{"name":"weird","type":"weird","default":null}]},
		{"name":"number","meta-type":"builtin","json-type":"number"},
		{"name":"QType","meta-type":"builtin","json-type":"string"},
		{"name":"int","meta-type":"builtin","json-type":"int"},
		{"name":"bool","meta-type":"builtin","json-type":"boolean"},
		{"name":"str","meta-type":"builtin","json-type":"string"},
		{"name":"alt","meta-type":"alternate","members":[{"type":"int"},{"type":"bool"},{"type":"e"}]},
		{"name":"e","meta-type":"enum","values":["a","b"],"members":[{"name":"a"},{"name":"b"}]},
		{"name":"[int]","meta-type":"array","element-type":"int"},
		{"name":"weird","meta-type":"event"},
		{"name":"0","meta-type":"object","members":[]}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	strList := func(path, v string) ([]string, error) { return strings.Fields(v), nil }
	for _, tt := range []struct {
		in   []Pair
		want string
	}{
		{pairs("f", "1.5"), `{"f":1.5}`},
		{pairs("f", "-2e3"), `{"f":-2000}`},
		{pairs("q", "int"), `{"q":"int"}`},
		{pairs("alt", "0x10"), `{"alt":16}`},
		{pairs("alt", "off"), `{"alt":false}`},
		{pairs("alt", "b"), `{"alt":"b"}`},
		{pairs("ints.0", "1K", "ints.1", "-1"), `{"ints":[1024,-1]}`},
		{pairs("e", "a", "f", "0"), `{"f":0,"e":"a"}`},
	} {
		got, err := s.ConvertArgs("cmd", tt.in, &ConvertOptions{ListFromString: strList})
		if err != nil || toJSON(t, got) != tt.want {
			t.Errorf("ConvertArgs(%v) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	for _, tt := range []struct {
		in   []Pair
		want string
	}{
		{pairs("f", "Inf"), "f=Inf: not a number"},
		{pairs("f", "NaN"), "f=NaN: not a number"},
		{pairs("f", "1e999"), "f=1e999: not a number"},
		{pairs("f", "x"), "f=x: not a number"},
		{pairs("alt", "c"), "alt=c: none of an integer, on/off, one of a|b"},
		{pairs("alt.x", "1"), `key "alt" takes a single value (alternate), not sub-keys`},
		{pairs("e", "c"), `e=c: unknown value (did you mean "a"?); valid values: a, b`},
		{pairs("e", "ccc"), `e=ccc: unknown value; valid values: a, b`},
		{pairs("ints", "1 2"), `key "ints" is a list: write ints.0=..., ints.1=...`},
		{pairs("weird", "1"), `key "weird" has schema meta-type event, which hmpsh cannot write`},
	} {
		_, err := s.ConvertArgs("cmd", tt.in, &ConvertOptions{ListFromString: strList})
		if err == nil || err.Error() != tt.want {
			t.Errorf("ConvertArgs(%v) = %v; want %q", tt.in, err, tt.want)
		}
	}
}

// FuzzParseInt checks that ParseInt fails only with its own error, that
// what it returns is an integer in the range QMP integers have, and that
// plain decimal input reads as exactly itself times the unit.
func FuzzParseInt(f *testing.F) {
	for _, s := range []string{"0", "-1", "0x1B", "0x10M", "1.5M", "16E", "15E", "-8E", "18446744073709551615", "1.5", ".5K", "1KB", ""} {
		f.Add(s, int64(1))
	}
	f.Add("1.5", int64(1<<20))
	f.Add("7", int64(0))
	lo, hi := new(big.Int).Lsh(big.NewInt(-1), 63), new(big.Int).SetUint64(math.MaxUint64)
	f.Fuzz(func(t *testing.T, s string, unit int64) {
		n, err := ParseInt(s, unit)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "not an integer (") || n != "" {
				t.Fatalf("ParseInt(%q, %d) = %q, %v", s, unit, n, err)
			}
			return
		}
		v, ok := new(big.Int).SetString(string(n), 10)
		if !ok || v.Cmp(lo) < 0 || v.Cmp(hi) > 0 || v.String() != string(n) {
			t.Fatalf("ParseInt(%q, %d) = %q: not a canonical integer in range", s, unit, n)
		}
		if digits := strings.TrimPrefix(s, "-"); digits != "" && strings.Trim(digits, "0123456789") == "" {
			want, _ := new(big.Int).SetString(s, 10)
			want.Mul(want, big.NewInt(max(unit, 1)))
			if want.Cmp(v) != 0 {
				t.Fatalf("ParseInt(%q, %d) = %s, want %s", s, unit, n, want)
			}
		}
	})
}

package transports

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// corpusString reads a "go test fuzz v1" file holding one string.
func corpusString(data string) (string, bool) {
	lines := strings.Split(strings.TrimSpace(data), "\n")
	if len(lines) != 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "string(") || !strings.HasSuffix(lines[1], ")") {
		return "", false
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "string("), ")"))
	return s, err == nil
}

// FuzzSplitArgs checks SplitArgs against /bin/sh: every failure is an
// *ArgsError, and every string it accepts sh splits into the same words,
// as arguments and as a command line.
func FuzzSplitArgs(f *testing.F) {
	for _, s := range []string{
		"nc -U '/run/mig sock'", `a"b"'c'\d`, `echo "\$x"`, "echo $x", "a;b", "if x", "A=1 b",
		"echo a\rb", "a\\\nb", "a\nb", `'it'\''s'`, "ls *", "é ü",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkSplitArgs(t, s) })
}

// FuzzParseURI checks that ParseURI fails only with a *URIError and that
// a URI it accepts, once typed and rendered, parses back to the same
// address and renders the same again.
func FuzzParseURI(f *testing.F) {
	for _, s := range []string{
		"tcp:h:4444", "tcp:[::1]:4444,ipv6", "tcp::0,to=10,keep-alive=off", "unix:/run/a b", "vsock:3:4444",
		"fd:mig", "exec:cat > /x", "rdma:h:1,mptcp", "file:/x,offset=4096", "file:/x", "tcp:h:1,numeric",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) { checkParseURI(t, uri) })
}

func checkParseURI(t testing.TB, uri string) {
	t.Helper()
	pairs, err := ParseURI(uri)
	if err != nil {
		var ue *URIError
		if !errors.As(err, &ue) || ue.URI != uri || pairs != nil {
			t.Fatalf("ParseURI(%q) = %v, %T %v; want a *URIError", uri, pairs, err, err)
		}
		return
	}
	if !LooksLikeURI(uri) || len(pairs) == 0 {
		t.Fatalf("ParseURI(%q) = %v", uri, pairs)
	}
	ch, err := channelFromPairs(pairs)
	if err != nil {
		// A value such as to=0x10 is the schema's to read.
		return
	}
	rendered, err := RenderURI(ch, allCaps)
	if err != nil {
		return
	}
	checkRenderRoundTrip(t, uri, ch, rendered)
}

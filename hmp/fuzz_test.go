package hmp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goldenLines seeds the fuzzers with every input of the golden files.
func goldenLines(f testing.TB) []string {
	files, _ := filepath.Glob("../testdata/golden/*.golden")
	var lines []string
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, l := range strings.Split(string(data), "\n") {
			if l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "\t") {
				lines = append(lines, l)
			}
		}
	}
	return lines
}

// FuzzTranslate: any line either translates into valid JSON requests or
// fails with an error, on every target; nothing panics.
func FuzzTranslate(f *testing.F) {
	for _, l := range goldenLines(f) {
		f.Add(l)
	}
	targets, err := KnownTargets()
	if err != nil {
		f.Fatal(err)
	}
	sx := testSyntax(f)
	list := all(f, targets)
	f.Fuzz(func(t *testing.T, line string) {
		for _, target := range list {
			tn, err := sx.Translate(line, target)
			if err != nil {
				if err.Error() == "" {
					t.Errorf("%q: empty error", line)
				}
				continue
			}
			for _, r := range tn.Requests {
				data, err := r.MarshalJSON()
				if err != nil {
					t.Fatalf("%q: %v", line, err)
				}
				if !json.Valid(data) {
					t.Fatalf("%q: invalid JSON %s", line, data)
				}
			}
		}
	})
}

// FuzzChannel: CHANNEL parsing (key=value or legacy URI) never panics,
// and what it accepts it can write as JSON.
func FuzzChannel(f *testing.F) {
	for _, s := range []string{
		"socket,type=inet,host=h,port=1", "socket,type=unix,path=/s,abstract=on",
		"exec,args=nc -U '/a b'", "exec,args.0=a,args.1=b", "file,filename=/x,offset=4K",
		"rdma,host=h,port=1", "socket,type=vsock,cid=3,port=4", "socket,type=fd,str=x",
		"tcp:[::1]:4444,to=5000,ipv6", "unix:/a,,b", "exec:cat", "file:/x,offset=1M",
		"socket,type=unix,path=/s,channel-type=cpr", "transport=socket,type=inet,host=h,port=1,numeric=on",
	} {
		f.Add(s)
	}
	targets, err := KnownTargets()
	if err != nil {
		f.Fatal(err)
	}
	list := all(f, targets)
	f.Fuzz(func(t *testing.T, spec string) {
		for _, target := range list {
			_, obj, err := target.Channels().Parse(spec)
			if err != nil {
				continue
			}
			if data, err := obj.MarshalJSON(); err != nil || !json.Valid(data) {
				t.Fatalf("%q: %s %v", spec, data, err)
			}
		}
	})
}

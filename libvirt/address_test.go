package libvirt

import (
	"encoding/binary"
	"testing"
)

func TestParseAddress(t *testing.T) {
	for _, tc := range []struct {
		in     string
		domain string
		uri    string
		err    bool
	}{
		{in: "libvirt:vm1", domain: "vm1", uri: DefaultURI},
		{in: "libvirt:*", domain: "*", uri: DefaultURI},
		{in: "libvirt:vm1@qemu+tcp://10.0.0.2/system", domain: "vm1", uri: "qemu+tcp://10.0.0.2/system"},
		{in: "libvirt:*@qemu+ssh://root@h/system", domain: "*", uri: "qemu+ssh://root@h/system"},
		{in: "libvirt:vm@qemu+unix:///session?socket=/tmp/s", domain: "vm", uri: "qemu+unix:///session?socket=/tmp/s"},
		{in: "libvirt:vm@qemu+tls://h:16514/system", domain: "vm", uri: "qemu+tls://h:16514/system"},
		{in: "libvirt:", err: true},
		{in: "libvirt:@qemu:///system", err: true},
		{in: "libvirt:vm@xen:///system", err: true},
		{in: "libvirt:vm@qemu+carrier-pigeon://h/system", err: true},
		{in: "libvirt:vm@qemu://h/", err: true},
		{in: "unix:/x", err: true},
	} {
		a, err := ParseAddress(tc.in)
		if tc.err {
			if err == nil {
				t.Errorf("%s: %+v, want an error", tc.in, a)
			}
			continue
		}
		if err != nil || a.Domain != tc.domain || a.URI != tc.uri {
			t.Errorf("%s: %+v, %v; want %s on %s", tc.in, a, err, tc.domain, tc.uri)
			continue
		}
		if back, err := ParseAddress(a.String()); err != nil || back != a {
			t.Errorf("%s: String() %q reads back as %+v, %v", tc.in, a.String(), back, err)
		}
	}
}

// A QEMU event without data reaches go-libvirt with empty data instead of
// an absent one (which go-libvirt drops); other packets pass untouched.
func TestFixEvent(t *testing.T) {
	be := binary.BigEndian
	str := func(b []byte, s string) []byte {
		b = be.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
		for len(s)%4 != 0 {
			b, s = append(b, 0), s+"x"
		}
		return b
	}
	packet := func(prog, proc uint32, payload []byte) []byte {
		h := be.AppendUint32(nil, 0)
		for _, v := range []uint32{prog, 1, proc, 2, 0, 0} {
			h = be.AppendUint32(h, v)
		}
		p := append(h, payload...)
		be.PutUint32(p, uint32(len(p)))
		return p
	}
	body := be.AppendUint32(nil, 7)          // callback id
	body = str(body, "vm1")                  // domain name
	body = append(body, make([]byte, 16)...) // uuid
	body = be.AppendUint32(body, 3)          // id
	body = str(body, "STOP")
	body = be.AppendUint64(body, 1796113306)
	body = be.AppendUint32(body, 852441)
	absent := be.AppendUint32(append([]byte(nil), body...), 0)
	got := fixEvent(packet(qemuProgram, qemuMonitorEvent, absent))
	want := packet(qemuProgram, qemuMonitorEvent, be.AppendUint32(be.AppendUint32(append([]byte(nil), body...), 1), 0))
	if string(got) != string(want) {
		t.Errorf("absent data:\n got %x\nwant %x", got, want)
	}
	present := str(be.AppendUint32(append([]byte(nil), body...), 1), `{"a":1}`)
	for _, p := range [][]byte{
		packet(qemuProgram, qemuMonitorEvent, present),
		packet(qemuProgram, 1, absent),                     // another procedure
		packet(0x20008086, qemuMonitorEvent, absent),       // another program
		packet(qemuProgram, qemuMonitorEvent, absent[:10]), // short
	} {
		if got := fixEvent(p); string(got) != string(p) {
			t.Errorf("changed %x\n   into %x", p, got)
		}
	}
}

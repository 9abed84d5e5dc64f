package qmp

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"strings"
	"testing"
)

func loadDocs(t *testing.T) *Docs {
	t.Helper()
	d, err := LoadDocs()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The built-in documentation says where it came from: the QEMU of the
// newest built-in schema, from Debian's package of it.
func TestDocsOrigin(t *testing.T) {
	d := loadDocs(t)
	if d2, _ := LoadDocs(); d2 != d {
		t.Error("LoadDocs read the file twice")
	}
	b := BuiltinSchemas()
	newest, err := b[len(b)-1].Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := newest.QEMU.String(); !strings.HasPrefix(got, d.QEMU) {
		t.Errorf("docs of QEMU %s, newest schema is QEMU %s", d.QEMU, got)
	}
	if d.Package == "" || !strings.Contains(newest.QEMU.Package, d.Package) {
		t.Errorf("docs from package %q, newest schema's QEMU is %q", d.Package, newest.QEMU.Package)
	}
	if !strings.HasPrefix(d.Source, "qemu_") {
		t.Errorf("docs source %q", d.Source)
	}
}

// docCase is one lookup and what its text, type, unit and default are.
type docCase struct {
	name             string
	text, typ        string // text: a part of it
	unit, def, defin string
}

func checkDoc(t *testing.T, where string, got MemberDoc, ok bool, c docCase) {
	t.Helper()
	if !ok {
		t.Errorf("%s %s: no documentation", where, c.name)
		return
	}
	if !strings.Contains(got.Text, c.text) || got.Type != c.typ || got.Unit != c.unit || got.Default != c.def || c.defin != "" && got.Definition != c.defin {
		t.Errorf("%s %s = %+v\nwant text containing %q, type %q, unit %q, default %q, definition %q", where, c.name, got, c.text, c.typ, c.unit, c.def, c.defin)
	}
	if got.Name != c.name || got.Since == "" || got.Definition == "" {
		t.Errorf("%s %s: name %q, since %q, definition %q", where, c.name, got.Name, got.Since, got.Definition)
	}
}

func TestDocsLookup(t *testing.T) {
	d := loadDocs(t)
	for _, b := range BuiltinSchemas() {
		s, err := b.Load()
		if err != nil {
			t.Fatal(err)
		}
		v := "QEMU " + b.Short()
		params := s.Args("migrate-set-parameters")
		for _, c := range []docCase{
			{name: "max-bandwidth", text: "maximum speed for migration, in bytes per second", typ: "size", unit: "bytes per second"},
			{name: "downtime-limit", text: "maximum tolerated downtime", typ: "uint64", unit: "milliseconds"},
			{name: "max-postcopy-bandwidth", text: "Background transfer bandwidth during postcopy", typ: "size", unit: "bytes per second", def: "0 (unlimited)"},
			{name: "multifd-channels", text: "Number of channels used to migrate data in parallel", typ: "uint8", def: "2"},
			// The set form's: a string or null, as the schema has it.
			{name: "tls-creds", text: "ID of the 'tls-creds' object", typ: "StrOrNull", defin: "MigrateSetParameters"},
		} {
			got, ok := d.Member(s, params, c.name)
			checkDoc(t, v+" parameter", got, ok, c)
		}
		if got, ok := d.Member(s, s.Command("query-migrate-parameters").RetEntity, "tls-creds"); !ok || got.Type != "str" || got.Definition != "MigrationParameters" {
			t.Errorf("%s query-migrate-parameters tls-creds = %+v, %v", v, got, ok)
		}
		caps := s.Path(s.Args("migrate-set-capabilities"), "capabilities", "[]", "capability")
		for _, c := range []docCase{
			{name: "xbzrle", text: "Migration supports xbzrle (Xor Based Zero Run Length Encoding)", defin: "MigrationCapability"},
			{name: "postcopy-ram", text: "Start executing on the migration target before all of RAM has been migrated"},
			{name: "events", text: "generate events for each migration state change"},
		} {
			got, ok := d.Value(s, caps, c.name)
			checkDoc(t, v+" capability", got, ok, c)
		}
		if _, ok := d.Value(s, caps, "nosuch"); ok {
			t.Errorf("%s: a capability the schema does not have is documented", v)
		}

		// InetSocketAddress exists in every QEMU (nbd-server-start's
		// address), whatever its number.
		inet := s.Find(func(e *Entity) bool {
			_, host := s.Member(e, "host")
			_, to := s.Member(e, "to")
			return e.MetaType == "object" && host && to && len(e.Variants) == 0
		})
		if len(inet) == 0 {
			t.Fatalf("%s: no InetSocketAddress", v)
		}
		checkDoc(t, v+" inet", mustMember(d, s, inet[0], "port"), true, docCase{name: "port", text: "port part of the address", typ: "str", defin: "InetSocketAddressBase"})
	}
}

func mustMember(d *Docs, s *Schema, e *Entity, name string) MemberDoc {
	m, _ := d.Member(s, e, name)
	return m
}

// MigrationAddress's members, through the flattened unions, as the
// CHANNEL syntax has them.
func TestDocsMigrationAddress(t *testing.T) {
	d := loadDocs(t)
	for _, b := range BuiltinSchemas() {
		s, err := b.Load()
		if err != nil {
			t.Fatal(err)
		}
		addr := s.Path(s.Args("migrate"), "channels", "[]", "addr")
		if addr == nil {
			if b.Major >= 9 {
				t.Errorf("QEMU %s: no MigrationAddress", b.Short())
			}
			continue // QEMU 7.2 has no channels
		}
		v := "QEMU " + b.Short()
		for _, c := range []docCase{
			{name: "transport", text: "The migration stream transport mechanism", typ: "MigrationAddressType", defin: "MigrationAddress"},
			{name: "type", text: "Transport type", typ: "SocketAddressType", defin: "SocketAddress"},
			{name: "host", text: "host part of the address", typ: "str", defin: "InetSocketAddressBase"},
			{name: "port", text: "port part of the address", typ: "str"},
			{name: "to", text: "If present, this is range of possible addresses, with port between port and to.", typ: "uint16", defin: "InetSocketAddress"},
			{name: "keep-alive", text: "enable keep-alive when connecting to this socket", typ: "bool"},
			{name: "numeric", text: "guaranteed to be numeric", typ: "bool", def: "false"},
			{name: "path", text: "filesystem path to use", typ: "str", defin: "UnixSocketAddress"},
			{name: "abstract", text: "Linux abstract socket address", typ: "bool", def: "false"},
			{name: "cid", text: "unique host identifier", typ: "str", defin: "VsockSocketAddress"},
			{name: "str", text: "file descriptor", typ: "str", defin: "FdSocketAddress"},
			{name: "filename", text: "The file to receive the migration stream", typ: "str", defin: "FileMigrationArgs"},
			{name: "offset", text: "The file offset where the migration stream will start", typ: "uint64"},
			{name: "args", text: "command (list head) and arguments to execute", typ: "[str]", defin: "MigrationExecCommand"},
		} {
			got, ok := d.Member(s, addr, c.name)
			checkDoc(t, v+" MigrationAddress", got, ok, c)
		}
		// A branch's own entity: vsock's port is its own.
		vsock := s.Variant(s.Variant(addr, "socket"), "vsock")
		if got, ok := d.Member(s, vsock, "port"); !ok || got.Definition != "VsockSocketAddress" || got.Text != "port" {
			t.Errorf("%s vsock port = %+v, %v", v, got, ok)
		}
		if got, ok := d.Member(s, s.Path(s.Args("migrate"), "channels", "[]"), "channel-type"); !ok || got.Definition != "MigrationChannel" {
			t.Errorf("%s channel-type = %+v, %v", v, got, ok)
		}
		if got, ok := d.Member(s, s.Args("migrate"), "resume"); !ok || got.Default != "off" || got.Definition != "migrate" {
			t.Errorf("%s migrate resume = %+v, %v", v, got, ok)
		}
		if _, ok := d.Member(s, addr, "nosuch"); ok {
			t.Errorf("%s: a member the schema does not have is documented", v)
		}
	}
}

// An entity that is none of the documented definitions gets no text,
// even when a member's name is one of theirs.
func TestDocsNoMatch(t *testing.T) {
	d := loadDocs(t)
	s, err := BuiltinSchemas()[0].Load()
	if err != nil {
		t.Fatal(err)
	}
	e := &Entity{Name: "1", MetaType: "object", Members: []Member{{Name: "host"}, {Name: "a"}, {Name: "b"}, {Name: "c"}}}
	if got, ok := d.Member(s, e, "host"); ok {
		t.Errorf("an unknown object's host = %+v", got)
	}
	if got := d.Definition(s, e); got != "" {
		t.Errorf("Definition of an unknown object = %q", got)
	}
	if _, ok := d.Member(s, nil, "host"); ok {
		t.Error("a nil entity has documentation")
	}
	if _, ok := d.Value(s, e, "host"); ok {
		t.Error("an object has enum values")
	}
	// A member's name with no definition around it is not enough.
	one := &Entity{Name: "2", MetaType: "object", Members: []Member{{Name: "max-bandwidth"}, {Name: "x"}, {Name: "y"}}}
	if got, ok := d.Member(s, one, "max-bandwidth"); ok {
		t.Errorf("a lone max-bandwidth = %+v", got)
	}
}

func TestReadDocsFileErrors(t *testing.T) {
	gz := func(v any) *bytes.Buffer {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		json.NewEncoder(zw).Encode(v)
		zw.Close()
		return &b
	}
	for _, tt := range []struct {
		name string
		in   *bytes.Buffer
		want string
	}{
		{"not gzip", bytes.NewBufferString("{}"), "QAPI documentation: "},
		{"not JSON", gz("x"), "QAPI documentation: json"},
		{"twice", gz(DocsFile{Definitions: []DocDefinition{{Name: "A"}, {Name: "A"}}}), "A defined twice"},
		{"no base", gz(DocsFile{Definitions: []DocDefinition{{Name: "A", Base: "B"}}}), "A's base B is not documented"},
		{"loop", gz(DocsFile{Definitions: []DocDefinition{{Name: "A", Base: "A"}}}), "A's base A"},
	} {
		_, err := ReadDocsFile(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

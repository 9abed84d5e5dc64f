package qmp

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// unresolved copies a schema's entities without the resolved pointers,
// which parseSchemaRef does not fill, so that the two can be compared.
func unresolved(s *Schema) map[string]Entity {
	out := make(map[string]Entity, len(s.entities))
	for name, e := range s.entities {
		c := *e
		c.ArgEntity, c.RetEntity, c.ElemEntity = nil, nil, nil
		if c.Members != nil {
			c.Members = append([]Member{}, c.Members...)
			for i := range c.Members {
				c.Members[i].TypeEntity = nil
			}
		}
		if c.Variants != nil {
			c.Variants = append([]Variant{}, c.Variants...)
			for i := range c.Variants {
				c.Variants[i].TypeEntity = nil
			}
		}
		out[name] = c
	}
	return out
}

// checkResolved checks every resolved pointer against a lookup by name,
// which also proves that they point at the entities the schema stores.
func checkResolved(t *testing.T, s *Schema) {
	t.Helper()
	bad := 0
	check := func(where string, got *Entity, name string) {
		if want := s.Entity(name); got != want && bad < 10 {
			bad++
			t.Errorf("%s: resolved %p, Entity(%q) is %p", where, got, name, want)
		}
	}
	for name, e := range s.entities {
		check(name+" arg-type", e.ArgEntity, e.ArgType)
		check(name+" ret-type", e.RetEntity, e.RetType)
		check(name+" element-type", e.ElemEntity, e.Element)
		for _, m := range e.Members {
			check(name+"."+m.Name, m.TypeEntity, m.Type)
		}
		for _, v := range e.Variants {
			check(name+" case "+v.Case, v.TypeEntity, v.Type)
		}
	}
}

// diffSchemas reports how two parses differ, entity by entity.
func diffSchemas(t *testing.T, got, want *Schema) {
	t.Helper()
	g, w := unresolved(got), unresolved(want)
	if len(g) != len(w) {
		t.Errorf("%d entities, want %d", len(g), len(w))
	}
	bad := 0
	for name, we := range w {
		ge, ok := g[name]
		if (!ok || !reflect.DeepEqual(ge, we)) && bad < 10 {
			bad++
			t.Errorf("entity %q:\n got %#v\nwant %#v", name, ge, we)
		}
	}
}

func TestParseSchemaMatchesReference(t *testing.T) {
	for _, file := range []string{"qemu-7.2.json.gz", "qemu-10.0.json.gz"} {
		t.Run(file, func(t *testing.T) {
			data := embeddedSchemaJSON(t, file)
			want, err := parseSchemaRef(data)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseSchema(data)
			if err != nil {
				t.Fatal(err)
			}
			diffSchemas(t, got, want)
			checkResolved(t, got)
			typed, enumMembers := 0, 0
			for _, e := range got.entities {
				typed += len(e.Members)
				if e.MetaType == "enum" && len(e.Members) > 0 {
					enumMembers++
				}
			}
			if typed < 1000 || enumMembers > 0 {
				t.Errorf("%d typed members, %d enums with members", typed, enumMembers)
			}

			// The whole file, as the old ReadSchemaFile read it.
			zr, err := gzip.NewReader(bytes.NewReader(embeddedSchemaFile(t, file)))
			if err != nil {
				t.Fatal(err)
			}
			var f schemaFile
			if err := json.NewDecoder(zr).Decode(&f); err != nil {
				t.Fatal(err)
			}
			fromFile, err := ReadSchemaFile(bytes.NewReader(embeddedSchemaFile(t, file)))
			if err != nil {
				t.Fatal(err)
			}
			if fromFile.QEMU != f.QEMU.version(f.Package) || fromFile.HMPHelp != f.HMPHelp || fromFile.HMPInfoHelp != f.HMPInfoHelp {
				t.Errorf("ReadSchemaFile: QEMU %+v, %d+%d bytes of help; want %+v, %d+%d", fromFile.QEMU, len(fromFile.HMPHelp), len(fromFile.HMPInfoHelp), f.QEMU.version(f.Package), len(f.HMPHelp), len(f.HMPInfoHelp))
			}
			if f.HMPHelp == "" || f.QEMU.Major == 0 {
				t.Errorf("file has no help or version: %+v", f.QEMU)
			}
			diffSchemas(t, fromFile, want)
			checkResolved(t, fromFile)
		})
	}
}

// schemaCases are documents that QEMU does not write but encoding/json
// decides something about, which ParseSchema must decide alike.
var schemaCases = []string{
	`[]`,
	`null`,
	` [ ] `,
	`[null]`,
	`[{"name":"a","meta-type":"object","members":[{"name":"x","type":"int","default":null},{"name":"y","type":"str"}]}]`,
	`[{"name":"a","meta-type":"object","members":[{"name":"x","type":"int","default":{"deep":[1,-2.5e+3,true,false,null,"s"]}}]}]`,
	`[{"name":"a","meta-type":"object","members":[]},{"name":"b","meta-type":"object","members":null}]`,
	`[{"name":"a","members":[null,{"name":"v"},{"name":"w","features":["f"]},{"name":"x","type":"t","features":["g","h"]}]}]`,
	`[{"name":"e","meta-type":"enum","values":[],"features":[]},{"name":"f","values":null,"features":null}]`,
	`[{"name":"e","values":["a",null,"c"]}]`,
	`[{"name":"u","tag":"t","variants":[{"case":"a","type":"A"},null,{}]},{"name":"v","variants":[]}]`,
	`[{"name":"c","meta-type":"command","arg-type":"0","ret-type":"1","allow-oob":true},{"name":"d","allow-oob":false},{"name":"x","allow-oob":null}]`,
	`[{"NAME":"a","Meta-Type":"object","MEMBERS":[{"Name":"x","TYPE":"int","DEFAULT":null}]}]`,
	`[{"name":"kelvin","\u212aey":"x","ſtuff":1}]`,
	`[{"name":"a","name":"b","name":null}]`,
	`[{"name":"a"},{"name":"a","meta-type":"second"}]`,
	`[{"name":"a\"b\\c\/d\n\u00e9\ud83d\ude00","meta-type":"t\u0000"}]`,
	`[{"name":"\ud800","values":["\xff","é"]}]`,
	`[{"n\u0061me":"escaped key"}]`,
	`[{"name":"a","json-type":"int","extra":[[[{}]]]}]`,
	`[{"name":"a","members":[{"name":"x","type":"int","extra":{"a":[]}}]}]`,
	"[{\"name\":\"a\"}]\n",
	// Refused.
	``,
	` `,
	`{}`,
	`[1]`,
	`["a"]`,
	`[{"name":1}]`,
	`[{"name":"a","allow-oob":"true"}]`,
	`[{"name":"a","allow-oob":1}]`,
	`[{"name":"a","members":{}}]`,
	`[{"name":"a","members":[1]}]`,
	`[{"name":"a","members":[{"name":"x","type":2}]}]`,
	`[{"name":"a","members":[{"name":"x","features":"f"}]}]`,
	`[{"name":"a","variants":[1]}]`,
	`[{"name":"a","values":[1]}]`,
	`[{"name":"a","features":{}}]`,
	`[{"name":"a",}]`,
	`[{"name":"a"},]`,
	`[{"name":"a"}`,
	`[{"name":"a"}] x`,
	`[{"name":"a"}][]`,
	`[{"name" "a"}]`,
	`[{"name":"a" "b":1}]`,
	`[{"name":"a\x"}]`,
	`[{"name":"a\u12"}]`,
	"[{\"name\":\"a\tb\"}]",
	`[{"name":"a`,
	`[{"name":"a\`,
	`[{"name":"a","x":01}]`,
	`[{"name":"a","x":1.}]`,
	`[{"name":"a","x":.5}]`,
	`[{"name":"a","x":-}]`,
	`[{"name":"a","x":1e}]`,
	`[{"name":"a","x":+1}]`,
	`[{"name":"a","x":nul}]`,
	`[{"name":"a","x":tru}]`,
	`[{"name":"a","x":nullx}]`,
	`[{"name":nil}]`,
	`[{'name':'a'}]`,
	"\xef\xbb\xbf[]",
	"[{\"name\":\"a\"}]\x00",
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	`[{"name":"a","x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}]`,
}

// sameParse checks ParseSchema against parseSchemaRef on one document.
func sameParse(t *testing.T, doc string) {
	t.Helper()
	want, wantErr := parseSchemaRef([]byte(doc))
	got, err := ParseSchema([]byte(doc))
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("ParseSchema(%.200q): error %v, want %v", doc, err, wantErr)
	}
	if err != nil {
		return
	}
	diffSchemas(t, got, want)
	checkResolved(t, got)
}

func TestParseSchemaLikeEncodingJSON(t *testing.T) {
	for _, doc := range schemaCases {
		t.Run("", func(t *testing.T) { sameParse(t, doc) })
	}
}

// FuzzParseSchema compares ParseSchema with the encoding/json parser it
// replaced. Documents that repeat a key are left out: encoding/json
// decodes a repeated list into the elements of the first (a null element
// or a missing variant field keeps the old value), which ParseSchema does
// not copy. QEMU repeats no key.
func FuzzParseSchema(f *testing.F) {
	for _, doc := range schemaCases {
		// The deeply nested ones only slow the fuzzer down.
		if len(doc) < 1000 {
			f.Add(doc)
		}
	}
	f.Fuzz(func(t *testing.T, doc string) {
		if repeatsKey(doc) {
			return
		}
		sameParse(t, doc)
	})
}

// repeatsKey reports whether some object of doc has two keys that
// encoding/json would take for one (keys match ignoring case).
func repeatsKey(doc string) bool {
	dec := json.NewDecoder(strings.NewReader(doc))
	var value func() (bool, error)
	value = func() (bool, error) {
		tok, err := dec.Token()
		if err != nil {
			return false, err
		}
		switch tok {
		case json.Delim('{'):
			var keys []string
			for dec.More() {
				tok, err := dec.Token()
				k, ok := tok.(string)
				if err != nil || !ok {
					return false, err
				}
				for _, seen := range keys {
					if strings.EqualFold(seen, k) {
						return true, nil
					}
				}
				keys = append(keys, k)
				if r, err := value(); r || err != nil {
					return r, err
				}
			}
		case json.Delim('['):
			for dec.More() {
				if r, err := value(); r || err != nil {
					return r, err
				}
			}
		default:
			return false, nil
		}
		_, err = dec.Token() // the closing bracket
		return false, err
	}
	r, _ := value()
	return r
}

func TestBuiltinSchemas(t *testing.T) {
	bs := BuiltinSchemas()
	var names []string
	for _, b := range bs {
		names = append(names, b.Short())
	}
	if got := strings.Join(names, " "); got != "7.2 10.0" {
		t.Errorf("BuiltinSchemas() = %s, want 7.2 10.0", got)
	}
	ents, err := schemaFiles.ReadDir("schemas")
	if err != nil || len(ents) != len(bs) {
		t.Errorf("%d embedded files (%v), %d listed", len(ents), err, len(bs))
	}
	if again := BuiltinSchemas(); again[0] == bs[0] {
		t.Error("BuiltinSchemas returned the same values twice")
	}

	// Concurrent first loads get one schema.
	b := bs[len(bs)-1]
	var wg sync.WaitGroup
	got := make([]*Schema, 4)
	for i := range got {
		wg.Go(func() {
			s, err := b.Load()
			if err != nil {
				t.Error(err)
			}
			got[i] = s
		})
	}
	wg.Wait()
	for _, s := range got {
		if s != got[0] {
			t.Fatal("Load returned two schemas")
		}
	}
	if s := got[0]; s.QEMU.Major != b.Major || s.QEMU.Minor != b.Minor || s.Command("query-version") == nil {
		t.Errorf("Load() = QEMU %s with %d commands", s.QEMU, len(s.Commands()))
	}

	known, err := KnownSchemas()
	if err != nil {
		t.Fatal(err)
	}
	if len(known) != len(bs) {
		t.Fatalf("KnownSchemas: %d, want %d", len(known), len(bs))
	}
	for i, s := range known {
		if s.QEMU.Short() != bs[i].Short() {
			t.Errorf("KnownSchemas()[%d] is QEMU %s, want %s", i, s.QEMU, bs[i].Short())
		}
	}
}

// The resolved pointers are what the walking methods follow.
func TestSchemaWalk(t *testing.T) {
	s := knownSchemas(t)["10.0"]
	args := s.Args("migrate")
	if args == nil || args != s.Entity(s.Command("migrate").ArgType) {
		t.Fatalf("Args(migrate) = %p", args)
	}
	ch := s.Path(args, "channels", "[]")
	if ch == nil || ch.MetaType != "object" {
		t.Fatalf("Path(migrate, channels, []) = %+v", ch)
	}
	tr := s.Path(ch, "addr", "transport")
	if !tr.HasValue("socket") {
		t.Errorf("channels[].addr.transport = %+v", tr)
	}
	addr, _ := s.Member(ch, "addr")
	if _, ok := s.Member(s.Variant(addr.TypeEntity, "file"), "filename"); !ok {
		t.Errorf("Variant(addr, file) = %+v", s.Variant(addr.TypeEntity, "file"))
	}
	// Found in the file branch, as union members are flat on the wire.
	if m, ok := s.Member(addr.TypeEntity, "filename"); !ok || m.TypeEntity == nil || m.TypeEntity.Name != "str" {
		t.Errorf("Member(addr, filename) = %+v, %v", m, ok)
	}
}

// ReadSchemaFile reads what WriteSchemaFile writes (the on-disk cache),
// help text with escapes included, and refuses what is not such a file.
func TestSchemaFileRoundTrip(t *testing.T) {
	raw := []byte(`[{"name":"query-status","meta-type":"command","arg-type":"0","ret-type":"1"},{"name":"0","meta-type":"object","members":[]},{"name":"1","meta-type":"object","members":[{"name":"running","type":"bool"}]},{"name":"bool","meta-type":"builtin","json-type":"boolean"}]`)
	s, err := ParseSchema(raw)
	if err != nil {
		t.Fatal(err)
	}
	s.QEMU = Version{Major: 9, Minor: 1, Micro: 2, Package: `Debian 1:9.1.2+ds "bpo"`}
	s.HMPHelp = "info [subcommand] -- show various information\r\n\tabout the system \\ état\n"
	s.HMPInfoHelp = "info status -- show the current VM status (running|paused)\n"
	var buf bytes.Buffer
	if err := WriteSchemaFile(&buf, s, raw); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSchemaFile(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if got.QEMU != s.QEMU || got.HMPHelp != s.HMPHelp || got.HMPInfoHelp != s.HMPInfoHelp {
		t.Errorf("read back QEMU %+v, help %q, %q", got.QEMU, got.HMPHelp, got.HMPInfoHelp)
	}
	diffSchemas(t, got, s)
	checkResolved(t, got)
	if m, ok := got.Member(got.Command("query-status").RetEntity, "running"); !ok || m.TypeEntity != got.Entity("bool") {
		t.Errorf("query-status returns running %+v, %v", m, ok)
	}

	gz := func(text string) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(text))
		zw.Close()
		return b.Bytes()
	}
	for _, bad := range [][]byte{
		nil,
		[]byte(`{"schema":[]}`),
		gz(``),
		gz(`{}`),
		gz(`null`),
		gz(`[]`),
		gz(`{"qemu":{"major":"9"},"schema":[]}`),
		gz(`{"package":1,"schema":[]}`),
		gz(`{"schema":[{"name":1}]}`),
		gz(`{"schema":[]`),
		buf.Bytes()[:buf.Len()-4],
	} {
		if s, err := ReadSchemaFile(bytes.NewReader(bad)); err == nil {
			t.Errorf("ReadSchemaFile(%q) = %+v, want an error", bad, s.QEMU)
		}
	}
	if s, err := ReadSchemaFile(bytes.NewReader(gz(`{"qemu":{"major":7,"minor":2},"schema":null} trailing`))); err != nil || s.QEMU.Short() != "7.2" {
		t.Errorf("ReadSchemaFile with schema null: %v, %v", s, err)
	}
}

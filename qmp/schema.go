package qmp

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// wireVersion is {"major":..,"minor":..,"micro":..} as QMP writes it (the
// greeting, query-version) and as captured schemas store it.
type wireVersion struct {
	Major int `json:"major"`
	Minor int `json:"minor"`
	Micro int `json:"micro"`
}

func (w wireVersion) version(pkg string) Version {
	return Version{Major: w.Major, Minor: w.Minor, Micro: w.Micro, Package: pkg}
}

// Short is "MAJOR.MINOR", the form --target-version takes.
func (v Version) Short() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Less orders versions (the package string does not count).
func (v Version) Less(w Version) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	if v.Minor != w.Minor {
		return v.Minor < w.Minor
	}
	return v.Micro < w.Micro
}

// ParseVersion reads "10.0" or "7.2.22".
func ParseVersion(s string) (Version, error) {
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Version{}, fmt.Errorf("version %q: want MAJOR.MINOR", s)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return Version{}, fmt.Errorf("version %q: %q is not a number", s, p)
		}
		n[i] = v
	}
	return Version{Major: n[0], Minor: n[1], Micro: n[2]}, nil
}

// Entity is one entry of query-qmp-schema (a SchemaInfo). QEMU hides the
// names of most types behind numbers, so types are reached by walking from
// command and event names, never looked up by their QAPI names.
type Entity struct {
	Name     string    `json:"name"`
	MetaType string    `json:"meta-type"`
	Features []string  `json:"features,omitempty"`
	Members  []Member  `json:"-"` // object members, or alternate branches
	Tag      string    `json:"tag,omitempty"`
	Variants []Variant `json:"variants,omitempty"`
	Values   []string  `json:"values,omitempty"`
	Element  string    `json:"element-type,omitempty"`
	ArgType  string    `json:"arg-type,omitempty"`
	RetType  string    `json:"ret-type,omitempty"`
	AllowOOB bool      `json:"allow-oob,omitempty"`

	// ArgType's, RetType's and Element's entities, as Schema.Entity
	// would return them (nil for none).
	ArgEntity  *Entity `json:"-"`
	RetEntity  *Entity `json:"-"`
	ElemEntity *Entity `json:"-"`
}

// Member is an object member or an alternate's branch.
type Member struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Optional bool     `json:"-"`
	Features []string `json:"features,omitempty"`

	TypeEntity *Entity `json:"-"` // Type's, as Schema.Entity would return it
}

// Variant is one branch of a union.
type Variant struct {
	Case string `json:"case"`
	Type string `json:"type"`

	TypeEntity *Entity `json:"-"` // Type's, as Schema.Entity would return it
}

// Schema is a QEMU's introspected QMP schema together with who it came
// from and, when known, the text of its HMP "help" and "help info", which
// tell which HMP commands that QEMU has.
type Schema struct {
	QEMU        Version // with its package string
	HMPHelp     string
	HMPInfoHelp string
	entities    map[string]*Entity
	// trees holds the key=value trees conversions are done with, for
	// the next conversion: they are scratch, dead once one is over.
	trees sync.Pool
}

// resolve points members, variants, arguments, results and elements at
// their entities once, so that walking the schema follows pointers rather
// than looking names up at every step.
func (s *Schema) resolve() {
	// Entity("") finds nothing unless some entity has no name; looked up
	// once instead of for every entity without an arg-type.
	none := s.entities[""]
	find := func(name string) *Entity {
		if name == "" {
			return none
		}
		return s.entities[name]
	}
	for _, e := range s.entities {
		e.ArgEntity, e.RetEntity, e.ElemEntity = find(e.ArgType), find(e.RetType), find(e.Element)
		for i := range e.Members {
			e.Members[i].TypeEntity = find(e.Members[i].Type)
		}
		for i := range e.Variants {
			e.Variants[i].TypeEntity = find(e.Variants[i].Type)
		}
	}
}

// Entity returns the schema entity called name, or nil.
func (s *Schema) Entity(name string) *Entity { return s.entities[name] }

// Command returns the command called name, or nil.
func (s *Schema) Command(name string) *Entity {
	if e := s.entities[name]; e != nil && e.MetaType == "command" {
		return e
	}
	return nil
}

// Commands lists the command names, sorted.
func (s *Schema) Commands() []string {
	var names []string
	for n, e := range s.entities {
		if e.MetaType == "command" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// Args returns the argument type of a command (an object, possibly empty).
func (s *Schema) Args(command string) *Entity {
	c := s.Command(command)
	if c == nil {
		return nil
	}
	return c.ArgEntity
}

// Member finds a member of object e by name, looking through every variant
// as well (union members are flat on the wire). It returns the member and
// the entity that declares it.
func (s *Schema) Member(e *Entity, name string) (Member, bool) {
	if e == nil {
		return Member{}, false
	}
	for _, m := range e.Members {
		if m.Name == name {
			return m, true
		}
	}
	for _, v := range e.Variants {
		if m, ok := s.Member(v.TypeEntity, name); ok {
			return m, true
		}
	}
	return Member{}, false
}

// Path follows a chain of member names (and "[]" for a list's element)
// from a type; it returns nil when the chain breaks. Variants are searched
// as Member does.
func (s *Schema) Path(e *Entity, path ...string) *Entity {
	for _, p := range path {
		if e == nil {
			return nil
		}
		if p == "[]" {
			if e.MetaType != "array" {
				return nil
			}
			e = e.ElemEntity
			continue
		}
		m, ok := s.Member(e, p)
		if !ok {
			return nil
		}
		e = m.TypeEntity
	}
	return e
}

// Find returns the entities for which match is true, sorted by name.
func (s *Schema) Find(match func(*Entity) bool) []*Entity {
	var out []*Entity
	for _, e := range s.entities {
		if match(e) {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Variant returns the type of union e's branch for tag value c, or nil.
func (s *Schema) Variant(e *Entity, c string) *Entity {
	for _, v := range e.Variants {
		if v.Case == c {
			return v.TypeEntity
		}
	}
	return nil
}

// HasValue reports whether enum e has value v.
func (e *Entity) HasValue(v string) bool {
	if e == nil {
		return false
	}
	for _, x := range e.Values {
		if x == v {
			return true
		}
	}
	return false
}

//go:embed schemas/*.json.gz
var schemaFiles embed.FS

// schemaFile is the on-disk form of a captured schema (build/capture-schema.sh).
type schemaFile struct {
	QEMU        wireVersion     `json:"qemu"`
	Package     string          `json:"package"`
	HMPHelp     string          `json:"hmp-help,omitempty"`
	HMPInfoHelp string          `json:"hmp-info-help,omitempty"`
	Schema      json.RawMessage `json:"schema"`
}

// ReadSchemaFile reads a captured schema: gzip'd JSON with the QEMU
// version, package string and the query-qmp-schema reply.
func ReadSchemaFile(r io.Reader) (*Schema, error) {
	// Read whole, as the gzip trailer tells the size to decompress to.
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return readSchemaGzip(data)
}

func readSchemaGzip(data []byte) (*Schema, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	// Sized once, as growing it a dozen times cost more than parsing
	// does; a Builder, as its String does not copy: the schema keeps the
	// text.
	var b strings.Builder
	b.Grow(gzipSize(data))
	if _, err := io.Copy(&b, zr); err != nil {
		return nil, err
	}
	return parseSchemaFile(b.String())
}

// WriteSchemaFile is ReadSchemaFile's inverse, used for the on-disk cache.
// schema is the raw query-qmp-schema reply.
func WriteSchemaFile(w io.Writer, s *Schema, schema json.RawMessage) error {
	zw := gzip.NewWriter(w)
	f := schemaFile{QEMU: wireVersion{s.QEMU.Major, s.QEMU.Minor, s.QEMU.Micro}, Package: s.QEMU.Package, HMPHelp: s.HMPHelp, HMPInfoHelp: s.HMPInfoHelp, Schema: schema}
	if err := json.NewEncoder(zw).Encode(f); err != nil {
		return err
	}
	return zw.Close()
}

// Builtin is a schema shipped inside hmpsh, known by the QEMU version it
// was captured from before it is parsed: a run that targets one QEMU need
// not pay for parsing the others.
type Builtin struct {
	Major, Minor int

	file string
	once sync.Once
	s    *Schema
	err  error
}

// Load parses the schema on its first call and returns the same schema
// (or error) on every call after; it is safe for concurrent use.
func (b *Builtin) Load() (*Schema, error) {
	b.once.Do(func() { b.s, b.err = loadBuiltin(b.file, b.Major, b.Minor) })
	return b.s, b.err
}

// Short is "MAJOR.MINOR", as Version.Short writes it.
func (b *Builtin) Short() string { return fmt.Sprintf("%d.%d", b.Major, b.Minor) }

// BuiltinSchemas lists the schemas shipped inside hmpsh, oldest first,
// none of them loaded. Every call returns new values, each to load once:
// keeping them across calls is the caller's business.
func BuiltinSchemas() []*Builtin {
	// Embedded at build time, the directory cannot be missing.
	ents, _ := schemaFiles.ReadDir("schemas")
	var out []*Builtin
	for _, e := range ents {
		// The name is the version, so that listing costs no parsing.
		v, ok := strings.CutPrefix(e.Name(), "qemu-")
		v, ok2 := strings.CutSuffix(v, ".json.gz")
		ver, err := ParseVersion(v)
		if !ok || !ok2 || err != nil || strings.Count(v, ".") != 1 {
			// TestBuiltinSchemas sees that every file is listed.
			continue
		}
		out = append(out, &Builtin{Major: ver.Major, Minor: ver.Minor, file: e.Name()})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Major != out[j].Major {
			return out[i].Major < out[j].Major
		}
		return out[i].Minor < out[j].Minor
	})
	return out
}

func loadBuiltin(file string, major, minor int) (*Schema, error) {
	data, err := schemaFiles.ReadFile("schemas/" + file)
	if err != nil {
		return nil, err
	}
	s, err := readSchemaGzip(data)
	if err != nil {
		return nil, fmt.Errorf("embedded schema %s: %w", file, err)
	}
	// Callers pick a schema by the version in its name.
	if s.QEMU.Major != major || s.QEMU.Minor != minor {
		return nil, fmt.Errorf("embedded schema %s holds QEMU %s", file, s.QEMU)
	}
	return s, nil
}

// gzipSize reads the uncompressed size that ends a gzip stream: a hint
// only, as it is modulo 4 GiB and of the last member alone, and a damaged
// file may say anything (hence the cap, far above any schema's size).
func gzipSize(data []byte) int {
	if len(data) < 4 {
		return 0
	}
	return min(int(binary.LittleEndian.Uint32(data[len(data)-4:])), 16<<20)
}

// KnownSchemas returns the schemas captured from real QEMUs and shipped
// inside hmpsh, oldest first, every one of them parsed.
func KnownSchemas() ([]*Schema, error) {
	var out []*Schema
	for _, b := range BuiltinSchemas() {
		s, err := b.Load()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

package qmp

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
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
}

// Member is an object member or an alternate's branch.
type Member struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Optional bool     `json:"-"`
	Features []string `json:"features,omitempty"`
}

// Variant is one branch of a union.
type Variant struct {
	Case string `json:"case"`
	Type string `json:"type"`
}

// Schema is a QEMU's introspected QMP schema together with who it came
// from and, when known, the text of its HMP "help" and "help info", which
// tell which HMP commands that QEMU has.
type Schema struct {
	QEMU        Version // with its package string
	HMPHelp     string
	HMPInfoHelp string
	entities    map[string]*Entity
}

type rawMember struct {
	Name     string          `json:"name"`
	Type     string          `json:"type"`
	Default  json.RawMessage `json:"default"`
	Features []string        `json:"features"`
}

// ParseSchema reads the "return" value of query-qmp-schema.
func ParseSchema(data []byte) (*Schema, error) {
	var raw []struct {
		Entity
		Members []json.RawMessage `json:"members"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("qmp schema: %w", err)
	}
	s := &Schema{entities: make(map[string]*Entity, len(raw))}
	for i := range raw {
		e := raw[i].Entity
		for _, m := range raw[i].Members {
			var rm rawMember
			if err := json.Unmarshal(m, &rm); err != nil {
				return nil, fmt.Errorf("qmp schema: %s: %w", e.Name, err)
			}
			// Enum "members" repeat the values; only objects and
			// alternates have typed members.
			if rm.Type == "" {
				continue
			}
			// Only optional members carry a "default" key (null today).
			e.Members = append(e.Members, Member{Name: rm.Name, Type: rm.Type, Optional: rm.Default != nil, Features: rm.Features})
		}
		s.entities[e.Name] = &e
	}
	return s, nil
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
	return s.entities[c.ArgType]
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
		if m, ok := s.Member(s.entities[v.Type], name); ok {
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
			e = s.entities[e.Element]
			continue
		}
		m, ok := s.Member(e, p)
		if !ok {
			return nil
		}
		e = s.entities[m.Type]
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
			return s.entities[v.Type]
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

// schemaFile is the on-disk form of a captured schema (scripts/capture-schema.sh).
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
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	var f schemaFile
	if err := json.NewDecoder(zr).Decode(&f); err != nil {
		return nil, err
	}
	s, err := ParseSchema(f.Schema)
	if err != nil {
		return nil, err
	}
	s.QEMU = f.QEMU.version(f.Package)
	s.HMPHelp, s.HMPInfoHelp = f.HMPHelp, f.HMPInfoHelp
	return s, nil
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

// KnownSchemas returns the schemas captured from real QEMUs and shipped
// inside hmpsh, oldest first. Dry-run picks its target among them.
func KnownSchemas() ([]*Schema, error) {
	ents, err := schemaFiles.ReadDir("schemas")
	if err != nil {
		return nil, err
	}
	var out []*Schema
	for _, e := range ents {
		data, err := schemaFiles.ReadFile("schemas/" + e.Name())
		if err != nil {
			return nil, err
		}
		s, err := ReadSchemaFile(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("embedded schema %s: %w", e.Name(), err)
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].QEMU.Less(out[j].QEMU) })
	return out, nil
}

package qmp

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

// DocsFile is the on-disk form of QEMU's own QAPI documentation, as
// build/qapidoc writes it (make docs) from the QAPI files of QEMU's
// source: for each definition, each member's first paragraph, its QAPI
// type, and the unit and default its text states.
type DocsFile struct {
	QEMU        string          `json:"qemu"`    // "10.0.2"
	Package     string          `json:"package"` // the Debian source package version
	Source      string          `json:"source"`  // the tarball the files came from
	Files       []string        `json:"files"`   // "qapi/migration.json", ...
	Definitions []DocDefinition `json:"definitions"`
}

// DocDefinition is one QAPI definition: a struct, union, alternate, enum
// or command (with its arguments inline).
type DocDefinition struct {
	Name  string   `json:"name"`
	Meta  string   `json:"meta"` // struct, union, alternate, enum, command
	Base  string   `json:"base,omitempty"`
	Since string   `json:"since,omitempty"`
	Cases []string `json:"cases,omitempty"` // a union's branches
	// Members are a struct's or command's members (a union's base
	// members when written inline), an alternate's branches, or an
	// enum's values.
	Members []MemberDoc `json:"members,omitempty"`
}

// MemberDoc is what QEMU's documentation says about one member or enum
// value.
type MemberDoc struct {
	Name    string `json:"name"`
	Text    string `json:"text,omitempty"`    // the first paragraph, white space normalised
	Type    string `json:"type,omitempty"`    // its QAPI type: "size", "uint16", "[str]"
	Unit    string `json:"unit,omitempty"`    // "bytes per second", "milliseconds"
	Default string `json:"default,omitempty"` // as the text states it
	Since   string `json:"since,omitempty"`   // the member's, else its definition's
	// Definition is the QAPI definition it belongs to (set by a lookup,
	// not stored): "InetSocketAddressBase".
	Definition string `json:"-"`
}

//go:embed docs/qemu-10.0.json.gz
var docsGzip []byte

// Docs is QEMU's QAPI documentation, looked up from the entities of an
// introspected schema. Introspection hides most type names behind
// numbers, so an entity is matched to a definition by its member (or
// enum value) names, as its schema has them: this follows whatever QEMU
// is connected, older ones included, without a table of names.
type Docs struct {
	QEMU, Package, Source string

	defs   []*docDef
	byName map[string]*docDef
	// index lists the definitions that have a member or value of a
	// name: the candidates an entity is matched against.
	index map[string][]*docDef
}

// docDef is a definition with its base's members folded in, as
// introspection shows them.
type docDef struct {
	DocDefinition
	members []MemberDoc
	names   map[string]int // member, value or "|case" → its index, or -1 for a case
}

var docsOnce = sync.OnceValues(func() (*Docs, error) { return ReadDocsFile(bytes.NewReader(docsGzip)) })

// LoadDocs returns the documentation built into hmpsh (qmp/docs), read on
// the first call; every call returns the same value.
func LoadDocs() (*Docs, error) { return docsOnce() }

// ReadDocsFile reads documentation in the form build/qapidoc writes it.
func ReadDocsFile(r io.Reader) (*Docs, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("QAPI documentation: %w", err)
	}
	defer zr.Close()
	var f DocsFile
	if err := json.NewDecoder(zr).Decode(&f); err != nil {
		return nil, fmt.Errorf("QAPI documentation: %w", err)
	}
	return newDocs(&f)
}

func newDocs(f *DocsFile) (*Docs, error) {
	d := &Docs{QEMU: f.QEMU, Package: f.Package, Source: f.Source, byName: map[string]*docDef{}, index: map[string][]*docDef{}}
	for _, def := range f.Definitions {
		if d.byName[def.Name] != nil {
			return nil, fmt.Errorf("QAPI documentation: %s defined twice", def.Name)
		}
		dd := &docDef{DocDefinition: def}
		d.defs = append(d.defs, dd)
		d.byName[def.Name] = dd
	}
	for _, dd := range d.defs {
		var err error
		if dd.members, err = d.flatten(dd, 0); err != nil {
			return nil, err
		}
		dd.names = map[string]int{}
		for i, m := range dd.members {
			dd.names[m.Name] = i
		}
		for _, c := range dd.Cases {
			dd.names["|"+c] = -1
		}
		for n := range dd.names {
			d.index[n] = append(d.index[n], dd)
		}
	}
	return d, nil
}

// flatten lists a definition's members after its base's, as QAPI (and
// introspection) lays them out, each with its definition's name and
// since.
func (d *Docs) flatten(dd *docDef, depth int) ([]MemberDoc, error) {
	var out []MemberDoc
	if dd.Base != "" {
		base := d.byName[dd.Base]
		if base == nil || depth > 8 {
			return nil, fmt.Errorf("QAPI documentation: %s's base %s is not documented", dd.Name, dd.Base)
		}
		bm, err := d.flatten(base, depth+1)
		if err != nil {
			return nil, err
		}
		// A base without a version of its own (InetSocketAddressBase)
		// is as old as what uses it.
		for i := range bm {
			if bm[i].Since == "" {
				bm[i].Since = dd.Since
			}
		}
		out = append(out, bm...)
	}
	for _, m := range dd.Members {
		m.Definition = dd.Name
		if m.Since == "" {
			m.Since = dd.Since
		}
		out = append(out, m)
	}
	return out, nil
}

// Member finds the documentation of member name of object e (of schema
// s), looking through its variants as Schema.Member does: a union's
// members are flat on the wire.
func (d *Docs) Member(s *Schema, e *Entity, name string) (MemberDoc, bool) {
	owner := declaring(s, e, name, 0)
	if owner == nil {
		return MemberDoc{}, false
	}
	return d.lookup(owner, name)
}

// Value finds the documentation of value of enum e.
func (d *Docs) Value(s *Schema, enum *Entity, value string) (MemberDoc, bool) {
	if enum == nil || enum.MetaType != "enum" || !enum.HasValue(value) {
		return MemberDoc{}, false
	}
	return d.lookup(enum, value)
}

// Definition names the QAPI definition entity e is, or "" when none
// matches well enough.
func (d *Docs) Definition(s *Schema, e *Entity) string {
	if dd := d.match(e); dd != nil {
		return dd.Name
	}
	return ""
}

func (d *Docs) lookup(e *Entity, name string) (MemberDoc, bool) {
	dd := d.match(e)
	if dd == nil {
		return MemberDoc{}, false
	}
	i, ok := dd.names[name]
	if !ok || i < 0 {
		return MemberDoc{}, false
	}
	return dd.members[i], true
}

// declaring is the entity whose own members include name: e, or one of
// its variants' (the first, as Schema.Member finds it).
func declaring(s *Schema, e *Entity, name string, depth int) *Entity {
	if e == nil || depth > 8 {
		return nil
	}
	for _, m := range e.Members {
		if m.Name == name {
			return e
		}
	}
	for _, v := range e.Variants {
		if o := declaring(s, v.TypeEntity, name, depth+1); o != nil {
			return o
		}
	}
	return nil
}

// signature is what an entity is matched by: its member names (an
// enum's values) and its variants' cases, as "|case".
func signature(e *Entity) []string {
	var sig []string
	if e.MetaType == "enum" {
		sig = append(sig, e.Values...)
	}
	for _, m := range e.Members {
		sig = append(sig, m.Name)
	}
	for _, v := range e.Variants {
		sig = append(sig, "|"+v.Case)
	}
	return sig
}

// match finds the definition whose names agree best with the entity's:
// the same set first, else the largest share of names in common (at
// least half of both sets together, by the Dice coefficient); on a tie,
// the one whose member types are of the same kinds, then the one of the
// same meta-type, then the first by name.
func (d *Docs) match(e *Entity) *docDef {
	if e == nil {
		return nil
	}
	sig := signature(e)
	if len(sig) == 0 {
		return nil
	}
	common := map[*docDef]int{}
	for _, n := range sig {
		for _, dd := range d.index[n] {
			common[dd]++
		}
	}
	var best *docDef
	var bestScore [3]int
	for dd, n := range common {
		if !metaFits(e, dd) || 4*n < len(sig)+len(dd.names) { // Dice < 0.5
			continue
		}
		// Dice in thousandths, kinds agreeing, meta-type agreeing.
		score := [3]int{2000 * n / (len(sig) + len(dd.names)), d.kindsAgree(e, dd), 0}
		if e.Tag != "" == (dd.Meta == "union") {
			score[2] = 1
		}
		if best == nil || slices.Compare(score[:], bestScore[:]) > 0 || score == bestScore && dd.Name < best.Name {
			best, bestScore = dd, score
		}
	}
	return best
}

// metaFits: an enum matches an enum, an object a struct, union or
// command, an alternate an alternate.
func metaFits(e *Entity, dd *docDef) bool {
	switch e.MetaType {
	case "enum":
		return dd.Meta == "enum"
	case "object":
		return dd.Meta == "struct" || dd.Meta == "union" || dd.Meta == "command"
	case "alternate":
		return dd.Meta == "alternate"
	}
	return false
}

// kindsAgree counts the members whose introspected type is of the kind
// the documented QAPI type is (a string, an integer, an object, ...).
func (d *Docs) kindsAgree(e *Entity, dd *docDef) int {
	n := 0
	for _, m := range e.Members {
		i, ok := dd.names[m.Name]
		if !ok || i < 0 || m.TypeEntity == nil {
			continue
		}
		if k := d.kind(dd.members[i].Type); k != "" && k == entityKind(m.TypeEntity) {
			n++
		}
	}
	return n
}

// kind is what introspection shows a QAPI type as: its builtin JSON
// type, or the meta-type of a defined one ("" when not documented here).
func (d *Docs) kind(typ string) string {
	if strings.HasPrefix(typ, "[") {
		return "array"
	}
	switch typ {
	case "str", "bool", "number", "null", "any":
		return typ
	case "int", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "size":
		return "int"
	}
	if dd := d.byName[typ]; dd != nil {
		switch dd.Meta {
		case "struct", "union":
			return "object"
		default:
			return dd.Meta
		}
	}
	return ""
}

func entityKind(e *Entity) string {
	if e.MetaType == "builtin" {
		return e.Name
	}
	return e.MetaType
}

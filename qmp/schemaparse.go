package qmp

import (
	"encoding/json"
	"fmt"
	"strings"
)

// schemaParser reads query-qmp-schema's reply in one pass, without
// reflection: encoding/json took ~6 ms and ~37,000 allocations per schema,
// which dry-run's start-up cannot afford. Strings are substrings of text
// wherever JSON needs no unescaping (QEMU's schema needs none), and lists
// are cut from a few shared slabs, so a schema costs tens of allocations.
// The price is that the schema keeps its whole text alive, about the size
// the strings would take anyway.
//
// A list is cut from its slab as soon as it is read, capped: should the
// slab grow later, append leaves the old array, and the lists cut from it,
// as they were.
//
// It accepts and refuses what encoding/json did, field for field, because
// the schema of a live QEMU goes through it too: unknown keys are skipped
// (but must be valid JSON), keys match ignoring case when nothing matches
// exactly, null leaves a string or bool as it was and a list nil, and an
// empty list is empty but not nil.
type schemaParser struct {
	text  string
	pos   int
	depth int
	err   error

	ents     []Entity
	members  []Member
	variants []Variant
	strs     []string // features and enum values
}

// maxDepth is encoding/json's nesting limit, kept so that the same
// documents are refused.
const maxDepth = 10000

// cut takes the list that the slab's elements from lo on make up. It is
// capped, so that appending to one entity's list cannot overwrite the
// next one's.
func cut[T any](slab []T, lo int) []T {
	return slab[lo:len(slab):len(slab)]
}

func newSchemaParser(text string) *schemaParser {
	// Sized from QEMU's schemas, which have an entity per ~190 bytes, a
	// member per ~95, a variant per ~550 and a string per ~220, so that
	// the slabs seldom grow (growing wastes what they held). Non-nil,
	// so that an empty list is too.
	n := len(text)
	return &schemaParser{
		text:     text,
		ents:     make([]Entity, 0, n/176),
		members:  make([]Member, 0, n/88),
		variants: make([]Variant, 0, n/500),
		strs:     make([]string, 0, n/200),
	}
}

// ParseSchema reads the "return" value of query-qmp-schema.
func ParseSchema(data []byte) (*Schema, error) {
	p := newSchemaParser(string(data))
	p.ws()
	p.schema()
	if p.pos != len(p.text) {
		p.fail("data after the schema")
	}
	if p.err != nil {
		return nil, p.err
	}
	return p.build(), nil
}

// parseSchemaFile reads a captured schema's JSON (see schemaFile).
func parseSchemaFile(text string) (*Schema, error) {
	p := newSchemaParser(text)
	var (
		f          schemaFile
		haveSchema bool
	)
	field := func(k string) bool {
		switch k {
		case "qemu":
			// Small and holding numbers, which the parser does not decode.
			start := p.pos
			p.skip()
			if p.err == nil {
				if err := json.Unmarshal([]byte(p.text[start:p.pos]), &f.QEMU); err != nil {
					p.fail(err.Error())
				}
			}
		case "package":
			p.strInto(&f.Package)
		case "hmp-help":
			p.strInto(&f.HMPHelp)
		case "hmp-info-help":
			p.strInto(&f.HMPInfoHelp)
		case "schema":
			p.schema()
			haveSchema = true
		default:
			return false
		}
		return true
	}
	p.ws()
	for more := p.open('{'); more; more = p.next('}') {
		k := p.key()
		if !field(k) && !field(foldKey(k, "qemu", "package", "hmp-help", "hmp-info-help", "schema")) {
			p.skip()
		}
	}
	// What follows the object is not read, as json.Decoder did not.
	if p.err == nil && !haveSchema {
		p.fail("no schema")
	}
	if p.err != nil {
		return nil, p.err
	}
	s := p.build()
	s.QEMU = f.QEMU.version(f.Package)
	s.HMPHelp, s.HMPInfoHelp = f.HMPHelp, f.HMPInfoHelp
	return s, nil
}

// build indexes the entities. Only now that ents no longer grows are
// pointers into it for keeps.
func (p *schemaParser) build() *Schema {
	s := &Schema{entities: make(map[string]*Entity, len(p.ents))}
	for i := range p.ents {
		s.entities[p.ents[i].Name] = &p.ents[i]
	}
	s.resolve()
	return s
}

// schema reads the array of SchemaInfo.
func (p *schemaParser) schema() {
	// A second "schema" key replaces the first, as with encoding/json.
	p.ents = p.ents[:0]
	for more := p.open('['); more; more = p.next(']') {
		p.ents = append(p.ents, Entity{})
		p.entity(&p.ents[len(p.ents)-1])
	}
}

func (p *schemaParser) entity(e *Entity) {
	for more := p.open('{'); more; more = p.next('}') {
		k := p.key()
		if !p.entityField(e, k) && !p.entityField(e, foldKey(k, "name", "meta-type", "features", "members", "tag", "variants", "values", "element-type", "arg-type", "ret-type", "allow-oob")) {
			p.skip()
		}
	}
}

// entityField reads the value of key k into e, or reports that k is not
// one of Entity's.
func (p *schemaParser) entityField(e *Entity, k string) bool {
	switch k {
	case "name":
		p.strInto(&e.Name)
	case "meta-type":
		p.strInto(&e.MetaType)
	case "features":
		e.Features = p.strList()
	case "members":
		e.Members = p.memberList()
	case "tag":
		p.strInto(&e.Tag)
	case "variants":
		e.Variants = p.variantList()
	case "values":
		e.Values = p.strList()
	case "element-type":
		p.strInto(&e.Element)
	case "arg-type":
		p.strInto(&e.ArgType)
	case "ret-type":
		p.strInto(&e.RetType)
	case "allow-oob":
		p.boolInto(&e.AllowOOB)
	default:
		return false
	}
	return true
}

// memberList reads "members", nil when no member has a type.
func (p *schemaParser) memberList() []Member {
	lo := len(p.members)
	for more := p.open('['); more; more = p.next(']') {
		p.member()
	}
	if len(p.members) == lo {
		return nil
	}
	return cut(p.members, lo)
}

func (p *schemaParser) member() {
	var m Member
	strs := len(p.strs)
	field := func(k string) bool {
		switch k {
		case "name":
			p.strInto(&m.Name)
		case "type":
			p.strInto(&m.Type)
		case "default":
			// Only optional members carry a "default" key (null today).
			p.skip()
			m.Optional = true
		case "features":
			m.Features = p.strList()
		default:
			return false
		}
		return true
	}
	for more := p.open('{'); more; more = p.next('}') {
		k := p.key()
		if !field(k) && !field(foldKey(k, "name", "type", "default", "features")) {
			p.skip()
		}
	}
	// Enum "members" repeat the values; only objects and alternates have
	// typed members.
	if m.Type == "" {
		p.strs = p.strs[:strs]
		return
	}
	p.members = append(p.members, m)
}

func (p *schemaParser) variantList() []Variant {
	if p.null() {
		return nil
	}
	lo := len(p.variants)
	for more := p.open('['); more; more = p.next(']') {
		var v Variant
		field := func(k string) bool {
			switch k {
			case "case":
				p.strInto(&v.Case)
			case "type":
				p.strInto(&v.Type)
			default:
				return false
			}
			return true
		}
		for more := p.open('{'); more; more = p.next('}') {
			k := p.key()
			if !field(k) && !field(foldKey(k, "case", "type")) {
				p.skip()
			}
		}
		p.variants = append(p.variants, v)
	}
	return cut(p.variants, lo)
}

func (p *schemaParser) strList() []string {
	if p.null() {
		return nil
	}
	lo := len(p.strs)
	for more := p.open('['); more; more = p.next(']') {
		var s string
		p.strInto(&s)
		p.strs = append(p.strs, s)
	}
	return cut(p.strs, lo)
}

// foldKey returns the one of known that k matches ignoring case, which is
// how encoding/json matches a key that matches no field exactly; "" if
// none does.
func foldKey(k string, known ...string) string {
	for _, n := range known {
		if strings.EqualFold(k, n) {
			return n
		}
	}
	return ""
}

// The lexer. Each value reader starts at the value's first byte and leaves
// the parser past the white space after it. The first error sticks and
// moves to the end of the text, so that every loop ends.

func (p *schemaParser) fail(what string) {
	if p.err == nil {
		p.err = fmt.Errorf("qmp schema: offset %d: %s", p.pos, what)
	}
	p.pos = len(p.text)
}

func (p *schemaParser) peek() byte {
	if p.pos < len(p.text) {
		return p.text[p.pos]
	}
	return 0
}

func (p *schemaParser) ws() {
	for p.pos < len(p.text) {
		switch p.text[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// null consumes a null, if that is what comes.
func (p *schemaParser) null() bool {
	if strings.HasPrefix(p.text[p.pos:], "null") {
		p.pos += 4
		p.ws()
		return true
	}
	return false
}

func (p *schemaParser) literal(w string) {
	if !strings.HasPrefix(p.text[p.pos:], w) {
		p.fail("bad literal")
		return
	}
	p.pos += len(w)
	p.ws()
}

// open enters an object (c is '{') or an array ('['). It reports whether
// there is a first key or element: not when the value is null or empty.
func (p *schemaParser) open(c byte) bool {
	if p.null() {
		return false
	}
	if p.peek() != c {
		p.fail(fmt.Sprintf("want %c", c))
		return false
	}
	p.pos++
	if p.depth++; p.depth > maxDepth {
		p.fail("nested too deep")
		return false
	}
	p.ws()
	// '}' and ']' follow their openers two code points on.
	if p.peek() == c+2 {
		p.pos++
		p.depth--
		p.ws()
		return false
	}
	return true
}

// next passes the comma before another key or element, reporting true, or
// the closing bracket, reporting false.
func (p *schemaParser) next(close byte) bool {
	switch p.peek() {
	case ',':
		p.pos++
		p.ws()
		return true
	case close:
		p.pos++
		p.depth--
		p.ws()
		return false
	}
	p.fail(fmt.Sprintf("want , or %c", close))
	return false
}

// key reads an object's key and the colon after it.
func (p *schemaParser) key() string {
	k := p.str()
	if p.peek() != ':' {
		p.fail("want :")
		return ""
	}
	p.pos++
	p.ws()
	return k
}

func (p *schemaParser) strInto(dst *string) {
	if !p.null() {
		*dst = p.str()
	}
}

func (p *schemaParser) boolInto(dst *bool) {
	switch {
	case p.null():
	case strings.HasPrefix(p.text[p.pos:], "true"):
		p.literal("true")
		*dst = true
	case strings.HasPrefix(p.text[p.pos:], "false"):
		p.literal("false")
		*dst = false
	default:
		p.fail("want true or false")
	}
}

func (p *schemaParser) str() string {
	if p.peek() != '"' {
		p.fail("want a string")
		return ""
	}
	for i := p.pos + 1; i < len(p.text); i++ {
		switch c := p.text[i]; {
		case c == '"':
			s := p.text[p.pos+1 : i]
			p.pos = i + 1
			p.ws()
			return s
		case c == '\\' || c < 0x20 || c >= 0x80:
			return p.slowStr()
		}
	}
	p.fail("unterminated string")
	return ""
}

// slowStr reads a string that has escapes, control characters or
// non-ASCII bytes, leaving what they mean (and what becomes of bad UTF-8)
// to encoding/json.
func (p *schemaParser) slowStr() string {
	for i := p.pos + 1; i < len(p.text); i++ {
		switch p.text[i] {
		case '\\':
			i++ // whatever is escaped, it does not end the string
		case '"':
			var s string
			if err := json.Unmarshal([]byte(p.text[p.pos:i+1]), &s); err != nil {
				p.fail(err.Error())
				return ""
			}
			p.pos = i + 1
			p.ws()
			return s
		}
	}
	p.fail("unterminated string")
	return ""
}

func (p *schemaParser) number() {
	t, i := p.text, p.pos
	if i < len(t) && t[i] == '-' {
		i++
	}
	switch {
	case i < len(t) && t[i] == '0':
		i++
	case i < len(t) && t[i] >= '1' && t[i] <= '9':
		i = digits(t, i)
	default:
		p.fail("bad number")
		return
	}
	if i < len(t) && t[i] == '.' {
		if j := digits(t, i+1); j > i+1 {
			i = j
		} else {
			p.fail("bad number")
			return
		}
	}
	if i < len(t) && (t[i] == 'e' || t[i] == 'E') {
		i++
		if i < len(t) && (t[i] == '+' || t[i] == '-') {
			i++
		}
		if j := digits(t, i); j > i {
			i = j
		} else {
			p.fail("bad number")
			return
		}
	}
	p.pos = i
	p.ws()
}

// digits returns where the run of digits at t[i:] ends.
func digits(t string, i int) int {
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	return i
}

// skip reads past a value of any kind, checking that it is valid JSON.
func (p *schemaParser) skip() {
	switch c := p.peek(); {
	case c == '"':
		p.str()
	case c == '{':
		for more := p.open('{'); more; more = p.next('}') {
			p.key()
			p.skip()
		}
	case c == '[':
		for more := p.open('['); more; more = p.next(']') {
			p.skip()
		}
	case c == 't':
		p.literal("true")
	case c == 'f':
		p.literal("false")
	case c == 'n':
		p.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		p.number()
	default:
		p.fail("want a value")
	}
}

package qmp

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/hmpsh/hmpsh/internal/suggest"
)

// Pair is one key=value of a flat argument string. Keys may be dotted
// ("a.b") to reach into nested objects and numbered ("list.0") for list
// elements, as QEMU's keyval syntax writes them.
type Pair struct {
	Key   string
	Value string
}

// ConvertOptions adjusts the generic conversion at given key paths.
type ConvertOptions struct {
	// ListFromString, if set, is asked to split a single value given for
	// a list of strings (exec's "args=nc -U /s"); path is the dotted key.
	ListFromString func(path, value string) ([]string, error)
	// IntUnit, if set, gives the multiplier for an integer written without
	// a size suffix at path (HMP reads max-bandwidth in MiB); 0 means 1.
	IntUnit func(path string) int64
	// StringFirst reads a value for an alternate that can be a string as
	// that string (HMP's rule: "null" is a name, not JSON null).
	StringFirst bool
	// Room, if set, is where objects are made.
	Room *Room
}

// ArgError is a conversion failure about one key.
type ArgError struct {
	Key     string   // the key as written, dotted
	Value   string   // the offending value, if the value is the problem
	Problem string   // what is wrong
	Valid   []string // the valid keys or values, when there is a choice
	Kind    string   // "keys" or "values": what Valid lists
	Suggest string   // the closest valid choice, if one is close
}

func (e *ArgError) Error() string {
	var b strings.Builder
	switch {
	case e.Key != "" && e.Value != "":
		fmt.Fprintf(&b, "%s=%s: %s", e.Key, e.Value, e.Problem)
	case e.Key != "":
		fmt.Fprintf(&b, "key %q %s", e.Key, e.Problem)
	default:
		b.WriteString(e.Problem)
	}
	if e.Suggest != "" {
		fmt.Fprintf(&b, " (did you mean %q?)", e.Suggest)
	}
	if len(e.Valid) > 0 {
		fmt.Fprintf(&b, "; valid %s: %s", e.Kind, strings.Join(e.Valid, ", "))
	}
	return b.String()
}

// node is a key=value string turned into a tree by its dotted keys. The
// nodes of one tree live in one slice, and a node's children are a list
// in the order they were first given: a line is converted with few
// allocations.
type node struct {
	name        string // the last part of its key; the root's is the prefix
	value       string
	parent      *node
	first, last *node // children
	next        *node // sibling
	count       int32 // children
	member      int32 // the index of its member in the parent object's chain
	hasValue    bool
}

// key is the node's full dotted key, made when a message or a hook needs
// it: a top-level key is its name.
func (n *node) key() string {
	if n.parent == nil {
		return n.name
	}
	if p := n.parent.key(); p != "" {
		return p + "." + n.name
	}
	return n.name
}

func (n *node) child(name string) *node {
	for c := n.first; c != nil; c = c.next {
		if c.name == name {
			return c
		}
	}
	return nil
}

// buildTree makes the tree in *nodes, reusing its room; the tree is valid
// until *nodes is used again.
func buildTree(nodes *[]node, pairs []Pair, prefix string) (*node, error) {
	size := 1
	for _, p := range pairs {
		size += 1 + strings.Count(p.Key, ".")
	}
	// Nodes point at each other: the slice must not move once filled.
	arena := *nodes
	if cap(arena) < size {
		arena = make([]node, 0, size)
		*nodes = arena
	}
	arena = append(arena[:0], node{name: prefix})
	root := &arena[0]
	for _, p := range pairs {
		if p.Key == "" {
			return nil, &ArgError{Problem: fmt.Sprintf("%q has an empty key", "="+p.Value)}
		}
		n := root
		for start := 0; start <= len(p.Key); {
			end := strings.IndexByte(p.Key[start:], '.')
			if end < 0 {
				end = len(p.Key)
			} else {
				end += start
			}
			part := p.Key[start:end]
			if part == "" {
				return nil, &ArgError{Key: joinKey(prefix, p.Key[:end]), Problem: "has an empty part between dots"}
			}
			if n.hasValue {
				return nil, &ArgError{Key: n.key(), Problem: "is given both a value and sub-keys"}
			}
			c := n.child(part)
			if c == nil {
				arena = append(arena, node{name: part, parent: n})
				c = &arena[len(arena)-1]
				if n.last == nil {
					n.first = c
				} else {
					n.last.next = c
				}
				n.last = c
				n.count++
			}
			n = c
			start = end + 1
		}
		if n.hasValue {
			return nil, &ArgError{Key: n.key(), Problem: "is given twice"}
		}
		if n.first != nil {
			return nil, &ArgError{Key: n.key(), Problem: "is given both a value and sub-keys"}
		}
		n.value, n.hasValue = p.Value, true
	}
	return root, nil
}

// isGroup reports whether n holds sub-keys rather than a value.
func (n *node) isGroup() bool { return !n.hasValue }

func joinKey(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// Convert turns flat key=value pairs into the JSON value of schema type t,
// checking every key and value against the schema: unknown, missing and
// repeated keys, values of the wrong type, enum values. prefix is prepended
// to keys in error messages ("" at the top).
func (s *Schema) Convert(t *Entity, pairs []Pair, opt *ConvertOptions, prefix string) (Value, error) {
	if opt == nil {
		opt = &ConvertOptions{}
	}
	arena, _ := s.trees.Get().(*[]node)
	if arena == nil {
		arena = new([]node)
	}
	defer func() {
		clear((*arena)[:cap(*arena)]) // keep no strings of this line alive
		s.trees.Put(arena)
	}()
	root, err := buildTree(arena, pairs, prefix)
	if err != nil {
		return Value{}, err
	}
	c := converter{s: s, opt: opt}
	return c.value(t, root)
}

// ConvertArgs converts key=value pairs into the arguments of a command.
func (s *Schema) ConvertArgs(command string, pairs []Pair, opt *ConvertOptions) (Object, error) {
	t := s.Args(command)
	if t == nil {
		return nil, &ArgError{Problem: fmt.Sprintf("QMP command %q is not in QEMU %s's schema", command, s.QEMU.Short())}
	}
	v, err := s.Convert(t, pairs, opt, "")
	if err != nil {
		return nil, err
	}
	return v.o, nil
}

// ConvertValue converts one value for a member of a command's arguments
// (migrate_set_parameter NAME VALUE): the value is read by that member's
// type, and an unknown name is an error listing the valid ones.
func (s *Schema) ConvertValue(command, member, value string, opt *ConvertOptions) (Value, error) {
	args := s.Args(command)
	m, ok := s.Member(args, member)
	if !ok {
		names := s.MemberNames(args)
		return Value{}, &ArgError{Value: member, Problem: fmt.Sprintf("unknown name %q", member), Valid: names, Kind: "names", Suggest: Suggest(member, names)}
	}
	if opt == nil {
		opt = &ConvertOptions{}
	}
	c := converter{s: s, opt: opt}
	return c.value(m.TypeEntity, &node{name: member, value: value, hasValue: true})
}

// MemberNames lists the member names of an object, variants included.
func (s *Schema) MemberNames(e *Entity) []string {
	if e == nil {
		return nil
	}
	var names []string
	for _, m := range e.Members {
		names = append(names, m.Name)
	}
	for _, v := range e.Variants {
		for _, n := range s.MemberNames(v.TypeEntity) {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}

type converter struct {
	s   *Schema
	opt *ConvertOptions
}

func (c *converter) value(t *Entity, n *node) (Value, error) {
	if t == nil {
		return Value{}, &ArgError{Key: n.key(), Problem: "has a type missing from the schema"}
	}
	if n.isGroup() {
		switch t.MetaType {
		case "object":
			return c.object(t, n)
		case "array":
			return c.array(t, n)
		case "alternate":
			for _, m := range t.Members {
				if b := m.TypeEntity; b != nil && (b.MetaType == "object" || b.MetaType == "array") {
					return c.value(b, n)
				}
			}
		}
		return Value{}, &ArgError{Key: n.key(), Problem: fmt.Sprintf("takes a single value (%s), not sub-keys", c.describe(t))}
	}
	v := n.value
	switch t.MetaType {
	case "builtin":
		return c.scalar(t.Name, n.key(), v)
	case "enum":
		if t.HasValue(v) {
			return Str(v), nil
		}
		return Value{}, &ArgError{Key: n.key(), Value: v, Problem: "unknown value", Valid: t.Values, Kind: "values", Suggest: Suggest(v, t.Values)}
	case "array":
		el := t.ElemEntity
		if c.opt.ListFromString != nil && el != nil && el.Name == "str" {
			words, err := c.opt.ListFromString(n.key(), v)
			if err != nil {
				return Value{}, err
			}
			out := make(Object, len(words))
			for i, w := range words {
				out[i].Value = Str(w)
			}
			return Value{kind: listKind, o: out}, nil
		}
		return Value{}, &ArgError{Key: n.key(), Problem: fmt.Sprintf("is a list: write %s.0=..., %s.1=...", n.key(), n.key())}
	case "object":
		return Value{}, &ArgError{Key: n.key(), Problem: fmt.Sprintf("is a group: write %s.MEMBER=...; members: %s", n.key(), strings.Join(c.s.MemberNames(t), ", "))}
	case "alternate":
		return c.alternate(t, n)
	}
	return Value{}, &ArgError{Key: n.key(), Problem: "has schema meta-type " + t.MetaType + ", which hmpsh cannot write"}
}

// alternate picks the first branch the value reads as, trying the
// specific ones (bool, numbers, enums, null) before a string.
func (c *converter) alternate(t *Entity, n *node) (Value, error) {
	if c.opt.StringFirst {
		for _, m := range t.Members {
			if m.Type == "str" {
				return Str(n.value), nil
			}
		}
	}
	var str bool
	var tried []string
	for _, m := range t.Members {
		b := m.TypeEntity
		if b == nil {
			continue
		}
		if b.Name == "str" {
			str = true
			continue
		}
		if b.MetaType == "builtin" || b.MetaType == "enum" {
			if v, err := c.value(b, n); err == nil {
				return v, nil
			}
			tried = append(tried, c.describe(b))
		}
	}
	if str {
		return Str(n.value), nil
	}
	return Value{}, &ArgError{Key: n.key(), Value: n.value, Problem: "none of " + strings.Join(tried, ", ")}
}

func (c *converter) scalar(typ, key, v string) (Value, error) {
	switch typ {
	case "str", "QType":
		return Str(v), nil
	case "bool":
		b, ok := ParseBool(v)
		if !ok {
			return Value{}, &ArgError{Key: key, Value: v, Problem: "not a boolean", Valid: []string{"on", "off"}, Kind: "values"}
		}
		return Bool(b), nil
	case "int":
		unit := int64(1)
		if c.opt.IntUnit != nil {
			if u := c.opt.IntUnit(key); u > 0 {
				unit = u
			}
		}
		num, err := ParseInt(v, unit)
		if err != nil {
			return Value{}, &ArgError{Key: key, Value: v, Problem: err.Error()}
		}
		return Num(num), nil
	case "number":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return Value{}, &ArgError{Key: key, Value: v, Problem: "not a number"}
		}
		// As encoding/json writes a float (1e-06 as 0.000001).
		text, _ := json.Marshal(f)
		return Num(json.Number(text)), nil
	case "null":
		if v == "null" {
			return Null(), nil
		}
		return Value{}, &ArgError{Key: key, Value: v, Problem: "not null"}
	case "any":
		var x any
		if json.Valid([]byte(v)) && json.Unmarshal([]byte(v), &x) == nil {
			return Raw(json.RawMessage(v)), nil
		}
		return Str(v), nil
	}
	return Value{}, &ArgError{Key: key, Problem: "has unknown builtin type " + typ}
}

func (c *converter) describe(t *Entity) string {
	switch t.MetaType {
	case "builtin":
		switch t.Name {
		case "str":
			return "a string"
		case "int":
			return "an integer"
		case "number":
			return "a number"
		case "bool":
			return "on/off"
		}
		return t.Name
	case "enum":
		return "one of " + strings.Join(t.Values, "|")
	case "array":
		return "a list"
	case "object":
		return "a group of keys"
	}
	return t.MetaType
}

// branches lists object t and the variants its members select, as QAPI
// flattens unions onto one level: t, then the branch of t's tag value,
// then the branch of that branch's tag, and so on. missing is the first
// tag not given, whose branch is not known yet.
func (c *converter) branches(t *Entity, n *node, chain []*Entity) (_ []*Entity, missing string, err error) {
	for e := t; e != nil && len(chain) < 16; {
		chain = append(chain, e)
		if e.Tag == "" {
			break
		}
		tag := n.child(e.Tag)
		if tag == nil {
			return chain, e.Tag, nil
		}
		if tag.isGroup() {
			// Reported by the caller: a tag takes a single value.
			break
		}
		m, _ := c.s.Member(e, e.Tag)
		if enum := m.TypeEntity; enum != nil && !enum.HasValue(tag.value) {
			return nil, "", &ArgError{Key: tag.key(), Value: tag.value, Problem: "unknown value", Valid: enum.Values, Kind: "values", Suggest: Suggest(tag.value, enum.Values)}
		}
		e = c.s.Variant(e, tag.value)
	}
	return chain, "", nil
}

// knownKeys lists the member names of a chain of branches, for errors.
func knownKeys(chain []*Entity) []string {
	var known []string
	for _, e := range chain {
		for _, m := range e.Members {
			known = append(known, m.Name)
		}
	}
	return known
}

// memberIndex is the index of member name among the chain's members,
// counted across the chain in order, or -1.
func memberIndex(chain []*Entity, name string) int32 {
	j := int32(0)
	for _, e := range chain {
		for _, m := range e.Members {
			if m.Name == name {
				return j
			}
			j++
		}
	}
	return -1
}

func (c *converter) object(t *Entity, n *node) (Value, error) {
	var buf [4]*Entity
	chain, missingTag, err := c.branches(t, n, buf[:0])
	if err != nil {
		return Value{}, err
	}
	// Without its tag a union's branch keys would all look unknown
	// ("type=inet" without transport=socket): the tag is what is missing.
	if missingTag != "" {
		return Value{}, &ArgError{Key: joinKey(n.key(), missingTag), Problem: "is missing (required)", Valid: knownKeys(chain), Kind: "keys"}
	}
	// Each key given finds its member (its index in the chain's members,
	// in order); the members are then written in schema order.
	for k := n.first; k != nil; k = k.next {
		if k.member = memberIndex(chain, k.name); k.member < 0 {
			known := knownKeys(chain)
			return Value{}, &ArgError{Key: k.key(), Problem: "is unknown", Valid: known, Kind: "keys", Suggest: Suggest(k.name, known)}
		}
	}
	obj := c.opt.Room.Take(int(n.count))
	j := int32(0)
	for _, e := range chain {
		for _, f := range e.Members {
			var child *node
			for k := n.first; k != nil; k = k.next {
				if k.member == j {
					child = k
					break
				}
			}
			j++
			if child == nil {
				if !f.Optional {
					return Value{}, &ArgError{Key: joinKey(n.key(), f.Name), Problem: "is missing (required)", Valid: knownKeys(chain), Kind: "keys"}
				}
				continue
			}
			v, err := c.value(f.TypeEntity, child)
			if err != nil {
				return Value{}, err
			}
			obj = append(obj, Field{f.Name, v})
		}
	}
	return Obj(obj), nil
}

func (c *converter) array(t *Entity, n *node) (Value, error) {
	idx := make([]int, 0, int(n.count))
	for k := n.first; k != nil; k = k.next {
		i, err := strconv.Atoi(k.name)
		if err != nil || i < 0 || strconv.Itoa(i) != k.name {
			return Value{}, &ArgError{Key: k.key(), Problem: "is not a list index: list elements are numbered 0, 1, 2, ..."}
		}
		idx = append(idx, i)
	}
	sort.Ints(idx)
	out := make(Object, len(idx))
	for want, i := range idx {
		if i != want {
			return Value{}, &ArgError{Key: joinKey(n.key(), strconv.Itoa(want)), Problem: "is missing: list elements are numbered 0, 1, 2, ... without gaps"}
		}
		v, err := c.value(t.ElemEntity, n.child(strconv.Itoa(i)))
		if err != nil {
			return Value{}, err
		}
		out[i].Value = v
	}
	return Value{kind: listKind, o: out}, nil
}

// ParseBool reads on/off, yes/no and true/false.
func ParseBool(s string) (bool, bool) {
	switch s {
	case "on", "yes", "true":
		return true, true
	case "off", "no", "false":
		return false, true
	}
	return false, false
}

// ParseInt reads an integer as QEMU reads sizes and numbers: decimal or 0x
// hex, optionally followed by a suffix B, K, M, G, T, P or E (powers of
// 1024, either case; a decimal fraction is allowed with a suffix other
// than B, "1.5G"). Without a suffix the number is multiplied by unit, and
// a unit above 1 allows a fraction as a suffix would. The result is a
// json.Number so that values beyond int64 (uint64 sizes) survive.
func ParseInt(s string, unit int64) (json.Number, error) {
	bad := func(why string) (json.Number, error) {
		return "", fmt.Errorf("not an integer (%s)", why)
	}
	if s == "" {
		return bad("empty")
	}
	body := s
	neg := strings.HasPrefix(body, "-")
	if neg {
		body = body[1:]
	}
	mult := uint64(0)
	hex := strings.HasPrefix(body, "0x") || strings.HasPrefix(body, "0X")
	digits := body
	if hex {
		digits = body[2:]
	}
	end := len(digits)
	for end > 0 && !isNumChar(digits[end-1], hex) {
		end--
	}
	if rest := digits[end:]; rest != "" {
		m, ok := suffixMult(rest[0])
		if digits[:end] == "" {
			return bad("no digits")
		}
		if len(rest) != 1 || !ok {
			return bad(fmt.Sprintf("unknown suffix %q (K, M, G, T, P, E are powers of 1024)", rest))
		}
		mult, digits = m, digits[:end]
	}
	var n uint64
	switch {
	case digits == "":
		return bad("no digits")
	case hex:
		v, err := strconv.ParseUint(digits, 16, 64)
		if err != nil {
			return bad("bad hex number")
		}
		n = v
	case strings.Contains(digits, "."):
		// A unit stands for a suffix, as for QEMU's qemu_strtosz_MiB
		// ("migrate_set_parameter max-bandwidth 1.5"); bytes cannot be
		// split.
		if mult == 0 && unit > 1 {
			mult = uint64(unit)
		}
		if mult <= 1 {
			return bad("a fraction needs a suffix (K, M, G, T)")
		}
		// Plain decimal digits only: ParseFloat would also take "1e3",
		// "+.5", "Inf" and hex floats.
		if strings.Trim(digits, "0123456789") != "." {
			return bad("bad number")
		}
		f, err := strconv.ParseFloat(digits, 64)
		if err != nil {
			return bad("bad number")
		}
		r := f * float64(mult)
		if r >= math.MaxUint64 {
			return bad("too large")
		}
		n, mult = uint64(r), 1
	default:
		v, err := strconv.ParseUint(digits, 10, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return bad("too large")
			}
			return bad("not a number")
		}
		n = v
	}
	if mult == 0 {
		mult = uint64(max(unit, 1))
	}
	if mult > 1 && n > math.MaxUint64/mult {
		return bad("too large")
	}
	n *= mult
	if neg {
		if n > 1<<63 {
			return bad("too small")
		}
		if n == 0 {
			return "0", nil
		}
		return json.Number("-" + strconv.FormatUint(n, 10)), nil
	}
	return json.Number(strconv.FormatUint(n, 10)), nil
}

// isNumChar reports whether c can be part of the number itself (before
// any suffix). In hex, B and E are digits, so "0x1B" is 27, not 1 byte.
func isNumChar(c byte, hex bool) bool {
	if hex {
		return strings.IndexByte("0123456789abcdefABCDEF", c) >= 0
	}
	return c >= '0' && c <= '9' || c == '.'
}

func suffixMult(c byte) (uint64, bool) {
	switch c {
	case 'b', 'B':
		return 1, true
	case 'k', 'K':
		return 1 << 10, true
	case 'm', 'M':
		return 1 << 20, true
	case 'g', 'G':
		return 1 << 30, true
	case 't', 'T':
		return 1 << 40, true
	case 'p', 'P':
		return 1 << 50, true
	case 'e', 'E':
		return 1 << 60, true
	}
	return 0, false
}

// Suggest returns the choice closest to s when it is close enough to be
// a likely typo, or "".
func Suggest(s string, choices []string) string { return suggest.Closest(s, choices) }

package hmp

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/split"
	"github.com/hmpsh/hmpsh/transports"
)

// The channel syntax's own words.
const (
	ImpliedKey         = "transport"    // the key of a first element without '='
	ChannelTypeKey     = "channel-type" // the one CHANNEL key outside addr
	DefaultChannelType = "main"         // channel-type when not given
)

// ChannelSyntax is the CHANNEL syntax of a target, read from its schema's
// MigrationChannel: the keys are the members of MigrationAddress with its
// nested unions flattened as QAPI flattens them on the wire, plus
// channel-type. Parsing, help and completion all read this one model, so a
// newer QEMU's keys work without a new hmpsh.
type ChannelSyntax struct {
	Schema   *qmp.Schema
	Channel  *qmp.Entity // MigrationChannel
	Addr     *qmp.Entity // MigrationAddress
	Types    []string    // the channel-type values
	Branches []Branch    // every kind of address, in schema order
}

// Branch is one leaf of a flattened union: the tag values that select it
// and every key it takes, tags included, in schema order.
type Branch struct {
	Tags []Tag
	Keys []Key
}

// Tag is a union tag's value on the way to a branch: type=inet.
type Tag struct{ Key, Value string }

// Key is one member a branch takes.
type Key struct {
	qmp.Member
	Default string      // the value hmpsh's syntax fills in when it is left out
	Owner   *qmp.Entity // the object that has it as its own member (its documentation's)
}

// Spec writes the tags as a CHANNEL starts: "socket,type=inet" (the
// implied key's value bare).
func (b Branch) Spec(implied string) string {
	parts := make([]string, len(b.Tags))
	for i, t := range b.Tags {
		if implied != "" && t.Key == implied && i == 0 {
			parts[i] = t.Value
		} else {
			parts[i] = t.Key + "=" + t.Value
		}
	}
	return strings.Join(parts, ",")
}

// Selected reports whether the branch agrees with the tag values given.
func (b Branch) Selected(given map[string]string) bool {
	for _, t := range b.Tags {
		if v, ok := given[t.Key]; ok && v != t.Value {
			return false
		}
	}
	return true
}

// Flatten lists the branches of object e as QAPI flattens its unions: the
// base members, then those of each variant, recursively. An object that
// is not a union is one branch.
func Flatten(s *qmp.Schema, e *qmp.Entity) []Branch {
	var out []Branch
	var walk func(e *qmp.Entity, tags []Tag, keys []Key, depth int)
	walk = func(e *qmp.Entity, tags []Tag, keys []Key, depth int) {
		if e == nil || depth > 8 {
			return
		}
		for _, m := range e.Members {
			keys = append(keys, Key{Member: m, Owner: e})
		}
		if e.Tag == "" {
			out = append(out, Branch{Tags: tags, Keys: keys})
			return
		}
		m, _ := s.Member(e, e.Tag)
		enum := s.Entity(m.Type)
		if enum == nil || len(enum.Values) == 0 {
			out = append(out, Branch{Tags: tags, Keys: keys})
			return
		}
		for _, v := range enum.Values {
			// Each branch owns its slices: siblings must not share
			// the backing arrays they append to.
			t := append(append([]Tag(nil), tags...), Tag{e.Tag, v})
			k := append([]Key(nil), keys...)
			if b := s.Variant(e, v); b != nil {
				walk(b, t, k, depth+1)
			} else {
				out = append(out, Branch{Tags: t, Keys: k})
			}
		}
	}
	walk(e, nil, nil, 0)
	return out
}

func newChannelSyntax(s *qmp.Schema, channel *qmp.Entity) *ChannelSyntax {
	cs := &ChannelSyntax{Schema: s, Channel: channel, Addr: s.Path(channel, "addr")}
	if m, ok := s.Member(channel, ChannelTypeKey); ok {
		if e := s.Entity(m.Type); e != nil {
			cs.Types = e.Values
		}
	}
	cs.Branches = Flatten(s, cs.Addr)
	for i, b := range cs.Branches {
		if len(b.Tags) == 0 {
			continue
		}
		defaults := transports.FillDefaults([]split.KV{{Key: b.Tags[0].Key, Value: b.Tags[0].Value}})
		for j, k := range b.Keys {
			for _, kv := range defaults[1:] {
				if kv.Key == k.Name {
					cs.Branches[i].Keys[j].Default = kv.Value
				}
			}
		}
	}
	return cs
}

// Transports lists the values of the implied key, in schema order.
func (cs *ChannelSyntax) Transports() []string {
	var out []string
	for _, b := range cs.Branches {
		if len(b.Tags) > 0 && (len(out) == 0 || out[len(out)-1] != b.Tags[0].Value) {
			out = append(out, b.Tags[0].Value)
		}
	}
	return out
}

// Keys lists the keys valid with the tag values given so far.
func (cs *ChannelSyntax) Keys(given map[string]string) []KeyUse { return Keys(cs.Branches, given) }

// Keys lists the keys of the branches that agree with the tag values
// given so far, each once, with the branches it belongs to.
func Keys(branches []Branch, given map[string]string) []KeyUse {
	var out []KeyUse
	index := map[string]int{}
	for _, b := range branches {
		if !b.Selected(given) {
			continue
		}
		for _, k := range b.Keys {
			i, ok := index[k.Name]
			if !ok {
				i = len(out)
				index[k.Name] = i
				out = append(out, KeyUse{Key: k})
			}
			out[i].Branches = append(out[i].Branches, b)
		}
	}
	return out
}

// KeyUse is a key with the branches that take it.
type KeyUse struct {
	Key
	Branches []Branch
}

// Where says which branches take the key, each written as its tags up to
// the key ("socket,type=inet", "rdma"; a tag's own: "socket"); none for a
// key every branch takes.
func (ku KeyUse) Where(implied string) []string {
	var where []string
	for _, b := range ku.Branches {
		tags := b.Tags
		for i, tg := range tags {
			if tg.Key == ku.Name {
				tags = tags[:i]
				break
			}
		}
		if w := (Branch{Tags: tags}).Spec(implied); w != "" && !slices.Contains(where, w) {
			where = append(where, w)
		}
	}
	return where
}

// Default is the value hmpsh's syntax fills in for the key when it is
// left out, in the branches of transport (any, when "").
func (ku KeyUse) Default(transport string) string {
	for _, b := range ku.Branches {
		if transport != "" && (len(b.Tags) == 0 || b.Tags[0].Value != transport) {
			continue
		}
		for _, k := range b.Keys {
			if k.Name == ku.Name && k.Default != "" {
				return k.Default
			}
		}
	}
	return ""
}

// Parse reads one CHANNEL or legacy URI into a typed MigrationChannel
// through the schema, and its QMP form {"channel-type":..,"addr":{..}}.
// Both spellings of an address go through the same conversion.
func (cs *ChannelSyntax) Parse(spec string) (transports.Channel, qmp.Object, error) {
	return cs.parse(nil, spec)
}

// parse is Parse making its objects in room.
func (cs *ChannelSyntax) parse(room *qmp.Room, spec string) (transports.Channel, qmp.Object, error) {
	var kvs []split.KV
	var err error
	if transports.LooksLikeURI(spec) {
		kvs, err = transports.ParseURI(spec)
	} else {
		var buf [8]split.KV
		kvs, err = split.AppendKeyVals(buf[:0], spec, ImpliedKey)
	}
	if err != nil {
		return transports.Channel{}, nil, err
	}
	kvs = transports.FillDefaults(kvs)
	ct := ""
	var buf [8]qmp.Pair
	pairs := buf[:0]
	for _, kv := range kvs {
		if kv.Key == ChannelTypeKey {
			if ct != "" {
				return transports.Channel{}, nil, &qmp.ArgError{Key: kv.Key, Problem: "is given twice"}
			}
			if ct = kv.Value; ct == "" || !slices.Contains(cs.Types, ct) {
				return transports.Channel{}, nil, &qmp.ArgError{Key: ChannelTypeKey, Value: ct, Problem: "unknown value", Valid: cs.Types, Kind: "values", Suggest: qmp.Suggest(ct, cs.Types)}
			}
			continue
		}
		pairs = append(pairs, qmp.Pair{Key: kv.Key, Value: kv.Value})
	}
	if ct == "" {
		ct = DefaultChannelType
	}
	v, err := cs.Schema.Convert(cs.Addr, pairs, &qmp.ConvertOptions{ListFromString: splitArgs, Room: room}, "")
	if err != nil {
		var ae *qmp.ArgError
		if errors.As(err, &ae) && ae.Kind == "keys" {
			// channel-type is a key of the CHANNEL too.
			ae.Valid = append(append([]string(nil), ae.Valid...), ChannelTypeKey)
		}
		if errors.As(err, &ae) && ae.Kind == "values" && ae.Suggest == "" {
			protocolHint(ae)
		}
		return transports.Channel{}, nil, err
	}
	obj := append(room.Take(2), qmp.Field{Name: ChannelTypeKey, Value: qmp.Str(ct)}, qmp.Field{Name: "addr", Value: v})
	return transports.Channel{Type: ct, Addr: obj[1].Value.Members()}, obj, nil
}

// protocolHint answers a union tag given a URI scheme's name (type=tcp,
// transport=unix) with the value that scheme stands for: the closest
// spelling is no help there, tcp and inet share no letter.
func protocolHint(ae *qmp.ArgError) {
	tags := transports.ProtocolTags(ae.Value)
	for _, t := range tags {
		if t.Key == ae.Key && slices.Contains(ae.Valid, t.Value) {
			ae.Suggest = t.Value
			parts := make([]string, len(tags))
			for i, t := range tags {
				parts[i] = t.Key + "=" + t.Value
				if i == 0 && t.Key == ImpliedKey {
					parts[i] = t.Value
				}
			}
			ae.Problem = fmt.Sprintf("unknown value: %s is a URI protocol, written %s in a CHANNEL", ae.Value, strings.Join(parts, ","))
			return
		}
	}
}

// splitArgs reads exec's args given as one string the way a shell splits
// a command line (nothing runs it).
func splitArgs(path, v string) ([]string, error) {
	if path == "args" {
		return transports.SplitArgs(v)
	}
	return nil, &qmp.ArgError{Key: path, Problem: fmt.Sprintf("is a list: write %s.0=..., %s.1=...", path, path)}
}

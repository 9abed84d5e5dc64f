package complete

import (
	"strings"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/split"
	"github.com/hmpsh/hmpsh/transports"
)

// channelSchema finds the MigrationChannel type as the translator does
// (hmp.Target.ChannelType); without a target, the newest built-in one's.
func (st *state) channelSchema() (*qmp.Schema, *qmp.Entity) {
	t := st.target
	if t == nil {
		t = st.c.newestTarget()
	}
	if t == nil {
		return nil, nil
	}
	return t.ChannelType()
}

// channelSlot completes the CHANNEL after -c: the transport, then the
// keys of that transport and socket type not given yet, then their values
// (enums, on|off, paths for path= and filename=). A legacy URI completes
// as one.
func (st *state) channelSlot() *slot {
	v := st.cur.Text
	if transports.LooksLikeURI(v) {
		return st.uriSlot(v)
	}
	s, chType := st.channelSchema()
	if chType == nil {
		return nil
	}
	addr := s.Path(chType, "addr")
	items := split.Comma(v)
	last := items[len(items)-1].Text
	given := map[string]string{}
	for i, it := range items[:len(items)-1] {
		k, val, found := strings.Cut(it.Text, "=")
		if !found && i == 0 {
			k, val = hmp.ImpliedKey, it.Text
		}
		given[k] = val
	}
	keys := channelKeys(s, chType, addr, given)
	out := &slot{comma: true, quoted: st.cur.Quoted}
	if k, val, found := strings.Cut(last, "="); found {
		out.prefix = val
		for _, kk := range keys {
			if kk.m.Name != k {
				continue
			}
			out.about = keyHelp(s, kk, given)
			if k == "path" || k == "filename" {
				dir, base := splitPath(val)
				out.prefix = base
				out.items = pathItems(dir, base)
				return out
			}
			out.items = valueItems(s, kk.m.Type, "")
			for i := range out.items {
				out.items[i].help = out.about
			}
		}
		return out
	}
	out.prefix = last
	if len(items) == 1 {
		// The first element: a transport, or a legacy URI's protocol,
		// or (with '=') any key.
		out.start = true
		out.about = "CHANNEL: TRANSPORT,KEY=VALUE,...; transports: " + strings.Join(enumOf(s, addr, addr.Tag), ", ")
		for _, t := range enumOf(s, addr, addr.Tag) {
			out.items = append(out.items, item{text: t, help: t + " (transport)"})
		}
		if len(out.matching()) > 0 {
			return out
		}
		out.items = nil
		for _, p := range transports.Protocols() {
			out.items = append(out.items, item{text: p + ":", help: p + ": (legacy URI)"})
		}
		if len(out.matching()) > 0 {
			return out
		}
	}
	out.items = nil
	for _, kk := range keys {
		if _, done := given[kk.m.Name]; done {
			continue
		}
		out.items = append(out.items, item{text: kk.m.Name, help: keyHelp(s, kk, given), term: "="})
	}
	if out.about == "" {
		out.about = "keys: " + strings.Join(keyNames(keys), ", ")
	}
	return out
}

// channelKeys are the keys of a CHANNEL: the MigrationAddress members for
// what is given so far, and channel-type.
func channelKeys(s *qmp.Schema, chType, addr *qmp.Entity, given map[string]string) []key {
	keys := flatKeys(s, addr, given, hmp.ImpliedKey)
	if m, ok := s.Member(chType, hmp.ChannelTypeKey); ok {
		keys = append(keys, key{m: m})
	}
	return keys
}

func keyNames(keys []key) []string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.m.Name
	}
	return names
}

// enumOf is the values of member name of e, when an enum.
func enumOf(s *qmp.Schema, e *qmp.Entity, name string) []string {
	m, ok := s.Member(e, name)
	if !ok {
		return nil
	}
	if en := s.Entity(m.Type); en != nil && en.MetaType == "enum" {
		return en.Values
	}
	return nil
}

// keyHelp is "host (string, required; socket,type=inet | rdma)". A key
// the channel syntax fills in when left out (file's offset, channel-type)
// is optional with its default, whatever the schema says.
func keyHelp(s *qmp.Schema, k key, given map[string]string) string {
	extra := requiredness(k.m)
	if k.m.Name == hmp.ChannelTypeKey {
		extra = "optional, default " + hmp.DefaultChannelType
	} else if def, ok := defaultOf(k, given); ok {
		extra = "optional, default " + def
	}
	if len(k.where) > 0 {
		extra += "; " + strings.Join(k.where, " | ")
	}
	return memberHelp(s, k.m, extra)
}

// defaultOf asks transports.FillDefaults what it adds for the key's
// transport when the key is not given.
func defaultOf(k key, given map[string]string) (string, bool) {
	ts := []string{given[hmp.ImpliedKey]}
	if ts[0] == "" {
		ts = nil
		for _, w := range k.where {
			t, _, _ := strings.Cut(w, ",")
			ts = append(ts, t)
		}
	}
	for _, t := range ts {
		for _, kv := range transports.FillDefaults([]split.KV{{Key: hmp.ImpliedKey, Value: t}}) {
			if kv.Key == k.m.Name {
				return kv.Value, true
			}
		}
	}
	return "", false
}

package complete

import (
	"strings"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/split"
	"github.com/hmpsh/hmpsh/transports"
)

// channelSlot completes the CHANNEL after -c from the target's channel
// syntax (hmp.ChannelSyntax, the model translation reads too): the
// transport, then the keys of that transport and socket type not given
// yet, then their values (enums, on|off, paths for path= and filename=).
// A legacy URI completes as one.
func (st *state) channelSlot() *slot {
	v := st.cur.Text
	if transports.LooksLikeURI(v) {
		return st.uriSlot(v)
	}
	t := st.targetOrNewest()
	if t == nil || t.Channels() == nil {
		return nil
	}
	cs := t.Channels()
	s := cs.Schema
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
	keys := cs.Keys(given)
	out := &slot{comma: true, quoted: st.cur.Quoted}
	if k, val, found := strings.Cut(last, "="); found {
		out.prefix = val
		if k == hmp.ChannelTypeKey {
			out.about = channelTypeHelp(cs)
			for _, ct := range cs.Types {
				out.items = append(out.items, item{text: ct, help: out.about})
			}
			return out
		}
		for _, ku := range keys {
			if ku.Name != k {
				continue
			}
			out.about = keyHelp(s, ku, given)
			if k == "path" || k == "filename" {
				dir, base := splitPath(val)
				out.prefix = base
				out.items = pathItems(dir, base)
				return out
			}
			out.items = valueItems(s, ku.Type, "")
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
		out.about = "CHANNEL: TRANSPORT,KEY=VALUE,...; transports: " + strings.Join(cs.Transports(), ", ")
		for _, tr := range cs.Transports() {
			out.items = append(out.items, item{text: tr, help: tr + " (transport)"})
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
	var names []string
	for _, ku := range keys {
		names = append(names, ku.Name)
		if _, done := given[ku.Name]; !done {
			out.items = append(out.items, item{text: ku.Name, help: keyHelp(s, ku, given), term: "="})
		}
	}
	names = append(names, hmp.ChannelTypeKey)
	if _, done := given[hmp.ChannelTypeKey]; !done {
		out.items = append(out.items, item{text: hmp.ChannelTypeKey, help: channelTypeHelp(cs), term: "="})
	}
	if out.about == "" {
		out.about = "keys: " + strings.Join(names, ", ")
	}
	return out
}

func channelTypeHelp(cs *hmp.ChannelSyntax) string {
	return hmp.ChannelTypeKey + " (" + strings.Join(cs.Types, "|") + ", optional, default " + hmp.DefaultChannelType + ")"
}

// keyHelp is "host (string, required; socket,type=inet | rdma)". A key the
// channel syntax fills in when left out (file's offset) is optional with
// its default, whatever the schema says.
func keyHelp(s *qmp.Schema, ku hmp.KeyUse, given map[string]string) string {
	extra := requiredness(ku.Member)
	if def := ku.Default(given[hmp.ImpliedKey]); def != "" {
		extra = "optional, default " + def
	}
	if where := ku.Where(hmp.ImpliedKey); len(where) > 0 {
		extra += "; " + strings.Join(where, " | ")
	}
	return memberHelp(s, ku.Member, extra)
}

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
			line := cs.ChannelTypeLine()
			d, ok := cs.KeyDoc(hmp.Key{Member: qmp.Member{Name: k}})
			out.about = withDoc(line, d, ok)
			for _, ct := range cs.Types {
				out.items = append(out.items, item{text: ct, help: line, more: valueMore(cs, k, ct)})
			}
			return out
		}
		for _, ku := range keys {
			if ku.Name != k {
				continue
			}
			line := keyHelp(cs, ku, given)
			d, ok := cs.KeyDoc(ku.Key)
			out.about = withDoc(line, d, ok)
			if k == "path" || k == "filename" {
				dir, base := splitPath(val)
				out.prefix = base
				out.items = pathItems(dir, base)
				return out
			}
			out.items = valueItems(s, ku.Type, "")
			for i := range out.items {
				out.items[i].help = line
				out.items[i].more = valueMore(cs, k, out.items[i].text)
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
			out.items = append(out.items, item{text: tr, help: hmp.TransportLine(tr),
				more: func() string { return docText(cs.ValueDoc(hmp.ImpliedKey, tr)) }})
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
			out.items = append(out.items, item{text: ku.Name, help: keyHelp(cs, ku, given), term: "=",
				more: func() string { return docText(cs.KeyDoc(ku.Key)) }})
		}
	}
	names = append(names, hmp.ChannelTypeKey)
	if _, done := given[hmp.ChannelTypeKey]; !done {
		out.items = append(out.items, item{text: hmp.ChannelTypeKey, help: cs.ChannelTypeLine(), term: "=",
			more: func() string { return docText(cs.KeyDoc(hmp.Key{Member: qmp.Member{Name: hmp.ChannelTypeKey}})) }})
	}
	if out.about == "" {
		out.about = "keys: " + strings.Join(names, ", ")
	}
	return out
}

// keyHelp is "host (string, required; socket,type=inet | rdma)", for the
// transport given so far.
func keyHelp(cs *hmp.ChannelSyntax, ku hmp.KeyUse, given map[string]string) string {
	return cs.KeyLine(ku, given[hmp.ImpliedKey])
}

// valueMore documents a value of an enum key: "    inet: Internet
// address".
func valueMore(cs *hmp.ChannelSyntax, key, value string) func() string {
	return func() string {
		d, ok := cs.ValueDoc(key, value)
		if !ok || d.Text == "" {
			return ""
		}
		d.Text = value + ": " + d.Text
		return docText(d, ok)
	}
}

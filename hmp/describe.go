package hmp

import (
	"slices"
	"strings"
	"sync"

	"github.com/hmpsh/hmpsh/qmp"
)

// QEMUDocs is the Describer of QEMU's own documentation built into hmpsh:
// the first sentence of what QAPI says of a CHANNEL key, a capability or a
// command's argument, found as help finds it. It answers "" for what the
// documentation does not cover.
func QEMUDocs() Describer { return DescribeFunc(describeFromDocs) }

// channelSyntaxes caches the CHANNEL syntax of each schema explain asks
// about; there are a few schemas, each read once.
var channelSyntaxes sync.Map // *qmp.Schema -> *ChannelSyntax

func channelSyntaxOf(s *qmp.Schema) *ChannelSyntax {
	if cs, ok := channelSyntaxes.Load(s); ok {
		return cs.(*ChannelSyntax)
	}
	for _, cmd := range []string{"migrate", "migrate-incoming"} {
		if e := s.Path(s.Args(cmd), "channels", "[]"); e != nil {
			cs, _ := channelSyntaxes.LoadOrStore(s, newChannelSyntax(s, e))
			return cs.(*ChannelSyntax)
		}
	}
	return nil
}

func describeFromDocs(sub Subject) string {
	s := sub.Schema
	if s == nil {
		return ""
	}
	var d Doc
	var ok bool
	switch sub.Entity {
	case "MigrationChannel":
		cs := channelSyntaxOf(s)
		if cs == nil {
			return ""
		}
		if sub.Member == ChannelTypeKey {
			d, ok = memberDoc(s, cs.Channel, sub.Member)
			break
		}
		for _, b := range cs.Branches {
			if !slices.Equal(b.Tags, sub.Branch) {
				continue
			}
			for _, k := range b.Keys {
				if k.Name == sub.Member {
					d, ok = cs.KeyDoc(k)
				}
			}
		}
		if !ok {
			d, ok = memberDoc(s, cs.Addr, sub.Member)
		}
	case "MigrationCapability":
		d, ok = valueDoc(s, s.Path(s.Args("migrate-set-capabilities"), "capabilities", "[]", "capability"), sub.Member)
	default:
		args := s.Args(sub.Entity)
		path := strings.Split(sub.Member, ".")
		d, ok = memberDoc(s, s.Path(args, path[:len(path)-1]...), path[len(path)-1])
	}
	if !ok {
		return ""
	}
	return d.Summary()
}

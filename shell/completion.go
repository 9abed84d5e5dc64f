package shell

import (
	"strings"

	"github.com/chzyer/readline"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/libvirt"
	"github.com/hmpsh/hmpsh/shell/complete"
)

// completionSource answers the completer from what the session already
// knows; it never waits on a QEMU.
type completionSource struct{ sess *Session }

func (c completionSource) Syntax() *hmp.Syntax { return c.sess.sx }

func (c completionSource) Target(name string) *hmp.Target {
	if name == hmp.AllMonitors {
		name = "" // the current monitor's QEMU stands for all of them
	}
	m := c.sess.mons.lookup(name)
	if m == nil {
		return nil
	}
	return m.loadedTarget()
}

func (c completionSource) Monitors() []string { return c.sess.mons.names() }

// LibvirtDomains answers from the last listing of uri's running domains
// and has them listed again in the background.
func (c completionSource) LibvirtDomains(uri string) []string {
	if uri == "" {
		uri = libvirt.DefaultURI
	}
	return c.sess.lv.known(uri, c.sess.cfg.Timeout)
}

// helpKey makes "?" typed right after a word print what that word is (the
// command's usage, a key's type) instead of inserting itself; readline's
// candidate list has no room for descriptions. A "?" after white space,
// inside double quotes, or alone on the line is just a character.
func helpKey(c *complete.Completer, out func() *readline.Instance) readline.Listener {
	return readline.FuncListener(func(line []rune, pos int, key rune) ([]rune, int, bool) {
		if key != '?' || pos == 0 || pos != len(line) || line[pos-1] != '?' {
			return nil, 0, false
		}
		before := string(line[:pos-1])
		if strings.TrimSpace(before) == "" || strings.HasSuffix(before, " ") || strings.Count(before, `"`)%2 == 1 {
			return nil, 0, false
		}
		desc := c.Describe(before)
		if desc == "" {
			desc = "(nothing known about that)"
		}
		if rl := out(); rl != nil {
			_, _ = rl.Stdout().Write([]byte(strings.TrimRight(desc, "\n") + "\n"))
		}
		return line[:pos-1], pos - 1, true
	})
}

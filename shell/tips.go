package shell

import (
	"errors"
	"strings"

	"github.com/hmpsh/hmpsh/hmp"
)

// tips teach the channel syntax in the interactive shell: a migration
// line typed with a legacy URI gets, once per session and kind of URI,
// a one-line tip with its -c form. Scripts never print tips, nor does the
// shell with --no-tips.
type tips struct {
	off   bool
	shown map[string]bool // URI schemes already tipped: "tcp", "exec"
}

// errNoTarget: the monitor's schema is not read yet; no tip then.
var errNoTarget = errors.New("schema not read yet")

// tipFor is the tip for a line just run, or "".
func (tp *tips) tipFor(s *Session, raw string) string {
	if tp == nil || tp.off {
		return ""
	}
	raw, err := expand(raw, s.vars)
	if err != nil {
		return ""
	}
	var ln hmp.Line
	target := func(name string) (*hmp.Target, error) {
		m, err := s.mons.get(name)
		if err != nil {
			return nil, err
		}
		if t := m.loadedTarget(); t != nil {
			return t, nil
		}
		return nil, errNoTarget
	}
	if s.sx.ParseInto(&ln, raw, target) != nil || ln.Call == nil {
		return ""
	}
	t, err := target(ln.Monitor)
	if err != nil {
		return ""
	}
	if form, ok := hmp.FormOf(&ln); !ok || form != hmp.FormURI {
		return ""
	}
	uri, _ := ln.Call.Arg("uri")
	scheme, _, _ := strings.Cut(uri, ":")
	if tp.shown[scheme] {
		return ""
	}
	conv, err := hmp.Convert(&ln, hmp.FormChannels, []*hmp.Target{t})
	if err != nil {
		return ""
	}
	if tp.shown == nil {
		tp.shown = map[string]bool{}
	}
	tp.shown[scheme] = true
	return "tip: the channel form is: " + strings.TrimSpace(conv) + "   (hmpsh explain LINE says more; --no-tips turns tips off)"
}

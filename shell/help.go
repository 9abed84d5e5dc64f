package shell

import (
	"context"
	"fmt"
	"strings"

	"github.com/hmpsh/hmpsh/hmp"
)

// loadHelpTarget reads the schema of the monitor help is about ("" the
// current one) when it is not read yet, so that help shows that QEMU's
// keys and commands; without a monitor, or when it cannot be read, help
// falls back to what helpTarget picks.
func (s *Session) loadHelpTarget(ctx context.Context, monitor string) {
	if s.dry != nil {
		return
	}
	m := s.mons.lookup(monitor)
	if m == nil || m.loadedTarget() != nil || m.up() != nil {
		return
	}
	_, _ = s.Target(ctx, m)
}

// keyHelpFor is "help COMMAND KEY": name is the words after help, the
// last of them a key (a flag, a CHANNEL key, a capability, a parameter,
// a value) of a command of hmpsh's table. ok is false when the words
// before the last name no such command.
func (s *Session) keyHelpFor(name string, t *hmp.Target) (text string, ok bool, err error) {
	head, key, found := cutLast(name)
	if !found {
		return "", false, nil
	}
	cmd := s.sx.Table.Get(head)
	if cmd == nil {
		return "", false, nil
	}
	var b strings.Builder
	if err := cmd.WriteKeyHelp(&b, t, key); err != nil {
		return "", true, err
	}
	return b.String(), true, nil
}

func cutLast(s string) (head, last string, found bool) {
	i := strings.LastIndexByte(s, ' ')
	if i < 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// qemuHelpIndex lists the QEMU's own HMP commands, from its "help" (the
// built-in schemas carry it too), one per line as a table: names and
// arguments, then what the command does. A command hmpsh translates
// itself is marked with *.
func (s *Session) qemuHelpIndex(t *hmp.Target, connected bool) string {
	if t == nil || t.Schema.HMPHelp == "" {
		return ""
	}
	entries := hmp.ParseHelp(t.Schema.HMPHelp)
	if len(entries) == 0 {
		return ""
	}
	heads := make([]string, len(entries))
	width := 0
	for i, e := range entries {
		heads[i] = strings.TrimSpace(strings.Join(e.Names, "|") + " " + e.Args)
		// A long argument list (drive_add's) does not widen every row.
		if len(heads[i]) <= 36 {
			width = max(width, len(heads[i]))
		}
	}
	var b strings.Builder
	from := "its \"help\""
	if !connected {
		from = "hmpsh's built-in copy of its \"help\""
	}
	fmt.Fprintf(&b, "\nQEMU %s's own HMP commands, from %s.\n"+
		"* marks those hmpsh translates itself; the others go to QEMU as typed,\n"+
		"and \"help COMMAND\" shows QEMU's help of one:\n", t.Schema.QEMU, from)
	for i, e := range entries {
		mark := " "
		for _, n := range e.Names {
			if s.sx.Known(n) {
				mark = "*"
			}
		}
		fmt.Fprintf(&b, "%s %-*s  %s\n", mark, width, heads[i], e.Help)
	}
	return b.String()
}

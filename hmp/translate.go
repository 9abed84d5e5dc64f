package hmp

import (
	"fmt"
	"strings"

	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/split"
)

// Translation is what one line becomes on a target.
type Translation struct {
	Kind     Kind
	Command  *Command // Native: the table entry
	Call     *Call    // Native
	Requests []qmp.Request
	// Wait: run for real, the line waits for what it started (a
	// synchronous migrate).
	Wait bool
}

// NeedsTarget reports whether translating ln reads its QEMU's schema: a
// QMP command with key=value words does, and so does a table entry
// unless it sends the same everywhere (info status). What Parse had to
// ask the target for (whether an unknown command is HMP or QMP) it has
// asked already.
func (ln *Line) NeedsTarget() bool {
	switch ln.Kind {
	case Native:
		return !ln.Command.NoSchema
	case QMPArgs:
		return true
	}
	return false
}

// Translate turns a parsed line into the QMP it means on target t, which
// may be nil when the line does not need it (NeedsTarget). Blank
// lines and hmpsh's own commands send nothing and are not translated. A
// translation may live in the Line (its first one does): it is valid
// until the Line is parsed into again. A line may be translated for
// several targets.
func Translate(ln *Line, t *Target) (*Translation, error) {
	switch ln.Kind {
	case Blank:
		return &Translation{Kind: Blank}, nil
	case Native:
		c := ln.Call
		c.Target = t
		reqs, err := ln.Command.Translate(c)
		if err != nil {
			return nil, err
		}
		// The line keeps its first translation: one less allocation a
		// line; another (for another target) gets its own.
		tn := &ln.tn
		if tn.Command != nil {
			tn = new(Translation)
		}
		*tn = Translation{Kind: Native, Command: ln.Command, Call: c, Requests: reqs}
		if ln.Command.Wait != nil {
			tn.Wait = ln.Command.Wait(c)
		}
		return tn, nil
	case QMPJSON:
		return &Translation{Kind: QMPJSON, Requests: []qmp.Request{{Execute: ln.Name, Raw: ln.JSON}}}, nil
	case QMPArgs:
		return qmpArgs(ln.Name, ln.Words[1:], t)
	case Passthrough:
		return &Translation{Kind: Passthrough, Requests: []qmp.Request{{
			Execute:   "human-monitor-command",
			Arguments: qmp.Object{{Name: "command-line", Value: qmp.Str(ln.Body)}},
		}}}, nil
	}
	return nil, fmt.Errorf("%s: a %s line sends nothing to QEMU", ln.Name, ln.Kind)
}

// Translate parses raw for target t and translates it: the whole path of
// a line that --dry-run takes.
func (sx *Syntax) Translate(raw string, t *Target) (*Translation, error) {
	ln, err := sx.Parse(raw, func(string) (*Target, error) { return t, nil })
	if err != nil {
		return nil, err
	}
	return Translate(ln, t)
}

// qmpArgs converts "query-status" or "migrate-set-parameters
// max-bandwidth=1G downtime-limit=300": each word is a KEY=VALUE, typed by
// the schema (a QAPI str stays a string; qmp-shell would guess a number).
func qmpArgs(name string, words []split.Word, t *Target) (*Translation, error) {
	pairs := make([]qmp.Pair, 0, len(words))
	for _, w := range words {
		k, v, ok := strings.Cut(w.Text, "=")
		if !ok {
			return nil, fmt.Errorf("%s: %q is not KEY=VALUE (QMP commands take key=value arguments, nested keys as a.b=c, lists as a.0=x)", name, w.Text)
		}
		pairs = append(pairs, qmp.Pair{Key: k, Value: v})
	}
	args, err := t.Schema.ConvertArgs(name, pairs, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &Translation{Kind: QMPArgs, Requests: []qmp.Request{{Execute: name, Arguments: args}}}, nil
}

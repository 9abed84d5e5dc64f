package hmp

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/hmpsh/hmpsh/internal/suggest"
	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/split"
)

// Names a person types are checked against what the QEMU itself lists: its
// HMP commands and info subcommands (its "help" and "help info"), its QMP
// commands (its schema). A name it does not have is an error before
// anything is sent, with the closest name it has; and when another QEMU
// generation hmpsh knows has the name, the error says so.

// HMPCommands lists the names (aliases included) of the target's HMP
// commands, from its own help; nil when its help is not known.
func (t *Target) HMPCommands() []string { return sortedSet(t.hmpCommands) }

// InfoCommands lists the target's info subcommands, from its "help info";
// nil when not known.
func (t *Target) InfoCommands() []string {
	t.infoOnce.Do(func() {
		if t.Schema.HMPInfoHelp == "" {
			return
		}
		t.info = map[string]bool{}
		for _, e := range ParseHelp(t.Schema.HMPInfoHelp) {
			for _, n := range e.Names {
				t.info[n] = true
			}
		}
	})
	return sortedSet(t.info)
}

func sortedSet(m map[string]bool) []string {
	if m == nil {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkQEMUName fails a line for QEMU whose command (or info subcommand)
// the target does not have, naming the closest one it has. Unknown
// command lists (a QEMU whose help could not be read) let every name
// through: QEMU then answers for itself.
func (sx *Syntax) checkQEMUName(t *Target, name string, args []split.Word) error {
	if t.hmpCommands == nil || t.hmpCommands[name] || t.Schema.Command(name) != nil {
		if name != Info || len(args) == 0 || args[0].Quoted {
			return nil
		}
		sub := args[0].Text
		infos := t.InfoCommands()
		if infos == nil || t.info[sub] {
			return nil
		}
		for _, cmd := range sx.Table.Commands {
			if cmd.IsInfo() {
				infos = append(infos, strings.TrimPrefix(cmd.Name, Info+" "))
			}
		}
		return &qmp.ArgError{Value: sub, Kind: "info subcommands",
			Problem: fmt.Sprintf("info: unknown subcommand %q", sub), Suggest: suggest.Closest(sub, infos)}
	}
	choices := append(sx.Table.Names(), t.HMPCommands()...)
	for _, cmd := range sx.Table.Commands {
		choices = append(choices, cmd.Aliases...)
	}
	choices = append(choices, t.Schema.Commands()...)
	return &qmp.ArgError{Value: name, Kind: "commands",
		Problem: fmt.Sprintf("unknown command %q", name), Suggest: suggest.Closest(name, choices)}
}

// nouns name what an ArgError's Kind lists, one at a time.
var nouns = map[string]string{
	"keys": "key", "values": "value", "capabilities": "capability", "parameters": "parameter",
	"commands": "command", "info subcommands": "info subcommand", "names": "name",
}

// Elsewhere turns err, the failure of line raw on target t about a name t
// lacks, into a note of the QEMU generations hmpsh knows that have it: the line is read for
// each of them from its built-in schema, and where the same complaint does
// not come back, the name exists. Nothing is written down per version.
func (sx *Syntax) Elsewhere(raw string, t *Target, known *Targets, err error) error {
	ae, ok := errors.AsType[*qmp.ArgError](err)
	noun := ""
	if ok {
		noun = nouns[ae.Kind]
	}
	if noun == "" || (ae.Value == "" && ae.Key == "") || known == nil || t == nil {
		return err
	}
	all, aerr := known.All()
	if aerr != nil {
		return err
	}
	var where []string
	for _, other := range all {
		if other.Schema.QEMU.Short() == t.Schema.QEMU.Short() {
			continue
		}
		_, oerr := sx.Translate(raw, other)
		same, isArg := errors.AsType[*qmp.ArgError](oerr)
		if oerr == nil || !isArg || same.Key != ae.Key || same.Value != ae.Value || same.Problem != ae.Problem {
			where = append(where, other.Version())
		}
	}
	if len(where) == 0 {
		return err
	}
	// The complaint becomes the note: a did-you-mean would only mislead.
	note := fmt.Sprintf("exists in QEMU %s but not in this QEMU (%s)", strings.Join(where, ", "), t.Schema.QEMU.String())
	was := ae.Error()
	switch {
	case ae.Key != "":
		ae.Problem = note // written after "key K" or "K=V:"
	default:
		ae.Problem = fmt.Sprintf("%s %q %s", noun, ae.Value, note)
	}
	ae.Suggest = ""
	// The errors around ae wrote its text when they were made.
	return &noteError{err: err, text: strings.Replace(err.Error(), was, ae.Error(), 1)}
}

// noteError is err with its text rewritten.
type noteError struct {
	err  error
	text string
}

func (e *noteError) Error() string { return e.text }
func (e *noteError) Unwrap() error { return e.err }

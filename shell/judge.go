package shell

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"sort"
	"strings"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/internal/suggest"
	"github.com/hmpsh/hmpsh/qmp"
)

// hmpsh learn judges a line by what it does, not by how it is spelled: a
// line and the lesson's answer are read by the line model and translated
// for the QEMU of the monitor they go to, as if they were run, and the two
// are the same when they go to the same monitor and send the same QMP
// requests: the same commands with the same arguments as JSON values
// (object keys in any order, numbers by value). A legacy URI counts as the
// channel it means: a "uri" argument is compared as the "channels" list
// that hmp's channel syntax reads from it, so "migrate unix:P" and
// "migrate -c socket,type=unix,path=P" are the same on every QEMU, whether
// that QEMU is sent channels or a URI. One of hmpsh's own commands sends
// nothing; it is compared by name and words (in any order; timeout= does
// not count). migrate's -d is not sent, but it changes what the line
// does: a line that waits fails a step whose answer has -d.

// effect is what a line does, as a lesson compares it.
type effect struct {
	Monitor string      // the monitor it runs on
	Own     string      // one of hmpsh's own commands: its name ("" for a line that sends QMP)
	OwnArgs []string    // its words, sorted, timeout= left out
	Reqs    []canonical // the QMP it sends
	Waits   bool        // it waits for what it started (migrate without -d)
	// Passthrough is the command of a line hmpsh does not translate, sent
	// to QEMU's HMP as it is; Suggest is the command of hmpsh's it may be
	// a typo of.
	Passthrough, Suggest string
}

// canonical is one QMP request in the form lines are compared in.
type canonical struct {
	Execute string
	Args    map[string]any // JSON values, numbers as json.Number
}

// monitorResolver says which monitor a line's "@NAME" ("" for none) goes
// to, and that monitor's QEMU.
type monitorResolver func(name string) (monitor string, t *hmp.Target, err error)

// lineEffect reads what raw (variables already expanded) does. A blank
// line has no effect (nil). The parsed line is returned too.
func lineEffect(sx *hmp.Syntax, raw string, resolve monitorResolver) (*effect, *hmp.Line, error) {
	ln, err := sx.Parse(raw, func(name string) (*hmp.Target, error) {
		_, t, err := resolve(name)
		return t, err
	})
	if err != nil {
		return nil, nil, err
	}
	if ln.Kind == hmp.Blank {
		return nil, ln, nil
	}
	mon, t, err := resolve(ln.Monitor)
	if err != nil {
		return nil, ln, err
	}
	e := &effect{Monitor: mon}
	if ln.Kind == hmp.Builtin {
		e.Own = ln.Builtin.Names()[0]
		for _, w := range ln.Words[1:] {
			if !strings.HasPrefix(w.Text, "timeout=") {
				e.OwnArgs = append(e.OwnArgs, w.Text)
			}
		}
		sort.Strings(e.OwnArgs)
		return e, ln, nil
	}
	tn, err := hmp.Translate(ln, t)
	if err != nil {
		return nil, ln, err
	}
	e.Waits = tn.Wait
	if ln.Kind == hmp.Passthrough {
		e.Passthrough = ln.Name
		if !t.IsHMPCommand(ln.Name) {
			e.Suggest = suggest.Closest(ln.Name, append(sx.Table.Names(), sx.BuiltinNames()...))
		}
	}
	for _, r := range tn.Requests {
		c, err := canonicalize(r, t)
		if err != nil {
			return nil, ln, err
		}
		e.Reqs = append(e.Reqs, c)
	}
	return e, ln, nil
}

// decodeJSON reads JSON keeping numbers as written.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

// canonicalize puts a request in the compared form: a "uri" that the
// channel syntax reads becomes the "channels" list it means, and an HMP
// passthrough's command line has its white space made single.
func canonicalize(r qmp.Request, t *hmp.Target) (canonical, error) {
	data, err := r.MarshalJSON()
	if err != nil {
		return canonical{}, err
	}
	var req struct {
		Execute   string         `json:"execute"`
		ExecOOB   string         `json:"exec-oob"`
		Arguments map[string]any `json:"arguments"`
	}
	if err := decodeJSON(data, &req); err != nil {
		return canonical{}, err
	}
	c := canonical{Execute: req.Execute, Args: req.Arguments}
	if c.Execute == "" {
		c.Execute = req.ExecOOB
	}
	if c.Args == nil {
		c.Args = map[string]any{}
	}
	if uri, ok := c.Args["uri"].(string); ok && c.Args["channels"] == nil {
		if cs := t.Channels(); cs != nil {
			if _, obj, err := cs.Parse(uri); err == nil {
				b, err := obj.MarshalJSON()
				var ch any
				if err == nil && decodeJSON(b, &ch) == nil {
					delete(c.Args, "uri")
					c.Args["channels"] = []any{ch}
				}
			}
		}
	}
	if cl, ok := c.Args["command-line"].(string); ok && c.Execute == "human-monitor-command" {
		c.Args["command-line"] = strings.Join(strings.Fields(cl), " ")
	}
	return c, nil
}

// sameEffect reports whether mine does what want does; when not, why
// says how mine differs, without telling want's values.
func sameEffect(mine, want *effect) (same bool, why string) {
	switch {
	case mine.Own == "" && want.Own != "":
		return false, "this step is done with one of hmpsh's own commands (they start with a dot), not by sending QEMU a command"
	case mine.Own != "" && want.Own == "":
		return false, fmt.Sprintf("%s sends nothing to QEMU; this step needs a line that does", mine.Own)
	case mine.Monitor != want.Monitor:
		return false, fmt.Sprintf("your line runs on %s; this step is about %s (start the line with @%s)", mine.Monitor, want.Monitor, want.Monitor)
	case mine.Own != "" && mine.Own != want.Own:
		return false, fmt.Sprintf("this step needs another of hmpsh's commands than %s", mine.Own)
	case mine.Own != "":
		if !slices.Equal(mine.OwnArgs, want.OwnArgs) {
			return false, fmt.Sprintf("%s is the right command, with other arguments than the task asks for", mine.Own)
		}
		return true, ""
	case len(mine.Reqs) != len(want.Reqs):
		return false, fmt.Sprintf("your line sends %d QMP commands; this step needs %d", len(mine.Reqs), len(want.Reqs))
	}
	for i, m := range mine.Reqs {
		w := want.Reqs[i]
		if m.Execute != w.Execute && mine.Passthrough != "" {
			why := fmt.Sprintf("%s is not a command hmpsh translates; it would go to QEMU's HMP as it is", mine.Passthrough)
			if mine.Suggest != "" {
				why += fmt.Sprintf(" (did you mean %q?)", mine.Suggest)
			}
			return false, why + "; this step needs another command"
		}
		if m.Execute != w.Execute {
			return false, fmt.Sprintf("your line sends QMP %s; this step needs another command", m.Execute)
		}
		var ds []difference
		diffJSON(nil, m.Args, w.Args, &ds)
		if len(ds) > 0 {
			return false, explainDifferences(m.Execute, ds)
		}
	}
	// -d sends nothing, but a line that waits cannot do what needs the
	// migration running in the background; the other way round, the
	// step's checks wait for what is needed.
	if mine.Waits && !want.Waits {
		return false, "your line waits until the migration is over; this step needs it to go on in the background (-d)"
	}
	return true, ""
}

type diffKind int

const (
	otherValue diffKind = iota // the key is there with another value
	missingKey                 // the answer has the key, the line not
	extraKey                   // the line has the key, the answer not
)

// difference is one place where a line's arguments differ from the
// answer's.
type difference struct {
	path []string // keys, and "[N]" for list elements
	kind diffKind
	mine any // the line's value (otherValue, extraKey)
	want any // the answer's (otherValue): never shown, it is the answer
}

// diffJSON lists where mine differs from want.
func diffJSON(path []string, mine, want any, out *[]difference) {
	at := func(seg string) []string { return append(slices.Clip(path), seg) }
	switch w := want.(type) {
	case map[string]any:
		m, ok := mine.(map[string]any)
		if !ok {
			break
		}
		for _, k := range slices.Sorted(maps.Keys(w)) {
			if mv, ok := m[k]; ok {
				diffJSON(at(k), mv, w[k], out)
			} else {
				*out = append(*out, difference{path: at(k), kind: missingKey})
			}
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if _, ok := w[k]; !ok {
				*out = append(*out, difference{path: at(k), kind: extraKey, mine: m[k]})
			}
		}
		return
	case []any:
		m, ok := mine.([]any)
		if !ok || len(m) != len(w) {
			break
		}
		var inner []difference
		for i := range w {
			diffJSON(at(fmt.Sprintf("[%d]", i)), m[i], w[i], &inner)
		}
		if len(inner) == 0 {
			return
		}
		// A list of objects (channels) is told key by key; a list of
		// words (exec's args) reads best whole.
		if _, objects := w[0].(map[string]any); objects {
			*out = append(*out, inner...)
			return
		}
	case json.Number:
		if m, ok := mine.(json.Number); ok && sameNumber(m, w) {
			return
		}
	default:
		if mine == want {
			return
		}
	}
	*out = append(*out, difference{path: path, kind: otherValue, mine: mine, want: want})
}

func sameNumber(a, b json.Number) bool {
	if a == b {
		return true
	}
	x, ok1 := new(big.Rat).SetString(string(a))
	y, ok2 := new(big.Rat).SetString(string(b))
	return ok1 && ok2 && x.Cmp(y) == 0
}

// keyName names an argument the way a person writes it: a CHANNEL key
// ("channel key path"), or the QMP argument's path ("capabilities[0].state").
func keyName(path []string) string {
	if len(path) >= 3 && path[0] == "channels" {
		switch {
		case path[2] == "addr" && len(path) > 3:
			return "channel key " + joinPath(path[3:])
		case path[2] == "addr":
			return "the channel's address"
		default:
			return "channel key " + joinPath(path[2:])
		}
	}
	if len(path) == 0 {
		return "the arguments"
	}
	return "argument " + joinPath(path)
}

func joinPath(path []string) string {
	var b strings.Builder
	for i, p := range path {
		if i > 0 && !strings.HasPrefix(p, "[") {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// explainDifferences says how a line's arguments differ, the most telling
// first: a union's tag (transport=, type=) decides which other keys there
// are, so when one differs it is all that is said.
func explainDifferences(command string, ds []difference) string {
	isTag := func(d difference) bool {
		last := d.path[len(d.path)-1]
		return d.kind == otherValue && (last == "transport" || last == "type")
	}
	var tags []difference
	for _, d := range ds {
		if len(d.path) > 0 && isTag(d) {
			tags = append(tags, d)
		}
	}
	if len(tags) > 0 {
		ds = tags
	}
	slices.SortStableFunc(ds, func(a, b difference) int { return int(a.kind) - int(b.kind) })
	var parts []string
	for i, d := range ds {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(ds)-3))
			break
		}
		name := keyName(d.path)
		switch d.kind {
		case otherValue:
			parts = append(parts, fmt.Sprintf("%s is %s in your line; the task needs another value", name, showJSON(d.mine)))
			if shellArgv(d) {
				parts = append(parts, "an exec: URI always runs its command with /bin/sh -c, where an exec CHANNEL's args run the program itself")
			}
		case missingKey:
			parts = append(parts, fmt.Sprintf("your line leaves out %s", name))
		case extraKey:
			parts = append(parts, fmt.Sprintf("your line sets %s, which the task does not ask for", name))
		}
	}
	return fmt.Sprintf("%s is the right command, but %s", command, strings.Join(parts, "; "))
}

func showJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// shellArgv: the line's exec args are a shell's, as an exec: URI's are,
// and the answer's are not.
func shellArgv(d difference) bool {
	isShell := func(v any) bool {
		args, ok := v.([]any)
		return ok && len(args) == 3 && args[0] == "/bin/sh" && args[1] == "-c"
	}
	return len(d.path) > 0 && d.path[len(d.path)-1] == "args" && isShell(d.mine) && !isShell(d.want)
}

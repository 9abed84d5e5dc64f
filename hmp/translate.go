package hmp

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/split"
)

// Kind says how a line was understood.
type Kind int

const (
	Native      Kind = iota // a command of hmpsh's table
	Passthrough             // another HMP command, sent as human-monitor-command
	QMPLine                 // a QMP command name with key=value arguments
	RawJSON                 // a line of JSON, sent as typed
	Empty                   // nothing to do (blank line)
)

// Translation is what one line becomes.
type Translation struct {
	Kind     Kind
	Command  *Command // for Native
	Call     *Call    // for Native
	Requests []qmp.Request
	// Wait: run for real, the line waits for what it started (a
	// synchronous migrate).
	Wait bool
}

// Translator turns lines into QMP for a target, using a command table.
type Translator struct {
	Table *Table
}

// NewTranslator uses the standard table.
func NewTranslator() *Translator { return &Translator{Table: DefaultTable()} }

// Translate reads one HMP line and returns the QMP it means on target t.
func (tr *Translator) Translate(line string, t *Target) (*Translation, error) {
	trimmed := strings.TrimSpace(line)
	if trimmed == "" {
		return &Translation{Kind: Empty}, nil
	}
	if strings.HasPrefix(trimmed, "{") {
		return rawJSON(trimmed)
	}
	words, err := split.Words(trimmed)
	if err != nil {
		return nil, err
	}
	cmd, rest := tr.Table.Lookup(words)
	if cmd != nil {
		c, err := cmd.parse(rest)
		if err != nil {
			return nil, err
		}
		c.Line, c.Target = trimmed, t
		reqs, err := cmd.Translate(c)
		if err != nil {
			return nil, err
		}
		tn := &Translation{Kind: Native, Command: cmd, Call: c, Requests: reqs}
		if cmd.Wait != nil {
			tn.Wait = cmd.Wait(c)
		}
		return tn, nil
	}
	name := words[0].Text
	if t.Schema.Command(name) != nil && !t.IsHMPCommand(name) {
		return qmpLine(name, words[1:], t)
	}
	return &Translation{Kind: Passthrough, Requests: []qmp.Request{{
		Execute:   "human-monitor-command",
		Arguments: qmp.Object{{Name: "command-line", Value: trimmed}},
	}}}, nil
}

func rawJSON(line string) (*Translation, error) {
	var req struct {
		Execute   *string        `json:"execute"`
		ExecOOB   *string        `json:"exec-oob"`
		Arguments map[string]any `json:"arguments"`
	}
	dec := json.NewDecoder(strings.NewReader(line))
	if err := dec.Decode(&req); err != nil {
		return nil, fmt.Errorf("JSON line: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("JSON line: more than one value")
	}
	name := req.Execute
	if name == nil {
		name = req.ExecOOB
	}
	if name == nil || *name == "" {
		return nil, fmt.Errorf(`JSON line: no "execute"; want {"execute":"NAME","arguments":{...}}`)
	}
	return &Translation{Kind: RawJSON, Requests: []qmp.Request{{Execute: *name, Raw: json.RawMessage(line)}}}, nil
}

// qmpLine converts "query-status" or "migrate-set-parameters
// max-bandwidth=1G downtime-limit=300": each word is a KEY=VALUE, typed by
// the schema (a QAPI str stays a string; qmp-shell would guess a number).
func qmpLine(name string, words []split.Word, t *Target) (*Translation, error) {
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
	return &Translation{Kind: QMPLine, Requests: []qmp.Request{{Execute: name, Arguments: args}}}, nil
}

// Table is the set of commands hmpsh translates itself.
type Table struct {
	Commands []*Command
	byName   map[string]*Command
}

// NewTable indexes commands by name and alias.
func NewTable(cmds []*Command) (*Table, error) {
	t := &Table{Commands: cmds, byName: map[string]*Command{}}
	for _, c := range cmds {
		ps, err := parseParams(c.Params)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		c.params = ps
		if len(c.Examples) == 0 {
			return nil, fmt.Errorf("%s: no example in the table entry", c.Name)
		}
		for _, n := range append([]string{c.Name}, c.Aliases...) {
			if t.byName[n] != nil {
				return nil, fmt.Errorf("%s: name %q used twice", c.Name, n)
			}
			t.byName[n] = c
		}
	}
	return t, nil
}

// Lookup finds the command a line starts with ("info migrate" is two
// words) and returns it with the remaining words.
func (t *Table) Lookup(words []split.Word) (*Command, []split.Word) {
	if len(words) == 0 {
		return nil, nil
	}
	if words[0].Text == "info" && len(words) > 1 {
		if c := t.byName["info "+words[1].Text]; c != nil {
			return c, words[2:]
		}
		return nil, nil
	}
	if c := t.byName[words[0].Text]; c != nil && !strings.HasPrefix(c.Name, "info ") {
		return c, words[1:]
	}
	return nil, nil
}

// Get finds a command by name or alias ("info migrate" included).
func (t *Table) Get(name string) *Command { return t.byName[name] }

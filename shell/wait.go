package shell

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/internal/suggest"
	"github.com/hmpsh/hmpsh/qmp"
)

// defaultWait is how long a .wait waits without timeout=.
const defaultWait = 30 * time.Second

// waitKinds are what .wait waits for.
var waitKinds = []string{"status", "event", "migration"}

// waitArgValues completes the words after .wait KIND from the target's
// schema: run states, event names, then the event's data keys.
func waitArgValues(t *hmp.Target, before []string, cur string) []string {
	if len(before) == 0 {
		return nil
	}
	var out []string
	var args []string
	for _, w := range before[1:] {
		if !strings.HasPrefix(w, "timeout=") {
			args = append(args, w)
		}
	}
	switch {
	case t == nil:
	case before[0] == "status" && len(args) == 0:
		out = append(out, runStates(t)...)
	case before[0] == "event" && len(args) == 0:
		for _, e := range eventEntities(t) {
			out = append(out, e.Name)
		}
	case before[0] == "event":
		s := t.Schema
		ev := s.Entity(args[0])
		if ev == nil || ev.MetaType != "event" || ev.ArgEntity == nil {
			break
		}
		key, _, typed := strings.Cut(cur, "=")
		for _, name := range s.MemberNames(ev.ArgEntity) {
			m, _ := s.Member(ev.ArgEntity, name)
			if e := m.TypeEntity; typed && name == key && e != nil && e.MetaType == "enum" {
				for _, v := range e.Values {
					out = append(out, name+"="+v)
				}
				continue
			}
			out = append(out, name+"=")
		}
	}
	return append(out, "timeout=")
}

func runStates(t *hmp.Target) []string {
	s := t.Schema
	if c := s.Command("query-status"); c != nil {
		if e := s.Path(c.RetEntity, "status"); e != nil {
			return e.Values
		}
	}
	return nil
}

func eventEntities(t *hmp.Target) []*qmp.Entity {
	return t.Schema.Find(func(e *qmp.Entity) bool { return e.MetaType == "event" })
}

// waitSpec is a .wait line, read the same way by a run and a dry run.
type waitSpec struct {
	what    string // status, event, migration
	arg     string // the status, or the event's name
	match   []keyMatch
	timeout time.Duration
	limit   string // the timeout as written, "30s" by default
}

// keyMatch is KEY=VALUE of .wait event: a dotted path into the event's
// data and the value it must have, as text.
type keyMatch struct {
	path  []string
	value string
}

// String is what was awaited, for messages: "status running",
// "event MIGRATION status=completed".
func (w *waitSpec) String() string {
	s := w.what
	if w.arg != "" {
		s += " " + w.arg
	}
	for _, m := range w.match {
		s += " " + strings.Join(m.path, ".") + "=" + m.value
	}
	return s
}

// parseWait reads the words after .wait.
func parseWait(what, rest string) (*waitSpec, error) {
	w := &waitSpec{what: what, timeout: defaultWait, limit: "30s"}
	var words []string
	for _, word := range strings.Fields(rest) {
		if v, ok := strings.CutPrefix(word, "timeout="); ok {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return nil, fmt.Errorf(".wait: timeout=%s: want a duration such as 30s, 2m or 500ms", v)
			}
			w.timeout, w.limit = d, v
			continue
		}
		words = append(words, word)
	}
	switch what {
	case "status":
		if len(words) != 1 {
			return nil, fmt.Errorf(".wait status: want one STATUS (running, paused, postmigrate, inmigrate, ...); usage: .wait status STATUS [timeout=DURATION]")
		}
		w.arg = words[0]
	case "event":
		if len(words) == 0 {
			return nil, fmt.Errorf(".wait event: want an event NAME; usage: .wait event NAME [KEY=VALUE]... [timeout=DURATION]")
		}
		w.arg = words[0]
		for _, kv := range words[1:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return nil, fmt.Errorf(".wait event: %q: want KEY=VALUE (a dotted KEY reaches a nested member: info.status=completed)", kv)
			}
			w.match = append(w.match, keyMatch{path: strings.Split(k, "."), value: v})
		}
	case "migration":
		if len(words) != 0 {
			return nil, fmt.Errorf(".wait migration: unexpected %q; usage: .wait migration [timeout=DURATION]", words[0])
		}
	default:
		msg := fmt.Sprintf(".wait: %q: want status, event or migration", what)
		if s := suggest.Closest(what, waitKinds); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return nil, errors.New(msg)
	}
	return w, nil
}

func waitCall(c *hmp.Call) (*waitSpec, error) {
	what, _ := c.Arg("what")
	rest, _ := c.Arg("args")
	return parseWait(what, rest)
}

// dryWait checks a .wait line and shows it with what it would do: a dry
// run waits for nothing.
func dryWait(s *Session, ln *hmp.Line) error {
	w, err := waitCall(ln.Call)
	if err != nil {
		return err
	}
	if err := w.check(s.dry); err != nil {
		return err
	}
	s.pr.notice(ln.Prefix() + ln.Body + "   # " + w.explain())
	return nil
}

// explain says what a wait does, for a dry run.
func (w *waitSpec) explain() string {
	var what string
	switch w.what {
	case "status":
		what = fmt.Sprintf("poll query-status until the status is %s", w.arg)
	case "event":
		what = fmt.Sprintf("wait for event %s", w.arg)
		for i, m := range w.match {
			sep := " with"
			if i > 0 {
				sep = " and"
			}
			what += fmt.Sprintf("%s %s = %q", sep, strings.Join(m.path, "."), m.value)
		}
		what += " (one that came after the previous line was sent counts)"
	case "migration":
		what = "poll query-migrate until the migration has completed, failed or been cancelled"
	}
	return fmt.Sprintf("%s; fail after %s", what, w.limit)
}

func runWait(ctx context.Context, s *Session, c *hmp.Call) error {
	w, err := waitCall(c)
	if err != nil {
		return err
	}
	monitor := ""
	if c.Line != nil {
		monitor = c.Line.Monitor
	}
	m, t, err := s.resolve(ctx, monitor)
	if err != nil {
		return err
	}
	if err := w.check(t); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	var last string
	switch w.what {
	case "status":
		last, err = s.waitStatus(wctx, m, w.arg)
	case "event":
		last, err = s.waitEvent(wctx, m, w)
	case "migration":
		last, err = s.waitMigrationEnd(wctx, m)
	}
	if err != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		if last == "" {
			last = "nothing yet"
		}
		return fmt.Errorf(".wait %s: timed out after %s; last seen: %s", w, w.limit, last)
	}
	return err
}

// check compares what is awaited with what the monitor's QEMU has: its
// schema names the run states, the events and the migration states.
func (w *waitSpec) check(t *hmp.Target) error {
	var names []string
	kind := ""
	switch w.what {
	case "status":
		names, kind = runStates(t), "status"
	case "event":
		for _, e := range eventEntities(t) {
			names = append(names, e.Name)
		}
		kind = "event"
	}
	if len(names) == 0 {
		return nil
	}
	for _, n := range names {
		if n == w.arg {
			return nil
		}
	}
	msg := fmt.Sprintf(".wait %s: this QEMU (%s) has no %s %q", w.what, t.Version(), kind, w.arg)
	if sug := suggest.Closest(w.arg, names); sug != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", sug)
	}
	return errors.New(msg)
}

// waitStatus polls query-status until the VM's status is want.
func (s *Session) waitStatus(ctx context.Context, m *Monitor, want string) (last string, err error) {
	for {
		ret, err := s.call(ctx, m, qmp.Request{Execute: "query-status"})
		if err != nil {
			return last, err
		}
		var st struct {
			Status string `json:"status"`
		}
		if err := json.Unmarshal(ret, &st); err != nil {
			return last, fmt.Errorf("query-status reply: %w", err)
		}
		last = st.Status
		if st.Status == want {
			return last, nil
		}
		if err := s.pause(ctx, m); err != nil {
			return last, err
		}
	}
}

// pause waits one poll interval, or less if ctx ends or m is lost.
func (s *Session) pause(ctx context.Context, m *Monitor) error {
	t := time.NewTimer(s.cfg.Poll)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-m.client.Done():
		return m.up()
	case <-t.C:
		return nil
	}
}

// waitEvent waits for an event of w's name whose data matches w's keys,
// looking first at those that arrived since the previous line was sent,
// and prints it as the normal event line.
func (s *Session) waitEvent(ctx context.Context, m *Monitor, w *waitSpec) (last string, err error) {
	seen := func(ev qmp.Event) string {
		s := ev.Name
		if len(ev.Data) > 0 {
			s += " " + string(compact(ev.Data))
		}
		return s
	}
	if ev, ok := m.events.latest(w.arg); ok {
		last = seen(ev)
	}
	match := func(ev qmp.Event) bool {
		if ev.Name != w.arg {
			return false
		}
		last = seen(ev)
		return w.matches(ev.Data)
	}
	for first := true; ; first = false {
		ev, found, more := m.events.scan(match)
		if found {
			s.pr.awaited(m, s.mons.several(), ev)
			return last, nil
		}
		if first {
			if err := s.eventsSent(ctx, m, w.arg); err != nil {
				return last, err
			}
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-m.client.Done():
			// Events read before the end are in the log: look once more.
			if ev, found, _ := m.events.scan(match); found {
				s.pr.awaited(m, s.mons.several(), ev)
				return last, nil
			}
			return last, m.up()
		case <-more:
		}
	}
}

// eventsSent fails at once a wait for an event QEMU sends only with the
// "events" migration capability on (MIGRATION, MIGRATION_PASS) when it
// is off: no such event can come.
func (s *Session) eventsSent(ctx context.Context, m *Monitor, name string) error {
	if !strings.HasPrefix(name, "MIGRATION") {
		return nil
	}
	ret, err := s.call(ctx, m, qmp.Request{Execute: "query-migrate-capabilities"})
	if err != nil {
		return nil // no answer is no reason to refuse the wait
	}
	var caps []struct {
		Capability string `json:"capability"`
		State      bool   `json:"state"`
	}
	if json.Unmarshal(ret, &caps) != nil {
		return nil
	}
	for _, c := range caps {
		if c.Capability == "events" && !c.State {
			return fmt.Errorf(".wait event %s: QEMU sends %s only with the events capability on; run \"migrate_set_capability events on\" on %s before the migration", name, name, m.Name)
		}
	}
	return nil
}

// matches reports whether an event's data has every KEY=VALUE.
func (w *waitSpec) matches(data json.RawMessage) bool {
	if len(w.match) == 0 {
		return true
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return false
	}
	for _, km := range w.match {
		cur := v
		for _, k := range km.path {
			obj, ok := cur.(map[string]any)
			if !ok {
				return false
			}
			if cur, ok = obj[k]; !ok {
				return false
			}
		}
		if valueText(cur) != km.value {
			return false
		}
	}
	return true
}

// valueText is a JSON value as a person writes it after KEY=.
func valueText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return "null"
	}
	data, _ := json.Marshal(v)
	return string(data)
}

// migrationEnded are the states .wait migration waits for.
var migrationEnded = map[string]bool{"completed": true, "failed": true, "cancelled": true}

// waitMigrationEnd polls query-migrate until the migration has ended, on
// either side, and prints how it ended; failed and cancelled are errors.
func (s *Session) waitMigrationEnd(ctx context.Context, m *Monitor) (last string, err error) {
	for {
		info, err := s.queryMigrate(ctx, m)
		if err != nil {
			return last, err
		}
		last = info.Status
		if migrationEnded[info.Status] {
			return last, s.migrationSummary(info)
		}
		if err := s.pause(ctx, m); err != nil {
			return last, err
		}
	}
}

// runSleep is .sleep DURATION.
func runSleep(ctx context.Context, _ *Session, c *hmp.Call) error {
	d, err := sleepCall(c)
	if err != nil {
		return err
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func sleepCall(c *hmp.Call) (time.Duration, error) {
	v, _ := c.Arg("duration")
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf(".sleep: %q: want a duration such as 500ms, 2s or 1m", v)
	}
	return d, nil
}

func drySleep(s *Session, ln *hmp.Line) error {
	if _, err := sleepCall(ln.Call); err != nil {
		return err
	}
	return showLine(s, ln)
}

package shell

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/qmp"
)

// output is where a session writes: command output, messages, events, and
// a status line redrawn in place at the bottom (a migration's progress).
// One lock serialises every writer, and the writers are read under it: the
// interactive shell swaps them while events arrive.
type output struct {
	mu     sync.Mutex
	out    io.Writer
	err    io.Writer
	events io.Writer
	// status is shown on statusOut below everything else; "" when none.
	status    string
	statusOut io.Writer
	// tee, when set, gets a copy of command output (not events, not
	// messages): --record and check read what a line printed from it.
	tee io.Writer
	// A buffered out is written out delay after a write (when set, see
	// lazyFlush); armed: timer will.
	delay time.Duration
	armed bool
	timer *time.Timer
}

func (o *output) write(w func() io.Writer, s string, teed bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.status != "" {
		io.WriteString(o.statusOut, "\r\033[K")
	}
	io.WriteString(w(), s)
	if teed && o.tee != nil {
		io.WriteString(o.tee, s)
	}
	if o.status != "" {
		io.WriteString(o.statusOut, "\r"+o.status+"\033[K")
	}
	o.wrote()
}

// writeOut writes b to standard output as it is (a dry run's lines).
func (o *output) writeOut(b []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.out.Write(b)
	if o.tee != nil {
		o.tee.Write(b)
	}
	o.wrote()
}

func (o *output) outf(format string, a ...any) {
	o.write(func() io.Writer { return o.out }, fmt.Sprintf(format, a...), true)
}

// errf writes to standard error, after what a buffered standard output
// holds, so that the two stay in order (--trace writes here between a
// line's output and the next).
func (o *output) errf(format string, a ...any) {
	o.write(func() io.Writer { o.flushLocked(); return o.err }, fmt.Sprintf(format, a...), false)
}

func (o *output) eventf(format string, a ...any) {
	o.write(func() io.Writer { return o.events }, fmt.Sprintf(format, a...), false)
	o.wroteEvent()
}

// setTee starts (w) or stops (nil) copying command output to w.
func (o *output) setTee(w io.Writer) {
	o.mu.Lock()
	o.tee = w
	o.mu.Unlock()
}

// setStatus shows text as the status line, or clears it ("").
func (o *output) setStatus(text string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.statusOut == nil {
		return
	}
	switch {
	case text != "":
		io.WriteString(o.statusOut, "\r"+text+"\033[K")
	case o.status != "":
		io.WriteString(o.statusOut, "\r\033[K")
	}
	o.status = text
}

// flush writes out what a buffered standard output holds, before a
// message goes to standard error, so the two stay in order.
func (o *output) flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flushLocked()
}

// printer shows what lines did. It is chosen once per session: text that
// reads like QEMU's HMP, JSON with one value per line for programs, or
// the QMP a dry run would send.
type printer interface {
	// reply shows a command's "return".
	reply(tn *hmp.Translation, ret json.RawMessage) error
	// hmpOutput shows what an HMP command printed (ret is its JSON string).
	hmpOutput(ret json.RawMessage, text string)
	// rawReply shows the reply to a line of JSON, whole.
	rawReply(reply []byte)
	// qmpError shows a QMP error reply where it belongs on standard
	// output (the error itself goes to standard error as well).
	qmpError(err error)
	event(m *Monitor, several bool, ev qmp.Event)
	// awaited shows the event a .wait event found, as output of that line.
	awaited(m *Monitor, several bool, ev qmp.Event)
	// migration shows how a migration that was waited for ended.
	migration(info *MigrationInfo)
	// notice is a message of hmpsh's own about the session ("detached").
	notice(text string)
	// text is what hmpsh's own commands print (help).
	text(s string)
	// echo shows a script's line with its prompt before it runs (--echo).
	echo(prompt, line string)
	monitors(list []monitorRow)
	connected(m *Monitor)
}

// monitorRow is one line of .monitors.
type monitorRow struct {
	Name    string `json:"monitor"`
	Addr    string `json:"address"`
	QEMU    string `json:"qemu"`
	Package string `json:"package,omitempty"`
	State   string `json:"state"`
	Current bool   `json:"current"`
}

// rowOf describes m for .monitors and .connect.
func rowOf(m *Monitor, state string, current bool) monitorRow {
	v := m.Version()
	return monitorRow{Name: m.Name, Addr: m.Addr, QEMU: v.String(), Package: strings.TrimSpace(v.Package), State: state, Current: current}
}

// textPrinter writes output that reads like QEMU's HMP.
type textPrinter struct{ o *output }

func (p textPrinter) reply(tn *hmp.Translation, ret json.RawMessage) error {
	if tn.Command != nil && tn.Command.Format != nil {
		text, err := tn.Command.Format(ret)
		if err != nil {
			return err
		}
		p.o.outf("%s", text)
		return nil
	}
	if t := bytes.TrimSpace(ret); string(t) == "{}" || len(t) == 0 {
		return nil
	}
	p.o.outf("%s", hmp.FormatJSON(ret))
	return nil
}

func (p textPrinter) hmpOutput(_ json.RawMessage, text string) { p.o.outf("%s", text) }
func (p textPrinter) rawReply(reply []byte)                    { p.o.outf("%s\n", reply) }
func (p textPrinter) qmpError(error)                           {}

func (p textPrinter) event(m *Monitor, several bool, ev qmp.Event) {
	p.o.eventf("%s\n", EventLine(m.Name, several, ev))
}

func (p textPrinter) awaited(m *Monitor, several bool, ev qmp.Event) {
	p.o.outf("%s\n", EventLine(m.Name, several, ev))
}

func (p textPrinter) migration(info *MigrationInfo) {
	switch info.Status {
	case "completed":
		p.o.outf("%s\n", Summary(info))
	case "pre-switchover":
		p.o.outf("migration paused before switchover: run migrate_continue pre-switchover\n")
	default:
		p.o.outf("migration %s (info migrate follows it)\n", info.Status)
	}
}

func (p textPrinter) notice(text string)       { p.o.outf("%s\n", text) }
func (p textPrinter) echo(prompt, line string) { p.o.outf("%s%s\n", prompt, line) }
func (p textPrinter) text(s string)            { p.o.outf("%s", s) }

func (p textPrinter) monitors(list []monitorRow) {
	for _, r := range list {
		cur := " "
		if r.Current {
			cur = "*"
		}
		v := r.QEMU
		if r.Package != "" {
			v += " (" + r.Package + ")"
		}
		p.o.outf("%s %-8s %-40s QEMU %-40s %s\n", cur, r.Name, r.Addr, v, r.State)
	}
}

func (p textPrinter) connected(m *Monitor) {
	p.o.outf("connected %s: QEMU %s\n", m.Name, versionString(m.Version()))
}

// EventLine is the one-line text form of an event:
// "event 2026-11-26T07:01:02.345678Z [MONITOR ]NAME {data}". The monitor's
// name is there when the session has several.
func EventLine(monitor string, several bool, ev qmp.Event) string {
	var b strings.Builder
	b.WriteString("event ")
	b.WriteString(ev.Time.UTC().Format("2006-01-02T15:04:05.000000Z"))
	if several {
		b.WriteString(" " + monitor)
	}
	b.WriteString(" " + ev.Name)
	if len(ev.Data) > 0 {
		b.WriteString(" ")
		b.Write(compact(ev.Data))
	}
	return b.String()
}

// jsonPrinter writes one JSON value per line on standard output, for
// programs: replies as QMP sent them, and hmpsh's own output as objects.
// A printer for one monitor's part of "@* LINE" adds a "monitor" member to
// each value, last, where an event has its own.
type jsonPrinter struct {
	o       *output
	monitor string
}

func (p jsonPrinter) value(v any) {
	data, err := json.Marshal(v)
	if err != nil {
		data, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	p.emit(data)
}

// emit writes one JSON value (an object) and a newline.
func (p jsonPrinter) emit(data []byte) {
	if p.monitor != "" {
		data = withMonitor(data, p.monitor)
	}
	p.o.outf("%s\n", data)
}

// withMonitor is the JSON object obj with a last member "monitor":name;
// a value that is not an object is left as it is.
func withMonitor(obj []byte, name string) []byte {
	obj = bytes.TrimSpace(obj)
	if len(obj) < 2 || obj[0] != '{' || obj[len(obj)-1] != '}' {
		return obj
	}
	inner := bytes.TrimSpace(obj[1 : len(obj)-1])
	quoted, _ := json.Marshal(name)
	out := make([]byte, 0, len(obj)+len(quoted)+12)
	out = append(out, obj[:len(obj)-1]...)
	if len(inner) > 0 {
		out = append(out, ',')
	}
	out = append(out, `"monitor":`...)
	out = append(out, quoted...)
	return append(out, '}')
}

func (p jsonPrinter) reply(_ *hmp.Translation, ret json.RawMessage) error {
	p.returned(ret)
	return nil
}

func (p jsonPrinter) returned(ret json.RawMessage) {
	data, _ := (qmp.Object{{Name: "return", Value: qmp.Raw(ret)}}).MarshalJSON()
	p.emit(data)
}

func (p jsonPrinter) hmpOutput(ret json.RawMessage, _ string) { p.returned(ret) }
func (p jsonPrinter) rawReply(reply []byte)                   { p.emit(reply) }

func (p jsonPrinter) qmpError(err error) {
	if qe := qmpError(err); qe != nil {
		p.emit(qe)
	}
}

func (p jsonPrinter) event(m *Monitor, several bool, ev qmp.Event) {
	p.o.eventf("%s\n", eventJSON(m, several, ev))
}

func (p jsonPrinter) awaited(m *Monitor, several bool, ev qmp.Event) {
	// emit adds the monitor, once.
	p.emit(eventJSON(m, several && p.monitor == "", ev))
}

func eventJSON(m *Monitor, several bool, ev qmp.Event) []byte {
	o := qmp.Object{{Name: "event", Value: qmp.Str(ev.Name)}}
	if ev.Data != nil {
		o = append(o, qmp.Field{Name: "data", Value: qmp.Raw(ev.Data)})
	}
	o = append(o, qmp.Field{Name: "timestamp", Value: qmp.Obj(qmp.Object{
		{Name: "seconds", Value: qmp.Int(ev.Time.Unix())}, {Name: "microseconds", Value: qmp.Int(int64(ev.Time.Nanosecond() / 1000))}})})
	if several {
		o = append(o, qmp.Field{Name: "monitor", Value: qmp.Str(m.Name)})
	}
	data, _ := o.MarshalJSON()
	return data
}

// migration is the last query-migrate reply of the wait, as QEMU sent it.
func (p jsonPrinter) migration(info *MigrationInfo) {
	data, _ := (qmp.Object{{Name: "migration", Value: qmp.Raw(info.Raw)}}).MarshalJSON()
	p.emit(data)
}

func (p jsonPrinter) notice(text string) { p.value(map[string]string{"notice": text}) }
func (p jsonPrinter) echo(prompt, line string) {
	p.value(map[string]string{"echo": line, "prompt": prompt})
}
func (p jsonPrinter) text(s string) { p.value(map[string]string{"text": s}) }

func (p jsonPrinter) monitors(list []monitorRow) {
	for _, r := range list {
		p.value(r)
	}
}

func (p jsonPrinter) connected(m *Monitor) {
	p.value(rowOf(m, stateConnected, false))
}

func compact(data []byte) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, data); err != nil {
		return data
	}
	return b.Bytes()
}

// versionString is "10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)".
func versionString(v qmp.Version) string {
	if v.Package == "" {
		return v.String()
	}
	return fmt.Sprintf("%s (%s)", v.String(), strings.TrimSpace(v.Package))
}

// qmpError is err's QMP error reply as the JSON QEMU sent, or nil.
func qmpError(err error) []byte {
	qe, ok := errors.AsType[*qmp.Error](err)
	if !ok {
		return nil
	}
	data, _ := json.Marshal(map[string]*qmp.Error{"error": qe})
	return data
}

// dryPrinter is the text printer of a dry run, whose standard output is
// the QMP each line means: what hmpsh's own commands print goes there as
// "# " comment lines, so that every other line stays one JSON value.
type dryPrinter struct{ textPrinter }

func (p dryPrinter) text(s string) {
	var b strings.Builder
	for line := range strings.Lines(s) {
		b.WriteString(strings.TrimRight("# "+strings.TrimSuffix(line, "\n"), " "))
		b.WriteByte('\n')
	}
	p.o.outf("%s", b.String())
}

func (p dryPrinter) notice(text string)       { p.text(text + "\n") }
func (p dryPrinter) echo(prompt, line string) { p.text(prompt + line + "\n") }

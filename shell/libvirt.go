package shell

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/libvirt"
	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/sandbox"
)

// libvirtPool holds a session's connections to libvirt daemons, one per
// URI, shared by the monitors of that URI's domains. It also remembers
// each URI's running domains for completion, which never waits.
type libvirtPool struct {
	mu      sync.Mutex
	conns   map[string]*libvirt.Conn
	domains map[string][]string // running domains by URI, as last listed
	listing map[string]bool     // a listing for completion is on its way
}

// conn returns the pool's connection to uri, dialling it if there is none
// or it was lost.
func (p *libvirtPool) conn(ctx context.Context, uri string) (*libvirt.Conn, error) {
	p.mu.Lock()
	c := p.conns[uri]
	p.mu.Unlock()
	if c != nil {
		select {
		case <-c.Done():
		default:
			return c, nil
		}
	}
	c, err := libvirt.Dial(ctx, uri)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		p.conns = map[string]*libvirt.Conn{}
	}
	if old := p.conns[uri]; old != nil && old != c {
		select {
		case <-old.Done():
		default:
			// Another line dialled it meanwhile: keep one.
			go c.Close()
			return old, nil
		}
	}
	p.conns[uri] = c
	return c, nil
}

func (p *libvirtPool) remember(uri string, names []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.domains == nil {
		p.domains = map[string][]string{}
	}
	p.domains[uri] = names
}

// known returns uri's running domains as last listed, and has them listed
// again in the background (timeout bounds that), so that the next Tab
// sees a fresh list without this one waiting.
func (p *libvirtPool) known(uri string, timeout time.Duration) []string {
	p.mu.Lock()
	names := p.domains[uri]
	busy := p.listing[uri]
	if !busy {
		if p.listing == nil {
			p.listing = map[string]bool{}
		}
		p.listing[uri] = true
	}
	p.mu.Unlock()
	if !busy {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			if c, err := p.conn(ctx, uri); err == nil {
				if got, err := c.Running(ctx); err == nil {
					p.remember(uri, got)
				}
			}
			p.mu.Lock()
			p.listing[uri] = false
			p.mu.Unlock()
		}()
	}
	return names
}

func (p *libvirtPool) closeAll() {
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// connectLibvirt connects the monitor of one domain, or of every running
// domain for libvirt:*, each named after its domain unless name is given
// (for one domain only).
func (s *Session) connectLibvirt(ctx context.Context, name, addr string) ([]*Monitor, error) {
	a, err := libvirt.ParseAddress(addr)
	if err != nil {
		return nil, err
	}
	if s.dry != nil {
		return nil, fmt.Errorf("a dry run connects to nothing")
	}
	dctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	c, err := s.lv.conn(dctx, a.URI)
	if err != nil {
		return nil, &MonitorError{Name: monitorNameOr(name, a.Domain), Err: err}
	}
	domains := []string{a.Domain}
	if a.Domain == libvirt.AllDomains {
		if name != "" {
			return nil, fmt.Errorf("%s connects every running domain, each named after its domain: give no NAME", addr)
		}
		if domains, err = c.Running(dctx); err != nil {
			return nil, err
		}
		s.lv.remember(a.URI, domains)
		if len(domains) == 0 {
			return nil, fmt.Errorf("%s: no running domain on %s", addr, a.URI)
		}
	}
	var ms []*Monitor
	for _, d := range domains {
		n := name
		if n == "" {
			n = d
		}
		all := a.Domain == libvirt.AllDomains
		if !hmp.ValidName(n) {
			err := fmt.Errorf("domain %q is not a monitor name (letters, digits, - and _): name it with NAME=libvirt:%s", d, d)
			if all {
				// One odd name does not keep the fleet away.
				s.errf("hmpsh: %s: %v; skipped\n", addr, err)
				continue
			}
			return ms, err
		}
		if other := s.libvirtMonitorOf(a.URI, d); other != nil {
			if all {
				continue // connected already, as other
			}
			if other.Name != n {
				return ms, fmt.Errorf("domain %s on %s is monitor %s already", d, a.URI, other.Name)
			}
			return ms, fmt.Errorf("monitor %s is connected to %s; .disconnect %s first", n, other.Addr, n)
		}
		lm, err := c.Monitor(dctx, d)
		if all && errors.Is(err, libvirt.ErrNotRunning) {
			// It stopped between the listing and now: not a running
			// domain any more.
			s.errf("hmpsh: %s: domain %s stopped before it was connected; skipped\n", addr, d)
			continue
		}
		if err != nil {
			return ms, &MonitorError{Name: n, Err: err}
		}
		da := libvirt.Address{Domain: d, URI: a.URI}
		m, err := s.add(&Monitor{Name: n, Addr: da.String(), client: lm})
		if err != nil {
			return ms, err
		}
		ms = append(ms, m)
	}
	if len(ms) == 0 && !alreadyAll(s, a, domains) {
		return nil, fmt.Errorf("%s: no running domain on %s that hmpsh could connect", addr, a.URI)
	}
	return ms, nil
}

// alreadyAll: every domain of a libvirt:* address is a monitor already,
// so that connecting none is no failure.
func alreadyAll(s *Session, a libvirt.Address, domains []string) bool {
	if a.Domain != libvirt.AllDomains {
		return false
	}
	for _, d := range domains {
		if s.libvirtMonitorOf(a.URI, d) == nil {
			return false
		}
	}
	return len(domains) > 0
}

// libvirtMonitorOf is the monitor, still up, of domain on uri, or nil.
func (s *Session) libvirtMonitorOf(uri, domain string) *Monitor {
	for _, m := range s.mons.list() {
		if lm := m.libvirtMonitor(); lm != nil && lm.URI() == uri && lm.Domain() == domain && m.up() == nil {
			return m
		}
	}
	return nil
}

func monitorNameOr(name, domain string) string {
	if name != "" {
		return name
	}
	return domain
}

// libvirtMonitor is m's libvirt backend, or nil for a QMP socket.
func (m *Monitor) libvirtMonitor() *libvirt.Monitor {
	if m == nil {
		return nil
	}
	lm, _ := m.client.(*libvirt.Monitor)
	return lm
}

// Migration commands libvirt keeps to itself, by QMP name, with HMP's.
var libvirtOwned = map[string]string{
	"migrate":                "migrate",
	"migrate-incoming":       "migrate_incoming",
	"migrate-recover":        "migrate_recover",
	"migrate_cancel":         "migrate_cancel",
	"migrate-pause":          "migrate_pause",
	"migrate-continue":       "migrate_continue",
	"migrate-start-postcopy": "migrate_start_postcopy",
}

// Tuning libvirt may set again for its own migrations.
var libvirtTuned = map[string]bool{"migrate-set-parameters": true, "migrate-set-capabilities": true, "migrate_set_speed": true, "migrate_set_downtime": true}

// libvirtCalls is what a translation runs, as QMP names, with the
// arguments of each: an HMP line passed through counts as the HMP
// command it is (its first word, with QMP's spelling).
func libvirtCalls(tn *hmp.Translation) []libvirtCall {
	var out []libvirtCall
	for _, r := range tn.Requests {
		name, args := r.Execute, json.RawMessage(nil)
		if r.Raw != nil {
			var raw struct {
				Execute   string          `json:"execute"`
				Arguments json.RawMessage `json:"arguments"`
			}
			json.Unmarshal(r.Raw, &raw)
			name, args = raw.Execute, raw.Arguments
		} else if len(r.Arguments) > 0 {
			args, _ = json.Marshal(r.Arguments)
		}
		if name == "human-monitor-command" {
			var hm struct {
				CommandLine string `json:"command-line"`
			}
			json.Unmarshal(args, &hm)
			first, _, _ := strings.Cut(strings.TrimSpace(hm.CommandLine), " ")
			for q, h := range libvirtOwned {
				if h == first {
					name, args = q, nil
				}
			}
			switch first {
			case "migrate_set_parameter":
				name = "migrate-set-parameters"
			case "migrate_set_capability":
				name = "migrate-set-capabilities"
			}
		}
		out = append(out, libvirtCall{name, args})
	}
	return out
}

type libvirtCall struct {
	name string
	args json.RawMessage
}

// libvirtPolicy is what libvirt's ownership of a domain means for a line:
// a migration command is refused before anything is sent, with the virsh
// command that does it libvirt's way; tuning goes through with a warning.
func libvirtPolicy(m *Monitor, tn *hmp.Translation) (warning string, err error) {
	lm := m.libvirtMonitor()
	if lm == nil || tn == nil {
		return "", nil
	}
	for _, sc := range libvirtCalls(tn) {
		if hmpName, owned := libvirtOwned[sc.name]; owned {
			virsh, note := virshEquivalent(lm, sc)
			return "", &refusedByLibvirt{Monitor: m.Name, Command: hmpName, Virsh: virsh, Note: note}
		}
		if libvirtTuned[sc.name] {
			warning = tunedWarning([]string{m.Name})
		}
	}
	return warning, nil
}

// tunedWarning is the warning for a tuning line sent to the monitors
// names, all libvirt's.
func tunedWarning(names []string) string {
	verb := "is"
	if len(names) > 1 {
		verb = "are"
	}
	return fmt.Sprintf("warning: %s %s managed by libvirt, which may set migration parameters and capabilities again for its own migrations (virsh migrate's options)", strings.Join(names, ", "), verb)
}

// libvirtRefusal is, for a line its own QEMU cannot take, the refusal it
// would get on a libvirt monitor anyway: a migration over a transport the
// domain's QEMU lacks is still libvirt's business, and virsh's way is
// what the person needs to hear. The line is read for the newest QEMU
// hmpsh knows; nil when that does not make it a refused command.
func (s *Session) libvirtRefusal(raw string, ln *hmp.Line) error {
	if s.dry != nil {
		return nil
	}
	m := s.mons.lookup(ln.Monitor)
	if m.libvirtMonitor() == nil {
		return nil
	}
	newest := s.known.Newest()
	var again hmp.Line
	if err := s.sx.ParseInto(&again, raw, func(string) (*hmp.Target, error) { return newest, nil }); err != nil {
		return nil
	}
	tn, err := hmp.Translate(&again, newest)
	if err != nil {
		return nil
	}
	_, refused := libvirtPolicy(m, tn)
	return refused
}

// refusedByLibvirt is a migration command refused on a libvirt monitor.
type refusedByLibvirt struct {
	Monitor, Command string
	Virsh            string // the virsh command line, or why there is none
	Note             string // about a part of it hmpsh had to guess
}

func (e *refusedByLibvirt) Error() string {
	msg := fmt.Sprintf("%s: not sent: %s is managed by libvirt, which must run both ends of a migration itself (one behind its back leaves libvirt's idea of the domain wrong)\n  libvirt's way: %s",
		e.Command, e.Monitor, e.Virsh)
	if e.Note != "" {
		msg += "\n  (" + e.Note + ")"
	}
	return msg
}

// virshEquivalent is the virsh command line that does what sc asked, on
// the libvirt connection and domain of lm, and a note on what in it is a
// placeholder or has no libvirt form.
func virshEquivalent(lm *libvirt.Monitor, sc libvirtCall) (cmd, note string) {
	virsh := "virsh -c " + shellQuote(lm.URI())
	dom := shellQuote(lm.Domain())
	switch sc.name {
	case "migrate":
		var a struct {
			URI      string `json:"uri"`
			Resume   bool   `json:"resume"`
			Channels []struct {
				Type string          `json:"channel-type"`
				Addr json.RawMessage `json:"addr"`
			} `json:"channels"`
		}
		json.Unmarshal(sc.args, &a)
		if file := migrationFile(a.URI, a.Channels); file != "" {
			return virsh + " save " + dom + " " + shellQuote(file), "libvirt migrates no running domain to a file: virsh save writes its state there and stops it; virsh restore brings it back"
		}
		mig, host, why := "", "", ""
		if a.URI != "" {
			mig, host, why = libvirtURIFromLegacy(a.URI)
		}
		for _, ch := range a.Channels {
			if ch.Type == "" || ch.Type == "main" {
				mig, host, why = libvirtURIFromChannel(ch.Addr)
			}
		}
		dest := "DESTURI"
		note = "DESTURI: the destination host's libvirt, e.g. qemu+ssh://HOST/system"
		if host != "" {
			dest = "qemu+ssh://" + host + "/system"
			note = dest + " stands for the destination host's libvirt: qemu+tcp or qemu+tls work too"
		}
		cmd = virsh + " migrate --live " + dom + " " + dest
		if a.Resume {
			cmd += " --postcopy --postcopy-resume"
		}
		if mig != "" {
			cmd += " --migrateuri " + shellQuote(mig)
		}
		if why != "" {
			note = why
		}
		return cmd, note
	case "migrate-incoming", "migrate-recover":
		return "virsh -c SOURCEURI migrate --live DOMAIN " + shellQuote(lm.URI()), "libvirt starts the destination itself when the source's libvirt migrates a domain here; SOURCEURI is that host's libvirt"
	case "migrate_cancel":
		return virsh + " domjobabort " + dom, ""
	case "migrate-pause":
		return virsh + " domjobabort --postcopy " + dom, ""
	case "migrate-start-postcopy":
		return virsh + " migrate-postcopy " + dom, ""
	case "migrate-continue":
		return virsh + " domjobinfo " + dom, "libvirt moves its own migrations past each pause itself; domjobinfo shows where one is"
	}
	return virsh + " migrate --live " + dom + " DESTURI", ""
}

// migrationFile is the file a migrate's URI or main channel writes to,
// or "".
func migrationFile(uri string, channels []struct {
	Type string          `json:"channel-type"`
	Addr json.RawMessage `json:"addr"`
}) string {
	if rest, ok := strings.CutPrefix(uri, "file:"); ok {
		file, _, _ := strings.Cut(rest, ",")
		return file
	}
	for _, ch := range channels {
		var a struct {
			Transport string `json:"transport"`
			Filename  string `json:"filename"`
		}
		json.Unmarshal(ch.Addr, &a)
		if a.Transport == "file" && (ch.Type == "" || ch.Type == "main") {
			return a.Filename
		}
	}
	return ""
}

// libvirtURIFromChannel is the --migrateuri for a MigrationAddress, the
// destination's host when known, or why there is none.
func libvirtURIFromChannel(addr json.RawMessage) (uri, host, why string) {
	var a struct {
		Transport string `json:"transport"`
		Type      string `json:"type"`
		Host      string `json:"host"`
		Port      string `json:"port"`
		Path      string `json:"path"`
	}
	json.Unmarshal(addr, &a)
	switch {
	case a.Transport == "socket" && a.Type == "inet":
		return "tcp://" + net.JoinHostPort(a.Host, a.Port), a.Host, ""
	case a.Transport == "rdma":
		return "rdma://" + net.JoinHostPort(a.Host, a.Port), a.Host, ""
	case a.Transport == "socket" && a.Type == "unix":
		return "unix://" + a.Path, "", ""
	case a.Transport == "exec":
		return "", "", "libvirt runs no command for a migration; give virsh migrate a tcp --migrateuri"
	}
	return "", "", "libvirt has no migration URI for this channel (" + a.Transport + " " + a.Type + ")"
}

// libvirtURIFromLegacy does the same for a legacy URI.
func libvirtURIFromLegacy(u string) (uri, host, why string) {
	proto, rest, _ := strings.Cut(u, ":")
	switch proto {
	case "tcp", "rdma":
		hp := rest
		if i := strings.IndexByte(hp, ','); i >= 0 {
			hp = hp[:i]
		}
		h, p, err := net.SplitHostPort(hp)
		if err != nil {
			return "", "", ""
		}
		if _, err := strconv.Atoi(p); err != nil {
			return "", "", ""
		}
		return proto + "://" + net.JoinHostPort(h, p), h, ""
	case "unix":
		return "unix://" + rest, "", ""
	case "exec":
		return "", "", "libvirt runs no command for a migration; give virsh migrate a tcp --migrateuri"
	}
	return "", "", "libvirt has no migration URI for " + proto + ":"
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@=+,%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

var _ qmp.Conn = (*libvirt.Monitor)(nil)

// libvirtNote is what .explain adds for a line bound for a libvirt
// monitor: the refusal with its virsh command, or the tuning warning.
func (s *Session) libvirtNote(ctx context.Context, raw, monitor string) string {
	m := s.mons.lookup(monitor)
	if m.libvirtMonitor() == nil || s.dry != nil {
		return ""
	}
	var ln hmp.Line
	tf := func(string) (*hmp.Target, error) { return s.Target(ctx, m) }
	if err := s.sx.ParseInto(&ln, raw, tf); err != nil {
		if refused := s.libvirtRefusal(raw, &ln); refused != nil {
			return "libvirt:     " + refused.Error()
		}
		return ""
	}
	t, err := s.Target(ctx, m)
	if err != nil {
		return ""
	}
	tn, err := hmp.Translate(&ln, t)
	if err != nil {
		if refused := s.libvirtRefusal(raw, &ln); refused != nil {
			return "libvirt:     " + refused.Error()
		}
		return ""
	}
	warning, refused := libvirtPolicy(m, tn)
	if refused != nil {
		return "libvirt:     " + refused.Error()
	}
	if warning != "" {
		return "libvirt:     " + warning
	}
	return ""
}

// useLibvirtSandbox connects the monitors of a libvirt sandbox's domains
// as src and dst. Their events are libvirt's business: unlike the QEMU
// sandbox, hmpsh turns no capability on.
func (s *Session) useLibvirtSandbox(ctx context.Context, sb *sandbox.Libvirt) error {
	for _, d := range []sandbox.Domain{sb.Src, sb.Dst} {
		if _, err := s.connectLibvirt(ctx, d.Name, d.Addr); err != nil {
			return err
		}
	}
	return nil
}

// libvirtSandboxBanner says what was started, what to try on a libvirt
// monitor, and how a migration goes instead: the virsh command line
// hmpsh's refusal of migrate gives for src.
func libvirtSandboxBanner(s *Session, sb *sandbox.Libvirt) string {
	src := s.mons.lookup(sb.Src.Name)
	virsh, note := virshEquivalent(src.libvirtMonitor(), libvirtCall{name: "migrate"})
	// Tried: virsh migrate to qemu:///system and to
	// qemu+tcp://127.0.0.1/system, from qemu:///system.
	where := strings.Join(wrap(note+`. Not to the host src runs on, so not into dst: libvirt refuses that ("Attempt to migrate guest to the same host").`, 79), "\n")
	return fmt.Sprintf(`hmpsh sandbox: two libvirt domains on %s, QEMU %s (TCG, -machine pc, 64 MiB)
  src  %s  running
  dst  %s  running
Lines go to src; "@dst LINE" runs one on dst, ".use dst" switches. libvirt runs
these QEMUs; hmpsh talks to each through libvirt. Lines to try:
  info status
  stop                                       then cont: STOP and RESUME events
                                             (virsh list shows src paused between)
  @* info status
  info migrate_parameters
  migrate_set_parameter downtime-limit 400   sent, with a warning (libvirt may
                                             set it again for its own migrations)
hmpsh sends no migration command to a libvirt domain (migrate, migrate_incoming,
migrate_cancel, ...): libvirt runs both ends of a migration itself, and such a
line is refused with the virsh command that does it. For src's domain:
  %s
%s
help lists the commands; Tab completes; Ctrl-D leaves, and both domains are
destroyed with hmpsh.
`, sb.URI, src.Version(), sb.Src.Addr, sb.Dst.Addr, virsh, where)
}

package complete

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/chzyer/readline"

	"github.com/hmpsh/hmpsh/hmp"
)

// The interactive shell hands a Completer to readline as is.
var _ readline.AutoCompleter = (*Completer)(nil)

// fakeSource is a session with two monitors: src on the newest built-in
// QEMU and old on the oldest (7.2, which has no migration channels).
type fakeSource struct {
	targets  map[string]*hmp.Target
	monitors []string
}

func (f *fakeSource) Syntax() *hmp.Syntax            { return syntax }
func (f *fakeSource) Target(name string) *hmp.Target { return f.targets[name] }
func (f *fakeSource) Monitors() []string             { return f.monitors }

// builtin stands in for the shell's own commands, which this package
// cannot import.
type builtin struct {
	name      string
	params    []hmp.Param
	short     string
	onMonitor bool
}

func (b builtin) Names() []string        { return []string{b.name} }
func (b builtin) ParamList() []hmp.Param { return b.params }
func (b builtin) Usage() string          { return hmp.Usage(b.name, b.params) }
func (b builtin) Summary() string        { return b.short }
func (b builtin) TakesMonitor() bool     { return b.onMonitor }

var syntax = func() *hmp.Syntax {
	name := hmp.Param{Name: "name", Type: hmp.Monitor}
	sx, err := hmp.NewSyntax(hmp.DefaultTable(), []hmp.BuiltinEntry{
		builtin{"help", []hmp.Param{{Name: "command", Type: hmp.CommandName, Optional: true, Rest: true}}, "hmpsh's help for a command, or QEMU's own for the others", true},
		builtin{".use", []hmp.Param{name}, "send lines without @NAME to monitor NAME", false},
		builtin{".monitors", nil, "list the monitors", false},
		builtin{".connect", []hmp.Param{name, {Name: "addr", Type: hmp.Address, Optional: true}}, "connect monitor NAME at ADDR", false},
		builtin{".exit", nil, "leave hmpsh", false},
	})
	if err != nil {
		panic(err)
	}
	return sx
}()

var (
	knownOnce sync.Once
	known     *hmp.Targets
	knownErr  error
)

func knownTargets(t *testing.T) *hmp.Targets {
	t.Helper()
	knownOnce.Do(func() { known, knownErr = hmp.KnownTargets() })
	if knownErr != nil {
		t.Fatal(knownErr)
	}
	return known
}

// completers returns, per built-in QEMU, a completer whose current
// monitor runs that QEMU, with monitors "src" (newest) and "old" (oldest).
func completers(t *testing.T) map[string]*Completer {
	ts := knownTargets(t)
	out := map[string]*Completer{}
	for _, tg := range all(t, ts) {
		out[tg.Version()] = New(&fakeSource{
			targets:  map[string]*hmp.Target{"": tg, "src": ts.Newest(), "old": all(t, ts)[0]},
			monitors: []string{"src", "old"},
		})
	}
	if len(out) < 2 {
		t.Fatalf("want at least two built-in targets, have %d", len(out))
	}
	return out
}

// dryRun is a completer without monitors or targets.
// It loads the built-in schemas and the table itself, once.
var dryRun = sync.OnceValue(func() *Completer { return New(&fakeSource{}) })

func texts(cands []Candidate) []string {
	var out []string
	for _, c := range cands {
		out = append(out, c.Text)
	}
	return out
}

// check completes line at its end and compares the candidates.
func check(t *testing.T, c *Completer, name, line string, want []string) {
	t.Helper()
	cands, n := c.Candidates(line, len(line))
	got := texts(cands)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: Candidates(%q) = %q, want %q", name, line, got, want)
	}
	checkShape(t, line, len(line), cands, n)
}

// checkShape checks what holds for every answer: sorted, unique, each
// candidate extending the prefix before the cursor.
func checkShape(t *testing.T, line string, pos int, cands []Candidate, n int) {
	t.Helper()
	if n < 0 || n > pos {
		t.Fatalf("Candidates(%q, %d): prefix length %d", line, pos, n)
	}
	got := texts(cands)
	if !sort.StringsAreSorted(got) {
		t.Errorf("Candidates(%q): not sorted: %q", line, got)
	}
	if len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Errorf("Candidates(%q): duplicates: %q", line, got)
	}
	for _, c := range got {
		if !strings.HasPrefix(c, line[pos-n:pos]) {
			t.Errorf("Candidates(%q): %q does not extend %q", line, c, line[pos-n:pos])
		}
	}
}

func contains(t *testing.T, c *Completer, name, line string, want, notWant []string) {
	t.Helper()
	cands, n := c.Candidates(line, len(line))
	checkShape(t, line, len(line), cands, n)
	got := texts(cands)
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s: Candidates(%q) lacks %q: %q", name, line, w, got)
		}
	}
	for _, w := range notWant {
		if slices.Contains(got, w) {
			t.Errorf("%s: Candidates(%q) has %q", name, line, w)
		}
	}
}

func TestCommandNames(t *testing.T) {
	for v, c := range completers(t) {
		contains(t, c, v, "", []string{"migrate", "migrate_set_capability", "info", "help", ".use", ".connect", "cont", "c", "q", "quit", "query-status", "balloon"}, []string{"?", "info migrate"})
		contains(t, c, v, "mig", []string{"migrate", "migrate_cancel", "migrate_incoming", "migrate_set_parameter", "migrate-set-parameters", "migrate-incoming"}, []string{"info"})
		check(t, c, v, "migrate_sta", []string{"migrate_start_postcopy "})
		check(t, c, v, "migrate_set_c", []string{"migrate_set_capability "})
		check(t, c, v, "inf", []string{"info "})
		check(t, c, v, ".u", []string{".use "})
		check(t, c, v, "query-statu", []string{"query-status "})
		check(t, c, v, "  query-statu", []string{"query-status "})
		check(t, c, v, "zzz", nil)
		// QEMU's HMP commands come from its help text.
		check(t, c, v, "ballo", []string{"balloon "})
		check(t, c, v, "chardev-ad", []string{"chardev-add "})
		// A complete word followed by a space is not completed again.
		check(t, c, v, "balloon ", nil)
		// After @NAME: that monitor's commands; hmpsh's own do not run there.
		check(t, c, v, "@src .u", nil)
		check(t, c, v, "@src query-statu", []string{"query-status "})
		contains(t, c, v, "@old mig", []string{"migrate", "migrate-incoming"}, nil)
		// QMP commands that are HMP commands too appear once.
		contains(t, c, v, "sto", []string{"stop"}, nil)
	}
	ts := knownTargets(t)
	newest, oldest := completers(t)[ts.Newest().Version()], completers(t)[all(t, ts)[0].Version()]
	// 10.0 has commands 7.2 lacks, and the other way round.
	contains(t, newest, "newest", "migrate-", nil, nil)
	check(t, newest, "newest", "one-insn", []string{"one-insn-per-tb "})
	check(t, oldest, "oldest", "one-insn", nil)
	check(t, newest, "newest", "@old one-insn", nil)
	contains(t, oldest, "oldest", "@src one-insn", []string{"one-insn-per-tb "}, nil)

	// Dry-run without a target: the table and hmpsh's own commands.
	d := dryRun()
	check(t, d, "dry-run", "mig", []string{"migrate", "migrate_cancel", "migrate_continue", "migrate_incoming", "migrate_pause", "migrate_recover", "migrate_set_capability", "migrate_set_parameter", "migrate_start_postcopy"})
	check(t, d, "dry-run", "q", []string{"q", "quit"})
	check(t, d, "dry-run", "query", nil)
	check(t, d, "dry-run", "i", []string{"info "})
	contains(t, d, "dry-run", "", []string{".use", "help", "stop", "c", "cont"}, []string{"balloon"})
}

func TestInfo(t *testing.T) {
	for v, c := range completers(t) {
		check(t, c, v, "info mi", []string{"mice", "migrate", "migrate_capabilities", "migrate_parameters"})
		check(t, c, v, "info migrate_p", []string{"migrate_parameters "})
		check(t, c, v, "info  statu", []string{"status "})
		contains(t, c, v, "info ", []string{"status", "migrate", "block", "version"}, []string{"info"})
		check(t, c, v, "help info migrate_c", []string{"migrate_capabilities "})
		check(t, c, v, "info status ", nil)
	}
	check(t, dryRun(), "dry-run", "info mi", []string{"migrate", "migrate_capabilities", "migrate_parameters"})
}

func TestHelpCommand(t *testing.T) {
	for v, c := range completers(t) {
		check(t, c, v, "help migrate_s", []string{"migrate_set_capability", "migrate_set_parameter", "migrate_start_postcopy"})
		check(t, c, v, "help .u", []string{".use "})
		check(t, c, v, "help ballo", []string{"balloon "})
		// help knows HMP, not QMP.
		check(t, c, v, "help query-statu", nil)
		// help COMMAND KEY: the command's flags and the names it takes.
		contains(t, c, v, "help migrate ", []string{"-d", "host", "port", "args", "filename", "channel-type", "socket", "file"}, []string{"xbzrle"})
		check(t, c, v, "help migrate_set_parameter max-b", []string{"max-bandwidth "})
		check(t, c, v, "help migrate_set_capability xbz", []string{"xbzrle "})
		check(t, c, v, "help migrate_set_capability xbzrle ", nil)
		check(t, c, v, "help info status ", nil)
		check(t, c, v, "help savevm ", nil)
	}
}

func TestMonitors(t *testing.T) {
	for v, c := range completers(t) {
		check(t, c, v, "@", []string{"@*", "@old", "@src"})
		check(t, c, v, "@*", []string{"@* "})
		check(t, c, v, "@s", []string{"@src "})
		check(t, c, v, "  @o", []string{"@old "})
		check(t, c, v, "@x", nil)
		check(t, c, v, ".use ", []string{"old", "src"})
		check(t, c, v, ".use s", []string{"src "})
		check(t, c, v, ".connect o", []string{"old "})
		contains(t, c, v, ".connect ", []string{"libvirt:", "old", "src"}, nil)
		check(t, c, v, ".connect l", []string{"libvirt:"})
		check(t, c, v, ".connect old ", []string{"libvirt:", "tcp:", "unix:"})
		check(t, c, v, ".connect old lib", []string{"libvirt:"})
		check(t, c, v, ".monitors ", nil)
		check(t, c, v, "@src .use ", nil)
	}
	check(t, dryRun(), "dry-run", "@", nil)
}

func TestFlags(t *testing.T) {
	for v, c := range completers(t) {
		check(t, c, v, "migrate -", []string{"-b", "-c", "-d", "-i", "-r"})
		check(t, c, v, "migrate -d -", []string{"-b", "-c", "-i", "-r"})
		check(t, c, v, "migrate -d -r -b -i -", []string{"-c "})
		// -c may be repeated.
		check(t, c, v, "migrate -c socket,type=unix,path=/a -", []string{"-b", "-c", "-d", "-i", "-r"})
		check(t, c, v, "migrate_incoming -", []string{"-c "})
		check(t, c, v, "migrate_incoming -c x -", nil)
		check(t, c, v, "migrate_set_capability -", nil)
		// The empty word: flags and the positional's values.
		check(t, c, v, "migrate ", []string{"-b", "-c", "-d", "-i", "-r", "exec:", "fd:", "file:", "rdma:", "tcp:", "unix:", "vsock:"})
		check(t, c, v, "migrate t", []string{"tcp:"})
		check(t, c, v, "migrate_incoming ", []string{"-c", "exec:", "fd:", "file:", "rdma:", "tcp:", "unix:", "vsock:"})
		// After the positional, nothing.
		check(t, c, v, "migrate tcp:h:1 ", nil)
		check(t, c, v, "migrate -- -", nil)
	}
}

// The channel syntax completes the same on every target: a QEMU without
// channels (7.2) takes them as URIs, so the syntax is the newest schema's.
func TestChannel(t *testing.T) {
	cs := completers(t)
	cs["dry-run"] = dryRun()
	tests := []struct {
		line string
		want []string
	}{
		{"migrate -c ", []string{"exec", "file", "rdma", "socket"}},
		{"migrate -c s", []string{"socket"}}, // no space: a CHANNEL goes on with ","
		{"migrate -d -c r", []string{"rdma"}},
		{"migrate_incoming -c f", []string{"file"}},
		{"migrate_recover -c e", []string{"exec"}},
		{"migrate -c socket,type=", []string{"fd", "inet", "unix", "vsock"}},
		{"migrate -c socket,type=u", []string{"unix"}},
		{"migrate -c socket,ty", []string{"type="}},
		// Without the type, the keys of every socket type.
		{"migrate -c socket,t", []string{"tight", "to", "type"}},
		{"migrate -c socket,type=inet,", []string{"channel-type", "host", "ipv4", "ipv6", "keep-alive", "mptcp", "numeric", "port", "to"}},
		{"migrate -c socket,type=inet,host=h,", []string{"channel-type", "ipv4", "ipv6", "keep-alive", "mptcp", "numeric", "port", "to"}},
		{"migrate -c socket,type=inet,host=h,port=1,channel-type=main,n", []string{"numeric="}},
		{"migrate -c socket,type=unix,", []string{"abstract", "channel-type", "path", "tight"}},
		{"migrate -c socket,type=vsock,", []string{"channel-type", "cid", "port"}},
		{"migrate -c socket,type=fd,", []string{"channel-type", "str"}},
		{"migrate -c exec,", []string{"args", "channel-type"}},
		{"migrate -c rdma,", []string{"channel-type", "host", "ipv4", "ipv6", "keep-alive", "mptcp", "numeric", "port", "to"}},
		{"migrate -c file,", []string{"channel-type", "filename", "offset"}},
		{"migrate -c file,o", []string{"offset="}},
		{"migrate -c transport=file,o", []string{"offset="}},
		{"migrate -c transport=", []string{"exec", "file", "rdma", "socket"}},
		{"migrate -c channel-type=", []string{"cpr", "main"}},
		{"migrate -c socket,type=unix,path=/x,channel-type=c", []string{"cpr"}},
		{"migrate -c socket,type=inet,keep-alive=", []string{"off", "on"}},
		{"migrate -c socket,type=inet,keep-alive=o", []string{"off", "on"}},
		{"migrate -c socket,type=unix,abstract=of", []string{"off"}},
		{"migrate -c socket,type=inet,host=", nil},
		{"migrate -c socket,type=inet,nosuch=", nil},
		// An unknown transport has no keys but channel-type.
		{"migrate -c bogus,", []string{"channel-type="}},
		// ",," is a comma inside a value, not the start of a key.
		{"migrate -c socket,type=unix,path=/a,,", nil},
		{"migrate -c socket,type=unix,path=/a,,b,", []string{"abstract", "channel-type", "tight"}},
		// In double quotes, as a CHANNEL with spaces is written.
		{`migrate -c "exec,`, []string{"args", "channel-type"}},
		{`migrate -c "socket,type=inet,keep-a`, []string{"keep-alive="}},
		{`migrate -c "socket,ty`, []string{"type="}},
		// A legacy URI after -c.
		{"migrate -c tc", []string{"tcp:"}},
		{"migrate -c tcp:", nil},
		{"migrate -c f", []string{"file"}}, // a transport before a protocol (fd:)
		// After a CHANNEL, more flags.
		{"migrate -c socket -", []string{"-b", "-c", "-d", "-i", "-r"}},
	}
	for v, c := range cs {
		for _, tt := range tests {
			check(t, c, v, tt.line, tt.want)
		}
	}
}

func TestCapabilitiesAndParameters(t *testing.T) {
	ts := knownTargets(t)
	cs := completers(t)
	newest, oldest := cs[ts.Newest().Version()], cs[all(t, ts)[0].Version()]
	for v, c := range cs {
		contains(t, c, v, "migrate_set_capability ", []string{"xbzrle", "postcopy-ram", "multifd", "pause-before-switchover"}, []string{"on"})
		check(t, c, v, "migrate_set_capability xbz", []string{"xbzrle "})
		check(t, c, v, "migrate_set_capability xbzrle ", []string{"off", "on"})
		check(t, c, v, "migrate_set_capability xbzrle of", []string{"off "})
		check(t, c, v, "migrate_set_capability xbzrle on ", nil)
		contains(t, c, v, "migrate_set_parameter ", []string{"max-bandwidth", "downtime-limit", "multifd-channels", "tls-creds"}, []string{"block-bitmap-mapping"})
		check(t, c, v, "migrate_set_parameter max-b", []string{"max-bandwidth "})
		check(t, c, v, "migrate_set_parameter multifd-compression ", []string{"none", "zlib", "zstd"})
		check(t, c, v, "migrate_set_parameter multifd-compression zs", []string{"zstd "})
		check(t, c, v, "migrate_set_parameter max-bandwidth ", nil)
		check(t, c, v, "migrate_set_parameter nosuch ", nil)
		contains(t, c, v, "migrate_continue ", []string{"pre-switchover", "active", "completed"}, nil)
		check(t, c, v, "migrate_continue pre-s", []string{"pre-switchover "})
	}
	// Each target's own names.
	check(t, newest, "newest", "migrate_set_capability mapped", []string{"mapped-ram "})
	check(t, oldest, "oldest", "migrate_set_capability mapped", nil)
	check(t, oldest, "oldest", "migrate_set_capability compr", []string{"compress "})
	check(t, newest, "newest", "migrate_set_capability compr", nil)
	check(t, oldest, "oldest", "@src migrate_set_capability mapped", []string{"mapped-ram "})
	check(t, newest, "newest", "migrate_set_parameter direct-io ", []string{"off", "on"})
	check(t, newest, "newest", "migrate_set_parameter mode ", []string{"cpr-reboot", "cpr-transfer", "normal"})
	check(t, oldest, "oldest", "migrate_set_parameter mode ", nil)
	// Dry-run without a target: the newest built-in schema.
	check(t, dryRun(), "dry-run", "migrate_set_capability mapped", []string{"mapped-ram "})
}

func TestQMPLine(t *testing.T) {
	for v, c := range completers(t) {
		check(t, c, v, "migrate-set-parameters max-b", []string{"max-bandwidth="})
		check(t, c, v, "migrate-set-parameters max-bandwidth=1G max-b", nil)
		check(t, c, v, "migrate-set-parameters multifd-compression=z", []string{"zlib", "zstd"})
		check(t, c, v, "migrate-set-parameters multifd-compression=zl", []string{"zlib "})
		check(t, c, v, "migrate-set-capabilities c", []string{"capabilities."})
		check(t, c, v, "migrate-set-capabilities capabilities.", []string{"capabilities.0."})
		check(t, c, v, "migrate-set-capabilities capabilities.0.", []string{"capabilities.0.capability", "capabilities.0.state"})
		check(t, c, v, "migrate-set-capabilities capabilities.0.capability=xbzrle capabilities.0.s", []string{"capabilities.0.state="})
		check(t, c, v, "migrate-set-capabilities capabilities.0.capability=xbzrle capabilities.0.state=on capabilities.", []string{"capabilities.0", "capabilities.1"})
		check(t, c, v, "migrate-set-capabilities capabilities.0.capability=xbz", []string{"xbzrle "})
		check(t, c, v, "migrate-set-capabilities capabilities.0.state=o", []string{"off", "on"})
		check(t, c, v, "query-status ", nil)
		check(t, c, v, "query-status x", nil)
		check(t, c, v, "migrate-continue state=pre-s", []string{"pre-switchover "})
	}
	ts := knownTargets(t)
	newest := completers(t)[ts.Newest().Version()]
	check(t, newest, "newest", "migrate-incoming channels.0.", []string{"channels.0.addr", "channels.0.channel-type"})
	check(t, newest, "newest", "migrate-incoming channels.0.a", []string{"channels.0.addr."})
	check(t, newest, "newest", "migrate-incoming channels.0.addr.tr", []string{"channels.0.addr.transport="})
	check(t, newest, "newest", "migrate-incoming channels.0.addr.transport=e", []string{"exec "})
	check(t, newest, "newest", "migrate-incoming channels.0.addr.transport=exec channels.0.addr.", []string{"channels.0.addr.args."})
	check(t, newest, "newest", "migrate-incoming channels.0.addr.transport=socket channels.0.addr.type=unix channels.0.addr.", []string{
		"channels.0.addr.abstract", "channels.0.addr.path", "channels.0.addr.tight"})
	// A QMP command that is an HMP command too is HMP: no keys.
	check(t, newest, "newest", "balloon v", nil)
	// Dry-run without a target cannot tell QMP lines.
	check(t, dryRun(), "dry-run", "migrate-set-parameters max-b", nil)
}

func TestPaths(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"dir", "alp dir"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"alpha", "beta,gamma", ".hidden", `q"uote`, "dir/inner.mig", "é1", "é2"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(dir, "dir"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		line string
		want []string
	}{
		// Unquoted: a name with a space cannot be written; a comma doubles.
		{"migrate -c file,filename=" + dir + "/", []string{"alpha", "beta,,gamma", "dir/", "link/", `q"uote`, "é1", "é2"}},
		{"migrate -c socket,type=unix,path=" + dir + "/a", []string{"alpha"}},
		{"migrate -c file,filename=" + dir + "/d", []string{"dir/"}},
		{"migrate -c file,filename=" + dir + "/l", []string{"link/"}},
		{"migrate -c file,filename=" + dir + "/dir/", []string{"inner.mig"}},
		{"migrate -c file,filename=" + dir + "/beta,,g", []string{"beta,,gamma"}},
		{"migrate -c file,filename=" + dir + "/.", []string{".hidden"}},
		{"migrate -c file,filename=" + dir + "/nosuch/", nil},
		// Quoted: spaces are fine; " and \ are escaped.
		{`migrate -c "file,filename=` + dir + "/alp", []string{"alp dir/", "alpha"}},
		{`migrate -c "file,filename=` + dir + "/q", []string{`q\"uote`}},
		{`migrate -c "socket,type=unix,path=` + dir + `/q\"`, []string{`q\"uote`}},
		// Legacy URIs with a path.
		{"migrate unix:" + dir + "/di", []string{"dir/"}},
		{"migrate_incoming -c file:" + dir + "/al", []string{"alpha"}},
		{"migrate tcp:" + dir + "/", nil},
		// Not a path key.
		{"migrate -c socket,type=inet,host=" + dir + "/", nil},
	}
	for _, tt := range tests {
		check(t, dryRun(), "paths", tt.line, tt.want)
	}
	// A relative path is relative to hmpsh's directory.
	t.Chdir(dir)
	check(t, dryRun(), "relative", "migrate -c file,filename=al", []string{"alpha"})
	check(t, dryRun(), "relative", "migrate -c file,filename=dir/i", []string{"inner.mig"})
}

func TestDo(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"é1", "é2"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := dryRun()
	tests := []struct {
		line string
		pos  int // in runes; -1 for the end
		want []string
		n    int
	}{
		{"migrate -c socket,type=in", -1, []string{"et"}, 2},
		{"migrate_set_capability xbzrle o", -1, []string{"ff", "n"}, 1},
		{"migrate_sta", -1, []string{"rt_postcopy "}, 11},
		// Only what is before the cursor counts.
		{"migrate_sta -d", 11, []string{"rt_postcopy "}, 11},
		{"migrate -c file,filename=" + dir + "/é", -1, []string{"1", "2"}, 1},
		{"zzz", -1, nil, 0},
	}
	for _, tt := range tests {
		rs := []rune(tt.line)
		pos := tt.pos
		if pos < 0 {
			pos = len(rs)
		}
		got, n := c.Do(rs, pos)
		var gs []string
		for _, g := range got {
			gs = append(gs, string(g))
		}
		if !reflect.DeepEqual(gs, tt.want) || n != tt.n {
			t.Errorf("Do(%q, %d) = %q, %d; want %q, %d", tt.line, pos, gs, n, tt.want, tt.n)
		}
	}
	// Out-of-range positions are the end of the line.
	if got, _ := c.Do([]rune("inf"), 99); len(got) != 1 || string(got[0]) != "o " {
		t.Errorf("Do(inf, 99) = %q", got)
	}
}

func TestDescribe(t *testing.T) {
	ts := knownTargets(t)
	cs := completers(t)
	newest := cs[ts.Newest().Version()]
	tests := []struct {
		line string
		want string // the whole answer, or its first line when it ends with "..."
		// doc, when set, is a part of the lines after the first:
		// QEMU's documentation of the thing, and hmpsh's rule.
		doc []string
	}{
		{"migrate?", "migrate [-d] [-r] [-b] [-i] (-c CHANNEL [-c CHANNEL] | URI) -- migrate the VM to a destination given as channels or a URI", nil},
		{"migrate", "migrate [-d] [-r] [-b] [-i] (-c CHANNEL [-c CHANNEL] | URI) -- migrate the VM to a destination given as channels or a URI", nil},
		{"migrate ?", "migrate [-d] [-r] [-b] [-i] (-c CHANNEL [-c CHANNEL] | URI) -- migrate the VM to a destination given as channels or a URI", nil},
		{"q?", "quit -- quit QEMU", nil}, // q is an alias
		{"qu?", "query-...", nil},
		{"migrate -c?", "-c CHANNEL: the destination as key=value pairs (help migrate lists the keys), or a legacy URI (may be repeated)", nil},
		{"migrate -d?", "-d: return at once instead of waiting for the migration to end", nil},
		{"migrate -c socket,type=inet,ho?", "host (string, required; socket,type=inet)", nil},
		{"migrate -c socket,type=inet,host=?", "host (string, required; socket,type=inet)", []string{"host part of the address QAPI type: str"}},
		{"migrate -c socket,po?", "port (string, required; socket,type=inet | socket,type=vsock)", nil},
		// Not a transport: keys.
		{"migrate -c po?", "port (string, required; socket,type=inet | socket,type=vsock | rdma)", nil},
		{"migrate -c rdma,po?", "port (string, required; rdma)", nil},
		{"migrate -c file,off?", "offset (integer, optional, default 0; file)", nil},
		{"migrate -c file,filename?", "filename (string, required; file)", []string{"The file to receive the migration stream"}},
		{"migrate -c socket,type?", "type (inet|unix|vsock|fd, required; socket)", []string{"Transport type"}},
		{"migrate -c socket,type=?", "type (inet|unix|vsock|fd, required; socket)", []string{"Transport type"}},
		{"migrate -c socket,type=inet?", "type (inet|unix|vsock|fd, required; socket)", []string{"inet: Internet address"}},
		{"migrate -c socket,type=unix,path=/x,channel-type?", "channel-type (main|cpr, optional, default main)", []string{"Channel type for transferring packet information."}},
		{"migrate -c socket,type=unix,path=/x,channel-type=cpr?", "channel-type (main|cpr, optional, default main)", []string{"cpr: Checkpoint and restart state channel."}},
		{"migrate -c exec,args?", "args (list of string, required; exec)", []string{"command (list head) and arguments to execute.", "QAPI type: [str]"}},
		{"migrate -c socket,type=inet,keep-alive?", "keep-alive (on|off, optional; socket,type=inet)", []string{"enable keep-alive when connecting to this socket.", "since QEMU 4.2"}},
		{"migrate -c keep-alive?", "keep-alive (on|off, optional; socket,type=inet | rdma)", []string{"enable keep-alive"}},
		// The issue's own example: to says what it means.
		{"migrate -c socket,type=inet,host=a,port=1,to?", "to (integer, optional; socket,type=inet)", []string{"range of possible addresses, with port between port and to", "QAPI type: uint16"}},
		{"migrate -c socket,type=vsock,port?", "port (string, required; socket,type=vsock)", []string{"port QAPI type: str"}},
		{"migrate -c socket,type=unix,path?", "path (string, required; socket,type=unix)", []string{"filesystem path to use"}},
		{"migrate -c file,offset=?", "offset (integer, optional, default 0; file)", []string{"The file offset where the migration stream will start", "QAPI type: uint64"}},
		{"migrate -c so?", "socket (transport)", nil},
		{"migrate -c socket?", "socket (transport)", []string{"Migrate via socket."}},
		{"migrate -c file?", "file (transport)", []string{"Direct the migration stream to a file."}},
		{"migrate_set_capability xbzrle?", "xbzrle (capability): on|off", []string{"Migration supports xbzrle (Xor Based Zero Run Length Encoding)"}},
		{"migrate_set_capability postcopy-ram?", "postcopy-ram (capability): on|off", []string{"Start executing on the migration target before all of RAM"}},
		{"migrate_set_capability xbzrle ?", "migrate_set_capability NAME on|off -- turn a migration capability on or off", nil},
		{"migrate_set_parameter max-bandwidth?", "max-bandwidth (parameter): integer", []string{"maximum speed for migration", "unit: bytes per second", "hmpsh: a number without a suffix is MiB"}},
		{"migrate_set_parameter max-bandwidth ?", "max-bandwidth (parameter): integer", []string{"unit: bytes per second", "MiB"}},
		{"migrate_set_parameter downtime-limit?", "downtime-limit (parameter): integer", []string{"unit: milliseconds"}},
		{"migrate_set_parameter avail-switchover-bandwidth?", "avail-switchover-bandwidth (parameter): integer", []string{"default: zero", "hmpsh: a number without a suffix is MiB"}},
		{"migrate_set_parameter multifd-compression?", "multifd-compression (parameter): none|zlib|zstd", []string{"Which compression method to use.", "default: none"}},
		{"migrate_set_parameter tls-creds?", "tls-creds (parameter): string or null", []string{"ID of the 'tls-creds' object", "QAPI type: StrOrNull"}},
		{"migrate_set_parameter max?", "max-bandwidth (parameter): integer\nmax-cpu-throttle (parameter): integer\nmax-postcopy-bandwidth (parameter): integer", nil},
		{"info migrate?", "info migrate -- show the migration's status and statistics", nil},
		{"info status?", "info status -- show whether the VM runs", nil},
		{"info block?", "info block [-n] [-v] [device] -- show info of one block device or all block devices (-n: show named nodes; -v: show details)", nil},
		{"balloon?", "balloon target -- request VM to change its memory allocation (in MB)", nil},
		{"cont?", "cont -- resume the VM", nil},
		{"c?", "cont -- resume the VM", nil},
		{".use?", ".use NAME -- send lines without @NAME to monitor NAME", nil},
		{"query-status?", "query-status -- QMP command, no arguments", nil},
		{"migrate-continue?", "migrate-continue KEY=VALUE... -- QMP command; required: state", nil},
		{"migrate-set-parameters max-b?", "max-bandwidth (integer, optional)", nil},
		{"migrate-set-parameters max-bandwidth?", "max-bandwidth (integer, optional)", []string{"unit: bytes per second"}},
		{"migrate-continue state=?", "state (" + strings.Join(ts.Newest().Schema.Path(ts.Newest().Schema.Args("migrate-continue"), "state").Values, "|") + ", required)", []string{"The state the migration is currently expected to be in"}},
		{"migrate-incoming channels.0.addr.transport=socket channels.0.addr.type=unix channels.0.addr.path?", "channels.0.addr.path (string, required; transport=socket,type=unix)", []string{"filesystem path to use"}},
		{"help migrate port?", "port (string, required; socket,type=inet | socket,type=vsock | rdma)", []string{"port part of the address"}},
		{"help migrate_set_parameter max-bandwidth?", "max-bandwidth (parameter): integer", []string{"unit: bytes per second", "MiB"}},
		{"help migrate -d?", "migrate -d: return at once instead of waiting for the migration to end", nil},
		{"@src?", "@src LINE -- run LINE on monitor src", nil},
		{"info mig?", "info migrate -- show the migration's status and statistics\ninfo migrate_capabilities -- show the migration capabilities\ninfo migrate_parameters -- show the migration parameters", nil},
		{"zzz?", "", nil},
		{`{"execute":"x"}?`, "", nil},
	}
	for _, tt := range tests {
		got := newest.Describe(tt.line)
		if tt.doc != nil {
			first, rest, _ := strings.Cut(got, "\n")
			if first != tt.want {
				t.Errorf("Describe(%q) first line\n got %q\nwant %q", tt.line, first, tt.want)
			}
			// Lines are wrapped: the words count, not where they break.
			for _, d := range tt.doc {
				if !strings.Contains(strings.Join(strings.Fields(rest), " "), d) {
					t.Errorf("Describe(%q) = %q\nwant lines after the first with %q", tt.line, got, d)
				}
			}
			continue
		}
		if first, ok := strings.CutSuffix(tt.want, "..."); ok {
			if !strings.HasPrefix(got, first) || !strings.Contains(got, "\n") {
				t.Errorf("Describe(%q) = %q, want several lines starting %q", tt.line, got, first)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("Describe(%q)\n got %q\nwant %q", tt.line, got, tt.want)
		}
	}
}

// "?" shows QEMU's documentation whatever the QEMU: QEMU 7.2's schema
// has its own numbers for the types, and its CHANNEL keys come from the
// newest schema.
func TestDescribeDocsEveryTarget(t *testing.T) {
	for v, c := range completers(t) {
		for line, want := range map[string]string{
			"migrate -c socket,type=inet,host=a,port=1,to?": "with port between port and to",
			"migrate_set_parameter max-bandwidth?":          "unit: bytes per second",
			"migrate_set_parameter downtime-limit ?":        "unit: milliseconds",
			"migrate_set_capability postcopy-ram?":          "pulling the remaining pages along as needed",
			"migrate_set_capability xbzrle?":                "Xor Based Zero Run Length Encoding",
			"@old migrate_set_parameter max-bandwidth?":     "hmpsh: a number without a suffix is MiB",
			"migrate -c exec,args?":                         "command (list head) and arguments to execute",
			"migrate_incoming -c file,filename=/x,offset=?": "The file offset where the migration stream will start",
		} {
			got := strings.Join(strings.Fields(c.Describe(line)), " ")
			if !strings.Contains(got, want) {
				t.Errorf("%s: Describe(%q) = %q, want it to say %q", v, line, got, want)
			}
		}
	}
}

// Lines that cannot be read complete to nothing, without a panic.
func TestOddLines(t *testing.T) {
	for v, c := range completers(t) {
		for _, line := range []string{
			`"`, `"mig`, `migrate "a"b`, `migrate "a"`, `migrate -c "exec,args=\`, `migrate -c "exec,args=\t`,
			`{"execute":"mig`, " ", "\t@", "@src", "@src ", "info", "info ", "info nosuch ", "-c", ",", ",,", "migrate -c ,",
			"migrate -c =", "migrate -c socket,=", "migrate -c socket,,", "migrate-set-parameters .", "migrate-set-parameters a..b",
			"migrate-set-parameters =", "migrate-incoming channels.x.", "migrate-incoming channels.0.addr.transport=nope channels.0.addr.",
		} {
			for pos := 0; pos <= len(line); pos++ {
				cands, n := c.Candidates(line, pos)
				checkShape(t, line, pos, cands, n)
				_ = c.Describe(line[:pos])
			}
		}
		// A quoted word is completed inside its quotes, and closed.
		check(t, c, v, `"migrate_sta`, []string{`migrate_start_postcopy" `})
		check(t, c, v, `migrate_set_capability "xbzrle" "o`, []string{`off`, `on`})
		check(t, c, v, `migrate_set_capability "xbzrle" "of`, []string{`off" `})
		check(t, c, v, `migrate "a"`, nil)
	}
}

// A nil Source is a completer of the table alone.
func TestNilSource(t *testing.T) {
	c := New(nil)
	check(t, c, "nil", "migrate_sta", []string{"migrate_start_postcopy "})
	check(t, c, "nil", "@", nil)
	check(t, c, "nil", "migrate -c so", []string{"socket"})
	if d := c.Describe("stop?"); d != "stop -- pause the VM" {
		t.Errorf("Describe(stop?) = %q", d)
	}
}

func FuzzCandidates(f *testing.F) {
	for _, s := range []string{
		"migrate -c socket,type=inet,host=h,port=1,k", `migrate -c "exec,args=/bin/sh -c 'x'`, "@src migrate_set_parameter mu",
		"info mi", "migrate-incoming channels.0.addr.transport=socket channels.0.addr.", "migrate -c file,filename=/tm",
		`migrate -c "a\"b,`, "migrate_set_capability xbzrle o", "help info m", "migrate -c tcp:[::1]:1",
	} {
		f.Add(s, len(s))
	}
	ts, err := hmp.KnownTargets()
	if err != nil {
		f.Fatal(err)
	}
	c := New(&fakeSource{targets: map[string]*hmp.Target{"": ts.Newest(), "src": all(f, ts)[0]}, monitors: []string{"src"}})
	f.Fuzz(func(t *testing.T, line string, pos int) {
		if pos < 0 || pos > len(line) {
			pos = len(line)
		}
		cands, n := c.Candidates(line, pos)
		checkShape(t, line, pos, cands, n)
		_ = c.Describe(line)
		_, _ = c.Do([]rune(line), len([]rune(line)))
	})
}

// all reads every built-in target.
func all(tb testing.TB, ts *hmp.Targets) []*hmp.Target {
	tb.Helper()
	list, err := ts.All()
	if err != nil {
		tb.Fatal(err)
	}
	return list
}

// The line model's rules hold while a line is typed: nothing completes
// in a trailing comment, and help may name a monitor (@NAME help X shows
// that QEMU's keys) while the others act on the session.
func TestLineModel(t *testing.T) {
	for v, c := range completers(t) {
		check(t, c, v, "info status # migr", nil)
		check(t, c, v, "info status #", nil)
		check(t, c, v, "# migr", nil)
		check(t, c, v, `migrate -c "socket,type=inet,host=#x,k`, []string{"keep-alive="})
		check(t, c, v, "@src help migrate_sta", []string{"migrate_start_postcopy "})
		check(t, c, v, "@src .use ", nil)
	}
}

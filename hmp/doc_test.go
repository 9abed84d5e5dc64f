package hmp

import (
	"bytes"
	"strings"
	"testing"
)

// norm joins a text's words with single spaces: help wraps its lines.
func norm(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestWriteKeyHelp(t *testing.T) {
	sx := testSyntax(t)
	targets, err := KnownTargets()
	if err != nil {
		t.Fatal(err)
	}
	all, err := targets.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range all {
		for _, tt := range []struct {
			cmd, key string
			want     []string // the first line, then parts of the rest
		}{
			{"migrate", "port", []string{"port (string, required; socket,type=inet | socket,type=vsock | rdma)", "port part of the address", "QAPI type: str"}},
			{"migrate", "to", []string{"to (integer, optional; socket,type=inet | rdma)", "If present, this is range of possible addresses, with port between port and to.", "QAPI type: uint16"}},
			{"migrate", "host", []string{"host (string, required; socket,type=inet | rdma)", "host part of the address"}},
			{"migrate", "keep-alive", []string{"keep-alive (on|off, optional; socket,type=inet | rdma)", "enable keep-alive when connecting to this socket. Not supported for passive sockets.", "since QEMU 4.2"}},
			{"migrate", "path", []string{"path (string, required; socket,type=unix)", "filesystem path to use"}},
			{"migrate", "filename", []string{"filename (string, required; file)", "The file to receive the migration stream"}},
			{"migrate", "offset", []string{"offset (integer, optional, default 0; file)", "The file offset where the migration stream will start", "QAPI type: uint64"}},
			{"migrate", "args", []string{"args (list of string, required; exec)", "command (list head) and arguments to execute."}},
			{"migrate", "channel-type", []string{"channel-type (main|cpr, optional, default main)", "Channel type for transferring packet information."}},
			{"migrate", "exec", []string{"exec (transport)", "Direct the migration stream to another process."}},
			{"migrate", "-d", []string{"migrate -d: return at once instead of waiting for the migration to end"}},
			{"migrate_incoming", "port", []string{"port (string, required;", "port part of the address"}},
			{"migrate_set_parameter", "max-bandwidth", []string{"max-bandwidth (parameter): integer", "maximum speed for migration, in bytes per second.",
				"unit: bytes per second", "QAPI type: size", "hmpsh: " + mibRule}},
			{"migrate_set_parameter", "avail-switchover-bandwidth", []string{"avail-switchover-bandwidth (parameter): integer", "default: zero", "hmpsh: " + mibRule}},
			{"migrate_set_parameter", "downtime-limit", []string{"downtime-limit (parameter): integer", "maximum downtime in milliseconds", "unit: milliseconds", "QAPI type: uint64"}},
			{"migrate_set_parameter", "multifd-channels", []string{"multifd-channels (parameter): integer", "default: 2"}},
			{"migrate_set_capability", "xbzrle", []string{"xbzrle (capability): on|off", "Migration supports xbzrle (Xor Based Zero Run Length Encoding)."}},
			{"migrate_set_capability", "postcopy-ram", []string{"postcopy-ram (capability): on|off", "Start executing on the migration target before all of RAM has been migrated"}},
			{"migrate_continue", "pre-switchover", []string{"pre-switchover (STATE of migrate_continue)", "Paused before device serialisation."}},
		} {
			if _, ok := tg.Parameter(tt.key); tt.cmd == "migrate_set_parameter" && !ok {
				continue // avail-switchover-bandwidth: QEMU 8.2 and later
			}
			var b bytes.Buffer
			if err := sx.Table.Get(tt.cmd).WriteKeyHelp(&b, tg, tt.key); err != nil {
				t.Errorf("%s: help %s %s: %v", tg.Version(), tt.cmd, tt.key, err)
				continue
			}
			first, rest, _ := strings.Cut(b.String(), "\n")
			if !strings.HasPrefix(first, tt.want[0]) {
				t.Errorf("%s: help %s %s: first line %q, want %q", tg.Version(), tt.cmd, tt.key, first, tt.want[0])
			}
			for _, w := range tt.want[1:] {
				if !strings.Contains(norm(rest), norm(w)) {
					t.Errorf("%s: help %s %s =\n%s\nwant it to say %q", tg.Version(), tt.cmd, tt.key, b.String(), w)
				}
			}
			if tt.key == "-d" && rest != "" {
				t.Errorf("help migrate -d: a flag has no documentation, got %q", rest)
			}
		}
		// A parameter QEMU's documentation (10.0's) no longer has is
		// still described by the schema.
		if _, ok := tg.Parameter("compress-level"); ok {
			var b bytes.Buffer
			if err := sx.Table.Get("migrate_set_parameter").WriteKeyHelp(&b, tg, "compress-level"); err != nil || b.String() != "compress-level (parameter): integer\n" {
				t.Errorf("%s: help migrate_set_parameter compress-level = %q, %v", tg.Version(), b.String(), err)
			}
		}
		// An unknown key is an error that says what there is.
		var b bytes.Buffer
		err := sx.Table.Get("migrate_set_parameter").WriteKeyHelp(&b, tg, "max-bandwith")
		if err == nil || !strings.Contains(err.Error(), `did you mean "max-bandwidth"?`) || !strings.Contains(err.Error(), "downtime-limit") {
			t.Errorf("%s: help migrate_set_parameter max-bandwith: %v", tg.Version(), err)
		}
		if b.Len() != 0 {
			t.Errorf("an unknown key printed %q", b.String())
		}
	}
	// Without a target, only the flags.
	if keys := sx.Table.Get("migrate").HelpKeys(nil); strings.Join(keys, " ") != "-d -r -b -i -c" {
		t.Errorf("HelpKeys(nil) = %q", keys)
	}
}

// help migrate lists what each CHANNEL key means, one line each.
func TestHelpKeyMeanings(t *testing.T) {
	sx := testSyntax(t)
	targets, err := KnownTargets()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"migrate", "migrate_incoming"} {
		var b bytes.Buffer
		sx.Table.Get(name).WriteHelp(&b, targets.Newest())
		_, keys, ok := strings.Cut(b.String(), "What the keys mean")
		if !ok {
			t.Fatalf("help %s has no key list:\n%s", name, b.String())
		}
		keys, _, _ = strings.Cut(keys, "\n\n")
		for _, want := range []string{`"help ` + name + ` KEY"`, "\n  host          host part of the address\n", "\n  filename      The file to receive the migration stream\n", "\n  channel-type  Channel type"} {
			if !strings.Contains(keys, want) {
				t.Errorf("help %s key list lacks %q:\n%s", name, want, keys)
			}
		}
		for _, l := range strings.Split(keys, "\n") {
			if len(l) > 80 {
				t.Errorf("help %s: line longer than 80: %q", name, l)
			}
		}
	}
}

func TestDocFormat(t *testing.T) {
	d := Doc{Rule: "a rule"}
	d.Text = "One sentence. Another one that is long enough to be wrapped somewhere in the middle of it, as it goes on and on."
	d.Unit, d.Type, d.Default, d.Since = "milliseconds", "uint64", "0", "2.8"
	if got := d.Summary(); got != "One sentence." {
		t.Errorf("Summary = %q", got)
	}
	lines := d.Lines("  ")
	want := []string{
		"  One sentence. Another one that is long enough to be wrapped somewhere in",
		"  the middle of it, as it goes on and on.",
		"  unit: milliseconds; QAPI type: uint64; default: 0; since QEMU 2.8",
		"  hmpsh: a rule",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("Lines =\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	long := Doc{}
	long.Text = strings.Repeat("word ", 30)
	if s := long.Summary(); len(s) > 60 || !strings.HasSuffix(s, "...") {
		t.Errorf("Summary of a long sentence = %q", s)
	}
	if got := (Doc{}).Lines("  "); len(got) != 0 {
		t.Errorf("Lines of nothing = %q", got)
	}
	if ParameterRule("downtime-limit") != "" || ParameterRule("max-bandwidth") != mibRule {
		t.Error("ParameterRule")
	}
}

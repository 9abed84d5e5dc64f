package hmp

import (
	"slices"
	"testing"
)

func TestParseHelp(t *testing.T) {
	text := "announce_self [interfaces] [id] -- Trigger GARP/RARP announcements\r\n" +
		"block_job_cancel [-f] device -- stop an active background block operation (use -f\r\n" +
		"\t\t\t if you want to abort)\r\n" +
		"drive_add [-n] [[<domain>:]<bus>:]<slot>\n" +
		"[file=file][,if=type][,bus=n]\n" +
		"[,snapshot=on|off] -- add drive to PCI storage controller\n" +
		"help|? [cmd] -- show the help\n" +
		"info [subcommand] -- show various information about the system state\n" +
		"quit|q  -- quit the emulator\n"
	got := ParseHelp(text)
	var names []string
	for _, e := range got {
		names = append(names, e.Names...)
	}
	want := []string{"announce_self", "block_job_cancel", "drive_add", "help", "?", "info", "quit", "q"}
	if !slices.Equal(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
	if got[1].Help != "stop an active background block operation (use -f if you want to abort)" {
		t.Errorf("continuation: %q", got[1].Help)
	}
	if got[2].Help != "add drive to PCI storage controller" {
		t.Errorf("drive_add: %+v", got[2])
	}
	info := ParseHelp("info block [-n] [-v] [device] -- show info of one block device\ninfo status  -- show the current VM status\n")
	if len(info) != 2 || info[0].Names[0] != "block" || info[0].Args != "[-n] [-v] [device]" || info[1].Names[0] != "status" {
		t.Errorf("help info: %+v", info)
	}
}

// The captured help of both QEMUs: every name looks like a command.
func TestKnownHMPCommands(t *testing.T) {
	targets, err := KnownTargets()
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range all(t, targets) {
		for _, name := range []string{"migrate", "info", "quit", "q", "device_add", "help"} {
			if !tg.IsHMPCommand(name) {
				t.Errorf("%s: %q is not an HMP command", tg.Version(), name)
			}
		}
		for _, e := range ParseHelp(tg.Schema.HMPHelp) {
			for _, n := range e.Names {
				if n != "?" && !validCommandName(n) {
					t.Errorf("%s: odd command name %q (%+v)", tg.Version(), n, e)
				}
			}
		}
		if tg.IsHMPCommand("query-status") {
			t.Errorf("%s: query-status taken for HMP", tg.Version())
		}
	}
}

func validCommandName(n string) bool {
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return n != ""
}

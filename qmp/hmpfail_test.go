package qmp_test

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hmpsh/hmpsh/internal/qemutest"
	"github.com/hmpsh/hmpsh/qmp"
)

// Wrong HMP commands, each with a part of what both QEMUs answer. Which
// shapes these are is the point: "Error: ..." from handlers, "unknown
// command", the argument parser's 'Try "help ..."', and handlers' own words.
var hmpWrong = []struct{ cmd, want string }{
	{"foo", "unknown command: 'foo'"},
	{"info nosuch", "unknown command: 'info nosuch'"},
	{"help nosuch", "unknown command: 'nosuch'"},
	{"migrate_set_speed abc", "unknown command: 'migrate_set_speed'"}, // gone before 7.2
	{"device_add nosuch", "Error: 'nosuch' is not a valid device model name"},
	{"stop extra", "stop|s: extraneous characters at the end of line\nTry \"help stop\""},
	{"info migrate_parameters x", "extraneous characters at the end of line"},
	{"memsave 0 10", "memsave: string expected\nTry \"help memsave\""},
	{"migrate", "migrate: string expected"},
	{"migrate -x tcp:1:1", "migrate: unsupported option -x"},
	{"migrate_set_capability xbzrle maybe", "Expected 'on' or 'off'\nTry"},
	{"balloon abc", "invalid char 'a' in expression\nTry"},
	{"print 1+", "unexpected end of expression"},
	{"x /z 0", "invalid char in format: 'z'"},
	{"migrate_set_parameter nosuch 1", "Error: invalid parameter value: nosuch"},
	{"migrate_set_parameter max-bandwidth abc", "Error: Invalid size abc"},
	{"migrate_set_capability nosuch on", "Error: invalid parameter value: nosuch"},
	{"netdev_add nosuch", "Error: Parameter 'id' is missing"},
	{"netdev_add user,id=n1,nosuch=1", "Error: Invalid parameter 'nosuch'"},
	{"object_add nosuch", "Error: Parameter 'qom-type' does not accept value 'nosuch'"},
	{"object_del nosuch", "Error: object 'nosuch' not found"},
	{"device_del nosuch", "Error: Device 'nosuch' not found"},
	{"chardev-add nosuch,id=x", "Error: 'nosuch' is not a valid char driver name"},
	{"qom-get /machine nosuch", "Error: Property '"},
	{"balloon 10", "Error: No balloon device has been activated"},
	{"savevm x", "Error: no block device can store vmstate for snapshot"},
	{"migrate_incoming tcp:127.0.0.1:0", "Error: '-incoming' was not specified on the command line"},
	{"dump-guest-memory /nonexistent/dir/x", "Error: Could not "},
	{"expire_password vnc now", "Error: Could not set password expire time"},
	{"info usb", "Error: USB support not enabled"},
	// No "Error: " prefix: the handler's own words.
	{"drive_del nosuch", "Device 'nosuch' not found"},
	{"sendkey nosuch", "invalid parameter: nosuch"},
	{"cpu 9", "invalid CPU index"},
	{"boot_set q", "Invalid boot device 'q'"},
	{"info registers 9", "CPU#9 not available"},
	{"info lapic 99", "No CPU available"},
	{"trace-event nosuch on", "unknown event \"nosuch\""},
	{"gdbserver nosuch:1", "'nosuch:1' is not a valid char driver"},
}

// Right commands whose output must not be taken for a failure, including
// some with failure-like words inside.
var hmpRight = []struct{ cmd, want string }{
	{"info version", ""},
	{"info status", "VM status: running"},
	{"help migrate", "migrate [-d] "},
	{"help", "migrate_set_parameter parameter value"},
	{"info", "info migrate  -- show migration status"},
	{"help info", "info version  -- show the version of QEMU"},
	{"x /4x 0", "0000000000000000:"},
	{"xp /1x 999999999999", "Cannot access memory"}, // the data says so, not the command
	{"print 1+2", "3"},
	{"qom-get /machine type", "pc-i440fx-"},
	{"migrate_set_parameter max-bandwidth 1M", ""},
	{"migrate_set_capability xbzrle on", ""},
	{"info migrate_capabilities", "xbzrle: on"},
	{"stop", ""},
	{"cont", ""},
	{"info block-jobs", "No active jobs"},
	{"info snapshots", ""},
}

func TestHMPFailureLive(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		c, _ := liveClient(t, gen, qemutest.Options{Machine: "pc"})
		ctx := callCtx(t)
		for _, tc := range hmpWrong {
			out, err := c.HMP(ctx, tc.cmd)
			var he *qmp.HMPError
			if !errors.As(err, &he) {
				t.Errorf("%q: not recognised as a failure: %q", tc.cmd, out)
				continue
			}
			if !strings.Contains(he.Output, tc.want) {
				t.Errorf("%q: output %q, want it to contain %q", tc.cmd, he.Output, tc.want)
			}
			if strings.Contains(he.Error(), "\r") || he.Error() != strings.TrimSpace(he.Error()) {
				t.Errorf("%q: error text %q not normalised", tc.cmd, he.Error())
			}
		}
		for _, tc := range hmpRight {
			out, err := c.HMP(ctx, tc.cmd)
			if err != nil {
				t.Errorf("%q: taken for a failure: %v", tc.cmd, err)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("%q: output %.200q, want it to contain %q", tc.cmd, out, tc.want)
			}
		}
	})
}

// Every "info" subcommand that needs no argument, on a real machine: none
// may be taken for a failure but those that really fail.
func TestHMPFailureAllInfo(t *testing.T) {
	// Which generations fail each: the others have no such command or
	// answer without an error.
	failing := map[string][]string{
		"balloon":          {"7.2", "10.0"}, // Error: No balloon device has been activated
		"usb":              {"7.2", "10.0"}, // Error: USB support not enabled
		"vm-generation-id": {"7.2", "10.0"}, // Error: VM Generation ID device not found
		"profile":          {"7.2"},         // Error: Internal profiler not compiled
		"virtio":           {"10.0"},        // Error: No virtio devices found (7.2: "No VirtIO devices")
	}
	// "info NAME  -- help" has no argument; "info NAME [opt] -- help" only optional ones.
	noArgs := regexp.MustCompile(`(?m)^info (\S+) +(\[[^]]*\] *)*-- `)
	qemutest.Each(t, func(t *testing.T, gen string) {
		c, _ := liveClient(t, gen, qemutest.Options{Machine: "pc"})
		ctx := callCtx(t)
		help, err := c.HMP(ctx, "help info")
		if err != nil {
			t.Fatal(err)
		}
		help = strings.ReplaceAll(help, "\r\n", "\n")
		n := 0
		for _, m := range noArgs.FindAllStringSubmatch(help, -1) {
			name := m[1]
			out, err := c.HMP(ctx, "info "+name)
			n++
			if want := slices.Contains(failing[name], gen); want != (err != nil) {
				t.Errorf("info %s: failure=%v, want %v; output %.300q", name, err != nil, want, out)
			}
		}
		if n < 50 {
			t.Errorf("only %d info subcommands found in %.500q", n, help)
		}
	})
}

// Shapes that a test cannot summon on demand, taken from QEMU 7.2 and 10.0
// output.
func TestHMPFailureShapes(t *testing.T) {
	for _, tc := range []struct {
		out  string
		fail bool
	}{
		{"", false},
		{"\r\n", false},
		// info qdm when an optional module's library is missing (10.0).
		{"failed to open module: libvirglrenderer.so.1: cannot open shared object file: No such file or directory\r\nController/Bridge/Hub devices:\r\nname \"cxl-downstream\", bus PCI\r\n", false},
		{"failed to open module: x.so: no\r\nError: Device 'x' not found\r\n", true},
		// gdbserver on 10.0: a warning in the middle.
		{"'nosuch:1' is not a valid char driver\r\nwarning: gdbstub: couldn't create chardev\r\nCould not open gdbserver on device 'nosuch:1'\r\n", true},
		// 7.2's migrate_set_parameter: the error then a continuation.
		{"Error: Parameter 'downtime-limit' expects a non-negative number below 2^64\r\nOptional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\r\nand exabytes, respectively.\r\n", true},
		{"'migrate_set_speed' has failed: integer is for 32-bit values\r\nTry \"help migrate_set_speed\" for more information\r\n", true},
		{"Unknown command 'foo'\r\n", true},
		{"Parameter 'uri' expects a valid migration protocol\r\n", true},
		// 7.2's singlestep with a wrong word.
		{"unexpected option maybe\r\n", true},
		// Data with failure words past the first line.
		{"globals:\r\nstore-global-state: on\r\nMigration status: failed (Failed to connect to '127.0.0.1:1': Connection refused)\r\ntotal time: 0 ms\r\n", false},
		{"terminal does not allow synchronous migration, continuing detached\r\n", false},
		{"VM status: paused (postmigrate)\r\n", false},
		{"compat_monitor0: filename=unix:/tmp/q.sock,server=on\r\n", false},
	} {
		err := qmp.HMPFailure(tc.out)
		if (err != nil) != tc.fail {
			t.Errorf("HMPFailure(%q) = %v, want failure=%v", tc.out, err, tc.fail)
		}
	}
}

package hmp

import (
	"encoding/json"

	"github.com/hmpsh/hmpsh/qmp"
)

// destParams are the two ways of giving a migration's destination, of
// which exactly one is given: -c CHANNEL (repeat: several may be) or URI.
func destParams(repeat bool) []Param {
	return []Param{
		{Name: "channel", Flag: "-c", Type: Channel, Group: "dest", Repeat: repeat,
			Help: "the destination as key=value pairs (help migrate lists the keys), or a legacy URI"},
		{Name: "uri", Type: URI, Optional: true, Group: "dest",
			Help: "the destination as a legacy URI: tcp:HOST:PORT, unix:PATH, exec:COMMAND, ..."},
	}
}

// withFormat sets a command's reply formatter.
func withFormat(c *Command, f func(json.RawMessage) (string, error)) *Command {
	c.Format = f
	return c
}

// qemuText makes a command show the connected QEMU's own HMP text.
func qemuText(c *Command) *Command {
	c.QEMUText = true
	return c
}

func simple(name, qmpName, short string, aliases ...string) *Command {
	return &Command{
		Name:     name,
		Aliases:  aliases,
		Short:    short,
		QMP:      qmpName,
		Examples: []Example{{Line: name}},
		Translate: func(c *Call) ([]qmp.Request, error) {
			return []qmp.Request{{Execute: qmpName}}, nil
		},
		NoSchema: true,
	}
}

// DefaultTable is the command table hmpsh ships with. It is built anew on
// each call: tables are values, not package state.
func DefaultTable() *Table {
	cmds := []*Command{
		{
			Name: "migrate",
			Params: append([]Param{
				{Name: "detach", Flag: "-d", Help: "return at once instead of waiting for the migration to end"},
				{Name: "resume", Flag: "-r", Help: "resume a paused postcopy migration"},
				{Name: "blk", Flag: "-b", Help: "block migration, full (before QEMU 9.1)"},
				{Name: "inc", Flag: "-i", Help: "block migration, incremental (before QEMU 9.1)"},
			}, destParams(true)...),
			Short: "migrate the VM to a destination given as channels or a URI",
			QMP:   "migrate",
			Long: `Start migrating to the destination. Without -d, wait until the migration
ends and print how it went; -d returns at once (follow it with info
migrate). -r resumes a paused postcopy migration. -b and -i (block
migration, full or incremental) exist only before QEMU 9.1.

A second -c adds a channel of another channel-type (a cpr channel for
cpr-transfer needs a main one too).`,
			Examples: []Example{
				{Line: "migrate -c socket,type=inet,host=10.0.0.2,port=4444", Note: "new form"},
				{Line: "migrate tcp:10.0.0.2:4444", Note: "legacy URI: the same QMP"},
				{Line: "migrate -d -c socket,type=unix,path=/run/mig.sock", Note: "unix socket, don't wait"},
				{Line: `migrate -c "exec,args=/bin/sh -c 'gzip > /tmp/vm.gz'"`, Note: "through a shell command"},
				{Line: "migrate -c file,filename=/tmp/vm.mig,offset=4K", Note: "to a file (QEMU 8.2+)"},
			},
			Translate: translateMigrate,
			Wait:      func(c *Call) bool { return !c.Flag("detach") },
		},
		{
			Name:   "migrate_incoming",
			Params: destParams(false),
			Short:  "listen for an incoming migration (QEMU started with -incoming defer)",
			QMP:    "migrate-incoming",
			Long: `Start listening for the migration on a destination QEMU that was started
with -incoming defer. A TCP port of 0 lets the kernel choose one; info
migrate shows which.`,
			Examples: []Example{
				{Line: "migrate_incoming -c socket,type=inet,host=0.0.0.0,port=4444", Note: "new form"},
				{Line: "migrate_incoming tcp:0.0.0.0:4444", Note: "legacy URI: the same QMP"},
				{Line: "migrate_incoming -c socket,type=unix,path=/run/mig.sock"},
				{Line: `migrate_incoming -c "exec,args=/bin/sh -c 'gunzip < /tmp/vm.gz'"`},
			},
			Translate: translateIncoming,
		},
		{
			Name:   "migrate_recover",
			Params: destParams(false),
			Short:  "listen again for a paused postcopy migration to resume",
			QMP:    "migrate-recover",
			Long: `On the destination of a paused postcopy migration, listen on a new address
for the source to resume (migrate -r). QMP's migrate-recover takes only a
URI, so a CHANNEL is always sent as its URI.`,
			Examples: []Example{
				{Line: "migrate_recover -c socket,type=inet,host=0.0.0.0,port=4445", Note: "new form"},
				{Line: "migrate_recover tcp:0.0.0.0:4445", Note: "legacy URI"},
			},
			Translate: translateRecover,
		},
		simple("migrate_cancel", "migrate_cancel", "cancel the current migration"),
		simple("migrate_pause", "migrate-pause", "pause a postcopy migration (its network broke)"),
		simple("migrate_start_postcopy", "migrate-start-postcopy", "switch a running migration to postcopy (capability postcopy-ram must be on)"),
		{
			Name:      "migrate_continue",
			Params:    []Param{{Name: "state", Type: Enum, Var: "STATE", Member: "state", Help: "the state the migration paused at"}},
			Short:     "continue a migration paused at a state (capability pause-before-switchover)",
			QMP:       "migrate-continue",
			Examples:  []Example{{Line: "migrate_continue pre-switchover"}},
			Translate: translateContinue,
		},
		{
			Name: "migrate_set_capability",
			Params: []Param{
				{Name: "capability", Type: Capability, Help: "a migration capability of the QEMU"},
				{Name: "state", Type: Bool},
			},
			Short: "turn a migration capability on or off",
			QMP:   "migrate-set-capabilities",
			Long: `NAME is one of the connected QEMU's capabilities (info
migrate_capabilities lists them); an unknown one is an error before
anything is sent.`,
			Examples: []Example{
				{Line: "migrate_set_capability xbzrle on"},
				{Line: "migrate_set_capability postcopy-ram on"},
			},
			Translate: translateSetCapability,
		},
		{
			Name: "migrate_set_parameter",
			Params: []Param{
				{Name: "parameter", Type: Parameter, Help: "a migration parameter of the QEMU"},
				{Name: "value", Type: ParameterValue, Help: "read by the parameter's type"},
			},
			Short: "set a migration parameter",
			QMP:   "migrate-set-parameters",
			Long:  setParameterLong(),
			Examples: []Example{
				{Line: "migrate_set_parameter max-bandwidth 100", Note: "100 MiB/s: sends 104857600"},
				{Line: "migrate_set_parameter downtime-limit 300", Note: "milliseconds"},
				{Line: "migrate_set_parameter multifd-channels 4"},
			},
			Translate: translateSetParameter,
		},
		qemuText(simple("info migrate", "query-migrate", "show the migration's status and statistics")),
		qemuText(simple("info migrate_capabilities", "query-migrate-capabilities", "show the migration capabilities")),
		qemuText(simple("info migrate_parameters", "query-migrate-parameters", "show the migration parameters")),
		withFormat(simple("info status", "query-status", "show whether the VM runs"), formatStatus),
		simple("stop", "stop", "pause the VM"),
		simple("cont", "cont", "resume the VM", "c"),
		simple("system_reset", "system_reset", "reset the VM"),
		simple("system_powerdown", "system_powerdown", "ask the guest to power down (ACPI)"),
		simple("quit", "quit", "quit QEMU", "q"),
	}
	t, err := NewTable(cmds)
	if err != nil {
		// The table is a literal of this file; a bad entry is a bug
		// that every test run catches at once.
		panic("hmp: bad command table: " + err.Error())
	}
	return t
}

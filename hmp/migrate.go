package hmp

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hmpsh/hmpsh/qmp"
	"github.com/hmpsh/hmpsh/split"
	"github.com/hmpsh/hmpsh/transports"
)

// destination is what -c CHANNEL... or URI became.
type destination struct {
	n     int
	chans [maxChannels]transports.Channel
	objs  [maxChannels]qmp.Object // the channels as typed QMP, in the order given
}

// maxChannels bounds the -c of one command: a migration takes one channel
// per channel-type, and QEMU has two (main, cpr). Beyond that, the checks
// have already a channel-type given twice to report.
const maxChannels = 4

func (d *destination) channels() []transports.Channel { return d.chans[:d.n] }

// read parses the -c values or the positional URI of a
// migration command; exactly one of the two forms must be used.
func (d *destination) read(c *Call, role transports.Role) error {
	uri, hasURI := c.Arg("uri")
	channels := c.AppendValues(make([]string, 0, 2), "channel")
	switch {
	case len(channels) > 0 && hasURI && !transports.LooksLikeURI(uri):
		return c.Errorf("unexpected %q after -c %s; a CHANNEL with spaces goes in double quotes: -c \"%s %s\"", uri, channels[len(channels)-1], channels[len(channels)-1], uri)
	case len(channels) > 0 && hasURI:
		return c.Errorf("give either -c CHANNEL or a URI, not both (%q)", uri)
	case len(channels) == 0 && !hasURI:
		return c.Errorf("missing destination: -c CHANNEL or URI; usage: %s", c.Cmd.Usage())
	case hasURI && !transports.LooksLikeURI(uri):
		return c.Errorf("%q is not a URI; a CHANNEL is written after -c: %s -c %s", uri, c.Cmd.Name, uri)
	}
	specs, flag := channels, "-c "
	if hasURI {
		specs, flag = []string{uri}, ""
	}
	cs := c.Target.Channels()
	if cs == nil {
		return c.Errorf("no schema knows MigrationChannel")
	}
	if len(specs) > maxChannels {
		return c.Errorf("%d channels: a migration takes one per channel-type (%s)", len(specs), strings.Join(cs.Types, ", "))
	}
	for _, spec := range specs {
		ch, obj, err := cs.parse(c.Room(), spec)
		if err != nil {
			return c.Errorf("%s%s: %w", flag, split.Quote(spec), err)
		}
		d.chans[d.n], d.objs[d.n] = ch, obj
		d.n++
	}
	if err := transports.Check(d.channels(), role); err != nil {
		if len(specs) == 1 {
			return c.Errorf("%s%s: %w", flag, split.Quote(specs[0]), err)
		}
		return c.Errorf("%w", err)
	}
	return nil
}

// uri renders the destination as the one legacy URI command takes; why
// says why a URI is needed, for the error when there is none.
func (d *destination) uri(c *Call, why string) (string, error) {
	caps := c.Target.uriCaps()
	for _, ch := range d.channels() {
		if ch.Type != DefaultChannelType {
			return "", c.Errorf("channel-type=%s has no URI form; %s", ch.Type, why)
		}
	}
	s, err := transports.RenderURI(d.chans[0], caps)
	if err != nil {
		return "", c.Errorf("%w; %s", err, why)
	}
	return s, nil
}

// destinationArgs puts the destination into the arguments of command as
// the target wants it: channels when it can take them, else a URI.
func destinationArgs(c *Call, command string, d *destination) (qmp.Object, error) {
	if c.Target.sendsChannels(command) {
		if err := transports.CheckArgv(d.channels()); err != nil {
			return nil, c.Errorf("%w", err)
		}
		// Room for what migrate adds: blk, inc, resume.
		return append(c.Room().Take(4), qmp.Field{Name: "channels", Value: c.Room().ObjectList(d.objs[:d.n]...)}), nil
	}
	u, err := d.uri(c, fmt.Sprintf("QEMU %s's %s takes only a URI", c.Target.Version(), command))
	if err != nil {
		return nil, err
	}
	return append(c.Room().Take(4), qmp.Field{Name: "uri", Value: qmp.Str(u)}), nil
}

func translateMigrate(c *Call) ([]qmp.Request, error) {
	var d destination
	if err := d.read(c, transports.Connect); err != nil {
		return nil, err
	}
	args, err := destinationArgs(c, "migrate", &d)
	if err != nil {
		return nil, err
	}
	s := c.Target.Schema
	margs := s.Args("migrate")
	// The params blk and inc are named after the QMP members they set.
	for _, f := range []struct{ member, opt string }{{"blk", "-b"}, {"inc", "-i"}} {
		if !c.Flag(f.member) {
			continue
		}
		if _, ok := s.Member(margs, f.member); !ok {
			return nil, c.Errorf("%s (block migration) was removed in QEMU 9.1 and QEMU %s does not have it; copy disks with blockdev-mirror (or drive-mirror) to the destination's NBD server instead", f.opt, c.Target.Version())
		}
		args = append(args, qmp.Field{Name: f.member, Value: qmp.Bool(true)})
	}
	if c.Flag("resume") {
		if _, ok := s.Member(margs, "resume"); !ok {
			return nil, c.Errorf("-r: QEMU %s's migrate cannot resume (no \"resume\" argument)", c.Target.Version())
		}
		args = append(args, qmp.Field{Name: "resume", Value: qmp.Bool(true)})
	}
	return c.Request("migrate", args), nil
}

func translateIncoming(c *Call) ([]qmp.Request, error) {
	var d destination
	if err := d.read(c, transports.Listen); err != nil {
		return nil, err
	}
	args, err := destinationArgs(c, "migrate-incoming", &d)
	if err != nil {
		return nil, err
	}
	return c.Request("migrate-incoming", args), nil
}

func translateRecover(c *Call) ([]qmp.Request, error) {
	var d destination
	if err := d.read(c, transports.Listen); err != nil {
		return nil, err
	}
	// migrate-recover takes nothing but a URI, on every QEMU.
	u, err := d.uri(c, "migrate-recover takes only a URI")
	if err != nil {
		return nil, err
	}
	return []qmp.Request{{Execute: "migrate-recover", Arguments: qmp.Object{{Name: "uri", Value: qmp.Str(u)}}}}, nil
}

func translateSetCapability(c *Call) ([]qmp.Request, error) {
	name, _ := c.Arg("capability")
	state, _ := c.Arg("state")
	enum := c.Target.capabilityEnum()
	if enum == nil {
		return nil, c.Errorf("QEMU %s has no migrate-set-capabilities", c.Target.Version())
	}
	if !enum.HasValue(name) {
		return nil, c.Errorf("%w", &qmp.ArgError{Value: name, Problem: fmt.Sprintf("unknown capability %q", name), Valid: enum.Values, Kind: "capabilities", Suggest: qmp.Suggest(name, enum.Values)})
	}
	on, ok := qmp.ParseBool(state)
	if !ok {
		return nil, c.Errorf("%s %s: the state is on or off", name, state)
	}
	return []qmp.Request{{Execute: "migrate-set-capabilities", Arguments: qmp.Object{{Name: "capabilities", Value: qmp.ObjectList(
		qmp.Object{{Name: "capability", Value: qmp.Str(name)}, {Name: "state", Value: qmp.Bool(on)}},
	)}}}}, nil
}

// mibParams are the parameters HMP reads in MiB when no unit is given,
// unlike QMP (bytes): QEMU's hmp_migrate_set_parameter does the same.
var mibParams = []string{"max-bandwidth", "avail-switchover-bandwidth"}

// mibRule says the rule once, for help, "?" and the table's text.
const mibRule = "a number without a suffix is MiB, as in QEMU's HMP (100 is 100 MiB, sent as 104857600); K, M, G, T suffixes say the unit"

// setParameterLong is migrate_set_parameter's text, with the MiB rule
// said as help shows it.
func setParameterLong() string {
	return strings.Join(wrap("VALUE is read by the parameter's type in the QEMU's schema: integers and "+
		"sizes take K, M, G, T suffixes (powers of 1024), booleans on/off, enums one of their values, "+
		"strings as given. For "+strings.Join(mibParams, " and ")+": "+mibRule+". "+
		`"help migrate_set_parameter NAME" says what a parameter means.`, "", 75), "\n")
}

// ParameterRule is hmpsh's own rule for reading migration parameter
// name's value where it differs from QMP's, or "".
func ParameterRule(name string) string {
	if slices.Contains(mibParams, name) {
		return mibRule
	}
	return ""
}

func translateSetParameter(c *Call) ([]qmp.Request, error) {
	name, _ := c.Arg("parameter")
	value, _ := c.Arg("value")
	s := c.Target.Schema
	opt := &qmp.ConvertOptions{StringFirst: true, IntUnit: func(path string) int64 {
		if slices.Contains(mibParams, path) {
			return 1 << 20
		}
		return 1
	}}
	v, err := s.ConvertValue("migrate-set-parameters", name, value, opt)
	if err != nil {
		var ae *qmp.ArgError
		if errors.As(err, &ae) && ae.Kind == "names" {
			ae.Problem = fmt.Sprintf("unknown parameter %q", name)
			ae.Kind = "parameters"
		}
		if m, ok := c.Target.Parameter(name); ok && Structured(s, m.Type) {
			return nil, c.Errorf("%s is structured and cannot be set from HMP; use the QMP form: migrate-set-parameters %s.0.KEY=VALUE ...", name, name)
		}
		return nil, c.Errorf("%w", err)
	}
	return []qmp.Request{{Execute: "migrate-set-parameters", Arguments: qmp.Object{{Name: name, Value: v}}}}, nil
}

func translateContinue(c *Call) ([]qmp.Request, error) {
	state, _ := c.Arg("state")
	args, err := c.Target.Schema.ConvertArgs("migrate-continue", []qmp.Pair{{Key: "state", Value: state}}, nil)
	if err != nil {
		return nil, c.Errorf("%w", err)
	}
	return []qmp.Request{{Execute: "migrate-continue", Arguments: args}}, nil
}

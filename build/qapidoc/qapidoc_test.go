package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/hmpsh/hmpsh/qmp"
)

// sample is written the way QEMU 10.0's qapi/*.json are: doc comments
// with indented continuation lines, later paragraphs, features, notes.
const sample = `# -*- Mode: Python -*-

##
# = Section heading
##

{ 'include': 'common.json' }

##
# @Base:
#
# @host: host part of the address
##
{ 'struct': 'Base', 'data': { 'host': 'str' } }

##
# @Params:
#
# Some parameters.
#
# @max-bandwidth: maximum speed for migration, in bytes per second.
#     (Since 2.8)
#
# @downtime-limit: set maximum tolerated downtime for migration.
#     maximum downtime in milliseconds (Since 2.8)
#
# @tls-hostname: the hostname.  If empty, QEMU uses the URI's.
#     (Since 2.7)
#
#     Note: empty value works only since 2.9.
#
# @resume: resume one paused migration, default "off".  (since 3.0)
# @max-postcopy-bandwidth: Background transfer bandwidth during
#     postcopy.  Defaults to 0 (unlimited).  In bytes per second.
#     (Since 3.0)
#
# @numeric: true if the host/port are guaranteed to be numeric
#     (see @host).  Defaults to false.
# Features:
#
# @unstable: Member @numeric is experimental.
#
# Since: 2.4
##
{ 'struct': 'Params',
  'base': 'Base',
  'data': { '*max-bandwidth': 'size',
            '*downtime-limit': 'uint64',
            '*tls-hostname': 'StrOrNull',
            '*resume': 'bool',
            '*max-postcopy-bandwidth': { 'type': 'size', 'if': 'CONFIG_X' },
            '*numeric': { 'type': 'bool', 'features': [ 'unstable' ] },
            'list': [ 'str' ] } }

##
# @Kind:
#
# @inet: Internet address
#
# @unix: Unix domain socket (since 9.1)
#
# Since: 2.9
##
{ 'enum': 'Kind', 'data': [ 'inet', { 'name': 'unix', 'if': 'CONFIG_POSIX' } ] }

##
# @Addr:
#
# @type: Transport type
#
# Since: 2.9
##
{ 'union': 'Addr', 'base': { 'type': 'Kind' }, 'discriminator': 'type',
  'data': { 'inet': 'Params', 'unix': 'Base' } }

##
# @set-params:
#
# Since: 2.4
##
{ 'command': 'set-params', 'boxed': true, 'data': 'Params' }

{ 'event': 'SOMETHING', 'data': { 'x': 'int' } }
`

func TestDefinitions(t *testing.T) {
	defs, err := Definitions(sample)
	if err != nil {
		t.Fatal(err)
	}
	want := []docDefinition{
		{Name: "Base", Meta: "struct", Members: []memberDoc{{Name: "host", Type: "str", Text: "host part of the address"}}},
		{Name: "Params", Meta: "struct", Base: "Base", Since: "2.4", Members: []memberDoc{
			{Name: "max-bandwidth", Type: "size", Text: "maximum speed for migration, in bytes per second.", Unit: "bytes per second", Since: "2.8"},
			{Name: "downtime-limit", Type: "uint64", Text: "set maximum tolerated downtime for migration. maximum downtime in milliseconds", Unit: "milliseconds", Since: "2.8"},
			{Name: "tls-hostname", Type: "StrOrNull", Text: "the hostname. If empty, QEMU uses the URI's.", Since: "2.7"},
			{Name: "resume", Type: "bool", Text: `resume one paused migration, default "off".`, Default: "off", Since: "3.0"},
			{Name: "max-postcopy-bandwidth", Type: "size", Text: "Background transfer bandwidth during postcopy. Defaults to 0 (unlimited). In bytes per second.", Unit: "bytes per second", Default: "0 (unlimited)", Since: "3.0"},
			{Name: "numeric", Type: "bool", Text: "true if the host/port are guaranteed to be numeric (see host). Defaults to false.", Default: "false"},
			{Name: "list", Type: "[str]"},
		}},
		{Name: "Kind", Meta: "enum", Since: "2.9", Members: []memberDoc{{Name: "inet", Text: "Internet address"}, {Name: "unix", Text: "Unix domain socket", Since: "9.1"}}},
		{Name: "Addr", Meta: "union", Since: "2.9", Cases: []string{"inet", "unix"}, Members: []memberDoc{{Name: "type", Type: "Kind", Text: "Transport type"}}},
	}
	if !reflect.DeepEqual(defs, want) {
		got, _ := json.MarshalIndent(defs, "", "  ")
		t.Errorf("Definitions:\n%s", got)
	}
}

func TestBadSchema(t *testing.T) {
	for _, src := range []string{
		"{ 'struct': 'X', 'data': { 'a': 'str' }",
		"{ 'struct': 'X', 'data': { 'a': 'str } }",
		"[ 'x' ]",
		"{ 'struct': 'X', 'data': { 'a': [ 'x', 'y' ] } }",
		"{ 'struct': 'X' 'data': {} }",
	} {
		if _, err := Definitions(src); err == nil {
			t.Errorf("Definitions(%q) = no error", src)
		}
	}
}

// TestReadByQMP: what qapidoc writes is what qmp reads (the types are
// written out twice, so that the generator needs no file it generates).
func TestReadByQMP(t *testing.T) {
	defs, err := Definitions(sample)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(docsFile{QEMU: "10.0.2", Package: "1:10.0.2", Source: "qemu.tar.xz", Files: []string{"qapi/x.json"}, Definitions: defs})
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(data)
	zw.Close()
	d, err := qmp.ReadDocsFile(&z)
	if err != nil {
		t.Fatal(err)
	}
	if d.QEMU != "10.0.2" || d.Package != "1:10.0.2" || d.Source != "qemu.tar.xz" {
		t.Errorf("read %q %q %q", d.QEMU, d.Package, d.Source)
	}
	var back qmp.DocsFile
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(back)
	if !bytes.Equal(again, data) {
		t.Errorf("qmp.DocsFile loses what qapidoc writes:\n got %s\nwant %s", again, data)
	}
}

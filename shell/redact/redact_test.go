package redact

import (
	"strings"
	"testing"
)

func TestLine(t *testing.T) {
	tests := []struct{ in, want string }{
		// set_password PROTOCOL PASSWORD [-d DISPLAY] [ACTION]
		{"set_password vnc secret123", "set_password vnc ***"},
		{"set_password spice s3cr3t keep", "set_password spice *** keep"},
		{"set_password vnc s3cr3t -d vnc0 fail", "set_password vnc *** -d vnc0 fail"},
		{"set_password -d vnc0 vnc s3cr3t", "set_password -d *** vnc ***"}, // QEMU reads vnc0 as the password
		{`set_password vnc "pass word"`, "set_password vnc ***"},
		{`set_password vnc "unterminated pass`, "set_password vnc ***"},
		{"set_password  vnc\tabc  ", "set_password  vnc\t***  "},
		{"SET_PASSWORD vnc abc", "SET_PASSWORD vnc ***"},
		{"set_password vnc", "set_password vnc"},
		{"set_password", "set_password"},
		{"set_password vnc ***", "set_password vnc ***"},
		{"set_password vnc id=x,password=y", "set_password vnc ***"},
		{"set_password protocol=vnc password=abc", "set_password protocol=vnc password=***"},
		// Values the HMP word rules cut short (a quote after key=, escaped
		// spaces): lines hmpsh rejects, read as a shell would.
		{`human-monitor-command command-line="set_password vnc hunter2"`, `human-monitor-command command-line="set_password vnc ***"`},
		{`human-monitor-command command-line='set_password vnc hunter2'`, `human-monitor-command command-line="set_password vnc ***"`},
		{`human-monitor-command command-line=set_password\ vnc\ hunter2`, `human-monitor-command command-line="set_password vnc ***"`},
		{`human-monitor-command command-line="set_password vnc hunter2`, `human-monitor-command command-line="set_password vnc ***"`},
		{`@dst human-monitor-command command-line="change vnc password hunter2" # c`, `@dst human-monitor-command command-line="change vnc password ***" # c`},
		{`human-monitor-command command-line='info version'`, `human-monitor-command command-line='info version'`},
		{`object-add qom-type=secret id=s data="hunter2 x"`, `object-add qom-type=secret id=s data=***`},
		{`migrate-set-parameters tls-creds=x password='a b c'`, `migrate-set-parameters tls-creds=x password=***`},
		// @NAME
		{"@dst set_password vnc secret123", "@dst set_password vnc ***"},
		{"  @dst  set_password vnc x", "  @dst  set_password vnc ***"},
		{"@dst\tset_password vnc x", "@dst\tset_password vnc ***"},
		{"@dst", "@dst"},
		{"@set_password", "@set_password"},
		// change vnc password PASSWORD
		{"change vnc password xyz", "change vnc password ***"},
		{`change vnc password "x y z"`, "change vnc password ***"},
		{"change vnc password", "change vnc password"},
		{"change vnc 127.0.0.1:1", "change vnc 127.0.0.1:1"},
		{"change ide1-cd0 /tmp/password.iso", "change ide1-cd0 /tmp/password.iso"},
		// block_passwd DEVICE PASSWORD
		{"block_passwd ide0-hd0 hunter2", "block_passwd ide0-hd0 ***"},
		{"block_passwd ide0-hd0", "block_passwd ide0-hd0"},
		// Not secret: expiry, ids of secret objects, TLS credentials' ids.
		{"expire_password vnc +60", "expire_password vnc +60"},
		{"expire_password vnc never -d vnc0", "expire_password vnc never -d vnc0"},
		{"migrate_set_parameter tls-creds tls0", "migrate_set_parameter tls-creds tls0"},
		{"migrate-set-parameters tls-creds=tls0", "migrate-set-parameters tls-creds=tls0"},
		{"blockdev-add driver=luks node-name=l key-secret=sec0 file=f", "blockdev-add driver=luks node-name=l key-secret=sec0 file=f"},
		{"drive_add 0 file=iscsi://h/t/0,password-secret=sec0", "drive_add 0 file=iscsi://h/t/0,password-secret=sec0"},
		{"object_add secret,id=sec0,file=/run/pw,format=raw", "object_add secret,id=sec0,file=/run/pw,format=raw"},
		{"object_add secret,id=sec0,data=aGk=,format=base64,keyid=master,iv=aXY=", "object_add secret,id=sec0,data=***,format=base64,keyid=master,iv=aXY="},
		// object_add secret / secret_keyring: data
		{"object_add secret,id=sec0,data=letmein", "object_add secret,id=sec0,data=***"},
		{"object_add secret,id=sec0,data=let,,me,,in,format=raw", "object_add secret,id=sec0,data=***,format=raw"},
		{"object_add secret_keyring,id=sec0,data=x,serial=1", "object_add secret_keyring,id=sec0,data=***,serial=1"},
		{"object_add id=sec0,qom-type=secret,data=x", "object_add id=sec0,qom-type=secret,data=***"},
		{`object_add "secret,id=sec0,data=let me in"`, "object_add secret,id=sec0,data=***"},
		{`object_add "secret,id=sec 0,data=x"`, `object_add "secret,id=sec 0,data=***"`},
		// data is not secret in other objects' option strings.
		{"object_add memory-backend-ram,id=m,size=1G,data=x", "object_add memory-backend-ram,id=m,size=1G,data=x"},
		{"device_add foo,data=x", "device_add foo,data=x"},
		// password, secret, passphrase in any option string.
		{"chardev-add socket,id=c,password=x,path=/s", "chardev-add socket,id=c,password=***,path=/s"},
		{"netdev_add user,id=n,file.password=x", "netdev_add user,id=n,file.password=***"},
		{"foo a,passphrase=p,,q,b=c", "foo a,passphrase=***,b=c"},
		{"foo a,Password=x", "foo a,Password=***"},
		{"foo a,password=", "foo a,password=***"},
		// A key=value word: the value is the rest of the word (QMP).
		{"object-add qom-type=secret id=sec0 data=letmein", "object-add qom-type=secret id=sec0 data=***"},
		{"object-add qom-type=secret id=sec0 data=a,b,c", "object-add qom-type=secret id=sec0 data=***"},
		{"set-password protocol=vnc password=abc connected=keep", "set-password protocol=vnc password=*** connected=keep"},
		{"ringbuf-write device=r0 data=hello", "ringbuf-write device=r0 data=***"},
		{"x password=a,id=b", "x password=***"},
		{"x secret=", "x secret=***"},
		{"x a.0.password=p", "x a.0.password=***"},
		{"x password.0=p", "x password.0=***"},
		{`x "password=a b"`, "x password=***"},
		// qom-set PATH PROPERTY VALUE
		{"qom-set /objects/sec0 data newsecret", "qom-set /objects/sec0 data ***"},
		{"qom-set -j /objects/vnc0 password \"p w\"", "qom-set -j /objects/vnc0 password ***"},
		{"qom-set /machine/peripheral/x size 100", "qom-set /machine/peripheral/x size 100"},
		// human-monitor-command: the HMP line inside.
		{`human-monitor-command "command-line=set_password vnc abc"`, "human-monitor-command \"command-line=set_password vnc ***\""},
		{"human-monitor-command command-line=info", "human-monitor-command command-line=info"},
		// Raw JSON.
		{`{"execute":"set_password","arguments":{"protocol":"vnc","password":"abc"}}`, `{"execute":"set_password","arguments":{"protocol":"vnc","password":"***"}}`},
		{`{ "execute" : "object-add", "arguments" : { "qom-type" : "secret", "id" : "s", "data" : "c2Vj\"cmV0" } }`, `{ "execute" : "object-add", "arguments" : { "qom-type" : "secret", "id" : "s", "data" : "***" } }`},
		{`{"execute":"x","arguments":{"a":{"b":[{"secret":"s"}]},"passphrase":"p"}}`, `{"execute":"x","arguments":{"a":{"b":[{"secret":"***"}]},"passphrase":"***"}}`},
		{`{"execute":"set_password","arguments":{"password":1234}}`, `{"execute":"set_password","arguments":{"password":"***"}}`},
		{`{"execute":"set_password","arguments":{"password":"abc`, `{"execute":"set_password","arguments":{"password":"***`},
		{`{"execute":"human-monitor-command","arguments":{"command-line":"set_password vnc abc"}}`, `{"execute":"human-monitor-command","arguments":{"command-line":"set_password vnc ***"}}`},
		{`{"execute":"human-monitor-command","arguments":{"command-line":"change vnc password \"a b\" <x>"}}`, `{"execute":"human-monitor-command","arguments":{"command-line":"change vnc password *** <x>"}}`},
		{`{"execute":"human-monitor-command","arguments":{"command-line":"set_password vnc abc`, `{"execute":"human-monitor-command","arguments":{"command-line":"set_password vnc ***`},
		{`{"execute":"human-monitor-command","arguments":{"command-line":"info status"}}`, `{"execute":"human-monitor-command","arguments":{"command-line":"info status"}}`},
		{`{"execute":"x","arguments":{"pass\u0077ord":"abc"}}`, `{"execute":"x","arguments":{"pass\u0077ord":"***"}}`},
		{`@dst {"execute":"set_password","arguments":{"password":"abc"}}`, `@dst {"execute":"set_password","arguments":{"password":"***"}}`},
		// Names, not values: the key is what counts.
		{`{"execute":"x","arguments":{"id":"password","data":{"k":"v"}}}`, `{"execute":"x","arguments":{"id":"password","data":{"k":"v"}}}`},
		{`{"execute":"qom-get","arguments":{"path":"/objects/s","property":"secret"}}`, `{"execute":"qom-get","arguments":{"path":"/objects/s","property":"secret"}}`},
		{`{"execute":"x","arguments":{"key-secret":"sec0","keyid":"k"}}`, `{"execute":"x","arguments":{"key-secret":"sec0","keyid":"k"}}`},
		// Lines without secrets, unchanged byte for byte.
		{"", ""},
		{"   ", "   "},
		{"info status", "info status"},
		{`migrate -c "exec,args=/bin/sh -c 'gzip > /tmp/vm.gz'"`, `migrate -c "exec,args=/bin/sh -c 'gzip > /tmp/vm.gz'"`},
		{"migrate -c socket,type=unix,path=/run/password.sock", "migrate -c socket,type=unix,path=/run/password.sock"},
		{"help set_password", "help set_password"},
		{"# set_password vnc abc", "# set_password vnc abc"},
		{`"unterminated`, `"unterminated`},
		{`a "b"c password`, `a "b"c password`},
		{"{not json", "{not json"},
	}
	for _, tt := range tests {
		got := Line(tt.in)
		if got != tt.want {
			t.Errorf("Line(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
		if again := Line(got); again != got {
			t.Errorf("Line(Line(%q)) = %q, not %q", tt.in, again, got)
		}
	}
}

// secretWords are the words without which Line changes nothing.
var secretWords = []string{"password", "passwd", "secret", "passphrase", "data"}

func hasSecretWord(s string) bool {
	l := strings.ToLower(s)
	for _, w := range secretWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

func FuzzLine(f *testing.F) {
	for _, s := range []string{
		"set_password vnc secret123", `change vnc password "a b"`, "object_add secret,id=s,data=x,,y,format=raw",
		`{"execute":"set_password","arguments":{"password":"abc"}}`, `human-monitor-command "command-line=set_password vnc x"`,
		`{"execute":"human-monitor-command","arguments":{"command-line":"set_password vnc \"a`, "@dst qom-set -j /o password x",
		`set_password vnc "a\`, `object_add "secret,data=a"b`, "x password=a,b", `{"password":-1e5,"data":[1]}`,
		"block_passwd d p", "set_password -d", `x "password=\x"`, "object-add qom-type=secret id=s data=x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		got := Line(line)
		if again := Line(got); again != got {
			t.Fatalf("Line(%q) = %q, but Line of that = %q", line, got, again)
		}
		// A line whose words cannot spell a secret word is left alone.
		// Words are read leniently, so a broken quote can join pieces
		// ("pass"word), and JSON's \u escapes can spell letters: those
		// lines are not checked.
		if !hasSecretWord(strings.ReplaceAll(line, `"`, "")) && !strings.Contains(line, `\`) && got != line {
			t.Fatalf("Line(%q) = %q: changed a line without secret words", line, got)
		}
	})
}

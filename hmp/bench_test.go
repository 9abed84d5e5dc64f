package hmp

import "testing"

// benchTranslate measures one line, from the raw line to marshalled QMP,
// on a built-in target ("" for the newest).
func benchTranslate(b *testing.B, version, line string) {
	targets, err := KnownTargets()
	if err != nil {
		b.Fatal(err)
	}
	target := targets.Newest()
	if version != "" {
		if target, err = targets.Pick(version); err != nil {
			b.Fatal(err)
		}
	}
	sx := testSyntax(b)
	b.ReportAllocs()
	for b.Loop() {
		tn, err := sx.Translate(line, target)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tn.Requests[0].MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTranslateMigrateChannel: a "migrate -c" line for QEMU 10.0,
// sent as channels.
func BenchmarkTranslateMigrateChannel(b *testing.B) {
	benchTranslate(b, "", "migrate -d -c socket,type=inet,host=10.0.0.2,port=4444,keep-alive=on")
}

// BenchmarkTranslateMigrateURI: the same destination as a legacy URI,
// rendered back for QEMU 7.2.
func BenchmarkTranslateMigrateURI(b *testing.B) {
	benchTranslate(b, "7.2", "migrate -d tcp:10.0.0.2:4444,keep-alive=on")
}

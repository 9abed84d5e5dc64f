package hmp

import "testing"

// BenchmarkTranslateMigrateChannel measures one "migrate -c" line, from
// the raw line to marshalled QMP, on the newest built-in target.
func BenchmarkTranslateMigrateChannel(b *testing.B) {
	targets, err := KnownTargets()
	if err != nil {
		b.Fatal(err)
	}
	tr := NewTranslator()
	target := targets.Newest()
	line := "migrate -d -c socket,type=inet,host=10.0.0.2,port=4444,keep-alive=on"
	b.ReportAllocs()
	for b.Loop() {
		tn, err := tr.Translate(line, target)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tn.Requests[0].MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTranslateMigrateURI is the same destination as a legacy URI,
// rendered back for QEMU 7.2.
func BenchmarkTranslateMigrateURI(b *testing.B) {
	targets, err := KnownTargets()
	if err != nil {
		b.Fatal(err)
	}
	tr := NewTranslator()
	target, err := targets.Pick("7.2")
	if err != nil {
		b.Fatal(err)
	}
	line := "migrate -d tcp:10.0.0.2:4444,keep-alive=on"
	b.ReportAllocs()
	for b.Loop() {
		tn, err := tr.Translate(line, target)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tn.Requests[0].MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}

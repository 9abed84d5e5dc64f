package qmp

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"testing"
)

// embeddedSchemaFile returns the gzip'd bytes of an embedded schema.
func embeddedSchemaFile(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := schemaFiles.ReadFile("schemas/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// embeddedSchemaJSON returns the raw query-qmp-schema reply stored in an
// embedded schema file, so that parsing can be measured without gunzip.
func embeddedSchemaJSON(tb testing.TB, name string) []byte {
	tb.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(embeddedSchemaFile(tb, name)))
	if err != nil {
		tb.Fatal(err)
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatal(err)
	}
	var f schemaFile
	if err := json.Unmarshal(text, &f); err != nil {
		tb.Fatal(err)
	}
	return f.Schema
}

func BenchmarkParseSchema(b *testing.B) {
	data := embeddedSchemaJSON(b, "qemu-10.0.json.gz")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSchema(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadSchemaFile(b *testing.B) {
	data := embeddedSchemaFile(b, "qemu-10.0.json.gz")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadSchemaFile(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKnownSchemas(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := KnownSchemas(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSchemaRef(b *testing.B) {
	data := embeddedSchemaJSON(b, "qemu-10.0.json.gz")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseSchemaRef(data); err != nil {
			b.Fatal(err)
		}
	}
}

// Command qapidoc reads QAPI schema files from QEMU's source and writes
// the part of their documentation hmpsh shows (qmp.DocsFile, as JSON on
// standard output): for each struct, union, alternate, enum and command,
// each member's or value's first paragraph, QAPI type, and the unit,
// default and version its text states. build/extract-docs.sh (make docs)
// runs it on the files of Debian's QEMU source package.
//
//	qapidoc -dir SRC -qemu 10.0.2 -package VERSION -source TARBALL qapi/migration.json ...
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	dir := flag.String("dir", ".", "the source tree the files are in")
	f := docsFile{}
	flag.StringVar(&f.QEMU, "qemu", "", "the QEMU version of the source")
	flag.StringVar(&f.Package, "package", "", "the source package's version")
	flag.StringVar(&f.Source, "source", "", "the tarball the source came from")
	flag.Parse()
	if flag.NArg() == 0 || f.QEMU == "" {
		fmt.Fprintln(os.Stderr, "usage: qapidoc -dir SRC -qemu VERSION [-package VERSION] [-source TARBALL] FILE.json...")
		os.Exit(2)
	}
	for _, name := range flag.Args() {
		text, err := os.ReadFile(filepath.Join(*dir, name))
		if err != nil {
			fmt.Fprintf(os.Stderr, "qapidoc: %v\n", err)
			os.Exit(1)
		}
		defs, err := Definitions(string(text))
		if err != nil {
			fmt.Fprintf(os.Stderr, "qapidoc: %s: %v\n", name, err)
			os.Exit(1)
		}
		f.Files = append(f.Files, name)
		f.Definitions = append(f.Definitions, defs...)
	}
	out, err := json.Marshal(f)
	if err == nil {
		_, err = os.Stdout.Write(append(out, '\n'))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "qapidoc: %v\n", err)
		os.Exit(1)
	}
}

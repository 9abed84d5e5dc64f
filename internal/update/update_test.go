package update

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Every test package imports this one, or "go test ./... -update" fails
// there with "flag provided but not defined".
func TestEveryTestPackageTakesUpdate(t *testing.T) {
	const self = "github.com/hmpsh/hmpsh/internal/update"
	root := filepath.Join("..", "..")
	imports := map[string]bool{} // directory -> imports self
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		dir := filepath.Dir(path)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		imports[dir] = imports[dir] || false
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == self {
				imports[dir] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(imports) < 5 {
		t.Fatalf("found only %d test packages under %s", len(imports), root)
	}
	for dir, ok := range imports {
		if !ok && dir != filepath.Join(root, "internal", "update") {
			t.Errorf("%s: no test file imports %s, so go test ./... -update fails there", dir, self)
		}
	}
}

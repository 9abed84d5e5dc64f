package shell

import (
	"bytes"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hmpsh/hmpsh/internal/qemutest"
	"github.com/hmpsh/hmpsh/internal/update"
)

// TestScriptLibrary checks every transcript in scripts/ with hmpsh check,
// on a fresh sandbox of each QEMU generation, so that the examples cannot
// go stale. -update rewrites what differs (review the diff).
func TestScriptLibrary(t *testing.T) {
	var files []string
	filepath.WalkDir(filepath.Join("..", "scripts"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".hmpt") {
			files = append(files, path)
		}
		return nil
	})
	if len(files) < 9 {
		t.Fatalf("scripts/ holds %d transcripts: %q", len(files), files)
	}
	qemutest.Each(t, func(t *testing.T, gen string) {
		bin := qemutest.Require(t, gen)
		cache := t.TempDir()
		for _, file := range files {
			t.Run(filepath.Base(file), func(t *testing.T) {
				args := []string{"check", "--cache-dir", cache, "--qemu", bin.Path}
				if *update.Golden {
					args = append(args, "--update")
				}
				var out, errOut bytes.Buffer
				if code := Main(append(args, file), strings.NewReader(""), &out, &errOut); code != 0 {
					t.Errorf("hmpsh check %s: exit %d\n%s%s", file, code, out.String(), errOut.String())
				}
			})
		}
	})
}

package complete

import (
	"os"
	"path/filepath"
	"strings"
)

// splitPath cuts a partial path after its last slash: the directory to
// list (as typed) and the start of the name.
func splitPath(p string) (dir, base string) {
	i := strings.LastIndexByte(p, '/')
	return p[:i+1], p[i+1:]
}

// pathItems lists the names in dir that start with base, directories with
// a "/" so that the next Tab goes on into them. Dot files show only when
// base starts with a dot. Relative paths are hmpsh's, which is where the
// user is; QEMU may run elsewhere, so absolute paths are the safe habit.
func pathItems(dir, base string) []item {
	readDir := dir
	if readDir == "" {
		readDir = "."
	}
	ents, err := os.ReadDir(readDir)
	if err != nil {
		return nil
	}
	var items []item
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, base) || strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".") {
			continue
		}
		isDir := e.IsDir()
		if e.Type()&os.ModeSymlink != 0 {
			if fi, err := os.Stat(filepath.Join(readDir, name)); err == nil {
				isDir = fi.IsDir()
			}
		}
		if isDir {
			items = append(items, item{text: name + "/", help: dir + name + "/ (directory)"})
		} else {
			items = append(items, item{text: name, help: dir + name})
		}
	}
	return items
}

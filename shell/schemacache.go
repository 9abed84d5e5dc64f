package shell

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hmpsh/hmpsh/qmp"
)

// DefaultCacheDir is $XDG_CACHE_HOME/hmpsh (or ~/.cache/hmpsh).
func DefaultCacheDir() string {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "hmpsh")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".cache", "hmpsh")
	}
	return ""
}

// schemaCachePath names a QEMU's schema by version and package string: two
// builds of one version (a distribution's backports) get two files.
func schemaCachePath(dir string, v qmp.Version) string {
	sum := sha256.Sum256([]byte(v.Package))
	return filepath.Join(dir, "schemas", fmt.Sprintf("qemu-%s-%s.json.gz", v.String(), hex.EncodeToString(sum[:6])))
}

// loadSchema returns the connected QEMU's schema and HMP command list: from
// the cache when this version and package were seen before, else asked
// from QEMU (query-qmp-schema, ~300 KB; HMP "help") and cached.
func loadSchema(ctx context.Context, c qmp.Conn, dir string, timeout time.Duration) (*qmp.Schema, error) {
	v := c.Greeting().Version
	path := ""
	if dir != "" {
		path = schemaCachePath(dir, v)
		if f, err := os.Open(path); err == nil {
			s, err := qmp.ReadSchemaFile(f)
			f.Close()
			if err == nil {
				return s, nil
			}
			// A damaged cache file is replaced below.
		}
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	raw, err := c.Execute(cctx, "query-qmp-schema", nil)
	if err != nil {
		return nil, err
	}
	s, err := qmp.ParseSchema(raw)
	if err != nil {
		return nil, err
	}
	s.QEMU = v
	// QEMU's list of HMP commands tells HMP lines from QMP ones; a QEMU
	// without human-monitor-command just has none.
	if out, err := c.HMP(cctx, "help"); err == nil {
		s.HMPHelp = out
	}
	if out, err := c.HMP(cctx, "help info"); err == nil {
		s.HMPInfoHelp = out
	}
	if path != "" {
		_ = writeSchemaCache(path, s, raw)
	}
	return s, nil
}

// writeSchemaCache writes atomically, so that two hmpsh starting at once
// never read half a file.
func writeSchemaCache(path string, s *qmp.Schema, raw json.RawMessage) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".schema-*")
	if err != nil {
		return err
	}
	if err := qmp.WriteSchemaFile(tmp, s, raw); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

package shell

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/hmpsh/hmpsh/qmp"
)

// sizeFlag is a byte count written as QEMU writes sizes: 4096, 64M, 1G.
type sizeFlag struct{ p *int64 }

func (f sizeFlag) String() string {
	if f.p == nil {
		return ""
	}
	n := *f.p
	for _, u := range []struct {
		shift  uint
		suffix string
	}{{30, "G"}, {20, "M"}, {10, "K"}} {
		if n != 0 && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

func (f sizeFlag) Set(s string) error {
	num, err := qmp.ParseInt(s, 1)
	if err != nil {
		return fmt.Errorf("%q: %w; want a size such as 64M", s, err)
	}
	n, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("%q: want a size above 0, such as 64M", s)
	}
	*f.p = n
	return nil
}

func (fl *flagList) maxMessageFlag(p *int64) {
	*p = qmp.DefaultMaxMessage
	fl.add("max-message", func() {
		fl.fs.Var(sizeFlag{p}, "max-message", "the longest QMP message hmpsh takes from a QEMU, a `SIZE` in bytes or with K, M or G: a longer one (a greeting or reply that never ends) fails that monitor; the longest real reply, query-qmp-schema, is about 300 KB")
	})
}

// limitHint is what an error caused by a message over the limit gets
// added: how to raise it.
func limitHint(err error) string {
	if _, ok := errors.AsType[*qmp.MessageTooLargeError](err); ok {
		return " (hmpsh --max-message SIZE raises the limit)"
	}
	return ""
}

// dialer is how the session connects to monitors.
func (s *Session) dialer() qmp.Dialer { return qmp.Dialer{MaxMessage: s.cfg.MaxMessage} }

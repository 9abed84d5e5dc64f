package qmp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MessageTooLargeError is a message from QEMU longer than the client's
// limit (Dialer.MaxMessage). The connection is given up with it: what
// follows could not be read without holding the whole message.
type MessageTooLargeError struct {
	Limit int64 // bytes
}

func (e *MessageTooLargeError) Error() string {
	return fmt.Sprintf("QEMU sent a message longer than %s, the limit for one QMP message", FormatLimit(e.Limit))
}

func isTooLarge(err error) bool {
	_, ok := errors.AsType[*MessageTooLargeError](err)
	return ok
}

// FormatLimit writes a byte count as the largest binary unit that divides
// it: "64 MiB", "1500 KiB", "100 bytes".
func FormatLimit(n int64) string {
	for _, u := range []struct {
		shift uint
		name  string
	}{{60, "EiB"}, {50, "PiB"}, {40, "TiB"}, {30, "GiB"}, {20, "MiB"}, {10, "KiB"}} {
		if n != 0 && n%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d %s", n>>u.shift, u.name)
		}
	}
	if n == 1 {
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}

// decoder reads QEMU's messages one at a time, none longer than a limit.
// A json.Decoder alone keeps reading as long as a value goes on: a
// greeting that never ends grew hmpsh to 1.6 GB in 5 s.
type decoder struct {
	dec *json.Decoder
	lim *limitReader
}

func newDecoder(r io.Reader, max int64) *decoder {
	lim := &limitReader{r: r, max: max}
	return &decoder{dec: json.NewDecoder(lim), lim: lim}
}

// next reads the next message whole.
func (d *decoder) next() (json.RawMessage, error) {
	var raw json.RawMessage
	err := d.dec.Decode(&raw)
	d.lim.start = d.dec.InputOffset()
	return raw, err
}

// limitReader is the decoder's source. The json.Decoder asks for more only
// when the message it is reading is not complete in its buffer, so
// everything read since the end of the last message (start) belongs to
// the current one: reads are cut so that it never gets more than max
// bytes of it, and asking for more fails with a *MessageTooLargeError.
type limitReader struct {
	r     io.Reader
	max   int64
	read  int64 // bytes read from r so far
	start int64 // where the current message starts (the previous one's end)
}

func (l *limitReader) Read(p []byte) (int, error) {
	room := l.start + l.max - l.read
	if room <= 0 {
		return 0, &MessageTooLargeError{Limit: l.max}
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	return n, err
}

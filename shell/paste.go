package shell

import (
	"io"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/chzyer/readline"
)

// Pasting a long line into readline took time quadratic in its length:
// readline redraws the whole line for every character it inserts (4 KiB
// took 3 s, 16 KiB 31 s, 64 KiB minutes). pasteInput sits between the
// terminal and readline and makes a run of text one insertion, one redraw:
//
//   - Bracketed paste: while hmpsh reads a line it asks the terminal
//     (ESC[?2004h) to mark what is pasted as ESC[200~ ... ESC[201~. Pasted
//     text is text, not keys: a "?" or a Tab in it is inserted as it is.
//     Each line break in it is Enter, as when the lines are typed, so a
//     pasted script runs line by line and its last line, without a line
//     break, waits on the line; other control characters are dropped.
//   - A terminal without bracketed paste sends a paste as a burst: a run
//     of at least minRun plain characters (printable, not "?", which asks
//     for help) among what the terminal had ready at once is inserted at
//     once; typing comes a key at a time and is untouched. Keys and escape
//     sequences in the burst stay keys.
//
// In the bytes readline reads, each such run is replaced by pasteRune,
// and its text queued. readline hands pasteRune to filter, which turns it
// into Ctrl-G (a key that does nothing while a line is edited) and sets
// the text aside; listener, which readline calls after every key with the
// line and the cursor, puts the text in at the cursor. Only the Ctrl-G
// that filter made inserts anything; a Ctrl-G typed is Ctrl-G.
//
// While Ctrl-R searches the history, the text goes into the search one
// character at a time, as typed; a list of completions is closed and the
// text inserted in the line.
type pasteInput struct {
	in      io.Reader
	waiting func() int // bytes the terminal has ready, if it can tell
	buf     []byte
	out     []byte // for readline
	err     error  // the reader's, once out is drained

	state   int
	partial []byte // an incomplete UTF-8 character at the end of a read
	seq     []byte // the escape sequence being read
	run     []rune // plain characters in a row (ground), or pasted text
	endSeen int    // how much of the end marker a paste has shown
	cr      bool   // the last pasted byte was \r (a \n after it is the same break)

	mu    sync.Mutex
	queue [][]rune // texts whose pasteRune readline has yet to take

	// pending is the text filter took, for listener to insert; both run
	// on readline's goroutine, one key after the other.
	pending []rune
}

// pasteRune is a Unicode noncharacter, which no terminal sends; one that
// comes anyway becomes U+FFFD.
const pasteRune = '\uFDD0'

// minRun is the shortest burst taken as a paste: typing ahead (keys
// typed while a command ran come in one read) is shorter, and a paste
// broken into pieces of fewer characters costs little.
const minRun = 16

// maxBatch bounds what one read takes from the terminal.
const maxBatch = 1 << 20

const (
	bracketedPasteOn  = "\x1b[?2004h"
	bracketedPasteOff = "\x1b[?2004l"
	pasteStart        = "\x1b[200~"
	pasteEnd          = "\x1b[201~"
)

// What pasteInput is reading.
const (
	inGround = iota
	inEscape // after ESC
	inCSI    // after ESC [ (or ESC O): digits and ';' up to a final character
	inPaste  // between the markers
)

func newPasteInput(in io.Reader) *pasteInput {
	return &pasteInput{in: in, waiting: waitingInput(in)}
}

// usePaste sets cfg up to read from in through a pasteInput, with the
// terminal's bracketed paste on while a line is read (and off while a
// command runs and once hmpsh has gone). rl is the readline instance
// cfg makes.
func usePaste(cfg *readline.Config, in io.Reader, out io.Writer, rl func() *readline.Instance) {
	p := newPasteInput(in)
	cfg.Stdin = p
	cfg.FuncFilterInputRune = p.filter(rl)
	cfg.Listener = p.listener(cfg.Listener)
	raw := new(readline.RawMode)
	cfg.FuncMakeRaw = func() error {
		if err := raw.Enter(); err != nil {
			return err
		}
		_, err := io.WriteString(out, bracketedPasteOn)
		return err
	}
	cfg.FuncExitRaw = func() error {
		_, _ = io.WriteString(out, bracketedPasteOff)
		return raw.Exit()
	}
}

// Read gives readline the terminal's input, each run of text replaced by
// pasteRune. What the terminal has ready is read at once (up to
// maxBatch), so that a paste the terminal holds in pieces of 4 KiB is
// one run.
func (p *pasteInput) Read(b []byte) (int, error) {
	for len(p.out) == 0 {
		if p.err != nil {
			return 0, p.err
		}
		batch := p.buf[:0]
		var err error
		for {
			if cap(batch)-len(batch) < 4096 {
				batch = append(batch, make([]byte, 4096)...)[:len(batch)]
			}
			var n int
			n, err = p.in.Read(batch[len(batch):cap(batch)])
			batch = batch[:len(batch)+n]
			if err != nil || len(batch) >= maxBatch || p.waiting == nil || p.waiting() == 0 {
				break
			}
		}
		p.buf = batch[:0]
		p.scan(batch)
		if err != nil {
			// What was held back for more that will not come goes as it is.
			p.out = append(append(p.out, p.seq...), p.partial...)
			p.seq, p.partial = nil, nil
			p.err = err
		}
	}
	n := copy(b, p.out)
	p.out = p.out[n:]
	if len(p.out) == 0 {
		p.out = p.out[:0:0]
	}
	return n, nil
}

func (p *pasteInput) Close() error {
	if c, ok := p.in.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// scan reads one read's bytes. It follows escape sequences as readline
// reads them, so that a pasteRune never lands inside one.
func (p *pasteInput) scan(data []byte) {
	if len(p.partial) > 0 {
		data = append(p.partial, data...)
		p.partial = nil
	}
	for i := 0; i < len(data); {
		c := data[i]
		r, size := rune(c), 1
		if c >= utf8.RuneSelf {
			if !utf8.FullRune(data[i:]) {
				p.partial = append([]byte(nil), data[i:]...)
				break
			}
			r, size = utf8.DecodeRune(data[i:])
		}
		ch := data[i : i+size] // r as it goes on
		i += size
		if r == pasteRune {
			r, ch = utf8.RuneError, []byte(string(utf8.RuneError))
		}
		switch p.state {
		case inGround:
			switch {
			case c == 0x1b:
				p.flushRun()
				p.seq = append(p.seq[:0], c)
				p.state = inEscape
			case c < 0x20 || c == 0x7f || c == '?' || (r == utf8.RuneError && size == 1):
				// A key, or a byte that is not UTF-8 (readline's to judge).
				p.flushRun()
				p.out = append(p.out, c)
			default:
				p.run = append(p.run, r)
			}
		case inEscape:
			// readline takes the character after ESC as part of the key.
			if c == '[' || c == 'O' {
				p.seq = append(p.seq, c)
				p.state = inCSI
				break
			}
			p.out = append(append(p.out, p.seq...), ch...)
			p.seq = p.seq[:0]
			p.state = inGround
		case inCSI:
			p.seq = append(p.seq, ch...)
			if c == ';' || c >= '0' && c <= '9' {
				break
			}
			if string(p.seq) == pasteStart {
				p.state = inPaste
			} else {
				p.out = append(p.out, p.seq...)
				p.state = inGround
			}
			p.seq = p.seq[:0]
		case inPaste:
			p.pasted(ch, r)
		}
	}
	switch p.state {
	case inGround:
		p.flushRun()
	case inPaste:
		p.flushPaste()
	}
}

// pasted takes one character of pasted text, the bytes b that are r,
// watching for the end marker.
func (p *pasteInput) pasted(b []byte, r rune) {
	if len(b) == 1 && b[0] == pasteEnd[p.endSeen] {
		p.endSeen++
		if p.endSeen == len(pasteEnd) {
			p.endSeen = 0
			p.flushPaste()
			p.state = inGround
		}
		return
	}
	if p.endSeen > 0 {
		// Not the end marker after all: what looked like it is text.
		for _, c := range []byte(pasteEnd[:p.endSeen]) {
			p.text(rune(c))
		}
		p.endSeen = 0
		p.pasted(b, r)
		return
	}
	p.text(r)
}

// text takes one character of pasted text.
func (p *pasteInput) text(r rune) {
	cr := p.cr
	p.cr = r == '\r'
	switch {
	case r == '\n' && cr:
	case r == '\r' || r == '\n':
		p.flushPaste()
		p.out = append(p.out, '\r')
	case r == '\t' || !unicode.IsControl(r):
		p.run = append(p.run, r)
	}
}

// flushRun ends a run of plain characters: a long one goes in as one
// text, a short one as the keys it was.
func (p *pasteInput) flushRun() {
	if len(p.run) >= minRun {
		p.flushPaste()
		return
	}
	p.out = append(p.out, string(p.run)...)
	p.run = p.run[:0]
}

// flushPaste queues the text so far as one insertion.
func (p *pasteInput) flushPaste() {
	if len(p.run) == 0 {
		return
	}
	p.mu.Lock()
	p.queue = append(p.queue, p.run)
	p.mu.Unlock()
	p.run = nil
	p.out = utf8.AppendRune(p.out, pasteRune)
}

func (p *pasteInput) take() []rune {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) == 0 {
		return nil
	}
	text := p.queue[0]
	p.queue = p.queue[1:]
	return text
}

// filter is readline's FuncFilterInputRune (see pasteInput).
func (p *pasteInput) filter(rl func() *readline.Instance) func(rune) (rune, bool) {
	return func(r rune) (rune, bool) {
		p.pending = nil
		if r != pasteRune {
			return r, true
		}
		text := p.take()
		if len(text) == 0 {
			return r, false
		}
		op := rl().Operation
		switch {
		case op.IsSearchMode():
			for _, c := range text[:len(text)-1] {
				op.SearchChar(c)
			}
			return text[len(text)-1], true
		case op.IsInCompleteSelectMode():
			// readline handles the select mode before the keys, and
			// Ctrl-G there would close the list without a word to
			// listener.
			op.ExitCompleteMode(true)
		}
		p.pending = text
		return readline.CharBell, true
	}
}

// listener inserts the text filter took, at the cursor; other keys go
// to next.
func (p *pasteInput) listener(next readline.Listener) readline.Listener {
	return readline.FuncListener(func(line []rune, pos int, key rune) ([]rune, int, bool) {
		if key == readline.CharBell && p.pending != nil {
			text := p.pending
			p.pending = nil
			l := make([]rune, 0, len(line)+len(text))
			l = append(append(append(l, line[:pos]...), text...), line[pos:]...)
			return l, pos + len(text), true
		}
		if next == nil {
			return nil, 0, false
		}
		return next.OnChange(line, pos, key)
	})
}

package shell

import (
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// chunks is a reader that returns its pieces one read each, as a
// terminal hands over input.
type chunks []string

func (c *chunks) Read(b []byte) (int, error) {
	if len(*c) == 0 {
		return 0, io.EOF
	}
	n := copy(b, (*c)[0])
	if n < len((*c)[0]) {
		(*c)[0] = (*c)[0][n:]
	} else {
		*c = (*c)[1:]
	}
	return n, nil
}

// readPasted reads everything through a pasteInput and shows it with
// each pasteRune replaced by its text in braces.
func readPasted(t *testing.T, pieces ...string) string {
	t.Helper()
	c := chunks(pieces)
	p := newPasteInput(&c)
	data, err := io.ReadAll(p)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i, s := range strings.Split(string(data), string(pasteRune)) {
		if i > 0 {
			b.WriteString("{" + string(p.take()) + "}")
		}
		b.WriteString(s)
	}
	if len(p.queue) != 0 {
		t.Errorf("texts left in the queue: %q", p.queue)
	}
	return b.String()
}

func TestPasteInput(t *testing.T) {
	long := strings.Repeat("abcd", 8) // 32 characters: a burst
	for _, c := range []struct {
		name   string
		pieces []string
		want   string
	}{
		{"typing", []string{"i", "n", "f", "o", "\r"}, "info\r"},
		{"short burst stays keys", []string{"info status\r"}, "info status\r"},
		{"burst", []string{"x" + long + "\r"}, "{x" + long + "}\r"},
		{"burst keeps ? and keys", []string{long + "?" + long + "\t\x03"}, "{" + long + "}?{" + long + "}\t\x03"},
		{"escape sequences stay keys", []string{"\x1b[A" + long + "\x1b[1;5D\x1bb" + long + "\x1bOH"}, "\x1b[A{" + long + "}\x1b[1;5D\x1bb{" + long + "}\x1bOH"},
		{"escape split across reads", []string{"\x1b", "[", "1;5", "D" + long}, "\x1b[1;5D{" + long + "}"},
		{"meta key split", []string{long + "\x1b", "b" + long}, "{" + long + "}\x1bb{" + long + "}"},
		// A run ends with its read; the character comes whole in the next.
		{"UTF-8 split across reads", []string{"é" + long + "\xc3", "\xa9"}, "{é" + long + "}é"},
		{"a noncharacter from the terminal is not a paste", []string{"a\uFDD0b\x1b\uFDD0\x1b[\uFDD0" + pasteStart + "\uFDD0" + pasteEnd}, "a\uFFFDb\x1b\uFFFD\x1b[\uFFFD{\uFFFD}"},
		{"bracketed", []string{pasteStart + "info? \there" + pasteEnd}, "{info? \there}"},
		{"bracketed lines", []string{pasteStart + "a\r\nb\nc\r\rd" + pasteEnd + "\r"}, "{a}\r{b}\r{c}\r\r{d}\r"},
		{"bracketed drops control characters", []string{pasteStart + "a\x03\x1bb\x7f\u0085c" + pasteEnd}, "{abc}"},
		{"markers split across reads", []string{"\x1b[2", "00~ab", "c\x1b[20", "1~d"}, "{ab}{c}d"},
		{"not the end marker", []string{pasteStart + "a\x1b[202~b" + pasteEnd}, "{a[202~b}"},
		{"a stray end marker is readline's", []string{pasteEnd + "a"}, pasteEnd + "a"},
		{"other ~ keys", []string{"\x1b[3~\x1b[2~"}, "\x1b[3~\x1b[2~"},
		{"invalid UTF-8 is readline's", []string{"ab\xffcd"}, "ab\xffcd"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := readPasted(t, c.pieces...); got != c.want {
				t.Errorf("read %q\n got %q\nwant %q", c.pieces, got, c.want)
			}
		})
	}
}

// What is held back for more (half an escape sequence, half a character)
// goes to readline when the terminal ends.
func TestPasteInputEOF(t *testing.T) {
	for _, tail := range []string{"\x1b[1;", "\xc3"} {
		if got := readPasted(t, "ab", tail); got != "ab"+tail {
			t.Errorf("got %q", got)
		}
	}
	c := chunks(nil)
	p := newPasteInput(&c)
	if _, err := p.Read(make([]byte, 10)); !errors.Is(err, io.EOF) {
		t.Errorf("err %v", err)
	}
	if !utf8.ValidRune(pasteRune) {
		t.Errorf("pasteRune is not a rune readline can read")
	}
}

// The listener puts the text at the cursor, only for the Ctrl-G the
// filter made of a pasteRune.
func TestPasteListener(t *testing.T) {
	p := newPasteInput(strings.NewReader(""))
	l := p.listener(nil)
	if _, _, ok := l.OnChange([]rune("ab"), 1, 7); ok {
		t.Errorf("a Ctrl-G typed changed the line")
	}
	p.pending = []rune("XYZ")
	line, pos, ok := l.OnChange([]rune("ab"), 1, 7)
	if !ok || string(line) != "aXYZb" || pos != 4 {
		t.Errorf("got %q %d %v", string(line), pos, ok)
	}
	if p.pending != nil {
		t.Errorf("the text is still pending")
	}
}

// Whatever the terminal sends, pasteInput does not fail, every pasteRune
// has its text, and outside bracketed paste nothing is lost or added:
// the texts put back in their places give the input again.
func FuzzPasteInput(f *testing.F) {
	f.Add([]byte("info status\r"), uint16(3))
	f.Add([]byte("\x1b[A"+strings.Repeat("x", 40)+"?\x1bb\x1bOH"), uint16(2))
	f.Add([]byte(pasteStart+"a\r\nb\x1b[20"+pasteEnd), uint16(9))
	f.Add([]byte("é\xff\uFDD0"+strings.Repeat("é", 20)), uint16(1))
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		at := 0
		if len(data) > 0 {
			at = int(cut) % len(data)
		}
		got := readPasted(t, string(data[:at]), string(data[at:]))
		if strings.Contains(string(data), pasteStart) {
			return
		}
		want := strings.ReplaceAll(string(data), "\uFDD0", "\uFFFD")
		if strings.NewReplacer("{", "", "}", "").Replace(got) != strings.NewReplacer("{", "", "}", "").Replace(want) {
			t.Errorf("read %q, got %q", data, got)
		}
	})
}

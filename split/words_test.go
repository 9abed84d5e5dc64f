package split

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestWords(t *testing.T) {
	tests := []struct {
		line string
		want []Word
	}{
		{"", nil},
		{" \t\n\r\v\f", nil},
		{"migrate", []Word{{Text: "migrate", Start: 0, End: 7}}},
		{"  migrate  -d\ttcp:h:4444 ", []Word{
			{Text: "migrate", Start: 2, End: 9},
			{Text: "-d", Start: 11, End: 13},
			{Text: "tcp:h:4444", Start: 14, End: 24},
		}},
		// Every kind of C isspace separates words.
		{"a\vb\fc\rd\ne", []Word{
			{Text: "a", Start: 0, End: 1}, {Text: "b", Start: 2, End: 3}, {Text: "c", Start: 4, End: 5},
			{Text: "d", Start: 6, End: 7}, {Text: "e", Start: 8, End: 9},
		}},
		{`"a b"`, []Word{{Text: "a b", Start: 0, End: 5, Quoted: true}}},
		{`""`, []Word{{Text: "", Start: 0, End: 2, Quoted: true}}},
		{`x "" y`, []Word{
			{Text: "x", Start: 0, End: 1},
			{Text: "", Start: 2, End: 4, Quoted: true},
			{Text: "y", Start: 5, End: 6},
		}},
		// The five escapes QEMU's get_str knows.
		{`"q\"b\\s\'n\nr\r"`, []Word{{Text: "q\"b\\s'n\nr\r", Start: 0, End: 17, Quoted: true}}},
		// Quotes run over white space of every kind.
		{"\"a\tb\nc\"", []Word{{Text: "a\tb\nc", Start: 0, End: 7, Quoted: true}}},
		// Outside quotes a backslash and a quote inside a word are ordinary.
		{`C:\path\n a"b a'b'`, []Word{
			{Text: `C:\path\n`, Start: 0, End: 9},
			{Text: `a"b`, Start: 10, End: 13},
			{Text: `a'b'`, Start: 14, End: 18},
		}},
		// A single quote does not quote.
		{`'a b'`, []Word{{Text: `'a`, Start: 0, End: 2}, {Text: `b'`, Start: 3, End: 5}}},
		{`-c "socket,type=unix,path=/run/a b" x`, []Word{
			{Text: "-c", Start: 0, End: 2},
			{Text: "socket,type=unix,path=/run/a b", Start: 3, End: 35, Quoted: true},
			{Text: "x", Start: 36, End: 37},
		}},
		// Offsets are in bytes.
		{"é \"ü\"", []Word{{Text: "é", Start: 0, End: 2}, {Text: "ü", Start: 3, End: 7, Quoted: true}}},
		// A closing quote followed by white space of any kind.
		{"\"a\"\tb", []Word{{Text: "a", Start: 0, End: 3, Quoted: true}, {Text: "b", Start: 4, End: 5}}},
	}
	for _, tt := range tests {
		got, err := Words(tt.line)
		if err != nil {
			t.Errorf("Words(%q): %v", tt.line, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Words(%q)\n got %+v\nwant %+v", tt.line, got, tt.want)
		}
		for _, w := range got {
			if !w.Quoted && tt.line[w.Start:w.End] != w.Text {
				t.Errorf("Words(%q): bare word %q is not line[%d:%d]", tt.line, w.Text, w.Start, w.End)
			}
			if w.Quoted && (tt.line[w.Start] != '"' || tt.line[w.End-1] != '"') {
				t.Errorf("Words(%q): quoted word %q does not span its quotes", tt.line, w.Text)
			}
		}
	}
}

func TestWordsErrors(t *testing.T) {
	tests := []struct {
		line string
		pos  int
		msg  string
	}{
		{`"abc`, 0, "unterminated string"},
		{`ok "abc`, 3, "unterminated string"},
		{`"abc\`, 0, "unterminated string"},
		{`"abc\"`, 0, "unterminated string"},
		{`"a\tb"`, 2, `unsupported escape code '\t'`},
		{`x "\x41"`, 3, `unsupported escape code '\x'`},
		{`"\0"`, 1, `unsupported escape code '\0'`},
		{`"\ "`, 1, `unsupported escape code '\ '`},
		{`"\é"`, 1, `unsupported escape code '\é'`},
		{`"a"b`, 3, "unexpected character after closing quote"},
		{`"a""b"`, 3, "unexpected character after closing quote"},
		{`x "a",b y`, 5, "unexpected character after closing quote"},
	}
	for _, tt := range tests {
		got, err := Words(tt.line)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Words(%q) = %+v, %v; want a *SyntaxError", tt.line, got, err)
			continue
		}
		if got != nil {
			t.Errorf("Words(%q) returned words with an error: %+v", tt.line, got)
		}
		if se.Pos != tt.pos || !strings.Contains(se.Msg, tt.msg) {
			t.Errorf("Words(%q): error at %d %q; want at %d containing %q", tt.line, se.Pos, se.Msg, tt.pos, tt.msg)
		}
		if !strings.HasSuffix(se.Error(), "(at column "+strconv.Itoa(tt.pos+1)+")") {
			t.Errorf("Words(%q): %q does not name column %d", tt.line, se.Error(), tt.pos+1)
		}
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abc", "abc"},
		{`C:\x`, `C:\x`}, // bare: a backslash outside quotes is ordinary
		{`a"b`, `a"b`},   // a quote inside a bare word is ordinary
		{"", `""`},       // an empty word needs quotes to exist
		{`"a`, `"\"a"`},  // a leading quote would start a quoted word
		{"a b", `"a b"`}, // white space
		{"a\tb", "\"a\tb\""},
		{"a\nb", `"a\nb"`},
		{"a\rb", `"a\rb"`},
		{`a b\c"d`, `"a b\\c\"d"`},
		{"\v", "\"\v\""},
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestQuoteRoundTrip checks that Words reads every Quote'd string back as
// exactly one word with the same text, alone and amid other words.
func TestQuoteRoundTrip(t *testing.T) {
	corpus := []string{
		"", " ", "\"", "\\", `\"`, `""`, "'", "a b", "\t\n\r\v\f", "a\"", `"a"`, `"a"b`,
		"\x00", "\xff\xfe", "é ü", "-c", "x,y=z", `\n`, "a\\", "\\\\\"\"", "\"\"\"",
	}
	for i := 0; i < 256; i++ {
		corpus = append(corpus, string([]byte{byte(i)}), "a"+string([]byte{byte(i)})+"b", string([]byte{'"', byte(i)}))
	}
	for _, s := range corpus {
		q := Quote(s)
		checkQuoteRoundTrip(t, s, q)
	}
}

func checkQuoteRoundTrip(t *testing.T, s, q string) {
	t.Helper()
	ws, err := Words(q)
	if err != nil || len(ws) != 1 || ws[0].Text != s || ws[0].Start != 0 || ws[0].End != len(q) {
		t.Errorf("Words(Quote(%q) = %q) = %+v, %v", s, q, ws, err)
		return
	}
	line := "cmd " + q + " " + q + " end"
	ws, err = Words(line)
	if err != nil || len(ws) != 4 || ws[1].Text != s || ws[2].Text != s || ws[3].Text != "end" {
		t.Errorf("Words(%q) = %+v, %v", line, ws, err)
	}
}

func TestWordsLenient(t *testing.T) {
	for _, c := range []struct {
		line string
		want []string
	}{
		{`set_password vnc "unterminated`, []string{"set_password", "vnc", "unterminated"}},
		{`a "b\tc" d`, []string{"a", `b\tc`, "d"}},
		{`"glued"on x`, []string{"gluedon", "x"}},
		{`"ends with \`, []string{`ends with \`}},
		{`plain "q\"uote"`, []string{"plain", `q"uote`}},
	} {
		var got []string
		for _, w := range WordsLenient(c.line) {
			got = append(got, w.Text)
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("WordsLenient(%q) = %q, want %q", c.line, got, c.want)
		}
	}
}

// On every line Words accepts, WordsLenient gives the same words.
func FuzzWordsLenient(f *testing.F) {
	for _, s := range []string{`a b`, `"a b" c`, `"a\"b"`, `"x`, `"a"b`, `"\q"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		lenient := WordsLenient(line)
		strict, err := Words(line)
		if err != nil {
			return
		}
		if len(strict) != len(lenient) {
			t.Fatalf("%q: %v vs %v", line, strict, lenient)
		}
		for i := range strict {
			if strict[i] != lenient[i] {
				t.Fatalf("%q: word %d: %+v vs %+v", line, i, strict[i], lenient[i])
			}
		}
	})
}

// IsSpace is qemu_isspace's set exactly, and TrimSpace trims only it.
func TestIsSpace(t *testing.T) {
	for c := 0; c < 256; c++ {
		want := strings.IndexByte(" \t\n\r\v\f", byte(c)) >= 0 && c != 0
		if IsSpace(byte(c)) != want {
			t.Errorf("IsSpace(%#x) = %v", c, !want)
		}
	}
	for in, want := range map[string]string{"": "", " \t": "", "\va b\f\r\n": "a b", "\u00a0x\u00a0": "\u00a0x\u00a0"} {
		if got := TrimSpace(in); got != want {
			t.Errorf("TrimSpace(%q) = %q, want %q", in, got, want)
		}
	}
}

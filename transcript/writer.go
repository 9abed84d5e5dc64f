package transcript

import (
	"fmt"
	"io"
	"strings"
)

// Writer records a transcript: comments, input lines and their output,
// written so that Parse reads them back and the output matches itself.
type Writer struct {
	w io.Writer
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

func (w *Writer) write(lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	_, err := io.WriteString(w.w, strings.Join(lines, "\n")+"\n")
	return err
}

// Comment writes text as comment lines, "# " before each of its lines
// ("#" alone for an empty one). Written before the first input, a
// comment "key: value" is a header directive.
func (w *Writer) Comment(text string) error {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if l = rtrim(l); l == "" {
			lines = append(lines, "#")
		} else {
			lines = append(lines, "# "+l)
		}
	}
	return w.write(lines)
}

// Blank writes an empty separator line.
func (w *Writer) Blank() error { return w.write([]string{""}) }

// Input writes the input line "(prompt) line", or "(prompt)" when line
// is empty.
func (w *Writer) Input(prompt, line string) error {
	if !promptName.MatchString(prompt) {
		return fmt.Errorf("transcript: prompt %q: want letters, digits, '_' or '-'", prompt)
	}
	if strings.ContainsAny(line, "\r\n") {
		return fmt.Errorf("transcript: input %q: more than one line", line)
	}
	if line == "" {
		return w.write([]string{"(" + prompt + ")"})
	}
	return w.write([]string{"(" + prompt + ") " + line})
}

// Output writes the raw output of the last input line: split into
// lines, right-trimmed, blank lines dropped, each written as
// Escape(mask(Literal(line))). mask (nil: none) may put "..." or ${VAR}
// in the pattern, MaskNumbers for instance; a result that is blank or
// holds a line break is not used. Unlike Update, Output has no variables
// to check a mask with, so a mask that no longer matches its line is the
// caller's mistake.
func (w *Writer) Output(text string, mask func(pattern string) string) error {
	var lines []string
	for _, l := range Lines(text) {
		p := Literal(l)
		if mask != nil {
			if m := rtrim(mask(p)); m != "" && !strings.ContainsAny(m, "\r\n") {
				p = m
			}
		}
		lines = append(lines, Escape(p))
	}
	return w.write(lines)
}

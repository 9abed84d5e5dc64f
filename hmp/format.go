package hmp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// Formatters turn a command's QMP reply into HMP-like text. Only the
// simplest are hmpsh's own (info status, whose one line QEMU has printed
// the same way for years); the migration info commands show the connected
// QEMU's own HMP text (Command.QEMUText), whose layout changes between
// versions.

// formatStatus prints query-status as HMP does: "VM status: running", or
// "VM status: paused (inmigrate)" when paused for another reason than stop.
func formatStatus(ret json.RawMessage) (string, error) {
	var st struct {
		Running    bool   `json:"running"`
		Singlestep bool   `json:"singlestep"`
		Status     string `json:"status"`
	}
	if err := json.Unmarshal(ret, &st); err != nil {
		return "", fmt.Errorf("query-status reply: %w", err)
	}
	s := "VM status: paused"
	if st.Running {
		s = "VM status: running"
	}
	if st.Singlestep {
		s += " (single step mode)"
	}
	if !st.Running && st.Status != "" && st.Status != "paused" {
		s += " (" + st.Status + ")"
	}
	return s + "\n", nil
}

// HumanBytes writes a byte count with a binary unit: "64.0 MiB".
func HumanBytes(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	u := 0
	for math.Abs(n) >= 1024 && u < len(units)-1 {
		n /= 1024
		u++
	}
	if u == 0 {
		return fmt.Sprintf("%.0f B", n)
	}
	return fmt.Sprintf("%.1f %s", n, units[u])
}

// FormatJSON indents a reply for reading, for commands without a formatter.
func FormatJSON(ret json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Indent(&b, ret, "", "  "); err != nil {
		return string(ret) + "\n"
	}
	return b.String() + "\n"
}

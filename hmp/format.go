package hmp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Formatters turn a command's QMP reply into HMP-like text. Each reads the
// JSON generically (key order kept), so members a newer QEMU adds show up
// without a change here.

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

// formatCapabilities prints query-migrate-capabilities as "name: on|off".
func formatCapabilities(ret json.RawMessage) (string, error) {
	var caps []struct {
		Capability string `json:"capability"`
		State      bool   `json:"state"`
	}
	if err := json.Unmarshal(ret, &caps); err != nil {
		return "", fmt.Errorf("query-migrate-capabilities reply: %w", err)
	}
	var b strings.Builder
	for _, c := range caps {
		fmt.Fprintf(&b, "%s: %s\n", c.Capability, onOff(c.State))
	}
	return b.String(), nil
}

func onOff(v bool) string {
	if v {
		return "on"
	}
	return "off"
}

// formatKeyValues prints an object reply as indented "key: value" lines,
// with units where the key says what a number measures.
func formatKeyValues(ret json.RawMessage) (string, error) {
	v, err := decodeOrdered(ret)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	writeKV(&b, v, "", "")
	return b.String(), nil
}

// ordered is a JSON object with its key order.
type ordered struct {
	keys []string
	vals map[string]any
}

// decodeOrdered reads JSON keeping object key order and number text.
func decodeOrdered(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, fmt.Errorf("reply: %w", err)
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch d := t.(type) {
	case json.Delim:
		switch d {
		case '{':
			o := &ordered{vals: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				o.keys = append(o.keys, k)
				o.vals[k] = v
			}
			_, err := dec.Token() // '}'
			return o, err
		case '[':
			var list []any
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := dec.Token() // ']'
			return list, err
		}
		return nil, io.ErrUnexpectedEOF
	default:
		return t, nil
	}
}

func writeKV(b *strings.Builder, v any, indent, key string) {
	switch x := v.(type) {
	case *ordered:
		if key != "" {
			fmt.Fprintf(b, "%s%s:\n", indent, key)
			indent += "  "
		}
		for _, k := range x.keys {
			writeKV(b, x.vals[k], indent, k)
		}
	case []any:
		scalars := true
		for _, e := range x {
			if _, ok := e.(*ordered); ok {
				scalars = false
			}
		}
		if scalars {
			parts := make([]string, len(x))
			for i, e := range x {
				parts[i] = scalarText(e, "")
			}
			fmt.Fprintf(b, "%s%s: %s\n", indent, key, strings.Join(parts, ", "))
			return
		}
		fmt.Fprintf(b, "%s%s:\n", indent, key)
		for i, e := range x {
			writeKV(b, e, indent+"  ", strconv.Itoa(i))
		}
	default:
		fmt.Fprintf(b, "%s%s: %s\n", indent, key, scalarText(v, key))
	}
}

// scalarText writes a scalar, with a unit when the key names one.
func scalarText(v any, key string) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return onOff(x)
	case string:
		return x
	case json.Number:
		return numberText(x, key)
	}
	return fmt.Sprint(v)
}

// Keys whose numbers are milliseconds, bytes or megabits per second in
// query-migrate and query-migrate-parameters.
var (
	msKeys    = map[string]bool{"total-time": true, "downtime": true, "expected-downtime": true, "setup-time": true, "downtime-limit": true, "x-checkpoint-delay": true, "announce-initial": true, "announce-max": true, "announce-step": true, "dirty-limit-throttle-time-per-round": true, "dirty-limit-ring-full-time": true}
	byteKeys  = map[string]bool{"transferred": true, "remaining": true, "total": true, "normal-bytes": true, "precopy-bytes": true, "downtime-bytes": true, "postcopy-bytes": true, "multifd-bytes": true, "cache-size": true, "bytes": true, "xbzrle-cache-size": true}
	mbpsKeys  = map[string]bool{"mbps": true}
	rateBytes = map[string]bool{"max-bandwidth": true, "max-postcopy-bandwidth": true, "avail-switchover-bandwidth": true}
)

func numberText(n json.Number, key string) string {
	s := string(n)
	i, err := strconv.ParseInt(s, 10, 64)
	switch {
	case msKeys[key] && err == nil:
		return s + " ms"
	case rateBytes[key] && err == nil:
		return fmt.Sprintf("%s (%s/s)", s, HumanBytes(float64(i)))
	case byteKeys[key] && err == nil:
		if i < 1024 {
			return s + " B"
		}
		return fmt.Sprintf("%s (%s)", s, HumanBytes(float64(i)))
	case mbpsKeys[key]:
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return strconv.FormatFloat(f, 'f', 2, 64) + " Mbps"
		}
	}
	return s
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

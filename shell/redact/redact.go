// Package redact keeps secrets out of the history file and logs: Line
// rewrites a line with every secret value replaced by ***.
//
// It reads lines as the shell does (HMP words with double quotes, comma
// lists with ",,", QMP key=value words, raw JSON) but, unlike the
// translator, it never fails: a line that does not parse goes to the
// history too, so a broken line is read leniently and redacted as well as
// it can be. When a value could be read two ways (an HMP option string
// ends a value at a comma, a QMP key=value word at the end of the word),
// the longer one is hidden.
//
// What is secret:
//   - the value of a key password, secret or passphrase (the last part of
//     a dotted key: file.password too) in any key=value word or option
//     string; not key-secret, password-secret, tls-creds, keyid or iv,
//     which name objects or are not secret;
//   - the value of data in a key=value word (QMP: object-add qom-type=secret
//     ... data=...) and in object_add's option string for qom-type secret
//     or secret_keyring;
//   - the password of set_password PROTOCOL PASSWORD, block_passwd DEVICE
//     PASSWORD and change vnc password PASSWORD, and the value of qom-set
//     PATH PROPERTY VALUE when the property is one of the secret keys;
//   - in a line of JSON, the string (or number) value of a member password,
//     secret, passphrase or data, at any depth;
//   - the HMP line inside human-monitor-command's command-line, redacted by
//     the same rules.
//
// Names are matched without regard to ASCII case. Line is idempotent and
// leaves a line without any of the words password, passwd, secret,
// passphrase and data as it is.
package redact

import (
	"strings"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/split"
)

// Mask replaces a secret.
const Mask = "***"

// Line returns line with its secret values replaced by Mask. It reads the
// line's head (@NAME, a line of JSON) through the line model, as the
// session does.
func Line(line string) string {
	h := hmp.CutHead(line)
	switch {
	case h.NameOnly:
		return line
	case h.Prefixed:
		return line[:h.Offset] + Line(h.Body)
	case h.JSON:
		return jsonLine(line)
	}
	return hmpLine(line)
}

// is compares names as QEMU's are written, ignoring ASCII case only (a
// Unicode fold would make "ſecret" a secret, and a line without the
// words unchanged is part of the contract).
func is(s, name string) bool {
	if len(s) != len(name) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != name[i] {
			return false
		}
	}
	return true
}

func isAny(s string, names ...string) bool {
	for _, n := range names {
		if is(s, n) {
			return true
		}
	}
	return false
}

// secretKey reports whether a key names a secret: its last part that is
// not a list index is password, secret or passphrase, or data when data
// is secret where the key is.
func secretKey(key string, data bool) bool {
	parts := strings.Split(key, ".")
	last := ""
	for i := len(parts) - 1; i >= 0; i-- {
		if !isIndex(parts[i]) {
			last = parts[i]
			break
		}
	}
	return isAny(last, "password", "secret", "passphrase") || data && is(last, "data")
}

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// hmpLine redacts an HMP or QMP-style line.
func hmpLine(line string) string {
	line = looseValues(line)
	words, err := split.Words(line)
	if err != nil {
		words = split.WordsLenient(line)
	}
	if len(words) == 0 {
		return line
	}
	cmd := words[0].Text
	texts := make([]string, len(words))
	for i, w := range words {
		texts[i] = w.Text
	}
	objectAdd := isAny(cmd, "object_add", "object-add")
	for i := 1; i < len(texts); i++ {
		texts[i] = redactWord(texts[i], objectAdd)
	}
	for _, i := range secretPositionals(cmd, words) {
		// A key=value word keeps its key ("password=***"); anything
		// else in a password's place goes whole.
		if !isKeySecret(words[i].Text) {
			texts[i] = Mask
		}
	}
	// Rewrite only the words that changed, so that everything else stays
	// byte for byte as typed.
	var b strings.Builder
	last := 0
	for i, w := range words {
		if texts[i] == w.Text {
			continue
		}
		b.WriteString(line[last:w.Start])
		b.WriteString(split.Quote(texts[i]))
		last = w.End
	}
	if last == 0 {
		return line
	}
	b.WriteString(line[last:])
	return b.String()
}

// isKeySecret reports whether a word is key=value with a secret key, which
// redactWord handles (keeping the key).
func isKeySecret(w string) bool {
	k, _, found := strings.Cut(w, "=")
	return found && secretKey(k, true)
}

// secretPositionals are the indexes of the words that are passwords by
// their position.
func secretPositionals(cmd string, words []split.Word) []int {
	// The positional words, skipping flags (-d takes a display name).
	var pos []int
	for i := 1; i < len(words); i++ {
		t := words[i].Text
		if !words[i].Quoted && (t == "-d" || t == "-j") {
			if t == "-d" {
				i++
			}
			continue
		}
		pos = append(pos, i)
	}
	arg := func(n int) []int {
		if n < len(pos) {
			return []int{pos[n]}
		}
		return nil
	}
	switch {
	case is(cmd, "set_password"):
		// set_password PROTOCOL PASSWORD [-d DISPLAY] [ACTION]. QEMU
		// reads the second word as the password whatever it is; a
		// user who put -d first meant the one after the protocol.
		out := arg(1)
		if len(words) > 2 && (len(out) == 0 || out[0] != 2) {
			out = append(out, 2)
		}
		return out
	case is(cmd, "block_passwd"):
		// block_passwd DEVICE PASSWORD (gone from QEMU, still typed)
		if len(words) > 2 {
			return []int{2}
		}
	case is(cmd, "change"):
		// change vnc password PASSWORD
		if len(words) > 3 && is(words[1].Text, "vnc") && is(words[2].Text, "password") {
			return []int{3}
		}
	case is(cmd, "qom-set"):
		// qom-set [-j] PATH PROPERTY VALUE
		if p := arg(1); len(p) == 1 && secretKey(words[p[0]].Text, true) {
			return arg(2)
		}
	}
	return nil
}

// redactWord redacts one word: a key=value word or an option string.
func redactWord(w string, objectAdd bool) string {
	items := split.Comma(w)
	// As a QMP key=value word, the first key's value is the rest of the
	// word, commas and all.
	if k, v, found := strings.Cut(w, "="); found && !strings.Contains(k, ",") {
		if secretKey(k, true) {
			if v == Mask {
				return w
			}
			return k + "=" + Mask
		}
		if is(k, "command-line") {
			// human-monitor-command command-line="..."
			return k + "=" + Line(v)
		}
	}
	if len(items) == 1 {
		return w
	}
	// As an option string, each value ends at a single comma.
	data := objectAdd && secretObject(items)
	var b strings.Builder
	last := 0
	for _, it := range items {
		k, v, found := strings.Cut(it.Text, "=")
		if !found || !secretKey(k, data) || v == Mask {
			continue
		}
		start := it.Pos + len(escComma(k)) + 1
		b.WriteString(w[last:start])
		b.WriteString(Mask)
		last = start + len(escComma(v))
	}
	if last == 0 {
		return w
	}
	b.WriteString(w[last:])
	return b.String()
}

func escComma(s string) string { return strings.ReplaceAll(s, ",", ",,") }

// secretObject reports whether object_add's options make a secret object,
// whose data is the secret: qom-type (implied first, or given) secret or
// secret_keyring.
func secretObject(items []split.Item) bool {
	for i, it := range items {
		k, v, found := strings.Cut(it.Text, "=")
		if !found && i == 0 {
			k, v = "qom-type", it.Text
		}
		if is(k, "qom-type") && isAny(v, "secret", "secret_keyring") {
			return true
		}
	}
	return false
}

package main

import (
	"fmt"
	"regexp"
	"strings"
)

// The output is qmp.DocsFile's JSON form; the types are written out here
// so that the generator builds without the file it writes (qmp embeds
// it). TestReadByQMP checks that qmp reads what these write.
type docsFile struct {
	QEMU        string          `json:"qemu"`
	Package     string          `json:"package"`
	Source      string          `json:"source"`
	Files       []string        `json:"files"`
	Definitions []docDefinition `json:"definitions"`
}

type docDefinition struct {
	Name    string      `json:"name"`
	Meta    string      `json:"meta"`
	Base    string      `json:"base,omitempty"`
	Since   string      `json:"since,omitempty"`
	Cases   []string    `json:"cases,omitempty"`
	Members []memberDoc `json:"members,omitempty"`
}

type memberDoc struct {
	Name    string `json:"name"`
	Text    string `json:"text,omitempty"`
	Type    string `json:"type,omitempty"`
	Unit    string `json:"unit,omitempty"`
	Default string `json:"default,omitempty"`
	Since   string `json:"since,omitempty"`
}

// Definitions reads a QAPI schema file's definitions with their
// documentation. A definition without a doc comment is kept with its
// members' types alone: the types still tell which entity it is.
func Definitions(src string) ([]docDefinition, error) {
	exprs, err := parseExprs(src)
	if err != nil {
		return nil, err
	}
	docs := docBlocks(src)
	var out []docDefinition
	for _, e := range exprs {
		def, ok, err := definition(e)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if b, ok := docs[def.Name]; ok {
			def.Since = b.since
			for i := range def.Members {
				if m, ok := b.members[def.Members[i].Name]; ok {
					fillMember(&def.Members[i], m)
				}
			}
		}
		out = append(out, def)
	}
	return out, nil
}

// definition reads one expression; ok is false for what is not a
// definition hmpsh looks up (an include, a pragma, an event, a command
// whose arguments are a named type).
func definition(e dict) (def docDefinition, ok bool, err error) {
	for _, meta := range []string{"struct", "union", "alternate", "enum", "command"} {
		if name := e.str(meta); name != "" {
			def = docDefinition{Name: name, Meta: meta}
			break
		}
	}
	if def.Name == "" {
		return def, false, nil
	}
	bad := func(what string) error { return fmt.Errorf("%s %s: %s", def.Meta, def.Name, what) }
	switch base := e.get("base").(type) {
	case nil:
	case string:
		def.Base = base
	case dict:
		if def.Members, err = members(base); err != nil {
			return def, false, bad(err.Error())
		}
	default:
		return def, false, bad("base is neither a name nor members")
	}
	switch data := e.get("data").(type) {
	case nil:
	case string:
		// A command's arguments as a named type: that type's
		// definition documents them.
	case []any:
		if def.Meta != "enum" {
			return def, false, bad("data is a list")
		}
		for _, v := range data {
			switch v := v.(type) {
			case string:
				def.Members = append(def.Members, memberDoc{Name: v})
			case dict:
				def.Members = append(def.Members, memberDoc{Name: v.str("name")})
			}
		}
	case dict:
		if def.Meta == "union" {
			for _, c := range data {
				def.Cases = append(def.Cases, c.key)
			}
			break
		}
		ms, err := members(data)
		if err != nil {
			return def, false, bad(err.Error())
		}
		def.Members = append(def.Members, ms...)
	}
	if def.Meta == "command" && len(def.Members) == 0 {
		return def, false, nil
	}
	return def, true, nil
}

// members reads {'name': TYPE, '*optional': TYPE, 'x': {'type': TYPE, 'if': ...}}.
func members(d dict) ([]memberDoc, error) {
	var out []memberDoc
	for _, e := range d {
		t := e.val
		if m, ok := t.(dict); ok {
			t = m.get("type")
		}
		typ, err := typeName(t)
		if err != nil {
			return nil, fmt.Errorf("member %s: %w", e.key, err)
		}
		out = append(out, memberDoc{Name: strings.TrimPrefix(e.key, "*"), Type: typ})
	}
	return out, nil
}

// typeName writes a QAPI type: its name, or "[T]" for a list of T.
func typeName(t any) (string, error) {
	switch t := t.(type) {
	case string:
		return t, nil
	case []any:
		if len(t) == 1 {
			if s, ok := t[0].(string); ok {
				return "[" + s + "]", nil
			}
		}
	}
	return "", fmt.Errorf("unreadable type %v", t)
}

// docBlock is a definition's doc comment: the first paragraph of each
// member's (or value's) description, and the definition's "Since:".
type docBlock struct {
	since   string
	members map[string]string
}

var (
	headerLine  = regexp.MustCompile(`^@([\w-]+):\s*$`)
	sectionLine = regexp.MustCompile(`^@([\w-]+):\s*(.*)$`)
	sinceLine   = regexp.MustCompile(`^Since:\s*(.*)$`)
	// sectionStart ends a member's description even without a blank
	// line before it: "Returns:", "TODO:", ".. note::".
	sectionStart = regexp.MustCompile(`^(\w+:(\s|$)|\.\. )`)
)

// docBlocks finds the doc comments ("##" ... "##") of definitions, by the
// name their first line gives ("@NAME:").
func docBlocks(src string) map[string]docBlock {
	out := map[string]docBlock{}
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "##" {
			continue
		}
		var body []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "##"; i++ {
			l := strings.TrimRight(lines[i], " \t\r")
			l = strings.TrimPrefix(l, "#")
			body = append(body, strings.TrimPrefix(l, " "))
		}
		if len(body) == 0 {
			continue
		}
		m := headerLine.FindStringSubmatch(body[0])
		if m == nil {
			continue // a section heading or free text
		}
		out[m[1]] = readBlock(body[1:])
	}
	return out
}

// readBlock reads a doc comment's sections. A member's description
// starts at "@name:" in column 0 and goes on over the lines after it
// that are indented, or that follow without a blank line; its first
// paragraph ends at a blank line. "Features:" starts the features, which
// are not members.
func readBlock(lines []string) docBlock {
	b := docBlock{members: map[string]string{}}
	const (
		body = iota
		member
		features
	)
	mode := body
	cur := "" // the member being read
	var para []string
	blank := false
	flush := func() {
		if cur != "" {
			b.members[cur] = strings.Join(strings.Fields(strings.Join(para, " ")), " ")
		}
		cur, para = "", nil
	}
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			blank = true
			continue
		}
		indented := l[0] == ' ' || l[0] == '\t'
		if !indented {
			if m := sectionLine.FindStringSubmatch(l); m != nil {
				flush()
				blank = false
				if mode != features {
					mode, cur, para = member, m[1], []string{m[2]}
				}
				continue
			}
			if s := sinceLine.FindStringSubmatch(l); s != nil {
				flush()
				b.since, mode, blank = strings.TrimSpace(s[1]), body, false
				continue
			}
			if l == "Features:" {
				flush()
				mode, blank = features, false
				continue
			}
		}
		if mode == member && (indented || !blank && !sectionStart.MatchString(l)) {
			if !blank && cur != "" {
				para = append(para, l)
			}
			if blank {
				// A later paragraph of the same member: kept out.
				flush()
			}
			continue
		}
		flush()
		blank = false
		if !indented {
			mode = body
		}
	}
	flush()
	return b
}

var (
	sinceRe   = regexp.MustCompile(`(?i)\s*\(\s*since:?\s+([0-9]+(?:\.[0-9]+)*)\s*\)\.?`)
	memberRef = regexp.MustCompile(`(^|[^\w@])@([A-Za-z][\w-]*)`)
)

// fillMember sets a member's text, and the version, unit and default
// the text states.
func fillMember(m *memberDoc, text string) {
	if s := sinceRe.FindStringSubmatch(text); s != nil {
		m.Since = s[1]
		text = strings.TrimSpace(sinceRe.ReplaceAllString(text, ""))
	}
	// rST markup reads better without its marks: "@port" is "port".
	text = memberRef.ReplaceAllString(text, "$1$2")
	text = strings.ReplaceAll(text, "``", "")
	m.Text = text
	if numeric(m.Type) {
		m.Unit = unitOf(text)
	}
	m.Default = defaultOf(text)
}

// units are the phrases that state a unit, first match wins: a rate
// before its size, a specific phrase before a general one.
var units = []struct {
	re   *regexp.Regexp
	unit string
}{
	{regexp.MustCompile(`(?i)\bbytes per second\b|\bbytes/s(ec(ond)?)?\b`), "bytes per second"},
	{regexp.MustCompile(`\bMB/s\b`), "MB/s"},
	{regexp.MustCompile(`(?i)\bmilliseconds?\b|\bin ms\b`), "milliseconds"},
	{regexp.MustCompile(`(?i)\bmicroseconds?\b`), "microseconds"},
	{regexp.MustCompile(`(?i)\bin seconds\b|\(seconds\)`), "seconds"},
	{regexp.MustCompile(`(?i)\bpercent(age)?\b`), "percent"},
	{regexp.MustCompile(`(?i)\bin bytes\b`), "bytes"},
}

// numeric reports whether a member of type typ can have a unit: a number,
// or an enum value (no type), whose text may be about one.
func numeric(typ string) bool {
	switch typ {
	case "", "int", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "size", "number":
		return true
	}
	return false
}

func unitOf(text string) string {
	for _, u := range units {
		if u.re.MatchString(text) {
			return u.unit
		}
	}
	return ""
}

// defaults are the ways the texts state a default value.
var defaults = []*regexp.Regexp{
	regexp.MustCompile(`\(default:?\s*([^)]+)\)`),
	regexp.MustCompile(`(?i)\bdefaults? (?:value )?(?:is|to|of)\s+(.+?)(?:\.(?:\s|$)|;|,\s|$)`),
	regexp.MustCompile(`(?i)\bdefault:?\s+("[^"]+"|'[^']+'|true|false|on|off|\d+\w*)`),
	regexp.MustCompile(`(?i)\bby default,? this value is\s+(.+?)(?:\.(?:\s|$)|;|,\s|$)`),
}

func defaultOf(text string) string {
	for _, re := range defaults {
		if m := re.FindStringSubmatch(text); m != nil {
			return strings.Trim(strings.TrimSpace(m[1]), `'"`)
		}
	}
	return ""
}

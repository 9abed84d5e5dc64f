package main

import (
	"fmt"
	"strings"
)

// A QAPI schema file is a sequence of JSON-like expressions: dictionaries
// and lists, strings in single quotes, true and false, and comments from
// "#" to the end of a line (the documentation lives there).

// dict is a dictionary in source order: a definition's members are
// ordered.
type dict []entry

type entry struct {
	key string
	val any // string, bool, dict or []any
}

func (d dict) get(key string) any {
	for _, e := range d {
		if e.key == key {
			return e.val
		}
	}
	return nil
}

func (d dict) str(key string) string {
	s, _ := d.get(key).(string)
	return s
}

type exprParser struct {
	src  string
	pos  int
	line int
}

// parseExprs reads every top-level expression of a schema file.
func parseExprs(src string) ([]dict, error) {
	p := &exprParser{src: src, line: 1}
	var out []dict
	for {
		p.skip()
		if p.pos >= len(p.src) {
			return out, nil
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		d, ok := v.(dict)
		if !ok {
			return nil, p.errorf("a top-level expression is not a dictionary")
		}
		out = append(out, d)
	}
}

func (p *exprParser) errorf(format string, a ...any) error {
	return fmt.Errorf("line %d: %s", p.line, fmt.Sprintf(format, a...))
}

// skip passes white space and comments.
func (p *exprParser) skip() {
	for p.pos < len(p.src) {
		switch c := p.src[p.pos]; {
		case c == '\n':
			p.line++
			p.pos++
		case c == ' ' || c == '\t' || c == '\r':
			p.pos++
		case c == '#':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
		default:
			return
		}
	}
}

func (p *exprParser) value() (any, error) {
	p.skip()
	if p.pos >= len(p.src) {
		return nil, p.errorf("unexpected end of file")
	}
	switch c := p.src[p.pos]; c {
	case '{':
		p.pos++
		var d dict
		for {
			p.skip()
			if p.peek('}') {
				return d, nil
			}
			if len(d) > 0 {
				if err := p.expect(','); err != nil {
					return nil, err
				}
				p.skip()
			}
			k, err := p.value()
			if err != nil {
				return nil, err
			}
			key, ok := k.(string)
			if !ok {
				return nil, p.errorf("a key is not a string")
			}
			p.skip()
			if err := p.expect(':'); err != nil {
				return nil, err
			}
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			d = append(d, entry{key, v})
		}
	case '[':
		p.pos++
		l := []any{}
		for {
			p.skip()
			if p.peek(']') {
				return l, nil
			}
			if len(l) > 0 {
				if err := p.expect(','); err != nil {
					return nil, err
				}
			}
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
	case '\'':
		end := strings.IndexAny(p.src[p.pos+1:], "'\n")
		if end < 0 || p.src[p.pos+1+end] != '\'' {
			return nil, p.errorf("unterminated string")
		}
		s := p.src[p.pos+1 : p.pos+1+end]
		p.pos += end + 2
		return s, nil
	}
	for _, w := range []string{"true", "false"} {
		if strings.HasPrefix(p.src[p.pos:], w) {
			p.pos += len(w)
			return w == "true", nil
		}
	}
	return nil, p.errorf("unexpected %q", p.src[p.pos])
}

// peek consumes c when it is next.
func (p *exprParser) peek(c byte) bool {
	if p.pos < len(p.src) && p.src[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

func (p *exprParser) expect(c byte) error {
	if !p.peek(c) {
		return p.errorf("want %q", c)
	}
	return nil
}

package shell

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
)

// Variables are ${NAME} in a line, replaced before the line is parsed, so
// that a script or a history line says ${SANDBOX}/mig.sock rather than
// yesterday's directory. Only "${" starts one: an exec command line keeps
// its shell's $HOME, and "$${" writes a literal "${".

// validVarName: letters, digits and _, not starting with a digit, as a
// shell's.
func validVarName(name string) bool {
	if name == "" || (name[0] >= '0' && name[0] <= '9') {
		return false
	}
	for _, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// expand replaces every ${NAME} in line with its value. A whole-line
// comment is left as it is: it is never run, so nothing in it can fail.
func expand(line string, vars map[string]string) (string, error) {
	if !strings.Contains(line, "${") || strings.HasPrefix(strings.TrimLeft(line, " \t"), "#") {
		return line, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(line, "${")
		if i < 0 {
			b.WriteString(line)
			return b.String(), nil
		}
		if i > 0 && line[i-1] == '$' {
			// "$${": the first $ escapes the rest.
			b.WriteString(line[:i-1])
			b.WriteString("${")
			line = line[i+2:]
			continue
		}
		b.WriteString(line[:i])
		end := strings.IndexByte(line[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("unterminated ${ in %q: a variable is ${NAME} ($${ writes a literal ${)", line[i:])
		}
		name := line[i+2 : i+end]
		if !validVarName(name) {
			return "", fmt.Errorf("${%s}: not a variable name (letters, digits and _)", name)
		}
		v, ok := vars[name]
		if !ok {
			return "", fmt.Errorf("${%s} is not defined%s", name, definedHint(vars))
		}
		b.WriteString(v)
		line = line[i+end+1:]
	}
}

// definedHint names the variables there are, for an error about one that
// is not.
func definedHint(vars map[string]string) string {
	if len(vars) == 0 {
		return " (define it with .set NAME VALUE or --var NAME=VALUE)"
	}
	return fmt.Sprintf(" (defined: %s; .set NAME VALUE defines one)", strings.Join(sortedKeys(vars), ", "))
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// SetVar defines ${name}.
func (s *Session) SetVar(name, value string) error {
	if !validVarName(name) {
		return fmt.Errorf("%q is not a variable name (letters, digits and _, not starting with a digit)", name)
	}
	if s.vars == nil {
		s.vars = map[string]string{}
	}
	s.vars[name] = value
	return nil
}

// parseVarFlags reads every --var NAME=VALUE into a new map.
func parseVarFlags(specs []string) (map[string]string, error) {
	vars := map[string]string{}
	for _, spec := range specs {
		name, value, err := parseVarFlag(spec)
		if err != nil {
			return nil, err
		}
		vars[name] = value
	}
	return vars, nil
}

// parseVarFlag reads --var NAME=VALUE.
func parseVarFlag(spec string) (name, value string, err error) {
	name, value, ok := strings.Cut(spec, "=")
	if !ok {
		return "", "", fmt.Errorf("--var %s: want NAME=VALUE", spec)
	}
	if !validVarName(name) {
		return "", "", fmt.Errorf("--var %s: %q is not a variable name (letters, digits and _)", spec, name)
	}
	return name, value, nil
}

// sandboxVars are the variables a sandbox defines: ${SANDBOX}, its
// private directory, and ${PORT}, a TCP port on 127.0.0.1 that was free
// when the sandbox started, for a migration over tcp that a script can
// write without knowing the machine.
func sandboxVars(vars map[string]string, dir string) error {
	vars["SANDBOX"] = dir
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("finding a free port for ${PORT}: %w", err)
	}
	defer l.Close()
	vars["PORT"] = strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	return nil
}

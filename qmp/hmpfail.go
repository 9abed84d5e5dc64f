package qmp

import (
	"regexp"
	"strings"
)

// HMPError is an HMP command's failure, recognised in its output: through
// human-monitor-command, QEMU reports a wrong HMP command as an ordinary
// "return" string.
type HMPError struct {
	Output string // the whole output, "\r\n" turned into "\n", trimmed
}

func (e *HMPError) Error() string { return e.Output }

// Patterns that mean failure on any line: QEMU's HMP error reporter, the
// command-table lookup, and the argument parser's closing hint, which follows
// every argument error ("memsave: string expected", "Expected 'on' or 'off'",
// "invalid char 'a' in expression", ...).
var hmpFailAnyLine = regexp.MustCompile(`^(Error: |unknown command: |Try "help)`)

// Patterns that mean failure on the first meaningful line only: handlers that
// print their complaint with error_report or monitor_printf and no "Error: "
// prefix. Anchored to the start of the output so that data further down
// ("Migration status: failed (...)", "...: Cannot access memory") is not
// taken for the command's failure.
var hmpFailFirstLine = regexp.MustCompile(`^(` + strings.Join([]string{
	// "unknown event \"x\"", "Unknown command"
	`[Uu]nknown `,
	// "invalid parameter: x", "Invalid boot device 'q'", "invalid CPU index"
	`[Ii]nvalid `,
	// "Could not open gdbserver on device 'x'"
	`[Cc]ould not `, `[Cc]ouldn't `, `[Ff]ailed to `, `[Cc]annot `, `[Cc]an't `, `[Uu]nable to `,
	// "unexpected option maybe", "unexpected end of expression", "Expected 'on' or 'off'"
	`[Uu]nexpected `, `[Ee]xpected `,
	// "Parameter 'uri' expects a valid migration protocol", "... is missing"
	`Parameter '[^']*' `,
	// the argument parser: "stop|s: extraneous characters at the end of line",
	// "memsave: string expected", "migrate: unsupported option -x"
	`[\w|?-]+: (extraneous characters|unsupported option|.*expected$)`,
	// "'nosuch:1' is not a valid char driver", "'x' has failed: integer is for 32-bit values"
	`'[^']*' (is not|has failed)`,
	// drive_del: "Device 'nosuch' not found"
	`[A-Z][\w -]* '[^']*' (not found|does not exist)`,
	// cpu, info registers, info lapic
	`CPU#?\s*\d+ not available`, `No CPU available`,
	`[Nn]o such `,
	// expressions and numbers
	`[Nn]umber (expected|too large)`, `Bad number`, `enter a positive value`, `[Dd]ivision by zero`, `missing `,
}, "|") + `)`)

// hmpNoise are lines QEMU mixes into a command's output that are not its
// result: failures to load optional modules, and warnings.
var hmpNoise = regexp.MustCompile(`^(failed to open module: |warning: )`)

// HMPFailure returns an *HMPError when output, the text human-monitor-command
// returned, looks like the command failed; nil when it looks like a result.
// The shapes come from what QEMU 7.2 and 10.0 print (see the tests); an
// unrecognised failure passes as output, which the user still sees.
func HMPFailure(output string) error {
	text := strings.TrimSpace(strings.ReplaceAll(output, "\r\n", "\n"))
	if text == "" {
		return nil
	}
	first := true
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if hmpFailAnyLine.MatchString(line) {
			return &HMPError{Output: text}
		}
		if !first || line == "" || hmpNoise.MatchString(line) {
			continue
		}
		first = false
		if hmpFailFirstLine.MatchString(line) {
			return &HMPError{Output: text}
		}
	}
	return nil
}

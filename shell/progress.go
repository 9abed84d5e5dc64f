package shell

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/hmpsh/hmpsh/hmp"
)

// progressLine shows a migration's progress on one terminal line of
// width columns, redrawn in place.
//
// In the first pass over RAM it shows how much of it is sent (a
// percentage of the total, never 100% while some remains), throughput,
// what remains, expected downtime and elapsed time. Once QEMU re-sends
// pages the guest dirtied (query-migrate's dirty-sync-count is above 1: a
// later pass), a percentage of the total would lie (what is sent passes
// the total, what remains is only what this pass has left), so the line
// says which pass it is and how fast the guest dirties memory, beside the
// rate QEMU sends at.
//
// The line must fit the terminal: one that wraps is redrawn a line below
// each time. Fields get shorter, then the least useful go, until it fits
// in width-1 columns (the last column would wrap on some terminals).
func progressLine(info *MigrationInfo, elapsed time.Duration, width int) string {
	return fitLine(progressFields(info, elapsed), width-1)
}

// field is one part of a status line: its words, a shorter form, and how
// long it stays when the line is cut (higher stays longer).
type field struct {
	long, short string
	keep        int
}

func progressFields(info *MigrationInfo, elapsed time.Duration) []field {
	fs := []field{{long: "migration " + info.Status, short: info.Status, keep: 100}}
	if ram := info.RAM; ram != nil && ram.Total > 0 {
		total := hmp.HumanBytes(float64(ram.Total))
		rate := hmp.HumanBytes(ram.Mbps*1e6/8) + "/s"
		switch {
		case ram.DirtySyncCount > 1:
			pass := fmt.Sprintf("pass %d", ram.DirtySyncCount)
			pageSize := ram.PageSize
			if pageSize <= 0 {
				pageSize = 4096
			}
			dirty := hmp.HumanBytes(float64(ram.DirtyPagesRate*pageSize)) + "/s"
			fs = append(fs,
				field{long: pass + ", re-sending dirty RAM", short: pass, keep: 90},
				field{long: "guest dirties " + dirty, short: "dirty " + dirty, keep: 80},
				// The two rates side by side say whether it can converge.
				field{long: "sending " + rate, keep: 70},
				field{long: hmp.HumanBytes(float64(ram.Transferred)) + " sent of " + total + " RAM", short: hmp.HumanBytes(float64(ram.Transferred)) + " sent", keep: 20})
			if ram.Remaining > 0 {
				left := hmp.HumanBytes(float64(ram.Remaining))
				fs = append(fs, field{long: left + " left in this pass", short: left + " left", keep: 40})
			}
		case ram.Remaining > 0:
			// Rounded down: 100% would say it is done.
			pct := int(math.Floor(100 * float64(ram.Total-ram.Remaining) / float64(ram.Total)))
			pct = max(0, min(pct, 99))
			left := hmp.HumanBytes(float64(ram.Remaining))
			fs = append(fs,
				field{long: fmt.Sprintf("%d%% of %s RAM", pct, total), short: fmt.Sprintf("%d%%", pct), keep: 90},
				field{long: "sending " + rate, short: rate, keep: 70},
				field{long: left + " remaining", short: left + " left", keep: 40},
				field{long: hmp.HumanBytes(float64(ram.Transferred)) + " sent", keep: 20})
		default:
			// The first pass is over; what the guest dirtied meanwhile is
			// not counted yet.
			fs = append(fs,
				field{long: "first pass over " + total + " RAM done", short: "pass 1 done", keep: 90},
				field{long: "sending " + rate, short: rate, keep: 70},
				field{long: hmp.HumanBytes(float64(ram.Transferred)) + " sent", keep: 20})
		}
	}
	if info.ExpectedDowntime > 0 {
		fs = append(fs, field{long: fmt.Sprintf("expected downtime %d ms", info.ExpectedDowntime), short: fmt.Sprintf("downtime %d ms", info.ExpectedDowntime), keep: 30})
	}
	return append(fs, field{long: fmt.Sprintf("elapsed %.1f s", elapsed.Seconds()), short: fmt.Sprintf("%.1f s", elapsed.Seconds()), keep: 60})
}

// fitLine joins fields as "HEAD: A, B, C" in at most width columns. Until
// the line fits: the fields after the head take their short forms, the
// least kept first; those kept less than 60 go, the least kept first;
// the head takes its short form; the others go; what still does not fit
// is cut.
func fitLine(fs []field, width int) string {
	text := make([]string, len(fs))
	on := make([]bool, len(fs))
	for i, f := range fs {
		text[i], on[i] = f.long, true
	}
	line := func() string {
		var b strings.Builder
		for i, t := range text {
			switch {
			case !on[i]:
				continue
			case i == 0:
			case b.Len() == len(text[0]):
				b.WriteString(": ")
			default:
				b.WriteString(", ")
			}
			b.WriteString(t)
		}
		return b.String()
	}
	order := make([]int, 0, len(fs)) // the fields after the head, the least kept first
	for i := 1; i < len(fs); i++ {
		order = append(order, i)
	}
	slices.SortStableFunc(order, func(a, b int) int { return fs[a].keep - fs[b].keep })
	var steps []func()
	for _, i := range order {
		if fs[i].short != "" {
			steps = append(steps, func() { text[i] = fs[i].short })
		}
	}
	for _, i := range order {
		if fs[i].keep < 60 {
			steps = append(steps, func() { on[i] = false })
		}
	}
	if len(fs) > 0 && fs[0].short != "" {
		steps = append(steps, func() { text[0] = fs[0].short })
	}
	for _, i := range order {
		if fs[i].keep >= 60 {
			steps = append(steps, func() { on[i] = false })
		}
	}
	for _, step := range steps {
		if len(line()) <= width {
			break
		}
		step()
	}
	l := line()
	return l[:max(0, min(len(l), width))]
}

package shell

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hmpsh/hmpsh/hmp"
	"github.com/hmpsh/hmpsh/qmp"
)

// MigrationInfo is the part of query-migrate that progress and summary
// lines show.
type MigrationInfo struct {
	Status           string `json:"status"`
	TotalTime        *int64 `json:"total-time"` // nil on the destination, which does not time it
	Downtime         *int64 `json:"downtime"`
	ExpectedDowntime int64  `json:"expected-downtime"`
	SetupTime        int64  `json:"setup-time"`
	ErrorDesc        string `json:"error-desc"`
	// Raw is the query-migrate reply this was read from.
	Raw json.RawMessage `json:"-"`
	RAM *MigrationRAM   `json:"ram"`
}

// MigrationRAM is query-migrate's "ram": QEMU's MigrationStats.
type MigrationRAM struct {
	Transferred int64   `json:"transferred"`
	Remaining   int64   `json:"remaining"`
	Total       int64   `json:"total"`
	Mbps        float64 `json:"mbps"`
	// DirtySyncCount is how many times QEMU has synced the dirty bitmap:
	// 1 in the first pass over RAM, more once it re-sends pages the
	// guest dirtied.
	DirtySyncCount int64 `json:"dirty-sync-count"`
	DirtyPagesRate int64 `json:"dirty-pages-rate"` // pages per second
	PageSize       int64 `json:"page-size"`
}

// inProgress are the states a synchronous migrate waits through: setup
// and active (where QEMU's HMP waits) and the short automatic steps after
// them; anything else ends the wait.
var inProgress = map[string]bool{"setup": true, "active": true, "device": true, "wait-unplug": true, "cancelling": true}

// MigrationFailed is a migration that ended failed or cancelled.
type MigrationFailed struct {
	Status string
	Desc   string
}

func (e *MigrationFailed) Error() string {
	if e.Desc == "" {
		return "migration " + e.Status
	}
	return fmt.Sprintf("migration %s: %s", e.Status, e.Desc)
}

// waitMigration follows a migration started without -d until it leaves
// the states above, as QEMU's HMP does, then prints one summary line.
func (s *Session) waitMigration(ctx context.Context, m *Monitor) error {
	start := time.Now()
	tick := time.NewTicker(s.cfg.Poll)
	defer tick.Stop()
	for {
		info, err := s.queryMigrate(ctx, m)
		if err != nil {
			if ctx.Err() != nil && s.detached != nil {
				// Ctrl-C came while a query was on its way.
				s.detached()
				return nil
			}
			return err
		}
		// Right after migrate, a QEMU may still say "none" for a moment.
		if !inProgress[info.Status] && !(info.Status == "none" && time.Since(start) < 2*time.Second) {
			return s.migrationSummary(info)
		}
		if s.progress != nil {
			s.progress(info, time.Since(start))
		}
		select {
		case <-ctx.Done():
			if s.detached != nil {
				s.detached()
				return nil
			}
			return ctx.Err()
		case <-m.client.Done():
			return m.up()
		case <-tick.C:
		}
	}
}

func (s *Session) queryMigrate(ctx context.Context, m *Monitor) (*MigrationInfo, error) {
	ret, err := s.call(ctx, m, qmp.Request{Execute: "query-migrate"})
	if err != nil {
		return nil, err
	}
	info := MigrationInfo{Raw: ret}
	if err := json.Unmarshal(ret, &info); err != nil {
		return nil, fmt.Errorf("query-migrate reply: %w", err)
	}
	return &info, nil
}

// migrationSummary prints how a migration ended; failed and cancelled
// migrations are errors (exit status 1).
func (s *Session) migrationSummary(info *MigrationInfo) error {
	if s.progress != nil {
		s.progress(nil, 0)
	}
	switch info.Status {
	case "failed", "cancelled":
		return &MigrationFailed{Status: info.Status, Desc: info.ErrorDesc}
	}
	s.pr.migration(info)
	return nil
}

// Summary is the one line a completed migration prints: "migration
// completed: total 1.23 s, downtime 12 ms, 64.2 MiB transferred, 52.1 MiB/s".
func Summary(info *MigrationInfo) string {
	if info.TotalTime == nil {
		// The destination's query-migrate has its status and little else.
		return "migration " + info.Status
	}
	total := *info.TotalTime
	line := fmt.Sprintf("migration %s: total %s", info.Status, millis(total))
	if info.Downtime != nil {
		line += fmt.Sprintf(", downtime %d ms", *info.Downtime)
	}
	if info.RAM != nil {
		line += fmt.Sprintf(", %s transferred", hmp.HumanBytes(float64(info.RAM.Transferred)))
		// A migration done within a millisecond (QEMU 7.2 with no RAM says
		// 0 ms) is counted as one: the rate is at least that, and the
		// line keeps its shape, which transcripts match.
		line += fmt.Sprintf(", %s/s", hmp.HumanBytes(float64(info.RAM.Transferred)*1000/float64(max(total, 1))))
	}
	return line
}

func millis(ms int64) string {
	if ms < 1000 {
		return fmt.Sprintf("%d ms", ms)
	}
	return fmt.Sprintf("%.2f s", float64(ms)/1000)
}

package shell

import (
	"context"
	"time"
)

// settleTimeout bounds settle's wait for one monitor: a QEMU that does not
// answer at once (stopped, busy) is not waited for longer than hmpsh once
// waited for every QEMU at the end of a script.
const settleTimeout = 50 * time.Millisecond

// settle waits, at the end of a script, until what its monitors have sent
// so far is in and printed. A line's reply can come before the events it
// causes (system_reset's RESET, quit's SHUTDOWN: QEMU acts on them after
// it has answered), and Close prints only what has arrived. QEMU answers
// requests in order, and acts on such requests before it reads the next
// one, so the answer to one more request (qmp.Client.Sync) comes after
// them: one round trip, where a fixed pause of 50 ms used to be. A QEMU
// that closes the connection instead (after quit) is lost, and settle
// lets the session say so, as it says of a monitor lost during a script,
// rather than leave that to a race with Close. It waits so even with
// --no-events, for that message.
func (s *Session) settle(ctx context.Context) {
	for _, m := range s.mons.list() {
		sctx, cancel := context.WithTimeout(ctx, settleTimeout)
		err := m.up()
		if err == nil {
			err = m.client.Sync(sctx)
		}
		if err != nil {
			select {
			case <-m.watched:
			case <-sctx.Done():
			}
		}
		cancel()
	}
}

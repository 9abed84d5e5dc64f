package qmp

import "context"

// Sync returns once QEMU has answered a request sent now. QEMU answers in
// order, so everything it sent before that answer, events included, has
// then been read and handed on (Events). The request is query-version,
// which changes nothing; it is hmpsh's own business, so a connection that
// ends before the answer does not name it among the calls it cut short.
func (c *Client) Sync(ctx context.Context) error {
	_, err := c.roundTrip(ctx, syncCommand, []byte(`{"execute":"query-version"`), false)
	return err
}

// syncCommand is how Sync's call is known among the calls in flight.
const syncCommand = ""

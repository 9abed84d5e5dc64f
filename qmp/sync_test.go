package qmp_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hmpsh/hmpsh/internal/qemutest"
	"github.com/hmpsh/hmpsh/qmp"
)

// Sync waits for what QEMU sent before its answer, events included; a
// connection that ends before the answer does not name Sync's request
// among those it cut short.
func TestSync(t *testing.T) {
	qemutest.Each(t, func(t *testing.T, gen string) {
		c, _ := liveClient(t, gen, qemutest.Options{})
		ctx := callCtx(t)
		if err := c.Sync(ctx); err != nil {
			t.Fatalf("Sync: %v", err)
		}
		// RESET comes after system_reset's reply, and before Sync's.
		if _, err := c.Execute(ctx, "system_reset", nil); err != nil {
			t.Fatal(err)
		}
		if err := c.Sync(ctx); err != nil {
			t.Fatalf("Sync: %v", err)
		}
		select {
		case ev := <-c.Events():
			if ev.Name != "RESET" {
				t.Errorf("event %s, want RESET", ev.Name)
			}
		default:
			t.Error("no RESET event by the end of Sync")
		}
		if _, err := c.Execute(ctx, "quit", nil); err != nil {
			t.Fatal(err)
		}
		err := c.Sync(ctx)
		if !errors.Is(err, qmp.ErrClosed) {
			t.Fatalf("Sync after quit: %v, want ErrClosed", err)
		}
		<-c.Done()
		if strings.Contains(c.Err().Error(), "in flight") {
			t.Errorf("Err() = %v: Sync's request is named", c.Err())
		}
	})
}

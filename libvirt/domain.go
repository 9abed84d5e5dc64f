package libvirt

import (
	"context"
	"errors"
	"fmt"

	golibvirt "github.com/digitalocean/go-libvirt"
)

// CreateTransient starts a transient domain from its XML description, as
// virsh create does: libvirt forgets it once it stops. It is not marked
// for autodestroy (tied to this connection), since libvirt refuses to
// migrate such a domain; whoever creates it destroys it.
func (c *Conn) CreateTransient(ctx context.Context, xml string) error {
	err := c.do(ctx, func() error {
		_, err := c.lv.DomainCreateXML(xml, golibvirt.DomainNone)
		return err
	})
	if err != nil {
		return fmt.Errorf("libvirt: %s: creating a domain: %w", c.uri, err)
	}
	return nil
}

// Destroy stops a domain at once, as virsh destroy does (a transient
// domain is then gone). A domain that is not there, or not running, is
// no error: it is as Destroy would leave it.
func (c *Conn) Destroy(ctx context.Context, domain string) error {
	err := c.do(ctx, func() error {
		dom, err := c.lv.DomainLookupByName(domain)
		if err != nil {
			return err
		}
		return c.lv.DomainDestroy(dom)
	})
	if err == nil || errors.Is(notRunning(err), ErrNotRunning) {
		return nil
	}
	return fmt.Errorf("libvirt: %s: destroying domain %q: %w", c.uri, domain, err)
}

package directory

import (
	"context"
	"errors"
	"strings"
)

// Probe is what the directory says about one address, step by step, for the admin
// (yubin ldap test): which entry it names and how, and whether that entry may use
// mail.
type Probe struct {
	Entry   *Entry // nil: no entry has the address as mail (user_filter) or extra address
	ByAlias bool   // found through alias_attr, not user_filter
	// PassesFilter: an entry found by an extra address also matches user_filter
	// with its mail (always true for one found by user_filter).
	PassesFilter bool
	InGroup      bool // group_filter finds it (true without a group_filter)
}

// MailUser reports whether the address reaches a mail user.
func (p Probe) MailUser() bool { return p.Entry != nil && p.PassesFilter && p.InGroup }

// Probe asks the directory about addr now, bypassing the cache.
func (d *Directory) Probe(ctx context.Context, addr string) (Probe, error) {
	addr = strings.ToLower(strings.TrimSpace(addr))
	var p Probe
	e, err := d.findUser(ctx, addr)
	switch {
	case err == nil:
		p.Entry, p.PassesFilter = e, true
	case !errors.Is(err, ErrNotFound):
		return p, err
	default:
		dn, mail, err := d.findByAlias(ctx, addr)
		if errors.Is(err, ErrNotFound) {
			return p, nil
		}
		if err != nil {
			return p, err
		}
		p.ByAlias = true
		p.Entry = &Entry{DN: dn, Mail: mail}
		e, err := d.findUser(ctx, mail)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return p, err
		}
		if err == nil && strings.EqualFold(e.DN, dn) {
			p.Entry, p.PassesFilter = e, true
		}
	}
	if p.PassesFilter {
		if p.InGroup, err = d.inGroup(ctx, p.Entry); err != nil {
			return p, err
		}
	}
	return p, nil
}

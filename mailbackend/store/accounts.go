package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/yubinmail/yubin/internal/mailaddr"
	"strings"
	"sync"
	"time"
)

var errNoRows = sql.ErrNoRows

// domainCache answers IsLocalDomain from memory. It reloads from the database at most
// every domainRefresh so that domains added by another process (the CLI while the
// server runs) become local within a few seconds.
type domainCache struct {
	mu     sync.RWMutex
	names  map[string]bool
	loaded time.Time
	db     *sql.DB
	busy   sync.Mutex
}

const domainRefresh = 2 * time.Second

func (c *domainCache) load(db *sql.DB) error {
	c.db = db
	rows, err := db.Query(`SELECT name FROM domains`)
	if err != nil {
		return fmt.Errorf("load domains: %w", err)
	}
	defer rows.Close()
	names := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return fmt.Errorf("load domains: %w", err)
		}
		names[n] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load domains: %w", err)
	}
	c.mu.Lock()
	c.names = names
	c.loaded = time.Now()
	c.mu.Unlock()
	return nil
}

func (c *domainCache) has(name string) bool {
	c.mu.RLock()
	ok, stale := c.names[name], time.Since(c.loaded) > domainRefresh
	c.mu.RUnlock()
	if stale && c.busy.TryLock() {
		// One caller refreshes; the others answer from the previous set meanwhile.
		err := c.load(c.db)
		c.busy.Unlock()
		if err == nil {
			c.mu.RLock()
			ok = c.names[name]
			c.mu.RUnlock()
		}
	}
	return ok
}

func (c *domainCache) set(name string, local bool) {
	c.mu.Lock()
	if local {
		c.names[name] = true
	} else {
		delete(c.names, name)
	}
	c.mu.Unlock()
}

// normDomain folds a name for looking it up (IsLocalDomain runs for every RCPT, so
// this is only case and a trailing dot, not the full check of mailaddr.ParseDomain).
func normDomain(name string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
}

// invalidInput is a mailaddr error (one line naming the input) that is also
// ErrInvalidName, so callers can test for it and print it as it is.
type invalidInput struct{ err error }

func (e invalidInput) Error() string   { return e.err.Error() }
func (e invalidInput) Unwrap() []error { return []error{e.err, ErrInvalidName} }

// parseAddress checks and folds an account or alias address (mailaddr.ParseAddress),
// tolerating surrounding space and a trailing dot as AddDomain does.
func parseAddress(address string) (mailaddr.Address, error) {
	a, err := mailaddr.ParseAddress(strings.TrimSuffix(strings.TrimSpace(address), "."))
	if err != nil {
		return mailaddr.Address{}, invalidInput{err}
	}
	return a, nil
}

// localAddress finds the form in which the domains table holds a's domain (an
// internationalised domain may have been added as U-label or as A-label, and either
// form names it) and returns the address in that form. ErrNotLocal if it is not local.
func localAddress(w *wtx, a mailaddr.Address) (addr, domain string, err error) {
	for _, form := range a.Domain.Forms() {
		var n int
		if err := w.row(`SELECT count(*) FROM domains WHERE name = ?`, form).Scan(&n); err != nil {
			return "", "", err
		}
		if n > 0 {
			return a.Local + "@" + form, form, nil
		}
	}
	return "", "", ErrNotLocal
}

// AddDomain makes name local (case-insensitive). ErrExists if it already is.
func (s *Store) AddDomain(ctx context.Context, name string) error {
	parsed, err := mailaddr.ParseDomain(normDomain(name))
	if err != nil {
		return fmt.Errorf("add domain: %w", invalidInput{err})
	}
	d := parsed.String()
	err = s.update(ctx, func(w *wtx) error {
		return w.execOne(ErrExists, `INSERT INTO domains(name) VALUES (?) ON CONFLICT DO NOTHING`, d)
	})
	if err != nil {
		return fmt.Errorf("add domain %s: %w", d, err)
	}
	s.domains.set(d, true)
	return nil
}

// DeleteDomain removes a domain; ErrNotFound if unknown. Refused (error) while
// accounts or aliases of that domain exist.
func (s *Store) DeleteDomain(ctx context.Context, name string) error {
	d := normDomain(name)
	err := s.update(ctx, func(w *wtx) error {
		var n int
		if err := w.row(`SELECT (SELECT count(*) FROM accounts WHERE domain = ?1) +
			(SELECT count(*) FROM aliases WHERE domain = ?1)`, d).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%d accounts or aliases still use it", n)
		}
		return w.execOne(ErrNotFound, `DELETE FROM domains WHERE name = ?`, d)
	})
	if err != nil {
		return fmt.Errorf("delete domain %s: %w", d, err)
	}
	s.domains.set(d, false)
	return nil
}

// Domains lists local domains, sorted.
func (s *Store) Domains(ctx context.Context) ([]string, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT name FROM domains ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list domains: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list domains: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// IsLocalDomain reports whether name (any case) is a local domain. It is called for
// every RCPT and is served from memory.
func (s *Store) IsLocalDomain(name string) bool {
	return s.domains.has(normDomain(name))
}

const accountCols = `id, address, display_name, password_hash, created`

func scanAccount(sc interface{ Scan(...any) error }) (*Account, error) {
	var a Account
	var created int64
	if err := sc.Scan(&a.ID, &a.Address, &a.DisplayName, &a.PasswordHash, &created); err != nil {
		return nil, err
	}
	a.Created = unixTime(created)
	return &a, nil
}

// AddAccount creates an account with its default mailboxes. The domain must be local
// (ErrNotLocal); ErrExists if the address or an alias with it exists.
func (s *Store) AddAccount(ctx context.Context, address, passwordHash, displayName string) (*Account, error) {
	parsed, err := parseAddress(address)
	if err != nil {
		return nil, fmt.Errorf("add account: %w", err)
	}
	addr, domain := parsed.String(), ""
	acct := &Account{DisplayName: displayName, PasswordHash: passwordHash,
		Created: time.Now().Truncate(time.Second)}
	err = s.update(ctx, func(w *wtx) error {
		a, d, err := localAddress(w, parsed)
		if err != nil {
			return err
		}
		addr, domain = a, d
		var n int
		if err := w.row(`SELECT (SELECT count(*) FROM accounts WHERE address = ?1) +
			(SELECT count(*) FROM aliases WHERE address = ?1)`, addr).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrExists
		}
		acct.Address = addr
		res, err := w.exec(`INSERT INTO accounts(address, domain, display_name, password_hash, created)
			VALUES (?, ?, ?, ?, ?)`, addr, domain, displayName, passwordHash, acct.Created.Unix())
		if err != nil {
			return err
		}
		acct.ID, _ = res.LastInsertId()
		for _, mb := range DefaultMailboxes {
			if _, err := s.insertMailbox(w, acct.ID, mb.Name, mb.SpecialUse); err != nil {
				return err
			}
			if _, err := w.exec(`INSERT OR IGNORE INTO subscriptions(account_id, name) VALUES (?, ?)`,
				acct.ID, mb.Name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("add account %s: %w", addr, err)
	}
	return acct, nil
}

// SetPasswordHash replaces an account's password hash. ErrNotFound if unknown.
func (s *Store) SetPasswordHash(ctx context.Context, address, passwordHash string) error {
	addr := strings.ToLower(strings.TrimSpace(address))
	err := s.update(ctx, func(w *wtx) error {
		return w.execOne(ErrNotFound, `UPDATE accounts SET password_hash = ? WHERE address = ?`, passwordHash, addr)
	})
	if err != nil {
		return fmt.Errorf("set password of %s: %w", addr, err)
	}
	return nil
}

// SetDisplayName replaces an account's display name (a directory user's follows the
// directory). ErrNotFound if unknown.
func (s *Store) SetDisplayName(ctx context.Context, address, name string) error {
	addr := strings.ToLower(strings.TrimSpace(address))
	err := s.update(ctx, func(w *wtx) error {
		return w.execOne(ErrNotFound, `UPDATE accounts SET display_name = ? WHERE address = ?`, name, addr)
	})
	if err != nil {
		return fmt.Errorf("set display name of %s: %w", addr, err)
	}
	return nil
}

// DeleteAccount removes the account, its mailboxes and messages, and drops it from
// aliases. ErrNotFound if unknown.
func (s *Store) DeleteAccount(ctx context.Context, address string) error {
	addr := strings.ToLower(strings.TrimSpace(address))
	err := s.update(ctx, func(w *wtx) error {
		var id int64
		err := w.row(`SELECT id FROM accounts WHERE address = ?`, addr).Scan(&id)
		if errors.Is(err, errNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		rows, err := w.query(`SELECT DISTINCT m.blob_id FROM messages m
			JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.account_id = ?`, id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var b string
			if err := rows.Scan(&b); err != nil {
				rows.Close()
				return err
			}
			w.freed = append(w.freed, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// Messages, mailboxes, subscriptions and alias targets go by cascade.
		if _, err := w.exec(`DELETE FROM accounts WHERE id = ?`, id); err != nil {
			return err
		}
		// An alias left without targets would accept mail for nobody.
		_, err = w.exec(`DELETE FROM aliases WHERE NOT EXISTS
			(SELECT 1 FROM alias_targets t WHERE t.alias = aliases.address)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete account %s: %w", addr, err)
	}
	return nil
}

// Accounts lists all accounts sorted by address.
func (s *Store) Accounts(ctx context.Context) ([]Account, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+accountCols+` FROM accounts ORDER BY address`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}

// AccountByAddress finds an account by its exact address (case-insensitive, no alias
// or plus expansion). ErrNotFound if none.
func (s *Store) AccountByAddress(ctx context.Context, address string) (*Account, error) {
	addr := strings.ToLower(strings.TrimSpace(address))
	a, err := scanAccount(s.rrow(ctx,
		`SELECT `+accountCols+` FROM accounts WHERE address = ?`, addr))
	if errors.Is(err, errNoRows) {
		return nil, fmt.Errorf("account %s: %w", addr, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", addr, err)
	}
	return a, nil
}

// AccountByID finds an account by ID. ErrNotFound if none.
func (s *Store) AccountByID(ctx context.Context, id int64) (*Account, error) {
	a, err := scanAccount(s.rrow(ctx,
		`SELECT `+accountCols+` FROM accounts WHERE id = ?`, id))
	if errors.Is(err, errNoRows) {
		return nil, fmt.Errorf("account %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("account %d: %w", id, err)
	}
	return a, nil
}

// AddAlias makes address deliver to each target (existing local accounts). The alias's
// domain must be local; ErrExists if an account or alias has that address.
func (s *Store) AddAlias(ctx context.Context, address string, targets []string) error {
	parsed, err := parseAddress(address)
	if err != nil {
		return fmt.Errorf("add alias: %w", err)
	}
	addr, domain := parsed.String(), ""
	if len(targets) == 0 {
		return fmt.Errorf("add alias %s: no targets: %w", addr, ErrInvalidName)
	}
	err = s.update(ctx, func(w *wtx) error {
		a, d, err := localAddress(w, parsed)
		if err != nil {
			return err
		}
		addr, domain = a, d
		var n int
		if err := w.row(`SELECT (SELECT count(*) FROM accounts WHERE address = ?1) +
			(SELECT count(*) FROM aliases WHERE address = ?1)`, addr).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrExists
		}
		if _, err := w.exec(`INSERT INTO aliases(address, domain) VALUES (?, ?)`, addr, domain); err != nil {
			return err
		}
		for _, t := range targets {
			t = strings.ToLower(strings.TrimSpace(t))
			var id int64
			err := w.row(`SELECT id FROM accounts WHERE address = ?`, t).Scan(&id)
			if errors.Is(err, errNoRows) {
				return fmt.Errorf("target %s: %w", t, ErrNotFound)
			}
			if err != nil {
				return err
			}
			if _, err := w.exec(`INSERT OR IGNORE INTO alias_targets(alias, account_id) VALUES (?, ?)`,
				addr, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add alias %s: %w", addr, err)
	}
	return nil
}

// DeleteAlias removes an alias. ErrNotFound if unknown.
func (s *Store) DeleteAlias(ctx context.Context, address string) error {
	addr := strings.ToLower(strings.TrimSpace(address))
	err := s.update(ctx, func(w *wtx) error {
		return w.execOne(ErrNotFound, `DELETE FROM aliases WHERE address = ?`, addr)
	})
	if err != nil {
		return fmt.Errorf("delete alias %s: %w", addr, err)
	}
	return nil
}

// Aliases lists aliases sorted by address.
func (s *Store) Aliases(ctx context.Context) ([]Alias, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT l.address, a.address FROM aliases l
		JOIN alias_targets t ON t.alias = l.address JOIN accounts a ON a.id = t.account_id
		ORDER BY l.address, a.address`)
	if err != nil {
		return nil, fmt.Errorf("list aliases: %w", err)
	}
	defer rows.Close()
	var out []Alias
	for rows.Next() {
		var alias, target string
		if err := rows.Scan(&alias, &target); err != nil {
			return nil, fmt.Errorf("list aliases: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].Address != alias {
			out = append(out, Alias{Address: alias})
		}
		out[len(out)-1].Targets = append(out[len(out)-1].Targets, target)
	}
	return out, rows.Err()
}

// Resolve maps a recipient address to the accounts that receive it: an account
// address, an alias (expanded), or user+tag@domain (the tag dropped). Case-insensitive.
// postmaster@ every local domain always reaches someone (RFC 5321 section 4.5.1):
// its account or alias if there is one, else the domain's first account, the one who
// set the domain up (an alias postmaster@domain changes that).
// ErrNotLocal if the domain is not local; ErrUnknownRecipient if the domain is local
// but nobody has the address.
func (s *Store) Resolve(ctx context.Context, address string) ([]Account, error) {
	// A lookup, not a check: any address that splits may name someone, as long as
	// its domain is a domain at all (mailaddr says which).
	local, domain, ok := mailaddr.SplitAddress(strings.ToLower(strings.TrimSpace(address)))
	domain = normDomain(domain)
	if !ok || !mailaddr.ValidDomain(domain) {
		return nil, fmt.Errorf("resolve: %w", ErrUnknownRecipient)
	}
	addr := local + "@" + domain
	var n int
	if err := s.rrow(ctx, `SELECT count(*) FROM domains WHERE name = ?`, domain).Scan(&n); err != nil {
		return nil, fmt.Errorf("resolve %s: %w", addr, err)
	}
	if n == 0 {
		return nil, fmt.Errorf("resolve %s: %w", addr, ErrNotLocal)
	}
	candidates := []string{addr}
	if plus := strings.IndexByte(local, '+'); plus > 0 {
		candidates = append(candidates, local[:plus]+"@"+domain)
	}
	for _, c := range candidates {
		accts, err := s.resolveExact(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", addr, err)
		}
		if len(accts) > 0 {
			return accts, nil
		}
	}
	if local == "postmaster" {
		a, err := scanAccount(s.rrow(ctx, `SELECT `+accountCols+` FROM accounts
			WHERE domain = ? ORDER BY id LIMIT 1`, domain))
		if err == nil {
			return []Account{*a}, nil
		}
		if !errors.Is(err, errNoRows) {
			return nil, fmt.Errorf("resolve %s: %w", addr, err)
		}
	}
	return nil, fmt.Errorf("resolve %s: %w", addr, ErrUnknownRecipient)
}

func (s *Store) resolveExact(ctx context.Context, addr string) ([]Account, error) {
	rows, err := s.rquery(ctx, `SELECT `+accountCols+` FROM accounts WHERE address = ?1
		UNION SELECT a.id, a.address, a.display_name, a.password_hash, a.created
		FROM alias_targets t JOIN accounts a ON a.id = t.account_id WHERE t.alias = ?1
		ORDER BY 2`, addr)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}

// SenderAddresses lists the addresses an account may use as its envelope or header
// sender: its own address and every alias that targets it.
func (s *Store) SenderAddresses(ctx context.Context, accountID int64) ([]string, error) {
	rows, err := s.rquery(ctx, `SELECT address, 0 FROM accounts WHERE id = ?1
		UNION ALL SELECT alias, 1 FROM alias_targets WHERE account_id = ?1 ORDER BY 2, 1`, accountID)
	if err != nil {
		return nil, fmt.Errorf("sender addresses of %d: %w", accountID, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		var own int
		if err := rows.Scan(&a, &own); err != nil {
			return nil, fmt.Errorf("sender addresses of %d: %w", accountID, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sender addresses of %d: %w", accountID, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("sender addresses of %d: %w", accountID, ErrNotFound)
	}
	return out, nil
}

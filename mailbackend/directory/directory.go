package directory

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-ldap/ldap/v3"

	"github.com/yubinmail/yubin/mailbackend/store"
)

var (
	// ErrUnavailable means the directory could not answer (unreachable, TLS refused,
	// timed out, the service account refused): temporary, try again later.
	ErrUnavailable = errors.New("directory unavailable")
	// ErrNotFound means the directory answered and has no mail user for the address
	// (no entry, an entry outside the filter or the group, or more than one entry).
	ErrNotFound = errors.New("no such mail user in the directory")
	// ErrInvalidCredentials means the directory refused the bind with this password.
	ErrInvalidCredentials = errors.New("directory refused the credentials")
)

// Config is the [ldap] section, checked (mailbackend/config validates the keys).
type Config struct {
	URLs         []string // tried in order; ldap:// (StartTLS) or ldaps://
	BindDN       string   // the service account; empty = anonymous search
	BindPassword string
	BaseDN       string
	UserFilter   string // %s is the address, escaped (RFC 4515)
	GroupFilter  string // %s is the user's DN; empty = every user may use mail
	MailAttr     string
	NameAttr     string
	AliasAttr    string // mailAlternateAddress, or proxyAddresses (AD, "smtp:" values)
	CAFile       string // PEM; empty = the system's roots
	CacheTTL     time.Duration
	Timeout      time.Duration
}

// Entry is what the directory says about one mail user.
type Entry struct {
	DN      string
	Mail    string   // lower-case: the mailbox's address
	Name    string   // display name ("" when the entry has none)
	Aliases []string // lower-case extra addresses
}

// Directory is the LDAP account source. It is safe for concurrent use.
type Directory struct {
	cfg   Config
	tls   *tls.Config
	st    *store.Store
	log   *slog.Logger
	pool  connPool
	cache cache
}

// maxLogin bounds what is put into a filter: an address is at most 254 octets
// (RFC 5321 section 4.5.3.1.3); a user principal name is no longer in practice.
const maxLogin = 320

// New returns a Directory for cfg whose mailboxes live in st. Nothing is dialled
// yet: a directory that is down at start only makes logins wait for it.
func New(cfg Config, st *store.Store, log *slog.Logger) (*Directory, error) {
	if len(cfg.URLs) == 0 {
		return nil, errors.New("ldap: no url")
	}
	for _, raw := range cfg.URLs {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "" {
			return nil, fmt.Errorf("ldap.url: %q: want ldap://host[:port] or ldaps://host[:port]", raw)
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if log == nil {
		log = slog.Default()
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ldap.tls_ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ldap.tls_ca: %s holds no PEM certificate", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	d := &Directory{cfg: cfg, tls: tc, st: st, log: log}
	d.cache.ttl = cfg.CacheTTL
	return d, nil
}

// Close closes the idle connections.
func (d *Directory) Close() error {
	d.closeIdle()
	return nil
}

// User finds the mail user a login names (through user_filter, then the group):
// ErrNotFound when there is none, ErrUnavailable when the directory did not answer.
// Answers are cached for cache_seconds, "none" as well.
func (d *Directory) User(ctx context.Context, login string) (*Entry, error) {
	login = strings.ToLower(strings.TrimSpace(login))
	if login == "" || len(login) > maxLogin || !utf8.ValidString(login) || strings.ContainsRune(login, 0) {
		return nil, ErrNotFound
	}
	return d.cache.get("user\x00"+login, func() (*Entry, error) { return d.lookupUser(ctx, login) })
}

func (d *Directory) lookupUser(ctx context.Context, login string) (*Entry, error) {
	e, err := d.findUser(ctx, login)
	if err != nil {
		return nil, err
	}
	member, err := d.inGroup(ctx, e)
	if err != nil {
		return nil, err
	}
	if !member {
		d.log.Info("ldap: user is not in the mail group", "dn", e.DN)
		return nil, ErrNotFound
	}
	return e, nil
}

// findUser is the user_filter search alone: exactly one entry with a mail address.
func (d *Directory) findUser(ctx context.Context, login string) (*Entry, error) {
	filter := d.userFilter(login)
	entries, err := d.search(ctx, filter, d.attrs(), 2)
	if err != nil {
		return nil, err
	}
	if len(entries) != 1 {
		if len(entries) > 1 {
			d.log.Warn("ldap: more than one entry matches; refusing the address", "login", login)
		}
		return nil, ErrNotFound
	}
	e := d.entry(entries[0])
	if e.Mail == "" {
		d.log.Warn("ldap: entry has no mail attribute", "dn", e.DN, "attr", d.cfg.MailAttr)
		return nil, ErrNotFound
	}
	return e, nil
}

// inGroup reports whether group_filter finds a group for the entry (true when
// there is no group_filter).
func (d *Directory) inGroup(ctx context.Context, e *Entry) (bool, error) {
	if d.cfg.GroupFilter == "" {
		return true, nil
	}
	filter := d.groupFilter(e.DN)
	groups, err := d.search(ctx, filter, []string{"1.1"}, 1) // "1.1": no attributes (RFC 4511 section 4.5.1.8)
	if err != nil {
		return false, err
	}
	return len(groups) > 0, nil
}

// findByAlias finds the one entry with addr as an extra address (alias_attr) and
// returns its mail address ("" with ErrNotFound when none).
func (d *Directory) findByAlias(ctx context.Context, addr string) (dn, mail string, err error) {
	if d.cfg.AliasAttr == "" {
		return "", "", ErrNotFound
	}
	entries, err := d.search(ctx, d.aliasFilter(addr), []string{d.cfg.MailAttr}, 2)
	if err != nil {
		return "", "", err
	}
	if len(entries) != 1 {
		if len(entries) > 1 {
			d.log.Warn("ldap: more than one entry has the extra address; refusing it", "addr", addr)
		}
		return "", "", ErrNotFound
	}
	return entries[0].DN, strings.ToLower(entries[0].GetAttributeValue(d.cfg.MailAttr)), nil
}

// Recipient finds the mail user an address belongs to: their mail address (as
// User) or one of their extra addresses (alias_attr). The entry found by an extra
// address must also pass user_filter and the group, looked up by its mail.
func (d *Directory) Recipient(ctx context.Context, addr string) (*Entry, error) {
	e, err := d.User(ctx, addr)
	if !errors.Is(err, ErrNotFound) || d.cfg.AliasAttr == "" {
		return e, err
	}
	addr = strings.ToLower(strings.TrimSpace(addr))
	return d.cache.get("alias\x00"+addr, func() (*Entry, error) {
		dn, mail, err := d.findByAlias(ctx, addr)
		if err != nil {
			return nil, err
		}
		u, err := d.User(ctx, mail)
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(u.DN, dn) {
			return nil, ErrNotFound
		}
		return u, nil
	})
}

// CheckPassword binds as the entry with password: nil when the directory accepts
// it, ErrInvalidCredentials when it refuses, ErrUnavailable when it did not answer.
// The password goes to the directory over TLS and nowhere else.
func (d *Directory) CheckPassword(ctx context.Context, e *Entry, password string) error {
	if password == "" {
		// RFC 4513 section 5.1.2: a simple bind with a DN and no password is an
		// unauthenticated bind, which servers answer with success.
		return ErrInvalidCredentials
	}
	err := d.do(ctx, func(c *conn) error {
		c.boundAs = "" // whatever happens, no longer the service account
		if err := c.c.Bind(e.DN, password); err != nil {
			return err
		}
		c.boundAs = e.DN
		return nil
	})
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	var le *ldap.Error
	if errors.As(err, &le) {
		switch le.ResultCode {
		case ldap.LDAPResultInvalidCredentials, ldap.LDAPResultInappropriateAuthentication,
			ldap.LDAPResultUnwillingToPerform, ldap.LDAPResultInsufficientAccessRights:
			// 49, or a policy refusal (locked or expired account, AD's disabled
			// users): the user may not sign in, not a fault of the directory.
			return ErrInvalidCredentials
		}
	}
	return fmt.Errorf("%w: bind: %v", ErrUnavailable, err)
}

func (d *Directory) search(ctx context.Context, filter string, attrs []string, limit int) ([]*ldap.Entry, error) {
	var entries []*ldap.Entry
	err := d.do(ctx, func(c *conn) error {
		if err := d.bindService(c); err != nil {
			return err
		}
		req := ldap.NewSearchRequest(d.cfg.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
			limit, int(d.cfg.Timeout/time.Second), false, filter, attrs, nil)
		res, err := c.c.Search(req)
		if err != nil && !(ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) && res != nil) {
			return err
		}
		entries = res.Entries
		return nil
	})
	if err != nil && !errors.Is(err, ErrUnavailable) {
		// The server answered, but not with entries: a bad base_dn or filter, or
		// the service account may not search. The admin must fix the config; until
		// then mail waits rather than bounces.
		d.log.Error("ldap search failed", "base", d.cfg.BaseDN, "filter", filter, "err", err)
		return nil, fmt.Errorf("%w: search: %v", ErrUnavailable, err)
	}
	return entries, err
}

func (d *Directory) bindService(c *conn) error {
	if c.boundAs == serviceIdentity {
		return nil
	}
	c.boundAs = ""
	var err error
	if d.cfg.BindDN == "" {
		_, err = c.c.SimpleBind(&ldap.SimpleBindRequest{AllowEmptyPassword: true})
	} else {
		err = c.c.Bind(d.cfg.BindDN, d.cfg.BindPassword)
	}
	if err != nil {
		if !transportError(err) {
			d.log.Error("ldap: the service account's bind was refused (check bind_dn and bind_password)", "bind_dn", d.cfg.BindDN, "err", err)
		}
		return err
	}
	c.boundAs = serviceIdentity
	return nil
}

// The filters put outside input (an address from RCPT TO or a login, a DN) into
// the configured templates, escaped (RFC 4515 section 3): a "*", "(" or "\\" in it
// is a literal character, never filter syntax (FuzzFilters).
func (d *Directory) userFilter(login string) string {
	return strings.ReplaceAll(d.cfg.UserFilter, "%s", ldap.EscapeFilter(login))
}

func (d *Directory) groupFilter(dn string) string {
	return strings.ReplaceAll(d.cfg.GroupFilter, "%s", ldap.EscapeFilter(dn))
}

func (d *Directory) aliasFilter(addr string) string {
	value := addr
	if d.proxyAddresses() {
		value = "smtp:" + addr // matched case-insensitively: SMTP: (primary) too
	}
	return "(" + ldap.EscapeFilter(d.cfg.AliasAttr) + "=" + ldap.EscapeFilter(value) + ")"
}

func (d *Directory) attrs() []string {
	a := []string{d.cfg.MailAttr}
	if d.cfg.NameAttr != "" {
		a = append(a, d.cfg.NameAttr)
	}
	if d.cfg.AliasAttr != "" {
		a = append(a, d.cfg.AliasAttr)
	}
	return a
}

func (d *Directory) proxyAddresses() bool {
	return strings.EqualFold(d.cfg.AliasAttr, "proxyAddresses")
}

func (d *Directory) entry(le *ldap.Entry) *Entry {
	e := &Entry{DN: le.DN, Mail: strings.ToLower(strings.TrimSpace(le.GetAttributeValue(d.cfg.MailAttr)))}
	if d.cfg.NameAttr != "" {
		e.Name = strings.TrimSpace(le.GetAttributeValue(d.cfg.NameAttr))
	}
	if d.cfg.AliasAttr == "" {
		return e
	}
	for _, v := range le.GetAttributeValues(d.cfg.AliasAttr) {
		v = strings.ToLower(strings.TrimSpace(v))
		if d.proxyAddresses() {
			// AD: "SMTP:" is the primary address, "smtp:" the others; x500:, sip:
			// and the like are not mail addresses.
			var ok bool
			if v, ok = strings.CutPrefix(v, "smtp:"); !ok {
				continue
			}
		}
		if v != "" && v != e.Mail {
			e.Aliases = append(e.Aliases, v)
		}
	}
	return e
}

package smtpd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/yubinmail/yubin/internal/mailaddr"
	"log/slog"
	"net"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/directory"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// session is one SMTP session: from EHLO to QUIT, or to STARTTLS (after which
// go-smtp starts a fresh one, as RFC 3207 section 4.2 requires).
type session struct {
	srv    *Server
	smtp   *smtp.Conn
	role   role
	conn   *connInfo // nil only if the listener was not ours
	remote net.Addr
	ip     string
	helo   string // at session start; a later EHLO may change it (Conn.Hostname)
	tls    *tls.ConnectionState
	log    *slog.Logger

	account *store.Account // after a successful AUTH
	senders []string       // the account's own addresses, loaded at first MAIL
	// popRelay: this IP logged in over POP3 recently and the legacy mode is on.
	popRelay bool

	// The current transaction.
	from         string
	hasFrom      bool
	declaredSize int64                     // MAIL FROM SIZE= (RFC 1870), 0 if none
	localRcpts   map[int64]store.Recipient // by account: one copy per account
	localAddrs   map[int64]string          // the account's address, for its Sieve script
	remoteRcpts  []string
	rcptCount    int
	firstRcpt    string
	rcptAddrs    []string // every accepted RCPT TO, for resubmit.go
}

func (s *Server) newSession(r role, c *smtp.Conn) (smtp.Session, error) {
	nc := c.Conn()
	sess := &session{
		srv:    s,
		smtp:   c,
		role:   r,
		conn:   connInfoOf(nc),
		remote: nc.RemoteAddr(),
		ip:     auth.IPOf(nc.RemoteAddr()),
		helo:   c.Hostname(),
	}
	if st, ok := c.TLSConnectionState(); ok {
		sess.tls = &st
	}
	if r == roleMX && s.auth != nil {
		sess.popRelay = s.auth.POPRelayAllowed(sess.remote)
	}
	sess.log = s.log.With("role", r.String(), "ip", sess.ip, "helo", sess.helo)
	if sess.conn != nil {
		if sess.tls != nil {
			sess.conn.scanOff.Store(true) // after STARTTLS the conn carries ciphertext
		}
		sess.conn.update(func(ci *connInfo) {
			ci.helo = sess.helo
			if sess.tls != nil {
				ci.tls = tls.VersionName(sess.tls.Version)
			}
		})
	}
	return sess, nil
}

func (s *session) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.srv.ctx, storeTimeout)
}

// fail maps err to its reply (errors.go) and logs what the peer does not see: the
// cause of a temporary failure.
func (s *session) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	r := reply(err)
	if r.Code/100 == 4 {
		s.log.Warn("smtp "+op+" failed", "account", s.accountName(), "code", r.Code, "err", err)
	}
	return r
}

func (s *session) accountName() string {
	if s.account == nil {
		return ""
	}
	return s.account.Address
}

// submission reports whether this session is one of the submission roles.
func (s *session) submission() bool { return s.role != roleMX }

// Reset discards the current transaction (RSET, a new EHLO, or after a message).
func (s *session) Reset() {
	s.from, s.hasFrom, s.declaredSize = "", false, 0
	s.localRcpts = nil
	s.localAddrs = nil
	s.remoteRcpts = nil
	s.rcptCount = 0
	s.firstRcpt = ""
	s.rcptAddrs = nil
	if s.conn != nil {
		s.conn.inTransaction.Store(false)
	}
}

// Logout ends the session. The connection's own line is logged when it closes.
func (s *session) Logout() error { return nil }

// AuthMechanisms lists what EHLO advertises: nothing on the MX port (AUTH is not
// offered there), and on submission only once the connection is private, which
// RFC 4954 section 4 asks for plaintext mechanisms.
func (s *session) AuthMechanisms() []string {
	if !s.submission() || s.srv.auth == nil || s.account != nil || !s.authAllowed() {
		return nil
	}
	return []string{sasl.Plain, "LOGIN"}
}

// authAllowed: TLS, or a loopback client such as the webmail on the same host
// (docs/ARCHITECTURE.md: AUTH only over TLS, loopback excepted).
func (s *session) authAllowed() bool {
	if s.tls != nil {
		return true
	}
	return !s.srv.loopbackIsRemote.Load() && auth.IsLoopback(s.remote)
}

// Auth starts a SASL exchange for AUTH (RFC 4954).
func (s *session) Auth(mech string) (sasl.Server, error) {
	if !s.submission() || s.srv.auth == nil {
		return nil, reply(errAuthNotHere)
	}
	if !s.authAllowed() {
		return nil, reply(errEncryptionRequired)
	}
	var srv sasl.Server
	switch strings.ToUpper(mech) {
	case sasl.Plain:
		srv = sasl.NewPlainServer(func(identity, username, password string) error {
			// RFC 4616 section 2: an authorization identity other than the
			// authentication identity would mean acting as someone else.
			if identity != "" && !strings.EqualFold(identity, username) {
				s.log.Warn("smtp auth refused: authorization identity differs", "user", username, "authzid", identity)
				return errAuthzMismatch
			}
			return s.authenticate(username, password)
		})
	case "LOGIN":
		srv = &loginServer{authenticate: s.authenticate}
	default:
		return nil, reply(errAuthMechanism)
	}
	return &mappedSASL{Server: srv, s: s}, nil
}

// authenticate checks credentials through auth, which throttles and logs failures.
func (s *session) authenticate(username, password string) error {
	ctx, cancel := s.ctx()
	defer cancel()
	acct, err := s.srv.auth.Authenticate(ctx, "smtp", s.remote, username, password)
	if err != nil {
		return err
	}
	s.account = acct
	s.senders = nil
	if s.conn != nil {
		s.conn.update(func(ci *connInfo) { ci.user = acct.Address })
	}
	return nil
}

// mappedSASL sends every SASL error through reply, so a malformed exchange and a
// throttled login get their own codes rather than go-smtp's generic 454.
type mappedSASL struct {
	sasl.Server
	s *session
}

func (m *mappedSASL) Next(resp []byte) ([]byte, bool, error) {
	ch, done, err := m.Server.Next(resp)
	if err != nil {
		if isSASLSyntaxError(err) {
			err = errAuthMalformed
		}
		return ch, done, m.s.fail("auth", err)
	}
	return ch, done, nil
}

// isSASLSyntaxError recognises go-sasl's and loginServer's complaints about the
// client's response (as opposed to a wrong password or a store failure).
func isSASLSyntaxError(err error) bool {
	return errors.Is(err, errLoginMalformed) || errors.Is(err, sasl.ErrUnexpectedClientResponse) ||
		strings.HasPrefix(err.Error(), "sasl: invalid response")
}

// Mail starts a transaction (RFC 5321 section 4.1.1.2).
func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	s.Reset()
	if !wellFormed(from) {
		// go-smtp passes NUL, other control bytes and invalid UTF-8 through; they
		// would end up in Return-Path, logs, the queue and bounces (RFC 5321
		// section 4.1.2 allows no control characters, RFC 6531 only UTF-8).
		s.log.Warn("smtp sender refused: control character, invalid UTF-8 or too long", "from", from)
		return s.fail("mail", errBadSender)
	}
	if s.submission() {
		if err := s.checkSubmissionSender(from); err != nil {
			return s.fail("mail", err)
		}
	} else if from != "" && !s.popRelay {
		// Mail from our own domains comes from our users, who authenticate on
		// submission; on port 25 it is a forgery. The null sender (bounces,
		// RFC 5321 section 4.5.5) has no domain and passes.
		if _, domain, ok := mailaddr.SplitAddress(from); ok && s.isLocal(domain) {
			s.log.Info("smtp sender refused: local domain without auth", "from", from)
			return s.fail("mail", errOwnDomainSender)
		}
	}
	if s.role == roleMX && s.account == nil && !s.popRelay && !s.srv.inbound.admit(s.ip) {
		s.log.Warn("smtp sender deferred: inbound rate limit", "from", from)
		return s.fail("mail", errInboundRate)
	}
	s.from, s.hasFrom = from, true
	if opts != nil {
		s.declaredSize = opts.Size
	}
	return nil
}

func (s *session) checkSubmissionSender(from string) error {
	if s.account == nil {
		return errAuthRequired
	}
	if from == "" {
		return errNullSender
	}
	if s.senders == nil {
		ctx, cancel := s.ctx()
		defer cancel()
		addrs, err := s.srv.store.SenderAddresses(ctx, s.account.ID)
		if err != nil {
			return temporary("sender addresses of %s: %w", s.account.Address, err)
		}
		if s.account.PasswordHash == "" && s.srv.cfg.Directory != nil {
			// A directory user may also send as each of their extra addresses.
			e, err := s.srv.cfg.Directory.User(ctx, s.account.Address)
			switch {
			case err == nil:
				addrs = append(addrs, e.Aliases...)
			case errors.Is(err, directory.ErrUnavailable):
				s.log.Warn("smtp sender deferred: directory unavailable", "account", s.account.Address, "err", err)
				return errDirectoryUnavailable
			}
		}
		s.senders = addrs
	}
	if s.owns(from) {
		return nil
	}
	s.log.Warn("smtp sender refused: not the user's address", "account", s.account.Address, "from", from)
	return errSenderNotOwned
}

// owns reports whether addr is one of the authenticated user's sender addresses
// (loaded by checkSubmissionSender at MAIL).
func (s *session) owns(addr string) bool {
	for _, a := range s.senders {
		if strings.EqualFold(a, addr) {
			return true
		}
	}
	return false
}

// Rcpt adds a recipient (RFC 5321 section 4.1.1.3). Everything is decided here, so
// nothing accepted is bounced later: unknown users and relay attempts are refused
// now.
func (s *session) Rcpt(to string, opts *smtp.RcptOptions) error {
	if !wellFormed(to) {
		s.log.Warn("smtp recipient refused: control character, invalid UTF-8 or too long", "rcpt", to)
		return s.fail("rcpt", errBadAddress)
	}
	local, domain, ok := mailaddr.SplitAddress(to)
	relay := s.account != nil || s.popRelay
	if !ok || relayTrick(local, domain) {
		if !relay {
			s.log.Warn("smtp relay refused", "rcpt", to, "reason", "address trick")
			return s.refuseRcpt(errRelayDenied)
		}
		if !ok {
			return s.fail("rcpt", errBadAddress)
		}
	}
	if !mailaddr.ValidDomain(domain) {
		// Domain literals and malformed names: nothing to deliver to, even for a
		// user who may relay.
		return s.fail("rcpt", errBadDomain)
	}
	if d, isLocal := s.localDomain(domain); isLocal {
		ctx, cancel := s.ctx()
		defer cancel()
		accts, err := s.srv.store.Resolve(ctx, local+"@"+d)
		if errors.Is(err, store.ErrUnknownRecipient) && s.srv.cfg.Directory != nil {
			accts, err = s.resolveDirectory(ctx, local+"@"+d)
		} else if err == nil && s.srv.cfg.Directory != nil {
			accts, err = s.stillInDirectory(ctx, accts)
		}
		if err != nil {
			if errors.Is(err, store.ErrUnknownRecipient) || errors.Is(err, store.ErrNotLocal) {
				s.log.Info("smtp recipient refused: unknown", "rcpt", to)
				return s.refuseRcpt(errNoSuchUser)
			}
			if errors.Is(err, errDirectoryUnavailable) {
				return s.fail("rcpt", errDirectoryUnavailable)
			}
			return s.fail("rcpt", temporary("resolve %s: %w", to, err))
		}
		if len(accts) == 0 {
			return s.refuseRcpt(errNoSuchUser)
		}
		if s.localRcpts == nil {
			s.localRcpts = make(map[int64]store.Recipient)
			s.localAddrs = make(map[int64]string)
		}
		for _, a := range accts {
			// An alias with one full member is deferred whole: delivering to the
			// others and dropping that copy would lose mail silently.
			if err := s.checkRcptQuota(a.ID); err != nil {
				return s.fail("rcpt", err)
			}
		}
		for _, a := range accts {
			s.localRcpts[a.ID] = store.Recipient{AccountID: a.ID}
			s.localAddrs[a.ID] = a.Address
		}
	} else {
		if !relay || s.srv.queue == nil {
			s.log.Warn("smtp relay refused", "rcpt", to, "reason", "not local")
			return s.refuseRcpt(errRelayDenied)
		}
		s.remoteRcpts = append(s.remoteRcpts, to)
	}
	if s.rcptCount == 0 {
		s.firstRcpt = to
	}
	s.rcptCount++
	s.rcptAddrs = append(s.rcptAddrs, to)
	if s.conn != nil {
		// A transaction is open: a shutdown lets it reach DATA, finish and be
		// answered (shutdown.go).
		s.conn.inTransaction.Store(true)
	}
	return nil
}

// maxPathLen is RFC 5321 section 4.5.3.1.3's limit on a path (256 octets with the
// angle brackets). Longer addresses would make Return-Path and Received lines that
// the next hop refuses.
const maxPathLen = 254

// wellFormed reports that addr is valid UTF-8 without ASCII control characters
// (NUL, CR, LF, DEL …) and not longer than maxPathLen. Non-ASCII without the
// SMTPUTF8 parameter is tolerated, as Postfix does: the webmail and many clients do
// not send the parameter.
func wellFormed(addr string) bool {
	return len(addr) <= maxPathLen && utf8.ValidString(addr) &&
		strings.IndexFunc(addr, func(r rune) bool { return r < 0x20 || r == 0x7f }) < 0
}

// maxRefusedRcpts is how many recipients one unauthenticated connection may have
// refused as unknown or not relayable before it is closed, like Postfix's
// smtpd_hard_error_limit (20): probing addresses one RCPT at a time (a directory
// harvest) gets slow. Authenticated users are exempt (the webmail may keep a
// connection for many messages, and a user's typos are not an attack).
const maxRefusedRcpts = 20

// refuseRcpt answers a refused recipient with err, or, past maxRefusedRcpts for
// this connection, says 421 and closes it (RFC 5321 section 3.8).
func (s *session) refuseRcpt(err error) error {
	if s.conn == nil || s.account != nil || s.conn.refusedRcpts.Add(1) <= maxRefusedRcpts {
		return s.fail("rcpt", err)
	}
	s.log.Warn("smtp connection closed: too many refused recipients", "account", s.accountName())
	// go-smtp would send our reply and carry on; write the 421 ourselves, then close.
	nc := s.smtp.Conn()
	nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(nc, "421 4.7.0 Too many invalid recipients, closing connection\r\n")
	s.smtp.Close()
	return reply(errTooManyRefused)
}

// localDomain finds domain among the local domains as written, or in its other IDNA
// form (RFC 5890): MTAs without SMTPUTF8 send the A-label ("xn--…"), SMTPUTF8 ones
// may send the U-label, and the domain may have been added either way. It returns
// the form the store knows.
func (s *session) localDomain(domain string) (string, bool) {
	if s.srv.store.IsLocalDomain(domain) {
		return domain, true
	}
	d, err := mailaddr.ParseDomain(domain)
	if err != nil {
		return domain, false
	}
	for _, form := range d.Forms() {
		if s.srv.store.IsLocalDomain(form) {
			return form, true
		}
	}
	return domain, false
}

func (s *session) isLocal(domain string) bool {
	_, ok := s.localDomain(domain)
	return ok
}

// relayTrick reports the old ways of smuggling a relay through a local-looking
// address, which some MTAs still route onward: the percent hack (user%other@local),
// bang paths (other!user@local), an '@' inside a quoted local part
// ("user@other"@local), domain literals and a trailing dot in the domain (RFC 5321
// section 3.6.1 says source routes must be ignored; go-smtp strips them, so
// @a:user@b arrives here as user@b and is judged by its real domain).
func relayTrick(local, domain string) bool {
	return strings.ContainsAny(local, "%!@:\"\\ ") ||
		strings.ContainsAny(domain, "[]%!@:") ||
		strings.HasSuffix(domain, ".")
}

// resolveDirectory asks the LDAP directory for a recipient the store does not know,
// which makes the user's mailbox at their first mail. A directory that cannot answer
// defers the recipient (451 4.4.3): an outage must never bounce mail as unknown.
func (s *session) resolveDirectory(ctx context.Context, addr string) ([]store.Account, error) {
	acct, err := s.srv.cfg.Directory.Resolve(ctx, addr)
	switch {
	case errors.Is(err, directory.ErrNotFound):
		return nil, store.ErrUnknownRecipient
	case errors.Is(err, directory.ErrUnavailable):
		s.log.Warn("smtp recipient deferred: directory unavailable", "rcpt", addr, "err", err)
		return nil, errDirectoryUnavailable
	case err != nil:
		return nil, err
	}
	return []store.Account{*acct}, nil
}

// stillInDirectory drops the directory users among the store's answer whom the
// directory no longer has as mail users (removed, disabled, out of the group): their
// mailbox stays, but mail for them is refused like mail for nobody. Local accounts
// pass. An outage defers the recipient rather than guessing.
func (s *session) stillInDirectory(ctx context.Context, accts []store.Account) ([]store.Account, error) {
	kept := accts[:0:0]
	for _, a := range accts {
		if a.PasswordHash != "" {
			kept = append(kept, a)
			continue
		}
		_, err := s.srv.cfg.Directory.User(ctx, a.Address)
		switch {
		case err == nil:
			kept = append(kept, a)
		case errors.Is(err, directory.ErrNotFound):
			s.log.Info("smtp recipient dropped: no longer a mail user in the directory", "account", a.Address)
		case errors.Is(err, directory.ErrUnavailable):
			s.log.Warn("smtp recipient deferred: directory unavailable", "account", a.Address, "err", err)
			return nil, errDirectoryUnavailable
		default:
			return nil, err
		}
	}
	if len(kept) == 0 {
		return nil, store.ErrUnknownRecipient
	}
	return kept, nil
}

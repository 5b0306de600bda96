package imapd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// session is one IMAP connection's state. imapserver calls its methods from the
// connection's goroutine one command at a time (IDLE runs in a helper goroutine while
// the reader waits for DONE); the store's events arrive from the hub goroutine and
// only touch the pending queue under mu.
type session struct {
	srv   *Server
	conn  *imapserver.Conn
	ip    string
	start time.Time

	acct *store.Account
	hub  *accountHub
	// endWatch stops watching the login's credentials (WatchCredentials).
	endWatch func()

	mu     sync.Mutex // guards sel (pointer) and sel.pending
	sel    *selected
	notify chan struct{} // cap 1: "pending has something" (for Idle)
	queued chan struct{} // cap 1: the same, for waitForUID
}

var (
	_ imapserver.SessionIMAP4rev2      = (*session)(nil)
	_ imapserver.SessionUnauthenticate = (*session)(nil)
	_ imapserver.SessionAppendLimit    = (*session)(nil)
	_ imapserver.SessionNamespace      = (*session)(nil)
	_ imapserver.SessionMove           = (*session)(nil)
)

func (s *Server) newSession(c *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
	return &session{
		srv:    s,
		conn:   c,
		ip:     auth.IPOf(c.NetConn().RemoteAddr()),
		start:  time.Now(),
		notify: make(chan struct{}, 1),
		queued: make(chan struct{}, 1),
	}, nil, nil
}

// defaultCommandTimeout bounds the work of one command.
const defaultCommandTimeout = 2 * time.Minute

// ctx bounds one command's store calls and scans: commands must not hang a
// connection forever. Past it the command answers NO [LIMIT] (storeErr).
func (sess *session) ctx() (context.Context, context.CancelFunc) {
	d := time.Duration(sess.srv.commandTimeout.Load())
	if d == 0 {
		d = defaultCommandTimeout
	}
	return context.WithTimeout(context.Background(), d)
}

func (sess *session) account() string {
	if sess.acct == nil {
		return ""
	}
	return sess.acct.Address
}

// Close is called once when the connection ends.
func (sess *session) Close() error {
	account := sess.account()
	sess.logout()
	sess.srv.log.Info("imap connection closed", "ip", sess.ip, "account", account,
		"duration", time.Since(sess.start).Round(time.Millisecond))
	return nil
}

func (sess *session) logout() {
	if sess.endWatch != nil {
		sess.endWatch()
		sess.endWatch = nil
	}
	sess.mu.Lock()
	sess.sel = nil
	sess.mu.Unlock()
	if sess.hub != nil {
		sess.srv.leave(sess, sess.hub)
		sess.hub = nil
	}
	sess.acct = nil
}

// Login checks credentials through auth (which throttles and logs failures).
// imapserver calls it for LOGIN and for AUTHENTICATE PLAIN, and only after TLS
// unless the connection is trusted (RFC 9051 section 6.2.3, docs/ARCHITECTURE.md).
func (sess *session) Login(username, password string) error {
	ctx, cancel := sess.ctx()
	defer cancel()
	acct, err := sess.srv.auth.Authenticate(ctx, "imap", sess.conn.NetConn().RemoteAddr(), username, password)
	switch {
	case errors.Is(err, auth.ErrThrottled):
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnavailable,
			Text: "Too many failed logins, try again later"}
	case errors.Is(err, auth.ErrBusy):
		// RFC 5530 section 3: UNAVAILABLE, a temporary failure; the password was
		// not checked. The webmail reads "busy" to say "try again in a moment".
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnavailable,
			Text: "Server busy, try again in a moment"}
	case errors.Is(err, auth.ErrInvalidCredentials):
		return imapserver.ErrAuthFailed
	case errors.Is(err, auth.ErrUnavailable):
		// The account directory (LDAP) did not answer: the password was not
		// checked. The webmail reads "temporarily unavailable" to say so rather
		// than "too many failed logins" (web/mailclient).
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnavailable,
			Text: "Authentication temporarily unavailable, try again later"}
	case err != nil:
		sess.srv.log.Error("imap login", "ip", sess.ip, "user", username, "err", err)
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnavailable,
			Text: "Authentication temporarily unavailable"}
	}
	sess.acct = acct
	sess.hub = sess.srv.join(sess, acct.ID)
	sess.watchCredentials(acct)
	sess.srv.log.Info("imap login", "ip", sess.ip, "account", acct.Address, "tls", sess.isTLS())
	return nil
}

// watchCredentials ends the connection when the account's password changes or the
// account is deleted (`yubin user passwd|del`, possibly from another process): a
// session lives no longer than the password it was opened with. BYE is the server's
// way to close a connection (RFC 9051 section 7.1.5).
func (sess *session) watchCredentials(acct *store.Account) {
	revoked, stop := sess.srv.auth.WatchCredentials(acct)
	done := make(chan struct{})
	sess.endWatch = func() {
		stop()
		close(done)
	}
	go func() {
		select {
		case <-revoked:
			sess.srv.log.Info("imap session ended: credentials changed", "ip", sess.ip, "account", acct.Address)
			sess.conn.Bye("Credentials changed, log in again")
		case <-done:
		}
	}()
}

func (sess *session) isTLS() bool {
	_, ok := sess.conn.NetConn().(*tls.Conn)
	return ok
}

// Unauthenticate returns to the not-authenticated state (RFC 8437).
func (sess *session) Unauthenticate() error {
	sess.srv.log.Info("imap unauthenticate", "ip", sess.ip, "account", sess.account())
	sess.logout()
	return nil
}

// AppendLimit is advertised as APPENDLIMIT=n (RFC 7889).
func (sess *session) AppendLimit() uint32 { return sess.srv.appendLimit() }

// Namespace: one personal namespace, no others (RFC 2342).
func (sess *session) Namespace() (*imap.NamespaceData, error) {
	return &imap.NamespaceData{
		Personal: []imap.NamespaceDescriptor{{Prefix: "", Delim: store.Delimiter}},
	}, nil
}

// enqueue is called by the hub for every event of the account.
func (sess *session) enqueue(ev store.Event) {
	if ev.Kind == store.EventMailboxes {
		return
	}
	sess.mu.Lock()
	sel := sess.sel
	ok := sel != nil && sel.id == ev.MailboxID
	if ok {
		sel.pending = append(sel.pending, ev)
	}
	sess.mu.Unlock()
	if ok {
		select {
		case sess.notify <- struct{}{}:
		default:
		}
		select {
		case sess.queued <- struct{}{}:
		default:
		}
	}
}

// Poll writes the updates other sessions caused since the last command.
func (sess *session) Poll(w *imapserver.UpdateWriter, allowExpunge bool) error {
	if sess.sel == nil {
		return nil
	}
	return sess.sel.poll(sess, w, allowExpunge)
}

// Idle streams updates until the client sends DONE (RFC 2177).
func (sess *session) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	if err := sess.Poll(w, true); err != nil {
		return err
	}
	for {
		select {
		case <-stop:
			return nil
		case <-sess.notify:
			if err := sess.Poll(w, true); err != nil {
				return err
			}
		}
	}
}

// waitForUID waits briefly until the store's event for uid in the selected mailbox
// has reached this session, so that an APPEND or COPY into the selected mailbox is
// followed by its EXISTS (RFC 9051 section 6.3.12) in the same command's responses.
func (sess *session) waitForUID(mailboxID int64, uid uint32) {
	deadline := time.NewTimer(time.Second)
	defer deadline.Stop()
	for {
		sess.mu.Lock()
		sel := sess.sel
		seen := sel == nil || sel.id != mailboxID || sel.knownOrPending(uid)
		sess.mu.Unlock()
		if seen {
			return
		}
		select {
		case <-sess.queued:
		case <-deadline.C:
			return
		}
	}
}

// storeErr maps a store error to the IMAP reply (RFC 5530 response codes).
func storeErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeNonExistent, Text: "No such mailbox"}
	case errors.Is(err, store.ErrExists):
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAlreadyExists, Text: "Mailbox already exists"}
	case errors.Is(err, store.ErrInvalidName):
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeCannot, Text: "Invalid mailbox name"}
	case errors.Is(err, store.ErrHasChildren):
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeHasChildren, Text: "Mailbox has inferior mailboxes"}
	case errors.Is(err, store.ErrInboxProtected):
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeCannot, Text: "INBOX cannot be deleted"}
	case errors.Is(err, store.ErrOverQuota):
		// RFC 5530 section 3 OVERQUOTA (RFC 9208 section 5.3): the account's storage
		// quota would be exceeded; the client may delete mail and try again.
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeOverQuota, Text: "Storage quota exceeded: delete some mail and try again"}
	case errors.Is(err, store.ErrTooManyMailboxes):
		// RFC 5530 section 3 LIMIT: a server-side limit ([limits] max_mailboxes).
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeLimit, Text: "Too many mailboxes: delete one first"}
	case errors.Is(err, store.ErrTooBig):
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeTooBig, Text: "Message too big"}
	case errors.Is(err, context.DeadlineExceeded):
		// RFC 5530 section 3 LIMIT: the command ran past its time bound.
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeLimit, Text: "Command took too long: narrow it down"}
	}
	return fmt.Errorf("%s: %w", op, err)
}

func noErr(code imap.ResponseCode, text string) error {
	return &imap.Error{Type: imap.StatusResponseTypeNo, Code: code, Text: text}
}

var errReadOnly = noErr("READ-ONLY", "Mailbox is selected read-only")

var _ net.Conn = (*countedConn)(nil)

package imapd

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/imapd/imapwire"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// The commands valid in any state and those of the not-authenticated state
// (RFC 9051 sections 6.1, 6.2), plus ENABLE, ID, NAMESPACE and UNAUTHENTICATE.
func init() {
	register("CAPABILITY", stateAny, cmdCapability)
	register("NOOP", stateAny, cmdNoop)
	register("LOGOUT", stateAny, cmdLogout)
	register("STARTTLS", stateNotAuth, cmdStartTLS)
	register("LOGIN", stateNotAuth, cmdLogin)
	register("AUTHENTICATE", stateNotAuth, cmdAuthenticate)
	register("ENABLE", stateAuthOrSelect, cmdEnable)
	register("ID", stateAny, cmdID)
	register("NAMESPACE", stateAuthOrSelect, cmdNamespace)
	register("UNAUTHENTICATE", stateAuthOrSelect, cmdUnauthenticate)
	register("IDLE", stateAuthOrSelect, cmdIdle)
	register("CHECK", stateSelected, cmdNoop) // RFC 9051 removed CHECK; RFC 3501 6.4.1: a NOOP here
}

func cmdCapability(c *cmd) error {
	if err := c.end(); err != nil {
		return err
	}
	c.sess.w.Raw("* CAPABILITY ").Raw(c.sess.capabilities()).CRLF()
	return nil
}

// cmdNoop: the unilateral updates go out in finish (RFC 9051 section 6.1.2).
func cmdNoop(c *cmd) error { return c.end() }

func cmdLogout(c *cmd) error {
	if err := c.end(); err != nil {
		return err
	}
	// RFC 9051 section 6.1.3: BYE, then the tagged OK, then the server closes.
	w := c.sess.w
	w.Raw("* BYE Logging out").CRLF()
	w.Raw(c.tag).Raw(" OK LOGOUT completed").CRLF()
	c.done = true
	c.sess.state = stateLogout
	return nil
}

// cmdStartTLS upgrades the connection (RFC 9051 section 6.2.1). What the client
// sent after STARTTLS in the same packet is dropped with the old buffer: it was
// not protected by TLS (command injection, CVE-2011-0411 and kin).
func cmdStartTLS(c *cmd) error {
	if err := c.end(); err != nil {
		return err
	}
	sess := c.sess
	if sess.isTLS() || sess.srv.cfg.TLS == nil {
		return badf("TLS is not available on this connection")
	}
	sess.w.Raw(c.tag).Raw(" OK Begin TLS negotiation now").CRLF()
	if err := sess.w.Flush(); err != nil {
		return err
	}
	c.done = true
	tc := tls.Server(sess.netConn, sess.srv.cfg.TLS)
	tc.SetDeadline(time.Now().Add(30 * time.Second))
	if err := tc.Handshake(); err != nil {
		sess.srv.log.Info("imap starttls failed", "ip", sess.ip, "err", err)
		sess.state = stateLogout
		return nil
	}
	tc.SetDeadline(time.Time{})
	sess.netConn = tc
	sess.br.Reset(tc)
	sess.w.Reset(tc)
	return nil
}

func cmdLogin(c *cmd) error {
	if err := c.sp(); err != nil {
		return err
	}
	user, err := c.r.AString(maxStringLiteral)
	if err != nil {
		return err
	}
	if err := c.sp(); err != nil {
		return err
	}
	pass, err := c.r.AString(maxStringLiteral)
	if err != nil {
		return err
	}
	if err := c.end(); err != nil {
		return err
	}
	if !c.sess.mayLogin() {
		return noErr(imap.ResponseCodePrivacyRequired, "LOGIN is disabled until STARTTLS")
	}
	return c.sess.login(c, user, pass)
}

// cmdAuthenticate implements SASL PLAIN (RFC 4616) with the initial response
// on the command line (SASL-IR, RFC 4959) or after a "+ " continuation.
func cmdAuthenticate(c *cmd) error {
	if err := c.sp(); err != nil {
		return err
	}
	mech, err := c.atomUpper()
	if err != nil {
		return err
	}
	initial, haveInitial := "", false
	if end, err := c.peekEnd(); err != nil {
		return err
	} else if !end {
		if err := c.sp(); err != nil {
			return err
		}
		if initial, err = c.r.Chars(isBase64Char, "base64"); err != nil {
			return err
		}
		haveInitial = true
	}
	if err := c.end(); err != nil {
		return err
	}
	sess := c.sess
	if mech != "PLAIN" {
		return noErr("", "Unsupported authentication mechanism")
	}
	if !sess.mayLogin() {
		return noErr(imap.ResponseCodePrivacyRequired, "Authentication is disabled until STARTTLS")
	}
	if !haveInitial {
		sess.w.Raw("+ ").CRLF()
		if err := sess.w.Flush(); err != nil {
			return err
		}
		sess.r.Begin() // the response line counts as part of the command
		line, err := sess.r.Chars(func(b byte) bool { return isBase64Char(b) || b == '*' }, "base64")
		if err == nil {
			err = sess.r.EOL()
		}
		if err != nil {
			return err
		}
		initial = line
	}
	if initial == "*" {
		return badf("Authentication cancelled") // RFC 9051 section 6.2.2
	}
	if initial == "=" {
		initial = ""
	}
	raw, err := base64.StdEncoding.DecodeString(initial)
	if err != nil {
		return badf("Invalid base64")
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 3 {
		return badf("Invalid PLAIN response")
	}
	authz, user, pass := parts[0], parts[1], parts[2]
	if authz != "" && authz != user {
		// Acting as another user is not offered.
		return noErr(imap.ResponseCodeAuthorizationFailed, "Authorization identity must match")
	}
	return sess.login(c, user, pass)
}

func isBase64Char(b byte) bool {
	return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '+' || b == '/' || b == '='
}

// login checks credentials through auth (which throttles and logs failures).
func (sess *session) login(c *cmd, username, password string) error {
	ctx, cancel := sess.ctx()
	defer cancel()
	acct, err := sess.srv.auth.Authenticate(ctx, "imap", sess.raw.RemoteAddr(), username, password)
	switch {
	case errors.Is(err, auth.ErrThrottled):
		return noErr(imap.ResponseCodeUnavailable, "Too many failed logins, try again later")
	case errors.Is(err, auth.ErrBusy):
		// RFC 5530 section 3: UNAVAILABLE, a temporary failure; the password was
		// not checked. The webmail reads "busy" to say "try again in a moment".
		return noErr(imap.ResponseCodeUnavailable, "Server busy, try again in a moment")
	case errors.Is(err, auth.ErrInvalidCredentials):
		return noErr(imap.ResponseCodeAuthenticationFailed, "Authentication failed")
	case errors.Is(err, auth.ErrUnavailable):
		// The account directory (LDAP) did not answer: the password was not
		// checked. The webmail reads "temporarily unavailable" to say so.
		return noErr(imap.ResponseCodeUnavailable, "Authentication temporarily unavailable, try again later")
	case err != nil:
		sess.srv.log.Error("imap login", "ip", sess.ip, "user", username, "err", err)
		return noErr(imap.ResponseCodeUnavailable, "Authentication temporarily unavailable")
	}
	sess.acct = acct
	sess.hub = sess.srv.join(sess, acct.ID)
	sess.watchCredentials(acct)
	sess.state = stateAuth
	sess.srv.log.Info("imap login", "ip", sess.ip, "account", acct.Address, "tls", sess.isTLS())
	// RFC 9051 section 6.2.3: the capabilities may have changed.
	c.okCode = "CAPABILITY " + sess.capabilities()
	c.okText = "Logged in"
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
			sess.bye("Credentials changed, log in again")
		case <-done:
		}
	}()
}

// cmdEnable (RFC 5161): only what we implement is enabled and reported.
func cmdEnable(c *cmd) error {
	var names []string
	for {
		if end, err := c.peekEnd(); err != nil {
			return err
		} else if end {
			break
		}
		if err := c.sp(); err != nil {
			return err
		}
		a, err := c.atomUpper()
		if err != nil {
			return err
		}
		names = append(names, a)
	}
	if err := c.end(); err != nil {
		return err
	}
	if len(names) == 0 {
		return badf("ENABLE needs a capability")
	}
	sess := c.sess
	var done []string
	for _, n := range names {
		on, ok := enableable[n]
		if !ok || sess.enabled[n] {
			continue
		}
		sess.enabled[n] = true
		if on != nil {
			on(sess)
		}
		done = append(done, n)
	}
	sess.w.Raw("* ENABLED")
	for _, n := range done {
		sess.w.SP().Raw(enabledName(n))
	}
	sess.w.CRLF()
	return nil
}

func enabledName(n string) string {
	if n == "IMAP4REV2" {
		return "IMAP4rev2"
	}
	return n
}

// cmdID answers RFC 2971's ID: the client's list is read (at most 30 pairs,
// section 3.3) and logged; we answer with our name.
func cmdID(c *cmd) error {
	if err := c.sp(); err != nil {
		return err
	}
	var fields []string
	if ok, err := c.r.Maybe('('); err != nil {
		return err
	} else if ok {
		for {
			if len(fields) >= 60 {
				return badf("Too many ID fields")
			}
			k, err := c.r.String(1024)
			if err != nil {
				return err
			}
			if err := c.sp(); err != nil {
				return err
			}
			v, _, err := c.r.NString(1024)
			if err != nil {
				return err
			}
			fields = append(fields, k, v)
			if ok, err := c.r.Maybe(')'); err != nil {
				return err
			} else if ok {
				break
			}
			if err := c.sp(); err != nil {
				return err
			}
		}
	} else {
		a, err := c.r.Atom()
		if err != nil {
			return err
		}
		if !strings.EqualFold(a, "NIL") {
			return badf("ID takes a list or NIL")
		}
	}
	if err := c.end(); err != nil {
		return err
	}
	if len(fields) > 0 {
		c.sess.srv.log.Debug("imap client id", "ip", c.sess.ip, "id", fmt.Sprint(fields))
	}
	c.sess.w.Raw(`* ID ("name" "yubin")`).CRLF()
	return nil
}

// cmdNamespace: one personal namespace, no others (RFC 2342).
func cmdNamespace(c *cmd) error {
	if err := c.end(); err != nil {
		return err
	}
	c.sess.w.Raw(`* NAMESPACE (("" "` + string(store.Delimiter) + `")) NIL NIL`).CRLF()
	return nil
}

// cmdUnauthenticate returns to the not-authenticated state (RFC 8437).
func cmdUnauthenticate(c *cmd) error {
	if err := c.end(); err != nil {
		return err
	}
	sess := c.sess
	sess.srv.log.Info("imap unauthenticate", "ip", sess.ip, "account", sess.account())
	sess.logout()
	sess.state = stateNotAuth
	return nil
}

// cmdIdle streams updates until the client sends DONE (RFC 2177, RFC 9051 section
// 6.3.13). The connection goroutine waits for DONE; a helper goroutine writes the
// updates under the writer's lock as events arrive.
func cmdIdle(c *cmd) error {
	if err := c.end(); err != nil {
		return err
	}
	sess := c.sess
	w := sess.w
	w.Raw("+ idling").CRLF()
	if err := sess.idleUpdates(w); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	stop := make(chan struct{})
	stopped := make(chan struct{})
	sess.unlockWriter() // the helper writes while we wait for DONE
	go func() {
		defer close(stopped)
		for {
			select {
			case <-stop:
				return
			case <-sess.notify:
				sess.lockWriter()
				sess.idleUpdates(w)
				w.Flush()
				sess.unlockWriter()
			}
		}
	}()
	sess.netConn.SetReadDeadline(time.Now().Add(idleTimeoutAuth))
	sess.r.Begin()
	line, err := sess.r.Atom()
	if err == nil {
		err = sess.r.EOL()
	}
	close(stop)
	<-stopped
	sess.lockWriter()
	if err != nil {
		var se *imapwire.SyntaxError
		if errors.As(err, &se) {
			return badf("Expected DONE")
		}
		return err
	}
	if !strings.EqualFold(line, "DONE") {
		return badf("Expected DONE")
	}
	return nil
}

// maxPendingChanges bounds the changes (messages named by queued events) a session
// holds for its selected mailbox between two commands. A client that neither
// sends commands nor IDLEs would otherwise make the server keep every change for
// as long as its connection lives (35 minutes): past this it gets BYE, and a
// reconnect reads the mailbox afresh. 250,000 is two "mark all read" of a
// 100,000-message mailbox and some; about 20 MB at most. Atomic so tests can lower it.
var maxPendingChanges atomic.Int64

func init() { maxPendingChanges.Store(250_000) }

// eventSize is what an event adds to a session's queue, in messages.
func eventSize(ev store.Event) int64 { return int64(1 + len(ev.UIDs) + len(ev.Flags)) }

// enqueue is called by the hub for every event of the account.
func (sess *session) enqueue(ev store.Event) {
	n := sess.notifying.Load()
	if n != nil {
		// Last, once the selected mailbox's queue below has the event: note
		// wakes the NOTIFY delivery, which must find it there.
		defer n.note(ev)
	}
	if ev.Kind == store.EventMailboxes {
		return
	}
	sess.mu.Lock()
	sel := sess.sel
	ok := sel != nil && sel.id == ev.MailboxID
	flooded := false
	if ok {
		if sel.pendingSize+eventSize(ev) > maxPendingChanges.Load() {
			// The client has not come back for its changes (no command, no IDLE)
			// while they piled up: keep no more of them and end the session.
			ok, flooded = false, !sel.flooded
			sel.flooded = true
		} else {
			sel.pending = append(sel.pending, ev)
			sel.pendingSize += eventSize(ev)
			if n != nil {
				n.noteSelectedBacklog(len(sel.pending))
			}
		}
	}
	sess.mu.Unlock()
	if flooded {
		// Not here: bye waits for the writer, and the hub must not.
		go sess.bye("[ALERT] Too many changes to this mailbox since your last command: please reconnect")
	}
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

// waitForUID waits briefly until the store's event for the last of uids (the
// messages this session just added to the selected mailbox) has reached this
// session, so that an APPEND or COPY into the selected mailbox is followed by its
// EXISTS (RFC 9051 section 6.3.12) in the same command's responses.
func (sess *session) waitForUID(mailboxID int64, uids []uint32) {
	sess.noteOwnNew(mailboxID, uids) // NOTIFY fetches them not (ext_notify_deliver.go)
	uid := uids[len(uids)-1]
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
		return noErr(imap.ResponseCodeNonExistent, "No such mailbox")
	case errors.Is(err, store.ErrExists):
		return noErr(imap.ResponseCodeAlreadyExists, "Mailbox already exists")
	case errors.Is(err, store.ErrInvalidName):
		return noErr(imap.ResponseCodeCannot, "Invalid mailbox name")
	case errors.Is(err, store.ErrHasChildren):
		return noErr(imap.ResponseCodeHasChildren, "Mailbox has inferior mailboxes")
	case errors.Is(err, store.ErrInboxProtected):
		return noErr(imap.ResponseCodeCannot, "INBOX cannot be deleted")
	case errors.Is(err, store.ErrOverQuota):
		// RFC 5530 section 3 OVERQUOTA (RFC 9208 section 5.3): the account's storage
		// quota would be exceeded; the client may delete mail and try again.
		return noErr(imap.ResponseCodeOverQuota, "Storage quota exceeded: delete some mail and try again")
	case errors.Is(err, store.ErrTooManyMailboxes):
		// RFC 5530 section 3 LIMIT: a server-side limit ([limits] max_mailboxes).
		return noErr(imap.ResponseCodeLimit, "Too many mailboxes: delete one first")
	case errors.Is(err, store.ErrTooBig):
		return noErr(imap.ResponseCodeTooBig, "Message too big")
	case errors.Is(err, context.DeadlineExceeded):
		// RFC 5530 section 3 LIMIT: the command ran past its time bound.
		return noErr(imap.ResponseCodeLimit, "Command took too long: narrow it down")
	}
	return fmt.Errorf("%s: %w", op, err)
}

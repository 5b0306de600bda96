package pop3d

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// cmdCapa lists the capabilities (RFC 2449 section 5). What a client may do next
// differs by state, so the list does too.
func (s *session) cmdCapa(arg string) {
	s.ok("capability list follows")
	caps := []string{"TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"}
	if s.state == stateAuthorization {
		caps = append(caps, "USER", "SASL PLAIN")
		if !s.tls && s.srv.cfg.TLS != nil {
			caps = append(caps, "STLS")
		}
	}
	caps = append(caps, "IMPLEMENTATION yubin")
	for _, c := range caps {
		s.reply("%s", c)
	}
	s.reply(".")
}

// cmdStls starts TLS (RFC 2595 section 4). Only in the AUTHORIZATION state, and once.
func (s *session) cmdStls(arg string) {
	switch {
	case arg != "":
		s.fail("STLS takes no argument")
	case s.tls:
		s.fail("TLS is already active")
	case s.srv.cfg.TLS == nil:
		s.fail("TLS is not available")
	default:
		s.ok("begin TLS negotiation")
		if err := s.startTLS(); err != nil {
			s.srv.log.Debug("STLS failed", "ip", s.ip, "err", err)
			s.reason = "TLS handshake failed"
			s.quit = true
			return
		}
		// RFC 2595 section 4: the server forgets what the client said before TLS.
		s.userArg = ""
	}
}

// plaintextAllowed says whether a password may be sent on this connection: over TLS,
// or from loopback (docs/ARCHITECTURE.md: AUTH only over TLS, loopback excepted).
func (s *session) plaintextAllowed() bool {
	if s.tls || s.srv.plaintextOK(s.remote) {
		return true
	}
	if s.srv.cfg.TLS == nil {
		s.failCode("SYS/PERM", "plaintext authentication is disabled on an unencrypted connection, and TLS is not configured")
	} else {
		s.failCode("SYS/PERM", "plaintext authentication is disabled on an unencrypted connection; use STLS first")
	}
	return false
}

// cmdUser names the user for a following PASS (RFC 1939 section 7).
func (s *session) cmdUser(arg string) {
	if !s.plaintextAllowed() {
		return
	}
	if arg == "" {
		s.fail("USER needs a user name")
		return
	}
	s.userArg = arg
	s.ok("send PASS")
}

// cmdPass completes USER/PASS. RFC 1939 section 7 lets the password contain spaces,
// so the whole rest of the line is the password.
func (s *session) cmdPass(arg string) {
	if !s.plaintextAllowed() {
		return
	}
	if s.userArg == "" {
		s.fail("send USER first")
		return
	}
	user := s.userArg
	s.userArg = ""
	s.login(user, arg)
}

// cmdAuth is RFC 5034 AUTH. Only PLAIN (RFC 4616) is offered: with an initial
// response on the command line ("=" for an empty one), or after a "+ " continuation.
func (s *session) cmdAuth(arg string) {
	mech, initial, hasInitial := strings.Cut(arg, " ")
	if mech == "" {
		// Not in RFC 5034, but older clients send a bare AUTH to list mechanisms.
		s.ok("SASL mechanisms follow")
		s.reply("PLAIN")
		s.reply(".")
		return
	}
	if !strings.EqualFold(mech, "PLAIN") {
		s.fail("unsupported authentication mechanism")
		return
	}
	if !s.plaintextAllowed() {
		return
	}
	if !hasInitial {
		s.reply("+ ")
		if err := s.bw.Flush(); err != nil {
			s.quit = true
			return
		}
		line, err := s.readLine()
		if errors.Is(err, errLineTooLong) {
			s.fail("SASL response too long")
			return
		}
		if err != nil {
			s.quit = true
			s.reason = "disconnected during AUTH"
			return
		}
		initial = line
	} else if initial == "=" {
		initial = "" // RFC 5034 section 4: "=" is a zero-length initial response
	}
	if initial == "*" {
		s.fail("authentication cancelled")
		return
	}
	user, pass, err := decodePlain(initial)
	switch {
	case errors.Is(err, errPlainBase64):
		s.fail("invalid base64 in SASL response")
	case err != nil:
		s.failCode("AUTH", "%s", err.Error())
	default:
		s.login(user, pass)
	}
}

var (
	errPlainBase64    = errors.New("invalid base64 in SASL response")
	errPlainMalformed = errors.New("malformed PLAIN response")
	errPlainAuthz     = errors.New("acting as another user is not allowed")
)

// decodePlain reads a PLAIN response (RFC 4616 section 2: base64 of
// [authzid] NUL authcid NUL passwd). An authorization identity other than the
// user's own is refused: nobody may act as someone else.
func decodePlain(response string) (user, pass string, err error) {
	raw, err := base64.StdEncoding.DecodeString(response)
	if err != nil {
		return "", "", errPlainBase64
	}
	parts := bytes.Split(raw, []byte{0})
	if len(parts) != 3 {
		return "", "", errPlainMalformed
	}
	authz, user, pass := string(parts[0]), string(parts[1]), string(parts[2])
	if authz != "" && !strings.EqualFold(authz, user) {
		return "", "", errPlainAuthz
	}
	return user, pass, nil
}

// login checks credentials through the auth throttling, takes the maildrop lock and
// snapshots INBOX. On success the session enters TRANSACTION (RFC 1939 section 4).
func (s *session) login(user, pass string) {
	ctx, cancel := s.context()
	defer cancel()
	acct, err := s.srv.auth.Authenticate(ctx, "pop3", s.remote, user, pass)
	switch {
	case errors.Is(err, auth.ErrThrottled):
		s.failCode("SYS/TEMP", "too many failed logins; try again later")
		return
	case errors.Is(err, auth.ErrBusy):
		// RFC 3206 section 4: SYS/TEMP, a temporary system problem.
		s.failCode("SYS/TEMP", "server busy; try again in a moment")
		return
	case errors.Is(err, auth.ErrInvalidCredentials):
		s.failCode("AUTH", "invalid user name or password")
		return
	case err != nil:
		s.srv.log.Error("POP3 authentication error", "ip", s.ip, "user", user, "err", err)
		s.failCode("SYS/TEMP", "authentication is unavailable; try again later")
		return
	}
	// RFC 2449 section 8.1.2 IN-USE: another session holds the maildrop.
	if !s.srv.lock(acct.ID) {
		s.srv.log.Info("POP3 maildrop locked", "ip", s.ip, "user", acct.Address)
		s.failCode("IN-USE", "maildrop already locked")
		return
	}
	mbox, msgs, err := loadMaildrop(ctx, s.srv.store, acct.ID)
	if err != nil {
		s.srv.unlock(acct.ID)
		s.srv.log.Error("POP3 maildrop load failed", "ip", s.ip, "user", acct.Address, "err", err)
		s.failCode("SYS/TEMP", "cannot open maildrop; try again later")
		return
	}
	s.acct, s.user, s.mailbox, s.msgs, s.locked = acct, acct.Address, mbox, msgs, true
	s.state = stateTransaction
	s.watchCredentials(acct)
	s.srv.auth.RecordPOPLogin(s.remote) // POP-before-SMTP, when enabled
	n, size := s.stat()
	s.srv.log.Info("POP3 login", "ip", s.ip, "user", s.user, "tls", s.tls, "messages", n)
	s.ok("maildrop has %d messages (%d octets)", n, size)
}

// loadMaildrop snapshots the account's INBOX: the messages and their UIDs, in UID
// order, as they are at login.
func loadMaildrop(ctx context.Context, st *store.Store, accountID int64) (*store.Mailbox, []message, error) {
	mbox, err := st.Mailbox(ctx, accountID, "INBOX")
	if err != nil {
		return nil, nil, err
	}
	list, err := st.Messages(ctx, mbox.ID, store.AllUIDs, store.FetchOptions{})
	if err != nil {
		return nil, nil, err
	}
	msgs := make([]message, len(list))
	for i, m := range list {
		msgs[i] = message{uid: m.UID, size: m.Size, blobID: m.BlobID}
	}
	return mbox, msgs, nil
}

package imapd

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/imapd/imapwire"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// connState is the IMAP connection state (RFC 9051 section 3).
type connState uint8

const (
	stateNotAuth connState = 1 << iota
	stateAuth
	stateSelected
	stateLogout

	stateAny          = stateNotAuth | stateAuth | stateSelected
	stateAuthOrSelect = stateAuth | stateSelected
)

// Idle timeouts: RFC 9051 section 5.4 wants at least 30 minutes once logged in; a
// client that has not logged in gets far less.
const (
	idleTimeoutAuth    = 35 * time.Minute
	idleTimeoutNotAuth = 2 * time.Minute
	// maxLine bounds a command's text outside literals (Dovecot uses the same
	// 64 KiB): long UID sets fit, a line that never ends does not grow memory.
	maxLine = 64 << 10
	// maxStringLiteral bounds an in-memory string literal (a password, a SEARCH
	// string, a mailbox name).
	maxStringLiteral = 64 << 10
)

// session is one IMAP connection: one goroutine reads a command, runs it and
// writes its answer. The store's events arrive from the hub goroutine and only
// touch the pending queue under mu; other goroutines (shutdown, a password
// change) write a BYE through bye, which takes the writer's lock.
type session struct {
	srv   *Server
	ip    string
	start time.Time

	netConn net.Conn // the connection as read and written (a *tls.Conn after STARTTLS)
	raw     net.Conn // the countedConn underneath
	trusted bool     // may log in without TLS (loopback)
	br      *bufio.Reader
	r       *imapwire.Reader
	w       *imapwire.Writer
	// wlock guards w; a channel so that bye can give up waiting.
	wlock chan struct{}

	state   connState
	enabled map[string]bool // ENABLEd extensions (RFC 5161), upper case
	tag     string          // the tag of the command being run
	closing atomic.Bool

	compressed bool // COMPRESS=DEFLATE is on (ext_compress.go)

	acct *store.Account
	hub  *accountHub
	// endWatch stops watching the login's credentials (WatchCredentials).
	endWatch func()

	// notifying is the NOTIFY state (ext_notify*.go), nil without NOTIFY; the hub
	// goroutine reads it.
	notifying atomic.Pointer[notifier]

	mu     sync.Mutex // guards sel (pointer) and sel.pending
	sel    *selected
	notify chan struct{} // cap 1: "pending has something" (for IDLE)
	queued chan struct{} // cap 1: the same, for waitForUID
}

func (s *Server) newSession(c, raw net.Conn, trusted bool) *session {
	sess := &session{
		srv:     s,
		ip:      auth.IPOf(raw.RemoteAddr()),
		start:   time.Now(),
		netConn: c,
		raw:     raw,
		trusted: trusted,
		wlock:   make(chan struct{}, 1),
		state:   stateNotAuth,
		enabled: map[string]bool{},
		notify:  make(chan struct{}, 1),
		queued:  make(chan struct{}, 1),
	}
	sess.br = bufio.NewReaderSize(c, 4096)
	sess.r = imapwire.NewReader(sess.br)
	sess.r.MaxLine = maxLine
	sess.r.MaxDiscard = max(s.cfg.MaxMessageBytes, 1<<20)
	sess.r.Continue = sess.continueLiteral
	sess.w = imapwire.NewWriter(c)
	return sess
}

func (sess *session) lockWriter()   { sess.wlock <- struct{}{} }
func (sess *session) unlockWriter() { <-sess.wlock }

// continueLiteral asks for a synchronizing literal's data (RFC 9051 section 7.5).
func (sess *session) continueLiteral() error {
	sess.w.Raw("+ Ready for literal data\r\n")
	return sess.w.Flush()
}

// utf8Names reports whether mailbox names and strings travel as UTF-8: after
// ENABLE IMAP4rev2 (RFC 9051 section 5.1) or UTF8=ACCEPT (RFC 6855 section 3).
func (sess *session) utf8Names() bool {
	return sess.enabled["IMAP4REV2"] || sess.enabled["UTF8=ACCEPT"]
}

func (sess *session) rev2() bool { return sess.enabled["IMAP4REV2"] }

func (sess *session) isTLS() bool {
	_, ok := sess.netConn.(*tls.Conn)
	return ok
}

// mayLogin: credentials travel only over TLS, loopback excepted (RFC 9051 section
// 6.2.3 LOGINDISABLED; docs/ARCHITECTURE.md).
func (sess *session) mayLogin() bool { return sess.isTLS() || sess.trusted }

func (sess *session) account() string {
	if sess.acct == nil {
		return ""
	}
	return sess.acct.Address
}

// serve runs the connection until LOGOUT, an I/O error or shutdown.
func (sess *session) serve() {
	defer func() {
		if v := recover(); v != nil {
			sess.srv.log.Error("imap session panic", "ip", sess.ip, "account", sess.account(), "panic", v, "stack", string(debug.Stack()))
		}
		sess.netConn.Close()
		account := sess.account()
		sess.logout()
		sess.srv.forget(sess)
		sess.srv.log.Info("imap connection closed", "ip", sess.ip, "account", account,
			"duration", time.Since(sess.start).Round(time.Millisecond))
	}()
	sess.lockWriter()
	sess.w.Raw("* OK [CAPABILITY ").Raw(sess.capabilities()).Raw("] yubin IMAP4rev2 server ready").CRLF()
	err := sess.w.Flush()
	sess.unlockWriter()
	if err != nil {
		return
	}
	// A BYE from another goroutine (bye) closes the connection, which ends the
	// loop at its next read. The writer's error is read under its lock only: bye
	// writes through it from another goroutine.
	for sess.state != stateLogout {
		timeout := idleTimeoutAuth
		if sess.state == stateNotAuth {
			timeout = idleTimeoutNotAuth
		}
		sess.netConn.SetReadDeadline(time.Now().Add(timeout))
		if _, err := sess.br.Peek(1); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				sess.bye("Autologout: idle for too long")
			}
			return
		}
		sess.lockWriter()
		ok := sess.command()
		err := sess.w.Flush()
		sess.unlockWriter()
		if !ok || err != nil {
			return
		}
	}
}

// command reads and runs one command; false ends the connection.
func (sess *session) command() bool {
	r := sess.r
	r.Begin()
	sess.tag = ""
	if end, err := r.AtEOL(); err != nil {
		return false
	} else if end {
		r.EOL() // an empty line is ignored
		return true
	}
	tag, err := r.Tag()
	if err == nil {
		sess.tag = tag
		err = r.SP()
	}
	var name string
	if err == nil {
		name, err = r.Atom()
	}
	if err != nil {
		return sess.finish(err, nil)
	}
	name = strings.ToUpper(name)
	c := &cmd{sess: sess, r: r, tag: tag, name: name}
	if name == "UID" {
		sub := ""
		if err = r.SP(); err == nil {
			sub, err = r.Atom()
		}
		if err != nil {
			return sess.finish(err, c)
		}
		c.uid = true
		c.name = "UID " + strings.ToUpper(sub)
	}
	h := commands[c.name]
	switch {
	case h == nil:
		return sess.finish(&imap.Error{Type: imap.StatusResponseTypeBad, Text: "Unknown command " + c.name}, c)
	case h.states&sess.state == 0:
		return sess.finish(stateError(sess.state), c)
	}
	c.expunge = !h.noExpunge
	if sess.hub != nil {
		sess.hub.catchUp()
	}
	return sess.finish(h.run(c), c)
}

func stateError(st connState) error {
	text := "Command not allowed now"
	switch st {
	case stateNotAuth:
		text = "Log in first"
	case stateAuth:
		text = "No mailbox selected"
	}
	return &imap.Error{Type: imap.StatusResponseTypeBad, Text: text}
}

// finish writes the tagged reply for err (after the unilateral updates the
// command may carry, RFC 9051 section 7) and recovers the stream after a
// rejected command. It returns false when the connection must end.
func (sess *session) finish(err error, c *cmd) bool {
	w := sess.w
	var (
		syntax *imapwire.SyntaxError
		tooBig *imapwire.TooBigError
		ierr   *imap.Error
	)
	switch {
	case err == nil:
	case errors.As(err, &syntax):
		err = &imap.Error{Type: imap.StatusResponseTypeBad, Text: "Syntax error: " + syntax.Msg}
	case errors.Is(err, imapwire.ErrLineTooLong):
		err = &imap.Error{Type: imap.StatusResponseTypeBad, Code: imap.ResponseCodeTooBig, Text: "Command line too long"}
	case errors.As(err, &tooBig):
		// RFC 7888 section 4 / RFC 4469: a literal larger than we take. A
		// synchronizing one was refused before the client sent it.
		err = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeTooBig, Text: "Literal too large"}
	case errors.As(err, &ierr):
	case isNetErr(err):
		return false
	case errors.As(err, new(*brokenError)):
		// A response was cut off mid-literal: the stream cannot be resynchronised.
		sess.srv.log.Error("imap response cut off", "ip", sess.ip, "account", sess.account(), "err", err)
		return false
	default:
		name := ""
		if c != nil {
			name = c.name
		}
		sess.srv.log.Error("imap command failed", "ip", sess.ip, "account", sess.account(), "command", name, "err", err)
		err = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeServerBug, Text: "Internal error, try again later"}
	}
	hangUp := false
	if sess.r.InCommand() {
		if serr := sess.r.SkipCommand(); serr != nil {
			if !errors.Is(serr, imapwire.ErrDiscardTooLong) {
				return false
			}
			// The client announced more data without waiting for us than we
			// will read and drop: we answer, then hang up, since whatever it
			// sends next cannot be told from commands (RFC 7888 section 4).
			hangUp = true
		}
	}
	if c != nil && c.done {
		return true // the handler wrote its own reply (LOGOUT, STARTTLS)
	}
	if sess.sel != nil && sess.state == stateSelected && c != nil && !hangUp {
		allow := c.expunge
		if perr := sess.pollSelected(w, allow, false); perr != nil && isNetErr(perr) {
			return false
		}
	}
	tag := sess.tag
	if tag == "" {
		tag = "*"
	}
	ierr, _ = err.(*imap.Error)
	if ierr == nil {
		w.Raw(tag).Raw(" OK ")
		if c != nil && c.okCode != "" {
			w.Raw("[").Raw(c.okCode).Raw("] ")
		}
		text := "done"
		if c != nil {
			text = c.name + " completed"
			if c.okText != "" {
				text = c.okText
			}
		}
		w.Raw(text).CRLF()
	} else {
		typ := string(ierr.Type)
		if typ == "" {
			typ = "NO"
		}
		w.Raw(tag).SP().Raw(typ).SP()
		if ierr.Code != "" {
			w.Raw("[").Raw(string(ierr.Code)).Raw("] ")
		}
		w.Raw(sanitizeText(ierr.Text)).CRLF()
	}
	if hangUp {
		sess.writeBye("Too much literal data in a rejected command")
		return false
	}
	return w.Err() == nil
}

// sanitizeText keeps resp-text to TEXT-CHAR (RFC 9051 section 9).
func sanitizeText(s string) string {
	if s == "" {
		return "failed"
	}
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == 0 {
			return ' '
		}
		return r
	}, s)
}

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded)
}

// bye ends the connection from another goroutine with an untagged BYE (RFC 9051
// section 7.1.5): shutdown, or the account's password changed. It waits a little
// for the command being answered, then closes regardless.
func (sess *session) bye(text string) {
	if !sess.closing.CompareAndSwap(false, true) {
		return
	}
	select {
	case sess.wlock <- struct{}{}:
		sess.writeBye(text)
		sess.unlockWriter()
	case <-time.After(2 * time.Second):
	}
	sess.netConn.Close()
}

func (sess *session) writeBye(text string) {
	sess.w.Raw("* BYE ").Raw(text).CRLF()
	sess.w.Flush()
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

func (sess *session) logout() {
	if sess.endWatch != nil {
		sess.endWatch()
		sess.endWatch = nil
	}
	if n := sess.stopNotify(); n != nil {
		<-n.done // it may be writing: it uses sel, hub and acct
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

// brokenError is a failure after part of a response was written (a literal cut
// short): the connection must end.
type brokenError struct{ err error }

func (e *brokenError) Error() string { return e.err.Error() }
func (e *brokenError) Unwrap() error { return e.err }

func connBroken(err error) error { return &brokenError{err} }

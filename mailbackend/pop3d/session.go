package pop3d

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// Limits on what a client may send.
const (
	// RFC 2449 section 4: "the maximum length of a command line ... 255 octets,
	// including the terminating CRLF". Longer commands get -ERR and the session goes on.
	maxCommandLine = 255
	// The read buffer: AUTH lines may exceed 255 octets (RFC 5034 section 4), and a
	// PLAIN response is far below this. A longer line is skipped with -ERR.
	maxLine = 4096
	// A "line" longer than this is no client at all: the connection is closed.
	maxSkip = 1 << 20
	// Consecutive -ERR replies before the server gives up on a client.
	maxErrors = 10
	// Time for a login (throttling delays included) or a QUIT's store update.
	storeTimeout = 30 * time.Second
)

// state is the RFC 1939 session state.
type state int

const (
	stateAuthorization state = iota
	stateTransaction
	stateUpdate
)

// message is one message of the maildrop snapshot: its position in the slice plus
// one is its POP3 message number for the whole session.
type message struct {
	uid       uint32
	size      int64
	blobID    string
	deleted   bool
	retrieved bool
}

var (
	errLineTooLong = errors.New("line too long")
	errLineAbsurd  = errors.New("line far too long")
)

// session is one POP3 connection.
type session struct {
	srv    *Server
	conn   net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	tls    bool
	remote net.Addr
	ip     string

	state    state
	userArg  string // name given by USER, waiting for PASS
	user     string // logged-in address
	acct     *store.Account
	locked   bool // holds acct's maildrop lock
	mailbox  *store.Mailbox
	msgs     []message
	errCount int
	quit     bool
	reason   string // why the session ended, for the log

	retrieved, deleted int
	endWatch           func() // stops watching the login's credentials
}

func newSession(srv *Server, c net.Conn) *session {
	s := &session{srv: srv, remote: c.RemoteAddr(), reason: "client disconnected"}
	s.ip = auth.IPOf(s.remote)
	s.setConn(c, false)
	return s
}

// setConn (re)binds the session to a connection: at start, and after a TLS handshake,
// when anything the client sent in plaintext and is still buffered is dropped
// (RFC 2595 section 4, and the STARTTLS command injection class of bugs).
func (s *session) setConn(c net.Conn, isTLS bool) {
	s.conn = c
	s.tls = isTLS
	s.br = bufio.NewReaderSize(c, maxLine)
	s.bw = bufio.NewWriterSize(deadlineWriter{c, s.srv.cfg.IdleTimeout}, 16*1024)
}

// deadlineWriter gives every write the idle timeout, so a client that stops reading
// a long RETR is dropped but a slow one that keeps reading is not.
type deadlineWriter struct {
	c       net.Conn
	timeout time.Duration
}

func (w deadlineWriter) Write(p []byte) (int, error) {
	w.c.SetWriteDeadline(time.Now().Add(w.timeout))
	return w.c.Write(p)
}

// run greets the client and serves commands until QUIT, an error or a timeout.
func (s *session) run() {
	s.reply("+OK %s yubin POP3 server ready", s.srv.cfg.Hostname)
	for !s.quit {
		line, err := s.readLine()
		var ne net.Error
		switch {
		case err == nil:
			s.dispatch(line)
		case errors.Is(err, errLineTooLong):
			s.fail("line too long (limit %d octets)", maxCommandLine)
		case errors.Is(err, errLineAbsurd):
			s.reply("-ERR line too long; closing connection")
			s.reason, s.quit = "line too long", true
		case errors.As(err, &ne) && ne.Timeout():
			// RFC 1939 section 3: an autologout does not enter UPDATE.
			s.reply("-ERR autologout: idle for too long")
			s.reason, s.quit = "idle timeout", true
		default:
			s.quit = true // the client went away: nothing to say
		}
		if !s.quit && s.errCount >= maxErrors {
			s.reply("-ERR too many errors; closing connection")
			s.reason, s.quit = "too many errors", true
		}
	}
	s.bw.Flush()
}

// readLine reads one command line without its line ending (CRLF or a bare LF).
// Replies are flushed first unless more pipelined commands are already buffered
// (RFC 2449 section 6.6: PIPELINING).
func (s *session) readLine() (string, error) {
	if s.br.Buffered() == 0 {
		if err := s.bw.Flush(); err != nil {
			return "", err
		}
	}
	s.conn.SetReadDeadline(time.Now().Add(s.srv.cfg.IdleTimeout))
	line, err := s.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", s.skipLine()
	}
	if err != nil {
		return "", err // an unterminated last line is no command
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return string(line), nil
}

// skipLine discards the rest of an overlong line, so the session can go on with the
// next command, unless it goes on beyond maxSkip.
func (s *session) skipLine() error {
	for n := maxLine; n < maxSkip; {
		chunk, err := s.br.ReadSlice('\n')
		n += len(chunk)
		switch {
		case err == nil:
			return errLineTooLong
		case !errors.Is(err, bufio.ErrBufferFull):
			return err
		}
	}
	return errLineAbsurd
}

// command is one entry of the command table.
type command struct {
	states []state
	run    func(s *session, arg string)
}

// commands is every command the server knows, with the states it is valid in.
var commands map[string]command

func init() {
	auth := []state{stateAuthorization}
	trans := []state{stateTransaction}
	both := []state{stateAuthorization, stateTransaction}
	commands = map[string]command{
		"CAPA": {both, (*session).cmdCapa},
		"QUIT": {both, (*session).cmdQuit},
		"STLS": {auth, (*session).cmdStls},
		"USER": {auth, (*session).cmdUser},
		"PASS": {auth, (*session).cmdPass},
		"AUTH": {auth, (*session).cmdAuth},
		"STAT": {trans, (*session).cmdStat},
		"LIST": {trans, (*session).cmdList},
		"RETR": {trans, (*session).cmdRetr},
		"DELE": {trans, (*session).cmdDele},
		"NOOP": {trans, (*session).cmdNoop},
		"RSET": {trans, (*session).cmdRset},
		"TOP":  {trans, (*session).cmdTop},
		"UIDL": {trans, (*session).cmdUidl},
	}
}

// dispatch runs one command line. Keywords are case-insensitive (RFC 1939 section 3).
func (s *session) dispatch(line string) {
	name, arg, _ := strings.Cut(line, " ")
	name = strings.ToUpper(name)
	if len(line)+2 > maxCommandLine && name != "AUTH" {
		s.fail("command line too long (limit %d octets)", maxCommandLine)
		return
	}
	cmd, ok := commands[name]
	if !ok {
		if name == "" {
			s.fail("empty command")
		} else {
			s.fail("unknown command")
		}
		return
	}
	for _, st := range cmd.states {
		if st == s.state {
			cmd.run(s, arg)
			return
		}
	}
	if s.state == stateAuthorization {
		s.fail("%s is not valid before login", name)
	} else {
		s.fail("%s is not valid after login", name)
	}
}

// reply writes one response line.
func (s *session) reply(format string, args ...any) {
	fmt.Fprintf(s.bw, format, args...)
	s.bw.WriteString("\r\n")
}

// ok writes a +OK line and resets the error count.
func (s *session) ok(format string, args ...any) {
	s.errCount = 0
	s.reply("+OK "+format, args...)
}

// fail writes a -ERR line and counts it towards maxErrors.
func (s *session) fail(format string, args ...any) {
	s.errCount++
	s.reply("-ERR "+format, args...)
}

// failCode writes a -ERR line with an RFC 2449 section 8 / RFC 3206 response code.
func (s *session) failCode(code, format string, args ...any) {
	s.fail("["+code+"] "+format, args...)
}

// context bounds one store or auth call.
func (s *session) context() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), storeTimeout)
}

// startTLS upgrades the connection after STLS's +OK (RFC 2595 section 4).
func (s *session) startTLS() error {
	if err := s.bw.Flush(); err != nil {
		return err
	}
	tc := tls.Server(s.conn, s.srv.cfg.TLS)
	s.conn.SetDeadline(time.Now().Add(s.srv.cfg.IdleTimeout))
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("STLS handshake: %w", err)
	}
	s.conn.SetDeadline(time.Time{})
	s.setConn(tc, true)
	return nil
}

// unlock releases the maildrop lock, once.
func (s *session) unlock() {
	if s.locked {
		s.srv.unlock(s.acct.ID)
		s.locked = false
	}
}

// end releases the maildrop lock, closes the connection and logs the session.
func (s *session) end() {
	if s.endWatch != nil {
		s.endWatch()
	}
	s.unlock()
	s.conn.Close()
	if s.user != "" {
		s.srv.log.Info("POP3 session end", "ip", s.ip, "user", s.user,
			"retrieved", s.retrieved, "deleted", s.deleted, "reason", s.reason)
	} else {
		s.srv.log.Debug("POP3 session end without login", "ip", s.ip, "reason", s.reason)
	}
}

// watchCredentials closes the connection when the account's password changes or the
// account is deleted (`yubin user passwd|del`, possibly from another process). The
// session ends without entering UPDATE, so nothing marked for deletion is removed
// (RFC 1939 section 6).
func (s *session) watchCredentials(acct *store.Account) {
	revoked, stop := s.srv.auth.WatchCredentials(acct)
	done := make(chan struct{})
	s.endWatch = func() {
		stop()
		close(done)
	}
	conn := s.conn
	go func() {
		select {
		case <-revoked:
			s.srv.log.Info("POP3 session ended: credentials changed", "ip", s.ip, "user", acct.Address)
			conn.Close()
		case <-done:
		}
	}()
}

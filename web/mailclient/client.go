package mailclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// ErrAuth means the IMAP server refused the credentials.
var ErrAuth = errors.New("wrong address or password")

// ErrUnavailable means the mail server could not be reached.
var ErrUnavailable = errors.New("mail server unavailable")

// ErrThrottled means the IMAP server refused the login for now, not the credentials:
// NO [UNAVAILABLE] (RFC 5530 section 3), which servers (ours among them) answer while
// too many failed logins are being throttled. It is an ErrUnavailable, never an
// ErrAuth: the webmail reaches the server from one address, so a lockout caused by
// someone else's failures must neither count against this user nor end sessions.
var ErrThrottled = fmt.Errorf("%w: login refused for now", ErrUnavailable)

// ErrBusy is an ErrThrottled whose text says the server is busy (a login flood spent
// its password-hashing budget): "try again in a moment" rather than "later". RFC
// 5530 has one code for both, so the text is the only hint; yubin's says "busy".
var ErrBusy = fmt.Errorf("%w: server busy", ErrThrottled)

// Options say where the mail servers are and who logs in.
// Server is where the webmail reaches mail: the IMAP server and the submission
// server. The webmail's configuration names it once; Options adds a user to it.
type Server struct {
	IMAPAddr           string // host:port; implicit TLS when the port is 993, else STARTTLS when offered
	SMTPAddr           string // host:port; implicit TLS when the port is 465, else STARTTLS when offered
	InsecureSkipVerify bool   // accept a self-signed certificate (the bundled server's)
}

// Options returns what Dial and Watch need to act as one user on srv.
func (srv Server) Options(username, password string, log *slog.Logger) Options {
	return Options{IMAPAddr: srv.IMAPAddr, SMTPAddr: srv.SMTPAddr, InsecureSkipVerify: srv.InsecureSkipVerify,
		Username: username, Password: password, Log: log}
}

type Options struct {
	IMAPAddr           string // host:port; implicit TLS when the port is 993, else STARTTLS when offered
	SMTPAddr           string // host:port; implicit TLS when the port is 465, else STARTTLS when offered
	InsecureSkipVerify bool   // accept a self-signed certificate (the bundled server's)
	Username           string
	Password           string
	Log                *slog.Logger
	// DialTimeout bounds connecting and logging in; 0 means 15 s.
	DialTimeout time.Duration
}

// Client is one web session's mail connection. All IMAP work goes through DoIMAP,
// which serialises requests and reconnects; it is safe for concurrent use.
type Client struct {
	opts Options
	log  *slog.Logger

	mu          sync.Mutex // held for the whole of one DoIMAP: requests never interleave
	c           *imapclient.Client
	selected    string // mailbox selected on c, "" if none
	uidValidity uint32 // of the selected mailbox
	lastUsed    time.Time
	closed      bool

	cache      rawCache    // recently fetched messages, guarded by mu
	folders    []Folder    // last folder list, guarded by mu
	memo       *listMemo   // rows of the last listed mailbox (listcache.go), guarded by mu
	threadMemo *threadMemo // the last threading of a mailbox (threadmemo.go), guarded by mu
	threadings int         // full threadings done for the memo, guarded by mu (tests count them)

	// noExtensions makes the client ignore SORT, THREAD and CONDSTORE, as with a
	// server without them (tests of the fallbacks against our own server).
	noExtensions bool
}

// Dial connects and logs in; a wrong password gives ErrAuth. The returned Client keeps
// the connection open until Close.
func Dial(ctx context.Context, opts Options) (*Client, error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	cl := &Client{opts: opts, log: opts.Log, lastUsed: time.Now()}
	c, err := cl.connect(ctx)
	if err != nil {
		return nil, err
	}
	cl.c = c
	return cl, nil
}

func (cl *Client) tlsConfig(addr string) *tls.Config {
	host, _, _ := net.SplitHostPort(addr)
	return &tls.Config{ServerName: host, InsecureSkipVerify: cl.opts.InsecureSkipVerify, MinVersion: tls.VersionTLS12}
}

// wordDecoder refuses every charset it does not know natively, so imapclient leaves
// such strings (BODYSTRUCTURE descriptions and parameters) raw, encoded words intact,
// rather than guessing with a decoder of its own. What people read is decoded from
// raw header fields by internal/mailformat (see listHeader).
var wordDecoder = &mime.WordDecoder{CharsetReader: func(charset string, _ io.Reader) (io.Reader, error) {
	return nil, fmt.Errorf("charset %q left for later", charset)
}}

// startTLSOffered remembers, per IMAP address, whether the server offers STARTTLS.
var startTLSOffered sync.Map

// connect dials and logs in. Port 993 is implicit TLS (RFC 8314); anything else tries
// STARTTLS (RFC 9051 section 6.2.1) and falls back to plaintext only when the server
// does not offer it.
func (cl *Client) connect(ctx context.Context) (*imapclient.Client, error) {
	return cl.connectWith(ctx, nil)
}

func defaultLog() *slog.Logger { return slog.Default() }

// connectWith is connect with a handler for unilateral server data (a Watcher's).
func (cl *Client) connectWith(ctx context.Context, h *imapclient.UnilateralDataHandler) (*imapclient.Client, error) {
	timeout := cl.opts.DialTimeout
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	o := &imapclient.Options{
		TLSConfig:             cl.tlsConfig(cl.opts.IMAPAddr),
		WordDecoder:           wordDecoder,
		Dialer:                &net.Dialer{Timeout: timeout},
		UnilateralDataHandler: h,
	}
	var c *imapclient.Client
	var err error
	_, port, _ := net.SplitHostPort(cl.opts.IMAPAddr)
	if port == "993" {
		c, err = imapclient.DialTLS(cl.opts.IMAPAddr, o)
	} else if v, ok := startTLSOffered.Load(cl.opts.IMAPAddr); ok && v.(bool) {
		c, err = imapclient.DialStartTLS(cl.opts.IMAPAddr, o)
	} else {
		// First contact with this server: look at its capabilities once, and
		// remember, so a reconnect costs one connection, not two.
		c, err = imapclient.DialInsecure(cl.opts.IMAPAddr, o)
		if err == nil {
			if err = c.WaitGreeting(); err == nil {
				offered := c.Caps().Has(imap.CapStartTLS)
				startTLSOffered.Store(cl.opts.IMAPAddr, offered)
				if offered {
					c.Close()
					c, err = imapclient.DialStartTLS(cl.opts.IMAPAddr, o)
				}
			}
		}
	}
	if err != nil {
		if c != nil {
			c.Close()
		}
		return nil, fmt.Errorf("%w: imap %s: %v", ErrUnavailable, cl.opts.IMAPAddr, err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Login(cl.opts.Username, cl.opts.Password).Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		c.Close()
		return nil, fmt.Errorf("imap login: %w", ctx.Err())
	case <-time.After(timeout):
		c.Close()
		return nil, fmt.Errorf("%w: imap login timed out", ErrUnavailable)
	}
	if err != nil {
		c.Close()
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo {
			if ie.Code == imap.ResponseCodeUnavailable {
				if strings.Contains(strings.ToLower(ie.Text), "busy") {
					return nil, fmt.Errorf("%w: %s", ErrBusy, ie.Text)
				}
				if strings.Contains(strings.ToLower(ie.Text), "temporarily unavailable") {
					// yubin's answer when its account directory (LDAP) is down:
					// the password was not checked, nobody is being throttled.
					return nil, fmt.Errorf("%w: %s", ErrUnavailable, ie.Text)
				}
				return nil, fmt.Errorf("%w: %s", ErrThrottled, ie.Text)
			}
			return nil, ErrAuth
		}
		return nil, fmt.Errorf("%w: imap login: %v", ErrUnavailable, err)
	}
	return c, nil
}

// alive reports whether the connection is still open.
func alive(c *imapclient.Client) bool {
	if c == nil {
		return false
	}
	select {
	case <-c.Closed():
		return false
	default:
		return true
	}
}

// isConnErr tells a dead connection from a server's NO/BAD answer.
func isConnErr(c *imapclient.Client, err error) bool {
	var ie *imap.Error
	if errors.As(err, &ie) {
		return ie.Type == imap.StatusResponseTypeBye
	}
	return !alive(c) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) || isNetErr(err)
}

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne)
}

// DoIMAP runs fn with the session's connection, holding the session lock so requests of
// one user never interleave. A dead connection is replaced before fn runs; if fn fails
// because the connection dropped under it, fn runs once more on a fresh connection.
// fn must leave the connection in a usable state; it may change the selected mailbox
// only through Select.
func (cl *Client) DoIMAP(ctx context.Context, fn func(*Session) error) error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.closed {
		return fmt.Errorf("%w: session closed", ErrUnavailable)
	}
	cl.lastUsed = time.Now()
	for attempt := 0; ; attempt++ {
		if !alive(cl.c) {
			if cl.c != nil {
				cl.log.Info("imap connection dropped; reconnecting", "user", cl.opts.Username)
				cl.c.Close()
			}
			cl.c, cl.selected = nil, ""
			c, err := cl.connect(ctx)
			if err != nil {
				return err
			}
			cl.c = c
		}
		s := &Session{cl: cl, C: cl.c}
		err := fn(s)
		if err == nil || attempt > 0 || !isConnErr(cl.c, err) {
			return err
		}
		cl.c.Close()
	}
}

// Session is what DoIMAP hands to its function: the raw client plus helpers that keep
// the Client's idea of the selected mailbox right.
type Session struct {
	cl *Client
	C  *imapclient.Client
}

// Select makes name the selected mailbox and returns its message count. If it is
// already selected a NOOP picks up new EXISTS/EXPUNGE (RFC 9051 section 6.1.2) instead
// of a full SELECT, which on a large mailbox costs the server much more.
func (s *Session) Select(name string) (uint32, error) {
	if s.cl.selected == name {
		if err := s.C.Noop().Wait(); err != nil {
			s.cl.selected = ""
			return 0, fmt.Errorf("noop: %w", err)
		}
		if mb := s.C.Mailbox(); mb != nil && mb.Name == name {
			return mb.NumMessages, nil
		}
	}
	s.cl.selected = ""
	data, err := s.C.Select(name, nil).Wait()
	if err != nil {
		return 0, fmt.Errorf("select %s: %w", name, err)
	}
	s.cl.selected = name
	s.cl.uidValidity = data.UIDValidity
	return data.NumMessages, nil
}

// LastUsed is when the session last did IMAP work.
func (cl *Client) LastUsed() time.Time {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.lastUsed
}

// Username is the address the session logged in as.
func (cl *Client) Username() string { return cl.opts.Username }

// Close logs out and closes the connection; later calls fail with ErrUnavailable.
func (cl *Client) Close() error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.closed = true
	cl.cache = rawCache{}
	if cl.c == nil {
		return nil
	}
	c := cl.c
	cl.c = nil
	if alive(c) {
		done := make(chan struct{})
		go func() { c.Logout().Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
	}
	return c.Close()
}

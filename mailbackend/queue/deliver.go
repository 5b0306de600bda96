package queue

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

const (
	dialTimeout    = 30 * time.Second
	commandTimeout = 5 * time.Minute  // RFC 5321 section 4.5.3.2: 5 minutes per command
	dataTimeout    = 10 * time.Minute // RFC 5321 section 4.5.3.2.6: 10 minutes after "."
	maxAddrsPerTry = 10               // addresses tried per attempt (Postfix tries 5)
)

// rcptResult is what one attempt did for one recipient.
type rcptResult struct {
	Rcpt   string
	OK     bool
	Perm   bool   // permanent failure: bounce
	Status string // RFC 3463 enhanced status, e.g. "5.1.1"
	Diag   string // the remote reply or our own explanation, one line
	Remote string // remote MTA host name, "" if none answered
}

// hostError is a failure to use one host at all (connection, greeting, EHLO, TLS,
// AUTH): the next host may do better.
type hostError struct {
	host   string
	status string
	diag   string
	perm   bool
	tlsErr bool // the TLS handshake after STARTTLS failed (logged as a refused downgrade)
}

func (e *hostError) Error() string { return e.host + ": " + e.diag }

// target is one server to connect to.
type target struct {
	name      string // host name: TLS ServerName, Remote-MTA, logs
	addr      string // ip:port or host:port to dial
	smarthost bool
	// requireTLS: the domain's MTA-STS policy is enforced, so STARTTLS with a
	// certificate valid for name is required (RFC 8461 section 5).
	requireTLS bool
}

// session parameters for one message to one server.
type sendJob struct {
	from   string
	rcpts  []string
	blobID string
	size   int64
}

// greetedConn replays a synthetic greeting before the real stream. go-smtp's client
// always reads a 220 greeting first and has no exported STARTTLS taking our EHLO
// name, so the pre-TLS dialogue is ours and the client starts on the TLS stream.
type greetedConn struct {
	net.Conn
	pre []byte
}

func (c *greetedConn) Read(p []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(p, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// smtpErrorResult classifies a reply error: 5xx is permanent, anything else
// (4xx, network) temporary.
func replyResult(rcpt, remote string, err error) rcptResult {
	r := rcptResult{Rcpt: rcpt, Remote: remote, Diag: oneLine(err.Error()), Status: "4.4.2"}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		r.Diag = fmt.Sprintf("%d %s", se.Code, oneLine(se.Message))
		if se.EnhancedCode != (smtp.EnhancedCode{}) && se.EnhancedCode != smtp.NoEnhancedCode {
			r.Diag = fmt.Sprintf("%d %d.%d.%d %s", se.Code, se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2], oneLine(se.Message))
			r.Status = fmt.Sprintf("%d.%d.%d", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
		}
		switch {
		case se.Code >= 500 && se.Code < 600:
			r.Perm = true
			if !strings.HasPrefix(r.Status, "5.") {
				r.Status = "5.0.0"
			}
		case !strings.HasPrefix(r.Status, "4."):
			r.Status = "4.0.0"
		}
	}
	return r
}

// tlsConfig returns the client TLS configuration for a server. For MX hosts TLS is
// opportunistic (RFC 7435, RFC 3207 section 4.1): we verify the certificate and log
// the outcome, but an unverifiable certificate does not stop delivery, since the
// alternative is plaintext. A smarthost gets the password, so its certificate must
// verify unless it is on loopback.
func (q *Queue) tlsConfig(t target, verified *bool) *tls.Config {
	name := t.name
	strict := t.smarthost && !isLoopbackHost(name) || t.requireTLS
	cfg := &tls.Config{ServerName: name, RootCAs: q.cfg.RootCAs, MinVersion: tls.VersionTLS12}
	if strict {
		*verified = true // the handshake fails otherwise
		return cfg
	}
	cfg.InsecureSkipVerify = true
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return nil
		}
		opts := x509.VerifyOptions{Roots: q.cfg.RootCAs, DNSName: name, Intermediates: x509.NewCertPool()}
		for _, c := range cs.PeerCertificates[1:] {
			opts.Intermediates.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(opts)
		*verified = err == nil
		return nil
	}
	return cfg
}

// sendTo runs one SMTP session with one server. A *hostError means the server could
// not be used; otherwise every recipient has a result.
func (q *Queue) sendTo(ctx context.Context, t target, job sendJob, tlsInfo *string) ([]rcptResult, error) {
	herr := func(status, diag string, perm bool) *hostError {
		return &hostError{host: t.name, status: status, diag: oneLine(diag), perm: perm}
	}
	d := net.Dialer{Timeout: dialTimeout}
	conn, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, herr("4.4.1", "connect to "+t.addr+": "+err.Error(), false)
	}
	defer conn.Close()
	// Cancelling ctx (shutdown) must not leave a session hanging on a slow peer.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	var verified bool
	tlsOn := false
	var c *smtp.Client
	_, port, _ := net.SplitHostPort(t.addr)
	if t.smarthost && port == "465" {
		// RFC 8314: implicit TLS on the submissions port.
		tc := tls.Client(conn, q.tlsConfig(t, &verified))
		conn.SetDeadline(time.Now().Add(commandTimeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, herr("4.7.0", "TLS with "+t.addr+": "+err.Error(), false)
		}
		conn.SetDeadline(time.Time{})
		tlsOn = true
		c = smtp.NewClient(tc)
	} else {
		exts, br, err := q.preamble(conn)
		if err != nil {
			var he *hostError
			if errors.As(err, &he) {
				he.host = t.name
				return nil, he
			}
			return nil, herr("4.4.2", err.Error(), false)
		}
		_, offersTLS := exts["STARTTLS"]
		switch {
		case offersTLS:
			if err := startTLS(conn, br); err != nil {
				return nil, herr("4.7.0", err.Error(), false)
			}
			tc := tls.Client(conn, q.tlsConfig(t, &verified))
			conn.SetDeadline(time.Now().Add(commandTimeout))
			if err := tc.HandshakeContext(ctx); err != nil {
				// RFC 3463 4.7.0: temporary; the message waits rather than going
				// out in the clear (see attempt).
				he := herr("4.7.0", "TLS handshake with "+t.addr+" failed after STARTTLS was advertised; not sending in plaintext: "+err.Error(), false)
				he.tlsErr = true
				return nil, he
			}
			conn.SetDeadline(time.Time{})
			tlsOn = true
			c = smtp.NewClient(&greetedConn{Conn: tc, pre: []byte("220 resumed\r\n")})
		case t.requireTLS:
			// RFC 8461 section 5: an enforced policy allows no plaintext.
			return nil, herr("4.7.5", t.addr+" offers no STARTTLS, and the domain's MTA-STS policy requires TLS", false)
		default:
			if br.Buffered() > 0 {
				return nil, herr("4.5.0", "unexpected data from server after EHLO", false)
			}
			// A second EHLO is allowed and resets the session (RFC 5321 section 4.1.4).
			c = smtp.NewClient(&greetedConn{Conn: conn, pre: []byte("220 resumed\r\n")})
		}
	}
	defer c.Close()
	c.CommandTimeout = commandTimeout
	c.SubmissionTimeout = dataTimeout
	if tlsOn {
		*tlsInfo = "unverified"
		if verified {
			*tlsInfo = "verified"
		}
	} else {
		*tlsInfo = "none"
	}
	if err := c.Hello(q.cfg.Hostname); err != nil {
		r := replyResult("", t.name, err)
		return nil, herr(r.Status, "EHLO: "+r.Diag, r.Perm)
	}

	if t.smarthost && q.cfg.SmarthostUser != "" {
		// Never send the password where it can be read on the wire (RFC 4954 section
		// 4); a loopback relay is the one exception, for tests and local relays.
		if !tlsOn && !plaintextAuthOK(t.name) {
			return nil, herr("4.7.0", "smarthost "+t.addr+" offers no TLS; refusing to send the password in plaintext", false)
		}
		if !c.SupportsAuth("PLAIN") {
			return nil, herr("4.7.0", "smarthost "+t.addr+" does not offer AUTH PLAIN", false)
		}
		if err := c.Auth(sasl.NewPlainClient("", q.cfg.SmarthostUser, q.cfg.SmarthostPassword)); err != nil {
			r := replyResult("", t.name, err)
			// A rejected password is our configuration's problem: keep retrying so
			// fixing it delivers the mail, rather than bouncing it.
			return nil, herr("4.7.8", "smarthost AUTH: "+r.Diag, false)
		}
	}

	utf8 := !isASCII(job.from) || !allASCII(job.rcpts)
	if ok, _ := c.Extension("SMTPUTF8"); utf8 && !ok {
		// RFC 6531 section 3.2: a server without SMTPUTF8 cannot take this message.
		return allResults(job.rcpts, rcptResult{Perm: true, Status: "5.6.7", Remote: t.name,
			Diag: "the server does not support SMTPUTF8, needed for an internationalized address"}), nil
	}
	if err := c.Mail(job.from, &smtp.MailOptions{Size: job.size, UTF8: utf8}); err != nil {
		r := replyResult("", t.name, err)
		return allResults(job.rcpts, r), nil
	}
	results := make([]rcptResult, len(job.rcpts))
	var accepted []int
	for i, rcpt := range job.rcpts {
		if err := c.Rcpt(rcpt, nil); err != nil {
			var se *smtp.SMTPError
			if !errors.As(err, &se) {
				// The connection broke: nothing was sent, everything is retried.
				r := replyResult("", t.name, err)
				return allResults(job.rcpts, r), nil
			}
			results[i] = replyResult(rcpt, t.name, err)
			continue
		}
		accepted = append(accepted, i)
	}
	if len(accepted) == 0 {
		_ = c.Quit()
		return results, nil
	}
	dataErr := q.sendData(c, job.blobID)
	for _, i := range accepted {
		if dataErr != nil {
			results[i] = replyResult(job.rcpts[i], t.name, dataErr)
		} else {
			results[i] = rcptResult{Rcpt: job.rcpts[i], OK: true, Status: "2.0.0", Remote: t.name}
		}
	}
	_ = c.Quit()
	return results, nil
}

func (q *Queue) sendData(c *smtp.Client, blobID string) error {
	rc, err := q.st.ReadBlob(blobID)
	if err != nil {
		return fmt.Errorf("read queued message %s: %w", blobID, err)
	}
	defer rc.Close()
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, rc); err != nil {
		// Closing the data writer would send the final "." and deliver a truncated
		// message: drop the connection instead (RFC 5321 section 4.1.1.4).
		c.Close()
		return fmt.Errorf("send message: %w", err)
	}
	return w.Close()
}

// allResults gives every recipient the same outcome.
func allResults(rcpts []string, r rcptResult) []rcptResult {
	out := make([]rcptResult, len(rcpts))
	for i, rcpt := range rcpts {
		out[i] = r
		out[i].Rcpt = rcpt
	}
	return out
}

// preamble reads the greeting and sends EHLO on a plaintext connection, returning the
// server's extensions and the reader (to check it holds nothing unread).
func (q *Queue) preamble(conn net.Conn) (map[string]string, *bufio.Reader, error) {
	conn.SetDeadline(time.Now().Add(commandTimeout))
	defer conn.SetDeadline(time.Time{})
	br := bufio.NewReader(conn)
	tr := textproto.NewReader(br)
	// RFC 5321 section 3.1: a 554 greeting means this server will not take mail.
	if _, msg, err := tr.ReadResponse(220); err != nil {
		return nil, nil, protoHostError("greeting", msg, err)
	}
	if _, err := fmt.Fprintf(conn, "EHLO %s\r\n", q.cfg.Hostname); err != nil {
		return nil, nil, fmt.Errorf("send EHLO: %w", err)
	}
	_, msg, err := tr.ReadResponse(250)
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 && te.Code < 600 {
		// RFC 5321 section 3.2: a server that does not know EHLO gets HELO. The
		// go-smtp client repeats this fallback on its own second hello.
		if _, err := fmt.Fprintf(conn, "HELO %s\r\n", q.cfg.Hostname); err != nil {
			return nil, nil, fmt.Errorf("send HELO: %w", err)
		}
		if _, msg, err := tr.ReadResponse(250); err != nil {
			return nil, nil, protoHostError("HELO", msg, err)
		}
		return map[string]string{}, br, nil
	}
	if err != nil {
		return nil, nil, protoHostError("EHLO", msg, err)
	}
	exts := make(map[string]string)
	lines := strings.Split(msg, "\n")
	for _, line := range lines[1:] {
		k, v, _ := strings.Cut(line, " ")
		exts[strings.ToUpper(k)] = v
	}
	return exts, br, nil
}

func protoHostError(stage, msg string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		return &hostError{status: "4.4.2", diag: oneLine(fmt.Sprintf("%s: %d %s", stage, te.Code, te.Msg)), perm: te.Code >= 500}
	}
	return &hostError{status: "4.4.2", diag: oneLine(stage + ": " + err.Error())}
}

// startTLS sends STARTTLS and waits for 220. Anything the server sent after the 220
// would be plaintext injected into the TLS session (CVE-2011-0411 style), so it is
// an error.
func startTLS(conn net.Conn, br *bufio.Reader) error {
	conn.SetDeadline(time.Now().Add(commandTimeout))
	defer conn.SetDeadline(time.Time{})
	if _, err := io.WriteString(conn, "STARTTLS\r\n"); err != nil {
		return fmt.Errorf("send STARTTLS: %w", err)
	}
	if _, msg, err := textproto.NewReader(br).ReadResponse(220); err != nil {
		return fmt.Errorf("STARTTLS: %s %w", msg, err)
	}
	if br.Buffered() > 0 {
		return errors.New("STARTTLS: server sent data before the TLS handshake")
	}
	return nil
}

// plaintextAuthOK says whether the smarthost password may cross a connection without
// TLS: only to loopback, where nobody can listen in. A variable so a test can check
// the refusal with a loopback peer.
var plaintextAuthOK = isLoopbackHost

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func allASCII(ss []string) bool {
	for _, s := range ss {
		if !isASCII(s) {
			return false
		}
	}
	return true
}

// oneLine makes remote text safe for a log field or a DSN header line.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 400 {
		s = strings.ToValidUTF8(s[:400], "")
	}
	return s
}

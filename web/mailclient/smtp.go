package mailclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SendError is a refusal by the submission server, worded for the user.
type SendError struct {
	Code     int
	Enhanced [3]int // RFC 3463 status code, zero when the server gave none
	Stage    string // "auth", "mail from", "rcpt to", "data"
	Rcpt     string // the recipient refused, at the "rcpt to" stage
	Message  string
}

func (e *SendError) Error() string {
	return fmt.Sprintf("the mail server refused the message: %d %s", e.Code, e.Message)
}

// Send submits raw to the recipients through the submission server, authenticated as
// the session's user (RFC 6409; AUTH PLAIN, RFC 4954). Port 465 is implicit TLS
// (RFC 8314); otherwise STARTTLS is used when offered.
func (cl *Client) Send(ctx context.Context, from string, rcpts []string, raw []byte) error {
	if len(rcpts) == 0 {
		return errors.New("no recipients")
	}
	addr := cl.opts.SMTPAddr
	tlsConf := cl.tlsConfig(addr)
	_, port, _ := net.SplitHostPort(addr)
	var c *smtp.Client
	var err error
	if port == "465" {
		c, err = smtp.DialTLS(addr, tlsConf)
	} else {
		c, err = smtp.DialStartTLS(addr, tlsConf)
		if err != nil && strings.Contains(err.Error(), "doesn't support STARTTLS") {
			c, err = smtp.Dial(addr)
		}
	}
	if err != nil {
		return fmt.Errorf("%w: submission %s: %v", ErrUnavailable, addr, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.CommandTimeout = time.Until(dl)
	}
	if err := c.Auth(sasl.NewPlainClient("", cl.opts.Username, cl.opts.Password)); err != nil {
		return smtpErr("auth", err)
	}
	if err := c.Mail(from, &smtp.MailOptions{Size: int64(len(raw))}); err != nil {
		return smtpErr("mail from", err)
	}
	for _, r := range rcpts {
		if err := c.Rcpt(r, nil); err != nil {
			err = smtpErr("rcpt to "+r, err)
			if se, ok := err.(*SendError); ok {
				se.Stage, se.Rcpt = "rcpt to", r
			}
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return smtpErr("data", err)
	}
	if _, err := bytes.NewReader(raw).WriteTo(w); err != nil {
		w.Close()
		return smtpErr("data", err)
	}
	if err := w.Close(); err != nil {
		return smtpErr("data", err)
	}
	c.Quit()
	cl.log.Info("webmail message submitted", "user", cl.opts.Username, "recipients", len(rcpts), "bytes", len(raw))
	return nil
}

func smtpErr(stage string, err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return &SendError{Code: se.Code, Enhanced: [3]int(se.EnhancedCode), Stage: stage, Message: stage + ": " + se.Message}
	}
	return fmt.Errorf("%w: smtp %s: %v", ErrUnavailable, stage, err)
}

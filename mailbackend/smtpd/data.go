package smtpd

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"strings"
	"time"

	"github.com/yubinmail/yubin/internal/mailformat"
	"github.com/yubinmail/yubin/mailbackend/checks"
	"github.com/yubinmail/yubin/mailbackend/metrics"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// Data receives the message (DATA, or BDAT chunks: go-smtp feeds both here), checks
// it, adds the trace headers and delivers it. It replies 250 only after the store and
// the queue made it durable.
func (s *session) Data(r io.Reader) error {
	raw, err := readStrict(r, s.srv.cfg.MaxMessageBytes)
	if err != nil {
		// Data too large, an aborted BDAT or a broken connection: go-smtp drains
		// what is left of DATA and sends our reply after it (RFC 5321 section 4.2.5
		// allows no reply before the end of data).
		return s.fail("data", err)
	}
	if s.tls == nil && s.conn != nil && s.conn.dotCRSeen.Load() {
		raw.bare = true // <CRLF>.<CR>x, seen on the wire before go-smtp dropped the CR
	}
	if raw.bare {
		s.log.Warn("smtp message refused: bare CR or LF", "from", s.from, "account", s.accountName(), "size", len(raw.data))
		return s.fail("data", errBareNewline)
	}
	if !s.hasFrom || s.rcptCount == 0 {
		return s.fail("data", errTemporary) // go-smtp already checks this; keep the guard
	}

	msg := raw.data
	if s.submission() && s.account != nil {
		if err := s.checkAuthorHeaders(msg); err != nil {
			return s.fail("data", err)
		}
	}
	ctx, cancel := s.ctx()
	defer cancel()
	// A message this account already submitted is answered, not sent again
	// (resubmit.go). Only a message with its own Message-ID is remembered: one the
	// server gives an id below is new by definition.
	sub := s.submissionRecord(msg)
	if sub != nil {
		release, err := s.srv.submitting.acquire(ctx, sub)
		if err != nil {
			return s.fail("data", temporary("wait for the same message: %w", err))
		}
		defer release()
		seen, err := s.srv.store.Submitted(ctx, sub)
		if err != nil {
			return s.fail("data", temporary("%w", err))
		}
		if seen {
			s.log.Info("smtp submission already accepted, not sent again", "from", s.from, "account", s.accountName(),
				"rcpts", s.rcptCount)
			return reply(replyAlreadyAccepted)
		}
	}
	id := randomID(8)
	now := time.Now()
	var extra []byte
	if s.submission() {
		// RFC 6409 section 8.2 and 8.3: a submission server may add a missing
		// Message-ID and Date, which every message needs (RFC 5322 section 3.6).
		extra = missingHeaders(msg, s.srv.cfg.Hostname, now)
	}
	received := s.receivedHeader(id, now)

	junk := false
	if s.role == roleMX {
		var results []byte
		var err error
		msg, results, junk, err = s.verifySender(ctx, msg)
		if err != nil {
			return s.fail("data", err)
		}
		received = append(results, received...)
	} else {
		// A user cannot hand our readers a verdict in our name either (RFC 8601
		// section 5: results claiming our authserv-id are removed wherever they come
		// from).
		msg = checks.StripOwnResults(msg, s.srv.cfg.Hostname)
		// The signature covers the added Message-ID and Date, so sign the message
		// as it will go out, and put the signatures on top of it.
		if len(extra) > 0 {
			msg, extra = assemble(nil, nil, msg, extra), nil
		}
		if sig := s.sign(msg); sig != nil {
			msg = append(sig, msg...)
		}
	}
	if len(s.localRcpts) > 0 {
		// RFC 5321 section 4.4: the delivering server adds Return-Path with the
		// envelope sender; it is the same for every local recipient, so one blob.
		full := assemble(returnPath(s.from), received, msg, extra)
		if err := s.checkDataQuota(int64(len(full))); err != nil {
			return s.fail("data", err)
		}
		rcpts := make([]store.Recipient, 0, len(s.localRcpts))
		for _, r := range s.localRcpts {
			if junk {
				// $Junk (RFC 5788) marks it for mail programs' own filters too.
				r.Mailbox = "Junk"
				r.Flags = append(append([]string(nil), r.Flags...), "$Junk")
			}
			rcpts = append(rcpts, r)
		}
		rcpts, followUp := s.runScripts(ctx, full, rcpts)
		if followUp.rejected > 0 && len(rcpts) == 0 && len(followUp.redirects) == 0 {
			s.log.Info("smtp message rejected by the recipient's sieve script", "id", id, "from", s.from)
			return s.fail("data", sieveRejected(followUp.reason))
		}
		if len(rcpts) > 0 {
			// The remembered submission rides with the last durable step.
			var with *store.Submission
			if len(s.remoteRcpts) == 0 && len(followUp.redirects) == 0 {
				with, sub = sub, nil
			}
			if _, err := s.srv.store.DeliverSubmission(ctx, full, rcpts, with); err != nil {
				return s.fail("data", temporary("deliver %s: %w", id, err))
			}
		}
		if err := s.sendRedirects(ctx, followUp, assemble(nil, received, msg, extra)); err != nil {
			// As for remote recipients below: the client's retry duplicates the
			// stored copies rather than lose the redirected one.
			return s.fail("data", temporary("redirect %s: %w", id, err))
		}
		s.sendVacations(ctx, followUp)
	}
	if len(s.remoteRcpts) > 0 {
		full := assemble(nil, received, msg, extra)
		if err := s.srv.queue.EnqueueSubmission(ctx, s.from, s.remoteRcpts, full, sub); err != nil {
			// The local copies are already stored; the client's retry duplicates
			// them, which beats losing the remote ones.
			return s.fail("data", temporary("enqueue %s: %w", id, err))
		}
		sub = nil
	}
	if sub != nil {
		// No single last step carried it (a Sieve redirect followed the local
		// copies, or a script kept no copy): its own transaction, before the 250.
		// The message is stored either way, so a failure here is only logged.
		if err := s.srv.store.RecordSubmission(ctx, sub); err != nil {
			s.log.Error("smtp submission stored but not remembered", "id", id, "account", s.accountName(), "err", err)
		}
	}
	if s.conn != nil {
		s.conn.update(func(ci *connInfo) { ci.messages++ })
	}
	s.srv.cfg.Metrics.Message(metrics.Received, 1)
	s.log.Info("smtp message accepted", "id", id, "from", s.from, "account", s.accountName(),
		"rcpts", s.rcptCount, "local_accounts", len(s.localRcpts), "remote", len(s.remoteRcpts), "size", len(msg))
	return nil
}

// strictData is a message read in full, with whether a bare CR or LF appeared.
type strictData struct {
	data []byte
	bare bool
}

// readStrict reads the whole message and notes any CR not followed by LF and any LF
// not preceded by CR (RFC 5321 section 2.3.8). It keeps reading after finding one, so
// the reply comes once the data ended and the session stays in step with the client.
//
// go-smtp ends DATA only at <CRLF>.<CRLF>, so the SEC Consult smuggling variants
// (<LF>.<CRLF>, <LF>.<LF>, <CR>.<CR>, <CR>.<CRLF>) stay inside one message, where
// their bare CR or LF gets it refused. One form is hidden from this reader: in
// <CRLF>.<CR>x go-smtp's dot-unstuffing drops the '.' and the CR. On plaintext
// connections connInfo spots it on the wire; under TLS it cannot, and the message
// is accepted with clean CRLF line ends (one message, nothing left to smuggle).
func readStrict(r io.Reader, limit int64) (strictData, error) {
	// Read straight into the growing message buffer (no intermediate chunk), and
	// scan each newly read piece for bare line ends.
	buf := make([]byte, 0, 16<<10)
	prevCR := false
	bare := false
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		if n > 0 {
			if !bare {
				bare, prevCR = scanBare(buf[len(buf):len(buf)+n], prevCR)
			}
			buf = buf[:len(buf)+n]
			if limit > 0 && int64(len(buf)) > limit {
				// BDAT: go-smtp checks the announced chunk sizes; this is the
				// backstop. DATA's reader stops itself at the limit.
				io.Copy(io.Discard, r)
				return strictData{}, errTooBig
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return strictData{}, err
		}
	}
	if prevCR && !bare {
		bare = true // a CR as the very last byte has no LF after it
	}
	return strictData{data: buf, bare: bare}, nil
}

// scanBare checks p for a bare CR or LF; prevCR says whether the byte before p was
// CR, and the second result whether p's last byte is.
func scanBare(p []byte, prevCR bool) (bool, bool) {
	for i := 0; i < len(p); {
		j := bytes.IndexAny(p[i:], "\r\n")
		if j < 0 {
			if prevCR {
				return true, false
			}
			return false, false
		}
		if j > 0 && prevCR {
			return true, false
		}
		i += j
		switch p[i] {
		case '\n':
			if !(prevCR && j == 0) {
				return true, false
			}
			prevCR = false
		case '\r':
			if prevCR && j == 0 {
				return true, false // CR CR
			}
			prevCR = true
		}
		i++
	}
	return false, prevCR
}

// receivedHeader builds the trace field of RFC 5321 section 4.4, with the protocol
// type of RFC 3848 (ESMTP, ESMTPS with TLS, ESMTPA / ESMTPSA when authenticated),
// the TLS version and cipher in a comment, and the authenticated user on submission.
func (s *session) receivedHeader(id string, now time.Time) []byte {
	proto := "ESMTP"
	if s.tls != nil {
		proto += "S"
	}
	if s.account != nil {
		proto += "A"
	}
	var b strings.Builder
	// RFC 5321 section 4.1.3: an IPv6 address literal is tagged "IPv6:".
	ipLiteral := s.ip
	if strings.Contains(ipLiteral, ":") {
		ipLiteral = "IPv6:" + ipLiteral
	}
	fmt.Fprintf(&b, "Received: from %s ([%s])", sanitizeTrace(s.smtp.Hostname()), ipLiteral)
	if s.account != nil {
		fmt.Fprintf(&b, "\r\n\t(authenticated user %s)", sanitizeTrace(s.account.Address))
	}
	fmt.Fprintf(&b, "\r\n\tby %s (yubin) with %s", sanitizeTrace(s.srv.cfg.Hostname), proto)
	if s.tls != nil {
		fmt.Fprintf(&b, "\r\n\t(%s %s)", tls.VersionName(s.tls.Version), tls.CipherSuiteName(s.tls.CipherSuite))
	}
	fmt.Fprintf(&b, " id %s", id)
	if s.rcptCount == 1 {
		fmt.Fprintf(&b, "\r\n\tfor <%s>", sanitizeTrace(s.firstRcpt))
	}
	fmt.Fprintf(&b, ";\r\n\t%s\r\n", now.Format(time.RFC1123Z))
	return []byte(b.String())
}

// sanitizeTrace keeps a client-supplied name from breaking the header: no control
// characters, no comment or angle delimiters, and at most 255 octets (the longest
// domain name), so a 2,000-octet HELO cannot push a Received line past RFC 5322
// section 2.1.1's 998 octets.
func sanitizeTrace(v string) string {
	if v == "" {
		return "unknown"
	}
	if len(v) > 255 {
		v = strings.ToValidUTF8(v[:255], "")
	}
	return strings.Map(func(r rune) rune {
		if r < 0x21 || r == 0x7f || strings.ContainsRune("()<>;\\\"", r) {
			return '_'
		}
		return r
	}, v)
}

func returnPath(from string) []byte {
	if from == "" {
		return []byte("Return-Path: <>\r\n")
	}
	return []byte("Return-Path: <" + sanitizeTrace(from) + ">\r\n")
}

// missingHeaders returns a Message-ID and a Date field for those the header lacks.
func missingHeaders(msg []byte, hostname string, now time.Time) []byte {
	hasID, hasDate := false, false
	mailformat.EachHeaderField(msg, func(name, _ string) {
		switch name {
		case "message-id":
			hasID = true
		case "date":
			hasDate = true
		}
	})
	var b []byte
	if !hasDate {
		b = append(b, "Date: "+now.Format(time.RFC1123Z)+"\r\n"...)
	}
	if !hasID {
		b = append(b, "Message-ID: <"+randomID(16)+"@"+sanitizeTrace(hostname)+">\r\n"...)
	}
	return b
}

// assemble puts the prepended trace fields, the message's header, the appended
// fields and the body together.
func assemble(returnPath, received, msg, extra []byte) []byte {
	out := make([]byte, 0, len(returnPath)+len(received)+len(msg)+len(extra)+2)
	out = append(out, returnPath...)
	out = append(out, received...)
	if len(extra) == 0 {
		return append(out, msg...)
	}
	end := mailformat.HeaderEnd(msg)
	out = append(out, msg[:end]...)
	if end > 0 && !bytes.HasSuffix(msg[:end], []byte("\r\n")) {
		out = append(out, "\r\n"...)
	}
	out = append(out, extra...)
	if end == len(msg) && end > 0 && !bytes.HasSuffix(msg, []byte("\r\n")) {
		return out
	}
	return append(out, msg[end:]...)
}

// randomID returns n random bytes in hex: a queue id for logs and Received, or the
// unique part of a Message-ID.
func randomID(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails on Linux (crypto/rand)
	return hex.EncodeToString(b)
}

// authorFields are the header fields that name who wrote or sent a message (RFC 5322
// sections 3.6.2 and 3.6.6). Recipients' mail programs show any of them as the
// author, so on submission each must name the authenticated user, as MAIL FROM must.
var authorFields = map[string]*replyError{
	"from":          errHeaderFromNotOwned,
	"sender":        errHeaderSenderNotOwned,
	"resent-from":   errHeaderResentFromNotOwned,
	"resent-sender": errHeaderResentSenderNotOwned,
}

// checkAuthorHeaders refuses a submitted message whose From, Sender, Resent-From or
// Resent-Sender header names an address the authenticated user may not send as:
// recipients see the header, not the envelope, so an office member could otherwise
// write as the boss. Every such field and every address in it counts; a field that
// cannot be parsed is refused too, since mail programs display such headers
// leniently. A display name that spells another address ("bob@example.test"
// <alice@example.test>) is refused as well: many mail programs show only the name.
// A message without these fields passes (it names nobody).
func (s *session) checkAuthorHeaders(msg []byte) error {
	// Only the addresses matter: display names in any charset (ISO-2022-JP is the
	// usual one here) are left undecoded rather than failing the parse; UTF-8 and
	// ASCII encoded-words are decoded, so an address hidden in one is still seen.
	parser := mail.AddressParser{WordDecoder: &mime.WordDecoder{
		CharsetReader: func(_ string, r io.Reader) (io.Reader, error) { return r, nil },
	}}
	var refused error
	mailformat.EachHeaderField(msg, func(name, value string) {
		notOwned, ok := authorFields[name]
		if !ok || refused != nil {
			return
		}
		addrs, err := parser.ParseList(value)
		if err != nil || len(addrs) == 0 {
			s.log.Warn("smtp message refused: unreadable author header", "account", s.account.Address, "field", name, "value", value)
			refused = notOwned
			return
		}
		for _, a := range addrs {
			if !s.owns(a.Address) {
				s.log.Warn("smtp message refused: author header not the user's", "account", s.account.Address, "field", name, "address", a.Address)
				refused = notOwned
				return
			}
			if other := s.foreignAddressIn(a.Name); other != "" {
				s.log.Warn("smtp message refused: display name spells another address", "account", s.account.Address, "field", name, "name", other)
				refused = errDisplayNameAddress
				return
			}
		}
	})
	return refused
}

// foreignAddressIn returns the first address-like word of a display name that is
// not one of the user's addresses, or "" when there is none. A word is address-like
// when it has text on both sides of an "@"; punctuation around it (quotes,
// brackets, parentheses, commas) is not part of it.
func (s *session) foreignAddressIn(name string) string {
	words := strings.FieldsFunc(name, func(r rune) bool {
		return r == ' ' || r == '\t' || strings.ContainsRune(`"'<>()[],;:`, r)
	})
	for _, w := range words {
		local, domain, ok := strings.Cut(w, "@")
		if ok && local != "" && domain != "" && !s.owns(w) {
			return w
		}
	}
	return ""
}

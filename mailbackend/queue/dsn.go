package queue

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/yubinmail/yubin/internal/mailformat"
	"github.com/yubinmail/yubin/mailbackend/checks"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// maxReturnedHeaders caps the original header block copied into a DSN.
const maxReturnedHeaders = 64 << 10

// originalHeaders returns the header block of a queued message with CRLF line ends,
// or nil if the blob cannot be read (the DSN is still sent, without it). Where the
// header ends is mailformat's decision, as for every other reader of mail here.
func (q *Queue) originalHeaders(blobID string) []byte {
	rc, err := q.st.ReadBlob(blobID)
	if err != nil {
		q.log.Warn("queue: read message for DSN", "blob", blobID, "error", err)
		return nil
	}
	defer rc.Close()
	head, err := io.ReadAll(io.LimitReader(rc, maxReturnedHeaders))
	if err != nil || len(head) == 0 {
		return nil
	}
	p, err := mailformat.Parse(head)
	if err != nil {
		return nil
	}
	var out bytes.Buffer
	for _, line := range strings.SplitAfter(string(head[:p.Structure.BodyStart]), "\n") {
		if line = strings.TrimRight(line, "\r\n"); line != "" {
			out.WriteString(line)
			out.WriteString("\r\n")
		}
	}
	return out.Bytes()
}

// originalSubject is the Subject of the returned headers as the sender reads it
// (decoded by mailformat), "" when there is none.
func originalSubject(headers []byte) string {
	if len(headers) == 0 {
		return ""
	}
	p, err := mailformat.Parse(append(headers[:len(headers):len(headers)], '\r', '\n'))
	if err != nil {
		return ""
	}
	return mailformat.DisplayHeader(p.Envelope.Subject)
}

// addrType is the RFC 3464 address-type for an address: RFC 6533 section 3 wants
// "utf-8" for internationalized ones.
func addrType(addr string) string {
	if isASCII(addr) {
		return "rfc822"
	}
	return "utf-8"
}

// buildDSN writes an RFC 3464 delivery status notification: multipart/report
// (RFC 6522) with a human-readable part, a message/delivery-status part and the
// original headers as text/rfc822-headers.
func (q *Queue) buildDSN(item *store.QueueItem, rs []rcptResult, headers []byte, delayed bool, now time.Time) []byte {
	host := q.cfg.Hostname
	boundary := randomHex(12) + "/" + host
	date := now.Format(time.RFC1123Z)
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\r\n", args...) }

	subject := "Undelivered Mail Returned to Sender"
	if delayed {
		subject = "Delayed Mail (still being retried)"
	}
	w("From: Mail Delivery System <MAILER-DAEMON@%s>", host)
	w("To: <%s>", item.From)
	w("Subject: %s", subject)
	w("Date: %s", date)
	w("Message-ID: <%s@%s>", randomHex(16), host)
	// RFC 3834 section 5: an automatic message; vacation responders must not answer.
	w("Auto-Submitted: auto-replied")
	w("MIME-Version: 1.0")
	w("Content-Type: multipart/report; report-type=delivery-status;")
	w("\tboundary=\"%s\"", boundary)
	w("")
	w("This is a MIME-encapsulated message.")
	w("")

	// Human-readable part.
	w("--%s", boundary)
	w("Content-Type: text/plain; charset=utf-8")
	w("Content-Transfer-Encoding: 8bit")
	w("Content-Description: Notification")
	w("")
	w("This is the mail system at host %s.", host)
	w("")
	if delayed {
		w("Your message has not been delivered yet to the recipients below.")
		w("It is still in the queue and delivery will be tried again until")
		w("%s. You do not need to send it again.", item.Created.Add(q.cfg.RetryFor).Format(time.RFC1123Z))
	} else {
		w("I'm sorry to have to inform you that your message could not be")
		w("delivered to one or more recipients. The reasons are below.")
	}
	if subj := originalSubject(headers); subj != "" {
		// Which message it was, in the words the sender wrote (the header part
		// below has it encoded, or in a legacy charset).
		w("")
		w("Subject: %s", subj)
	}
	w("")
	for _, r := range rs {
		w("<%s>: %s", r.Rcpt, oneLine(r.Diag))
	}
	w("")

	// Machine-readable part, RFC 3464 section 2.
	w("--%s", boundary)
	w("Content-Type: message/delivery-status")
	w("Content-Description: Delivery report")
	w("")
	w("Reporting-MTA: dns; %s", host)
	w("X-Yubin-Queue-ID: %d", item.ID)
	w("Arrival-Date: %s", item.Created.Format(time.RFC1123Z))
	for _, r := range rs {
		w("")
		w("Final-Recipient: %s; %s", addrType(r.Rcpt), r.Rcpt)
		if delayed {
			w("Action: delayed")
		} else {
			w("Action: failed")
		}
		status := r.Status
		if status == "" {
			status = "5.0.0"
		}
		w("Status: %s", status)
		if r.Remote != "" {
			w("Remote-MTA: dns; %s", r.Remote)
		}
		if r.Diag != "" {
			w("Diagnostic-Code: smtp; %s", oneLine(r.Diag))
		}
		w("Last-Attempt-Date: %s", date)
		if delayed {
			w("Will-Retry-Until: %s", item.Created.Add(q.cfg.RetryFor).Format(time.RFC1123Z))
		}
	}
	w("")

	// The original headers, RFC 6522 section 3 / RFC 3462.
	w("--%s", boundary)
	w("Content-Type: text/rfc822-headers")
	w("Content-Description: Undelivered message headers")
	w("")
	b.Write(headers)
	w("")
	w("--%s--", boundary)
	return b.Bytes()
}

// sendDSN tells the envelope sender what happened. A local sender gets it in their
// INBOX; a remote one through the queue with the null sender, so a failing DSN is
// never bounced again (RFC 5321 section 6.1).
func (q *Queue) sendDSN(ctx context.Context, item *store.QueueItem, rs []rcptResult, headers []byte, delayed bool) {
	if item.From == "" || len(rs) == 0 {
		return
	}
	kind := "bounce"
	if delayed {
		kind = "delay notice"
	}
	msg := q.buildDSN(item, rs, headers, delayed, q.now())
	if q.cfg.DKIM != nil {
		// From is MAILER-DAEMON@hostname: signed by the local domain it belongs to.
		if d := checks.SignerDomain(msg, q.st.IsLocalDomain); d != "" {
			if sig, err := q.cfg.DKIM.Sign(d, msg); err == nil {
				msg = append(sig, msg...)
			} else {
				q.log.Error("queue: sign DSN", "id", item.ID, "domain", d, "error", err)
			}
		}
	}
	if q.st.IsLocalDomain(domainOf(item.From)) {
		accts, err := q.st.Resolve(ctx, item.From)
		if err != nil {
			q.log.Warn("queue: DSN sender has no mailbox; dropped", "id", item.ID, "kind", kind, "to", item.From, "error", err)
			return
		}
		rcpts := make([]store.Recipient, len(accts))
		for i, a := range accts {
			// A full mailbox still gets the notice: the sender must learn that
			// their mail did not arrive, and a DSN has nowhere else to go.
			rcpts[i] = store.Recipient{AccountID: a.ID, NoQuota: true}
		}
		// RFC 5321 section 4.4: the final delivery records the (null) return path.
		raw := append([]byte("Return-Path: <>\r\n"), msg...)
		if _, err := q.st.Deliver(ctx, raw, rcpts); err != nil {
			q.log.Error("queue: deliver DSN", "id", item.ID, "kind", kind, "to", item.From, "error", err)
			return
		}
		q.log.Info("queue: DSN delivered", "id", item.ID, "kind", kind, "to", item.From, "rcpts", len(rs))
		return
	}
	if err := q.Enqueue(ctx, "", []string{item.From}, msg); err != nil {
		q.log.Error("queue: queue DSN", "id", item.ID, "kind", kind, "to", item.From, "error", err)
		return
	}
	q.log.Info("queue: DSN queued", "id", item.ID, "kind", kind, "to", item.From, "rcpts", len(rs))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

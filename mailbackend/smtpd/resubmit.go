package smtpd

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/yubinmail/yubin/internal/mailaddr"
	"github.com/yubinmail/yubin/internal/mailformat"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// A mail program that loses the 250 after DATA (the connection drops, the program
// or its host stops before noting it) cannot ask whether we have the message: SMTP
// has no such command, so it sends again, and the recipients get two copies. The
// submission roles therefore remember, per account, each message they accepted
// (store/submissions.go): its Message-ID and its envelope recipients, for
// store.SubmissionWindow. The same account submitting a message with the same
// Message-ID to the same recipients within that time gets 250 with
// replyAlreadyAccepted's text, and nothing is delivered or queued again.
//
// Why this is safe to do:
//   - RFC 5322 section 3.6.4: a Message-ID names exactly one message, so a second
//     submission of one is the same message again. A message sent again on purpose
//     (RFC 5322 section 3.6.6, "resent") keeps the original's Message-ID and gets a
//     Resent-Message-ID of its own: the newest of those is then the identity. A
//     resent message without one, and a message with more than one Message-ID or one
//     that is not a bracketed msg-id, is not remembered at all.
//   - A message without a Message-ID gets a fresh one here (RFC 6409 section 8.3,
//     data.go), so two such submissions are never taken for one.
//   - The recipients are part of the identity: the same message later sent to one
//     more person reaches everyone again (RCPT order does not matter; domains are
//     compared case-insensitively, local parts exactly, RFC 5321 section 2.4).
//   - The rows are per account, so no account can make another's mail look sent,
//     and bounded per account in time and number, so one account filling its own
//     rows only shortens its own memory.
//   - The row is written in the transaction that stores or queues the message's
//     last part (the remote copies when there are any, else the local ones), so a
//     250 means the row exists and a row means the message was stored whole. When
//     a recipient's Sieve redirect comes after the local copies (the one case with
//     no single last transaction), the row follows in its own, just before the 250:
//     a crash between them can send twice, never lose.
//   - Two connections submitting the same message at once (a client that gave up
//     waiting and resent while the first was still being stored) take turns
//     (inflightSubmissions): the second finds the first's row.
//
// Known limit: the turn-taking is per process. Several yubin front ends on one
// database (the PostgreSQL path) would need the store to claim the row instead.

// submissionRecord returns what to remember of msg for this session's account, or
// nil when it is not remembered (not a submission, or no identity to go by).
func (s *session) submissionRecord(msg []byte) *store.Submission {
	if !s.submission() || s.account == nil {
		return nil
	}
	id := submissionID(msg)
	if id == "" {
		return nil
	}
	return store.SubmissionOf(s.account.ID, id, normalRcpts(s.rcptAddrs))
}

// submissionID is a message's identity for submission (see above): its topmost
// Resent-Message-ID when it has Resent- fields, else its one Message-ID; "" when
// there is none to go by.
func submissionID(msg []byte) string {
	var msgIDs []string
	// RFC 5322 section 3.6.6: each resend prepends its block of Resent- fields,
	// kept together, so the newest block is the first run of them.
	block := 0 // 0 before the first Resent- field, 1 inside its run, 2 after it
	resentID := ""
	mailformat.EachHeaderField(msg, func(name, value string) {
		isResent := strings.HasPrefix(name, "resent-")
		switch {
		case isResent && block < 2:
			block = 1
			if name == "resent-message-id" && resentID == "" {
				resentID = value
			}
		case block == 1:
			block = 2
		}
		if name == "message-id" {
			msgIDs = append(msgIDs, value)
		}
	})
	value := ""
	switch {
	case block > 0:
		value = resentID
	case len(msgIDs) == 1:
		value = msgIDs[0]
	}
	ids := mailformat.MessageIDs(value)
	// RFC 5322 section 3.6.4: an id is atoms or a literal, without spaces,
	// controls or angle brackets; anything else is not one to go by.
	if len(ids) != 1 || ids[0] == "" || strings.ContainsFunc(ids[0], func(r rune) bool {
		return r <= ' ' || r == 0x7f || r == '<'
	}) {
		return ""
	}
	return ids[0]
}

// normalRcpts sorts the envelope recipients, each with its domain in lower case,
// without repeats: the same people in any order and case of domain are the same.
func normalRcpts(rcpts []string) []string {
	out := make([]string, 0, len(rcpts))
	for _, r := range rcpts {
		if local, domain, ok := mailaddr.SplitAddress(r); ok {
			r = local + "@" + strings.TrimSuffix(strings.ToLower(domain), ".")
		}
		out = append(out, r)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// inflightSubmissions lets one session at a time handle a given account's message
// identity. A session holds at most one entry, so the map is bounded by the open
// connections.
type inflightSubmissions struct {
	mu   sync.Mutex
	busy map[store.Submission]chan struct{}
}

// acquire waits until no other session handles sub, then marks it as this one's;
// release undoes that. It gives up when ctx ends.
func (f *inflightSubmissions) acquire(ctx context.Context, sub *store.Submission) (release func(), err error) {
	for {
		f.mu.Lock()
		if f.busy == nil {
			f.busy = make(map[store.Submission]chan struct{})
		}
		wait, taken := f.busy[*sub]
		if !taken {
			done := make(chan struct{})
			f.busy[*sub] = done
			f.mu.Unlock()
			return func() {
				f.mu.Lock()
				delete(f.busy, *sub)
				f.mu.Unlock()
				close(done)
			}, nil
		}
		f.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

package mailclient

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yubinmail/yubin/internal/imapsort"
	"github.com/yubinmail/yubin/internal/mailformat"
)

// Thread is one conversation, or one branch of it: UID names a message of the
// mailbox, 0 a message the mailbox does not hold that others reply to (RFC 5256's
// placeholder, only ever at the top, holding two or more branches).
type Thread struct {
	UID      uint32
	Children []*Thread
}

// UIDs lists the messages of the thread, parents before their replies.
func (t *Thread) UIDs() []uint32 {
	var out []uint32
	stack := []*Thread{t}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.UID != 0 {
			out = append(out, n.UID)
		}
		for i := len(n.Children) - 1; i >= 0; i-- {
			stack = append(stack, n.Children[i])
		}
	}
	return out
}

// ThreadOf returns the thread among threads that holds uid, or nil.
func ThreadOf(threads []*Thread, uid uint32) *Thread {
	for _, t := range threads {
		for _, u := range t.UIDs() {
			if u == uid {
				return t
			}
		}
	}
	return nil
}

// MaxLocalThreads is how many of a mailbox's newest messages Threads threads itself
// on a server without THREAD: their headers are fetched, so the work stays bounded
// whatever the mailbox's size; older messages are left out.
const MaxLocalThreads = 5000

// Threads groups mailbox into conversations by THREAD=REFERENCES (RFC 5256): the
// server's UID THREAD when it announces it, otherwise the same algorithm here
// (internal/imapsort) over the headers of the newest MaxLocalThreads messages.
// Threads come oldest first, by the sent date of their first message; replies
// under their parents, siblings by date. serverSide says which way it was done.
func (cl *Client) Threads(ctx context.Context, mailbox string) (threads []*Thread, serverSide bool, err error) {
	err = cl.DoIMAP(ctx, func(s *Session) error {
		n, err := s.Select(mailbox)
		if err != nil {
			return err
		}
		threads, serverSide, err = s.threads(mailbox, n)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return threads, serverSide, nil
}

// threads threads the selected mailbox (n messages) as Threads does.
func (s *Session) threads(mailbox string, n uint32) ([]*Thread, bool, error) {
	if s.C.Caps().Has(imap.Cap("THREAD=REFERENCES")) && !s.cl.noExtensions {
		data, err := s.C.UIDThread(&imapclient.ThreadOptions{Algorithm: imap.ThreadReferences,
			SearchCriteria: &imap.SearchCriteria{}}).Wait()
		if err != nil {
			return nil, true, fmt.Errorf("thread %s: %w", mailbox, err)
		}
		return fromThreadData(data), true, nil
	}
	msgs, err := s.sortInput(mailbox, n, MaxLocalThreads)
	if err != nil {
		return nil, false, err
	}
	return fromImapsort(imapsort.References(msgs)), false, nil
}

// fromThreadData turns imapclient's thread lists (a chain of messages each the
// parent of the next, then the branches under the last) into trees.
func fromThreadData(data []imapclient.ThreadData) []*Thread {
	out := make([]*Thread, 0, len(data))
	for _, d := range data {
		out = append(out, threadFromData(d))
	}
	return out
}

func threadFromData(d imapclient.ThreadData) *Thread {
	top := &Thread{}
	last := top
	for i, uid := range d.Chain {
		if i == 0 {
			top.UID = uid
			continue
		}
		n := &Thread{UID: uid}
		last.Children = []*Thread{n}
		last = n
	}
	for _, sub := range d.SubThreads {
		last.Children = append(last.Children, threadFromData(sub))
	}
	return top
}

func fromImapsort(in []*imapsort.Thread) []*Thread {
	out := make([]*Thread, len(in))
	for i, t := range in {
		out[i] = &Thread{UID: t.ID, Children: fromImapsort(t.Children)}
	}
	return out
}

// sortHeader is what sorting and threading here read of each message.
var sortHeader = &imap.FetchItemBodySection{
	Specifier: imap.PartSpecifierHeader, Peek: true,
	HeaderFields: []string{"Date", "Subject", "From", "To", "Cc", "Message-ID", "In-Reply-To", "References",
		"Content-Type", "MIME-Version"},
}

// sortInput fetches what imapsort needs of the newest limit messages of the
// selected mailbox (n messages), IDs being UIDs.
func (s *Session) sortInput(mailbox string, n uint32, limit int) ([]imapsort.Message, error) {
	if n == 0 {
		return nil, nil
	}
	lo := uint32(1)
	if int64(n) > int64(limit) {
		lo = n - uint32(limit) + 1
	}
	var set imap.SeqSet
	set.AddRange(lo, n)
	fetched, err := s.C.Fetch(set, &imap.FetchOptions{UID: true, InternalDate: true, RFC822Size: true,
		BodySection: []*imap.FetchItemBodySection{sortHeader}}).Collect()
	if err != nil {
		return nil, fmt.Errorf("fetch %s %d:%d headers: %w", mailbox, lo, n, err)
	}
	out := make([]imapsort.Message, 0, len(fetched))
	for _, f := range fetched {
		m := imapsort.Message{ID: uint32(f.UID), InternalDate: f.InternalDate, Size: f.RFC822Size}
		hdr := f.FindBodySection(sortHeader)
		if p, err := mailformat.Parse(hdr); err == nil && p.Envelope != nil {
			env := p.Envelope
			m.Date, m.Subject = env.Date, env.Subject
			m.From, m.To, m.Cc = imapsort.FromEnvelope(env.From), imapsort.FromEnvelope(env.To), imapsort.FromEnvelope(env.Cc)
			m.MessageID = imapsort.ParseMessageID(env.MessageID)
			var refs string
			mailformat.EachHeaderField(hdr, func(name, value string) {
				if name == "references" && refs == "" {
					refs = value
				}
			})
			m.References = imapsort.ParseReferences(refs, env.InReplyTo)
		}
		out = append(out, m)
	}
	// Mailbox order: ties and duplicate Message-IDs go by it.
	slices.SortFunc(out, func(a, b imapsort.Message) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

package mailclient

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// FindMessageID returns the UIDs of the messages in mailbox whose Message-ID is id
// (with or without <>), newest last: UID SEARCH HEADER Message-ID (RFC 9051
// section 6.4.4, a substring match, so each hit's field is checked again). The
// outbox uses it to tell whether a message it was sending reached Sent, and a
// server without APPENDUID to find the draft it just stored.
func (cl *Client) FindMessageID(ctx context.Context, mailbox, id string) ([]uint32, error) {
	id = strings.TrimSpace(id)
	if id == "" || strings.ContainsAny(id, "\r\n") {
		return nil, fmt.Errorf("find message id: bad id %q", id)
	}
	bare := strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	var out []uint32
	err := cl.DoIMAP(ctx, func(s *Session) error {
		if _, err := s.Select(mailbox); err != nil {
			return err
		}
		data, err := s.C.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: bare}}}, nil).Wait()
		if err != nil {
			return fmt.Errorf("search %s: %w", mailbox, err)
		}
		uids := data.AllUIDs()
		if len(uids) == 0 {
			return nil
		}
		var set imap.UIDSet
		for _, u := range uids {
			set.AddNum(u)
		}
		msgs, err := s.C.Fetch(set, &imap.FetchOptions{UID: true, Envelope: true}).Collect()
		if err != nil {
			return fmt.Errorf("fetch %s: %w", mailbox, err)
		}
		for _, m := range msgs {
			if m.Envelope != nil && strings.Trim(m.Envelope.MessageID, "<>") == bare {
				out = append(out, uint32(m.UID))
			}
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}

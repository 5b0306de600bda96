package mailclient

import (
	"context"
	"fmt"

	"github.com/emersion/go-imap/v2"
)

// Neighbors returns the UIDs of the messages next to uid in mailbox order: newer
// (the one above it in a newest-first list) and older (below it); 0 at either end
// or when uid is gone. Two small round trips whatever the mailbox's size: UID FETCH
// of uid gives its sequence number, then FETCH of the two sequence numbers around
// it gives their UIDs.
func (cl *Client) Neighbors(ctx context.Context, mailbox string, uid uint32) (newer, older uint32, err error) {
	err = cl.DoIMAP(ctx, func(s *Session) error {
		newer, older = 0, 0
		n, err := s.Select(mailbox)
		if err != nil {
			return err
		}
		self, err := s.C.Fetch(imap.UIDSetNum(imap.UID(uid)), &imap.FetchOptions{UID: true}).Collect()
		if err != nil {
			return fmt.Errorf("fetch %s uid %d: %w", mailbox, uid, err)
		}
		if len(self) != 1 {
			return nil
		}
		seq := self[0].SeqNum
		var set imap.SeqSet
		if seq > 1 {
			set.AddNum(seq - 1)
		}
		if seq < n {
			set.AddNum(seq + 1)
		}
		if len(set) == 0 {
			return nil
		}
		around, err := s.C.Fetch(set, &imap.FetchOptions{UID: true}).Collect()
		if err != nil {
			return fmt.Errorf("fetch %s around %d: %w", mailbox, seq, err)
		}
		for _, m := range around {
			switch m.SeqNum {
			case seq + 1:
				newer = uint32(m.UID)
			case seq - 1:
				older = uint32(m.UID)
			}
		}
		return nil
	})
	return newer, older, err
}

package mailclient

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// Organizing messages so that each step can be undone: a move reports the UIDs the
// messages got in the destination (COPYUID, RFC 4315 section 3, sent with MOVE by
// RFC 6851 section 4.3), and a flag change reports which messages it changed, so
// the undo puts back exactly what was there and nothing else.

// AllUIDs is the set of every message of a mailbox (UID 1:*, RFC 9051 section 9
// seq-range): "select all N in this folder" beyond the page.
var AllUIDs = imap.UIDSet{imap.UIDRange{Start: 1, Stop: 0}}

// UIDs turns a list of UIDs into a set.
func UIDs(uids []uint32) imap.UIDSet { return uidSet(uids) }

// Moved is what a move did.
type Moved struct {
	Dest  string      // where the messages went; "" when they were expunged for good
	Count int         // how many messages moved
	UIDs  imap.UIDSet // their UIDs in Dest, nil when the server did not say (no UIDPLUS)
}

// MoveSet moves the messages of set to dest (MOVE, RFC 6851; imapclient falls back
// to COPY+EXPUNGE) and reports their new UIDs.
func (cl *Client) MoveSet(ctx context.Context, mailbox string, set imap.UIDSet, dest string) (Moved, error) {
	out := Moved{Dest: dest}
	if len(set) == 0 || mailbox == dest {
		return out, nil
	}
	err := cl.DoIMAP(ctx, func(s *Session) error {
		if _, err := s.Select(mailbox); err != nil {
			return err
		}
		cl.cache.drop(mailbox)
		// Count what is there first: a set may name UIDs already gone, and 1:*
		// names however many there are.
		n, err := s.count(set)
		if err != nil || n == 0 {
			return err
		}
		data, err := s.C.Move(set, dest).Wait()
		if tryCreate(s, dest, err) {
			data, err = s.C.Move(set, dest).Wait()
		}
		if err != nil {
			return fmt.Errorf("move %s to %s: %w", mailbox, dest, err)
		}
		out.Count = n
		if data != nil {
			if d, ok := data.DestUIDs.(imap.UIDSet); ok && len(d) > 0 {
				out.UIDs = d
			}
		}
		return nil
	})
	return out, err
}

// count is how many messages of the selected mailbox set names (UID SEARCH, with
// RETURN (COUNT) when the server has ESEARCH, RFC 4731).
func (s *Session) count(set imap.UIDSet) (int, error) {
	uids, err := s.search(&imap.SearchCriteria{UID: []imap.UIDSet{set}})
	return len(uids), err
}

// search runs UID SEARCH in the selected mailbox.
func (s *Session) search(c *imap.SearchCriteria) ([]imap.UID, error) {
	data, err := s.C.UIDSearch(c, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("uid search: %w", err)
	}
	return data.AllUIDs(), nil
}

// DeleteSet is Delete over a set: to Trash, or for good from Trash (Dest "").
func (cl *Client) DeleteSet(ctx context.Context, mailbox string, set imap.UIDSet) (Moved, error) {
	if trash := cl.SpecialFolder(ctx, UseTrash); mailbox != trash {
		return cl.MoveSet(ctx, mailbox, set, trash)
	}
	n, err := cl.expungeSet(ctx, mailbox, set)
	return Moved{Count: n}, err
}

// ArchiveSet is Archive over a set.
func (cl *Client) ArchiveSet(ctx context.Context, mailbox string, set imap.UIDSet) (Moved, error) {
	return cl.MoveSet(ctx, mailbox, set, cl.SpecialFolder(ctx, UseArchive))
}

// EmptyFolder expunges every message of mailbox (Empty Trash, Empty Junk) and says
// how many there were.
func (cl *Client) EmptyFolder(ctx context.Context, mailbox string) (int, error) {
	return cl.expungeSet(ctx, mailbox, AllUIDs)
}

func (cl *Client) expungeSet(ctx context.Context, mailbox string, set imap.UIDSet) (int, error) {
	var n int
	err := cl.DoIMAP(ctx, func(s *Session) error {
		if _, err := s.Select(mailbox); err != nil {
			return err
		}
		cl.cache.drop(mailbox)
		uids, err := s.search(&imap.SearchCriteria{UID: []imap.UIDSet{set}})
		if err != nil || len(uids) == 0 {
			return err
		}
		n = len(uids)
		exact := imap.UIDSetNum(uids...)
		if err := s.C.Store(exact, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
			return fmt.Errorf("store \\Deleted: %w", err)
		}
		// UID EXPUNGE (RFC 4315 section 2.1) leaves alone what others marked \Deleted.
		if s.C.Caps().Has(imap.CapUIDPlus) || s.C.Caps().Has(imap.CapIMAP4rev2) {
			if err := s.C.UIDExpunge(exact).Close(); err != nil {
				return fmt.Errorf("uid expunge: %w", err)
			}
			return nil
		}
		if err := s.C.Expunge().Close(); err != nil {
			return fmt.Errorf("expunge: %w", err)
		}
		return nil
	})
	return n, err
}

// FlagSet sets (on) or clears a flag on the messages of set that do not have it that
// way yet, and returns those: undoing is the opposite change on exactly them.
func (cl *Client) FlagSet(ctx context.Context, mailbox string, set imap.UIDSet, flag string, on bool) (imap.UIDSet, error) {
	var changed imap.UIDSet
	err := cl.DoIMAP(ctx, func(s *Session) error {
		if _, err := s.Select(mailbox); err != nil {
			return err
		}
		cl.cache.drop(mailbox)
		c := &imap.SearchCriteria{UID: []imap.UIDSet{set}}
		if on {
			c.NotFlag = []imap.Flag{imap.Flag(flag)}
		} else {
			c.Flag = []imap.Flag{imap.Flag(flag)}
		}
		uids, err := s.search(c)
		if err != nil || len(uids) == 0 {
			return err
		}
		changed = imap.UIDSetNum(uids...)
		op := imap.StoreFlagsAdd
		if !on {
			op = imap.StoreFlagsDel
		}
		if err := s.C.Store(changed, &imap.StoreFlags{Op: op, Silent: true, Flags: []imap.Flag{imap.Flag(flag)}}, nil).Close(); err != nil {
			return fmt.Errorf("store %s in %s: %w", flag, mailbox, err)
		}
		return nil
	})
	return changed, err
}

// ErrHasSubfolders refuses to delete a folder that has folders inside it: the
// server would refuse too (RFC 9051 section 6.3.5, [HASCHILDREN]), and its messages
// must not have been moved away for nothing.
var ErrHasSubfolders = errors.New("the folder has subfolders")

// DeleteFolderKeepingMail deletes a folder after moving its messages to Trash, so
// deleting a folder never destroys mail; it returns how many were moved. The Trash
// folder itself is only emptied, never deleted this way.
func (cl *Client) DeleteFolderKeepingMail(ctx context.Context, name string) (int, error) {
	folders, err := cl.Folders(ctx)
	if err != nil {
		return 0, err
	}
	var delim string
	found := false
	for _, f := range folders {
		if f.Name == name {
			found, delim = true, f.Delim
		}
	}
	if !found {
		return 0, fmt.Errorf("delete folder %s: %w", name, ErrNotFound)
	}
	for _, f := range folders {
		if delim != "" && strings.HasPrefix(f.Name, name+delim) {
			return 0, ErrHasSubfolders
		}
	}
	trash := cl.SpecialFolder(ctx, UseTrash)
	moved := Moved{}
	if name != trash {
		if moved, err = cl.MoveSet(ctx, name, AllUIDs, trash); err != nil {
			return 0, err
		}
	}
	return moved.Count, cl.DeleteFolder(ctx, name)
}

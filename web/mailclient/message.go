package mailclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
)

// Message is one message's raw bytes and state.
type Message struct {
	Mailbox string
	UID     uint32
	Raw     []byte
	Flags   []string
	// InternalDate is when the server received the message (RFC 9051 section 2.3.3):
	// the date to show when the message has no usable Date header.
	InternalDate time.Time
}

// HasFlag reports whether the message carries flag (case-insensitive).
func (m *Message) HasFlag(flag string) bool {
	for _, f := range m.Flags {
		if strings.EqualFold(f, flag) {
			return true
		}
	}
	return false
}

// rawCache keeps the last few fetched messages so the message page, its HTML frame,
// its inline images and its attachments cost one BODY[] fetch, not four.
type rawCache struct {
	entries []cacheEntry
}

type cacheEntry struct {
	key string
	msg Message
}

const (
	cacheEntries  = 4
	cacheMaxBytes = 32 << 20
)

func cacheKey(mailbox string, uidValidity, uid uint32) string {
	return fmt.Sprintf("%d/%d/%s", uidValidity, uid, mailbox)
}

func (c *rawCache) get(key string) (Message, bool) {
	for _, e := range c.entries {
		if e.key == key {
			return e.msg, true
		}
	}
	return Message{}, false
}

func (c *rawCache) put(key string, m Message) {
	if len(m.Raw) > cacheMaxBytes {
		return
	}
	c.entries = append([]cacheEntry{{key, m}}, c.entries...)
	total := 0
	for i, e := range c.entries {
		total += len(e.msg.Raw)
		if i >= cacheEntries || total > cacheMaxBytes {
			c.entries = c.entries[:i]
			break
		}
	}
}

func (c *rawCache) drop(mailbox string) {
	kept := c.entries[:0]
	for _, e := range c.entries {
		if e.msg.Mailbox != mailbox {
			kept = append(kept, e)
		}
	}
	c.entries = kept
}

// ErrNotFound means no message with that UID exists in the mailbox (any more).
var ErrNotFound = fmt.Errorf("message not found")

// FetchMessage returns the whole message (BODY.PEEK[], so \Seen is not set implicitly,
// RFC 9051 section 6.4.5) and its flags. markSeen then sets \Seen explicitly.
func (cl *Client) FetchMessage(ctx context.Context, mailbox string, uid uint32, markSeen bool) (*Message, error) {
	var out *Message
	err := cl.DoIMAP(ctx, func(s *Session) error {
		if _, err := s.Select(mailbox); err != nil {
			return err
		}
		key := cacheKey(mailbox, cl.uidValidity, uid)
		if m, ok := cl.cache.get(key); ok && !markSeen {
			out = &m
			return nil
		}
		set := imap.UIDSetNum(imap.UID(uid))
		section := &imap.FetchItemBodySection{Peek: true}
		opts := &imap.FetchOptions{UID: true, Flags: true, InternalDate: true}
		cached, ok := cl.cache.get(key)
		if !ok {
			opts.BodySection = []*imap.FetchItemBodySection{section}
		}
		msgs, err := s.C.Fetch(set, opts).Collect()
		if err != nil {
			return fmt.Errorf("fetch uid %d in %s: %w", uid, mailbox, err)
		}
		if len(msgs) == 0 {
			return ErrNotFound
		}
		m := Message{Mailbox: mailbox, UID: uid, Raw: cached.Raw, InternalDate: msgs[0].InternalDate}
		if !ok {
			m.Raw = msgs[0].FindBodySection(section)
		}
		for _, f := range msgs[0].Flags {
			m.Flags = append(m.Flags, string(f))
		}
		if markSeen && !m.HasFlag(`\Seen`) {
			if err := s.C.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
				return fmt.Errorf("mark seen: %w", err)
			}
			m.Flags = append(m.Flags, `\Seen`)
		}
		cl.cache.put(key, m)
		out = &m
		return nil
	})
	return out, err
}

func uidSet(uids []uint32) imap.UIDSet {
	var set imap.UIDSet
	for _, u := range uids {
		set.AddNum(imap.UID(u))
	}
	return set
}

// SetFlag adds (on) or removes a flag on the messages.
func (cl *Client) SetFlag(ctx context.Context, mailbox string, uids []uint32, flag string, on bool) error {
	if len(uids) == 0 {
		return nil
	}
	op := imap.StoreFlagsAdd
	if !on {
		op = imap.StoreFlagsDel
	}
	return cl.DoIMAP(ctx, func(s *Session) error {
		if _, err := s.Select(mailbox); err != nil {
			return err
		}
		cl.cache.drop(mailbox)
		err := s.C.Store(uidSet(uids), &imap.StoreFlags{Op: op, Silent: true, Flags: []imap.Flag{imap.Flag(flag)}}, nil).Close()
		if err != nil {
			return fmt.Errorf("store %s in %s: %w", flag, mailbox, err)
		}
		return nil
	})
}

// Delete does what a mail client's delete button does: it moves the messages to the
// Trash folder (RFC 6154 \Trash), and expunges them for good when they are in Trash
// already.
func (cl *Client) Delete(ctx context.Context, mailbox string, uids []uint32) error {
	if trash := cl.SpecialFolder(ctx, UseTrash); mailbox != trash {
		return cl.Move(ctx, mailbox, uids, trash)
	}
	return cl.Expunge(ctx, mailbox, uids)
}

// Archive moves the messages to the Archive folder (RFC 6154 \Archive).
func (cl *Client) Archive(ctx context.Context, mailbox string, uids []uint32) error {
	return cl.Move(ctx, mailbox, uids, cl.SpecialFolder(ctx, UseArchive))
}

// Move moves messages to dest (MOVE, RFC 6851; imapclient falls back to COPY+EXPUNGE).
func (cl *Client) Move(ctx context.Context, mailbox string, uids []uint32, dest string) error {
	if len(uids) == 0 || mailbox == dest {
		return nil
	}
	return cl.DoIMAP(ctx, func(s *Session) error {
		if _, err := s.Select(mailbox); err != nil {
			return err
		}
		cl.cache.drop(mailbox)
		_, err := s.C.Move(uidSet(uids), dest).Wait()
		if tryCreate(s, dest, err) {
			_, err = s.C.Move(uidSet(uids), dest).Wait()
		}
		if err != nil {
			return fmt.Errorf("move %s to %s: %w", mailbox, dest, err)
		}
		return nil
	})
}

// Expunge removes messages for good: STORE \Deleted then UID EXPUNGE (RFC 4315
// section 2.1), so other messages someone marked \Deleted elsewhere are left alone.
func (cl *Client) Expunge(ctx context.Context, mailbox string, uids []uint32) error {
	if len(uids) == 0 {
		return nil
	}
	return cl.DoIMAP(ctx, func(s *Session) error {
		if _, err := s.Select(mailbox); err != nil {
			return err
		}
		cl.cache.drop(mailbox)
		set := uidSet(uids)
		if err := s.C.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
			return fmt.Errorf("store \\Deleted: %w", err)
		}
		if s.C.Caps().Has(imap.CapUIDPlus) || s.C.Caps().Has(imap.CapIMAP4rev2) {
			if err := s.C.UIDExpunge(set).Close(); err != nil {
				return fmt.Errorf("uid expunge: %w", err)
			}
			return nil
		}
		if err := s.C.Expunge().Close(); err != nil {
			return fmt.Errorf("expunge: %w", err)
		}
		return nil
	})
}

// Append stores raw in mailbox with flags (APPEND, RFC 9051 section 6.3.12) and returns
// the new UID when the server reports it (APPENDUID, RFC 4315).
func (cl *Client) Append(ctx context.Context, mailbox string, flags []string, raw []byte) (uint32, error) {
	var uid uint32
	err := cl.DoIMAP(ctx, func(s *Session) error {
		fl := make([]imap.Flag, len(flags))
		for i, f := range flags {
			fl[i] = imap.Flag(f)
		}
		appendOnce := func() (*imap.AppendData, error) {
			cmd := s.C.Append(mailbox, int64(len(raw)), &imap.AppendOptions{Flags: fl, Time: time.Now()})
			if _, err := bytes.NewReader(raw).WriteTo(cmd); err != nil {
				cmd.Close()
				return nil, err
			}
			if err := cmd.Close(); err != nil {
				return nil, err
			}
			return cmd.Wait()
		}
		data, err := appendOnce()
		if tryCreate(s, mailbox, err) {
			data, err = appendOnce()
		}
		if err != nil {
			return fmt.Errorf("append to %s: %w", mailbox, err)
		}
		uid = uint32(data.UID)
		return nil
	})
	return uid, err
}

// CreateFolder, RenameFolder and DeleteFolder manage mailboxes (RFC 9051 6.3.4-6.3.6).
func (cl *Client) CreateFolder(ctx context.Context, name string) error {
	return cl.folderOp(ctx, func(s *Session) error { return s.C.Create(name, nil).Wait() })
}

func (cl *Client) RenameFolder(ctx context.Context, oldName, newName string) error {
	return cl.folderOp(ctx, func(s *Session) error { return s.C.Rename(oldName, newName, nil).Wait() })
}

func (cl *Client) DeleteFolder(ctx context.Context, name string) error {
	return cl.folderOp(ctx, func(s *Session) error { return s.C.Delete(name).Wait() })
}

func (cl *Client) folderOp(ctx context.Context, fn func(s *Session) error) error {
	return cl.DoIMAP(ctx, func(s *Session) error {
		// Leave the selected mailbox first: renaming or deleting it under us would
		// leave the connection in a state the server may answer with BYE.
		if cl.selected != "" {
			if err := s.C.Unselect().Wait(); err != nil {
				return fmt.Errorf("unselect: %w", err)
			}
			cl.selected = ""
		}
		cl.folders = nil
		return fn(s)
	})
}

// tryCreate creates mailbox when the server answered NO [TRYCREATE] (RFC 9051 section
// 7.1): a server without a Sent, Drafts or Archive folder gets one on first use.
func tryCreate(s *Session, mailbox string, err error) bool {
	var ie *imap.Error
	if !errors.As(err, &ie) || ie.Code != imap.ResponseCodeTryCreate {
		return false
	}
	if cerr := s.C.Create(mailbox, nil).Wait(); cerr != nil {
		return false
	}
	s.cl.folders = nil
	return true
}

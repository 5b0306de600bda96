package mailclient

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// Conversation is one row of a list grouped by conversation: its newest message,
// and how many messages it has and how many of them are unread.
type Conversation struct {
	Latest        Summary
	UIDs          []uint32 // every message of it, oldest (lowest UID) first
	Count, Unread int
}

// ConversationPage is one page of a mailbox's conversations, newest first.
type ConversationPage struct {
	Total         int // conversations in the mailbox
	Page, Pages   int
	Conversations []Conversation
}

// Conversations returns page (0-based) of mailbox's conversations, newest first,
// perPage a page: the mailbox threaded by THREAD=REFERENCES (Threads; redone only
// when messages arrive or go), then one FETCH of the rows' newest messages and one
// of the flags of every message of the page's conversations.
func (cl *Client) Conversations(ctx context.Context, mailbox string, page, perPage int) (*ConversationPage, error) {
	if perPage <= 0 {
		perPage = 50
	}
	page = max(page, 0)
	res := &ConversationPage{Page: page}
	err := cl.DoIMAP(ctx, func(s *Session) error {
		res.Conversations = res.Conversations[:0]
		n, err := s.Select(mailbox)
		if err != nil {
			return err
		}
		m, err := s.conversations(mailbox, n)
		if err != nil {
			return err
		}
		res.Total = len(m.threads)
		res.Pages = max(1, (res.Total+perPage-1)/perPage)
		lo := min(page*perPage, res.Total)
		hi := min(lo+perPage, res.Total)
		if lo == hi {
			return nil
		}
		var newest, all []uint32
		for _, t := range m.threads[lo:hi] {
			newest = append(newest, t.uids[len(t.uids)-1])
			all = append(all, t.uids...)
		}
		rows, err := s.C.Fetch(UIDs(newest), listFetch()).Collect()
		if err != nil {
			return fmt.Errorf("fetch %s conversations: %w", mailbox, err)
		}
		latest := make(map[uint32]Summary, len(rows))
		for _, r := range rows {
			sum := summarize(r)
			latest[sum.UID] = sum
		}
		flags, err := s.C.Fetch(UIDs(all), &imap.FetchOptions{UID: true, Flags: true}).Collect()
		if err != nil {
			return fmt.Errorf("fetch %s conversation flags: %w", mailbox, err)
		}
		seen := make(map[uint32]bool, len(flags))
		for _, f := range flags {
			seen[uint32(f.UID)] = slices.Contains(f.Flags, imap.FlagSeen)
		}
		for _, t := range m.threads[lo:hi] {
			uids := t.uids
			c := Conversation{UIDs: uids}
			for _, u := range uids {
				if v, ok := seen[u]; ok {
					c.Count++
					if !v {
						c.Unread++
					}
				}
			}
			sum, ok := latest[uids[len(uids)-1]]
			if !ok || c.Count == 0 {
				continue // expunged meanwhile
			}
			c.Latest = sum
			res.Conversations = append(res.Conversations, c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// MaxConversation bounds the messages ConversationOf returns: the newest ones of a
// very long conversation.
const MaxConversation = 50

// ConversationOf returns the messages of uid's conversation in mailbox, oldest
// first, uid included (at most the newest MaxConversation); nil when uid is in
// none (a message alone is a conversation of one).
func (cl *Client) ConversationOf(ctx context.Context, mailbox string, uid uint32) ([]Summary, error) {
	var out []Summary
	err := cl.DoIMAP(ctx, func(s *Session) error {
		out = nil
		n, err := s.Select(mailbox)
		if err != nil {
			return err
		}
		m, err := s.conversations(mailbox, n)
		if err != nil {
			return err
		}
		t := m.byUID[uid]
		if t == nil {
			return nil
		}
		uids := t.uids
		if len(uids) > MaxConversation {
			uids = uids[len(uids)-MaxConversation:]
		}
		rows, err := s.C.Fetch(UIDs(uids), listFetch()).Collect()
		if err != nil {
			return fmt.Errorf("fetch %s conversation: %w", mailbox, err)
		}
		for _, r := range rows {
			out = append(out, summarize(r))
		}
		slices.SortFunc(out, func(a, b Summary) int { return int(int64(a.UID) - int64(b.UID)) })
		return nil
	})
	return out, err
}

// MaxRepliesSearched bounds the Message-IDs RepliesIn looks for replies to, and the
// replies it returns.
const MaxRepliesSearched = 20

// RepliesIn returns the messages of mailbox (Sent, typically) that reply to any of
// ids (their In-Reply-To names it): the user's own replies to a conversation kept
// in another folder. One UID SEARCH of ORed HEADER keys (RFC 9051 section 6.4.4),
// then one FETCH of the rows; at most MaxRepliesSearched of each.
func (cl *Client) RepliesIn(ctx context.Context, mailbox string, ids []string) ([]Summary, error) {
	var keys []imap.SearchCriteria
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" && !strings.ContainsAny(id, "\r\n") {
			keys = append(keys, imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "In-Reply-To", Value: id}}})
		}
		if len(keys) == MaxRepliesSearched {
			break
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	var out []Summary
	err := cl.DoIMAP(ctx, func(s *Session) error {
		out = nil
		if _, err := s.Select(mailbox); err != nil {
			return err
		}
		data, err := s.C.UIDSearch(anyOf(keys), nil).Wait()
		if err != nil {
			return fmt.Errorf("search %s for replies: %w", mailbox, err)
		}
		uids := data.AllUIDs()
		if len(uids) == 0 {
			return nil
		}
		if len(uids) > MaxRepliesSearched {
			uids = uids[len(uids)-MaxRepliesSearched:]
		}
		rows, err := s.C.Fetch(imap.UIDSetNum(uids...), listFetch()).Collect()
		if err != nil {
			return fmt.Errorf("fetch %s replies: %w", mailbox, err)
		}
		for _, r := range rows {
			sum := summarize(r)
			sum.Mailbox = mailbox
			out = append(out, sum)
		}
		return nil
	})
	return out, err
}

// anyOf is the OR of keys, as a balanced tree of IMAP's two-key ORs.
func anyOf(keys []imap.SearchCriteria) *imap.SearchCriteria {
	if len(keys) == 1 {
		return &keys[0]
	}
	mid := len(keys) / 2
	return &imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{*anyOf(keys[:mid]), *anyOf(keys[mid:])}}}
}

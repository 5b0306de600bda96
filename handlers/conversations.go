package handlers

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/mailclient"
	"github.com/yubinmail/yubin/web/mailview"
	"github.com/yubinmail/yubin/web/settings"
)

// Conversations (issue 14 item 2): with the setting on, a folder's list has one row
// per conversation (mailclient.Conversations: IMAP THREAD=REFERENCES, or the same
// algorithm here on a server without it), newest first, with its count; a message
// opened shows the earlier messages of its conversation stacked above it, read
// ones collapsed to a line, unread ones open.

// grouped says whether the list of mailbox is one of conversations: the setting,
// and never for Drafts (each draft stands alone).
func grouped(r *http.Request, folders []mailclient.Folder, mailbox string) bool {
	if !settings.FromContext(r.Context()).Conversations() {
		return false
	}
	for _, f := range folders {
		if f.Name == mailbox && f.SpecialUse == mailclient.UseDrafts {
			return false
		}
	}
	return true
}

// conversationPage is page of mailbox's conversations as a page of their newest
// messages (Total and Pages counting conversations), with each conversation by
// the UID of its newest message.
func conversationPage(ctx context.Context, cl *mailclient.Client, mailbox string, page, perPage int) (*mailclient.MessagePage, map[uint32]mailclient.Conversation, error) {
	cp, err := cl.Conversations(ctx, mailbox, page, perPage)
	if err != nil {
		return nil, nil, err
	}
	mp := &mailclient.MessagePage{Mailbox: mailbox, Total: uint32(cp.Total), Page: cp.Page, Pages: cp.Pages}
	convs := make(map[uint32]mailclient.Conversation, len(cp.Conversations))
	for _, c := range cp.Conversations {
		mp.Messages = append(mp.Messages, c.Latest)
		convs[c.Latest.UID] = c
	}
	return mp, convs, nil
}

// conversationRow makes a list row stand for its whole conversation: the count,
// unread while any message is, and its checkbox selecting every message.
func conversationRow(row *templates.Row, c mailclient.Conversation) {
	row.Count, row.UnreadCount = c.Count, c.Unread
	row.Unread = c.Unread > 0
	if c.Count > 1 {
		parts := make([]string, len(c.UIDs))
		for i, u := range c.UIDs {
			parts[i] = strconv.FormatUint(uint64(u), 10)
		}
		row.Ref = strings.Join(parts, ".")
	}
}

func folderMessages(folders []mailclient.Folder, mailbox string) int {
	for _, f := range folders {
		if f.Name == mailbox {
			return int(f.Messages)
		}
	}
	return 0
}

// maxOpenInConversation bounds the unread messages shown in full above the one
// being read (each is fetched whole); later unread ones show as a line.
const maxOpenInConversation = 10

// conversation fills the earlier messages of the message's conversation when the
// list groups them: oldest first, each a line (who, when, a line of text) that
// opens to its text, unread ones open (and so marked read); the user's replies in
// Sent among them (mailclient.RepliesIn), by date.
func (h *Handlers) conversation(r *http.Request, cl *mailclient.Client, d *templates.MessageData) error {
	if d.ListQuery != "" || !settings.FromContext(r.Context()).Conversations() {
		return nil
	}
	ctx := r.Context()
	msgs, err := cl.ConversationOf(ctx, d.Mailbox, d.UID)
	if err != nil || len(msgs) == 0 {
		return err
	}
	// The user's own replies kept in Sent belong to the conversation too. A mail
	// program sets \Answered on what it replies to (ours does, mailclient.Submit), so
	// Sent is searched only for replies to answered messages: a conversation nobody
	// answered costs no visit to another folder (and no re-SELECT of this one).
	var others []mailclient.Summary
	var ids []string
	for _, m := range msgs {
		if m.Answered && m.MessageID != "" {
			ids = append(ids, m.MessageID)
		}
	}
	if sent := cl.SpecialFolder(ctx, mailclient.UseSent); sent != d.Mailbox && len(ids) > 0 {
		// A folder that cannot be searched leaves the stack to this one.
		if replies, err := cl.RepliesIn(ctx, sent, ids); err == nil {
			others = replies
		}
	}
	for _, m := range msgs {
		if m.UID != d.UID {
			others = append(others, m)
		}
	}
	slices.SortStableFunc(others, func(a, b mailclient.Summary) int { return a.Date.Compare(b.Date) })
	zone := userZone(r)
	back := backPlace(r)
	opened := 0
	for _, m := range others {
		box := cmp.Or(m.Mailbox, d.Mailbox)
		item := templates.ThreadItem{
			From: listNames(m.From), Date: d.Lang.LongDate(m.Date.In(zone)), Preview: m.Preview,
			URL: back.messageURL(box, m.UID), Open: !m.Seen,
		}
		if box != d.Mailbox {
			item.Folder = d.Lang.T("sent")
		}
		if item.Open && opened < maxOpenInConversation {
			opened++
			full, err := cl.FetchMessage(ctx, box, m.UID, true)
			if err != nil {
				return err
			}
			if msg, err := mailview.Open(full.Raw); err == nil {
				for _, s := range mailview.Linkify(msg.View().Text) {
					item.Text = append(item.Text, templates.Segment{Text: s.Text, URL: s.URL})
				}
			}
		} else {
			item.Open = false
			item.Text = []templates.Segment{{Text: m.Preview}}
		}
		d.Conversation = append(d.Conversation, item)
	}
	return nil
}

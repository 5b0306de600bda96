package handlers

import (
	"cmp"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/mailclient"
	"github.com/yubinmail/yubin/web/mailview"
	"github.com/yubinmail/yubin/web/searchquery"
)

// Mailbox shows one page of a mailbox, newest first.
func (h *Handlers) Mailbox(w http.ResponseWriter, r *http.Request) {
	h.mailboxPage(w, r, placeFrom(r), http.StatusOK, "", 0)
}

// mailboxPage renders the list screen of place; problem is the i18n key of an
// error shown above it (a message that is gone), with status; open is the message
// shown in the reading pane, 0 for none.
func (h *Handlers) mailboxPage(w http.ResponseWriter, r *http.Request, place listPlace, status int, problem string, open uint32) {
	cl, _, err := h.client(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	mailbox, page, query := place.Mailbox, place.Page, place.Query
	ctx := r.Context()
	sh, folders, err := h.shell(ctx, r, cl, "", mailbox)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if problem != "" {
		sh.Error = sh.Lang.T(problem)
	}
	var mp *mailclient.MessagePage
	var sq searchquery.Query
	var convs map[uint32]mailclient.Conversation
	if query != "" {
		mp, sq, err = searchMessages(ctx, cl, place, folders, sh.Lang, userZone(r), perPage(r))
	} else if grouped(r, folders, mailbox) {
		mp, convs, err = conversationPage(ctx, cl, mailbox, page, perPage(r))
	} else {
		mp, err = cl.ListMessages(ctx, mailbox, page, perPage(r))
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := templates.MailboxData{Shell: sh, Mailbox: mailbox, Label: mailbox, Page: page, Query: query, AllFolders: place.All}
	labels := map[string]string{}
	for i, f := range folders {
		labels[f.Name] = sh.Folders[i].Label
	}
	var use string
	for i, f := range folders {
		if f.Name == mailbox {
			d.Label, use = sh.Folders[i].Label, f.SpecialUse
		}
	}
	d.Title = d.Label
	d.IsTrash = use == mailclient.UseTrash
	d.IsJunk = use == mailclient.UseJunk
	d.Total = int(mp.Total) // in a search, the results on all pages
	if convs != nil {
		d.Grouped, d.Total = true, folderMessages(folders, mailbox)
	}
	d.MoveTargets = moveTargets(sh.Folders, mailbox)
	zone := userZone(r)
	now := h.now().In(zone)
	isDrafts := use == mailclient.UseDrafts
	for _, m := range mp.Messages {
		row := templates.Row{
			UID: m.UID, Subject: m.Subject, Date: sh.Lang.Date(m.Date, now), FullDate: sh.Lang.LongDate(m.Date.In(zone)),
			Size: templates.Size(m.Size), URL: place.messageURL(cmp.Or(m.Mailbox, mailbox), m.UID),
			Ref:    rowRef(mailbox, m.Mailbox, m.UID),
			Unread: !m.Seen, Flagged: m.Flagged, Answered: m.Answered, Attachment: m.HasAttachment, Draft: m.Draft,
		}
		people := m.From
		if use == mailclient.UseSent || isDrafts {
			people = m.To
		}
		row.From = listNames(people)
		decorateRow(&row, people, m.Preview)
		if c, ok := convs[m.UID]; ok {
			conversationRow(&row, c)
		}
		if query != "" {
			row.SubjectMarks = marks(row.Subject, sq.Needles(searchquery.Subject))
			row.FromMarks = marks(row.From, sq.Needles(searchquery.From, searchquery.To))
			if m.Mailbox != "" && m.Mailbox != mailbox {
				row.Folder = labels[m.Mailbox]
			}
		}
		if isDrafts {
			row.URL = "/compose?" + "draft=" + strconv.FormatUint(uint64(m.UID), 10)
		}
		d.Rows = append(d.Rows, row)
	}
	if mp.Total > 0 {
		n := perPage(r)
		hi := int(mp.Total) - page*n
		lo := max(1, hi-n+1)
		// Shown as positions counted from the newest message.
		first, last := int(mp.Total)-hi+1, int(mp.Total)-lo+1
		if hi >= 1 {
			d.RangeText = sh.Lang.Tf("list.range", group(first), group(last), group(int(mp.Total)))
		}
	}
	if query != "" {
		d.Title = sh.Lang.Tf("search.title", query)
		d.ClearURL = mailboxURL(mailbox, 0)
	}
	if page > 0 {
		d.NewerURL = place.atPage(page - 1).URL()
	}
	if page+1 < mp.Pages {
		d.OlderURL = place.atPage(page + 1).URL()
	}
	if err := h.readingPane(r, cl, &d, folders, open); errors.Is(err, mailclient.ErrNotFound) {
		status = http.StatusNotFound
	} else if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, status, templates.Mailbox(d))
}

func moveTargets(fs []templates.Folder, current string) []templates.Folder {
	var out []templates.Folder
	for _, f := range fs {
		if f.Name != current && !f.NoSelect {
			out = append(out, f)
		}
	}
	return out
}

// listNames is the list's "who" column: display names, or addresses without one.
func listNames(as []mailclient.Address) string {
	parts := make([]string, 0, len(as))
	for _, a := range as {
		parts = append(parts, a.Label())
	}
	return strings.Join(parts, ", ")
}

func names(as []mailview.Address) string {
	parts := make([]string, 0, len(as))
	for _, a := range as {
		if a.Name != "" {
			parts = append(parts, a.Name)
		} else {
			parts = append(parts, a.Email)
		}
	}
	return strings.Join(parts, ", ")
}

func addressList(as []mailview.Address) string {
	parts := make([]string, 0, len(as))
	for _, a := range as {
		parts = append(parts, mailview.FormatAddress(a))
	}
	return strings.Join(parts, ", ")
}

// group writes 100000 as 100,000.
func group(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/mailclient"
	"github.com/yubinmail/yubin/web/mailview"
)

// Mailbox shows one page of a mailbox, newest first.
func (h *Handlers) Mailbox(w http.ResponseWriter, r *http.Request) {
	cl, _, err := h.client(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	mailbox := mailboxParam(r)
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if page < 0 || page > 1<<20 {
		page = 0
	}
	query := mailclient.NormalizeQuery(r.URL.Query().Get("q"))
	ctx := r.Context()
	sh, folders, err := h.shell(ctx, r, cl, "", mailbox)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var mp *mailclient.MessagePage
	if query != "" {
		mp, err = cl.Search(ctx, mailbox, query, page, PerPage)
	} else {
		mp, err = cl.ListMessages(ctx, mailbox, page, PerPage)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := templates.MailboxData{Shell: sh, Mailbox: mailbox, Label: mailbox, Page: page, Query: query}
	var use string
	for i, f := range folders {
		if f.Name == mailbox {
			d.Label, use = sh.Folders[i].Label, f.SpecialUse
		}
	}
	d.Title = d.Label
	d.IsTrash = use == mailclient.UseTrash
	d.MoveTargets = moveTargets(sh.Folders, mailbox)
	now := h.now()
	isDrafts := use == mailclient.UseDrafts
	for _, m := range mp.Messages {
		row := templates.Row{
			UID: m.UID, Subject: m.Subject, Date: sh.Lang.Date(m.Date, now), FullDate: sh.Lang.LongDate(m.Date),
			Size: templates.Size(m.Size), URL: messageURL(mailbox, m.UID),
			Unread: !m.Seen, Flagged: m.Flagged, Answered: m.Answered, Attachment: m.HasAttachment, Draft: m.Draft,
		}
		people := m.From
		if use == mailclient.UseSent || isDrafts {
			people = m.To
		}
		row.From = listNames(people)
		if isDrafts {
			row.URL = "/compose?" + "draft=" + strconv.FormatUint(uint64(m.UID), 10)
		}
		d.Rows = append(d.Rows, row)
	}
	if mp.Total > 0 {
		hi := int(mp.Total) - page*PerPage
		lo := max(1, hi-PerPage+1)
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
		d.NewerURL = listURL(mailbox, query, page-1)
	}
	if page+1 < mp.Pages {
		d.OlderURL = listURL(mailbox, query, page+1)
	}
	h.render(w, r, http.StatusOK, templates.Mailbox(d))
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

// Actions applies one action to the selected messages (a POST from the list or the
// message page): read, unread, flag, unflag, delete, archive, move.
func (h *Handlers) Actions(w http.ResponseWriter, r *http.Request) {
	cl, _, err := h.client(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx := r.Context()
	mailbox := mailboxParam(r)
	var uids []uint32
	for _, v := range r.PostForm["uid"] {
		if u := parseUID(v); u != 0 {
			uids = append(uids, u)
		}
	}
	action := r.PostFormValue("action")
	p, _ := strconv.Atoi(r.PostFormValue("page"))
	back := listURL(mailbox, mailclient.NormalizeQuery(r.PostFormValue("q")), max(p, 0))
	fromMessage := r.PostFormValue("from") == "message" && len(uids) == 1
	if len(uids) == 0 {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	switch action {
	case "read", "unread":
		err = cl.SetFlag(ctx, mailbox, uids, `\Seen`, action == "read")
	case "flag", "unflag":
		err = cl.SetFlag(ctx, mailbox, uids, `\Flagged`, action == "flag")
		if fromMessage {
			back = messageURL(mailbox, uids[0])
		}
	case "delete":
		err = cl.Delete(ctx, mailbox, uids)
	case "archive":
		err = cl.Archive(ctx, mailbox, uids)
	case "move":
		dest := r.PostFormValue("dest")
		if dest == "" {
			http.Redirect(w, r, back, http.StatusSeeOther)
			return
		}
		err = cl.Move(ctx, mailbox, uids, dest)
	default:
		h.Error(w, r, http.StatusBadRequest, "err.badrequest")
		return
	}
	if err != nil {
		h.fail(w, r, fmt.Errorf("action %s: %w", action, err))
		return
	}
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	http.Redirect(w, r, back+sep+"ok=done", http.StatusSeeOther)
}

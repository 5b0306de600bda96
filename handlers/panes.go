package handlers

import (
	"cmp"
	"context"
	"errors"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/mailclient"
	"github.com/yubinmail/yubin/web/session"
	"github.com/yubinmail/yubin/web/settings"
)

// The reading layout (issue 14 items 1 and 3): avatars and previews in the list,
// the reading pane beside it, next/previous in a message, and where a delete or
// move from a message goes.

// decorateRow gives a list row its avatar (the first letter of who it is from, on a
// colour picked from the address so a sender keeps theirs) and its preview line.
func decorateRow(row *templates.Row, people []mailclient.Address, preview string) {
	row.Preview = preview
	if len(people) == 0 {
		row.Initial, row.AvatarHue = "?", "av0"
		return
	}
	a := people[0]
	row.Initial = initial(a.Label())
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(a.Email)))
	row.AvatarHue = "av" + strconv.Itoa(int(h.Sum32()%8))
}

// initial is the first letter or digit of a name ("Bob" → "B", "山田 太郎" → "山",
// "\"Ann\" <a@x>" → "A"), upper-cased; "?" when it has none.
func initial(name string) string {
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return strings.ToUpper(string(r))
		}
	}
	return "?"
}

// WideCookie is set by static/panes.js to "1" while the browser's window is wide
// enough for the reading pane. With it (and the pane layout chosen), a message's
// own URL is answered with the list beside it, so that the URL the script shows
// for a message opened in the pane survives a reload and the browser's back and
// forward; without it (phones, no script) the message page stands alone.
const WideCookie = "yubin_wide"

func wideScreen(r *http.Request) bool {
	c, err := r.Cookie(WideCookie)
	return err == nil && c.Value == "1"
}

// panesFor says whether r is answered in the pane layout's full screen.
func panesFor(r *http.Request) bool {
	return settings.FromContext(r.Context()).ReadingPane() && wideScreen(r)
}

// readingPane fills the list screen's reading pane: on when the setting says so
// (phones ignore it: their CSS hides the pane), with message open (0: none)
// shown in it. A message that is gone is said so on the list, and the error
// returned (mailclient.ErrNotFound) for the status.
func (h *Handlers) readingPane(r *http.Request, cl *mailclient.Client, d *templates.MailboxData, folders []mailclient.Folder, open uint32) error {
	d.Panes = settings.FromContext(r.Context()).ReadingPane()
	if !d.Panes || open == 0 {
		return nil
	}
	m, err := h.messageData(r, cl, d.Shell, folders, d.Mailbox, open, true)
	if errors.Is(err, mailclient.ErrNotFound) {
		d.Error = d.Lang.T("err.gone")
		return err
	}
	if err != nil || m == nil {
		return err
	}
	// The title stays the folder's (with its unread count, static/live.js), as
	// when the script opens a message in the pane.
	d.Open, d.OpenUID = m, open
	for i := range d.Rows {
		if d.Rows[i].UID == open && d.Rows[i].Folder == "" {
			d.Rows[i].Unread = false // just read
		}
	}
	return nil
}

// navigation sets a message's previous (newer) and next (older) links in the
// order of the list it was opened from, and what a delete or move opens next.
func (h *Handlers) navigation(r *http.Request, cl *mailclient.Client, d *templates.MessageData, back listPlace) error {
	if back.Mailbox != d.Mailbox {
		return nil
	}
	newer, older, err := cl.Neighbors(r.Context(), d.Mailbox, d.UID)
	if err != nil {
		return err
	}
	link := func(uid uint32) string {
		if uid == 0 {
			return ""
		}
		return back.messageURL(d.Mailbox, uid)
	}
	d.PrevURL, d.NextURL = link(newer), link(older)
	if older != 0 {
		d.NextRef = strconv.FormatUint(uint64(older), 10)
	} else if newer != 0 {
		d.NextRef = strconv.FormatUint(uint64(newer), 10)
	}
	return nil
}

// searchNavigation sets a message's previous and next among the results of the
// search it was opened from (the same page of results: the search is asked again,
// as the list does), and what a delete or move opens next when that result is in
// the same folder.
func searchNavigation(r *http.Request, cl *mailclient.Client, d *templates.MessageData, back listPlace, folders []mailclient.Folder) error {
	mp, _, err := searchMessages(r.Context(), cl, back, folders, d.Lang, userZone(r), perPage(r))
	if err != nil {
		return err
	}
	at := -1
	for i, m := range mp.Messages {
		if cmp.Or(m.Mailbox, back.Mailbox) == d.Mailbox && m.UID == d.UID {
			at = i
			break
		}
	}
	if at < 0 {
		return nil
	}
	link := func(i int) (string, string, uint32) {
		if i < 0 || i >= len(mp.Messages) {
			return "", "", 0
		}
		m := mp.Messages[i]
		box := cmp.Or(m.Mailbox, back.Mailbox)
		return back.messageURL(box, m.UID), box, m.UID
	}
	var prevBox, nextBox string
	var prevUID, nextUID uint32
	d.PrevURL, prevBox, prevUID = link(at - 1)
	d.NextURL, nextBox, nextUID = link(at + 1)
	switch {
	case nextUID != 0 && nextBox == d.Mailbox:
		d.NextRef = strconv.FormatUint(uint64(nextUID), 10)
	case prevUID != 0 && prevBox == d.Mailbox:
		d.NextRef = strconv.FormatUint(uint64(prevUID), 10)
	}
	return nil
}

// afterMove is where a delete, archive or move of the message being read goes:
// the next message (the setting's default) or the list.
func afterMove(r *http.Request, list listPlace, box string) (string, bool) {
	if !settings.FromContext(r.Context()).NextAfterMove() {
		return "", false
	}
	next := parseUID(r.PostFormValue("next"))
	if next == 0 || box != list.Mailbox {
		return "", false
	}
	return list.messageURL(box, next), true
}

// appErrorWait bounds the folder list an error page inside the app waits for: the
// error may be the mail server's being slow.
const appErrorWait = 2 * time.Second

// framed says the request is for a frame's document (a mail's HTML body, an
// attachment's preview): its error must not be the whole app inside the frame.
func framed(r *http.Request) bool {
	return r.URL.Path == "/msg/html" || r.URL.Path == "/msg/preview" || r.Header.Get("Sec-Fetch-Dest") == "iframe"
}

// appError renders an error inside the signed-in frame (folders, top bar: a way
// on, and the browser's back still works), when there is a session and its mail
// connection answers; false when it cannot (the caller shows the plain page).
func (h *Handlers) appError(w http.ResponseWriter, r *http.Request, status int, message string) bool {
	if session.FromContext(r.Context()) == nil || r.Method != http.MethodGet || framed(r) {
		return false
	}
	ctx, cancel := context.WithTimeout(r.Context(), appErrorWait)
	defer cancel()
	cl, _, err := h.client(r.WithContext(ctx))
	if err != nil {
		return false
	}
	sh, _, err := h.shell(ctx, r, cl, Lang(r).T("err.title"), "")
	if err != nil {
		return false
	}
	h.render(w, r, status, templates.AppError(sh, message))
	return true
}

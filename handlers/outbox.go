package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/compose"
	"github.com/yubinmail/yubin/web/session"
	"github.com/yubinmail/yubin/web/settings"
)

func init() {
	flashKeys["unsent"] = "ob.undone"
	flashKeys["sendtoolate"] = "ob.toolate"
	flashKeys["unscheduled"] = "ob.cancelled"
}

// sendAtLayouts are what an <input type="datetime-local"> posts.
var sendAtLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05"}

// parseSendAt reads a "send later" time in the user's zone.
func parseSendAt(v string, loc *time.Location) (time.Time, bool) {
	for _, layout := range sendAtLayouts {
		if t, err := time.ParseInLocation(layout, strings.TrimSpace(v), loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// queueSend is Send when the message waits: for the undo delay, or until the
// "send later" time (issue 15 item 4). The message is stored in Drafts with the
// Message-ID it will be sent with, a row in the outbox says when, and
// web/outbox submits it exactly once, across restarts.
func (h *Handlers) queueSend(w http.ResponseWriter, r *http.Request, p posted, msg *compose.Message, schedule bool) {
	ctx, l := r.Context(), Lang(r)
	st := settings.FromContext(ctx)
	due := h.now().Add(st.Undo())
	if schedule {
		at := r.PostFormValue("send_at")
		p.form.SendAt = at
		t, ok := parseSendAt(at, st.Location(time.Local))
		if !ok || !t.After(h.now()) || t.After(h.now().AddDate(1, 0, 0)) {
			h.sendError(w, r, p, l.T("cmp.later.bad"))
			return
		}
		due = t
	}
	d := p.d
	d.MessageID = msg.MessageID
	waiting, err := compose.BuildDraft(d, h.Hostname, h.now())
	if err != nil {
		h.sendError(w, r, p, h.buildError(l, err))
		return
	}
	drafts, uid, err := h.storeDraft(ctx, p.cl, waiting, p.form.DraftUID)
	if err != nil || uid == 0 {
		h.Log.Warn("webmail: storing a message to send failed", "ip", ClientIP(r), "user", p.s.User, "err", err)
		h.sendError(w, r, p, l.T("err.server"))
		return
	}
	// From here the message is safe in Drafts: a problem shows the form on it.
	p.form.DraftUID, p.form.SrcMailbox, p.form.SrcUID = uid, drafts, uid
	keepFromDraft(&p.form, waiting.Raw)
	pw, err := p.s.Password()
	if err == nil {
		err = h.Outbox.Remember(ctx, p.s.User, pw)
	}
	var id int64
	if err == nil {
		id, err = h.Settings.Enqueue(ctx, settings.Outgoing{
			Account: p.s.User, MessageID: msg.MessageID, Mailbox: drafts, UID: uid,
			Sender: d.From.Email, Recipients: msg.Recipients, Subject: d.Subject, To: strings.TrimSpace(d.To),
			AnswersMailbox: p.form.ReplyMailbox, AnswersUID: p.form.ReplyUID, Due: due, Scheduled: schedule,
		})
	}
	if err != nil {
		h.Log.Warn("webmail: queueing a send failed", "ip", ClientIP(r), "user", p.s.User, "err", err)
		why := l.T("err.server")
		if errors.Is(err, settings.ErrOutboxFull) {
			why = err.Error()
		}
		h.composeError(w, r, p.cl, p.form, why)
		return
	}
	h.Outbox.Wake()
	h.Log.Info("webmail send queued", "ip", ClientIP(r), "user", p.s.User, "message_id", msg.MessageID, "due", due.UTC(), "scheduled", schedule)
	h.collectRecipients(r, d.To, d.Cc, d.Bcc)
	if schedule {
		http.Redirect(w, r, "/scheduled?ok=scheduled&id="+strconv.FormatInt(id, 10), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/mail?f=INBOX&sending="+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// undoBar is the "Sending… Undo" bar for the outbox row named in the URL, while
// it still waits.
func (h *Handlers) undoBar(r *http.Request, idParam string) *templates.UndoBar {
	s := session.FromContext(r.Context())
	id, err := strconv.ParseInt(idParam, 10, 64)
	if s == nil || err != nil || h.Outbox == nil {
		return nil
	}
	o, err := h.Settings.Outgoing(r.Context(), s.User, id)
	if err != nil || o.State != settings.StateQueued || o.Scheduled {
		return nil
	}
	return &templates.UndoBar{ID: id, Seconds: max(0, int(time.Until(o.Due).Round(time.Second).Seconds()))}
}

// OutboxUndo takes a message back while it waits out its undo delay: the row
// goes (if the runner has not claimed it: the database decides which came first)
// and the message opens in the editor again, from Drafts.
func (h *Handlers) OutboxUndo(w http.ResponseWriter, r *http.Request) {
	o, ok := h.takeBack(r)
	if !ok {
		http.Redirect(w, r, "/mail?f=INBOX&ok=sendtoolate", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/compose?draft="+strconv.FormatUint(uint64(o.UID), 10)+"&ok=unsent", http.StatusSeeOther)
}

// takeBack deletes the posted row if it is still waiting (queued, or failed).
func (h *Handlers) takeBack(r *http.Request) (settings.Outgoing, bool) {
	s := session.FromContext(r.Context())
	id, err := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	if err != nil || s == nil {
		return settings.Outgoing{}, false
	}
	o, err := h.Settings.Outgoing(r.Context(), s.User, id)
	if err != nil {
		return o, false
	}
	gone, err := h.Settings.DeleteOutgoing(r.Context(), s.User, id, settings.StateQueued, settings.StateFailed)
	if err != nil || !gone {
		return o, false
	}
	h.Settings.DropCredentialIfIdle(r.Context(), s.User)
	h.Log.Info("webmail send taken back", "ip", ClientIP(r), "user", s.User, "message_id", o.MessageID)
	return o, true
}

// ScheduledPage lists the account's waiting messages (send later, undo delays,
// failures), soonest first, in the user's zone.
func (h *Handlers) ScheduledPage(w http.ResponseWriter, r *http.Request) {
	cl, s, err := h.client(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx, l := r.Context(), Lang(r)
	sh, _, err := h.shell(ctx, r, cl, l.T("ob.title"), "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	loc := settings.FromContext(ctx).Location(time.Local)
	d := templates.ScheduledData{Shell: sh, Zone: loc.String()}
	rows, err := h.Settings.OutgoingOf(ctx, s.User)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, o := range rows {
		subj := o.Subject
		if subj == "" {
			subj = l.T("ob.nosubject")
		}
		state := o.State
		if state == settings.StateSubmitted {
			state = settings.StateSending
		}
		d.Items = append(d.Items, templates.ScheduledItem{ID: o.ID, When: l.LongDate(o.Due.In(loc)), ISO: o.Due.In(loc).Format(time.RFC3339),
			To: o.To, Subject: subj, State: state, Error: failReason(l, o),
			Editable: o.State == settings.StateQueued || o.State == settings.StateFailed})
		if r.URL.Query().Get("ok") == "scheduled" && r.URL.Query().Get("id") == strconv.FormatInt(o.ID, 10) {
			d.Flash = l.Tf("ob.scheduled", l.LongDate(o.Due.In(loc)))
		}
	}
	h.render(w, r, http.StatusOK, templates.Scheduled(d))
}

// ScheduledCancel takes a scheduled message out of the queue; it stays in Drafts.
func (h *Handlers) ScheduledCancel(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.takeBack(r); !ok {
		http.Redirect(w, r, "/scheduled?ok=sendtoolate", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/scheduled?ok=unscheduled", http.StatusSeeOther)
}

// ScheduledEdit takes a scheduled message out of the queue and opens it in the
// editor with its time filled in: scheduling it again puts it back.
func (h *Handlers) ScheduledEdit(w http.ResponseWriter, r *http.Request) {
	o, ok := h.takeBack(r)
	if !ok {
		http.Redirect(w, r, "/scheduled?ok=sendtoolate", http.StatusSeeOther)
		return
	}
	q := "draft=" + strconv.FormatUint(uint64(o.UID), 10)
	if o.Scheduled {
		loc := settings.FromContext(r.Context()).Location(time.Local)
		q += "&send_at=" + o.Due.In(loc).Format(sendAtLayouts[0])
	}
	http.Redirect(w, r, "/compose?"+q, http.StatusSeeOther)
}

// unscheduleOpened takes a draft opened for editing out of the outbox, if it
// waits there (opened from the Drafts folder): what is sent must be what the user
// last saw, so it is scheduled again, with its time filled in, by the form.
func (h *Handlers) unscheduleOpened(r *http.Request, d *templates.ComposeData) {
	s := session.FromContext(r.Context())
	o, err := h.Settings.OutgoingFor(r.Context(), s.User, d.SrcMailbox, d.DraftUID)
	if err != nil {
		return
	}
	if gone, err := h.Settings.DeleteOutgoing(r.Context(), s.User, o.ID, settings.StateQueued, settings.StateFailed); err != nil || !gone {
		return
	}
	h.Settings.DropCredentialIfIdle(r.Context(), s.User)
	if o.Scheduled && d.SendAt == "" {
		d.SendAt = o.Due.In(settings.FromContext(r.Context()).Location(time.Local)).Format(sendAtLayouts[0])
	}
	d.Flash = d.Lang.T("ob.unscheduled")
}

// failReason is why a row failed, in the user's language ("" unless failed).
func failReason(l templates.Lang, o settings.Outgoing) string {
	if o.State != settings.StateFailed {
		return ""
	}
	if l.Has(o.Error) {
		return l.T(o.Error)
	}
	return l.T("ob.err.refused")
}

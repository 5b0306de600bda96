package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/compose"
	"github.com/yubinmail/yubin/web/mailclient"
	"github.com/yubinmail/yubin/web/mailview"
	"github.com/yubinmail/yubin/web/session"
	"github.com/yubinmail/yubin/web/settings"
)

// ComposeForm shows a new message, a reply, reply-all, a forward, or a reopened draft.
func (h *Handlers) ComposeForm(w http.ResponseWriter, r *http.Request) {
	cl, s, err := h.client(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	l := Lang(r)
	sh, _, err := h.shell(ctx, r, cl, l.T("cmp.title"), "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := templates.ComposeData{Shell: sh, LimitText: l.Tf("cmp.limit", templates.Size(h.attachLimit())), LimitBytes: h.attachLimit()}
	d.Title = l.T("cmp.title")
	d.Froms = h.senderChoices(r)
	d.From, d.Signature = d.Froms[0].Address, d.Froms[0].Signature
	mailbox, uid, mode := mailboxParam(r), parseUID(q.Get("uid")), q.Get("mode")
	if draft := parseUID(q.Get("draft")); draft != 0 {
		mailbox, uid, mode = cl.SpecialFolder(ctx, mailclient.UseDrafts), draft, "draft"
	}
	if uid != 0 {
		m, err := cl.FetchMessage(ctx, mailbox, uid, false)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		v, err := mailview.Parse(m.Raw)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if v.Date.IsZero() {
			v.Date = m.InternalDate
		}
		fillFromOriginal(&d, l, s.User, mode, mailbox, uid, v, settings.FromContext(ctx).SignatureAbove, len(m.Raw))
		d.Rich = settings.FromContext(ctx).RichText
		if mode == "draft" {
			d.Rich = false
			reopenRich(&d, l, m.Raw, v.Text)
		}
	} else {
		if to := q.Get("to"); to != "" && !strings.ContainsAny(to, "\r\n") {
			d.To = to // "write to" from the contacts page
		}
		d.Body = withSignature("", "", d.Signature, false)
		d.Rich = settings.FromContext(ctx).RichText
	}
	d.ZoneName, d.CanSchedule = h.zoneName(r), h.Outbox != nil
	if at := q.Get("send_at"); at != "" {
		if _, ok := parseSendAt(at, time.UTC); ok {
			d.SendAt = at
		}
	}
	if d.DraftUID != 0 && h.Outbox != nil {
		h.unscheduleOpened(r, &d)
	}
	h.render(w, r, http.StatusOK, templates.Compose(d))
}

func fillFromOriginal(d *templates.ComposeData, l templates.Lang, self, mode, mailbox string, uid uint32, v *mailview.View, sigAbove bool, size int) {
	// A reply or forward is sent from the address the original came to, when that
	// is one of the user's identities.
	if mode != "draft" {
		d.From, d.Signature = pickFrom(d.Froms, append(append([]mailview.Address{}, v.To...), v.Cc...))
	}
	switch mode {
	case "reply", "replyall":
		rp := compose.NewReply(v, self, mode == "replyall")
		d.To, d.Cc, d.Subject = addressList(rp.To), addressList(rp.Cc), rp.Subject
		d.Body = withSignature("", compose.QuoteWith(l.QuoteLine(quoteFrom(l, v.From), v.Date), v.Text), d.Signature, sigAbove)
		d.FocusBody = true
		d.InReplyTo, d.References = rp.InReplyTo, strings.Join(rp.References, " ")
		d.ReplyMailbox, d.ReplyUID = mailbox, uid
		d.Title = l.T("msg.reply")
	case "forward":
		d.Subject = compose.ForwardSubject(v.Subject)
		d.Body = withSignature("", compose.ForwardText(v, compose.ForwardLabels{
			Heading: l.T("fwd.header"), From: l.T("fwd.from"), Date: l.T("fwd.date"),
			Subject: l.T("fwd.subject"), To: l.T("fwd.to"),
		}, l.LongDate(v.Date)), d.Signature, sigAbove)
		d.FocusBody = true
		d.SrcMailbox, d.SrcUID = mailbox, uid
		d.Keep, d.UsedBytes = keepList(v), keepBytes(v)
		d.Title = l.T("msg.forward")
		if v.HasHTML {
			d.FwdMailbox, d.FwdUID = mailbox, uid
		}
	case "forwardatt":
		d.Subject = compose.ForwardSubject(v.Subject)
		d.Body = withSignature("", "", d.Signature, false)
		d.SrcMailbox, d.SrcUID = mailbox, uid
		d.Keep = []templates.Attachment{{Name: messageAttachment(nil, v.Subject).Name, Size: templates.Size(int64(size)), Path: wholeMessagePart, Type: "message/rfc822"}}
		d.UsedBytes = int64(size)
		d.Title = l.T("msg.forwardatt")
		d.FocusBody = true
	case "draft":
		d.To, d.Cc, d.Subject, d.Body = addressList(v.To), addressList(v.Cc), v.Subject, v.Text
		d.From, d.Signature = pickFrom(d.Froms, v.From)
		d.Bcc = addressList(v.Bcc) // BuildDraft keeps Bcc in a draft; Build never sends it
		inReplyTo, refs := compose.DraftThreading(v)
		d.InReplyTo, d.References = inReplyTo, strings.Join(refs, " ")
		d.SrcMailbox, d.SrcUID, d.DraftUID = mailbox, uid, uid
		d.Keep, d.UsedBytes = keepList(v), keepBytes(v)
		if v.HasHTML {
			d.FwdMailbox, d.FwdUID, d.FwdDraft = mailbox, uid, true
		}
	}
}

// pickFrom is the first of the user's addresses found in addrs, else the account's.
func pickFrom(froms []templates.FromChoice, addrs []mailview.Address) (string, string) {
	for _, f := range froms[1:] {
		for _, a := range addrs {
			if strings.EqualFold(a.Email, f.Address) {
				return f.Address, f.Signature
			}
		}
	}
	return froms[0].Address, froms[0].Signature
}

// keepBytes is the size of the parts keepList lists.
func keepBytes(v *mailview.View) int64 {
	var n int64
	for _, a := range v.Attachments {
		if !a.Inline {
			n += a.Size
		}
	}
	return n
}

func keepList(v *mailview.View) []templates.Attachment {
	var out []templates.Attachment
	for _, a := range v.Attachments {
		if !a.Inline {
			out = append(out, templates.Attachment{Name: a.Filename, Size: templates.Size(a.Size), Path: a.Path, Type: a.ContentType})
		}
	}
	return out
}

// quoteFrom names the original's sender on the attribution line: the whole address
// in English ("Taro Yamada <yamada@example.jp>"), the name alone in Japanese, where
// "さん" follows it.
func quoteFrom(l templates.Lang, from []mailview.Address) string {
	if l != "ja" {
		return addressList(from)
	}
	return names(from)
}

// attachLimit is how much may be attached: base64 grows data by 4/3.
func (h *Handlers) attachLimit() int64 { return h.MaxMessageBytes * 3 / 4 }

// draftFromForm reads the compose form, including uploads and carried-over parts.
func (h *Handlers) draftFromForm(ctx context.Context, r *http.Request, cl *mailclient.Client, user string) (compose.Draft, templates.ComposeData, error) {
	f := r.PostFormValue
	from, replyTo := h.sender(r, f("from"))
	d := compose.Draft{
		From: from, ReplyTo: replyTo,
		To: f("to"), Cc: f("cc"), Bcc: f("bcc"), Subject: f("subject"),
		Body:      strings.ReplaceAll(f("body"), "\r\n", "\n"),
		InReplyTo: f("in_reply_to"), References: strings.Fields(f("references")),
	}
	form := templates.ComposeData{
		To: d.To, Cc: d.Cc, Bcc: d.Bcc, Subject: d.Subject, Body: d.Body, InReplyTo: d.InReplyTo, References: f("references"),
		ReplyMailbox: f("reply_f"), ReplyUID: parseUID(f("reply_uid")), SrcMailbox: f("src_f"), SrcUID: parseUID(f("src_uid")),
		DraftUID: parseUID(f("draft_uid")), From: from.Email,
		FwdMailbox: f("fwd_f"), FwdUID: parseUID(f("fwd_uid")), FwdDraft: f("fwd_draft") != "",
	}
	rich := richFromForm(r, &d, &form)
	if form.FwdUID != 0 {
		if fwd := forwardHTML(ctx, cl, Lang(r), form.FwdMailbox, form.FwdUID, form.FwdDraft, d.Body, rich); fwd != "" || rich == "" {
			d.HTML = fwd
		}
	}
	var total int64
	if srcUID := form.SrcUID; srcUID != 0 && len(r.PostForm["src_part"]) > 0 {
		m, err := cl.FetchMessage(ctx, form.SrcMailbox, srcUID, false)
		if err != nil {
			return d, form, fmt.Errorf("fetch original: %w", err)
		}
		src, err := mailview.Open(m.Raw) // parsed once for every carried-over part
		if err != nil {
			return d, form, fmt.Errorf("parse original: %w", err)
		}
		for _, path := range r.PostForm["src_part"] {
			if path == wholeMessagePart { // forward as attachment
				f := messageAttachment(m.Raw, src.View().Subject)
				total += int64(len(f.Data))
				form.UsedBytes += int64(len(f.Data))
				d.Attachments = append(d.Attachments, f)
				form.Keep = append(form.Keep, templates.Attachment{Name: f.Name, Size: templates.Size(int64(len(f.Data))), Path: path})
				continue
			}
			data, ct, name, err := src.Part(path)
			if err != nil {
				continue
			}
			total += int64(len(data))
			form.UsedBytes += int64(len(data))
			d.Attachments = append(d.Attachments, compose.File{Name: name, ContentType: ct, Data: data})
			form.Keep = append(form.Keep, templates.Attachment{Name: name, Size: templates.Size(int64(len(data))), Path: path})
		}
	}
	if r.MultipartForm != nil {
		for i, fh := range r.MultipartForm.File["file"] {
			if fh.Filename == "" && fh.Size == 0 {
				continue
			}
			file, err := fh.Open()
			if err != nil {
				return d, form, fmt.Errorf("upload: %w", err)
			}
			data, err := io.ReadAll(io.LimitReader(file, h.attachLimit()+1))
			file.Close()
			if err != nil {
				return d, form, fmt.Errorf("upload: %w", err)
			}
			total += int64(len(data))
			ct := fh.Header.Get("Content-Type")
			if ct == "" {
				ct = "application/octet-stream"
			}
			if cid, ok := inlineUpload(r, i, ct); ok {
				d.Inline = append(d.Inline, compose.File{Name: fh.Filename, ContentType: ct, Data: data, ContentID: cid})
				continue // counted with the inline parts below
			}
			d.Attachments = append(d.Attachments, compose.File{Name: fh.Filename, ContentType: ct, Data: data})
		}
	}
	if d.HTML != "" {
		n := inlineParts(ctx, cl, &d, partSource{form.FwdMailbox, form.FwdUID}, partSource{form.SrcMailbox, form.SrcUID})
		total += n
		form.UsedBytes += n
		if rich != "" && len(d.Inline) > 0 {
			form.RichHTML = editorHTML(rich, inlineLookup(d.Inline))
		}
	}
	if total > h.attachLimit() {
		return d, form, errTooBig
	}
	return d, form, nil
}

var errTooBig = errors.New("attachments too large")

// composeError re-shows the form with the user's input and a readable problem.
func (h *Handlers) composeError(w http.ResponseWriter, r *http.Request, cl *mailclient.Client, form templates.ComposeData, msg string) {
	h.composeErrorStatus(w, r, cl, form, msg, http.StatusBadRequest)
}

func (h *Handlers) composeErrorStatus(w http.ResponseWriter, r *http.Request, cl *mailclient.Client, form templates.ComposeData, msg string, status int) {
	l := Lang(r)
	sh, _, err := h.shell(r.Context(), r, cl, l.T("cmp.title"), "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	form.Shell = sh
	form.Title = l.T("cmp.title")
	form.Error = msg
	form.LimitText = l.Tf("cmp.limit", templates.Size(h.attachLimit()))
	form.LimitBytes = h.attachLimit()
	form.Froms = h.senderChoices(r)
	for _, f := range form.Froms {
		if strings.EqualFold(f.Address, form.From) {
			form.Signature = f.Signature
		}
	}
	form.ZoneName, form.CanSchedule = h.zoneName(r), h.Outbox != nil
	h.render(w, r, status, templates.Compose(form))
}

func (h *Handlers) buildError(l templates.Lang, err error) string {
	switch {
	case errors.Is(err, compose.ErrHeaderInjection):
		return l.T("cmp.injection")
	case errors.Is(err, errTooBig):
		return l.T("cmp.toobig")
	}
	return err.Error()
}

// posted is a compose form read from a Send or SaveDraft POST.
type posted struct {
	cl   *mailclient.Client
	s    *session.Session
	d    compose.Draft
	form templates.ComposeData
}

// postedForm reads the compose form of a Send or SaveDraft POST. When ok is false it
// has already answered: the form again, with the reason, for an over-size upload; an
// error page otherwise.
func (h *Handlers) postedForm(w http.ResponseWriter, r *http.Request) (p posted, ok bool) {
	cl, s, err := h.client(r)
	if err != nil {
		h.fail(w, r, err)
		return p, false
	}
	d, form, err := h.draftFromForm(r.Context(), r, cl, s.User)
	if err != nil {
		if errors.Is(err, errTooBig) {
			h.composeError(w, r, cl, form, h.buildError(Lang(r), err))
		} else {
			h.fail(w, r, err)
		}
		return p, false
	}
	return posted{cl: cl, s: s, d: d, form: form}, true
}

// Send builds the message (web/compose) and sends it with the user's credentials
// (mailclient.Submit: submission, the copy in Sent, \Answered, the draft dropped).
func (h *Handlers) Send(w http.ResponseWriter, r *http.Request) {
	p, ok := h.postedForm(w, r)
	if !ok {
		return
	}
	cl, s, d, form := p.cl, p.s, p.d, p.form
	ctx, l := r.Context(), Lang(r)
	if strings.TrimSpace(d.To+d.Cc+d.Bcc) == "" {
		h.sendError(w, r, p, l.T("cmp.norcpt"))
		return
	}
	msg, err := compose.Build(d, h.Hostname, h.now())
	if err != nil {
		h.sendError(w, r, p, h.buildError(l, err))
		return
	}
	if schedule := r.PostFormValue("schedule") != ""; h.Outbox != nil && (schedule || settings.FromContext(ctx).Undo() > 0) {
		h.queueSend(w, r, p, msg, schedule)
		return
	}
	followUp, err := cl.Submit(ctx, mailclient.Submission{
		From: d.From.Email, Recipients: msg.Recipients, Raw: msg.Raw,
		AnswersMailbox: form.ReplyMailbox, AnswersUID: form.ReplyUID, DraftUID: form.DraftUID,
	})
	if err != nil {
		var se *mailclient.SendError
		if errors.As(err, &se) {
			h.Log.Info("webmail send refused", "ip", ClientIP(r), "user", s.User, "err", se)
			h.sendError(w, r, p, sendWords(l, se))
			return
		}
		h.Log.Warn("webmail send failed", "ip", ClientIP(r), "user", s.User, "err", err)
		h.sendError(w, r, p, l.T("err.server"))
		return
	}
	h.Log.Info("webmail sent", "ip", ClientIP(r), "user", s.User, "message_id", msg.MessageID, "recipients", len(msg.Recipients))
	h.collectRecipients(r, d.To, d.Cc, d.Bcc)
	flash := "sent"
	if followUp != nil {
		// The message is out: logged, not shown as a failure (re-sending would
		// duplicate the mail). A full mailbox is worth saying: the user would
		// otherwise look for the copy in Sent.
		h.Log.Warn("webmail: bookkeeping after send failed", "user", s.User, "err", followUp)
		if imapCode(followUp) == imap.ResponseCodeOverQuota {
			flash = "sentfull"
		}
	}
	http.Redirect(w, r, "/mail?f=INBOX&ok="+flash, http.StatusSeeOther)
}

// sendError shows the form again after a failed send with everything in it: files
// uploaded with this request (a browser without script) are first stored in a
// draft, so they come back as attached parts instead of being dropped.
func (h *Handlers) sendError(w http.ResponseWriter, r *http.Request, p posted, msg string) {
	form := p.form
	if len(p.d.Attachments) > len(form.Keep) {
		if m, err := compose.BuildDraft(p.d, h.Hostname, h.now()); err == nil {
			if drafts, uid, err := h.storeDraft(r.Context(), p.cl, m, form.DraftUID); err == nil && uid != 0 {
				form.DraftUID, form.SrcMailbox, form.SrcUID = uid, drafts, uid
				keepFromDraft(&form, m.Raw)
			}
		}
	}
	h.composeError(w, r, p.cl, form, msg)
}

// keepFromDraft lists the attachments of the draft just stored from the form as
// the parts it carries over.
func keepFromDraft(form *templates.ComposeData, raw []byte) {
	form.Keep, form.UsedBytes = nil, 0
	if v, err := mailview.Parse(raw); err == nil {
		form.Keep, form.UsedBytes = keepList(v), keepBytes(v)
	}
}

// SaveDraft stores the form as a draft (APPEND to Drafts with \Draft) and reopens it;
// the previous version of the draft is removed.
func (h *Handlers) SaveDraft(w http.ResponseWriter, r *http.Request) {
	p, ok := h.postedForm(w, r)
	if !ok {
		return
	}
	cl, d, form := p.cl, p.d, p.form
	ctx, l := r.Context(), Lang(r)
	msg, err := compose.BuildDraft(d, h.Hostname, h.now())
	if err != nil {
		h.composeError(w, r, cl, form, h.buildError(l, err))
		return
	}
	drafts, uid, err := h.storeDraft(ctx, cl, msg, form.DraftUID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if uid == 0 { // no APPENDUID from this server: show the folder instead
		http.Redirect(w, r, mailboxURL(drafts, 0)+"&ok=saved", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/compose?draft="+strconv.FormatUint(uint64(uid), 10)+"&ok=saved", http.StatusSeeOther)
}

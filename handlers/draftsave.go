package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/compose"
	"github.com/yubinmail/yubin/web/mailclient"
	"github.com/yubinmail/yubin/web/mailview"
	"github.com/yubinmail/yubin/web/settings"
)

// savedDraft is the answer to an autosave or an upload (static/compose.js): where
// the newest version of the draft is and what it carries, so the form goes on from
// it (its parts are then carried over from the draft, not uploaded again).
type savedDraft struct {
	DraftUID    uint32      `json:"draft_uid"`
	Mailbox     string      `json:"src_f"`
	Attachments []savedFile `json:"attachments"`
	Saved       string      `json:"saved"` // the time, as the user reads it
	Error       string      `json:"error,omitempty"`
	Used        int64       `json:"used"` // bytes of attachments, against the limit
}

type savedFile struct {
	Path string `json:"path"`
	Name string `json:"name"`
	Size string `json:"size"`
}

// DraftAutosave stores the compose form as the newest version of its draft (APPEND
// to Drafts, then the previous version's UID expunged) and answers JSON. The
// browser calls it a few seconds after each change, when the page is left, and
// with each file as soon as it is chosen (issue 15 item 3: never lose a word).
func (h *Handlers) DraftAutosave(w http.ResponseWriter, r *http.Request) {
	l := Lang(r)
	cl, s, err := h.client(r)
	if err != nil {
		h.jsonError(w, http.StatusUnauthorized, l.T("err.server"))
		return
	}
	ctx := r.Context()
	d, form, err := h.draftFromForm(ctx, r, cl, s.User)
	if errors.Is(err, errTooBig) {
		h.jsonError(w, http.StatusRequestEntityTooLarge, l.Tf("cmp.toobig.limit", templates.Size(h.attachLimit())))
		return
	}
	if err != nil {
		h.Log.Warn("webmail autosave failed", "ip", ClientIP(r), "user", s.User, "err", err)
		h.jsonError(w, http.StatusBadGateway, l.T("err.server"))
		return
	}
	msg, err := compose.BuildDraft(d, h.Hostname, h.now())
	if err != nil {
		h.jsonError(w, http.StatusBadRequest, h.buildError(l, err))
		return
	}
	drafts, uid, err := h.storeDraft(ctx, cl, msg, form.DraftUID)
	if err != nil {
		h.Log.Warn("webmail autosave failed", "ip", ClientIP(r), "user", s.User, "err", err)
		h.jsonError(w, http.StatusBadGateway, l.T("err.server"))
		return
	}
	out := savedDraft{DraftUID: uid, Mailbox: drafts, Attachments: []savedFile{},
		Saved: h.now().In(settings.FromContext(ctx).Location(h.now().Location())).Format("15:04:05")}
	if v, err := mailview.Parse(msg.Raw); err == nil {
		for _, a := range keepList(v) {
			out.Attachments = append(out.Attachments, savedFile{Path: a.Path, Name: a.Name, Size: a.Size})
		}
		out.Used = keepBytes(v) + inlineBytes(v)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(out)
}

// storeDraft appends msg to Drafts and removes the version it replaces (old, 0
// for none). Without APPENDUID (RFC 4315) the new version is found by its
// Message-ID.
func (h *Handlers) storeDraft(ctx context.Context, cl *mailclient.Client, msg *compose.Message, old uint32) (string, uint32, error) {
	drafts := cl.SpecialFolder(ctx, mailclient.UseDrafts)
	uid, err := cl.Append(ctx, drafts, []string{`\Draft`, `\Seen`}, msg.Raw)
	if err != nil {
		return drafts, 0, err
	}
	if uid == 0 {
		if uids, err := cl.FindMessageID(ctx, drafts, msg.MessageID); err == nil && len(uids) > 0 {
			uid = uids[len(uids)-1]
		}
	}
	if old != 0 && old != uid {
		if err := cl.Expunge(ctx, drafts, []uint32{old}); err != nil {
			h.Log.Warn("webmail: removing old draft failed", "user", cl.Username(), "err", err)
		}
	}
	return drafts, uid, nil
}

func (h *Handlers) jsonError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(savedDraft{Error: msg, Attachments: []savedFile{}})
}

// ComposeTooLarge answers a compose POST whose upload went over the limit (the
// web layer read its text fields back, see web/oversize.go): the form again with
// the text as typed, the attachments already in the draft, and the limit.
func (h *Handlers) ComposeTooLarge(w http.ResponseWriter, r *http.Request) {
	cl, s, err := h.client(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	_, form, err := h.draftFromForm(r.Context(), r, cl, s.User)
	if err != nil && !errors.Is(err, errTooBig) {
		h.fail(w, r, err)
		return
	}
	h.Log.Info("webmail upload over the limit", "ip", ClientIP(r), "user", s.User)
	h.composeErrorStatus(w, r, cl, form, Lang(r).Tf("cmp.toobig.limit", templates.Size(h.attachLimit())), http.StatusRequestEntityTooLarge)
}

// AutosaveTooLarge is ComposeTooLarge for the autosave: the draft is left as it
// was, and the browser is told why.
func (h *Handlers) AutosaveTooLarge(w http.ResponseWriter, r *http.Request) {
	h.jsonError(w, http.StatusRequestEntityTooLarge, Lang(r).Tf("cmp.toobig.limit", templates.Size(h.attachLimit())))
}

// zoneName is the user's time zone's name, for the "send later" field.
func (h *Handlers) zoneName(r *http.Request) string {
	return settings.FromContext(r.Context()).Location(time.Local).String()
}

package handlers

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/yubinmail/yubin/static"
	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/mailclient"
	"github.com/yubinmail/yubin/web/push"
	"github.com/yubinmail/yubin/web/session"
	"github.com/yubinmail/yubin/web/settings"
)

// PushSettingsPath is the page of phone (and desktop) notifications: this device's
// button, the devices that get them, and what they say.
const PushSettingsPath = "/settings/push"

// HasUser reports whether any tab of the account has a live stream open.
func (s *Streams) HasUser(user string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byUser[strings.ToLower(user)] > 0
}

// PushPayload words a notification of new mail in lang: with full, who it is from
// and its subject (the payload is encrypted for the device, RFC 8291, so the push
// service reads none of it); without, only that mail came.
func PushPayload(lang string, news []mailclient.Arrival, total int, full bool) push.Payload {
	l := templates.PickLang(lang)
	p := push.Payload{Title: l.T("push.new"), URL: "/mail?f=INBOX", Tag: "inbox"}
	if total > 1 {
		p.Title = l.Tf("push.many", total)
	}
	if len(news) == 0 {
		return p
	}
	last := news[len(news)-1]
	if total == 1 {
		p.URL = "/msg?" + msgQuery("INBOX", last.UID)
	}
	if !full {
		return p
	}
	subject := last.Subject
	if subject == "" {
		subject = l.T("list.nosubject")
	}
	if total == 1 {
		p.Title = l.Tf("push.from", clipRunes(last.From.Label(), 80))
		p.Body = clipRunes(subject, 200)
	} else {
		p.Body = clipRunes(last.From.Label(), 80) + ": " + clipRunes(subject, 200)
	}
	return p
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// PushSettingsPage shows the devices that get notifications and the button that
// adds this one (static/pwa.js).
func (h *Handlers) PushSettingsPage(w http.ResponseWriter, r *http.Request) {
	cl, _, err := h.client(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sh, _, err := h.shell(r.Context(), r, cl, Lang(r).T("push.title"), "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	subs, err := h.Settings.PushSubscriptions(r.Context(), sh.User)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := templates.PushSettingsData{Shell: sh, Key: h.Push.PublicKey(),
		Full: settings.FromContext(r.Context()).PushContent != settings.PushBare}
	for _, s := range subs {
		d.Devices = append(d.Devices, templates.PushDevice{ID: strconv.FormatInt(s.ID, 10), Label: s.Label,
			Since: sh.Lang.LongDate(s.Created)})
	}
	if r.URL.Query().Get("ok") != "" {
		d.Flash = d.Lang.T("set.saved")
	}
	h.render(w, r, http.StatusOK, templates.PushSettings(d))
}

// PushSubscribe stores this device's subscription (the browser's PushSubscription
// as JSON) and starts watching the account's INBOX with this visit's credentials.
func (h *Handlers) PushSubscribe(w http.ResponseWriter, r *http.Request) {
	s := session.FromContext(r.Context())
	var posted struct {
		Endpoint string `json:"endpoint"`
		Keys     struct {
			P256dh string `json:"p256dh"`
			Auth   string `json:"auth"`
		} `json:"keys"`
	}
	raw := r.PostFormValue("subscription")
	if len(raw) > 8<<10 || json.Unmarshal([]byte(raw), &posted) != nil {
		h.Error(w, r, http.StatusBadRequest, "err.badrequest")
		return
	}
	sub := settings.PushSubscription{Endpoint: posted.Endpoint, P256dh: posted.Keys.P256dh, Auth: posted.Keys.Auth,
		Label: settings.DeviceLabel(r.UserAgent()), Lang: string(Lang(r))}
	if err := h.Push.Sender().CheckSubscription(sub); err != nil {
		h.Log.Info("webmail push: subscription refused", "ip", ClientIP(r), "user", s.User, "err", err)
		h.Error(w, r, http.StatusBadRequest, "err.badrequest")
		return
	}
	err := h.Settings.AddPushSubscription(r.Context(), s.User, sub)
	switch {
	case errors.Is(err, settings.ErrTooManyDevices):
		h.Error(w, r, http.StatusBadRequest, "push.toomany")
		return
	case err != nil:
		h.Log.Warn("webmail push: subscription not stored", "user", s.User, "err", err)
		h.Error(w, r, http.StatusInternalServerError, "err.server")
		return
	}
	pw, err := s.Password()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.Push.Ensure(r.Context(), s.User, h.mailOptions(s.User, pw))
	h.Log.Info("webmail push: device subscribed", "ip", ClientIP(r), "user", s.User, "device", sub.Label)
	w.WriteHeader(http.StatusNoContent)
}

// PushRemove removes one of the account's devices.
func (h *Handlers) PushRemove(w http.ResponseWriter, r *http.Request) {
	user := session.FromContext(r.Context()).User
	id, err := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	if err != nil {
		h.Error(w, r, http.StatusBadRequest, "err.badrequest")
		return
	}
	if err := h.Settings.RemovePushSubscription(r.Context(), user, id); err != nil {
		h.Error(w, r, http.StatusInternalServerError, "err.server")
		return
	}
	http.Redirect(w, r, PushSettingsPath+"?ok=1", http.StatusSeeOther)
}

// PushContentSave stores what notifications say.
func (h *Handlers) PushContentSave(w http.ResponseWriter, r *http.Request) {
	user := session.FromContext(r.Context()).User
	content := settings.PushBare
	if r.PostFormValue("full") == "1" {
		content = settings.PushFull
	}
	if _, err := h.Settings.Update(r.Context(), user, func(st *settings.Settings) error {
		st.PushContent = content
		return nil
	}); err != nil {
		h.Error(w, r, http.StatusInternalServerError, "err.server")
		return
	}
	http.Redirect(w, r, PushSettingsPath+"?ok=1", http.StatusSeeOther)
}

// Manifest is the web app manifest (W3C Web Application Manifest): what makes the
// webmail installable, opening on the inbox in a window of its own.
func (h *Handlers) Manifest(w http.ResponseWriter, r *http.Request) {
	l := Lang(r)
	m := map[string]any{
		"name": l.T("pwa.name"), "short_name": l.T("app"), "lang": string(l),
		"id": "/", "start_url": "/mail?f=INBOX", "scope": "/", "display": "standalone",
		"background_color": "#f7f6f3", "theme_color": "#b8322a",
		"icons": []map[string]string{
			{"src": static.URL("icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
			{"src": static.URL("icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
			{"src": static.URL("icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
		},
	}
	w.Header().Set("Content-Type", "application/manifest+json")
	w.Header().Set("Cache-Control", "no-cache")
	json.NewEncoder(w).Encode(m)
}

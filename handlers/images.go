package handlers

import (
	"errors"
	"net/http"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/mailview"
	"github.com/yubinmail/yubin/web/session"
	"github.com/yubinmail/yubin/web/settings"
)

// RemoteImage serves one remote image of a message through the image proxy
// (web/imageproxy): only for a signed-in user, and only a URL the message page
// signed for that user's account.
func (h *Handlers) RemoteImage(w http.ResponseWriter, r *http.Request) {
	h.Images.Serve(w, r, session.FromContext(r.Context()).User)
}

// decideImages says whether the message's remote images load (through the proxy)
// and what the page offers about them, from the user's policy (settings
// RemoteImages): on request (images=1) always; with "always" always; with "ask"
// also when the sender is on the user's list — but only when the server verified
// the sender (an unverified From could be anybody's, and showing images confirms
// the reading to whoever forged it); with "never" only on request.
func (h *Handlers) decideImages(r *http.Request, d *templates.MessageData, msg *mailview.Message, v *mailview.View) {
	mailbox, uid := d.Mailbox, d.UID
	st := settings.FromContext(r.Context())
	user := session.FromContext(r.Context()).User
	sender := ""
	if len(v.From) > 0 {
		sender = v.From[0].Email
	}
	verified := d.Unverified == ""
	show := r.URL.Query().Get("images") == "1"
	if !show && msg.RemoteImages() {
		switch st.RemoteImages {
		case settings.ImagesAlways:
			show, d.ImagesAuto = true, true
		case settings.ImagesAsk:
			if verified && sender != "" {
				ok, err := h.Settings.ImagesAllowedFrom(r.Context(), user, sender)
				if err != nil {
					h.Log.Warn("webmail: image senders not read", "user", user, "err", err)
				}
				show, d.ImagesAuto = ok, ok
			}
		}
	}
	if show {
		d.HTMLURL = "/msg/html?" + msgQuery(mailbox, uid, "images", "1")
		if d.ImagesAuto && st.RemoteImages == settings.ImagesAsk {
			d.ImagesSender = sender // "shown because you allowed this sender" with a way back
		}
		return
	}
	d.HTMLURL = "/msg/html?" + msgQuery(mailbox, uid)
	d.ImagesBlocked = msg.RemoteImages()
	d.ShowImagesURL = "/msg?" + msgQuery(mailbox, uid, "images", "1")
	if d.ImagesBlocked && verified && st.RemoteImages == settings.ImagesAsk {
		d.ImagesSender = sender // offer "always show images from this sender"
	}
}

// ImageSenderAllow remembers "always show images from this sender" and shows the
// message again, now with its images.
func (h *Handlers) ImageSenderAllow(w http.ResponseWriter, r *http.Request) {
	user := session.FromContext(r.Context()).User
	err := h.Settings.AllowImagesFrom(r.Context(), user, r.PostFormValue("sender"))
	switch {
	case errors.Is(err, settings.ErrTooManySenders):
		h.Error(w, r, http.StatusBadRequest, "img.toomany")
		return
	case err != nil:
		h.Error(w, r, http.StatusBadRequest, "err.badrequest")
		return
	}
	h.Log.Info("webmail: images allowed from a sender", "ip", ClientIP(r), "user", user)
	h.backToImages(w, r)
}

// ImageSenderForget takes a sender off the list.
func (h *Handlers) ImageSenderForget(w http.ResponseWriter, r *http.Request) {
	user := session.FromContext(r.Context()).User
	if err := h.Settings.ForgetImageSender(r.Context(), user, r.PostFormValue("sender")); err != nil {
		h.Log.Warn("webmail: image sender not removed", "user", user, "err", err)
		h.Error(w, r, http.StatusInternalServerError, "err.server")
		return
	}
	h.backToImages(w, r)
}

// backToImages returns to the message the form was on, or to the images settings.
func (h *Handlers) backToImages(w http.ResponseWriter, r *http.Request) {
	if uid := parseUID(r.PostFormValue("uid")); uid != 0 {
		http.Redirect(w, r, "/msg?"+msgQuery(r.PostFormValue("f"), uid), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, ImagesSettingsPath+"?ok=1", http.StatusSeeOther)
}

// ImagesSettingsPath is the page of the remote images policy and sender list.
const ImagesSettingsPath = "/settings/images"

// ImagesSettingsPage shows the remote images policy and the senders allowed.
func (h *Handlers) ImagesSettingsPage(w http.ResponseWriter, r *http.Request) {
	cl, _, err := h.client(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sh, _, err := h.shell(r.Context(), r, cl, Lang(r).T("img.title"), "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	senders, err := h.Settings.ImageSenders(r.Context(), sh.User)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := templates.ImagesSettingsData{Shell: sh, Policy: settings.FromContext(r.Context()).RemoteImages, Senders: senders}
	if r.URL.Query().Get("ok") != "" {
		d.Flash = d.Lang.T("set.saved")
	}
	h.render(w, r, http.StatusOK, templates.ImagesSettings(d))
}

// ImagesSettingsSave stores the remote images policy.
func (h *Handlers) ImagesSettingsSave(w http.ResponseWriter, r *http.Request) {
	user := session.FromContext(r.Context()).User
	policy := r.PostFormValue("remote_images")
	switch policy {
	case settings.ImagesAsk, settings.ImagesAlways, settings.ImagesNever:
	default:
		h.Error(w, r, http.StatusBadRequest, "err.badrequest")
		return
	}
	if _, err := h.Settings.Update(r.Context(), user, func(st *settings.Settings) error {
		st.RemoteImages = policy
		return nil
	}); err != nil {
		h.Log.Warn("webmail settings not saved", "ip", ClientIP(r), "user", user, "err", err)
		h.Error(w, r, http.StatusInternalServerError, "err.server")
		return
	}
	http.Redirect(w, r, ImagesSettingsPath+"?ok=1", http.StatusSeeOther)
}

package handlers

import (
	"net/http"

	"github.com/yubinmail/yubin/web/session"
)

// RemoteImage serves one remote image of a message through the image proxy
// (web/imageproxy): only for a signed-in user, and only a URL the message page
// signed for that user's account.
func (h *Handlers) RemoteImage(w http.ResponseWriter, r *http.Request) {
	h.Images.Serve(w, r, session.FromContext(r.Context()).User)
}

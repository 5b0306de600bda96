package handlers

import (
	"encoding/base64"
	"net/http"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/autoconfig"
	"github.com/yubinmail/yubin/web/session"
)

// SetupPage shows the server settings for mail programs that do not set themselves
// up, and the Apple profile's link with a QR code a phone's camera can open.
func (h *Handlers) SetupPage(w http.ResponseWriter, r *http.Request) {
	cl, _, err := h.client(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	l := Lang(r)
	sh, _, err := h.shell(r.Context(), r, cl, l.T("setup.title"), "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := templates.SetupData{Shell: sh, Hostname: h.Autoconfig.Hostname}
	for _, s := range h.Autoconfig.Services() {
		sec := "STARTTLS"
		if s.ImplicitTLS {
			sec = "SSL/TLS"
		}
		d.Services = append(d.Services, templates.SetupService{Protocol: s.Protocol, Port: s.Port, Security: sec})
	}
	if len(d.Services) > 0 {
		// The address the browser used reaches this webmail; the phone signs in
		// there and is sent on to the download.
		scheme := "http"
		if session.IsSecure(r) {
			scheme = "https"
		}
		d.ProfileURL = scheme + "://" + r.Host + autoconfig.MobileConfigPath
		if png, err := qrcode.Encode(d.ProfileURL, qrcode.Medium, 240); err == nil {
			d.QR = "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
		}
	}
	h.render(w, r, http.StatusOK, templates.Setup(d))
}
